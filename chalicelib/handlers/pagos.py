"""Payments and approvals (steps 10-18): the payment gateway's signed callback, the signed approval links of
Collections and the cashier, and Facturación's recurring-control list.

``/aprobaciones/{token}``: GET only shows the confirmation page (mail scanners open links; nothing is written);
POST decides once. Every answer is an HTML page with ``Cache-Control: no-store`` and ``Referrer-Policy:
no-referrer``; logs carry the approval id, never the token.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import get_services
from chalicelib.domain.enlaces import DecisionNoPermitida, EnlaceInvalido, EnlaceNoEncontrado, EnlaceVencido
from chalicelib.domain.errors import (
    AccionRechazada,
    ConflictoConcurrente,
    DatosInvalidos,
    DomainError,
    EstadoInvalido,
    SmartflexRechazo,
    SolicitudNoEncontrada,
)
from chalicelib.domain.pagos import RecibirCallbackPago
from chalicelib.handlers.http import (
    EntradaInvalida,
    cuerpo_crudo,
    cuerpo_formulario,
    html_response,
    http_errors,
    json_response,
    parametro,
    usuario_actual,
)
from chalicelib.observability import logger
from chalicelib.services.enlaces import DecidirEnlace
from chalicelib.services.pagos import tabla_control
from chalicelib.services.reportes import csv_de

pagos = Blueprint(__name__)
TIPOS_FORMULARIO = ["application/x-www-form-urlencoded"]
MAX_CALLBACK = 64 * 1024

ERRORES_PAGINA: tuple[tuple[type[DomainError], int, str], ...] = (
    (EnlaceInvalido, 403, "Enlace no válido"),
    (EnlaceVencido, 410, "Enlace vencido"),
    (EnlaceNoEncontrado, 404, "Enlace no encontrado"),
    (SolicitudNoEncontrada, 404, "Solicitud no encontrada"),
    (DecisionNoPermitida, 422, "Decisión no permitida"),
    (EstadoInvalido, 409, "La solicitud ya no espera esta decisión"),
    (AccionRechazada, 409, "No se pudo registrar la decisión"),
    (ConflictoConcurrente, 409, "La solicitud cambió mientras decidía"),
    (SmartflexRechazo, 409, "Smartflex no confirma la operación"),
    (EntradaInvalida, 400, "Formulario no válido"),
)


def _pagina(nombre: str, contexto: dict[str, Any], status: int = 200) -> Response:
    return html_response(str(get_services().plantillas.pagina(nombre, contexto)), status)


def paginas_de_error(vista: Callable[..., Response]) -> Callable[..., Response]:
    """Map refusals of a link to a Spanish HTML page with its 4xx status (nothing was written); unexpected
    errors to a 500 page without details."""

    @functools.wraps(vista)
    def envoltura(*args: Any, **kwargs: Any) -> Response:
        try:
            return vista(*args, **kwargs)
        except DomainError as exc:
            status, titulo = next(((s, t) for tipo, s, t in ERRORES_PAGINA if isinstance(exc, tipo)), (400, "Error"))
            logger.info("enlace rechazado", extra={"codigo": exc.codigo, "status": status})
            return _pagina("error", {"titulo": titulo, "mensaje": exc.mensaje}, status)
        except Exception:
            logger.exception("error inesperado en un enlace")
            mensaje = "Ocurrió un error inesperado y no se registró nada. Intente nuevamente en unos minutos."
            return _pagina("error", {"titulo": "Error inesperado", "mensaje": mensaje}, 500)

    return envoltura


# --- Step 11: the payment gateway's signed callback ---


@pagos.route("/webhooks/pagos", methods=["POST"], content_types=["application/json"])
@http_errors
def receive_payment_callback() -> Response:
    request = pagos.current_request
    cabeceras = {k.lower(): str(v) for k, v in (request.headers or {}).items()}
    cmd = RecibirCallbackPago(cabeceras=cabeceras, cuerpo=cuerpo_crudo(request, MAX_CALLBACK))
    resultado = get_services().recibir_pago_web(cmd)
    return json_response({"recibido": True, **resultado})


# --- Steps 12-17: signed approval links ---


@pagos.route("/aprobaciones/{token}", methods=["GET"])
@paginas_de_error
def show_approval(token: str) -> Response:
    vista = get_services().ver_aprobacion(token, parametro(pagos.current_request, "decision"))
    logger.append_keys(aprobacion_id=vista["aprobacion"]["id"])
    return _pagina("aprobacion", vista)


@pagos.route("/aprobaciones/{token}", methods=["POST"], content_types=TIPOS_FORMULARIO)
@paginas_de_error
def decide_approval(token: str) -> Response:
    campos: dict[str, Any] = cuerpo_formulario(pagos.current_request)
    decision = str(campos.pop("decision", "")).strip()
    version = str(campos.pop("version", "")).strip()
    entera = version.isascii() and version.isdigit() and len(version) <= 9  # int() refuses '²' and 5000 digits
    cmd = DecidirEnlace(token=token, decision=decision, campos=campos, version=int(version) if entera else None)
    servicios = get_services()
    try:
        vista = servicios.decidir_aprobacion(cmd)
    except DatosInvalidos as exc:
        return _pagina("aprobacion", servicios.aprobacion_con_errores(cmd, exc.errores), 422)
    logger.append_keys(aprobacion_id=vista["aprobacion"]["id"])
    return _pagina("aprobacion", vista)


# --- Step 18: Facturación's recurring-control list ---


@pagos.route("/facturacion/control-recurrente", methods=["GET"])
@http_errors
def list_recurring_control() -> Response:
    request = pagos.current_request
    formato = (parametro(request, "formato") or "json").lower()
    if formato not in ("json", "csv"):
        raise DatosInvalidos({"formato": "Use json o csv."}, "Filtros inválidos.")
    usuario = usuario_actual(request)
    lista = get_services().control_recurrente(parametro(request, "mes"), usuario.roles)
    if formato == "csv":
        return Response(
            body=csv_de([tabla_control(lista["solicitudes"], lista["mes"])]),
            status_code=200,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="control-recurrente-{lista["mes"]}.csv"',
                "Cache-Control": "no-store",
            },
        )
    return json_response(lista)
