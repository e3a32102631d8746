"""Reactions to applied actions (read from the state-change stream): the emails each step sends.

Each reaction runs at most once per change: its key ``reaccion#<cambio>#<nombre>`` is claimed before sending
and completed with the provider's message id, so a redelivered stream record sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.events import ACCION_CAPTURA, ACCION_REDIGITACION, AccionAplicada
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
from chalicelib.domain.states import Accion
from chalicelib.services import correo_saliente, documentos, oferta, pagos
from chalicelib.services.correo_entrante import PROPOSITOS
from chalicelib.services.enlaces import PuertosEnlaces
from chalicelib.services.pagos import ConfigPagos
from chalicelib.services.vistas import url_consola, vista_cambio, vista_solicitud

logger = logging.getLogger(__name__)

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


def _cliente(s: Solicitud, _: Buzones) -> Sequence[str]:
    return (s.email,) if s.email else ()


def _buzon(nombre: str) -> Destinatarios:
    return lambda _s, b: (getattr(b, nombre),)


def _pdf(constructor: ConstructorPdf) -> Adjuntos:
    """A PDF of ``services.documentos`` as the attachment (none when no PDF generator is wired)."""

    def adjuntos(s: Solicitud, evento: AccionAplicada, puertos: PuertosReaccion) -> Sequence[Adjunto]:
        if puertos.pdf is None:
            return ()
        return constructor(s, evento.en, puertos.pdf, puertos.protector)

    return adjuntos


REACCIONES: Final[Mapping[str, tuple[Reaccion, ...]]] = {
    ACCION_CAPTURA: (
        Reaccion("acuse_cliente", "acuse_cliente", _cliente),
        Reaccion("aviso_ejecutivos", "aviso_ejecutivos", _buzon("ejecutivos")),
    ),
    ACCION_REDIGITACION: (Reaccion("aviso_redigitacion", "aviso_redigitacion", _buzon("ejecutivos")),),
    Accion.DERIVAR_EMPRESAS.value: (
        Reaccion("derivacion_empresas", "derivacion_empresas", _buzon("empresas"), _buzon("ejecutivos")),
        Reaccion("derivacion_cliente", "derivacion_cliente", _cliente),
    ),
    Accion.SOLICITAR_CONFIRMACION_HD.value: (
        Reaccion("consulta_help_desk", "consulta_help_desk", _buzon("help_desk"), proposito="capacidad"),
    ),
    Accion.CONFIRMAR_CAPACIDAD.value: (Reaccion("capacidad_confirmada", "capacidad_respondida", _buzon("ejecutivos")),),
    Accion.NEGAR_CAPACIDAD.value: (
        Reaccion("capacidad_negada", "capacidad_respondida", _buzon("ejecutivos"), _buzon("responsable_canales")),
    ),
    Accion.CERRAR_SIN_COBERTURA.value: (Reaccion("no_atendida_rc", "no_atendida", _buzon("responsable_canales")),),
    Accion.ENVIAR_OFERTA.value: (
        Reaccion(
            "carta_comercial",
            "carta_comercial",
            _cliente,
            _buzon("ejecutivos"),
            adjuntos=_pdf(documentos.carta_comercial),
            contexto=oferta.contexto_carta_comercial,
            proposito="oferta",
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
            contexto=pagos.contexto_instrucciones_pago,
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
            contexto=pagos.contexto_validar_deposito,
            proposito="deposito",
        ),
    ),
    Accion.REGISTRAR_NOTIFICACION_BANCO.value: (
        Reaccion(
            "notificacion_banco",
            "notificacion_banco",
            pagos.cobranzas_si_valida_deposito,
            contexto=pagos.contexto_validar_deposito,
        ),
    ),
    Accion.REGISTRAR_PAGO_WEB.value: (
        Reaccion(
            "validar_pago_web",
            "validar_pago_web",
            _buzon("cobranzas"),
            contexto=pagos.contexto_validar_pago_web,
            proposito="pago_web",
        ),
    ),
    Accion.APROBAR_DEPOSITO.value: (
        Reaccion(
            "instruccion_cajas",
            "instruccion_cajas",
            _buzon("cajas"),
            _buzon("ejecutivos"),
            contexto=pagos.contexto_instruccion_cajas,
        ),
    ),
    Accion.MARCAR_IMPRESA.value: (
        Reaccion("entrega_factura", "entrega_factura", _buzon("cajas"), contexto=pagos.contexto_entrega),
    ),
    Accion.RECHAZAR_DEPOSITO.value: (Reaccion("pago_rechazado", "pago_rechazado", _buzon("ejecutivos")),),
    Accion.RECHAZAR_PAGO_WEB.value: (Reaccion("pago_rechazado", "pago_rechazado", _buzon("ejecutivos")),),
    Accion.CONFIRMAR_PAGO_WEB.value: (Reaccion("pago_web_confirmado", "pago_web_confirmado", _buzon("ejecutivos")),),
    Accion.ENVIAR_FACTURA.value: (
        Reaccion(
            "factura_cliente", "factura_cliente", _cliente, _buzon("ejecutivos"), adjuntos=_pdf(documentos.factura)
        ),
    ),
    Accion.MARCAR_ENTREGADA.value: (Reaccion("venta_cerrada", "venta_cerrada", _buzon("ejecutivos")),),
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


def _ejecutar(reaccion: Reaccion, evento: AccionAplicada, s: Solicitud, puertos: PuertosReaccion) -> bool:
    para = tuple(reaccion.para(s, puertos.buzones))
    if not para:
        logger.info("reaccion sin destinatario", extra={"solicitud_id": s.id, "reaccion": reaccion.nombre})
        return False
    clave = f"reaccion#{evento.cambio_id}#{reaccion.nombre}"
    if not puertos.idempotencia.reclamar(clave):
        message_id = puertos.idempotencia.resultado(clave)
        if message_id:
            _anotar(reaccion, evento, s, para, message_id, puertos)
        return False
    contexto = contexto_correo(s, evento, puertos.buzones, puertos.url_publica)
    try:
        if reaccion.contexto is not None:
            contexto.update(reaccion.contexto(s, evento, puertos))
        render = puertos.plantillas.correo(reaccion.plantilla, contexto)
        correo = CorreoSaliente(
            para=para,
            cc=tuple(c for c in reaccion.cc(s, puertos.buzones) if c not in para),
            asunto=render.asunto,
            texto=render.texto,
            html=render.html,
            cabeceras={"X-VD-Solicitud": s.id, "X-VD-Reaccion": reaccion.nombre},
            adjuntos=tuple(reaccion.adjuntos(s, evento, puertos)) if reaccion.adjuntos else (),
        )
        envio = correo_saliente.enviar(
            correo,
            solicitud_id=s.id,
            clave=f"{evento.cambio_id}.{reaccion.nombre}",
            mailer=puertos.mailer,
            salida=puertos.salida,
            ahora=datetime.fromisoformat(evento.en),
            pregunta=PROPOSITOS[reaccion.proposito].pregunta() if reaccion.proposito else None,
        )
    except Exception:
        puertos.idempotencia.liberar(clave)
        raise
    puertos.idempotencia.completar(clave, envio.message_id or "")
    entrada_id = f"{evento.cambio_id}#{reaccion.nombre}"
    correo_saliente.anotar_suprimidas(
        puertos.repo, solicitud_id=s.id, entrada_id=entrada_id, en=evento.en, asunto=render.asunto, envio=envio
    )
    if envio.message_id is None:
        return False
    _anotar(reaccion, evento, s, envio.para, envio.message_id, puertos, render.asunto)
    return True


def _anotar(
    reaccion: Reaccion,
    evento: AccionAplicada,
    s: Solicitud,
    para: Sequence[str],
    message_id: str,
    puertos: PuertosReaccion,
    asunto: str = "",
) -> None:
    puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=s.id,
            id=f"{evento.cambio_id}#{reaccion.nombre}",
            en=evento.en,
            tipo="correo",
            resumen=f"Correo «{asunto or reaccion.plantilla}» enviado a {', '.join(para)}.",
            campos={"plantilla": reaccion.plantilla, "para": list(para), "ses_message_id": message_id},
        )
    )


def contexto_correo(s: Solicitud, evento: AccionAplicada, buzones: Buzones, url_publica: str) -> dict[str, Any]:
    """The plain view every email template receives (never a storage item)."""
    return {
        "solicitud": vista_solicitud(s),
        "cambio": vista_cambio(evento),
        "buzones": buzones.como_dict(),
        "url_solicitud": url_consola(url_publica, s.id),
        "url_formulario": f"{url_publica}/solicitud",
    }
