"""Contract of Idempotencia: the in-memory fake and the DynamoDB adapter (on moto) obey the same rules."""

from __future__ import annotations

import threading

import pytest

from tests.fakes_persistencia import InMemoryIdempotencia


class RelojFalso:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, ahora: float = 1_796_040_000.0) -> None:
        self.ahora = ahora

    def __call__(self) -> float:
        return self.ahora

    def avanzar(self, segundos: float) -> None:
        self.ahora += segundos


@pytest.fixture
def reloj() -> RelojFalso:
    return RelojFalso()


@pytest.fixture(params=["memoria", "dynamodb"])
def idempotencia(request, reloj):
    from chalicelib.services.una_vez import entrega_actual

    if request.param == "memoria":
        return InMemoryIdempotencia(reloj=reloj, entrega_actual=entrega_actual)
    from chalicelib.adapters.dynamo_idempotencia import PynamoIdempotencia

    return PynamoIdempotencia(request.getfixturevalue("settings"), reloj=reloj, entrega_actual=entrega_actual)


class TestIdempotencia:
    def test_the_first_claim_wins_and_a_second_is_refused(self, idempotencia):
        # Given a key claimed once
        assert idempotencia.reclamar("correo#VD-1#acuse") is True

        # When it is claimed again, Then it is refused
        assert idempotencia.reclamar("correo#VD-1#acuse") is False

    def test_a_completed_key_keeps_its_result_and_cannot_be_claimed(self, idempotencia, reloj):
        # Given a claimed key completed with the provider's message id
        idempotencia.reclamar("correo#VD-1#acuse")
        idempotencia.completar("correo#VD-1#acuse", "ses-0001")

        # When much later (past any claim timeout) it is claimed again
        reloj.avanzar(3600)
        segunda = idempotencia.reclamar("correo#VD-1#acuse", segundos_en_curso=1)

        # Then it is refused and the result is there
        assert segunda is False
        assert idempotencia.resultado("correo#VD-1#acuse") == "ses-0001"

    def test_an_in_progress_or_unknown_key_has_no_result(self, idempotencia):
        # Given a key in progress
        idempotencia.reclamar("correo#VD-1#acuse")

        # Then neither it nor an unknown key has a result
        assert idempotencia.resultado("correo#VD-1#acuse") is None
        assert idempotencia.resultado("correo#VD-9#nunca") is None

    def test_a_released_key_can_be_claimed_again(self, idempotencia):
        # Given a claim given back after a failure
        idempotencia.reclamar("correo#VD-1#acuse")
        idempotencia.liberar("correo#VD-1#acuse")

        # When a retry claims it, Then it gets it
        assert idempotencia.reclamar("correo#VD-1#acuse") is True

    def test_releasing_a_completed_key_keeps_it(self, idempotencia):
        # Given a completed key
        idempotencia.reclamar("correo#VD-1#acuse")
        idempotencia.completar("correo#VD-1#acuse", "ses-0001")

        # When it is released (a late failure path), Then it stays completed
        idempotencia.liberar("correo#VD-1#acuse")
        assert idempotencia.reclamar("correo#VD-1#acuse") is False
        assert idempotencia.resultado("correo#VD-1#acuse") == "ses-0001"

    def test_releasing_an_unknown_key_is_harmless(self, idempotencia):
        idempotencia.liberar("correo#VD-9#nunca")
        assert idempotencia.reclamar("correo#VD-9#nunca") is True

    def test_an_expired_in_progress_claim_can_be_reclaimed(self, idempotencia, reloj):
        # Given a worker that claimed a key for 2 seconds and died
        assert idempotencia.reclamar("correo#VD-1#acuse", segundos_en_curso=2)

        # When another worker tries before and after the claim expires
        reloj.avanzar(1)
        antes = idempotencia.reclamar("correo#VD-1#acuse", segundos_en_curso=2)
        reloj.avanzar(2)
        despues = idempotencia.reclamar("correo#VD-1#acuse", segundos_en_curso=2)

        # Then it only gets the key once the first claim expired, and then holds it for its own period
        assert (antes, despues) == (False, True)
        assert idempotencia.reclamar("correo#VD-1#acuse", segundos_en_curso=2) is False

    def test_the_retry_of_the_delivery_that_died_holding_a_claim_retakes_it_at_once(self, idempotencia):
        from chalicelib.services.una_vez import entrega

        # Given a stream record whose handling claimed a key and then died (no completion, no release)
        with entrega("registro-41"):
            assert idempotencia.reclamar("correo#VD-1#acuse") is True

        # When another delivery, or work outside any delivery, asks for the key within its lease
        with entrega("registro-42"):
            otra = idempotencia.reclamar("correo#VD-1#acuse")
        fuera = idempotencia.reclamar("correo#VD-1#acuse")

        # And the same record, retried by Lambda, asks for it
        with entrega("registro-41"):
            reintento = idempotencia.reclamar("correo#VD-1#acuse")

        # Then only the retry gets it, without waiting for the lease
        assert (otra, fuera, reintento) == (False, False, True)

    def test_a_completed_key_is_not_retaken_by_the_delivery_that_took_it(self, idempotencia):
        from chalicelib.services.una_vez import entrega

        # Given a key claimed and completed while handling a record
        with entrega("registro-41"):
            idempotencia.reclamar("correo#VD-1#acuse")
            idempotencia.completar("correo#VD-1#acuse", "ses-0001")

            # When the same record is delivered again, Then the effect is not made twice
            assert idempotencia.reclamar("correo#VD-1#acuse") is False
        assert idempotencia.resultado("correo#VD-1#acuse") == "ses-0001"

    def test_a_key_can_be_completed_without_a_claim(self, idempotencia):
        # When a result is recorded directly
        idempotencia.completar("trabajo#reporte#2026-11", "")

        # Then it counts as done with its (empty) result
        assert idempotencia.resultado("trabajo#reporte#2026-11") == ""
        assert idempotencia.reclamar("trabajo#reporte#2026-11") is False

    def test_only_one_of_concurrent_claims_wins(self, idempotencia):
        # When eight workers claim the same key at once
        ganadores: list[bool] = []
        hilos = [
            threading.Thread(target=lambda: ganadores.append(idempotencia.reclamar("correo#VD-1#aviso")))
            for _ in range(8)
        ]
        for hilo in hilos:
            hilo.start()
        for hilo in hilos:
            hilo.join()

        # Then exactly one gets it
        assert sorted(ganadores) == [False] * 7 + [True]


def test_a_claim_applied_whose_answer_was_lost_is_still_ours_on_the_clients_retry(settings, monkeypatch):
    # Given DynamoDB applying the claim's put, then the client's retry of it (its answer lost to a read timeout)
    # meeting the condition it just made true
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import PutError

    from chalicelib.adapters.dynamo_idempotencia import PynamoIdempotencia
    from chalicelib.adapters.dynamo_tables import ClaveItem

    idempotencia = PynamoIdempotencia(settings)
    guardar = ClaveItem.save

    def aplicada_y_perdida(self, *args, **kwargs):
        guardar(self, *args, **kwargs)
        error = ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "x"}}, "PutItem")
        raise PutError("Failed to put item", error)

    monkeypatch.setattr(ClaveItem, "save", aplicada_y_perdida)
    # When the reaction claims its key
    # Then the claim is ours (the email goes), and a second claimant is still refused
    assert idempotencia.reclamar("reaccion#VD-1#acuse") is True
    assert idempotencia.reclamar("reaccion#VD-1#acuse") is False


def test_a_claim_whose_put_got_no_answer_is_read_back(settings, monkeypatch):
    # Given DynamoDB applying the claim's put, then the caller getting a read timeout instead of the answer
    from botocore.exceptions import ReadTimeoutError
    from pynamodb.exceptions import PutError

    from chalicelib.adapters.dynamo_idempotencia import PynamoIdempotencia
    from chalicelib.adapters.dynamo_tables import ClaveItem

    idempotencia = PynamoIdempotencia(settings)
    guardar = ClaveItem.save

    def aplicada_sin_respuesta(self, *args, **kwargs):
        guardar(self, *args, **kwargs)
        raise PutError("Failed to put item", ReadTimeoutError(endpoint_url="http://dynamodb"))

    monkeypatch.setattr(ClaveItem, "save", aplicada_sin_respuesta)
    # When the webhook claims its key, Then the claim is ours: the gateway is not told "en proceso" for 5 minutes
    assert idempotencia.reclamar("webhook#pagos#msg_1") is True


def test_a_claim_whose_put_got_no_answer_and_was_not_applied_raises(settings, monkeypatch):
    from botocore.exceptions import ReadTimeoutError
    from pynamodb.exceptions import PutError

    from chalicelib.adapters.dynamo_idempotencia import PynamoIdempotencia
    from chalicelib.adapters.dynamo_tables import ClaveItem

    idempotencia = PynamoIdempotencia(settings)

    def sin_respuesta(self, *args, **kwargs):
        raise PutError("Failed to put item", ReadTimeoutError(endpoint_url="http://dynamodb"))

    monkeypatch.setattr(ClaveItem, "save", sin_respuesta)
    # When the put never reached the table, Then the failure goes on (the caller answers 503 and is retried)
    with pytest.raises(PutError):
        idempotencia.reclamar("webhook#pagos#msg_2")
