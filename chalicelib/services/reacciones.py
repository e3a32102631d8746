"""Reactions to applied actions (read from the state-change stream): the emails and customer messages each step
sends.

Each reaction runs at most once per change: its key ``reaccion#<cambio>#<nombre>`` is claimed before sending
and completed with the provider's message id, so a redelivered stream record sends nothing twice. A reaction with
``mensaje`` also goes to the customer's own channel (``services.mensajeria``: the channel they last wrote on, under
the window and opt-out rules), claimed separately under ``mensaje#<cambio>.<nombre>``; the email goes as well when
the customer gave an address.

A signed link (``contextos``: offer, deposit, web payment, printing, delivery) decides as the person it is bound to,
so it reaches only that person: when such an email has copy recipients, the bound recipient's email carries the links
(its claim, Message-ID and reply token as always) and the copy recipients get a separate email rendered without them
(``copia``), claimed under ``reaccion#<cambio>#<nombre>#copia``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import Any, Final

from chalicelib.domain.events import ACCION_CAPTURA, ACCION_REDIGITACION, AccionAplicada
from chalicelib.domain.mensajeria import Boton, Documento
from chalicelib.domain.model import Buzones, EntradaHistorial, Solicitud
from chalicelib.domain.ports import (
    Adjunto,
    CorreoSaliente,
    GeneradorPdf,
    Idempotencia,
    Mailer,
    Plantillas,
    ProtectorDatos,
    SolicitudRepository,
)
from chalicelib.domain.states import Accion, Estado
from chalicelib.services import contextos, correo_saliente, documentos, mensajeria, una_vez
from chalicelib.services.correo_entrante import PROPOSITOS
from chalicelib.services.enlaces import PuertosEnlaces
from chalicelib.services.formulario import ACUSE_RETENIDO
from chalicelib.services.pagos import ConfigPagos
from chalicelib.services.vistas import url_consola, vista_cambio, vista_solicitud

logger = logging.getLogger(__name__)

SUFIJO_COPIA: Final = "copia"
"""Suffix of the claim, Message-ID key and history entry of the copy without signed links."""

Destinatarios = Callable[[Solicitud, Buzones], Sequence[str]]
Adjuntos = Callable[[Solicitud, AccionAplicada, "PuertosReaccion"], Sequence[Adjunto]]
ConstructorPdf = Callable[[Solicitud, str, GeneradorPdf, ProtectorDatos | None], Sequence[Adjunto]]
ContextoExtra = Callable[[Solicitud, AccionAplicada, "PuertosReaccion"], Mapping[str, Any]]
"""Extra template context built with the ports just before sending (signed links, amounts, account data)."""


@dataclass(frozen=True)
class Reaccion:
    """One email sent when an action is applied (with its attachments, built just before sending)."""

    nombre: str
    plantilla: str
    para: Destinatarios
    cc: Destinatarios = lambda s, b: ()
    adjuntos: Adjuntos | None = None
    contexto: ContextoExtra | None = None
    proposito: str | None = None
    """The email expects an answer: it carries a reply token of this purpose (``correo_entrante.PROPOSITOS``)."""
    mensaje: str | None = None
    """Also sent to the customer's channel with ``templates/mensaje/<mensaje>.txt`` (customer reactions only)."""
    botones: Callable[[Solicitud], tuple[Boton, ...]] | None = None
    """Quick-reply buttons of the channel message (their ids come back in the customer's tap)."""


def _cliente(s: Solicitud, _: Buzones) -> Sequence[str]:
    return (s.email,) if s.email else ()


def _cliente_acuse(s: Solicitud, b: Buzones) -> Sequence[str]:
    """The acknowledgement goes to the customer's address unless the web form withheld it (its daily limit per
    address and per phone, ``services.formulario``; the request's history says why)."""
    return () if s.origen.get(ACUSE_RETENIDO) else _cliente(s, b)


def _buzon(nombre: str) -> Destinatarios:
    return lambda _s, b: (getattr(b, nombre),)


def _cobranzas_si_valida_deposito(s: Solicitud, b: Buzones) -> Sequence[str]:
    """Collections hears of a bank notification only while it is validating that deposit."""
    return (b.cobranzas,) if s.estado == Estado.VALIDACION_DEPOSITO.value else ()


def _botones_oferta(s: Solicitud) -> tuple[Boton, ...]:
    """The Carta Comercial's answer buttons: a tap comes back as ``oferta:<id>:acepto`` / ``oferta:<id>:no``."""
    return (Boton(f"oferta:{s.id}:acepto", "Acepto"), Boton(f"oferta:{s.id}:no", "No me interesa"))


def _pdf(constructor: ConstructorPdf) -> Adjuntos:
    """A PDF of ``services.documentos`` as the attachment (none when no PDF generator is wired)."""

    def adjuntos(s: Solicitud, evento: AccionAplicada, puertos: PuertosReaccion) -> Sequence[Adjunto]:
        if puertos.pdf is None:
            return ()
        return constructor(s, evento.en, puertos.pdf, puertos.protector)

    return adjuntos


REACCIONES: Final[Mapping[str, tuple[Reaccion, ...]]] = {
    ACCION_CAPTURA: (
        Reaccion("acuse_cliente", "acuse_cliente", _cliente_acuse, mensaje="acuse_cliente"),
        Reaccion("aviso_ejecutivos", "aviso_ejecutivos", _buzon("ejecutivos")),
    ),
    ACCION_REDIGITACION: (Reaccion("aviso_redigitacion", "aviso_redigitacion", _buzon("ejecutivos")),),
    Accion.DERIVAR_EMPRESAS.value: (
        Reaccion("derivacion_empresas", "derivacion_empresas", _buzon("empresas"), _buzon("ejecutivos")),
        Reaccion("derivacion_cliente", "derivacion_cliente", _cliente, mensaje="derivacion_cliente"),
    ),
    Accion.SOLICITAR_CONFIRMACION_HD.value: (
        Reaccion("consulta_help_desk", "consulta_help_desk", _buzon("help_desk"), proposito="capacidad"),
    ),
    Accion.CONFIRMAR_CAPACIDAD.value: (Reaccion("capacidad_confirmada", "capacidad_respondida", _buzon("ejecutivos")),),
    Accion.NEGAR_CAPACIDAD.value: (
        Reaccion("capacidad_negada", "capacidad_respondida", _buzon("ejecutivos"), _buzon("responsable_canales")),
        Reaccion("sin_servicio_cliente", "sin_servicio_cliente", _cliente, mensaje="sin_servicio_cliente"),
    ),
    Accion.CERRAR_SIN_COBERTURA.value: (
        Reaccion("no_atendida_rc", "no_atendida", _buzon("responsable_canales")),
        Reaccion("sin_servicio_cliente", "sin_servicio_cliente", _cliente, mensaje="sin_servicio_cliente"),
    ),
    Accion.ENVIAR_OFERTA.value: (
        Reaccion(
            "carta_comercial",
            "carta_comercial",
            _cliente,
            _buzon("ejecutivos"),
            adjuntos=_pdf(documentos.carta_comercial),
            contexto=contextos.contexto_carta_comercial,
            proposito="oferta",
            mensaje="carta_comercial",
            botones=_botones_oferta,
        ),
    ),
    Accion.RECHAZAR_OFERTA.value: (Reaccion("no_atendida_rc", "no_atendida", _buzon("responsable_canales")),),
    Accion.ACEPTAR_OFERTA.value: (
        Reaccion(
            "requisitos_cliente",
            "requisitos_cliente",
            _cliente,
            _buzon("ejecutivos"),
            adjuntos=_pdf(documentos.carta_solicitud),
            proposito="requisitos",
            mensaje="requisitos_cliente",
        ),
    ),
    Accion.DIGITAR_VENTA.value: (
        Reaccion("venta_digitada", "venta_digitada", _buzon("ejecutivos"), adjuntos=_pdf(documentos.contrato)),
    ),
    Accion.ELEGIR_PREPAGO.value: (
        Reaccion(
            "instrucciones_pago",
            "instrucciones_pago",
            _cliente,
            _buzon("ejecutivos"),
            contexto=contextos.contexto_instrucciones_pago,
            mensaje="instrucciones_pago",
        ),
    ),
    Accion.ELEGIR_POSPAGO.value: (
        Reaccion("control_facturacion", "control_facturacion", _buzon("facturacion"), _buzon("ejecutivos")),
    ),
    Accion.REGISTRAR_COMPROBANTE.value: (
        Reaccion(
            "validar_deposito",
            "validar_deposito",
            _buzon("cobranzas"),
            contexto=contextos.contexto_validar_deposito,
            proposito="deposito",
        ),
        Reaccion("comprobante_recibido", "comprobante_recibido", _cliente, mensaje="comprobante_recibido"),
    ),
    Accion.REGISTRAR_NOTIFICACION_BANCO.value: (
        Reaccion(
            "notificacion_banco",
            "notificacion_banco",
            _cobranzas_si_valida_deposito,
            contexto=contextos.contexto_validar_deposito,
        ),
    ),
    Accion.REGISTRAR_PAGO_WEB.value: (
        Reaccion(
            "validar_pago_web",
            "validar_pago_web",
            _buzon("cobranzas"),
            contexto=contextos.contexto_validar_pago_web,
            proposito="pago_web",
        ),
    ),
    Accion.APROBAR_DEPOSITO.value: (
        Reaccion(
            "instruccion_cajas",
            "instruccion_cajas",
            _buzon("cajas"),
            _buzon("ejecutivos"),
            contexto=contextos.contexto_instruccion_cajas,
        ),
    ),
    Accion.MARCAR_IMPRESA.value: (
        Reaccion("entrega_factura", "entrega_factura", _buzon("cajas"), contexto=contextos.contexto_entrega),
    ),
    Accion.RECHAZAR_DEPOSITO.value: (Reaccion("pago_rechazado", "pago_rechazado", _buzon("ejecutivos")),),
    Accion.RECHAZAR_PAGO_WEB.value: (Reaccion("pago_rechazado", "pago_rechazado", _buzon("ejecutivos")),),
    Accion.CONFIRMAR_PAGO_WEB.value: (Reaccion("pago_web_confirmado", "pago_web_confirmado", _buzon("ejecutivos")),),
    Accion.ENVIAR_FACTURA.value: (
        Reaccion(
            "factura_cliente",
            "factura_cliente",
            _cliente,
            _buzon("ejecutivos"),
            adjuntos=_pdf(documentos.factura),
            mensaje="factura_cliente",
        ),
    ),
    Accion.MARCAR_ENTREGADA.value: (
        Reaccion("venta_cerrada", "venta_cerrada", _buzon("ejecutivos")),
        Reaccion(
            "factura_cliente", "factura_cliente", _cliente, adjuntos=_pdf(documentos.factura), mensaje="factura_cliente"
        ),
    ),
    Accion.REGISTRAR_CONTROL_RECURRENTE.value: (Reaccion("venta_cerrada", "venta_cerrada", _buzon("ejecutivos")),),
    Accion.ANULAR.value: (
        Reaccion("venta_anulada", "venta_anulada", _buzon("responsable_canales"), _buzon("ejecutivos")),
    ),
}
"""Which emails each action sends. Add a reaction here and a template pair under templates/email/."""


@dataclass(frozen=True)
class PuertosReaccion:
    repo: SolicitudRepository
    mailer: Mailer
    plantillas: Plantillas
    idempotencia: Idempotencia
    buzones: Buzones
    url_publica: str
    pdf: GeneradorPdf | None = None
    protector: ProtectorDatos | None = None
    enlaces: PuertosEnlaces | None = None
    pagos: ConfigPagos | None = None
    salida: correo_saliente.SalidaCorreo | None = None
    mensajeria: mensajeria.PuertosMensajeria | None = None


def reaccionar(evento: AccionAplicada, *, puertos: PuertosReaccion) -> list[str]:
    """Send every email the action calls for, once; returns the names of the reactions that sent now."""
    reacciones = REACCIONES.get(evento.accion, ())
    if not reacciones:
        return []
    solicitud = puertos.repo.obtener(evento.solicitud_id)
    enviadas = []
    for reaccion in reacciones:
        if _ejecutar(reaccion, evento, solicitud, puertos):
            enviadas.append(reaccion.nombre)
    return enviadas


class _Preparacion:
    """The template context and attachments of one reaction, built once (signed links are issued by the context
    builders) and shared by the email and the channel message; only built when something is about to be sent."""

    def __init__(self, reaccion: Reaccion, evento: AccionAplicada, s: Solicitud, puertos: PuertosReaccion) -> None:
        self._reaccion, self._evento, self._s, self._puertos = reaccion, evento, s, puertos

    def _construir(self, puertos: PuertosReaccion) -> dict[str, Any]:
        contexto = contexto_correo(self._s, self._evento, puertos.buzones, puertos.url_publica)
        if self._reaccion.contexto is not None:
            contexto.update(self._reaccion.contexto(self._s, self._evento, puertos))
        return contexto

    @cached_property
    def contexto(self) -> dict[str, Any]:
        return self._construir(self._puertos)

    def copia(self, para: Sequence[str]) -> dict[str, Any]:
        """The context of the copy, marked ``copia``: the main email's context without its links when it was built
        in this run, else built without link ports (a redelivered change issues no link for a copy)."""
        if "contexto" in self.__dict__:
            contexto = self.contexto
        else:
            contexto = self._construir(replace(self._puertos, enlaces=None))
        return contextos.copia_sin_enlaces(contexto) | {"enlace_para": ", ".join(para)}

    @cached_property
    def adjuntos(self) -> tuple[Adjunto, ...]:
        if self._reaccion.adjuntos is None:
            return ()
        return tuple(self._reaccion.adjuntos(self._s, self._evento, self._puertos))


def _ejecutar(reaccion: Reaccion, evento: AccionAplicada, s: Solicitud, puertos: PuertosReaccion) -> bool:
    preparacion = _Preparacion(reaccion, evento, s, puertos)
    enviada = _correo(reaccion, evento, s, puertos, preparacion)
    if reaccion.mensaje and puertos.mensajeria is not None:
        resultado = _mensaje(reaccion, evento, s, puertos.mensajeria, preparacion)
        enviada = enviada or resultado.enviado
    return enviada


def _mensaje(
    reaccion: Reaccion,
    evento: AccionAplicada,
    s: Solicitud,
    puertos: mensajeria.PuertosMensajeria,
    preparacion: _Preparacion,
) -> mensajeria.ResultadoMensaje:
    conversacion = mensajeria.conversacion(s)
    if conversacion is None or conversacion.destino.canal not in puertos.canales:
        return mensajeria.ResultadoMensaje("sin_canal")
    pedido = mensajeria.PedidoMensaje(
        solicitud=s,
        clave=f"{evento.cambio_id}.{reaccion.nombre}",
        nombre=reaccion.mensaje or reaccion.plantilla,
        contexto=preparacion.contexto,
        en=evento.en,
        documentos=tuple(Documento(a.nombre, a.tipo, a.contenido) for a in preparacion.adjuntos if not a.content_id),
        botones=reaccion.botones(s) if reaccion.botones else (),
        respuesta=evento.canal == conversacion.destino.canal,
        correo_enviado=bool(s.email) and reaccion.para in (_cliente, _cliente_acuse),
    )
    return mensajeria.enviar(pedido, puertos=puertos)


def _correo(
    reaccion: Reaccion, evento: AccionAplicada, s: Solicitud, puertos: PuertosReaccion, preparacion: _Preparacion
) -> bool:
    """The reaction's email. When its context builder issues signed links (``contextos.CON_ENLACES``, bound to the
    main recipient) and it has copy recipients, the copy goes as a separate email without the links (``_copia``): a
    link reaches only the person it binds, so nobody else can decide in their name."""
    para = tuple(reaccion.para(s, puertos.buzones))
    if not para:
        logger.info("reaccion sin destinatario", extra={"solicitud_id": s.id, "reaccion": reaccion.nombre})
        return False
    cc = tuple(c for c in reaccion.cc(s, puertos.buzones) if c not in para)
    separar = bool(cc) and reaccion.contexto in contextos.CON_ENLACES
    clave = f"reaccion#{evento.cambio_id}#{reaccion.nombre}"
    enviada = _enviar_una_vez(
        clave,
        reaccion,
        evento,
        s,
        puertos,
        para=para,
        cc=() if separar else cc,
        contexto=lambda: preparacion.contexto,
        adjuntos=lambda: preparacion.adjuntos,
        clave_mensaje=f"{evento.cambio_id}.{reaccion.nombre}",
        entrada_id=f"{evento.cambio_id}#{reaccion.nombre}",
        pregunta=PROPOSITOS[reaccion.proposito].pregunta() if reaccion.proposito else None,
    )
    if separar and puertos.idempotencia.resultado(clave):
        _copia(reaccion, evento, s, puertos, preparacion, para, cc)
    return enviada


def _copia(
    reaccion: Reaccion,
    evento: AccionAplicada,
    s: Solicitud,
    puertos: PuertosReaccion,
    preparacion: _Preparacion,
    para: tuple[str, ...],
    cc: tuple[str, ...],
) -> bool:
    """The copy for the people the signed links are not bound to: the same template without the links (``copia``),
    no reply token, its own claim, Message-ID and history entry; sent once the main email went (a redelivered
    change sends a copy that failed before, and never a second one)."""
    return _enviar_una_vez(
        f"reaccion#{evento.cambio_id}#{reaccion.nombre}#{SUFIJO_COPIA}",
        reaccion,
        evento,
        s,
        puertos,
        para=cc,
        cc=(),
        contexto=lambda: preparacion.copia(para),
        adjuntos=lambda: preparacion.adjuntos,
        clave_mensaje=f"{evento.cambio_id}.{reaccion.nombre}.{SUFIJO_COPIA}",
        entrada_id=f"{evento.cambio_id}#{reaccion.nombre}#{SUFIJO_COPIA}",
        pregunta=None,
        copia=True,
    )


def _enviar_una_vez(
    clave: str,
    reaccion: Reaccion,
    evento: AccionAplicada,
    s: Solicitud,
    puertos: PuertosReaccion,
    *,
    para: tuple[str, ...],
    cc: tuple[str, ...],
    contexto: Callable[[], Mapping[str, Any]],
    adjuntos: Callable[[], tuple[Adjunto, ...]],
    clave_mensaje: str,
    entrada_id: str,
    pregunta: correo_saliente.Pregunta | None,
    copia: bool = False,
) -> bool:
    """Claim ``clave``, then build the context (issuing any link), render and send one email, complete the claim
    with the provider's id and record it. An email carrying signed links never has copy recipients."""

    def enviar() -> tuple[correo_saliente.Envio, str]:
        nonlocal cc
        valores = contexto()
        if cc and contextos.tiene_enlaces_firmados(valores):
            logger.error(
                "enlaces firmados con copia: copia omitida",
                extra={"solicitud_id": s.id, "reaccion": reaccion.nombre},
            )
            cc = ()
        render = puertos.plantillas.correo(reaccion.plantilla, valores)
        correo = CorreoSaliente(
            para=para,
            cc=cc,
            asunto=render.asunto,
            texto=render.texto,
            html=render.html,
            cabeceras={"X-VD-Solicitud": s.id, "X-VD-Reaccion": reaccion.nombre + (".copia" if copia else "")},
            adjuntos=adjuntos(),
        )
        envio = correo_saliente.enviar(
            correo,
            solicitud_id=s.id,
            clave=clave_mensaje,
            mailer=puertos.mailer,
            salida=puertos.salida,
            ahora=datetime.fromisoformat(evento.en),
            pregunta=pregunta,
        )
        return envio, render.asunto

    hecho = una_vez.enviar_una_vez(puertos.idempotencia, clave, enviar, lambda v: v[0].message_id or "")
    if hecho is None:  # already sent (or being sent): make sure its history entry is there
        message_id = puertos.idempotencia.resultado(clave)
        if message_id:
            _anotar(reaccion, evento, s, para, message_id, puertos, entrada_id=entrada_id, copia=copia)
        return False
    envio, asunto = hecho
    una_vez.tras_efecto(
        lambda: correo_saliente.anotar_suprimidas(
            puertos.repo, solicitud_id=s.id, entrada_id=entrada_id, en=evento.en, asunto=asunto, envio=envio
        ),
        f"suprimidas de {clave}",
    )
    if envio.message_id is None:
        return False
    message_id = envio.message_id
    una_vez.tras_efecto(
        lambda: _anotar(
            reaccion, evento, s, envio.para, message_id, puertos, asunto, entrada_id=entrada_id, copia=copia
        ),
        f"historial de {clave}",
    )
    return True


def _anotar(
    reaccion: Reaccion,
    evento: AccionAplicada,
    s: Solicitud,
    para: Sequence[str],
    message_id: str,
    puertos: PuertosReaccion,
    asunto: str = "",
    *,
    entrada_id: str,
    copia: bool = False,
) -> None:
    campos: dict[str, Any] = {"plantilla": reaccion.plantilla, "para": list(para), "ses_message_id": message_id}
    if copia:
        campos["copia_sin_enlaces"] = True
    que = "Copia informativa (sin enlaces firmados) del correo" if copia else "Correo"
    puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=s.id,
            id=entrada_id,
            en=evento.en,
            tipo="correo",
            resumen=f"{que} «{asunto or reaccion.plantilla}» enviado a {', '.join(para)}.",
            campos=campos,
        )
    )


def contexto_correo(s: Solicitud, evento: AccionAplicada, buzones: Buzones, url_publica: str) -> dict[str, Any]:
    """The plain view every email template receives (never a storage item)."""
    return {
        "solicitud": vista_solicitud(s),
        "cambio": vista_cambio(evento),
        "buzones": buzones.como_dict(),
        "url_solicitud": url_consola(url_publica, s.id),
        "url_contrato": url_consola(url_publica, s.id, "contrato"),
        "url_formulario": f"{url_publica}/solicitud",
    }
