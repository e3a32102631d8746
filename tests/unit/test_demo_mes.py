"""The demo month that `make run` seeds (localstage/demo.py ``generar_mes_demo``): deterministic, quiet, and every
part of the dashboard filled, with the current month behind the previous one so the projection warns."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.calendario import CalendarioLaboral
from chalicelib.domain.proyeccion import proyectar
from chalicelib.domain.seguimiento import mes_anterior
from chalicelib.domain.tablero import ABIERTOS, aporte, cifras_del_mes, monto_abierto, motivo_perdida, sumar
from localstage.demo import (
    CANALES,
    PERDIDAS_FORZADAS,
    Historia,
    Plazos,
    almacenadas,
    claves_de_seguimiento,
    generar_mes_demo,
)

LA_PAZ = ZoneInfo("America/La_Paz")
FECHAS = {
    "primero_de_madrugada": datetime(2026, 12, 1, 0, 10, tzinfo=LA_PAZ),
    "primero_en_oficina": datetime(2027, 3, 1, 10, 0, tzinfo=LA_PAZ),
    "cinco": datetime(2026, 12, 5, 16, 50, tzinfo=LA_PAZ),
    "quince": datetime(2026, 11, 15, 12, 0, tzinfo=LA_PAZ),
    "ultimo": datetime(2026, 11, 30, 18, 0, tzinfo=LA_PAZ),
    "fin_de_febrero": datetime(2027, 2, 28, 20, 0, tzinfo=LA_PAZ),
}
CANALES_DEMO = {c for c, _ in CANALES}


@cache
def _historias(nombre: str) -> list[Historia]:
    return generar_mes_demo(FECHAS[nombre])


@pytest.fixture(params=sorted(FECHAS))
def caso(request):
    hasta = FECHAS[request.param]
    historias = _historias(request.param)
    mes = hasta.strftime("%Y-%m")
    return hasta, mes, mes_anterior(mes), historias


def test_the_same_moment_gives_the_same_month():
    hasta = FECHAS["cinco"]
    otra = generar_mes_demo(hasta)
    assert [h.solicitud for h in otra] == [h.solicitud for h in _historias("cinco")]
    assert [h.entradas for h in otra] == [h.entradas for h in _historias("cinco")]
    assert len({h.solicitud.id for h in otra}) == len(otra)  # written again: the same items, no duplicates


def test_stored_requests_are_quiet_and_nothing_happens_after_now(caso):
    hasta, _, _, historias = caso
    assert all(s.ultimo_cambio is None for s in almacenadas(historias))
    for h in historias:
        acciones = [e for e in h.entradas if e.tipo == "accion"]
        assert acciones[-1].a == h.solicitud.estado and h.solicitud.version == len(acciones)
        assert all(datetime.fromisoformat(e.en) <= hasta for e in acciones)


def test_every_pipeline_state_waits_with_its_amount(caso):
    _, _, _, historias = caso
    abiertas = Counter(s.estado for s in almacenadas(historias) if s.estado in ABIERTOS)
    assert set(abiertas) == set(ABIERTOS)
    for estado in ABIERTOS:
        assert any(monto_abierto(s) > 0 for s in almacenadas(historias) if s.estado == estado), estado


def test_every_channel_each_loss_and_first_answers_in_the_previous_month(caso):
    _, _, anterior, historias = caso
    del_mes = [h.solicitud for h in historias if h.solicitud.mes == anterior]
    assert {s.canal for s in del_mes} >= CANALES_DEMO
    # the kind of loss as the procedure left it (the full request, before the demo drops ``ultimo_cambio``)
    assert {motivo_perdida(s) for s in del_mes} >= set(PERDIDAS_FORZADAS)
    assert sum(1 for s in del_mes if s.primera_respuesta_en) > 100


def test_the_current_month_has_every_channel_and_loss_once_it_has_had_office_hours(caso):
    hasta, mes, _, historias = caso
    del_mes = [h.solicitud for h in historias if h.solicitud.mes == mes]
    if hasta.day == 1 and hasta.hour < 8:
        assert len(del_mes) <= 5  # the 1st before the office opens: almost nothing yet
        return
    assert {s.canal for s in del_mes} >= CANALES_DEMO
    assert any(s.primera_respuesta_en for s in del_mes)
    if hasta.day >= 5:
        assert {motivo_perdida(s) for s in del_mes} >= set(PERDIDAS_FORZADAS)


def test_invoices_fall_on_several_days_of_both_months(caso):
    hasta, mes, anterior, historias = caso
    items = sumar([aporte(s) for s in almacenadas(historias)])
    assert len(cifras_del_mes(anterior, items).facturado_por_dia) >= 15
    if hasta.day >= 5:
        assert len(cifras_del_mes(mes, items).facturado_por_dia) >= 3
    previo = cifras_del_mes(anterior, items)
    assert previo.respuesta_p50 is not None and previo.ventas > 100


def test_the_current_month_runs_behind_so_the_projection_warns(caso):
    hasta, mes, anterior, historias = caso
    items = sumar([aporte(s) for s in almacenadas(historias)])
    proyeccion = proyectar(mes, items, hasta.date(), CalendarioLaboral().es_dia_habil)
    assert proyeccion.anterior == cifras_del_mes(anterior, items).centavos > 0
    assert proyeccion.kpi.porcentaje is not None and proyeccion.kpi.porcentaje < 98
    assert proyeccion.faltante > 0
    recibidas = Counter(s.mes for s in almacenadas(historias) if not s.redigitacion_de)
    dias_del_mes = 28 if mes.endswith("-02") else 30
    assert recibidas[mes] <= recibidas[anterior] * hasta.day / dias_del_mes


def test_the_follow_up_jobs_find_nothing_to_send_about_the_demo_at_its_moment(caso):
    # The rules of escalate_unattended, remind_help_desk and remind_requirements (chalicelib/services/trabajos.py,
    # seguimiento_hd.py, recordatorios.py) applied at the demo's moment to what the demo stores and claims
    hasta, _, _, historias = caso
    calendario, plazos = CalendarioLaboral(), Plazos()
    claves = set(claves_de_seguimiento(historias))
    for s in almacenadas(historias):
        desde = datetime.fromisoformat(s.estado_desde)
        if s.estado == "nueva" and calendario.vencimiento(datetime.fromisoformat(s.creada_en), 60) <= hasta:
            # past its first business hour: already escalated (the job skips it), as its history says
            assert s.primera_respuesta_en or s.escalada_en, s.id
            assert s.escalada_en is None or datetime.fromisoformat(s.escalada_en) <= hasta
        if s.estado == "consulta_help_desk":
            for tipo, minutos in (("recordatorio_hd", 120), ("escalamiento_hd", 240)):
                if calendario.vencimiento(desde, minutos) <= hasta:
                    assert f"{tipo}#{s.id}#{s.estado_desde}" in claves, (tipo, s.id)
        if s.estado == "requisitos":
            # no reminder to the demo's (fake) customer, today or in the next half business day
            assert calendario.vencimiento(desde, plazos.minutos_requisitos) > hasta, s.id
            assert calendario.vencimiento(desde, plazos.minutos_cliente + 5) > hasta, s.id
    escaladas = [h for h in historias if h.solicitud.escalada_en]
    assert all(any(e.id == f"escalamiento#{h.solicitud.id}" for e in h.entradas) for h in escaladas)
