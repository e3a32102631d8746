"""Follow-up and reports (steps 19, 25, 26): the staff report routes, the report schedules (and the projection's early warning), and the function
that resends the monthly report on request (``reenviar_informe_mensual``, invoked by ``POST /reportes/mensual/envio``).

Schedules are EventBridge cron expressions in UTC; La Paz is UTC-4 all year (no daylight saving):
- ``send_unattended_digest``: ``cron(0 12-15 ? * MON-SAT *)`` = 08:00 La Paz, Monday to Saturday (office days),
  and every hour until 11:00: once sent, the later runs send nothing (once per day); they are the retries of a
  digest that SES did not accept.
- ``warn_projection``: ``cron(0 13-16 ? * MON-FRI *)`` = 09:00 La Paz on weekdays; it acts only on the month's
  checkpoints (``VD_DIAS_AVISO_PROYECCION``), the later runs retry an email SES refused;
- ``send_monthly_report``: ``cron(0 12-23 1-3 * ? *)`` = 08:00 La Paz on the 1st, for the month that just ended, and
  every hour until 19:00 on the 1st to the 3rd, for the same reason (once per month).
A run whose email SES did not accept records it for the console (``/consola/pendientes``) instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Cron, Response

from chalicelib.bootstrap import get_services
from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.errors import DatosInvalidos, RolNoAutorizado
from chalicelib.domain.model import Rol
from chalicelib.domain.seguimiento import mes_valido
from chalicelib.handlers.http import http_errors, json_response, parametro, usuario_actual
from chalicelib.observability import logger
from chalicelib.services.reportes import csv_de, tabla_no_atendidas, tablas_informe, tablas_seguimiento
from chalicelib.services.una_vez import entrega

reportes = Blueprint(__name__)
FORMATOS = ("json", "csv")


def _formato() -> str:
    formato = (parametro(reportes.current_request, "formato") or "json").lower()
    if formato not in FORMATOS:
        raise DatosInvalidos({"formato": "Use json o csv."}, "Filtros inválidos.")
    return formato


def csv_response(texto: str, nombre: str) -> Response:
    return Response(
        body=texto,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{nombre}"',
            "Cache-Control": "no-store",
        },
    )


@reportes.route("/reportes/no-atendidas", methods=["GET"])
@http_errors
def get_unattended_report() -> Response:
    formato = _formato()
    usuario = usuario_actual(reportes.current_request)
    reporte = get_services().reporte_no_atendidas(usuario.roles)
    if formato == "csv":
        dia = str(reporte["generado_en"])[:10]
        return csv_response(csv_de([tabla_no_atendidas(reporte["solicitudes"])]), f"no-atendidas-{dia}.csv")
    return json_response(reporte)


@reportes.route("/reportes/seguimiento", methods=["GET"])
@http_errors
def get_follow_up_report() -> Response:
    return _reporte_del_mes(get_services().reporte_seguimiento, tablas_seguimiento, "seguimiento")


@reportes.route("/reportes/mensual", methods=["GET"])
@http_errors
def get_monthly_report() -> Response:
    return _reporte_del_mes(get_services().informe_mensual, tablas_informe, "informe-ventas-digitales")


def _reporte_del_mes(
    obtener: Callable[[str | None, Any], dict[str, Any]], tablas: Callable[[dict[str, Any]], Any], nombre: str
) -> Response:
    """A report of one month (``?mes=``) for the caller's roles, as JSON or as ``<nombre>-<mes>.csv``."""
    request = reportes.current_request
    formato = _formato()
    usuario = usuario_actual(request)
    reporte = obtener(parametro(request, "mes"), usuario.roles)
    if formato == "csv":
        return csv_response(csv_de(tablas(reporte)), f"{nombre}-{reporte['mes']}.csv")
    return json_response(reporte)


@reportes.route("/reportes/tablero/verificacion", methods=["POST"])
@http_errors
def verify_dashboard() -> Response:
    """The rebuild command (issue 20): the month's dashboard aggregates recomputed from its requests and compared
    with the stored ones (``?mes=AAAA-MM``, required); ``&corregir=1`` overwrites the items that differ."""
    request = reportes.current_request
    usuario = usuario_actual(request)
    mes = parametro(request, "mes") or ""
    if not mes_valido(mes):
        raise DatosInvalidos(
            {"mes": "Indique el mes con el formato AAAA-MM (por ejemplo 2026-11)."}, "Filtros inválidos."
        )
    corregir = (parametro(request, "corregir") or "") in ("1", "si", "sí", "true")
    comparacion = get_services().verificar_tablero(mes, usuario.roles, corregir=corregir)
    return json_response(
        {
            "mes": mes,
            "coinciden": comparacion.coinciden,
            "items_comparados": comparacion.items,
            "corregidos": sorted(comparacion.diferencias) if corregir else [],
            "diferencias": {
                item: {a: {"guardado": g, "calculado": c} for a, (g, c) in sorted(attrs.items())}
                for item, attrs in sorted(comparacion.diferencias.items())
            },
        }
    )


@reportes.route("/reportes/mensual/envio", methods=["POST"])
@http_errors
def resend_monthly_report() -> Response:
    """Role and month checked here; the report is drawn and sent by ``reenviar_informe_mensual`` (202)."""
    request = reportes.current_request
    usuario = usuario_actual(request)
    cmd = EnviarInformeMensual(mes=parametro(request, "mes"), reenviar=True, solicitado_por=usuario.actor)
    return json_response(get_services().solicitar_reenvio_informe(cmd, usuario.roles), 202)


@reportes.lambda_function(name="reenviar_informe_mensual")
def send_requested_monthly_report(event: Any, context: Any) -> dict[str, Any]:
    """Step 26 on request: the month's report drawn and emailed again. A malformed job or roles without the
    reports are logged and acknowledged (a retry cannot fix them); anything else raises, so Lambda retries."""
    trabajo = trabajo_reenvio(event)
    if trabajo is None:
        logger.warning("reenvío del informe mensual: trabajo inválido")
        return {"enviado": False, "motivo": "trabajo_invalido"}
    cmd, roles = trabajo
    try:
        resultado = get_services().reenviar_informe_mensual(cmd, roles)
    except (RolNoAutorizado, DatosInvalidos) as exc:
        logger.warning("reenvío del informe mensual rechazado", extra={"mes": cmd.mes, "codigo": exc.codigo})
        return {"mes": cmd.mes, "enviado": False, "motivo": exc.codigo}
    logger.info("informe mensual reenviado", extra={"mes": resultado["mes"], "enviado": resultado["enviado"]})
    return json_safe(resultado)


CAMPOS_TRABAJO = frozenset({"mes", "solicitado_por", "roles"})
MAX_SOLICITANTE = 254


def trabajo_reenvio(event: Any) -> tuple[EnviarInformeMensual, frozenset[Rol]] | None:
    """The event ``{"mes": "AAAA-MM", "solicitado_por": "<actor>", "roles": ["RC", ...]}`` as the resend command
    and the roles to check; None unless it has exactly those keys with a valid month, a printable requester of
    at most 254 characters, and a non-empty list of known roles."""
    if not isinstance(event, Mapping) or set(event) != CAMPOS_TRABAJO:
        return None
    mes, quien, roles = event["mes"], event["solicitado_por"], event["roles"]
    if not (isinstance(mes, str) and mes_valido(mes)):
        return None
    if not (isinstance(quien, str) and quien.strip() and len(quien) <= MAX_SOLICITANTE and quien.isprintable()):
        return None
    conocidos = {r.value for r in Rol}
    if not (isinstance(roles, list) and roles and len(roles) <= len(conocidos)):
        return None
    if not all(isinstance(r, str) and r in conocidos for r in roles):
        return None
    cmd = EnviarInformeMensual(mes=mes, reenviar=True, solicitado_por=quien.strip())
    return cmd, frozenset(Rol(r) for r in roles)


@reportes.schedule(Cron(0, "12-15", "?", "*", "MON-SAT", "*"))
def send_unattended_digest(event: CloudWatchEvent) -> dict[str, Any]:
    """Step 19: the team lead's daily digest of unattended and overdue requests (08:00 La Paz, Mon-Sat; the runs
    until 11:00 send it only if it could not leave before)."""
    with entrega(f"programa#{event.event_id}"):
        resultado = get_services().enviar_resumen_no_atendidas()
    logger.info("resumen de no atendidas", extra={"enviado": resultado["enviado"], "total": resultado["total"]})
    return json_safe(resultado)


@reportes.schedule(Cron(0, "12-23", "1-3", "*", "?", "*"))
def send_monthly_report(event: CloudWatchEvent) -> dict[str, Any]:
    """Step 26: the month's report to the division head (08:00 La Paz on the 1st); once per month (the hourly
    runs until the 3rd send it only if it could not leave before)."""
    with entrega(f"programa#{event.event_id}"):
        resultado = get_services().enviar_informe_mensual(EnviarInformeMensual())
    logger.info("informe mensual", extra={"mes": resultado["mes"], "enviado": resultado["enviado"]})
    return json_safe(resultado)


@reportes.schedule(Cron(0, "13-16", "?", "*", "MON-FRI", "*"))
def warn_projection(event: CloudWatchEvent) -> dict[str, Any]:
    """The projection's early warning to RC and JD (09:00 La Paz on the month's checkpoints, by default the
    business days of the 10th and the 20th); once per checkpoint (the runs until 12:00 retry an email SES refused)."""
    with entrega(f"programa#{event.event_id}"):
        resultado = get_services().avisar_proyeccion()
    logger.info(
        "aviso de proyección",
        extra={"mes": resultado["mes"], "enviado": resultado["enviado"], "motivo": resultado.get("motivo")},
    )
    return json_safe(resultado)


def json_safe(valor: dict[str, Any]) -> dict[str, Any]:
    """A Lambda result must be JSON: exact amounts (Decimal) become their text."""
    import json

    return dict(json.loads(json.dumps(valor, default=str)))
