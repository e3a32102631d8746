"""Reactions to applied actions (read from the state-change stream): the emails each step sends.

Each reaction runs at most once per change: its key ``reaccion#<cambio>#<nombre>`` is claimed before sending
and completed with the provider's message id, so a redelivered stream record sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from chalicelib.domain.events import ACCION_CAPTURA, ACCION_REDIGITACION, AccionAplicada
from chalicelib.domain.model import Buzones, EntradaHistorial, Solicitud
from chalicelib.domain.ports import CorreoSaliente, Idempotencia, Mailer, Plantillas, SolicitudRepository
from chalicelib.domain.states import Accion
from chalicelib.services.vistas import vista_cambio, vista_solicitud

logger = logging.getLogger(__name__)

Destinatarios = Callable[[Solicitud, Buzones], Sequence[str]]


@dataclass(frozen=True)
class Reaccion:
    """One email sent when an action is applied."""

    nombre: str
    plantilla: str
    para: Destinatarios
    cc: Destinatarios = lambda s, b: ()


def _cliente(s: Solicitud, _: Buzones) -> Sequence[str]:
    return (s.email,) if s.email else ()


def _buzon(nombre: str) -> Destinatarios:
    return lambda _s, b: (getattr(b, nombre),)


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
        Reaccion("consulta_help_desk", "consulta_help_desk", _buzon("help_desk")),
    ),
    Accion.CONFIRMAR_CAPACIDAD.value: (Reaccion("capacidad_confirmada", "capacidad_respondida", _buzon("ejecutivos")),),
    Accion.NEGAR_CAPACIDAD.value: (
        Reaccion("capacidad_negada", "capacidad_respondida", _buzon("ejecutivos"), _buzon("responsable_canales")),
    ),
    Accion.CERRAR_SIN_COBERTURA.value: (Reaccion("no_atendida_rc", "no_atendida", _buzon("responsable_canales")),),
    Accion.ENVIAR_OFERTA.value: (Reaccion("carta_comercial", "carta_comercial", _cliente, _buzon("ejecutivos")),),
    Accion.RECHAZAR_OFERTA.value: (Reaccion("no_atendida_rc", "no_atendida", _buzon("responsable_canales")),),
    Accion.ACEPTAR_OFERTA.value: (
        Reaccion("requisitos_cliente", "requisitos_cliente", _cliente, _buzon("ejecutivos")),
    ),
    Accion.DIGITAR_VENTA.value: (Reaccion("venta_digitada", "venta_digitada", _buzon("ejecutivos")),),
    Accion.ELEGIR_PREPAGO.value: (
        Reaccion("instrucciones_pago", "instrucciones_pago", _cliente, _buzon("ejecutivos")),
    ),
    Accion.ELEGIR_POSPAGO.value: (
        Reaccion("control_facturacion", "control_facturacion", _buzon("facturacion"), _buzon("ejecutivos")),
    ),
    Accion.REGISTRAR_COMPROBANTE.value: (Reaccion("validar_deposito", "validar_deposito", _buzon("cobranzas")),),
    Accion.REGISTRAR_PAGO_WEB.value: (Reaccion("validar_pago_web", "validar_pago_web", _buzon("cobranzas")),),
    Accion.APROBAR_DEPOSITO.value: (
        Reaccion("instruccion_cajas", "instruccion_cajas", _buzon("cajas"), _buzon("ejecutivos")),
    ),
    Accion.RECHAZAR_DEPOSITO.value: (Reaccion("pago_rechazado", "pago_rechazado", _buzon("ejecutivos")),),
    Accion.RECHAZAR_PAGO_WEB.value: (Reaccion("pago_rechazado", "pago_rechazado", _buzon("ejecutivos")),),
    Accion.CONFIRMAR_PAGO_WEB.value: (Reaccion("pago_web_confirmado", "pago_web_confirmado", _buzon("ejecutivos")),),
    Accion.ENVIAR_FACTURA.value: (Reaccion("factura_cliente", "factura_cliente", _cliente, _buzon("ejecutivos")),),
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
        render = puertos.plantillas.correo(reaccion.plantilla, contexto)
        correo = CorreoSaliente(
            para=para,
            cc=tuple(c for c in reaccion.cc(s, puertos.buzones) if c not in para),
            asunto=render.asunto,
            texto=render.texto,
            html=render.html,
            cabeceras={"X-VD-Solicitud": s.id, "X-VD-Reaccion": reaccion.nombre},
        )
        message_id = puertos.mailer.enviar(correo)
    except Exception:
        puertos.idempotencia.liberar(clave)
        raise
    puertos.idempotencia.completar(clave, message_id)
    _anotar(reaccion, evento, s, para, message_id, puertos, render.asunto)
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
        "url_solicitud": f"{url_publica}/solicitudes/{s.id}",
        "url_formulario": f"{url_publica}/solicitud",
    }
