"""The staff console's reads: work queues by state, search by name, phone, CI or code, and the conversation of a
request. Queues read the ``por_estado`` index through ``listar``; nothing scans the table and no CI is decrypted
(a CI is found by its keyed hash)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from chalicelib.domain.actions import ACCIONES, Normalizador
from chalicelib.domain.errors import DatosInvalidos, SolicitudNoEncontrada
from chalicelib.domain.events import ACCION_CAPTURA
from chalicelib.domain.model import EntradaHistorial, Rol, Solicitud
from chalicelib.domain.ports import SolicitudRepository
from chalicelib.domain.states import Accion, Estado, acciones_desde
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


TIPOS_CONVERSACION: Final = frozenset({"mensaje", "correo_recibido"})


def conversacion(solicitud: Solicitud, historial: Iterable[EntradaHistorial]) -> list[dict[str, Any]]:
    """What the customer and the company said, from every channel, oldest first: the first message, messages and
    emails received (history ``mensaje`` / ``correo_recibido``) and the emails sent to the customer."""
    lineas: list[dict[str, Any]] = []
    for entrada in historial:
        if entrada.accion == ACCION_CAPTURA and entrada.nota:
            lineas.append(_linea(entrada, "entrante", solicitud.nombre or "Prospecto", entrada.nota))
        elif entrada.tipo in TIPOS_CONVERSACION:
            autor = str(entrada.campos.get("de") or solicitud.nombre or "Prospecto")
            texto = str(entrada.campos.get("texto") or entrada.nota or entrada.resumen)
            lineas.append(_linea(entrada, "entrante", autor, texto))
        elif entrada.tipo == "correo" and solicitud.email and solicitud.email in entrada.campos.get("para", []):
            lineas.append(_linea(entrada, "saliente", "COMTECO", entrada.resumen, canal="correo"))
    return sorted(lineas, key=lambda linea: str(linea["en"]))


def _linea(entrada: EntradaHistorial, direccion: str, autor: str, texto: str, canal: str = "") -> dict[str, Any]:
    return {"en": entrada.en, "direccion": direccion, "canal": canal or entrada.canal, "autor": autor, "texto": texto}
