"""The customer's own channel: every customer message goes where they last wrote (WhatsApp, Messenger, Botmaker).

Channel policy, written once (``enviar``):
- The conversation is the customer's last contact on a messaging channel (``Solicitud.contactos``, newest first);
  its time opens the customer service window (``domain.mensajeria.modo_envio``).
- Inside the window the message is free-form (documents as files, then the text with its buttons); outside it
  WhatsApp (and Botmaker on WhatsApp) get the approved template, Messenger the HUMAN_AGENT tag up to 7 days and
  nothing after. The provider's own "outside the window" error turns into the template (or tag) send, never a
  lost message.
- A person who wrote "BAJA" on a channel gets no proactive message there (answers to their own messages still go).
- Each message is claimed once (``mensaje#<clave>`` in the idempotency table): a redelivered stream record sends
  nothing twice. Rate limits and 5xx give the claim back and raise (the stream retries the record); any other
  refusal is recorded in the history and, when the content did not already go by email, falls back to email.
- Every message sent is registered (``Salientes``) and shown in the history (``mensaje_saliente``); its delivery
  statuses are added as they arrive, in any order, and ``estado_actual`` never moves backwards.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.errors import DatosInvalidos, MensajeNoEnviado
from chalicelib.domain.mensajeria import (
    CANALES_MENSAJERIA,
    ETIQUETA_MENSAJE,
    MAX_TEXTO,
    PLANTILLAS_APROBADAS,
    REINTENTABLES,
    VENTANA_SERVICIO,
    Boton,
    CanalMensajeria,
    Destino,
    Documento,
    EnvioCanal,
    FalloCanal,
    MensajeCanal,
    ModoEnvio,
    destino_de,
    modo_envio,
    recortar,
)
from chalicelib.domain.model import FRASE_CANAL, Buzones, EntradaHistorial, Solicitud
from chalicelib.domain.ports import (
    Adjunto,
    Clock,
    CorreoSaliente,
    Idempotencia,
    Mailer,
    MensajeriaCanal,
    Plantillas,
    Salientes,
    SolicitudRepository,
    Supresiones,
)
from chalicelib.services import correo_saliente, una_vez
from chalicelib.services.vistas import vista_solicitud

logger = logging.getLogger(__name__)

ETIQUETA_CANAL_MENSAJE: Final[Mapping[str, str]] = {c.value: FRASE_CANAL[c.value] for c in CanalMensajeria}
RANGO_ESTADO: Final[Mapping[str, int]] = {"aceptado": 0, "sent": 1, "delivered": 2, "read": 3}
ETIQUETA_ESTADO: Final[Mapping[str, str]] = {
    "aceptado": "aceptado por el proveedor",
    "sent": "enviado",
    "delivered": "entregado",
    "read": "leído",
    "failed": "fallido",
}
RAZON_NO_ENVIADO: Final[Mapping[str, str]] = {
    "baja": "el cliente pidió no recibir mensajes por este canal",
    "fuera_de_ventana": "pasaron más de 7 días desde el último mensaje del cliente en Messenger",
}
"""Why we did not send (by ``ResultadoMensaje.estado``); kept apart from the provider's refusals below, whose
``FalloCanal`` values "baja" and "ventana" would otherwise collide with these keys."""
MOTIVO_NO_ENVIADO: Final[Mapping[str, str]] = {
    FalloCanal.INUTILIZABLE.value: "el número o la cuenta no puede recibir mensajes",
    FalloCanal.BAJA.value: "el cliente dejó de recibir mensajes de la empresa",
    FalloCanal.PERMANENTE.value: "el proveedor rechazó el mensaje",
    FalloCanal.VENTANA.value: "fuera de la ventana de atención y sin plantilla aplicable",
}
ETIQUETA_HUMAN_AGENT: Final = "HUMAN_AGENT"


@dataclass(frozen=True)
class PuertosMensajeria:
    repo: SolicitudRepository
    idempotencia: Idempotencia
    plantillas: Plantillas
    canales: Mapping[str, MensajeriaCanal]
    salientes: Salientes
    bajas: Supresiones
    clock: Clock
    mailer: Mailer | None = None
    salida: correo_saliente.SalidaCorreo | None = None
    buzones: Buzones | None = None
    url_publica: str = ""


@dataclass(frozen=True)
class Conversacion:
    """Where the customer can be answered, and when they last wrote there."""

    destino: Destino
    ultimo_mensaje: datetime | None


@dataclass(frozen=True)
class PedidoMensaje:
    """One customer message to send: ``nombre`` is its template (``templates/mensaje/<nombre>.txt`` and its
    approved WhatsApp template); ``clave`` identifies it for the claim (``<cambio>.<reaccion>``)."""

    solicitud: Solicitud
    clave: str
    nombre: str
    contexto: Mapping[str, Any]
    en: str
    documentos: tuple[Documento, ...] = ()
    botones: tuple[Boton, ...] = ()
    respuesta: bool = False
    """It answers the customer's own message on that channel (allowed after an opt-out)."""
    correo_enviado: bool = False
    """The same content went to the customer by email too (no email fallback needed)."""
    actor: str = "sistema"
    texto: str | None = None
    """Text already written (the executive's message) instead of rendering ``nombre``."""


@dataclass(frozen=True)
class ResultadoMensaje:
    """``estado``: enviado, sin_canal (no messaging channel), duplicado (claimed before), baja, fuera_de_ventana,
    fallido (refused; recorded and, when possible, sent by email)."""

    estado: str
    canal: str | None = None
    ids: tuple[str, ...] = ()
    respaldo_correo: bool = False

    @property
    def enviado(self) -> bool:
        return self.estado == "enviado"


def conversacion(s: Solicitud) -> Conversacion | None:
    """The customer's last contact on a messaging channel (and when it was), or None if they never wrote on one."""
    for contacto in reversed(s.contactos):
        canal = str(contacto.get("canal") or "")
        if canal not in CANALES_MENSAJERIA:
            continue
        guardado = contacto.get("destino")
        destino = (
            Destino(canal=canal, **{k: str(v) for k, v in guardado.items() if k in ("id", "cuenta", "plataforma")})
            if isinstance(guardado, dict) and guardado.get("id")
            else destino_de(canal, s.origen)
        )
        if destino is None:
            continue
        return Conversacion(destino, _momento(contacto.get("en")))
    destino = destino_de(s.canal, s.origen)
    return Conversacion(destino, _momento(s.creada_en)) if destino else None


def _momento(valor: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(valor))
    except (TypeError, ValueError):
        return None


def enviar(pedido: PedidoMensaje, *, puertos: PuertosMensajeria) -> ResultadoMensaje:
    """Send one customer message on their channel under the window, opt-out and at-most-once rules."""
    s = pedido.solicitud
    conv = conversacion(s)
    if conv is None or conv.destino.canal not in puertos.canales:
        return ResultadoMensaje("sin_canal")
    destino = conv.destino
    clave = f"mensaje#{pedido.clave}"
    resultado = una_vez.enviar_una_vez(
        puertos.idempotencia, clave, lambda: _enviar(pedido, conv, puertos), lambda r: ",".join(r.ids) or r.estado
    )
    return resultado if resultado is not None else ResultadoMensaje("duplicado", destino.canal)


def _enviar(pedido: PedidoMensaje, conv: Conversacion, puertos: PuertosMensajeria) -> ResultadoMensaje:
    s, destino = pedido.solicitud, conv.destino
    texto = _texto(pedido, destino, puertos)
    if not pedido.respuesta and puertos.bajas.suprimidas([destino.clave]):
        return _no_enviado(pedido, destino, texto, "baja", "baja", "", puertos)
    modo = modo_envio(destino, conv.ultimo_mensaje, puertos.clock.ahora())
    if modo is ModoEnvio.NINGUNO:
        return _no_enviado(pedido, destino, texto, "fuera_de_ventana", "ventana", "", puertos)
    mensaje = _mensaje(pedido, destino, texto, modo)
    adaptador = puertos.canales[destino.canal]
    try:
        try:
            envio = adaptador.enviar(mensaje)
        except MensajeNoEnviado as exc:
            alterno = _fuera_de_ventana(pedido, mensaje, exc, conv, puertos)
            if alterno is None:
                raise
            mensaje = alterno
            envio = adaptador.enviar(mensaje)
    except MensajeNoEnviado as exc:
        if FalloCanal(exc.fallo) in REINTENTABLES:
            logger.warning(
                "mensaje por reintentar",
                extra={"solicitud_id": s.id, "canal": destino.canal, "codigo": exc.codigo_proveedor},
            )
            raise
        return _no_enviado(pedido, destino, texto, "fallido", exc.fallo, exc.codigo_proveedor, puertos, exc.mensaje)
    try:
        return una_vez.tras_efecto(lambda: _registrar(pedido, destino, mensaje, envio, puertos), "mensaje enviado")
    except Exception as exc:  # it left: complete the claim instead of giving it back
        raise una_vez.EfectoHecho(",".join(envio.ids) or "enviado", exc) from exc


def _texto(pedido: PedidoMensaje, destino: Destino, puertos: PuertosMensajeria) -> str:
    texto = pedido.texto if pedido.texto is not None else puertos.plantillas.mensaje(pedido.nombre, pedido.contexto)
    return recortar(texto.strip(), MAX_TEXTO.get(destino.canal, 2000))


def _mensaje(pedido: PedidoMensaje, destino: Destino, texto: str, modo: ModoEnvio) -> MensajeCanal:
    base = MensajeCanal(
        destino=destino,
        texto=texto,
        referencia=f"{pedido.solicitud.id}:{pedido.clave}"[:256],
        documentos=pedido.documentos,
        botones=pedido.botones,
    )
    if modo is ModoEnvio.AGENTE_HUMANO:
        return _con_etiqueta(base)
    if modo is ModoEnvio.PLANTILLA:
        return _como_plantilla(pedido, base) or base
    return base


def _con_etiqueta(mensaje: MensajeCanal) -> MensajeCanal:
    return replace(mensaje, etiqueta=ETIQUETA_HUMAN_AGENT)


def _como_plantilla(pedido: PedidoMensaje, mensaje: MensajeCanal) -> MensajeCanal | None:
    plantilla = PLANTILLAS_APROBADAS.get(pedido.nombre)
    if plantilla is None:
        return None
    return replace(
        mensaje,
        documentos=mensaje.documentos[:1] if plantilla.documento else (),
        botones=(),
        plantilla=plantilla,
        valores=tuple(valor_parametro(p, pedido) for p in plantilla.parametros),
        etiqueta=None,
    )


def _fuera_de_ventana(
    pedido: PedidoMensaje, mensaje: MensajeCanal, exc: MensajeNoEnviado, conv: Conversacion, puertos: PuertosMensajeria
) -> MensajeCanal | None:
    """The provider says the window is closed although our clock said open: the template (WhatsApp, Botmaker)
    or the HUMAN_AGENT tag within 7 days (Messenger) instead; None when there is nothing else to try."""
    if exc.fallo != FalloCanal.VENTANA or mensaje.plantilla is not None or mensaje.etiqueta:
        return None
    if conv.destino.canal == CanalMensajeria.MESSENGER:
        ahora = puertos.clock.ahora()
        alcanzable = modo_envio(conv.destino, conv.ultimo_mensaje, ahora) is not ModoEnvio.NINGUNO
        return _con_etiqueta(mensaje) if alcanzable else None
    return _como_plantilla(pedido, mensaje)


def valor_parametro(nombre: str, pedido: PedidoMensaje) -> str:
    """The value of an approved template's parameter (``PlantillaAprobada.parametros``), never empty."""
    s, ctx = pedido.solicitud, pedido.contexto
    oferta = s.oferta or {}
    valores = {
        "nombre": s.nombre.split(" ")[0] if s.nombre else "",
        "codigo": s.id,
        "plan": str(oferta.get("nombre_plan") or oferta.get("plan") or ""),
        "monto": _monto(ctx, oferta),
        "enlace": str(ctx.get("url_pago") or ctx.get("url_pasarela") or ctx.get("url_formulario") or ""),
        "pendientes": ", ".join(str(p) for p in ctx.get("pendientes_etiquetas") or ctx.get("pendientes") or []),
        "texto": recortar(" ".join(str(ctx.get("texto") or pedido.texto or "").split()), 900),
    }
    return valores.get(nombre) or {"nombre": "cliente"}.get(nombre, "—")


def _monto(ctx: Mapping[str, Any], oferta: Mapping[str, Any]) -> str:
    monto = ctx.get("monto_bs") or ctx.get("monto") or oferta.get("primer_pago_bs") or oferta.get("tarifa_mensual_bs")
    if monto in (None, ""):
        return "—"
    try:
        return f"Bs {float(monto):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    except (TypeError, ValueError):
        return str(monto)


def _registrar(
    pedido: PedidoMensaje, destino: Destino, mensaje: MensajeCanal, envio: EnvioCanal, puertos: PuertosMensajeria
) -> ResultadoMensaje:
    s = pedido.solicitud
    entrada_id = f"mensaje#{pedido.clave}"
    for mensaje_id in envio.ids:
        puertos.salientes.registrar_saliente(
            destino.canal, mensaje_id, s.id, entrada_id=entrada_id, correo_enviado=pedido.correo_enviado
        )
    modo = "plantilla" if mensaje.plantilla else ("agente_humano" if mensaje.etiqueta else "libre")
    canal = ETIQUETA_CANAL_MENSAJE.get(destino.canal, destino.canal)
    detalle = f" (plantilla {mensaje.plantilla.nombre})" if mensaje.plantilla else ""
    puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=s.id,
            id=entrada_id,
            en=pedido.en,
            tipo="mensaje_saliente",
            resumen=f"Mensaje «{ETIQUETA_MENSAJE.get(pedido.nombre, pedido.nombre)}» enviado por {canal}{detalle}.",
            actor=pedido.actor,
            canal=destino.canal,
            campos={
                "canal": destino.canal,
                "destino": destino.clave,
                "nombre": pedido.nombre,
                "texto": mensaje.texto,
                "documentos": [d.nombre for d in mensaje.documentos],
                "botones": [b.titulo for b in mensaje.botones],
                "plantilla": mensaje.plantilla.nombre if mensaje.plantilla else None,
                "modo": modo,
                "ids": list(envio.ids),
                "correo_enviado": pedido.correo_enviado,
            },
        )
    )
    logger.info("mensaje enviado", extra={"solicitud_id": s.id, "canal": destino.canal, "modo": modo})
    return ResultadoMensaje("enviado", destino.canal, envio.ids)


def _no_enviado(
    pedido: PedidoMensaje,
    destino: Destino,
    texto: str,
    estado: str,
    motivo: str,
    codigo: str,
    puertos: PuertosMensajeria,
    detalle: str = "",
) -> ResultadoMensaje:
    """Record why the message did not go and fall back to email when the content did not go there already."""
    s = pedido.solicitud
    respaldo = False
    if not pedido.correo_enviado and s.email:
        respaldo = enviar_respaldo_correo(
            s, destino.canal, texto, pedido.documentos, clave=pedido.clave, en=pedido.en, puertos=puertos
        )
    canal = ETIQUETA_CANAL_MENSAJE.get(destino.canal, destino.canal)
    razon = RAZON_NO_ENVIADO.get(estado) or MOTIVO_NO_ENVIADO.get(motivo, motivo)
    if respaldo:
        siguiente = f" Se envió por correo a {s.email}."
    elif pedido.correo_enviado:
        siguiente = " El cliente lo recibió por correo."
    else:
        siguiente = " El cliente no tiene correo: comuníquese con él por otro medio."
    puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=s.id,
            id=f"mensaje#{pedido.clave}#no_enviado",
            en=pedido.en,
            tipo="mensaje_no_enviado",
            resumen=f"Mensaje «{ETIQUETA_MENSAJE.get(pedido.nombre, pedido.nombre)}» no enviado por {canal}: "
            f"{razon}.{siguiente}",
            actor=pedido.actor,
            canal=destino.canal,
            campos={
                "canal": destino.canal,
                "destino": destino.clave,
                "nombre": pedido.nombre,
                "texto": texto,
                "motivo": motivo,
                "codigo": codigo,
                "detalle": detalle[:500],
                "respaldo_correo": respaldo,
                "requiere_atencion": not respaldo and not pedido.correo_enviado,
            },
        )
    )
    logger.warning(
        "mensaje no enviado",
        extra={"solicitud_id": s.id, "canal": destino.canal, "motivo": motivo, "codigo": codigo},
    )
    return ResultadoMensaje(estado, destino.canal, respaldo_correo=respaldo)


def enviar_respaldo_correo(
    s: Solicitud,
    canal: str,
    texto: str,
    documentos: Sequence[Documento],
    *,
    clave: str,
    en: str,
    puertos: PuertosMensajeria,
) -> bool:
    """The customer gets by email what could not reach them on ``canal`` (once per ``clave``); False when there
    is no email, no mailer, or the address is suppressed."""
    if not s.email or puertos.mailer is None or puertos.buzones is None:
        return False
    reclamo = f"respaldo#{clave}"
    contexto = {
        "solicitud": vista_solicitud(s),
        "buzones": puertos.buzones.como_dict(),
        "url_solicitud": f"{puertos.url_publica}/solicitud",
        "url_formulario": f"{puertos.url_publica}/solicitud",
        "mensaje": {"canal": canal, "texto": texto, "documentos": [d.nombre for d in documentos]},
    }
    mailer, salida, email = puertos.mailer, puertos.salida, s.email

    def enviar_respaldo() -> tuple[correo_saliente.Envio, str]:
        render = puertos.plantillas.correo("mensaje_no_entregado", contexto)
        envio = correo_saliente.enviar(
            CorreoSaliente(
                para=(email,),
                asunto=render.asunto,
                texto=render.texto,
                html=render.html,
                cabeceras={"X-VD-Solicitud": s.id, "X-VD-Reaccion": "mensaje_no_entregado"},
                adjuntos=tuple(Adjunto(d.nombre, d.tipo, d.contenido) for d in documentos),
            ),
            solicitud_id=s.id,
            clave=f"respaldo.{clave}",
            mailer=mailer,
            salida=salida,
            ahora=_momento(en) or puertos.clock.ahora(),
        )
        return envio, render.asunto

    hecho = una_vez.enviar_una_vez(puertos.idempotencia, reclamo, enviar_respaldo, lambda v: v[0].message_id or "")
    if hecho is None:
        return True
    envio, asunto = hecho

    def anotar() -> None:
        correo_saliente.anotar_suprimidas(
            puertos.repo, solicitud_id=s.id, entrada_id=reclamo, en=en, asunto=asunto, envio=envio
        )
        if envio.message_id:
            puertos.repo.agregar_historial(
                EntradaHistorial(
                    solicitud_id=s.id,
                    id=reclamo,
                    en=en,
                    tipo="correo",
                    resumen=f"Correo «{asunto}» enviado a {s.email} (respaldo del mensaje por {canal}).",
                    campos={"plantilla": "mensaje_no_entregado", "para": [s.email], "ses_message_id": envio.message_id},
                )
            )

    una_vez.tras_efecto(anotar, f"historial de {reclamo}")
    return envio.message_id is not None


# --- the executive writes ------------------------------------------------------------------------------------------

MAX_TEXTO_EJECUTIVO: Final = 1500


def texto_ejecutivo(texto: str) -> str:
    """The executive's message without surrounding blanks: 1 to ``MAX_TEXTO_EJECUTIVO`` characters, else
    DatosInvalidos on ``texto`` (checked by the console before it calls the service, and by the service)."""
    limpio = texto.strip()
    if not limpio or len(limpio) > MAX_TEXTO_EJECUTIVO:
        raise DatosInvalidos(
            {"texto": f"Escriba un mensaje de 1 a {MAX_TEXTO_EJECUTIVO} caracteres."}, "El mensaje no es válido."
        )
    return limpio


def escribir(
    solicitud_id: str, texto: str, *, actor: str, nombre_actor: str, referencia: str, puertos: PuertosMensajeria
) -> ResultadoMensaje:
    """The executive writes to the customer from the console: the message goes to the customer's channel under
    the same rules (``referencia``, the form's one-time id, makes a resubmitted form send nothing twice). Within
    24 hours of the customer's last message it answers them, so it goes even after an opt-out."""
    limpio = texto_ejecutivo(texto)
    s = puertos.repo.obtener(solicitud_id)
    conv = conversacion(s)
    ahora = puertos.clock.ahora()
    contexto = {"solicitud": vista_solicitud(s), "texto": limpio, "ejecutivo": nombre_actor}
    reciente = conv is not None and conv.ultimo_mensaje is not None and ahora - conv.ultimo_mensaje <= VENTANA_SERVICIO
    pedido = PedidoMensaje(
        solicitud=s,
        clave=f"ejecutivo.{referencia}",
        nombre="mensaje_ejecutivo",
        contexto=contexto,
        en=ahora.isoformat(),
        respuesta=reciente,
        actor=actor,
    )
    return enviar(pedido, puertos=puertos)


# --- delivery statuses ---------------------------------------------------------------------------------------------


def registrar_estado(
    canal: str,
    mensaje_id: str,
    estado: str,
    *,
    en: str,
    errores: Sequence[Mapping[str, Any]] = (),
    puertos: PuertosMensajeria,
) -> str | None:
    """A delivery status of a message we sent is added to its request's history once (statuses arrive twice and
    out of order: the shown status is the highest reached, ``failed`` terminal). A ``failed`` message falls back to
    email when its content did not go by email already. Returns the request id, or None if we did not send it."""
    saliente = puertos.salientes.saliente(canal, mensaje_id)
    if saliente is None:
        return None
    etiqueta = ETIQUETA_ESTADO.get(estado, estado)
    detalle = ""
    if estado == "failed" and errores:
        primero = errores[0]
        detalle = f" ({primero.get('code', '')}: {primero.get('title') or primero.get('message') or ''})"
    nuevo = puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=saliente.solicitud_id,
            id=f"estado#{canal}#{mensaje_id}#{estado}",
            en=en,
            tipo="estado_mensaje",
            resumen=f"Mensaje de {ETIQUETA_CANAL_MENSAJE.get(canal, canal)} {etiqueta}{detalle}.",
            canal=canal,
            campos={
                "canal": canal,
                "mensaje_id": mensaje_id,
                "wamid": mensaje_id,
                "estado": estado,
                "entrada_id": saliente.entrada_id,
                "errores": [dict(e) for e in errores],
            },
        )
    )
    if nuevo and estado == "failed" and not saliente.correo_enviado:
        _respaldo_de_fallido(saliente.solicitud_id, canal, mensaje_id, saliente.entrada_id, en, puertos)
    return saliente.solicitud_id


def _respaldo_de_fallido(
    solicitud_id: str, canal: str, mensaje_id: str, entrada_id: str, en: str, puertos: PuertosMensajeria
) -> None:
    s = puertos.repo.obtener(solicitud_id)
    original = next((e for e in puertos.repo.historial(solicitud_id) if e.id == entrada_id), None)
    texto = str(original.campos.get("texto") or "") if original else ""
    if not texto:
        return
    enviado = enviar_respaldo_correo(s, canal, texto, (), clave=f"{canal}.{mensaje_id}", en=en, puertos=puertos)
    if enviado:
        logger.info("respaldo por correo de un mensaje fallido", extra={"solicitud_id": s.id, "canal": canal})


def estado_actual(estados: Sequence[str]) -> str | None:
    """The status to show for a message from every status received: ``failed`` wins, else the highest of
    aceptado < sent < delivered < read (a late ``delivered`` never hides ``read``)."""
    if "failed" in estados:
        return "failed"
    conocidos = [e for e in estados if e in RANGO_ESTADO]
    return max(conocidos, key=lambda e: RANGO_ESTADO[e]) if conocidos else None


def estados_por_marca(
    s: Solicitud, historial: Sequence[EntradaHistorial], canal: str, marca: datetime, mids: Sequence[str] = ()
) -> list[str]:
    """Messenger reports delivery and read by watermark: every message we sent on ``canal`` to this person at or
    before ``marca`` (or exactly ``mids`` when given)."""
    if mids:
        return list(mids)
    ids: list[str] = []
    for entrada in historial:
        if entrada.tipo != "mensaje_saliente" or entrada.campos.get("canal") != canal:
            continue
        enviado = _momento(entrada.en)
        if enviado is not None and enviado <= marca:
            ids += [str(i) for i in entrada.campos.get("ids") or []]
    return ids
