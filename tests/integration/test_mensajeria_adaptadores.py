"""The messaging adapters (WhatsApp Cloud API, Messenger Send API, Botmaker API v2.0) over real HTTP against the
local stand-in (``localstage.graph_local``): wire formats, error classification, retries and status webhooks."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from chalicelib.adapters.mensajeria_botmaker import BotmakerApi
from chalicelib.adapters.mensajeria_meta import MessengerSend, WhatsAppCloud
from chalicelib.domain.errors import MensajeNoEnviado
from chalicelib.domain.mensajeria import (
    PLANTILLAS_APROBADAS,
    Boton,
    Destino,
    Documento,
    MensajeCanal,
)
from localstage.graph_local import GraphLocal
from localstage.mensajes import render_mensajes_html

TOKEN_GRAPH = "token-graph-prueba"
TOKEN_WHATSAPP = "token-whatsapp-prueba"
TOKEN_PAGINA = "token-pagina-prueba"
TOKEN_BOTMAKER = "token-botmaker-prueba"
TELEFONO = "59170000000"
NUMERO_ID = "1122334455667"
PSID = "6543210987654321"
CANAL_BOTMAKER = "botproject-whatsapp-59122000000"
PDF = Documento("carta-comercial-SOL-0001.pdf", "application/pdf", b"%PDF-1.4\n% carta comercial\n" * 40 + b"%%EOF\n")
BOTONES = (Boton("SOL-0001:acepto", "Acepto"), Boton("SOL-0001:no", "No me interesa"))


@pytest.fixture(scope="module")
def servidor():
    graph = GraphLocal(
        token=TOKEN_GRAPH, token_whatsapp=TOKEN_WHATSAPP, token_pagina=TOKEN_PAGINA, token_botmaker=TOKEN_BOTMAKER
    )
    graph.iniciar(0)
    yield graph
    graph.detener()


@pytest.fixture
def graph(servidor):
    servidor.reiniciar()
    servidor.peticiones.clear()
    return servidor


@pytest.fixture
def esperas():
    return []


@pytest.fixture
def whatsapp(graph, esperas):
    return WhatsAppCloud(base_url=graph.url_api, token=TOKEN_WHATSAPP, timeout=5, dormir=esperas.append)


@pytest.fixture
def messenger(graph, esperas):
    return MessengerSend(base_url=graph.url_api, token=TOKEN_PAGINA, timeout=5, dormir=esperas.append)


@pytest.fixture
def publicados():
    return []


@pytest.fixture
def botmaker(graph, esperas, publicados):
    def publicar(documento: Documento) -> str:
        publicados.append(documento)
        return f"https://documentos.example.com/temporal/{documento.nombre}?firma=abc"

    return BotmakerApi(
        base_url=graph.url_botmaker, token=TOKEN_BOTMAKER, publicar=publicar, timeout=5, dormir=esperas.append
    )


def _mensaje_whatsapp(texto: str = "Hola María, su solicitud SOL-0001 fue registrada.", **campos: Any) -> MensajeCanal:
    return MensajeCanal(Destino("whatsapp", TELEFONO, NUMERO_ID), texto, "SOL-0001:msg-1", **campos)


def _mensaje_messenger(texto: str = "Hola, su cotización está lista.", **campos: Any) -> MensajeCanal:
    return MensajeCanal(Destino("messenger", PSID, "104857384756123"), texto, "SOL-0002:msg-1", **campos)


def _mensaje_botmaker(texto: str = "Hola Juan, adjunto su Carta Comercial.", **campos: Any) -> MensajeCanal:
    destino = Destino("botmaker", "59171111111", CANAL_BOTMAKER, "whatsapp")
    return MensajeCanal(destino, texto, "SOL-0003:msg-1", **campos)


def _envios(graph: GraphLocal, sufijo: str) -> list[str]:
    return [p for p in graph.peticiones if p.split("?")[0].endswith(sufijo)]


# --- WhatsApp Cloud API ----------------------------------------------------------------------------------------


def test_a_free_form_whatsapp_text_is_sent_as_a_text_message_with_its_reference(graph, whatsapp):
    # Given a customer inside the 24-hour window
    # When the system writes to them
    envio = whatsapp.enviar(_mensaje_whatsapp("Hola María,\nsu solicitud SOL-0001 fue registrada."))
    # Then one text message went to their wa_id from our number, with our reference, and its wamid came back
    (registro,) = graph.mensajes
    assert envio.ids == (registro["id"],) and registro["id"].startswith("wamid.HBgL")
    assert registro["canal"] == "whatsapp" and registro["tipo"] == "text"
    assert registro["para"] == TELEFONO and registro["cuenta"] == NUMERO_ID
    assert registro["texto"] == "Hola María,\nsu solicitud SOL-0001 fue registrada."
    assert registro["referencia"] == "SOL-0001:msg-1" and registro["estado"] == "aceptado"


def test_a_whatsapp_document_is_uploaded_as_media_and_arrives_as_a_file_before_the_text(graph, whatsapp):
    # Given a message with the Carta Comercial PDF
    mensaje = _mensaje_whatsapp("Le adjuntamos su Carta Comercial.", documentos=(PDF,))
    # When it is sent
    envio = whatsapp.enviar(mensaje)
    # Then the PDF was uploaded through /media and sent as a document (name, type and size), then the text
    assert len(_envios(graph, f"/{NUMERO_ID}/media")) == 1
    documento, texto = graph.mensajes
    assert documento["tipo"] == "document"
    assert documento["documento"] == {"nombre": PDF.nombre, "tipo": "application/pdf", "bytes": len(PDF.contenido)}
    assert texto["tipo"] == "text" and texto["texto"] == "Le adjuntamos su Carta Comercial."
    assert envio.ids == (documento["id"], texto["id"]) and len(set(envio.ids)) == 2


def test_whatsapp_buttons_go_as_an_interactive_reply_button_message(graph, whatsapp):
    # Given a message that asks the customer to accept
    mensaje = _mensaje_whatsapp("¿Acepta la propuesta de plan Hogar 50?", botones=BOTONES)
    # When it is sent
    whatsapp.enviar(mensaje)
    # Then it is one interactive message with both reply buttons
    (registro,) = graph.mensajes
    assert registro["tipo"] == "interactive" and registro["botones"] == ["Acepto", "No me interesa"]
    assert registro["texto"] == "¿Acepta la propuesta de plan Hogar 50?"


def test_a_text_too_long_for_an_interactive_body_goes_first_as_text_then_the_buttons(graph, whatsapp):
    # Given a 1500-character text with buttons (an interactive body takes at most 1024)
    largo = "Detalle de la propuesta. " * 60
    # When it is sent
    envio = whatsapp.enviar(_mensaje_whatsapp(largo, botones=(Boton("x", "Un título de botón demasiado largo"),)))
    # Then the text goes whole as a text message and the buttons under a short question, titles cut to 20
    texto, botones = graph.mensajes
    assert texto["tipo"] == "text" and texto["texto"] == largo.strip()
    assert botones["tipo"] == "interactive" and botones["texto"] == "¿Qué desea hacer?"
    assert len(botones["botones"][0]) <= 20 and len(envio.ids) == 2


def test_an_approved_template_goes_with_its_document_header_and_its_parameters_in_order(graph, whatsapp):
    # Given the Carta Comercial template (document header, three parameters) outside the window
    graph.cerrar_ventana(TELEFONO)
    plantilla = PLANTILLAS_APROBADAS["carta_comercial"]
    mensaje = _mensaje_whatsapp(plantilla=plantilla, valores=("María", "SOL-0001", "Hogar 50"), documentos=(PDF,))
    # When it is sent
    envio = whatsapp.enviar(mensaje)
    # Then one template message carries the uploaded PDF in its header and the values in its body
    (registro,) = graph.mensajes
    assert envio.ids == (registro["id"],) and registro["tipo"] == "template"
    assert registro["plantilla"] == {
        "nombre": "vd_carta_comercial",
        "idioma": "es",
        "parametros": ["María", "SOL-0001", "Hogar 50"],
    }
    assert registro["documento"]["nombre"] == PDF.nombre and registro["documento"]["bytes"] == len(PDF.contenido)
    assert "Carta Comercial de su solicitud SOL-0001: plan Hogar 50" in registro["texto"]


def test_a_template_with_the_wrong_number_of_values_is_refused_before_any_call(graph, whatsapp):
    # Given a three-parameter template with two values
    plantilla = PLANTILLAS_APROBADAS["carta_comercial"]
    # When it is sent
    with pytest.raises(MensajeNoEnviado) as error:
        whatsapp.enviar(_mensaje_whatsapp(plantilla=plantilla, valores=("María", "SOL-0001")))
    # Then it is a permanent failure and WhatsApp was never called
    assert error.value.fallo == "permanente" and "vd_carta_comercial" in error.value.mensaje
    assert graph.peticiones == []


def test_a_free_form_whatsapp_message_outside_the_window_is_refused_as_ventana(graph, whatsapp, esperas):
    # Given a customer whose 24-hour window closed
    graph.cerrar_ventana(TELEFONO)
    # When a free-form text is sent
    with pytest.raises(MensajeNoEnviado) as error:
        whatsapp.enviar(_mensaje_whatsapp())
    # Then WhatsApp's 131047 becomes "ventana", in Spanish, without any retry
    assert error.value.fallo == "ventana" and error.value.codigo_proveedor == "131047"
    assert error.value.mensaje == "WhatsApp rechazó el mensaje (código 131047): fuera de la ventana de 24 horas."
    assert len(_envios(graph, "/messages")) == 1 and esperas == [] and graph.mensajes == []


def test_a_whatsapp_rate_limit_is_retried_with_backoff_until_it_is_accepted(graph, whatsapp, esperas):
    # Given WhatsApp answers 130429 (HTTP 429) twice
    graph.fallar_envio(TELEFONO, 130429, veces=2, http=429)
    # When a message is sent
    envio = whatsapp.enviar(_mensaje_whatsapp())
    # Then the third attempt went through, after exponential waits
    assert len(_envios(graph, "/messages")) == 3 and esperas == [0.5, 1.0]
    assert envio.ids == (graph.mensajes[0]["id"],)


def test_a_whatsapp_rate_limit_that_persists_is_reported_as_limite_after_the_retries(graph, whatsapp, esperas):
    # Given WhatsApp keeps answering 131056 (pair rate limit)
    graph.fallar_envio(TELEFONO, 131056, veces=10, http=400)
    # When a message is sent
    with pytest.raises(MensajeNoEnviado) as error:
        whatsapp.enviar(_mensaje_whatsapp())
    # Then four attempts were made and the failure says "limite"
    assert error.value.fallo == "limite" and error.value.codigo_proveedor == "131056"
    assert len(_envios(graph, "/messages")) == 4 and esperas == [0.5, 1.0, 2.0]


def test_a_whatsapp_server_error_is_retried_as_transitorio(graph, whatsapp, esperas):
    # Given WhatsApp answers 131000 with HTTP 500 once
    graph.fallar_envio(TELEFONO, 131000, veces=1, http=500)
    # When a message is sent
    whatsapp.enviar(_mensaje_whatsapp())
    # Then it was retried once and accepted
    assert len(_envios(graph, "/messages")) == 2 and esperas == [0.5] and len(graph.mensajes) == 1


def test_a_number_that_cannot_receive_whatsapp_is_reported_as_inutilizable(graph, whatsapp, esperas):
    # Given a number that is not on WhatsApp (131026)
    graph.fallar_envio(TELEFONO, 131026)
    # When a message is sent
    with pytest.raises(MensajeNoEnviado) as error:
        whatsapp.enviar(_mensaje_whatsapp())
    # Then the channel is unusable for this person, and nothing was retried
    assert error.value.fallo == "inutilizable" and error.value.codigo_proveedor == "131026"
    assert esperas == []


def test_an_invalid_parameter_is_permanent_and_never_retried(graph, whatsapp, esperas):
    # Given WhatsApp answers (#100) Invalid parameter
    graph.fallar_envio(TELEFONO, 100, veces=5)
    # When a message is sent
    with pytest.raises(MensajeNoEnviado) as error:
        whatsapp.enviar(_mensaje_whatsapp())
    # Then one request only, a permanent failure that quotes Meta's text
    assert error.value.fallo == "permanente" and error.value.codigo_proveedor == "100"
    assert "Invalid parameter" in error.value.mensaje
    assert len(_envios(graph, "/messages")) == 1 and esperas == []


def test_a_failure_after_a_document_reports_the_ids_already_sent(graph, whatsapp):
    # Given a document and buttons WhatsApp refuses (two buttons with the same title: #100)
    repetidos = (Boton("a", "Acepto"), Boton("b", "Acepto"))
    mensaje = _mensaje_whatsapp("¿Acepta?", documentos=(PDF,), botones=repetidos)
    # When the message is sent
    with pytest.raises(MensajeNoEnviado) as error:
        whatsapp.enviar(mensaje)
    # Then the failure is permanent and names the document's wamid, already delivered
    (documento,) = graph.mensajes
    assert error.value.fallo == "permanente" and error.value.enviados == (documento["id"],)


def test_a_wrong_whatsapp_token_is_a_permanent_failure(graph):
    # Given an adapter with a token WhatsApp does not know
    adaptador = WhatsAppCloud(base_url=graph.url_api, token="token-equivocado", dormir=lambda s: None)
    # When it sends
    with pytest.raises(MensajeNoEnviado) as error:
        adaptador.enviar(_mensaje_whatsapp())
    # Then Meta's 190 is permanent and nothing was recorded
    assert error.value.fallo == "permanente" and error.value.codigo_proveedor == "190"
    assert len(_envios(graph, "/messages")) == 1 and graph.mensajes == []


def test_an_unreachable_provider_is_transitorio_after_the_retries(esperas):
    # Given nothing listens on the configured URL
    adaptador = WhatsAppCloud(base_url="http://127.0.0.1:9/v21.0", token="x", timeout=1, dormir=esperas.append)
    # When a message is sent
    with pytest.raises(MensajeNoEnviado) as error:
        adaptador.enviar(_mensaje_whatsapp())
    # Then it was tried four times and is reported as transient, in Spanish
    assert error.value.fallo == "transitorio" and esperas == [0.5, 1.0, 2.0]
    assert error.value.mensaje.startswith("WhatsApp no respondió tras 4 intento(s)")


# --- WhatsApp status webhooks ------------------------------------------------------------------------------------


def test_whatsapp_statuses_are_queued_as_real_webhooks_and_delivered_in_order(graph, whatsapp):
    # Given a message accepted by WhatsApp
    (wamid,) = whatsapp.enviar(_mensaje_whatsapp()).ids
    # When the queued statuses are handed to the app
    recibidos: list[dict] = []
    entregados = graph.entregar_estados(lambda cuerpo: recibidos.append(json.loads(cuerpo)))
    # Then sent, delivered and read arrived in order, in Meta's envelope, with our reference
    assert entregados == 3 and graph.pendientes_estados() == []
    estados = [r["entry"][0]["changes"][0]["value"]["statuses"][0] for r in recibidos]
    assert [e["status"] for e in estados] == ["sent", "delivered", "read"]
    assert all(e["id"] == wamid and e["recipient_id"] == TELEFONO for e in estados)
    assert all(e["biz_opaque_callback_data"] == "SOL-0001:msg-1" for e in estados)
    assert [int(e["timestamp"]) for e in estados] == sorted(int(e["timestamp"]) for e in estados)
    primero = recibidos[0]
    assert primero["object"] == "whatsapp_business_account" and primero["entry"][0]["changes"][0]["field"] == "messages"
    valor = primero["entry"][0]["changes"][0]["value"]
    assert valor["metadata"]["phone_number_id"] == NUMERO_ID and "pricing" in estados[0]
    assert graph.mensajes[0]["estado"] == "read"


def test_an_undeliverable_message_reports_failed_with_meta_errors(graph, whatsapp):
    # Given a recipient whose messages are accepted but never delivered
    graph.fallar_entrega(TELEFONO)
    whatsapp.enviar(_mensaje_whatsapp())
    # When its statuses are delivered
    recibidos: list[dict] = []
    graph.entregar_estados(lambda cuerpo: recibidos.append(json.loads(cuerpo)))
    # Then it is sent, then failed with 131026 and no pricing
    estados = [r["entry"][0]["changes"][0]["value"]["statuses"][0] for r in recibidos]
    assert [e["status"] for e in estados] == ["sent", "failed"]
    (error,) = estados[1]["errors"]
    assert error["code"] == 131026 and error["title"] == "Message undeliverable" and error["error_data"]["details"]
    assert "pricing" not in estados[1] and "conversation" not in estados[1]
    assert graph.mensajes[0]["estado"] == "failed"


def test_a_status_that_the_app_could_not_take_stays_queued(graph, whatsapp):
    # Given a queued status and an app that fails
    whatsapp.enviar(_mensaje_whatsapp())

    def falla(cuerpo: bytes) -> None:
        raise ConnectionError("la aplicación no responde")

    # When delivery is attempted
    with pytest.raises(ConnectionError):
        graph.entregar_estados(falla)
    # Then all three statuses are still pending
    assert len(graph.pendientes_estados()) == 3 and graph.mensajes[0]["estado"] == "aceptado"


# --- Messenger Send API -----------------------------------------------------------------------------------------


def test_a_messenger_reply_inside_the_window_goes_as_response(graph, messenger):
    # Given a customer who wrote to the Page today
    # When the system answers with quick replies
    envio = messenger.enviar(_mensaje_messenger(botones=BOTONES))
    # Then one RESPONSE message with the quick replies went to the PSID
    (registro,) = graph.mensajes
    assert envio.ids == (registro["id"],) and registro["id"].startswith("m_")
    assert registro["canal"] == "messenger" and registro["para"] == PSID
    assert registro["messaging_type"] == "RESPONSE" and registro["etiqueta"] is None
    assert registro["botones"] == ["Acepto", "No me interesa"]


def test_a_messenger_message_after_24_hours_goes_with_the_human_agent_tag(graph, messenger):
    # Given a customer whose standard window closed
    graph.cerrar_ventana(PSID)
    # When an executive writes with the HUMAN_AGENT tag
    messenger.enviar(_mensaje_messenger("Le escribe su ejecutiva.", etiqueta="HUMAN_AGENT"))
    # Then it was accepted as a tagged message
    (registro,) = graph.mensajes
    assert registro["messaging_type"] == "MESSAGE_TAG" and registro["etiqueta"] == "HUMAN_AGENT"


def test_a_messenger_message_outside_the_window_without_tag_is_refused_as_ventana(graph, messenger, esperas):
    # Given a customer whose window closed
    graph.cerrar_ventana(PSID)
    # When a RESPONSE message is sent
    with pytest.raises(MensajeNoEnviado) as error:
        messenger.enviar(_mensaje_messenger())
    # Then (#10) subcode 2018278 is "ventana", not retried
    assert error.value.fallo == "ventana" and error.value.codigo_proveedor == "10"
    assert esperas == [] and graph.mensajes == []


def test_a_messenger_document_is_uploaded_as_a_reusable_attachment_and_sent_as_a_file(graph, messenger):
    # Given a message with a PDF
    # When it is sent
    envio = messenger.enviar(_mensaje_messenger("Su Carta Comercial.", documentos=(PDF,)))
    # Then the PDF went through message_attachments and was sent by attachment_id, then the text
    assert len(_envios(graph, "/me/message_attachments")) == 1
    documento, texto = graph.mensajes
    assert documento["tipo"] == "document"
    assert documento["documento"] == {"nombre": PDF.nombre, "tipo": "application/pdf", "bytes": len(PDF.contenido)}
    assert texto["texto"] == "Su Carta Comercial." and len(envio.ids) == 2


def test_a_template_on_messenger_is_a_programming_error(graph, messenger):
    # Given a template message addressed to Messenger
    plantilla = PLANTILLAS_APROBADAS["acuse_cliente"]
    # When it is sent
    with pytest.raises(MensajeNoEnviado) as error:
        messenger.enviar(_mensaje_messenger(plantilla=plantilla, valores=("Juan", "SOL-0002")))
    # Then it is refused as permanent without calling Messenger
    assert error.value.fallo == "permanente" and graph.peticiones == []


def test_messenger_delivery_and_read_events_are_queued_after_each_send(graph, messenger):
    # Given a Messenger message accepted
    (mid,) = messenger.enviar(_mensaje_messenger()).ids
    # When the queued events are delivered
    recibidos: list[dict] = []
    graph.entregar_estados(lambda cuerpo: recibidos.append(json.loads(cuerpo)))
    # Then a delivery naming the mid, then a read by watermark, both from the PSID to the Page
    entrega, lectura = (r["entry"][0]["messaging"][0] for r in recibidos)
    assert all(r["object"] == "page" for r in recibidos)
    assert entrega["delivery"]["mids"] == [mid] and entrega["sender"]["id"] == PSID
    assert lectura["read"]["watermark"] >= entrega["delivery"]["watermark"]
    assert graph.mensajes[0]["estado"] == "read"


def test_a_wrong_page_token_is_a_permanent_failure(graph):
    # Given a Messenger adapter with an unknown Page token
    adaptador = MessengerSend(base_url=graph.url_api, token="otro", dormir=lambda s: None)
    # When it sends
    with pytest.raises(MensajeNoEnviado) as error:
        adaptador.enviar(_mensaje_messenger())
    # Then 190 is permanent
    assert error.value.fallo == "permanente" and error.value.codigo_proveedor == "190"


# --- Botmaker API v2.0 ------------------------------------------------------------------------------------------


def test_botmaker_sends_each_document_by_its_published_url_then_the_text_with_the_options(graph, botmaker, publicados):
    # Given a Botmaker WhatsApp contact and a message with a PDF and buttons
    mensaje = _mensaje_botmaker(documentos=(PDF,), botones=BOTONES)
    # When it is sent
    envio = botmaker.enviar(mensaje)
    # Then one send-messages call carried the PDF by URL and the text listing the options
    assert publicados == [PDF] and len(_envios(graph, "/chats-actions/send-messages")) == 1
    documento, texto = graph.mensajes
    assert envio.ids == (documento["id"],)
    assert documento["canal"] == "botmaker" and documento["cuenta"] == CANAL_BOTMAKER
    assert documento["documento"]["url"].startswith("https://documentos.example.com/temporal/")
    assert documento["documento"]["nombre"] == PDF.nombre and documento["documento"]["tipo"] == "application/pdf"
    assert texto["texto"] == "Hola Juan, adjunto su Carta Comercial.\n\nResponda: Acepto / No me interesa"
    assert texto["referencia"] == "SOL-0003:msg-1"


def test_a_botmaker_template_triggers_the_intent_with_named_variables(graph, botmaker):
    # Given the acknowledgement template
    plantilla = PLANTILLAS_APROBADAS["acuse_cliente"]
    # When it is sent through Botmaker
    envio = botmaker.enviar(_mensaje_botmaker(plantilla=plantilla, valores=("Juan", "SOL-0003")))
    # Then trigger-intent got the template's name and its variables by name
    (registro,) = graph.mensajes
    assert envio.ids == (registro["id"],) and len(_envios(graph, "/chats-actions/trigger-intent")) == 1
    assert registro["plantilla"]["nombre"] == "vd_acuse_solicitud"
    assert registro["plantilla"]["variables"] == {"nombre": "Juan", "codigo": "SOL-0003"}


def test_botmaker_errors_are_classified_by_status_and_message(graph, botmaker, esperas):
    # Given Botmaker is rate limited once, then refuses because the 24-hour window is closed
    graph.fallar_envio("59171111111", 130429, veces=1, http=429)
    graph.cerrar_ventana("59171111111")
    # When a free-form message is sent
    with pytest.raises(MensajeNoEnviado) as error:
        botmaker.enviar(_mensaje_botmaker())
    # Then the 429 was retried and the window refusal is "ventana"
    assert esperas == [0.5] and error.value.fallo == "ventana" and error.value.codigo_proveedor == "400"


def test_a_wrong_botmaker_token_is_a_permanent_failure(graph):
    # Given an adapter with an unknown access-token
    adaptador = BotmakerApi(base_url=graph.url_botmaker, token="malo", publicar=None, dormir=lambda s: None)
    # When it sends
    with pytest.raises(MensajeNoEnviado) as error:
        adaptador.enviar(_mensaje_botmaker())
    # Then 401 is permanent
    assert error.value.fallo == "permanente" and error.value.codigo_proveedor == "401"


def test_botmaker_without_a_way_to_publish_documents_refuses_them(graph):
    # Given an adapter that cannot publish files
    adaptador = BotmakerApi(base_url=graph.url_botmaker, token=TOKEN_BOTMAKER, publicar=None)
    # When a document is sent
    with pytest.raises(MensajeNoEnviado) as error:
        adaptador.enviar(_mensaje_botmaker(documentos=(PDF,)))
    # Then it is a permanent failure before any call
    assert error.value.fallo == "permanente" and graph.peticiones == []


# --- the stand-in's record -----------------------------------------------------------------------------------------


def test_the_record_of_sent_messages_is_served_and_rendered_escaped(graph, whatsapp):
    # Given a message with markup in its text
    whatsapp.enviar(_mensaje_whatsapp("<b>Hola</b>\nsegunda línea", documentos=(PDF,)))
    # When the record is read over HTTP and rendered
    with urllib.request.urlopen(f"{graph.base}/_local/mensajes", timeout=5) as respuesta:  # noqa: S310
        datos = json.loads(respuesta.read())
    pagina = render_mensajes_html(datos["mensajes"])
    # Then both messages are listed and the page escapes the text and names the PDF with its size
    assert datos["total"] == 2
    assert "&lt;b&gt;Hola&lt;/b&gt;" in pagina and "<b>Hola" not in pagina
    assert PDF.nombre in pagina and "1,1 KB" in pagina and "WhatsApp" in pagina


def test_the_notifier_posts_each_status_signed_like_meta_in_order():
    # Given a stand-in with a queued status trail and a webhook that records what it gets
    import hashlib
    import hmac
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    recibidos: list[tuple[bytes, str]] = []

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            cuerpo = self.rfile.read(int(self.headers["Content-Length"]))
            recibidos.append((cuerpo, self.headers.get("X-Hub-Signature-256", "")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    webhook = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=webhook.serve_forever, daemon=True).start()
    propio = GraphLocal(token=TOKEN_GRAPH)
    propio.iniciar(0)
    try:
        WhatsAppCloud(base_url=propio.url_api, token=TOKEN_GRAPH).enviar(_mensaje_whatsapp())
        # When the notifier runs
        propio.iniciar_notificador(f"http://127.0.0.1:{webhook.server_address[1]}/webhooks/meta", "secreto", 0.05)
        limite = time.monotonic() + 5
        while len(recibidos) < 3 and time.monotonic() < limite:
            time.sleep(0.05)
    finally:
        propio.detener()
        webhook.shutdown()
        webhook.server_close()
    # Then the three statuses arrived in order, each with Meta's HMAC-SHA256 signature
    estados = [json.loads(c)["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] for c, _ in recibidos]
    assert estados == ["sent", "delivered", "read"]
    for cuerpo, firma in recibidos:
        assert firma == "sha256=" + hmac.new(b"secreto", cuerpo, hashlib.sha256).hexdigest()


def test_dev_mensajes_shows_the_stand_in_record_as_json_html_or_a_503(graph, whatsapp, monkeypatch):
    # Given the local stage's app pointed at the stand-in, and one message sent
    from chalice.test import Client

    from chalicelib import bootstrap
    from localstage.entorno import RAIZ, entorno_local

    for nombre, valor in entorno_local().items():
        monkeypatch.setenv(nombre, valor)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    base = {"valor": graph.base}
    monkeypatch.setattr("localstage.mensajes.base_graph_local", lambda _url: base["valor"])
    whatsapp.enviar(_mensaje_whatsapp("Hola <María>"))
    bootstrap.reset()
    from app import app

    try:
        with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
            # When the developer opens /dev/mensajes as JSON and as HTML, and once with the stand-in gone
            como_json = cliente.http.get("/dev/mensajes")
            como_html = cliente.http.get("/dev/mensajes", headers={"Accept": "text/html"})
            base["valor"] = "http://127.0.0.1:9"
            caido = cliente.http.get("/dev/mensajes")
    finally:
        bootstrap.reset()
    # Then the record, a readable escaped page, and a Spanish 503
    assert como_json.status_code == 200 and como_json.json_body["total"] == 1
    assert como_json.json_body["mensajes"][0]["texto"] == "Hola <María>"
    assert como_html.status_code == 200 and "Hola &lt;María&gt;" in como_html.body.decode()
    assert caido.status_code == 503 and caido.json_body["codigo"] == "mensajeria_local_no_disponible"


def test_a_template_with_a_document_header_needs_a_document(graph, whatsapp):
    # Given the Carta Comercial template (DOCUMENT header) without any document
    plantilla = PLANTILLAS_APROBADAS["carta_comercial"]
    # When it is sent
    with pytest.raises(MensajeNoEnviado) as error:
        whatsapp.enviar(_mensaje_whatsapp(plantilla=plantilla, valores=("María", "SOL-0001", "Hogar 50")))
    # Then it is refused before calling WhatsApp (Meta would answer 132012)
    assert error.value.fallo == "permanente" and graph.peticiones == []
