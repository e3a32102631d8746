"""The demo history (localstage/demo.py): deterministic, and every request consistent with the procedure."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.states import Estado
from localstage.demo import almacenadas, generar, laborable, resumen

HASTA = datetime(2026, 11, 30, 18, 0, tzinfo=ZoneInfo("America/La_Paz"))


@pytest.fixture(scope="module")
def historias():
    return generar(semilla=7, hasta=HASTA, meses=3, por_mes=70)


def test_the_same_seed_gives_the_same_history(historias):
    otra = generar(semilla=7, hasta=HASTA, meses=3, por_mes=70)
    assert [h.solicitud for h in otra] == [h.solicitud for h in historias]
    assert [h.entradas for h in otra] == [h.entradas for h in historias]
    assert generar(semilla=8, hasta=HASTA, meses=1, por_mes=5)[0].solicitud.id != historias[0].solicitud.id


def test_it_covers_months_channels_states_invoices_cancellations_and_redigitations(historias):
    datos = resumen(historias)
    assert set(datos["por_mes"]) == {"2026-09", "2026-10", "2026-11"}
    assert set(datos["canales"]) == {"web", "facebook", "whatsapp", "botmaker", "messenger"}
    estados = datos["por_estado"]
    for estado in ("cerrada", "no_atendida", "derivada_empresas", "redigitada", "oferta_enviada"):
        assert estados.get(estado, 0) > 0, estado
    assert len({h.solicitud.ejecutivo for h in historias} - {None}) == 5
    assert len({(h.solicitud.oferta or {}).get("plan") for h in historias} - {None}) >= 5
    assert sum(datos["facturas_por_mes"].values()) > 60


def test_every_request_is_consistent_with_its_history(historias):
    ids = {h.solicitud.id for h in historias}
    for h in historias:
        s = h.solicitud
        acciones = [e for e in h.entradas if e.tipo == "accion"]
        # the history replays to the stored state, one version per entry, oldest first, none after the cut-off
        assert acciones[-1].a == s.estado and s.version == len(acciones)
        assert [e.en for e in acciones] == sorted(e.en for e in acciones)
        assert all(datetime.fromisoformat(e.en) <= HASTA for e in acciones)
        assert s.mes == s.creada_en[:7] and s.estado_desde <= s.actualizada_en
        if s.estado == Estado.CERRADA.value:
            assert s.factura and s.factura["mes"] == s.factura["emitida_en"][:7]
        if s.redigitada_como:
            assert s.redigitada_como in ids and s.estado == Estado.REDIGITADA.value
        if s.redigitacion_de:
            assert s.redigitacion_de in ids and acciones[0].accion == "crear_redigitacion"


def test_human_steps_happen_in_office_hours(historias):
    horas = Counter(
        datetime.fromisoformat(e.en).hour for h in historias for e in h.entradas if e.rol not in ("SISTEMA", "RC")
    )
    assert set(horas) <= set(range(8, 19))


def test_stored_requests_carry_no_action_so_the_stream_sends_nothing(historias):
    assert all(s.ultimo_cambio is None for s in almacenadas(historias))


def test_office_hours_move_a_sunday_evening_to_monday_morning():
    domingo = datetime(2026, 11, 29, 20, 0, tzinfo=ZoneInfo("America/La_Paz"))
    assert laborable(domingo).isoformat() == "2026-11-30T08:30:00-04:00"
    sabado_tarde = datetime(2026, 11, 28, 13, 0, tzinfo=ZoneInfo("America/La_Paz"))
    assert laborable(sabado_tarde).isoformat() == "2026-11-30T08:30:00-04:00"
