"""bench.meses_generados (B10's generated months): deterministic, faithful to the state machine, and its aggregates
tell the same billing as its invoices; the backtest returns its figures for days 10 and 20."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from bench.meses_generados import LA_PAZ, backtest, generar, inicio_del_mes, mes_siguiente, solicitudes_de_mes
from chalicelib.domain.proyeccion import dia_de_control
from chalicelib.domain.states import TRANSITIONS, Accion, Estado
from chalicelib.domain.tablero import cifras_del_mes


def _habil(dia):
    return dia.weekday() < 5  # no holidays: the unit tests need no calendar package


@pytest.fixture(scope="module")
def historia():
    return generar(7, "2025-01", 4, por_dia=5, es_habil=_habil)


def test_the_same_seed_generates_the_same_months_and_another_seed_others(historia):
    otra = generar(7, "2025-01", 4, por_dia=5, es_habil=_habil)
    assert [(p.id, p.creada, p.pasos) for p in otra.prospectos] == [
        (p.id, p.creada, p.pasos) for p in historia.prospectos
    ]
    momento = datetime(2025, 3, 12, tzinfo=LA_PAZ)
    assert otra.items_en("2025-03", momento) == historia.items_en("2025-03", momento)
    distinta = generar(8, "2025-01", 4, por_dia=5, es_habil=_habil)
    assert [p.creada for p in distinta.prospectos] != [p.creada for p in historia.prospectos]


def test_every_step_is_a_transition_of_the_state_machine_in_time_order(historia):
    for p in historia.prospectos:
        estado, antes = "nueva", p.creada
        for paso in p.pasos:
            assert TRANSITIONS[(Estado(estado), Accion(paso.accion))] == Estado(paso.estado), (p.id, paso)
            assert paso.en > antes, (p.id, paso)
            estado, antes = paso.estado, paso.en
        assert p.primera_respuesta is None or p.primera_respuesta > p.creada


def test_the_month_end_items_tell_the_billing_that_the_invoices_add_up_to(historia):
    for mes in historia.meses[1:]:
        fin = inicio_del_mes(mes_siguiente(mes))
        items = historia.items_en(mes, fin)
        assert cifras_del_mes(mes, items).centavos == historia.facturacion_directa(mes, fin) > 0, mes


def test_at_a_checkpoint_no_request_carries_anything_dated_after_it(historia):
    for mes in historia.meses[1:]:
        for dia in (10, 20):
            hoy = dia_de_control(mes, dia, _habil)
            momento = datetime.combine(hoy, time(0, 0), LA_PAZ)
            solicitudes = historia.solicitudes_en(mes, momento)
            assert solicitudes
            for s in solicitudes:
                assert s.creada_en < momento.isoformat()
                if s.factura:
                    assert datetime.fromisoformat(s.factura["emitida_en"]) < momento, s.id
                    assert s.factura["mes"] == s.factura["emitida_en"][:7]
                assert all(datetime.fromisoformat(v) < momento for v in s.etapas.values()), s.id
                if s.primera_respuesta_en:
                    assert datetime.fromisoformat(s.primera_respuesta_en) < momento


def test_the_backtest_returns_its_figures_for_days_10_and_20(historia):
    resultado = backtest(historia, calentamiento=2, es_habil=_habil)
    assert resultado["consistente"] and resultado["meses"] == ["2025-03", "2025-04"]
    for dia in ("10", "20"):
        resumen = resultado["resumen"][dia]
        assert resumen["meses"] == 2
        for metodo in ("proyeccion", "ingenua"):
            assert set(resumen[metodo]) == {"mape", "mediana", "peor", "sesgo", "aciertos_kpi"}
            assert 0 <= resumen[metodo]["mediana"] <= resumen[metodo]["peor"]
        # What happened adds up to the final billing, whatever the projection said
        assert sum(v for k, v in resumen["realizado_pct_final"].items() if k != "en_curso_despues") == pytest.approx(
            100
        )


def test_a_month_of_any_size_has_exactly_that_many_requests():
    momento = datetime(2025, 6, 18, 12, 0, tzinfo=LA_PAZ)
    solicitudes = solicitudes_de_mes("2025-06", 300, momento, semilla=3, es_habil=_habil)
    assert len(solicitudes) == 300 and {s.mes for s in solicitudes} == {"2025-06"}
    assert all(s.creada_en < momento.isoformat() for s in solicitudes)
    assert {s.canal for s in solicitudes} == {"web", "facebook", "whatsapp", "botmaker", "messenger"}
