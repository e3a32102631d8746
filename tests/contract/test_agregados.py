"""Contract of Agregados: the in-memory fake and the DynamoDB adapter (on moto) count a request's change once,
all or nothing, and read back a fixed set of items; ``services.tablero.contar`` on both."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from chalicelib.domain.errors import ConflictoConcurrente
from chalicelib.domain.tablero import aporte, cifras_del_mes, claves_del_mes, sumar
from chalicelib.services import tablero
from tests.datos_reportes import noviembre
from tests.fakes_persistencia import InMemoryAgregados, InMemorySolicitudRepository


@pytest.fixture(params=["memoria", "dynamodb"])
def agregados(request):
    if request.param == "memoria":
        return InMemoryAgregados()
    from chalicelib.adapters.dynamo_tablero import PynamoAgregados

    return PynamoAgregados(request.getfixturevalue("settings"))


@pytest.fixture
def mes():
    return list(noviembre(InMemorySolicitudRepository()).values())


def test_every_request_counted_once_adds_up_to_what_its_contributions_sum(agregados, mes):
    # When each request's state is counted, and counted again (a redelivered stream record)
    for s in mes:
        assert tablero.contar(s, agregados=agregados) is True
    for s in mes:
        assert tablero.contar(s, agregados=agregados) is False
    # Then the stored items are exactly the sum of the contributions
    claves = [*claves_del_mes("2026-11"), *claves_del_mes("2026-10")]
    esperado = {k: v for k, v in sumar([aporte(s) for s in mes]).items() if k in claves}
    leido = agregados.leer(claves)
    assert {k: {a: n for a, n in v.items() if n} for k, v in leido.items()} == esperado
    assert cifras_del_mes("2026-11", leido) == cifras_del_mes("2026-11", esperado)


def test_a_later_version_applies_its_difference_and_an_older_one_changes_nothing(agregados, mes):
    vendida = next(s for s in mes if s.id == "VD-A")
    tablero.contar(vendida, agregados=agregados)
    antes = cifras_del_mes("2026-11", agregados.leer(claves_del_mes("2026-11")))
    anulada = replace(vendida, estado="anulada", version=vendida.version + 1)
    assert tablero.contar(anulada, agregados=agregados) is True
    assert tablero.contar(vendida, agregados=agregados) is False  # a stale record delivered late
    despues = cifras_del_mes("2026-11", agregados.leer(claves_del_mes("2026-11")))
    assert (antes.centavos, despues.centavos) == (19900, 0)
    assert despues.anuladas_facturadas == 1 and despues.perdidas["anulada"] == 1


def test_a_write_from_a_stale_read_is_refused_whole(agregados, mes):
    s = mes[0]
    agregados.contar(s.id, s.version, aporte(s), None, aporte(s))
    with pytest.raises(ConflictoConcurrente):
        agregados.contar(s.id, s.version, aporte(s), None, aporte(s))
    assert cifras_del_mes(s.mes, agregados.leer(claves_del_mes(s.mes))).solicitudes == 1


def test_concurrent_deliveries_of_the_same_change_count_it_once(agregados, mes):
    s = next(x for x in mes if x.id == "VD-B")
    resultados: list[bool] = []

    def contar() -> None:
        resultados.append(tablero.contar(s, agregados=agregados))

    hilos = [threading.Thread(target=contar) for _ in range(4)]
    for h in hilos:
        h.start()
    for h in hilos:
        h.join()
    assert resultados.count(True) == 1
    assert cifras_del_mes("2026-11", agregados.leer(claves_del_mes("2026-11"))).ventas == 1


def test_the_rebuild_finds_a_drifted_counter_and_corrects_it(agregados, mes):
    for s in mes:
        tablero.contar(s, agregados=agregados)
    del_mes = [s for s in mes if s.mes == "2026-11" or (s.factura or {}).get("mes") == "2026-11"]
    assert tablero.reconstruir(["2026-11"], del_mes, agregados=agregados).coinciden
    # Given a counter that drifted (a bug, a manual edit)
    agregados.reemplazar({"tablero#2026-11#total": {"recibidas": 99}})
    comparacion = tablero.reconstruir(["2026-11"], del_mes, agregados=agregados)
    assert not comparacion.coinciden
    assert comparacion.diferencias["tablero#2026-11#total"]["recibidas"][0] == 99
    # When it is corrected, Then it agrees again
    tablero.corregir(["2026-11"], del_mes, agregados=agregados)
    assert tablero.reconstruir(["2026-11"], del_mes, agregados=agregados).coinciden


def test_a_change_that_adds_nothing_to_the_dashboard_writes_nothing(agregados, mes):
    s = next(x for x in mes if x.id == "VD-A")
    assert tablero.contar(s, agregados=agregados) is True
    # A later version that changes nothing the dashboard counts (a note, a datum): no write, same counters
    antes = agregados.leer(claves_del_mes("2026-11"))
    nota = replace(s, version=s.version + 1, datos={**s.datos, "observacion": "llamar por la tarde"})
    assert tablero.contar(nota, agregados=agregados) is False
    assert agregados.leer(claves_del_mes("2026-11")) == antes
    # And the next change that does count still applies only its own difference
    anulada = replace(nota, estado="anulada", version=nota.version + 1)
    assert tablero.contar(anulada, agregados=agregados) is True
    assert cifras_del_mes("2026-11", agregados.leer(claves_del_mes("2026-11"))).centavos == 0


def test_a_note_sets_its_attributes_and_leaves_the_others(agregados):
    agregados.anotar("tablero#2026-12#avisos", {"c10_fecha": 20261210, "c10_enviado": 1})
    agregados.anotar("tablero#2026-12#avisos", {"c20_fecha": 20261221, "c20_enviado": 0})
    agregados.anotar("tablero#2026-12#avisos", {"c10_enviado": 0})
    assert agregados.leer(["tablero#2026-12#avisos"]) == {
        "tablero#2026-12#avisos": {"c10_fecha": 20261210, "c10_enviado": 0, "c20_fecha": 20261221, "c20_enviado": 0}
    }
