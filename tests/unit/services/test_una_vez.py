"""The claim around an irrevocable effect: given back when the effect failed, completed (never given back) once it
was made, and the writes after it retried in process."""

from __future__ import annotations

import pytest

from chalicelib.services import una_vez
from tests.fakes_persistencia import InMemoryIdempotencia


class CompletarQueFalla(InMemoryIdempotencia):
    """Fails the first ``fallos`` completions, as a throttle that outlasted the client's retries."""

    def __init__(self, fallos: int) -> None:
        super().__init__()
        self.fallos = fallos

    def completar(self, clave: str, resultado: str = "", permanente: bool = False) -> None:
        if self.fallos:
            self.fallos -= 1
            raise ConnectionError("ProvisionedThroughputExceededException")
        super().completar(clave, resultado, permanente)


def test_a_failure_before_the_effect_gives_the_claim_back_so_a_retry_makes_it():
    idem, enviados = InMemoryIdempotencia(), []

    def falla() -> str:
        raise ConnectionError("SES Throttling")

    with pytest.raises(ConnectionError):
        una_vez.enviar_una_vez(idem, "reaccion#1", falla, str)
    assert "reaccion#1" not in idem.claves
    assert una_vez.enviar_una_vez(idem, "reaccion#1", lambda: enviados.append("m1") or "m1", str) == "m1"
    assert enviados == ["m1"] and idem.resultado("reaccion#1") == "m1"


def test_an_effect_made_whose_record_failed_completes_the_claim_and_is_never_made_again():
    idem, enviados = InMemoryIdempotencia(), []

    def enviado_sin_registro() -> str:
        enviados.append("m1")
        raise una_vez.EfectoHecho("m1", ConnectionError("registro"))

    with pytest.raises(una_vez.EfectoHecho):
        una_vez.enviar_una_vez(idem, "reaccion#1", enviado_sin_registro, str)
    # the stream's retry finds the claim complete: nothing is sent again
    assert una_vez.enviar_una_vez(idem, "reaccion#1", lambda: enviados.append("m2") or "m2", str) is None
    assert enviados == ["m1"] and idem.resultado("reaccion#1") == "m1"


def test_completing_after_the_effect_is_retried_in_process():
    idem, enviados = CompletarQueFalla(fallos=2), []
    assert una_vez.enviar_una_vez(idem, "mensaje#1", lambda: enviados.append("w1") or "w1", str) == "w1"
    assert enviados == ["w1"] and idem.resultado("mensaje#1") == "w1"


def test_a_record_that_keeps_failing_is_raised_after_its_attempts_without_giving_the_claim_back():
    idem, esperas = CompletarQueFalla(fallos=99), []
    with pytest.raises(ConnectionError):
        una_vez.tras_efecto(lambda: idem.completar("k", "r"), "completar k", dormir=esperas.append)
    assert esperas == [0.1, 0.2, 0.4] and idem.fallos == 99 - una_vez.INTENTOS_TRAS_EFECTO
