"""The reports on the local AWS (moto): what a month's report reads, the monthly email sent once through SES with
its inline chart and its spreadsheet, and the unattended report read from its index."""

from __future__ import annotations

import io
from datetime import datetime
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
import requests

from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.model import Rol
from tests.factories import make_entrada, make_solicitud
from tests.fakes import FixedClock

LA_PAZ = ZoneInfo("America/La_Paz")
HOJAS = ["Resumen KPI", "Ventas", "Embudo", "Por canal", "Por plan", "Por ejecutivo", "No atendidas", "Anuladas"]


@pytest.fixture
def servicios(settings):
    from chalicelib import bootstrap

    bootstrap.reset()
    servicios = bootstrap.override(clock=FixedClock(datetime(2026, 12, 1, 8, 0, tzinfo=LA_PAZ)))
    yield servicios
    bootstrap.reset()


def _factura(n: int, monto: float, emitida_en: str) -> dict:
    return {"numero": f"F-{n:04d}", "monto_bs": monto, "emitida_en": emitida_en, "mes": emitida_en[:7]}


def poblar(repo) -> dict[str, int]:
    """November: 12 requests (5 of them invoiced in November) plus 2 October requests invoiced in November;
    October: 3 invoices; and requests and invoices of September and December that must not be read."""
    contados = {"noviembre": 0, "facturas_noviembre": 0, "facturas_octubre": 0}

    def guardar(**campos):
        s = make_solicitud(**campos)
        repo.crear(s, make_entrada(s))

    for i in range(12):
        campos = {"creada_en": f"2026-11-{i + 2:02d}T10:00:00-04:00", "canal": ("web", "whatsapp", "facebook")[i % 3]}
        if i < 5:
            campos |= {"estado": "cerrada", "factura": _factura(i, 199.0 + i, f"2026-11-{i + 10:02d}T10:00:00-04:00")}
            contados["facturas_noviembre"] += 1
        guardar(**campos)
        contados["noviembre"] += 1
    for i in range(2):
        guardar(
            creada_en=f"2026-10-{i + 25}T10:00:00-04:00",
            estado="cerrada",
            factura=_factura(100 + i, 300.0, f"2026-11-0{i + 1}T10:00:00-04:00"),
        )
        contados["facturas_noviembre"] += 1
    for i in range(3):
        guardar(
            creada_en=f"2026-10-0{i + 1}T10:00:00-04:00",
            estado="cerrada",
            factura=_factura(200 + i, 500.0, f"2026-10-1{i}T10:00:00-04:00"),
        )
        contados["facturas_octubre"] += 1
    for i in range(4):
        guardar(
            creada_en=f"2026-09-0{i + 1}T10:00:00-04:00",
            estado="cerrada",
            factura=_factura(300 + i, 900.0, f"2026-09-1{i}T10:00:00-04:00"),
        )
        guardar(creada_en=f"2026-12-01T0{i}:00:00-04:00")
    return contados


def test_the_report_of_a_month_with_n_items_reads_n_items_plus_both_months_invoices(servicios):
    # Given 12 November requests among 27 in the table (other months around it)
    contados = poblar(servicios.repo)
    # When November's report is built on DynamoDB
    informe = servicios.informe_mensual("2026-11", {Rol.JD})
    # Then DynamoDB read (ScannedCount) exactly the month's 12 requests, November's 7 invoices and October's 3
    lectura = informe["lectura"]
    assert (
        (lectura["solicitudes_del_mes"], lectura["facturas_del_mes"], lectura["facturas_mes_anterior"])
        == (
            contados["noviembre"],
            contados["facturas_noviembre"],
            contados["facturas_octubre"],
        )
        == (12, 7, 3)
    )
    assert lectura["items_leidos"] == 22
    assert informe["seguimiento"]["recibidas"] == 12
    assert str(informe["kpi"]["facturacion_bs"]) == "1605.00"  # 199+200+201+202+203 + 2 x 300
    assert str(informe["kpi"]["porcentaje"]) == "107.00" and informe["kpi"]["veredicto"] == "APROBADO"


def test_the_unattended_report_reads_only_its_index_on_dynamodb(servicios):
    # Given the table above: the only followed-up requests are those still new (7 of November, 4 of December 1)
    poblar(servicios.repo)
    # When the team lead asks for the unattended requests at 08:00 of December 1
    reporte = servicios.reporte_no_atendidas({Rol.RC})
    # Then the index gave exactly those 11 (the 16 closed ones were not read), and the calendar kept the
    # November ones (past their first business hour) and the December ones created before 07:00 of a Tuesday
    # whose first business hour (08:30-09:30) has not passed: left out
    assert reporte["lectura"]["items_leidos"] == 11
    assert reporte["vencidas"] == 7


def _mensajes(endpoint: str) -> list:
    datos = requests.get(f"{endpoint}/moto-api/data.json", timeout=10).json()["ses"]["RawMessage"]
    return [
        BytesParser(policy=policy.default).parsebytes(m["raw_data"].encode("utf-8", "surrogateescape")) for m in datos
    ]


def test_the_monthly_job_run_twice_sends_one_email_through_ses(servicios, moto_endpoint):
    # Given November's data on DynamoDB
    poblar(servicios.repo)
    # When the monthly job runs twice (the schedule fired twice)
    primera = servicios.enviar_informe_mensual(EnviarInformeMensual())
    segunda = servicios.enviar_informe_mensual(EnviarInformeMensual())
    # Then SES sent one email
    assert (primera["enviado"], segunda["enviado"]) == (True, False)
    informes = [m for m in _mensajes(moto_endpoint) if m["X-VD-Reaccion"] == "informe_mensual"]
    assert len(informes) == 1
    mensaje = informes[0]
    assert str(mensaje["Subject"]) == "Informe General de Ventas Digitales — noviembre de 2026: APROBADO (107,00 %)"
    assert str(mensaje["To"]) == servicios.settings.buzones.jefe_division

    # And the HTML references the chart that travels inline in its multipart/related part
    relacionado = next(p for p in mensaje.walk() if p.get_content_type() == "multipart/related")
    html, imagen = relacionado.get_payload()
    assert html.get_content_type() == "text/html"
    assert (imagen.get_content_type(), imagen.get_content_disposition()) == ("image/png", "inline")
    cid = imagen["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html.get_content()
    assert imagen.get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n")

    # And the spreadsheet attachment opens with every sheet
    from openpyxl import load_workbook

    adjunto = next(p for p in mensaje.walk() if p.get_content_disposition() == "attachment")
    assert adjunto.get_filename() == "informe-ventas-digitales-2026-11.xlsx"
    libro = load_workbook(io.BytesIO(adjunto.get_payload(decode=True)))
    assert libro.sheetnames == HOJAS
    resumen = {fila[0]: fila[1] for fila in libro["Resumen KPI"].iter_rows(min_row=3, values_only=True)}
    assert resumen["Resultado"] == "APROBADO" and resumen["KPI (%)"] == 107.0
    assert libro["Ventas"].max_row == 2 + 7

    # And a re-send on purpose is a second email
    assert servicios.enviar_informe_mensual(EnviarInformeMensual(reenviar=True))["enviado"] is True
    assert len([m for m in _mensajes(moto_endpoint) if m["X-VD-Reaccion"] == "informe_mensual"]) == 2
