"""Contract of the report reads of SolicitudRepository (in memory and DynamoDB on moto): the follow-up index holds
only followed-up requests, month reads return only that month, and both say how many items they read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.model import Cambio, EntradaHistorial
from tests.factories import make_entrada, make_solicitud
from tests.fakes_persistencia import InMemoryIdempotencia, InMemorySolicitudRepository


@pytest.fixture(params=["memoria", "dynamodb"])
def repo(request):
    if request.param == "memoria":
        return InMemorySolicitudRepository()
    from chalicelib.adapters.dynamo_solicitudes import PynamoSolicitudRepository

    return PynamoSolicitudRepository(request.getfixturevalue("settings"))


def crear(repo, **campos):
    s = make_solicitud(**campos)
    repo.crear(s, make_entrada(s))
    return s


def cambiar(repo, s, **campos):
    """Save one change of ``s`` (version + 1) with the given fields."""
    en = campos.get("estado_desde", s.actualizada_en)
    cambio = Cambio(
        f"EV-{s.id}-{s.version}", s.id, en, "eva", "EJ", "api", "x", s.estado, campos.get("estado", s.estado)
    )
    nueva = replace(s, version=s.version + 1, ultimo_cambio=cambio, **campos)
    repo.guardar_cambio(nueva, s.version, s.estado, EntradaHistorial.de_cambio(cambio, "Cambio."))
    return nueva


def ids(lectura):
    return [s.id for s in lectura.solicitudes]


class TestFollowUpIndex:
    def test_a_new_request_is_due_after_its_first_hour(self, repo):
        # Given a request that arrived at 09:15 La Paz (13:15 UTC)
        s = crear(repo, creada_en="2026-11-30T09:15:00-04:00")
        # When the follow-up index is read just before and at its deadline (14:15 UTC)
        antes = repo.pendientes_de_atencion("2026-11-30T14:14:59Z")
        vencida = repo.pendientes_de_atencion("2026-11-30T14:15:00Z")
        # Then it appears only from its deadline on
        assert (ids(antes), ids(vencida)) == ([], [s.id])
        assert vencida.solicitudes[0] == s

    def test_requests_come_earliest_deadline_first(self, repo):
        # Given an offer sent three days ago, a new request of this morning and an unattended one
        oferta = crear(
            repo,
            estado="oferta_enviada",
            creada_en="2026-11-20T10:00:00-04:00",
            estado_desde="2026-11-26T10:00:00-04:00",
        )
        nueva = crear(repo, creada_en="2026-11-30T08:00:00-04:00")
        perdida = crear(
            repo, estado="no_atendida", creada_en="2026-11-01T10:00:00-04:00", estado_desde="2026-11-02T10:00:00-04:00"
        )
        # When everything due by the evening is read
        lectura = repo.pendientes_de_atencion("2026-11-30T23:00:00Z")
        # Then the unattended one (due since it fell through) comes first, then by deadline
        assert ids(lectura) == [perdida.id, oferta.id, nueva.id]
        assert lectura.leidos == 3

    @pytest.mark.parametrize("estado", ["cerrada", "derivada_empresas", "anulada", "redigitada"])
    def test_requests_out_of_follow_up_are_never_in_the_index(self, repo, estado):
        crear(repo, estado=estado, creada_en="2026-01-01T10:00:00-04:00")
        lectura = repo.pendientes_de_atencion("2030-01-01T00:00:00Z")
        assert (ids(lectura), lectura.leidos) == ([], 0)

    def test_a_request_leaves_the_index_when_it_is_closed_and_enters_it_when_it_falls_through(self, repo):
        # Given two requests in the index
        cerrada = crear(repo, creada_en="2026-11-30T08:00:00-04:00")
        perdida = crear(repo, creada_en="2026-11-30T08:30:00-04:00")
        # When one moves to a state without follow-up and the other falls through
        cambiar(repo, cerrada, estado="derivada_empresas", estado_desde="2026-11-30T09:00:00-04:00")
        cambiar(repo, perdida, estado="no_atendida", estado_desde="2026-11-30T09:10:00-04:00")
        # Then only the unattended one is there, due since it fell through
        assert ids(repo.pendientes_de_atencion("2026-11-30T13:10:00Z")) == [perdida.id]
        assert ids(repo.pendientes_de_atencion("2026-11-30T13:09:59Z")) == []

    def test_a_change_of_state_moves_the_deadline(self, repo):
        # Given a new request answered within its hour (it moves on to registration: 1 business day)
        s = crear(repo, creada_en="2026-11-30T08:00:00-04:00")
        cambiar(repo, s, estado="en_registro", estado_desde="2026-11-30T08:20:00-04:00")
        # Then it is no longer due at its old deadline, but at the new one (8 h later, wall clock)
        assert ids(repo.pendientes_de_atencion("2026-11-30T13:00:00Z")) == []
        assert ids(repo.pendientes_de_atencion("2026-11-30T20:20:00Z")) == [s.id]

    def test_a_linked_redigitation_enters_the_index_in_digitation(self, repo):
        # Given a cancelled sale redigitated in one change (the new request is written with it)
        original = crear(repo, estado="anulada", creada_en="2026-11-01T08:00:00-04:00")
        nueva = make_solicitud(estado="digitacion", creada_en="2026-11-30T08:00:00-04:00", redigitacion_de=original.id)
        cambio = Cambio(
            "EV-R", original.id, "2026-11-30T08:00:00-04:00", "rosa", "RC", "api", "redigitar", "anulada", "redigitada"
        )
        redigitada = replace(
            original, estado="redigitada", version=original.version + 1, redigitada_como=nueva.id, ultimo_cambio=cambio
        )
        repo.guardar_cambio(
            redigitada,
            original.version,
            "anulada",
            EntradaHistorial.de_cambio(cambio, "R."),
            [(nueva, make_entrada(nueva))],
        )
        # Then only the new digitation is followed up (1 business day)
        assert ids(repo.pendientes_de_atencion("2026-11-30T20:00:00Z")) == [nueva.id]


class TestMonthReads:
    def test_a_months_requests_are_read_alone_oldest_first(self, repo):
        # Given requests of November and of the months around it
        noviembre = [crear(repo, creada_en=f"2026-11-{d}T10:00:00-04:00") for d in ("15", "01", "30")]
        for fecha in ("2026-10-31T23:59:00-04:00", "2026-12-01T00:00:00-04:00", "2025-11-15T10:00:00-04:00"):
            crear(repo, creada_en=fecha)
        # When November is read
        lectura = repo.del_mes("2026-11")
        # Then it holds exactly November's three, and only they were read
        assert ids(lectura) == [noviembre[1].id, noviembre[0].id, noviembre[2].id]
        assert lectura.leidos == 3

    def test_a_months_invoices_are_read_by_invoice_month_whatever_the_creation_month(self, repo):
        # Given an October request invoiced in November, a November one, and one invoiced in October
        factura = {"numero": "F-1", "monto_bs": 199.0, "emitida_en": "2026-11-02T10:00:00-04:00", "mes": "2026-11"}
        octubre = crear(repo, estado="cerrada", creada_en="2026-10-28T10:00:00-04:00", factura=factura)
        noviembre = crear(
            repo,
            estado="cerrada",
            creada_en="2026-11-03T10:00:00-04:00",
            factura={**factura, "numero": "F-2", "emitida_en": "2026-11-20T10:00:00-04:00"},
        )
        crear(repo, estado="cerrada", factura={**factura, "emitida_en": "2026-10-05T10:00:00-04:00", "mes": "2026-10"})
        crear(repo, creada_en="2026-11-04T10:00:00-04:00")
        # When November's invoices are read
        lectura = repo.facturadas_en("2026-11")
        # Then both November invoices, by issue time, and nothing else was read
        assert (ids(lectura), lectura.leidos) == ([octubre.id, noviembre.id], 2)

    def test_an_empty_month_reads_nothing(self, repo):
        crear(repo, creada_en="2026-11-04T10:00:00-04:00")
        assert (repo.del_mes("2026-08").leidos, repo.facturadas_en("2026-08").leidos) == (0, 0)


@pytest.fixture(params=["memoria", "dynamodb"])
def idempotencia(request):
    if request.param == "memoria":
        return InMemoryIdempotencia()
    from chalicelib.adapters.dynamo_idempotencia import PynamoIdempotencia

    return PynamoIdempotencia(request.getfixturevalue("settings"))


def test_a_key_completed_for_good_stays_done(idempotencia):
    # Given the monthly report's key claimed and completed for good
    assert idempotencia.reclamar("informe#2026-11", 900)
    idempotencia.completar("informe#2026-11", "ses-1", permanente=True)
    # When the schedule fires again, Then the key is taken and keeps the message id
    assert idempotencia.reclamar("informe#2026-11", 900) is False
    assert idempotencia.resultado("informe#2026-11") == "ses-1"


def test_a_permanent_key_has_no_expiry_in_dynamodb(settings):
    from chalicelib.adapters.dynamo_idempotencia import PynamoIdempotencia
    from chalicelib.adapters.dynamo_tables import ClaveItem

    idempotencia = PynamoIdempotencia(settings)
    idempotencia.reclamar("informe#2026-11")
    idempotencia.completar("informe#2026-11", "ses-1", permanente=True)
    idempotencia.reclamar("reaccion#x")
    idempotencia.completar("reaccion#x", "ses-2")
    assert ClaveItem.get("informe#2026-11").expira is None
    assert ClaveItem.get("reaccion#x").expira is not None
