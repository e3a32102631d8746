"""Collections decides by replying: APROBADO / CONFIRMADO approve, RECHAZADO needs a reason, anything else is
explained back (the email purposes ``deposito`` and ``pago_web``)."""

from __future__ import annotations

import pytest

from chalicelib.domain.respuestas import interpretar
from chalicelib.services.correo_entrante import PROPOSITOS, Orden
from tests.factories import make_solicitud


@pytest.mark.parametrize(
    ("proposito", "texto", "accion", "campos"),
    [
        ("deposito", "APROBADO", "aprobar_deposito", {}),
        (
            "deposito",
            "Aprobado.\nCoincide con el extracto del lunes",
            "aprobar_deposito",
            {"observaciones": "Coincide con el extracto del lunes"},
        ),
        (
            "deposito",
            "RECHAZADO\nMotivo: El depósito no figura en el extracto.",
            "rechazar_deposito",
            {"motivo": "El depósito no figura en el extracto."},
        ),
        ("pago_web", "CONFIRMADO", "confirmar_pago_web", {}),
        (
            "pago_web",
            "rechazado\nLa pasarela revirtió el pago",
            "rechazar_pago_web",
            {"motivo": "La pasarela revirtió el pago"},
        ),
    ],
)
def test_a_collections_reply_maps_to_its_decision(proposito, texto, accion, campos):
    orden = PROPOSITOS[proposito].decidir(interpretar(texto), make_solicitud())
    assert orden == Orden(accion, campos)


@pytest.mark.parametrize(
    ("texto", "explicacion"), [("RECHAZADO", "indique el motivo"), ("Lo reviso mañana", "APROBADO o RECHAZADO")]
)
def test_a_rejection_without_reason_or_an_unclear_reply_is_explained_not_applied(texto, explicacion):
    resultado = PROPOSITOS["deposito"].decidir(interpretar(texto), make_solicitud())
    assert isinstance(resultado, str) and explicacion in resultado


def test_the_reply_purposes_belong_to_collections_and_their_open_states():
    assert PROPOSITOS["deposito"].rol.value == "CO" and PROPOSITOS["deposito"].estados_abiertos == {
        "validacion_deposito"
    }
    assert PROPOSITOS["pago_web"].estados_abiertos == {"validacion_pago_web"}
