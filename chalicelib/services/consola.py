"""The staff console's reads: work queues by state, search by name, phone, CI or code, and the conversation with
the customer (every channel, both directions, delivery statuses) with the channel a reply would take. Queues read
the ``por_estado`` index through ``listar``; nothing scans the table and no CI is decrypted (a CI is found by its
keyed hash)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from chalicelib.domain.actions import ACCIONES, Normalizador
from chalicelib.domain.errors import DatosInvalidos, SolicitudNoEncontrada
from chalicelib.domain.events import ACCION_CAPTURA
from chalicelib.domain.mensajeria import VENTANA_SERVICIO, Destino, ModoEnvio, modo_envio
from chalicelib.domain.model import ETIQUETA_CANAL, EntradaHistorial, Rol, Solicitud
from chalicelib.domain.ports import SolicitudRepository
from chalicelib.domain.states import Accion, Estado, acciones_desde
from chalicelib.services.canales import ACTOR_NO_VERIFICADO, DATOS_DECLARADOS
from chalicelib.services.mensajeria import ETIQUETA_CANAL_MENSAJE, estado_actual
from chalicelib.services.mensajeria import ETIQUETA_ESTADO as ETIQUETA_ESTADO_MENSAJE
from chalicelib.services.mensajeria import conversacion as conversacion_cliente
from chalicelib.services.solicitudes import listar

E = Estado


@dataclass(frozen=True)
class Bandeja:
    """A tab of the work queue: the states it lists, longest waiting first."""

    clave: str
    etiqueta: str
    estados: tuple[Estado, ...]


MI_TRABAJO: Final = "mi_trabajo"
TODAS: Final = "todas"
BANDEJAS: Final[tuple[Bandeja, ...]] = (
    Bandeja("nuevas", "Nuevas", (E.NUEVA,)),
    Bandeja("registro", "En registro", (E.EN_REGISTRO,)),
    Bandeja("help_desk", "Esperando a Help Desk", (E.CONSULTA_HELP_DESK,)),
    Bandeja("negociacion", "Negociación y oferta", (E.NEGOCIACION, E.OFERTA_ENVIADA)),
    Bandeja("requisitos", "Requisitos", (E.REQUISITOS,)),
    Bandeja("digitacion", "Digitación y forma de pago", (E.DIGITACION, E.FORMA_PAGO)),
    Bandeja("pago", "Esperando pago", (E.PAGO_PENDIENTE, E.VALIDACION_DEPOSITO, E.VALIDACION_PAGO_WEB)),
    Bandeja(
        "facturacion",
        "Facturación",
        (E.FACTURA_PENDIENTE, E.FACTURACION_CAJA, E.FACTURA_IMPRESA, E.CONTROL_FACTURACION),
    ),
    Bandeja("no_atendidas", "No atendidas", (E.NO_ATENDIDA,)),
    Bandeja("anuladas", "Anuladas (por redigitar)", (E.ANULADA,)),
    Bandeja("cerradas", "Cerradas y derivadas", (E.CERRADA, E.DERIVADA_EMPRESAS, E.REDIGITADA)),
)
ACCIONES_DE_SEGUIMIENTO: Final = frozenset({Accion.REGISTRAR_ETAPA, Accion.ANULAR})
"""Actions possible in almost every state: they do not make a request part of someone's work."""

POR_ESTADO: Final = 100
"""Rows read per state for a queue (oldest first); the page says when a state has more."""
MAX_BUSQUEDA_POR_ESTADO: Final = 1000
"""A search follows the index cursor of each state up to this many requests."""

_CODIGO = re.compile(r"^VD-[0-9A-Z]{4,16}$")
_CI = re.compile(r"^[0-9]{5,10}(-[0-9A-Z]{1,2})?$")


def estados_de_trabajo(roles: Iterable[Rol]) -> tuple[Estado, ...]:
    """The states in which one of ``roles`` has a step of the procedure to take ("my work")."""
    propios = frozenset(roles)
    return tuple(
        estado
        for estado in Estado
        if any(
            ACCIONES[accion].roles & propios
            for accion in acciones_desde(estado)
            if accion not in ACCIONES_DE_SEGUIMIENTO
        )
    )


def bandejas_para(roles: Iterable[Rol]) -> list[Bandeja]:
    """Every tab a person sees: their own work first, then one per stage, then all states."""
    propia = Bandeja(MI_TRABAJO, "Mi trabajo", estados_de_trabajo(roles))
    return [propia, *BANDEJAS, Bandeja(TODAS, "Todas", tuple(Estado))]


@dataclass(frozen=True)
class Cola:
    """One queue page: its tab, the requests in it (longest waiting first) and what the search found."""

    bandeja: Bandeja
    solicitudes: list[Solicitud]
    truncada: bool = False
    busqueda: str = ""
    tipo_busqueda: str = ""
    encontrada: str | None = None


@dataclass(frozen=True)
class PuertosConsola:
    repo: SolicitudRepository
    normalizadores: Mapping[str, Normalizador]
    huella_ci: Callable[[str], str]


def cola(
    roles: Iterable[Rol],
    *,
    puertos: PuertosConsola,
    bandeja: str = MI_TRABAJO,
    estado: str | None = None,
    canal: str | None = None,
    busqueda: str | None = None,
) -> Cola:
    """A work queue: the tab's states (optionally one of them, one channel), longest waiting first.

    With a search text: a request code is looked up directly (``encontrada``); otherwise the tab's states are
    read through the index and matched by phone (normalised E.164), CI (keyed hash) or name (accents and case
    ignored, every word present)."""
    pestanas = {b.clave: b for b in bandejas_para(roles)}
    elegida = pestanas.get(bandeja)
    if elegida is None:
        raise DatosInvalidos({"bandeja": "Bandeja desconocida."}, "Filtros inválidos.")
    estados = elegida.estados
    if estado:
        if estado not in {e.value for e in estados}:
            raise DatosInvalidos({"estado": "Ese estado no pertenece a la bandeja elegida."}, "Filtros inválidos.")
        estados = (Estado(estado),)
    texto = " ".join((busqueda or "").split())[:120]
    if not texto:
        filas, truncada = _leer(estados, canal, puertos.repo, POR_ESTADO)
        return Cola(elegida, filas, truncada)
    codigo = texto.upper()
    if _CODIGO.match(codigo):
        try:
            return Cola(elegida, [puertos.repo.obtener(codigo)], False, texto, "codigo", codigo)
        except SolicitudNoEncontrada:
            return Cola(elegida, [], False, texto, "codigo")
    coincide, tipo = _criterio(texto, puertos)
    candidatas, truncada = _leer(estados, canal, puertos.repo, MAX_BUSQUEDA_POR_ESTADO)
    return Cola(elegida, [s for s in candidatas if coincide(s)], truncada, texto, tipo)


def _leer(
    estados: Iterable[Estado], canal: str | None, repo: SolicitudRepository, maximo: int
) -> tuple[list[Solicitud], bool]:
    filas: list[Solicitud] = []
    truncada = False
    for estado in estados:
        leidas = 0
        cursor: str | None = None
        while True:
            limite = min(200, maximo - leidas)
            pagina = listar(repo=repo, estado=estado.value, canal=canal, limite=limite, cursor=cursor)
            filas.extend(pagina.solicitudes)
            leidas += len(pagina.solicitudes)
            cursor = pagina.siguiente
            if not cursor:
                break
            if leidas >= maximo:
                truncada = True
                break
    filas.sort(key=lambda s: s.estado_desde)
    return filas, truncada


def _criterio(texto: str, puertos: PuertosConsola) -> tuple[Callable[[Solicitud], bool], str]:
    """How a free text matches a request: phone and CI when it reads as one, else the name."""
    compacto = texto.upper().replace(" ", "")
    telefono: str | None = None
    if re.fullmatch(r"\+?[0-9()\-. ]{7,20}", texto):
        try:
            telefono = puertos.normalizadores["telefono"](texto)
        except ValueError:
            telefono = None
    huella = puertos.huella_ci(compacto) if _CI.match(compacto) else None
    if telefono or huella:
        tipos = [t for t, v in (("telefono", telefono), ("ci", huella)) if v]
        return (
            lambda s: bool(
                (telefono and s.datos.get("telefono") == telefono) or (huella and s.datos.get("ci_huella") == huella)
            ),
            "_o_".join(tipos),
        )
    palabras = _plano(texto).split()
    return (lambda s: all(p in _plano(s.nombre) for p in palabras)), "nombre"


def _plano(texto: str) -> str:
    sin_tildes = unicodedata.normalize("NFKD", texto)
    return "".join(c for c in sin_tildes if not unicodedata.combining(c)).casefold()


# --- the conversation with the customer (every channel, both directions) -------------------------------------------

CANALES_PRIMER_MENSAJE: Final = frozenset({"whatsapp", "messenger", "botmaker", "web", "facebook"})
"""Channels whose capture note is the customer's own first message."""
TIPOS_ENTRANTES: Final = frozenset({"mensaje", "correo_recibido"})
TIPOS_SISTEMA: Final = frozenset({"mensaje_no_entendido", "baja_canal", "alta_canal"})
AUTOR_NO_VERIFICADO: Final = "Contacto no verificado"
"""Who a thread line is from when a web form or Lead Ads answer matched by phone or email: not the customer."""
ROLES_MENSAJE_CLIENTE: Final = frozenset({Rol.EJ, Rol.RC})
"""Who may write to the customer from the console."""
ETIQUETA_CANAL_HILO: Final[Mapping[str, str]] = {**ETIQUETA_CANAL, "correo": "Correo", "consola": "Consola"}
EXPLICACION_MODO: Final[Mapping[ModoEnvio, str]] = {
    ModoEnvio.LIBRE: "puede escribir libremente",
    ModoEnvio.PLANTILLA: "fuera de las 24 h: se enviará la plantilla aprobada",
    ModoEnvio.AGENTE_HUMANO: "Messenger, 24 h a 7 días: se envía como respuesta de agente",
    ModoEnvio.NINGUNO: "Messenger, más de 7 días: no se puede escribir; use el correo",
}
SIN_CANAL_CLIENTE: Final = "El cliente no escribió por WhatsApp, Messenger ni el chatbot; use el correo."


def hilo_conversacion(solicitud: Solicitud, historial: Iterable[EntradaHistorial]) -> list[dict[str, Any]]:
    """The conversation with the customer, oldest first: what they wrote on any channel (the first message and
    later messages), what was sent to them (channel messages with their delivery status, emails to their address),
    messages that could not go, and system notes (opt-out, opt-in, a message nobody could read).

    Delivery statuses arrive twice and out of order: each outbound message shows ``estado_actual`` of every status
    that names it (by ``entrada_id`` or by one of its provider ids)."""
    entradas = list(historial)
    estados = _estados_por_saliente(entradas)
    lineas: list[dict[str, Any]] = []
    for entrada in entradas:
        linea = _linea_hilo(solicitud, entrada, estados)
        if linea is not None:
            lineas.append(linea)
    return sorted(lineas, key=lambda linea: _orden(linea["en"]))


def _estados_por_saliente(entradas: list[EntradaHistorial]) -> dict[str, list[EntradaHistorial]]:
    """Outbound entry id -> every delivery status entry received for it (duplicates kept, order irrelevant)."""
    salientes: set[str] = set()
    por_id: dict[str, str] = {}
    for entrada in entradas:
        if entrada.tipo == "mensaje_saliente":
            salientes.add(entrada.id)
            for mensaje_id in entrada.campos.get("ids") or []:
                por_id[str(mensaje_id)] = entrada.id
    estados: dict[str, list[EntradaHistorial]] = {}
    for entrada in entradas:
        if entrada.tipo != "estado_mensaje":
            continue
        campos = entrada.campos
        destino = str(campos.get("entrada_id") or "")
        if destino not in salientes:
            destino = por_id.get(str(campos.get("mensaje_id") or ""), "")
        if destino:
            estados.setdefault(destino, []).append(entrada)
    return estados


def _linea_hilo(
    solicitud: Solicitud, entrada: EntradaHistorial, estados: Mapping[str, list[EntradaHistorial]]
) -> dict[str, Any] | None:
    campos = entrada.campos
    if entrada.accion == ACCION_CAPTURA:
        if not entrada.nota or entrada.canal not in CANALES_PRIMER_MENSAJE:
            return None
        return _item(entrada, "entrante", texto=entrada.nota, documentos=_nombres_adjuntos(campos.get("adjuntos")))
    if entrada.tipo in TIPOS_ENTRANTES:
        canal = "correo" if entrada.tipo == "correo_recibido" else entrada.canal
        texto = str(campos.get("texto") or entrada.nota or "")
        adjuntos = _nombres_adjuntos(campos.get("adjuntos"))
        if _no_verificado(entrada):
            # a web form or Lead Ads answer that matched by phone or email: what it claims, never the customer's
            dice = _lo_que_dice(campos.get("contacto"))
            texto = "\n\n".join(t for t in (dice, texto) if t)
        return _item(
            entrada, "entrante", canal=canal, texto=texto or ("" if adjuntos else entrada.resumen), documentos=adjuntos
        )
    if entrada.tipo == "mensaje_saliente":
        recibidos = estados.get(entrada.id, [])
        estado = estado_actual([str(e.campos.get("estado") or "") for e in recibidos])
        fallo = next((e.resumen for e in recibidos if e.campos.get("estado") == "failed"), "")
        return _item(
            entrada,
            "saliente",
            canal=str(campos.get("canal") or entrada.canal),
            texto=str(campos.get("texto") or ""),
            documentos=[str(d) for d in campos.get("documentos") or []],
            botones=[str(b) for b in campos.get("botones") or []],
            plantilla=campos.get("plantilla") or None,
            estado=estado or ("aceptado" if campos.get("ids") else None),
            requiere_atencion=estado == "failed",
            resumen=fallo or entrada.resumen,
        )
    if entrada.tipo == "mensaje_no_enviado":
        return _item(
            entrada,
            "saliente",
            canal=str(campos.get("canal") or entrada.canal),
            texto=str(campos.get("texto") or ""),
            estado="no_enviado",
            requiere_atencion=bool(campos.get("requiere_atencion")),
        )
    if entrada.tipo == "correo" and solicitud.email and solicitud.email in (campos.get("para") or []):
        return _item(entrada, "saliente", canal="correo", texto=entrada.resumen)
    if entrada.tipo in TIPOS_SISTEMA:
        return _item(
            entrada,
            "sistema",
            canal=str(campos.get("canal") or entrada.canal),
            texto=entrada.resumen,
            requiere_atencion=bool(campos.get("requiere_atencion")),
        )
    return None


def _item(
    entrada: EntradaHistorial,
    direccion: str,
    *,
    canal: str = "",
    texto: str = "",
    documentos: list[str] | None = None,
    botones: list[str] | None = None,
    plantilla: Any = None,
    estado: str | None = None,
    requiere_atencion: bool = False,
    resumen: str = "",
) -> dict[str, Any]:
    canal = canal or entrada.canal
    return {
        "id": entrada.id,
        "en": entrada.en,
        "direccion": direccion,
        "canal": canal,
        "etiqueta_canal": ETIQUETA_CANAL_HILO.get(canal, canal),
        "autor": _autor(entrada, direccion),
        "verificado": not (direccion == "entrante" and _no_verificado(entrada)),
        "texto": texto,
        "documentos": documentos or [],
        "botones": botones or [],
        "plantilla": str(plantilla) if plantilla else None,
        "estado": estado,
        "etiqueta_estado": _etiqueta_estado(estado),
        "requiere_atencion": requiere_atencion,
        "resumen": resumen or entrada.resumen,
    }


def _etiqueta_estado(estado: str | None) -> str:
    if estado is None:
        return ""
    if estado == "no_enviado":
        return "no enviado"
    return ETIQUETA_ESTADO_MENSAJE.get(estado, estado)


def _no_verificado(entrada: EntradaHistorial) -> bool:
    """A contact that matched this request by a phone or email it only typed (``canales._unir_a``)."""
    return entrada.campos.get("verificado") is False or entrada.actor.startswith(f"{ACTOR_NO_VERIFICADO}:")


def _lo_que_dice(contacto: Any) -> str:
    if not isinstance(contacto, Mapping):
        return ""
    partes = [f"{etiqueta} «{contacto[k]}»" for k, etiqueta in DATOS_DECLARADOS.items() if contacto.get(k)]
    return ("Dice: " + "; ".join(partes) + ".") if partes else ""


def _autor(entrada: EntradaHistorial, direccion: str) -> str:
    if direccion == "entrante":
        return AUTOR_NO_VERIFICADO if _no_verificado(entrada) else "Cliente"
    if direccion == "sistema":
        return "Sistema"
    actor = entrada.actor or "sistema"
    return "Envío automático" if actor == "sistema" or actor.startswith("prospecto:") else actor


def _nombres_adjuntos(adjuntos: Any) -> list[str]:
    nombres: list[str] = []
    for adjunto in adjuntos if isinstance(adjuntos, list) else []:
        if isinstance(adjunto, Mapping):
            nombres.append(str(adjunto.get("nombre") or adjunto.get("tipo") or "archivo"))
        elif adjunto:
            nombres.append(str(adjunto))
    return nombres


def _orden(en: Any) -> float:
    momento = _momento(en)
    if momento is None:
        return float("inf")
    if momento.tzinfo is None:
        momento = momento.replace(tzinfo=UTC)
    return momento.timestamp()


def _momento(valor: Any) -> datetime | None:
    if isinstance(valor, datetime):
        return valor
    try:
        return datetime.fromisoformat(str(valor))
    except (TypeError, ValueError):
        return None


def canal_respuesta(
    solicitud: Solicitud, historial: Iterable[EntradaHistorial], ahora: datetime
) -> dict[str, Any] | None:
    """Where and how the executive's message would go now: the customer's messaging channel, how long ago they
    last wrote there, whether the 24-hour window is open and what that means (``modo_envio``). None when the
    customer never wrote on WhatsApp, Messenger or the chatbot."""
    conv = conversacion_cliente(solicitud)
    if conv is None:
        return None
    destino = conv.destino
    modo = modo_envio(destino, conv.ultimo_mensaje, ahora)
    transcurrido = ahora - conv.ultimo_mensaje if conv.ultimo_mensaje is not None else None
    if modo is ModoEnvio.LIBRE and (transcurrido is None or transcurrido > VENTANA_SERVICIO):
        ventana = "sin ventana de 24 h en este canal"
    else:
        ventana = "ventana abierta" if modo is ModoEnvio.LIBRE else "ventana cerrada"
    return {
        "canal": destino.canal,
        "etiqueta_canal": ETIQUETA_CANAL_MENSAJE.get(destino.canal, destino.canal),
        "destino": _destino_visible(destino),
        "ultimo_mensaje": conv.ultimo_mensaje.isoformat() if conv.ultimo_mensaje else None,
        "hace": _hace(transcurrido),
        "modo": modo.value,
        "ventana": ventana,
        "ventana_abierta": ventana == "ventana abierta",
        "explicacion": EXPLICACION_MODO[modo],
        "puede_escribir": modo is not ModoEnvio.NINGUNO,
        "baja": _de_baja(historial, destino.canal),
    }


def _destino_visible(destino: Destino) -> str:
    """The customer's number on WhatsApp (and Botmaker on WhatsApp); Messenger and web chat ids mean nothing."""
    if destino.canal == "whatsapp" or (destino.canal == "botmaker" and destino.plataforma == "whatsapp"):
        return "+" + destino.id if destino.id.isdigit() else destino.id
    return ""


def _hace(transcurrido: timedelta | None) -> str:
    if transcurrido is None:
        return "sin fecha registrada"
    minutos = max(int(transcurrido.total_seconds() // 60), 0)
    if minutos < 1:
        return "hace menos de un minuto"
    if minutos < 60:
        return f"hace {minutos} min"
    horas = minutos // 60
    if horas < 48:
        return f"hace {horas} h" + (f" {minutos % 60} min" if horas < 6 and minutos % 60 else "")
    return f"hace {horas // 24} días"


def _de_baja(historial: Iterable[EntradaHistorial], canal: str) -> bool:
    """The customer's last opt-out / opt-in word on ``canal`` was an opt-out."""
    ultima: tuple[float, str] | None = None
    for entrada in historial:
        if entrada.tipo in ("baja_canal", "alta_canal") and entrada.canal == canal:
            momento = _orden(entrada.en)
            if ultima is None or momento >= ultima[0]:
                ultima = (momento, entrada.tipo)
    return ultima is not None and ultima[1] == "baja_canal"
