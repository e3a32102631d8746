"""domain.tablero: what each request adds to the month's aggregates, and the figures read back from them equal
the Informe General's for the same month (same funnel, net billing, KPI, speed to lead)."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from chalicelib.domain.seguimiento import calcular_kpi
from chalicelib.domain.tablero import aporte, cifras_del_mes, diferencia, percentil, sumar
from chalicelib.services import reportes
from tests.datos_reportes import noviembre
from tests.fakes import FakeCalendario
from tests.fakes_persistencia import InMemorySolicitudRepository

LA_PAZ = ZoneInfo("America/La_Paz")


def _informe_y_tablero():
    repo = InMemorySolicitudRepository()
    solicitudes = noviembre(repo)
    todas = list(solicitudes.values())
    items = sumar([aporte(s) for s in todas])
    informe = reportes.informe.construir_informe(
        "2026-11",
        del_mes=[s for s in todas if s.mes == "2026-11"],
        facturadas=[s for s in todas if (s.factura or {}).get("mes") == "2026-11"],
        facturadas_anterior=[s for s in todas if (s.factura or {}).get("mes") == "2026-10"],
        ahora=datetime(2026, 12, 1, 8, 0, tzinfo=LA_PAZ),
        calendario=FakeCalendario(),
    )
    return informe, items, todas


def test_the_funnel_billing_kpi_and_speed_to_lead_equal_the_informe_general():
    informe, items, _ = _informe_y_tablero()
    cifras = cifras_del_mes("2026-11", items)
    anterior = cifras_del_mes("2026-10", items)
    # The funnel, step by step
    assert cifras.embudo == {p["paso"]: p["cantidad"] for p in informe["embudo"]}
    # Net billing and the KPI against the previous month
    assert cifras.ventas == informe["ventas"]["cantidad"]
    assert cifras.centavos == int(informe["ventas"]["monto_bs"] * 100)
    kpi = calcular_kpi("2026-11", cifras.centavos, anterior.centavos)
    assert (kpi.porcentaje, kpi.veredicto.value) == (informe["kpi"]["porcentaje"], informe["kpi"]["veredicto"])
    assert cifras.anuladas_facturadas == informe["ventas"]["anuladas_facturadas"]
    # Speed to lead: the low median of the same minutes
    assert cifras.respuesta_p50 == informe["primera_respuesta"]["mediana_minutos"]
    assert cifras.con_respuesta == informe["primera_respuesta"]["con_respuesta"]
    # Per channel: sales and amounts
    for fila in informe["por_canal"]:
        del_canal = cifras_del_mes("2026-11", items, fila["canal"])
        assert del_canal.ventas == fila["ventas"], fila["canal"]
        assert del_canal.centavos == int(fila["monto_bs"] * 100), fila["canal"]
        assert del_canal.solicitudes == fila["solicitudes"], fila["canal"]


def test_a_change_applies_only_its_difference_and_a_cancelled_sale_leaves_the_billing_of_its_month():
    _, items, todas = _informe_y_tablero()
    vendida = next(s for s in todas if s.id == "VD-A")
    antes = cifras_del_mes("2026-11", items)
    # When the sale is cancelled, only the difference is applied
    anulada = replace(vendida, estado="anulada", version=vendida.version + 1)
    cambio = diferencia(aporte(anulada), aporte(vendida))
    despues = cifras_del_mes("2026-11", sumar([*(aporte(s) for s in todas if s.id != "VD-A"), aporte(anulada)]))
    assert despues.centavos == antes.centavos - 19900
    assert despues.anuladas_facturadas == antes.anuladas_facturadas + 1
    assert despues.perdidas["anulada"] == antes.perdidas["anulada"] + 1
    assert cambio[("tablero#2026-11#facturacion", "centavos")] == -19900
    # And the same contribution applied again changes nothing
    assert diferencia(aporte(anulada), aporte(anulada)) == {}


def test_percentiles_are_nearest_rank_and_the_median_is_the_low_median():
    minutos = [3, 5, 5, 8, 13, 21, 34, 55, 89, 144]
    histograma: dict[int, int] = {}
    for m in minutos:
        histograma[m] = histograma.get(m, 0) + 1
    assert percentil(histograma, 0.5) == statistics.median_low(minutos) == 13
    assert percentil(histograma, 0.9) == 89
    assert percentil({}, 0.5) is None
    assert percentil({7: 1}, 0.9) == 7


def test_a_request_adds_to_its_month_channel_day_and_speed_to_lead():
    _, _, todas = _informe_y_tablero()
    a = next(s for s in todas if s.id == "VD-A")
    suma = aporte(a)
    assert suma[("tablero#2026-11#total", "recibidas")] == 1
    assert suma[("tablero#2026-11#canal#web", "facturada")] == 1
    assert suma[("tablero#2026-11#dias", "d03")] == 1
    assert suma[("tablero#2026-11#respuesta#web", "m30")] == 1
    assert suma[("tablero#2026-11#facturacion", "dia10_centavos")] == 19900
    assert suma[("tablero#2026-11#ejecutivos", "ana|ventas")] == 1


def test_the_dashboard_view_puts_the_month_to_date_beside_the_previous_month():
    from chalicelib.services.tablero import vista

    informe, items, _ = _informe_y_tablero()
    v = vista("2026-11", items, dia_de_hoy=12)
    # Billing and the KPI so far, against the whole previous month
    assert (v["kpi"]["facturacion_bs"], v["kpi"]["facturacion_anterior_bs"]) == (Decimal("998.00"), Decimal("1000.00"))
    assert v["kpi"]["veredicto"] == "APROBADO" and v["kpi"]["porcentaje"] == Decimal("99.80")
    # The funnel per channel adds up to the total
    for paso in v["embudo"]:
        assert sum(paso["por_canal"]) == paso["cantidad"], paso["paso"]
    # The daily trend: cumulative billing up to today, nothing after it
    assert v["tendencia"][8]["acumulado_bs"] == Decimal("450.00")  # I, invoiced on the 2nd
    hoy = v["tendencia"][11]
    assert hoy["dia"] == 12 and hoy["acumulado_bs"] == Decimal("998.00")  # then A (10th) and B (12th)
    assert v["tendencia"][12]["acumulado_bs"] is None and len(v["tendencia"]) == 30
    assert v["tendencia"][-1]["acumulado_anterior_bs"] == Decimal("1000.00")
    # One channel: its own figures only
    web = vista("2026-11", items, canal="web")
    del_web = next(f for f in informe["por_canal"] if f["canal"] == "web")
    assert web["canal_etiqueta"] == "Formulario web" and web["kpi"]["facturacion_bs"] == del_web["monto_bs"]


def test_why_a_request_was_lost_is_read_from_the_record_when_its_closing_action_is_not_the_last_change():
    from chalicelib.domain.tablero import motivo_perdida
    from tests.factories import make_solicitud

    perdida = make_solicitud(estado="no_atendida")  # its last change is not the action that closed it
    assert motivo_perdida(replace(perdida, oferta={"plan": "x", "rechazada_en": "2026-11-10T10:00:00-04:00"})) == (
        "oferta_rechazada"
    )
    assert motivo_perdida(replace(perdida, capacidad={"confirmada": False})) == "sin_capacidad"
    assert motivo_perdida(replace(perdida, cobertura={"disponible": False})) == "sin_cobertura"
    assert motivo_perdida(perdida) == "otro"
    assert motivo_perdida(make_solicitud(estado="anulada")) == "anulada"
    assert motivo_perdida(make_solicitud(estado="negociacion")) is None


def test_the_dashboard_reads_a_fixed_list_of_items_without_what_it_does_not_show():
    from chalicelib.domain.tablero import claves_del_mes, claves_del_tablero

    claves = claves_del_tablero("2026-12", "2026-11")
    assert len(claves) == len(set(claves)) == 28
    assert set(claves) <= set(claves_del_mes("2026-12")) | set(claves_del_mes("2026-11")) | {
        "tablero#abierto",
        "tablero#2026-12#avisos",
    }
    assert not [k for k in claves if k.startswith("tablero#2026-11#respuesta") or k.endswith("#ejecutivos")]
