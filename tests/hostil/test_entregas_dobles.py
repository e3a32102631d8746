"""Every at-least-once source delivered twice, on the local stage (moto, the stream pump, the outbox): the second
delivery sends no email and writes no history entry, no request and no item.

Already proven elsewhere, not repeated here: Meta Lead Ads / Messenger / WhatsApp messages and Botmaker messages
(``tests/e2e/test_canales.py::test_a_payload_delivered_twice_is_one_request_and_one_set_of_emails``).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import boto3
import pytest

from tests.correo_util import eml
from tests.e2e.test_procedimiento import _hasta_forma_pago, _hasta_negociacion
from tests.fakes import FixedClock

pytestmark = pytest.mark.e2e

LA_PAZ = ZoneInfo("America/La_Paz")
EVENTOS = Path(__file__).resolve().parents[1] / "events"
FORMULARIO = {
    "nombre": "María Quispe Mamani",
    "telefono": "70712345",
    "email": "maria.quispe@example.com",
    "zona": "Centro",
    "direccion": "Calle España 250",
    "tipo_cliente": "residencial",
    "mensaje": "Quiero internet para mi casa",
    "consentimiento": "on",
}


@pytest.fixture
def reloj(etapa):
    """The app's clock, fixed at Monday 2026-11-30 09:00 La Paz (set before the first request builds anything)."""
    from chalicelib.bootstrap import get_services

    reloj = FixedClock(datetime(2026, 11, 30, 9, 0, tzinfo=LA_PAZ))
    get_services().overrides["clock"] = reloj
    return reloj


def _nueva(etapa, telefono: str = "70712345", envio_id: str | None = None) -> str:
    """A web-form request of its own person (phone and email differ per ``telefono``, so nothing merges)."""
    campos = {**FORMULARIO, "telefono": telefono, "email": f"p{telefono}@example.com"}
    campos |= {"envio_id": envio_id} if envio_id else {}
    respuesta = etapa.enviar_formulario(**campos)
    assert respuesta.status_code in (200, 201), respuesta.body
    etapa.bombear()
    import re

    return re.search(r"VD-[0-9A-Z]{8}", respuesta.body.decode()).group(0)


def _huella(etapa, ids: list[str]) -> tuple[int, dict[str, list[tuple[str, str]]]]:
    """What the side effects left: the emails sent, and every request's history (type and id of each entry)."""
    historias = {i: [(e["tipo"], e["id"]) for e in etapa.detalle(i, "RC")["historial"]] for i in ids}
    return len(etapa.outbox()), historias


def _evento_programado(etapa) -> dict[str, Any]:
    return etapa.cliente.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region="us-east-1"
    )


# --- schedules ---------------------------------------------------------------------------------------------------


def test_every_schedule_that_fires_twice_sends_each_email_once(etapa, reloj):
    # Given a request nobody touched, one waiting for Help Desk, one waiting for the customer's documents
    sin_tocar = _nueva(etapa, "70712345")
    en_hd = _nueva(etapa, "70712346")
    _hasta_negociacion_sin_confirmar(etapa, en_hd)
    en_requisitos = _nueva(etapa, "70712347")
    _hasta_negociacion(etapa, en_requisitos)
    etapa.aplicar(en_requisitos, "enviar_oferta", plan="hogar-fibra-50")
    etapa.aplicar(en_requisitos, "aceptar_oferta")
    ids = [sin_tocar, en_hd, en_requisitos]
    # And three days later (every deadline passed; the month of November is over for the report)
    reloj.avanzar(days=3)
    programas = [
        "escalate_unattended",
        "remind_help_desk",
        "remind_requirements",
        "send_unattended_digest",
        "send_monthly_report",
    ]
    for programa in programas:
        # When the schedule fires, and fires again (EventBridge delivers at least once)
        antes = _huella(etapa, ids)
        etapa.cliente.lambda_.invoke(programa, _evento_programado(etapa))
        etapa.bombear()
        despues_primera = _huella(etapa, ids)
        etapa.cliente.lambda_.invoke(programa, _evento_programado(etapa))
        etapa.bombear()
        # Then the first run sent its emails and the second nothing
        assert despues_primera[0] > antes[0], f"{programa} sent nothing"
        assert _huella(etapa, ids) == despues_primera, f"{programa} fired twice sent twice"


def _hasta_negociacion_sin_confirmar(etapa, solicitud_id: str) -> None:
    etapa.aplicar(solicitud_id, "clasificar_residencial")
    etapa.aplicar(solicitud_id, "registrar_datos", ci="4567891", latitud=-17.3935, longitud=-66.157)
    etapa.aplicar(solicitud_id, "consultar_cobertura")
    etapa.aplicar(solicitud_id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50)


# --- channels, form, mail --------------------------------------------------------------------------------------


def test_a_whatsapp_status_delivered_twice_is_recorded_once(etapa):
    # Given a request and a WhatsApp message this system sent for it
    from chalicelib.bootstrap import get_services

    solicitud_id = _nueva(etapa)
    get_services().salientes.registrar_saliente("whatsapp", "wamid.HBgNSALIENTE001", solicitud_id)
    estado = (EVENTOS / "meta_whatsapp_estado.json").read_bytes()
    # When Meta delivers its status twice (and the stream handles each)
    assert etapa.webhook_meta(estado).json_body["duplicada"] is False
    etapa.bombear()
    huella = _huella(etapa, [solicitud_id])
    assert etapa.webhook_meta(estado).json_body["duplicada"] is True
    etapa.bombear()
    # Then one history entry, nothing new the second time
    assert [t for t, _ in huella[1][solicitud_id]].count("estado_mensaje") == 1
    assert _huella(etapa, [solicitud_id]) == huella


def test_the_web_form_submitted_twice_with_its_envio_id_is_one_request(etapa):
    # Given a submitted form
    envio = "3f2c6f0e-8d1a-4b5e-9c7d-2a1b3c4d5e6f"
    primera = _nueva(etapa, envio_id=envio)
    huella = _huella(etapa, [primera])
    # When the browser posts it again
    segunda = _nueva(etapa, envio_id=envio)
    # Then the same request, no new email or history
    assert segunda == primera and _huella(etapa, [primera]) == huella
    assert (
        len(etapa.cliente.http.get("/solicitudes?limite=200", headers=etapa.cabeceras("EJ")).json_body["solicitudes"])
        == 1
    )


def test_an_inbound_email_delivered_twice_by_ses_is_applied_once(etapa):
    # Given a request waiting for Help Desk and Help Desk's reply stored by the SES receipt rule
    solicitud_id = _nueva(etapa)
    _hasta_negociacion_sin_confirmar(etapa, solicitud_id)
    etapa.bombear()
    hd = etapa.settings.buzones.help_desk
    pregunta = next(m for m in etapa.outbox() if m["to"] == [hd] and solicitud_id in m["subject"])
    message_id = f"ses{time.time_ns()}"
    crudo = eml(
        "correo_gmail_si.eml",
        de=hd,
        para=pregunta["reply_to"],
        asunto="RE: " + pregunta["subject"],
        en_respuesta_a=pregunta["headers"]["Message-ID"],
    )
    boto3.client("s3", region_name=etapa.settings.region).put_object(
        Bucket=etapa.settings.bucket_entrantes, Key=f"{etapa.settings.prefijo_correo_entrante}{message_id}", Body=crudo
    )
    evento = json.loads((EVENTOS / "ses_recepcion.json").read_text(encoding="utf-8"))
    evento["Records"][0]["ses"]["mail"]["messageId"] = message_id
    evento["Records"][0]["ses"]["receipt"]["recipients"] = [pregunta["reply_to"]]
    # When the Lambda action is invoked twice with the same messageId
    primera = etapa.cliente.lambda_.invoke("on_correo_entrante", evento).payload
    etapa.bombear()
    huella = _huella(etapa, [solicitud_id])
    segunda = etapa.cliente.lambda_.invoke("on_correo_entrante", evento).payload
    etapa.bombear()
    # Then it was applied once
    assert primera["resultados"][0]["estado"] == "aplicado"
    assert segunda["resultados"][0]["estado"] == "duplicado"
    assert _huella(etapa, [solicitud_id]) == huella


# --- stream, approvals -------------------------------------------------------------------------------------------


def test_every_stream_batch_delivered_again_sends_nothing_more(etapa):
    # Given a sale taken to payment (every stream batch handled once: about fifteen emails)
    solicitud_id = _nueva(etapa)
    _hasta_forma_pago(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "elegir_prepago")
    huella = _huella(etapa, [solicitud_id])
    assert etapa.entregados and huella[0] >= 5
    # When Lambda delivers every one of those batches again
    for evento in list(etapa.entregados):
        assert etapa.cliente.lambda_.invoke("on_solicitud_change", evento).payload == {"batchItemFailures": []}
    # Then no email and no history entry is added
    assert _huella(etapa, [solicitud_id]) == huella


def test_a_scanner_opens_the_approval_link_five_times_and_the_officer_posts_twice(etapa):
    # Given a deposit under validation and Collections' email with its approve link
    import re

    solicitud_id = _nueva(etapa)
    _hasta_forma_pago(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "elegir_prepago")
    etapa.aplicar(
        solicitud_id,
        "registrar_comprobante",
        monto_bs=349,
        fecha_deposito="2026-11-30",
        numero_deposito="778812",
        tipo_operacion="transferencia",
        depositante="María Quispe Mamani",
        banco="Banco Unión",
    )
    correo = next(m for m in etapa.outbox() if "Validar depósito" in m["subject"] and solicitud_id in m["subject"])
    aprobar = re.search(r"http://127\.0\.0\.1:8000(/aprobaciones/[^\s?]+\?decision=aprobar)", correo["text"]).group(1)
    antes = _huella(etapa, [solicitud_id])
    version = etapa.detalle(solicitud_id)["solicitud"]["version"]
    # When a mail scanner opens it five times
    for _ in range(5):
        assert etapa.cliente.http.get(aprobar).status_code == 200
    etapa.bombear()
    # Then nothing changed
    assert _huella(etapa, [solicitud_id]) == antes
    # When the officer posts the decision twice
    cabeceras = {"Content-Type": "application/x-www-form-urlencoded"}
    cuerpo = urlencode({"decision": "aprobar", "version": str(version)}).encode()
    primera = etapa.cliente.http.post(aprobar, headers=cabeceras, body=cuerpo)
    etapa.bombear()
    despues = _huella(etapa, [solicitud_id])
    segunda = etapa.cliente.http.post(aprobar, headers=cabeceras, body=cuerpo)
    etapa.bombear()
    # Then exactly one transition, and the second POST is told who decided
    assert primera.status_code == 200 and "Decisión registrada" in primera.body.decode()
    assert segunda.status_code == 200 and "Esta decisión ya fue tomada" in segunda.body.decode()
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "facturacion_caja" and detalle["solicitud"]["version"] == version + 1
    assert [e.get("accion") for e in detalle["historial"]].count("aprobar_deposito") == 1
    assert _huella(etapa, [solicitud_id]) == despues


def test_a_payment_callback_delivered_twice_is_applied_once(etapa):
    # Given a sale waiting for its web payment of Bs 349 and the gateway's signed callback
    from chalicelib.services.pagos import firmar

    solicitud_id = _nueva(etapa)
    _hasta_forma_pago(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "elegir_prepago")
    aviso = {
        "tipo": "pago.aprobado",
        "id_transaccion": "TX-DOBLE",
        "referencia": solicitud_id,
        "monto_bs": 349.0,
        "fecha": "2026-11-30T10:00:00-04:00",
        "medio": "tarjeta",
    }
    cuerpo, marca = json.dumps(aviso).encode(), int(time.time())
    secreto = etapa.cliente.http.get("/dev/config").json_body["secretos"]["pasarela_pagos"][0]
    cabeceras = {
        "Content-Type": "application/json",
        "webhook-id": "msg_doble",
        "webhook-timestamp": str(marca),
        "webhook-signature": firmar(secreto, "msg_doble", marca, cuerpo),
    }
    # When the gateway delivers it twice (its retry after a lost answer)
    primera = etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=cuerpo)
    etapa.bombear()
    huella = _huella(etapa, [solicitud_id])
    segunda = etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=cuerpo)
    etapa.bombear()
    # Then it was applied once: one transition, Collections' email once
    assert primera.json_body["resultado"] == "aplicado" and segunda.json_body["duplicado"] is True
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "validacion_pago_web"
    assert _huella(etapa, [solicitud_id]) == huella
