"""Issue 17, item 4, through the inbound email service with fakes: a Help Desk reply that opens with a condition
("Si el vecino autoriza, entonces …") gets the "no entendida" answer and changes nothing; the question stays open."""

from __future__ import annotations

import pytest

from chalicelib.domain.respuestas import interpretar
from chalicelib.services.correo_entrante import PROPOSITOS, Orden
from chalicelib.services.correo_entrante.propositos import CONDICION
from tests.factories import make_solicitud
from tests.unit.services.test_correo_entrante import HD, correo  # noqa: F401  (the inbound email world fixture)

RESPUESTA_GMAIL_CONDICIONAL = (
    "Si el vecino autoriza el paso del cable por su techo, entonces instalamos el jueves.\n"
    "\n"
    "El lun., 30 nov 2026 a las 9:05, Ventas Digitales COMTECO <\n"
    "ventas-digitales@ventas.comteco.local> escribió:\n"
    "\n"
    "> Estimado equipo de Help Desk:\n"
    ">\n"
    "> Si hay capacidad, por ejemplo:\n"
    "> SI\n"
    "> Velocidad máxima: 40 Mbps\n"
)


def test_a_conditional_help_desk_reply_is_not_understood_and_changes_nothing(correo):  # noqa: F811
    # Given a request waiting for Help Desk
    solicitud_id = correo.preguntar_capacidad()
    pregunta = correo.ultimo_enviado()
    antes = correo.repo.obtener(solicitud_id)
    # When Help Desk answers with a condition, from Gmail
    resultado = correo.responder(RESPUESTA_GMAIL_CONDICIONAL)
    # Then nothing moved: same state, same capacity, no decision in the history
    assert resultado.estado == "no_entendido" and resultado.motivo.startswith(CONDICION)
    despues = correo.repo.obtener(solicitud_id)
    assert despues.estado == "consulta_help_desk" and despues.capacidad == antes.capacidad
    acciones = {e.accion for e in correo.repo.historial(solicitud_id) if e.accion}
    assert not acciones & {"confirmar_capacidad", "negar_capacidad"}
    # and the sender got the "no entendida" answer, answerable with the same token
    respuesta = correo.ultimo_enviado()
    assert respuesta.para == (HD,) and "respuesta_no_entendida" in respuesta.asunto
    assert respuesta.responder_a == pregunta.responder_a
    recibido = correo.historial(solicitud_id, "correo_recibido")[-1]
    assert recibido.campos["problema"].startswith(CONDICION)
    assert correo.tokens.vigente(solicitud_id, "capacidad").usado_en is None
    # When Help Desk then decides
    decidida = correo.responder("Sí, hay capacidad\nVelocidad máxima: 40 Mbps")
    # Then the decision applies
    assert decidida.estado == "aplicado" and correo.estado(solicitud_id) == "negociacion"


@pytest.mark.parametrize(
    ("proposito", "texto", "esperado"),
    [
        ("capacidad", "si me confirman la dirección exacta, reviso la caja", "SI o NO"),
        ("deposito", "Si el depósito figura en el extracto de hoy, lo apruebo", "APROBADO o RECHAZADO"),
        ("pago_web", "¿El pago figura en Smartflex?", "CONFIRMADO o RECHAZADO"),
        ("oferta", "si el precio baja lo contrato", "responda ACEPTO"),
    ],
)
def test_every_purpose_explains_that_a_condition_is_not_a_decision(proposito, texto, esperado):
    # When
    motivo = PROPOSITOS[proposito].decidir(interpretar(texto), make_solicitud())
    # Then
    assert isinstance(motivo, str) and motivo.startswith(CONDICION) and esperado in motivo


def test_an_unreadable_reply_that_is_no_condition_keeps_its_former_explanation():
    # When
    motivo = PROPOSITOS["capacidad"].decidir(interpretar("Nosotros revisamos mañana"), make_solicitud())
    # Then
    assert motivo == "La primera línea de su respuesta empieza con «Nosotros»; debe empezar con SI o NO."


def test_a_customer_yes_without_an_accent_still_accepts_the_offer():
    # When
    orden = PROPOSITOS["oferta"].decidir(interpretar("si me interesa"), make_solicitud())
    # Then
    assert orden == Orden("aceptar_oferta", {"observaciones": "me interesa"})
