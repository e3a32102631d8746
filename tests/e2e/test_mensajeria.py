"""The customer's own channel end to end, through the public doors only: signed webhooks in (WhatsApp, Messenger,
Botmaker), the staff API for the staff's steps, and out through /dev/mensajes (the local Graph and Botmaker
stand-ins record every message) and the outbox.

A prospect who only ever writes on one channel and gives no email walks the whole procedure there: the
acknowledgement, the Carta Comercial PDF, the checklist with the model letter, the payment instructions, the receipt
acknowledgement and the invoice PDF arrive as channel messages, and no email goes to the customer."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

TELEFONO = "59170712345"
NUMERO_EMPRESA = "106540352242922"
PAGINA = "104560000000001"
PSID = "6543210987654321"
COORDENADAS = {"latitud": -17.3935, "longitud": -66.157}
PDF_CARTA = b"%PDF-1.4\n% carta de solicitud firmada\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"foto del carnet" * 20 + b"\xff\xd9"
_ids = itertools.count(1)


def _wamid() -> str:
    return f"wamid.HBgLNTkxNzA3MTIzNDUVAgASGBQ{next(_ids):06d}"


def _whatsapp(mensaje: dict[str, Any], desde: str = TELEFONO) -> bytes:
    """A WhatsApp Cloud API ``messages`` webhook as Meta sends it (channels-and-email.md §A2)."""
    mensaje = {"from": desde, "id": _wamid(), "timestamp": str(int(time.time())), **mensaje}
    valor = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "59122000000", "phone_number_id": NUMERO_EMPRESA},
        "contacts": [{"profile": {"name": "María Quispe"}, "wa_id": desde}],
        "messages": [mensaje],
    }
    cuerpo = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": valor}]}],
    }
    return json.dumps(cuerpo).encode()


def _messenger(mensaje: dict[str, Any]) -> bytes:
    ahora = int(time.time() * 1000)
    evento = {
        "sender": {"id": PSID},
        "recipient": {"id": PAGINA},
        "timestamp": ahora,
        "message": {"mid": f"m_{next(_ids):08d}", **mensaje},
    }
    return json.dumps({"object": "page", "entry": [{"id": PAGINA, "time": ahora, "messaging": [evento]}]}).encode()


def _botmaker(texto: str) -> bytes:
    return json.dumps(
        {
            "v": "1.1",
            "type": "message",
            "chatPlatform": "whatsapp",
            "contactId": "+59170000001",
            "whatsappNumber": "+59122000000",
            "chatChannelId": "canal123",
            "customerId": "user456",
            "firstName": "María",
            "lastName": "Quispe",
            "messages": [
                {"_id": f"BM{next(_ids):018d}", "date": "2026-12-05T15:01:14.388Z", "message": texto, "from": "user"}
            ],
        }
    ).encode()


@dataclass
class Cliente:
    """A prospect writing on one channel through its signed webhook."""

    canal: str
    para: str
    escribir: Callable[[str], None]
    aceptar: Callable[[str], None]
    """Accept the offer of the given request the way the channel allows (button tap or "ACEPTO")."""


def _cliente(etapa, canal: str) -> Cliente:
    def meta(cuerpo: bytes) -> None:
        assert etapa.webhook_meta(cuerpo).status_code == 200
        etapa.bombear()

    def botmaker(cuerpo: bytes) -> None:
        assert etapa.webhook_botmaker(cuerpo).status_code == 200
        etapa.bombear()

    if canal == "whatsapp":
        return Cliente(
            canal,
            TELEFONO,
            lambda texto: meta(_whatsapp({"type": "text", "text": {"body": texto}})),
            lambda sid: meta(
                _whatsapp(
                    {
                        "type": "interactive",
                        "interactive": {
                            "type": "button_reply",
                            "button_reply": {"id": f"oferta:{sid}:acepto", "title": "Acepto"},
                        },
                    }
                )
            ),
        )
    if canal == "messenger":
        return Cliente(
            canal,
            PSID,
            lambda texto: meta(_messenger({"text": texto})),
            lambda sid: meta(_messenger({"text": "Acepto", "quick_reply": {"payload": f"oferta:{sid}:acepto"}})),
        )
    return Cliente(
        canal, "59170000001", lambda texto: botmaker(_botmaker(texto)), lambda sid: botmaker(_botmaker("ACEPTO"))
    )


def _mensajes(etapa, para: str) -> list[dict[str, Any]]:
    respuesta = etapa.cliente.http.get("/dev/mensajes")
    assert respuesta.status_code == 200, respuesta.body
    return [m for m in respuesta.json_body["mensajes"] if m["para"] == para]


def _solicitud_unica(etapa) -> str:
    respuesta = etapa.cliente.http.get("/solicitudes?limite=50", headers=etapa.cabeceras("EJ"))
    (resumen,) = respuesta.json_body["solicitudes"]
    return str(resumen["id"])


def _hasta_oferta(etapa, sid: str) -> None:
    etapa.aplicar(sid, "clasificar_residencial")
    datos = etapa.detalle(sid)["solicitud"]["datos"]
    faltantes = {"nombre": "María Quispe"} if not datos.get("nombre") else {}
    if not datos.get("telefono"):  # Messenger gives no phone: the executive asks for it on the chat
        faltantes["telefono"] = "70712345"
    etapa.aplicar(
        sid, "registrar_datos", ci="4567890", ci_expedido="CB", direccion="Calle España 250", **COORDENADAS, **faltantes
    )
    etapa.aplicar(sid, "consultar_cobertura")
    etapa.aplicar(sid, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50)
    etapa.aplicar(sid, "confirmar_capacidad", rol="HD", velocidad_maxima_mbps=100, tecnologia="FTTH")
    etapa.aplicar(sid, "enviar_oferta", plan="hogar-fibra-50")


def _pago_y_factura(etapa, sid: str) -> dict[str, Any]:
    etapa.aplicar(sid, "completar_requisitos")
    etapa.aplicar(sid, "digitar_venta")
    etapa.aplicar(sid, "elegir_prepago")
    etapa.aplicar(
        sid,
        "registrar_comprobante",
        monto_bs=349,
        fecha_deposito="2026-11-30",
        numero_deposito="DEP-778812",
        tipo_operacion="transferencia",
        depositante="María Quispe",
        banco="Banco Unión",
    )
    etapa.aplicar(sid, "aprobar_deposito", rol="CO")
    etapa.aplicar(sid, "marcar_impresa", rol="CA", numero_factura="F-001-000123", monto_bs=349)
    return etapa.aplicar(sid, "marcar_entregada", rol="CA", entregada_a="María Quispe")


def _documentos(mensajes: list[dict[str, Any]]) -> list[str]:
    return [m["documento"]["nombre"] for m in mensajes if m.get("documento")]


def _correos_al_cliente(etapa) -> list[dict[str, Any]]:
    personal = set(etapa.settings.buzones.como_dict().values())
    return [m for m in etapa.outbox() if set(m["to"]) - personal]


@pytest.mark.parametrize("canal", ["whatsapp", "messenger", "botmaker"])
def test_a_prospect_who_only_uses_one_channel_walks_the_whole_procedure_there(etapa, canal):
    # Given a prospect with no email who writes on their channel
    cliente = _cliente(etapa, canal)
    cliente.escribir("Hola, quiero internet para mi casa en Cala Cala")
    sid = _solicitud_unica(etapa)
    (acuse,) = _mensajes(etapa, cliente.para)
    assert sid in acuse["texto"] and acuse["canal"] == canal

    # When the executive sends the offer and the customer accepts it on the channel
    _hasta_oferta(etapa, sid)
    cliente.aceptar(sid)
    assert etapa.detalle(sid)["solicitud"]["estado"] == "requisitos"

    # And the requirements arrive (WhatsApp: photos, the signed letter and a shared location, read by the system)
    if canal == "whatsapp":
        etapa.graph.registrar_medio("880001", JPEG, "image/jpeg")
        etapa.graph.registrar_medio("880002", PDF_CARTA, "application/pdf")
        for mensaje in (
            {"type": "image", "image": {"id": "880001", "mime_type": "image/jpeg", "caption": "Foto de mi carnet"}},
            {
                "type": "document",
                "document": {"id": "880002", "mime_type": "application/pdf", "filename": "carta_solicitud_firmada.pdf"},
            },
            {"type": "location", "location": {"latitude": -17.3751, "longitude": -66.1625, "name": "Mi casa"}},
        ):
            assert etapa.webhook_meta(_whatsapp(mensaje)).status_code == 200
        etapa.bombear()
        requisitos = etapa.detalle(sid)["solicitud"]["requisitos"]
        assert sorted(requisitos) == ["carta_solicitud", "ci", "ubicacion"]
        assert requisitos["ci"]["documento"].startswith("s3://") and requisitos["ubicacion"]["latitud"] == -17.3751
    else:
        for requisito in ("ci", "ubicacion", "carta_solicitud"):
            etapa.aplicar(sid, "registrar_requisito", requisito=requisito, detalle=f"recibido por {canal}")
    final = _pago_y_factura(etapa, sid)

    # Then the sale is closed and every customer message went on the channel, with the PDFs as files
    assert final["solicitud"]["estado"] == "cerrada"
    mensajes = _mensajes(etapa, cliente.para)
    textos = "\n".join(m["texto"] or "" for m in mensajes)
    documentos = _documentos(mensajes)
    assert any("carta" in d.lower() and d.endswith(".pdf") for d in documentos)
    assert any("factura" in d.lower() and d.endswith(".pdf") for d in documentos)
    assert sum(1 for d in documentos if d.endswith(".pdf")) >= 3  # Carta Comercial, model letter, invoice
    for palabra in ("ACEPTO", "cédula", "Bs", "comprobante", "factura"):
        assert palabra.lower() in textos.lower(), palabra
    assert _correos_al_cliente(etapa) == []
    salientes = [e for e in etapa.detalle(sid)["historial"] if e["tipo"] == "mensaje_saliente"]
    assert {e["campos"]["nombre"] for e in salientes} >= {
        "acuse_cliente",
        "carta_comercial",
        "requisitos_cliente",
        "instrucciones_pago",
        "comprobante_recibido",
        "factura_cliente",
    }


def test_whatsapp_statuses_come_back_out_of_order_and_twice_and_the_offer_buttons_are_real(etapa):
    cliente = _cliente(etapa, "whatsapp")
    cliente.escribir("Hola, quiero internet")
    sid = _solicitud_unica(etapa)
    _hasta_oferta(etapa, sid)
    (carta,) = [m for m in _mensajes(etapa, TELEFONO) if m["tipo"] == "interactive"]
    assert carta["botones"] == ["Acepto", "No me interesa"]
    # When Meta delivers the queued statuses twice, the second time in reverse order
    cuerpos = etapa.graph.pendientes_estados()
    assert cuerpos
    for cuerpo in [*cuerpos, *reversed(cuerpos)]:
        assert etapa.webhook_meta(cuerpo).status_code == 200
    etapa.graph.entregar_estados(lambda cuerpo: None)
    etapa.bombear()
    # Then every outbound message shows "read", recorded once per status
    historial = etapa.detalle(sid)["historial"]
    estados = [e for e in historial if e["tipo"] == "estado_mensaje"]
    assert len({e["id"] for e in estados}) == len(estados)
    salientes = [e for e in historial if e["tipo"] == "mensaje_saliente"]
    for saliente in salientes:
        propios = [e["campos"]["estado"] for e in estados if e["campos"]["mensaje_id"] in saliente["campos"]["ids"]]
        assert "read" in propios


def test_when_whatsapp_says_the_window_is_closed_the_approved_template_goes_instead(etapa):
    cliente = _cliente(etapa, "whatsapp")
    cliente.escribir("Hola, quiero internet")
    sid = _solicitud_unica(etapa)
    etapa.graph.cerrar_ventana(TELEFONO)
    _hasta_oferta(etapa, sid)
    (carta,) = [m for m in _mensajes(etapa, TELEFONO) if m["tipo"] == "template"]
    assert carta["plantilla"]["nombre"] == "vd_carta_comercial" and carta["documento"]["nombre"].endswith(".pdf")
    assert sid in carta["plantilla"]["parametros"]


def test_a_prospect_with_email_and_whatsapp_gets_both(etapa):
    cliente = _cliente(etapa, "whatsapp")
    cliente.escribir("Hola, quiero internet")
    sid = _solicitud_unica(etapa)
    etapa.aplicar(sid, "registrar_datos", email="maria.quispe@example.com")
    _hasta_oferta(etapa, sid)
    assert [
        m["to"] for m in _correos_al_cliente(etapa) if "Carta" in m["subject"] or "propuesta" in m["subject"].lower()
    ]
    assert any(m.get("documento") for m in _mensajes(etapa, TELEFONO))


def test_baja_stops_proactive_messages_on_that_channel_and_is_recorded(etapa):
    cliente = _cliente(etapa, "whatsapp")
    cliente.escribir("Hola, quiero internet")
    sid = _solicitud_unica(etapa)
    cliente.escribir("BAJA")
    antes = len(_mensajes(etapa, TELEFONO))
    _hasta_oferta(etapa, sid)
    assert len(_mensajes(etapa, TELEFONO)) == antes
    tipos = [e["tipo"] for e in etapa.detalle(sid)["historial"]]
    assert "baja_canal" in tipos and "mensaje_no_enviado" in tipos


def test_an_unreadable_answer_to_the_offer_reaches_the_executives_instead_of_being_guessed(etapa):
    cliente = _cliente(etapa, "whatsapp")
    cliente.escribir("Hola, quiero internet")
    sid = _solicitud_unica(etapa)
    _hasta_oferta(etapa, sid)
    cliente.escribir("mmm no sé, ¿tienen algo más barato?")
    detalle = etapa.detalle(sid)
    assert detalle["solicitud"]["estado"] == "oferta_enviada"
    assert any(e["tipo"] == "mensaje_no_entendido" for e in detalle["historial"])
    avisos = [m for m in etapa.outbox() if m["to"] == [etapa.settings.buzones.ejecutivos] and sid in m["subject"]]
    assert any("más barato" in m["text"] for m in avisos)


def test_redelivered_stream_records_send_no_channel_message_twice(etapa):
    # Given a WhatsApp prospect who received the acknowledgement and the Carta Comercial
    cliente = _cliente(etapa, "whatsapp")
    cliente.escribir("Hola, quiero internet")
    sid = _solicitud_unica(etapa)
    _hasta_oferta(etapa, sid)
    antes = _mensajes(etapa, TELEFONO)
    # When Lambda delivers every state-change batch again (a retried or duplicated stream batch)
    for evento in list(etapa.entregados):
        respuesta = etapa.cliente.lambda_.invoke("on_solicitud_change", evento).payload
        assert respuesta.get("batchItemFailures") == []
    # Then no message left twice
    assert _mensajes(etapa, TELEFONO) == antes
