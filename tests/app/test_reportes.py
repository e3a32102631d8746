"""Report routes, schedules and developer jobs through the Chalice test client, with fakes for AWS."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.despacho_informes import carga_reenvio
from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.model import Rol
from chalicelib.handlers.reportes import trabajo_reenvio
from chalicelib.openapi.reportes import InformeMensual, ReenvioInforme, ReporteNoAtendidas, ReporteSeguimiento
from tests.datos_reportes import noviembre

LA_PAZ = ZoneInfo("America/La_Paz")
RUTAS = ["/reportes/no-atendidas", "/reportes/seguimiento?mes=2026-11", "/reportes/mensual?mes=2026-11"]


@pytest.fixture
def datos(servicios):
    servicios.clock.momento = datetime(2026, 12, 1, 8, 0, tzinfo=LA_PAZ)
    return noviembre(servicios.repo)


def _get(cliente, ruta, token=None):
    cabeceras = {"Authorization": f"Bearer {token}"} if token else {}
    return cliente.http.get(ruta, headers=cabeceras)


def _evento_programado(cliente):
    return cliente.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region="us-east-1"
    )


@pytest.mark.parametrize("rol", ["RC", "JD"])
def test_the_team_lead_and_the_division_head_read_every_report_as_json(cliente, token, datos, rol):
    # When each report is asked for as JSON
    no_atendidas, seguimiento, mensual = (_get(cliente, r, token(rol)) for r in RUTAS)
    # Then each answers 200 with its documented model
    assert [r.status_code for r in (no_atendidas, seguimiento, mensual)] == [200, 200, 200]
    ReporteNoAtendidas.model_validate(no_atendidas.json_body)
    ReporteSeguimiento.model_validate(seguimiento.json_body)
    InformeMensual.model_validate(mensual.json_body)
    # And amounts travel as exact decimal strings
    kpi = mensual.json_body["kpi"]
    assert (kpi["facturacion_bs"], kpi["porcentaje"], kpi["veredicto"]) == ("998.00", "99.80", "APROBADO")
    assert [f["id"] for f in no_atendidas.json_body["solicitudes"]] == ["VD-F", "VD-G", "VD-C"]


@pytest.mark.parametrize("rol", ["EJ", "HD", "CO", "CA", "FA"])
@pytest.mark.parametrize("ruta", RUTAS)
def test_other_roles_get_403_in_spanish(cliente, token, datos, rol, ruta):
    respuesta = _get(cliente, ruta, token(rol))
    assert respuesta.status_code == 403
    assert respuesta.json_body["codigo"] == "rol_no_autorizado"
    assert "Responsable de Canales" in respuesta.json_body["mensaje"]


@pytest.mark.parametrize("ruta", RUTAS + ["/reportes/mensual?formato=csv"])
def test_without_a_token_it_is_401(cliente, datos, ruta):
    respuesta = _get(cliente, ruta)
    assert respuesta.status_code == 401 and respuesta.json_body["codigo"] == "no_autenticado"


@pytest.mark.parametrize(
    ("ruta", "campo"),
    [
        ("/reportes/mensual?mes=2026-13", "mes"),
        ("/reportes/mensual?mes=2027-01", "mes"),
        ("/reportes/seguimiento?mes=noviembre", "mes"),
        ("/reportes/no-atendidas?formato=xlsx", "formato"),
    ],
)
def test_bad_parameters_get_422_with_the_field(cliente, token, datos, ruta, campo):
    respuesta = _get(cliente, ruta, token("RC"))
    assert respuesta.status_code == 422
    assert respuesta.json_body["codigo"] == "datos_invalidos" and campo in respuesta.json_body["errores"]


def _csv(respuesta) -> list[list[str]]:
    cuerpo = respuesta.body if isinstance(respuesta.body, bytes) else respuesta.body.encode()
    assert cuerpo.startswith("\ufeff".encode()), "UTF-8 BOM so that Excel reads the accents"
    return list(csv.reader(io.StringIO(cuerpo.decode("utf-8-sig")), delimiter=";"))


def test_the_unattended_report_as_csv_opens_in_excel(cliente, token, datos):
    respuesta = _get(cliente, "/reportes/no-atendidas?formato=csv", token("RC"))
    assert respuesta.status_code == 200
    assert respuesta.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert respuesta.headers["Content-Disposition"] == 'attachment; filename="no-atendidas-2026-12-01.csv"'
    filas = _csv(respuesta)
    assert filas[0][0] == "Código" and "Pendiente de" in filas[0]
    assert [f[0] for f in filas[1:]] == ["VD-F", "VD-G", "VD-C"]
    assert filas[3][filas[0].index("Espera (horas)")] == "599,0"


def test_the_monthly_report_as_csv_holds_every_sheet_under_its_title(cliente, token, datos):
    respuesta = _get(cliente, "/reportes/mensual?mes=2026-11&formato=csv", token("JD"))
    assert respuesta.headers["Content-Disposition"] == 'attachment; filename="informe-ventas-digitales-2026-11.csv"'
    filas = _csv(respuesta)
    titulos = [f[0] for f, previa in zip(filas[1:], filas, strict=False) if previa == [] and f]
    assert filas[0] == ["Informe General de Ventas Digitales — noviembre de 2026"]
    assert titulos == [
        "Ventas facturadas en noviembre de 2026",
        "Embudo de las solicitudes de noviembre de 2026",
        "Solicitudes y ventas por canal",
        "Ventas por plan",
        "Solicitudes y ventas por ejecutivo",
        "Solicitudes no atendidas y con plazo vencido",
        "Ventas anuladas de noviembre de 2026",
    ]
    assert ["KPI (%)", "99,80"] in filas and ["Resultado", "APROBADO"] in filas


def test_the_follow_up_as_csv(cliente, token, datos):
    filas = _csv(_get(cliente, "/reportes/seguimiento?mes=2026-11&formato=csv", token("RC")))
    assert filas[0] == ["Seguimiento de noviembre de 2026 por ejecutivo"]
    assert any(f[:2] == ["VD-E", "María Quispe Mamani"] and "VD-F" in f for f in filas)


class DespachoRegistrado:
    """A ``DespachoInformes`` that only records what the route handed over."""

    def __init__(self):
        self.trabajos = []

    def reenviar_informe_mensual(self, cmd, roles):
        self.trabajos.append((cmd, roles))


def _reenviar(cliente, token, rol, consulta="?mes=2026-11"):
    return cliente.http.post(f"/reportes/mensual/envio{consulta}", headers={"Authorization": f"Bearer {token(rol)}"})


def test_the_team_lead_can_resend_the_monthly_report(cliente, token, servicios, datos):
    # When the team lead asks twice for November's report by email (local stage: the job runs before the answer)
    for _ in range(2):
        respuesta = _reenviar(cliente, token, "RC")
        # Then the route accepts it (202) and says in Spanish that it is on its way
        assert respuesta.status_code == 202
        ReenvioInforme.model_validate(respuesta.json_body)
    assert respuesta.json_body["mes"] == "2026-11" and respuesta.json_body["estado"] == "en_curso"
    assert "noviembre de 2026" in respuesta.json_body["mensaje"]
    # And both were sent on purpose, to the division head with the team lead in copy, already in the outbox
    assert len(servicios.mailer.transporte.enviados) == 2
    correo = servicios.mailer.transporte.enviados[-1]
    assert correo.para == ("jefe.ventas@ventas.comteco.local",)
    assert correo.asunto.startswith("Reenvío: Informe General de Ventas Digitales — noviembre de 2026")
    assert "rc@ventas.test" in correo.html
    assert [a.tipo for a in correo.adjuntos] == [
        "image/png",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]


def test_the_route_dispatches_the_resolved_month_who_asked_and_their_roles(cliente, token, servicios, datos):
    # Given a dispatcher that only records
    despacho = servicios.overrides["despacho_informes"] = DespachoRegistrado()
    # When the division head asks without a month
    respuesta = _reenviar(cliente, token, "JD", consulta="")
    # Then the month that ended is resolved in the API and handed over; nothing is drawn or sent by the route
    assert respuesta.status_code == 202 and respuesta.json_body["mes"] == "2026-11"
    [(cmd, roles)] = despacho.trabajos
    assert (cmd.mes, cmd.reenviar, cmd.solicitado_por, roles) == ("2026-11", True, "jd@ventas.test", {Rol.JD})
    assert servicios.mailer.transporte.enviados == []


@pytest.mark.parametrize("rol", ["EJ", "HD", "CO", "CA", "FA"])
def test_other_roles_cannot_send_the_monthly_report_and_nothing_is_dispatched(cliente, token, servicios, datos, rol):
    despacho = servicios.overrides["despacho_informes"] = DespachoRegistrado()
    respuesta = _reenviar(cliente, token, rol, consulta="")
    assert respuesta.status_code == 403 and respuesta.json_body["codigo"] == "rol_no_autorizado"
    assert "Responsable de Canales" in respuesta.json_body["mensaje"]
    assert despacho.trabajos == [] and servicios.mailer.transporte.enviados == []


@pytest.mark.parametrize("consulta", ["?mes=2026-13", "?mes=2027-01", "?mes=noviembre"])
def test_a_bad_month_to_resend_is_422_and_nothing_is_dispatched(cliente, token, servicios, datos, consulta):
    despacho = servicios.overrides["despacho_informes"] = DespachoRegistrado()
    respuesta = _reenviar(cliente, token, "RC", consulta=consulta)
    assert respuesta.status_code == 422 and "mes" in respuesta.json_body["errores"]
    assert despacho.trabajos == []


def test_without_a_token_the_resend_is_401_and_nothing_is_dispatched(cliente, servicios, datos):
    despacho = servicios.overrides["despacho_informes"] = DespachoRegistrado()
    respuesta = cliente.http.post("/reportes/mensual/envio")
    assert respuesta.status_code == 401 and despacho.trabajos == []


def test_the_resend_function_draws_and_sends_the_report_it_receives(cliente, servicios, datos):
    # Given the payload the AWS dispatcher sends for the team lead's request
    carga = carga_reenvio(EnviarInformeMensual(mes="2026-11", solicitado_por="rc@ventas.test"), frozenset({Rol.RC}))
    # When the function is invoked with it
    resultado = cliente.lambda_.invoke("reenviar_informe_mensual", json.loads(json.dumps(carga))).payload
    # Then the report was sent again, and the result says so
    assert (resultado["mes"], resultado["enviado"], resultado["reenvio"]) == ("2026-11", True, True)
    [correo] = servicios.mailer.transporte.enviados
    assert correo.asunto.startswith("Reenvío: Informe General") and "rc@ventas.test" in correo.html


VALIDA = {"mes": "2026-11", "solicitado_por": "rc@ventas.test", "roles": ["RC"]}


@pytest.mark.parametrize(
    "carga",
    [
        None,
        [],
        "2026-11",
        {},
        {**VALIDA, "extra": 1},
        {k: v for k, v in VALIDA.items() if k != "roles"},
        {**VALIDA, "mes": None},
        {**VALIDA, "mes": "2026-13"},
        {**VALIDA, "mes": "2026-1"},
        {**VALIDA, "mes": "２０２６-11"},
        {**VALIDA, "mes": 202611},
        {**VALIDA, "solicitado_por": ""},
        {**VALIDA, "solicitado_por": "   "},
        {**VALIDA, "solicitado_por": "rc@ventas.test\r\nBcc: x@y.z"},
        {**VALIDA, "solicitado_por": "a" * 255},
        {**VALIDA, "solicitado_por": ["rc@ventas.test"]},
        {**VALIDA, "roles": []},
        {**VALIDA, "roles": "RC"},
        {**VALIDA, "roles": ["RC", "ADMIN"]},
        {**VALIDA, "roles": [{"rol": "RC"}]},
        {**VALIDA, "roles": ["RC"] * 50},
    ],
)
def test_the_resend_function_refuses_a_malformed_payload_without_sending(cliente, servicios, datos, carga):
    resultado = cliente.lambda_.invoke("reenviar_informe_mensual", carga).payload
    assert resultado == {"enviado": False, "motivo": "trabajo_invalido"}
    assert servicios.mailer.transporte.enviados == []


def test_the_resend_function_checks_the_roles_again(cliente, servicios, datos):
    carga = {**VALIDA, "roles": ["EJ", "HD"]}
    resultado = cliente.lambda_.invoke("reenviar_informe_mensual", carga).payload
    assert resultado == {"mes": "2026-11", "enviado": False, "motivo": "rol_no_autorizado"}
    assert servicios.mailer.transporte.enviados == []


def test_the_function_reads_back_exactly_what_the_dispatcher_sends():
    # Given every combination the route may hand over
    for roles in ({Rol.RC}, {Rol.JD}, {Rol.RC, Rol.JD, Rol.EJ}):
        cmd = EnviarInformeMensual(mes="2025-01", reenviar=True, solicitado_por="Jefa División <jd@comteco.bo>")
        # When the AWS payload goes through JSON and the function's reader
        leido = trabajo_reenvio(json.loads(json.dumps(carga_reenvio(cmd, frozenset(roles)))))
        # Then the same command and roles come out
        assert leido == (cmd, frozenset(roles))


def test_the_monthly_schedule_fired_twice_sends_one_email(cliente, servicios, datos):
    # When EventBridge delivers the monthly schedule twice
    evento = _evento_programado(cliente)
    primera = cliente.lambda_.invoke("send_monthly_report", evento).payload
    segunda = cliente.lambda_.invoke("send_monthly_report", evento).payload
    # Then the month that just ended was sent once, to the division head
    assert (primera["mes"], primera["enviado"], segunda["enviado"]) == ("2026-11", True, False)
    assert [c.para for c in servicios.mailer.transporte.enviados] == [("jefe.ventas@ventas.comteco.local",)]


def test_the_daily_digest_schedule_fired_twice_sends_one_email(cliente, servicios, datos):
    evento = _evento_programado(cliente)
    resultados = [cliente.lambda_.invoke("send_unattended_digest", evento).payload for _ in range(2)]
    assert [r["enviado"] for r in resultados] == [True, False]
    assert [c.para for c in servicios.mailer.transporte.enviados] == [("responsable.canales@ventas.comteco.local",)]


def test_the_schedules_fire_at_08_00_la_paz():
    # Given the app's schedules
    from app import app
    from localstage.scheduler import parse_schedule

    expresiones = {
        f.name: f.schedule_expression.to_string() for f in app.event_sources if hasattr(f, "schedule_expression")
    }
    assert expresiones["send_monthly_report"] == "cron(0 12-23 1-3 * ? *)"
    assert expresiones["send_unattended_digest"] == "cron(0 12-15 ? * MON-SAT *)"
    # When the next firing after mid-November and after a Saturday's last run are computed (UTC)
    mensual = parse_schedule(expresiones["send_monthly_report"]).next_after(datetime(2026, 11, 15, tzinfo=UTC))
    diario = parse_schedule(expresiones["send_unattended_digest"]).next_after(datetime(2026, 11, 28, 16, tzinfo=UTC))
    # Then they are 08:00 in La Paz: December 1st, and Monday (Sunday skipped)
    assert mensual.astimezone(LA_PAZ).isoformat() == "2026-12-01T08:00:00-04:00"
    assert diario.astimezone(LA_PAZ).isoformat() == "2026-11-30T08:00:00-04:00"
    # And the runs after them are the hourly retries of an email that could not leave (sent once at most)
    mensual_2 = parse_schedule(expresiones["send_monthly_report"]).next_after(datetime(2026, 12, 3, 23, tzinfo=UTC))
    diario_2 = parse_schedule(expresiones["send_unattended_digest"]).next_after(datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert mensual_2.astimezone(LA_PAZ).isoformat() == "2027-01-01T08:00:00-04:00"
    assert diario_2.astimezone(LA_PAZ).isoformat() == "2026-11-30T09:00:00-04:00"


def test_developer_jobs_run_the_reports_now(cliente, servicios, datos):
    # When the monthly job runs twice for a given month, and then once more with the re-send flag
    ejecutar = cliente.http.post
    primera = ejecutar("/dev/jobs/informe_mensual?mes=2026-11").json_body["resultado"]
    segunda = ejecutar("/dev/jobs/informe_mensual?mes=2026-11").json_body["resultado"]
    tercera = ejecutar("/dev/jobs/informe_mensual?mes=2026-11&reenviar=1").json_body["resultado"]
    resumen = ejecutar("/dev/jobs/resumen_no_atendidas").json_body["resultado"]
    # Then two emails: the first run and the explicit re-send; and the digest
    assert (primera["enviado"], segunda["enviado"], tercera["enviado"]) == (True, False, True)
    assert resumen["enviado"] is True and resumen["total"] == 3
    assert len(servicios.mailer.transporte.enviados) == 3
