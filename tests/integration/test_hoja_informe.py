"""The monthly report's spreadsheet opens with openpyxl: every sheet, real numbers and dates, no formulas."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from chalicelib.adapters.hojas_openpyxl import OpenpyxlHojas
from chalicelib.services import reportes
from tests.datos_reportes import guardar, noviembre
from tests.fakes import FakeCalendario, InMemorySolicitudRepository

AHORA = datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo("America/La_Paz"))


def test_the_workbook_has_every_sheet_with_numbers_dates_and_no_formulas():
    # Given November's report, with a prospect whose name is a formula
    repo = InMemorySolicitudRepository()
    noviembre(repo)
    guardar(repo, id="VD-X", creada_en="2026-11-30T07:00:00-04:00", estado="no_atendida", datos={"nombre": "=1+1"})
    informe = reportes.construir_informe(
        "2026-11",
        del_mes=repo.del_mes("2026-11").solicitudes,
        facturadas=repo.facturadas_en("2026-11").solicitudes,
        facturadas_anterior=repo.facturadas_en("2026-10").solicitudes,
        ahora=AHORA,
        calendario=FakeCalendario(),
    )
    # When the spreadsheet is written and opened
    libro = load_workbook(io.BytesIO(OpenpyxlHojas().libro(reportes.tablas_informe(informe))))
    # Then it has the eight sheets, each with its title and header
    assert libro.sheetnames == [
        "Resumen KPI",
        "Ventas",
        "Embudo",
        "Por canal",
        "Por plan",
        "Por ejecutivo",
        "No atendidas",
        "Anuladas",
    ]
    ventas = libro["Ventas"]
    assert ventas["A1"].value == "Ventas facturadas en noviembre de 2026"
    assert [c.value for c in ventas[2]][:3] == ["Fecha", "Factura", "Solicitud"]
    assert ventas.freeze_panes == "A3"
    # And amounts and dates are real cells
    fecha, monto = ventas["A3"], ventas["I3"]
    assert fecha.value == datetime(2026, 11, 2, 10, 0) and fecha.number_format == "dd/mm/yyyy hh:mm"
    assert monto.value == 450.0 and monto.number_format == "#,##0.00"
    assert libro["Resumen KPI"]["B6"].value == 99.8
    # And the hostile name is text, not a formula
    nombres = [c for c in libro["No atendidas"]["B"] if c.value == "=1+1"]
    assert nombres and all(c.data_type == "s" for c in nombres)
