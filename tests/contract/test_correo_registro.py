"""Contract of the email records: the in-memory fakes and the DynamoDB adapters (on moto) obey the same rules."""

from __future__ import annotations

import pytest

from chalicelib.domain.correo import MensajeEnviado, TokenRespuesta
from tests.fakes_correo import InMemorySupresiones, InMemoryTokensRespuesta

PREGUNTA = TokenRespuesta(
    token="ignorado",
    solicitud_id="VD-7F3K9Q2M",
    proposito="capacidad",
    responsable="HelpDesk@Ventas.Test",
    rol="HD",
    emitido_en="2026-11-30T09:00:00-04:00",
    expira_en="2026-12-10T09:00:00-04:00",
)


@pytest.fixture(params=["memoria", "dynamodb"])
def tokens(request):
    if request.param == "memoria":
        return InMemoryTokensRespuesta()
    from chalicelib.adapters.dynamo_correo import PynamoTokensRespuesta

    return PynamoTokensRespuesta(request.getfixturevalue("settings"))


@pytest.fixture(params=["memoria", "dynamodb"])
def supresiones(request):
    if request.param == "memoria":
        return InMemorySupresiones()
    from chalicelib.adapters.dynamo_correo import PynamoSupresiones

    return PynamoSupresiones(request.getfixturevalue("settings"))


class TestTokensRespuesta:
    def test_a_token_is_new_hex_and_bound_to_its_question(self, tokens):
        # When
        emitido = tokens.emitir(PREGUNTA)
        # Then
        assert emitido.token != "ignorado" and len(emitido.token) == 32 and int(emitido.token, 16) >= 0
        leido = tokens.obtener(emitido.token)
        assert leido == emitido
        assert (leido.solicitud_id, leido.proposito, leido.responsable, leido.rol) == (
            "VD-7F3K9Q2M",
            "capacidad",
            "helpdesk@ventas.test",
            "HD",
        )
        assert tokens.vigente("VD-7F3K9Q2M", "capacidad") == emitido

    def test_the_latest_token_is_the_question_s_current_one(self, tokens):
        # Given
        primero = tokens.emitir(PREGUNTA)
        # When
        segundo = tokens.emitir(PREGUNTA)
        # Then
        assert segundo.token != primero.token
        assert tokens.vigente("VD-7F3K9Q2M", "capacidad").token == segundo.token
        assert tokens.obtener(primero.token) is not None

    def test_a_token_is_used_for_one_decision_only(self, tokens):
        # Given
        emitido = tokens.emitir(PREGUNTA)
        # When
        primero = tokens.marcar_usado(emitido.token, en="2026-11-30T10:00:00-04:00", por="a@x", decision="negar")
        segundo = tokens.marcar_usado(emitido.token, en="2026-11-30T10:01:00-04:00", por="b@x", decision="confirmar")
        # Then
        assert (primero, segundo) == (True, False)
        usado = tokens.obtener(emitido.token)
        assert (usado.usado_por, usado.decision, usado.usado_en) == ("a@x", "negar", "2026-11-30T10:00:00-04:00")

    def test_unknown_and_revoked_tokens_are_none(self, tokens):
        # Given
        emitido = tokens.emitir(PREGUNTA)
        # When
        tokens.revocar(emitido.token)
        # Then
        assert tokens.obtener(emitido.token) is None
        assert tokens.obtener("f" * 32) is None
        assert tokens.vigente("VD-7F3K9Q2M", "capacidad") is None
        assert tokens.marcar_usado("0" * 32, en="x", por="y", decision="z") is False

    def test_a_sent_message_is_found_by_any_form_of_its_id(self, tokens):
        # Given
        tokens.registrar_mensaje(MensajeEnviado("<ev-1.consulta@ventas.test>", "VD-7F3K9Q2M", "abc"))
        tokens.registrar_mensaje(MensajeEnviado("0100018f-ses-id", "VD-7F3K9Q2M", None))
        # When / Then
        assert tokens.mensaje("<ev-1.consulta@ventas.test>").token == "abc"
        assert tokens.mensaje("<EV-1.consulta@otro-host.example>").solicitud_id == "VD-7F3K9Q2M"
        assert tokens.mensaje("<0100018f-ses-id@email.amazonses.com>").token is None
        assert tokens.mensaje("<desconocido@x>") is None


class TestSupresiones:
    def test_a_suppressed_address_is_found_whatever_its_case(self, supresiones):
        # Given
        supresiones.suprimir("Cliente@Example.com", motivo="rebote", en="2026-11-30T10:00:00-04:00")
        # When
        encontradas = supresiones.suprimidas(["cliente@example.com", "otro@example.com", "CLIENTE@EXAMPLE.COM"])
        # Then
        assert encontradas == {"cliente@example.com"}

    def test_nothing_is_suppressed_at_first(self, supresiones):
        # When / Then
        assert supresiones.suprimidas(["a@b.c"]) == set() and supresiones.suprimidas([]) == set()
