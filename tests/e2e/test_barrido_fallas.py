"""The fault sweep, fast form (issue 19): each flow is run once per AWS call it makes, with that call failing once
(a throttle that outlasted the client's retries); after the senders' redelivery the end state must equal the
fault-free run's: the same requests and history, every email and channel message exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.barrido import Escenario, barrer, reenviar_hasta_2xx

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

EVENTOS = Path(__file__).resolve().parents[1] / "events"


@pytest.fixture
def escenario(etapa, moto_endpoint):
    return Escenario(etapa=etapa, moto_endpoint=moto_endpoint)


def _informe(resultado) -> str:
    return "\n".join(f"llamada {i} ({op}): {dif}" for i, op, dif in resultado.fallas)


def test_web_form_survives_a_failure_of_each_aws_call(escenario):
    etapa = escenario.etapa

    def flujo(_: object) -> None:
        respuesta = reenviar_hasta_2xx(
            lambda: etapa.enviar_formulario(
                nombre="María Quispe Mamani",
                telefono="70712345",
                email="maria.quispe@example.com",
                consentimiento="on",
                envio_id="3f2c6f0e-8d1a-4b5e-9c7d-2a1b3c4d5e6f",
            )
        )
        assert respuesta.status_code == 201, respuesta.body

    resultado = barrer(escenario, flujo)
    print(f"\nformulario web: {resultado.puntos} llamadas a AWS barridas, {len(resultado.fallas)} con diferencias")
    assert resultado.puntos > 5 and not resultado.fallas, _informe(resultado)


def test_a_lead_ads_lead_survives_a_failure_of_each_aws_call(escenario):
    etapa = escenario.etapa
    cuerpo = (EVENTOS / "meta_leadgen.json").read_bytes()
    lead = json.loads((EVENTOS / "meta_leadgen.json").read_text())["entry"][0]["changes"][0]["value"]["leadgen_id"]

    def flujo(_: object) -> None:
        etapa.graph.registrar_lead(
            lead, {"full_name": "María Quispe", "phone_number": "+59170000000", "email": "maria.quispe@example.com"}
        )
        respuesta = reenviar_hasta_2xx(lambda: etapa.webhook_meta(cuerpo))
        assert respuesta.status_code == 200, respuesta.body

    resultado = barrer(escenario, flujo)
    print(f"\nLead Ads: {resultado.puntos} llamadas a AWS barridas, {len(resultado.fallas)} con diferencias")
    assert resultado.puntos > 5 and not resultado.fallas, _informe(resultado)


def test_a_payment_callback_survives_a_failure_of_each_aws_call(escenario):
    from tests.e2e.test_pagos import _callback, _en_pago_pendiente, _pago

    etapa = escenario.etapa

    def flujo(solicitud_id: str) -> None:
        cabeceras, cuerpo = _callback(etapa, _pago(solicitud_id), webhook_id="msg_barrido_1")
        respuesta = reenviar_hasta_2xx(
            lambda: etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=cuerpo)
        )
        assert respuesta.status_code == 200, respuesta.body

    resultado = barrer(escenario, flujo, preparar=lambda: _en_pago_pendiente(etapa))
    print(f"\naviso de pago: {resultado.puntos} llamadas a AWS barridas, {len(resultado.fallas)} con diferencias")
    assert resultado.puntos > 3 and not resultado.fallas, _informe(resultado)


@pytest.mark.parametrize(
    ("evento", "puerta"),
    [("meta_whatsapp_texto.json", "meta"), ("meta_messenger.json", "meta"), ("botmaker_mensaje.json", "botmaker")],
)
def test_a_channel_message_survives_a_failure_of_each_aws_call(escenario, evento, puerta):
    etapa = escenario.etapa
    cuerpo = (EVENTOS / evento).read_bytes()
    enviar = etapa.webhook_meta if puerta == "meta" else etapa.webhook_botmaker

    def flujo(_: object) -> None:
        respuesta = reenviar_hasta_2xx(lambda: enviar(cuerpo))
        assert respuesta.status_code == 200, respuesta.body

    resultado = barrer(escenario, flujo)
    print(f"\n{evento}: {resultado.puntos} llamadas a AWS barridas, {len(resultado.fallas)} con diferencias")
    assert resultado.puntos > 5 and not resultado.fallas, _informe(resultado)


def test_an_approval_by_signed_link_survives_a_failure_of_each_aws_call(escenario):
    from tests.e2e.test_pagos import _comprobante, _decidir, _en_pago_pendiente, _enlaces, _ultimo

    etapa = escenario.etapa

    def preparar() -> str:
        solicitud_id = _en_pago_pendiente(etapa)
        _comprobante(etapa, solicitud_id)
        validar = _ultimo(etapa, solicitud_id, etapa.settings.buzones.cobranzas, "Validar depósito")
        aprobar, _rechazar = _enlaces(validar)
        return aprobar

    def flujo(aprobar: str) -> None:
        # Collections clicks again when the page says the decision could not be saved
        respuesta = reenviar_hasta_2xx(lambda: _decidir(etapa, aprobar, decision="aprobar", observaciones="Conforme"))
        assert respuesta.status_code == 200, respuesta.body

    resultado = barrer(escenario, flujo, preparar=preparar)
    print(
        f"\naprobación por enlace: {resultado.puntos} llamadas a AWS barridas, {len(resultado.fallas)} con diferencias"
    )
    assert resultado.puntos > 3 and not resultado.fallas, _informe(resultado)
