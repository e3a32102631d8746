"""Offer, documents and Smartflex at the edge: the printable contract for staff and the requirements reminders.

``application/pdf`` is a binary type of the app (app.py), so API Gateway returns the PDF bytes to a client that
sends ``Accept: application/pdf`` (any browser link does).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Cron, Response

from chalicelib.bootstrap import get_services
from chalicelib.handlers.http import http_errors, usuario_actual
from chalicelib.observability import logger
from chalicelib.services.una_vez import entrega

venta = Blueprint(__name__)


@venta.route("/solicitudes/{solicitud_id}/contrato", methods=["GET"])
@http_errors
def get_contract(solicitud_id: str) -> Response:
    usuario = usuario_actual(venta.current_request)
    documento = get_services().contrato_pdf(solicitud_id, usuario.roles)
    logger.append_keys(solicitud_id=solicitud_id)
    return Response(
        body=documento.contenido,
        status_code=200,
        headers={
            "Content-Type": documento.tipo,
            "Content-Disposition": f'inline; filename="{documento.nombre}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@venta.schedule(Cron(0, 14, "?", "*", "MON-SAT", "*"))
def remind_requirements(event: CloudWatchEvent) -> dict[str, Any]:
    """Step 9: every business morning (10:00 La Paz), one reminder per customer whose requirements are late."""
    with entrega(f"programa#{event.event_id}"):
        return {"recordadas": get_services().recordar_requisitos()}
