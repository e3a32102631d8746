"""Email event handlers: SES inbound (receipt rule Lambda action), SES bounces and complaints (SNS), and the
Help Desk follow-up schedule. Each handler parses its event into a command and makes one service call.

SES receipt rule (see README, "Email"): an S3 action stores the raw MIME under ``correo/<messageId>`` in the
``entrantes`` bucket, then a Lambda action invokes ``on_correo_entrante`` with the headers and verdicts (no body).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Rate, SNSEvent

from chalicelib.bootstrap import get_services
from chalicelib.config import topico_notificaciones_ses
from chalicelib.domain.commands import RecibirCorreo, RegistrarNotificacionCorreo
from chalicelib.domain.correo import VEREDICTOS
from chalicelib.observability import logger
from chalicelib.services.una_vez import entrega

correo = Blueprint(__name__)


@correo.lambda_function(name="on_correo_entrante")
def on_correo_entrante(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One inbound email per SES record: correlated, authorised and applied once (see services/correo_entrante)."""
    resultados = []
    for registro in event.get("Records") or []:
        cmd = comando_recepcion(registro)
        if cmd is None:
            logger.warning("registro de correo ignorado", extra={"fuente": registro.get("eventSource")})
            continue
        logger.append_keys(ses_message_id=cmd.message_id)
        with entrega(f"correo#{cmd.message_id}"):
            resultado = get_services().recibir_correo(cmd)
        resultados.append({"message_id": cmd.message_id, **asdict(resultado)})
    return {"disposition": "CONTINUE", "resultados": resultados}


@correo.on_sns_message(topic=topico_notificaciones_ses())
def on_notificacion_ses(event: SNSEvent) -> dict[str, Any]:
    """A bounce or complaint SES published: recorded on the request; hard bounces and complaints are suppressed."""
    try:
        notificacion = json.loads(event.message)
    except (TypeError, ValueError):
        logger.warning("notificacion SES ilegible")
        return {"suprimidas": []}
    cmd = comando_notificacion(notificacion) if isinstance(notificacion, dict) else None
    if cmd is None:
        return {"suprimidas": []}
    return {"suprimidas": get_services().registrar_notificacion_correo(cmd)}


@correo.schedule(Rate(15, unit=Rate.MINUTES))
def remind_help_desk(event: CloudWatchEvent) -> dict[str, Any]:
    """Unanswered capacity questions: one reminder to the Help Desk, then one escalation to the team lead."""
    with entrega(f"programa#{event.event_id}"):
        return get_services().recordar_help_desk()


def comando_recepcion(registro: Mapping[str, Any]) -> RecibirCorreo | None:
    """The SES receipt record (``Records[].ses``: ``mail`` and ``receipt``) as a RecibirCorreo command."""
    if registro.get("eventSource") != "aws:ses":
        return None
    ses = registro.get("ses") or {}
    mail, recibo = ses.get("mail") or {}, ses.get("receipt") or {}
    message_id = str(mail.get("messageId") or "")
    if not message_id:
        return None
    veredictos = {v: str((recibo.get(f"{v}Verdict") or {}).get("status", "")) for v in VEREDICTOS}
    destinatarios = tuple(str(d).lower() for d in (recibo.get("recipients") or mail.get("destination") or []))
    return RecibirCorreo(
        message_id=message_id,
        veredictos=veredictos,
        destinatarios=destinatarios,
        remitente_sobre=str(mail.get("source") or ""),
    )


def comando_notificacion(n: Mapping[str, Any]) -> RegistrarNotificacionCorreo | None:
    """An SES notification (``notificationType``, or ``eventType`` with configuration-set event publishing) as a
    command; deliveries and unknown types are None. Parsed leniently: SES may add fields."""
    tipo = str(n.get("notificationType") or n.get("eventType") or "")
    mail = n.get("mail") or {}
    cabeceras = {str(h.get("name", "")).lower(): str(h.get("value", "")) for h in mail.get("headers") or []}
    message_id = str(mail.get("messageId") or "")
    solicitud_id = cabeceras.get("x-vd-solicitud") or None
    if tipo == "Bounce":
        rebote = n.get("bounce") or {}
        destinatarios = rebote.get("bouncedRecipients") or []
        diagnostico = next((str(d.get("diagnosticCode")) for d in destinatarios if d.get("diagnosticCode")), "")
        return RegistrarNotificacionCorreo(
            tipo="rebote",
            direcciones=tuple(str(d["emailAddress"]) for d in destinatarios if d.get("emailAddress")),
            en=str(rebote.get("timestamp") or mail.get("timestamp") or ""),
            referencia=str(rebote.get("feedbackId") or message_id),
            permanente=rebote.get("bounceType") == "Permanent",
            detalle=" ".join(p for p in (str(rebote.get("bounceSubType") or ""), diagnostico) if p),
            message_id=message_id,
            solicitud_id=solicitud_id,
        )
    if tipo == "Complaint":
        queja = n.get("complaint") or {}
        destinatarios = queja.get("complainedRecipients") or []
        return RegistrarNotificacionCorreo(
            tipo="queja",
            direcciones=tuple(str(d["emailAddress"]) for d in destinatarios if d.get("emailAddress")),
            en=str(queja.get("timestamp") or mail.get("timestamp") or ""),
            referencia=str(queja.get("feedbackId") or message_id),
            permanente=True,
            detalle=str(queja.get("complaintFeedbackType") or ""),
            message_id=message_id,
            solicitud_id=solicitud_id,
        )
    return None
