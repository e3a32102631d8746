"""Follow-up and reports end to end: requests walked through the staff API on moto, then the reports over HTTP,
the developer jobs and the outbox."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.openapi.reportes import InformeMensual, ReporteNoAtendidas, ReporteSeguimiento
from tests.e2e.test_procedimiento import COORDENADAS_CENTRO, _hasta_forma_pago, _nueva

pytestmark = pytest.mark.e2e


def _mes_actual() -> str:
    return datetime.now(ZoneInfo("America/La_Paz")).strftime("%Y-%m")


def _get(etapa, ruta: str, rol: str = "RC"):
    respuesta = etapa.cliente.http.get(ruta, headers={"Authorization": f"Bearer {etapa.token(rol)}"})
    assert respuesta.status_code == 200, respuesta.body
    return respuesta.json_body


def sin_capacidad(etapa) -> str:
    """A request Help Desk had no capacity for (``no_atendida``): what the unattended reports list."""
    perdida = _nueva(etapa)
    etapa.aplicar(perdida, "clasificar_residencial")
    etapa.aplicar(perdida, "registrar_datos", ci="4567890", **COORDENADAS_CENTRO)
    etapa.aplicar(perdida, "consultar_cobertura")
    etapa.aplicar(perdida, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=200)
    etapa.aplicar(perdida, "negar_capacidad", rol="HD", motivo="Caja terminal saturada en la cuadra")
    return perdida


def test_unattended_cancelled_and_redigitated_requests_reach_the_reports(etapa):
    # Given a request Help Desk had no capacity for, and a sale cancelled in Smartflex then redigitated
    perdida = sin_capacidad(etapa)
    anulada = _nueva(etapa)
    _hasta_forma_pago(etapa, anulada)
    etapa.aplicar(anulada, "elegir_prepago")
    etapa.aplicar(anulada, "anular", motivo="Dirección errada en Smartflex", origen_anulacion="smartflex")
    nueva = etapa.aplicar(anulada, "redigitar", rol="RC")["solicitud"]["redigitada_como"]

    # When the team lead reads the unattended report
    reporte = _get(etapa, "/reportes/no-atendidas")
    ReporteNoAtendidas.model_validate(reporte)
    # Then the unattended request is there with who (the executive who worked it), why and since when
    fila = next(f for f in reporte["solicitudes"] if f["id"] == perdida)
    ejecutivo = next(e["actor"] for e in etapa.detalle(perdida)["historial"] if e["rol"] == "EJ")
    assert (fila["tipo"], fila["motivo"], fila["causa"]) == (
        "no_atendida",
        "Caja terminal saturada en la cuadra",
        "Help Desk sin capacidad técnica",
    )
    assert fila["ejecutivo"] == ejecutivo and fila["espera"].endswith("min")
    # And it was read from the follow-up index alone: the redigitation (in digitation, due in a business day) is in
    # the index but not yet due, so only the unattended one was read
    assert reporte["lectura"]["items_leidos"] == 1

    # When the team lead reads the follow-up of the month
    seguimiento = _get(etapa, f"/reportes/seguimiento?mes={_mes_actual()}")
    ReporteSeguimiento.model_validate(seguimiento)
    # Then the cancelled sale shows its redigitation, and the redigitation its original, with both histories
    original = next(a for a in seguimiento["anuladas"] if a["id"] == anulada)
    assert (original["resultado"], original["redigitada_como"], original["redigitacion_estado"]) == (
        "ANULADA (REDIGITADA)",
        nueva,
        "digitacion",
    )
    assert (original["motivo"], original["origen_anulacion"]) == ("Dirección errada en Smartflex", "smartflex")
    assert [(r["id"], r["redigitacion_de"]) for r in seguimiento["redigitaciones"]] == [(nueva, anulada)]
    assert (seguimiento["resumen"]["redigitadas"], seguimiento["resumen"]["no_atendidas"]) == (1, 1)
    historial_original = [e["accion"] for e in etapa.detalle(anulada)["historial"] if e["tipo"] == "accion"]
    historial_nueva = [e["accion"] for e in etapa.detalle(nueva)["historial"] if e["tipo"] == "accion"]
    assert historial_original[-2:] == ["anular", "redigitar"] and historial_nueva == ["crear_redigitacion"]


def test_the_monthly_job_sends_one_email_with_the_chart_and_the_spreadsheet(etapa):
    # Given a closed postpaid sale this month
    solicitud = _nueva(etapa)
    _hasta_forma_pago(etapa, solicitud)
    etapa.aplicar(solicitud, "elegir_pospago")
    etapa.aplicar(solicitud, "registrar_control_recurrente", rol="FA", dia_facturacion=5, monto_mensual_bs=199)
    mes = _mes_actual()
    informe = _get(etapa, f"/reportes/mensual?mes={mes}", rol="JD")
    InformeMensual.model_validate(informe)
    assert (informe["kpi"]["facturacion_bs"], informe["ventas"]["cantidad"], informe["parcial"]) == ("199.00", 1, True)
    assert informe["lectura"]["items_leidos"] == 2  # the month's request + its invoice (no invoices last month)

    # When the monthly job runs twice, then once with the re-send flag
    ejecutar = etapa.cliente.http.post
    resultados = [ejecutar(f"/dev/jobs/informe_mensual?mes={mes}").json_body["resultado"] for _ in range(2)]
    reenvio = ejecutar(f"/dev/jobs/informe_mensual?mes={mes}&reenviar=1").json_body["resultado"]

    # Then the outbox has the first email and the explicit re-send, each with the chart and the spreadsheet
    assert [r["enviado"] for r in resultados] == [True, False] and reenvio["enviado"] is True
    informes = [m for m in etapa.outbox() if "Informe General de Ventas Digitales" in m["subject"]]
    assert len(informes) == 2
    correo = informes[0]
    assert correo["to"] == [etapa.settings.buzones.jefe_division] and correo["cc"] == [
        etapa.settings.buzones.responsable_canales
    ]
    assert "SIN BASE" in correo["subject"] and "(parcial)" in correo["subject"]
    assert sorted(a["content_type"] for a in correo["attachments"]) == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "image/png",
    ]
    assert "cid:grafico-informe@ventas-digitales" in correo["html"]
