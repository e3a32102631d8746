"""Webhook verification and intake with fakes: signatures, raw storage, one item per message/lead/status."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from chalicelib.domain.commands import RecibirWebhook
from chalicelib.domain.errors import FirmaInvalida
from chalicelib.services import webhooks
from tests.fakes import FixedClock
from tests.fakes_canales import AlmacenEnMemoria, EntrantesEnMemoria

EVENTOS = Path(__file__).resolve().parents[2] / "events"
SECRETO = "secreto-actual"


def _firma(cuerpo: bytes, secreto: str = SECRETO) -> str:
    return "sha256=" + hmac.new(secreto.encode(), cuerpo, hashlib.sha256).hexdigest()


@pytest.fixture
def puertos():
    return webhooks.PuertosWebhook(entrantes=EntrantesEnMemoria(), crudos=AlmacenEnMemoria(), clock=FixedClock())


def _recibir(puertos, nombre: str, canal: str = "meta"):
    cuerpo = (EVENTOS / nombre).read_bytes()
    return webhooks.recibir(RecibirWebhook(canal, cuerpo, json.loads(cuerpo)), puertos=puertos)


def test_a_body_signed_with_the_app_secret_verifies():
    cuerpo = b'{"object":"page"}'
    assert webhooks.firma_meta_valida(cuerpo, _firma(cuerpo), [SECRETO])


def test_either_of_two_active_secrets_verifies_during_a_rotation():
    cuerpo = b'{"object":"page"}'
    assert webhooks.firma_meta_valida(cuerpo, _firma(cuerpo, "anterior"), [SECRETO, "anterior"])
    assert not webhooks.firma_meta_valida(cuerpo, _firma(cuerpo, "retirado"), [SECRETO, "anterior"])


@pytest.mark.parametrize(
    "cabecera",
    [None, "", "sha256=", "sha256=xyz", "sha1=" + "0" * 40, "SHA256=" + "0" * 64, "sha256=" + "0" * 64, "0" * 64],
)
def test_missing_malformed_or_wrong_signatures_never_verify(cabecera):
    assert not webhooks.firma_meta_valida(b'{"object":"page"}', cabecera, [SECRETO])


def test_a_tampered_body_or_an_empty_body_or_no_secret_never_verifies():
    cuerpo = b'{"object":"page"}'
    assert not webhooks.firma_meta_valida(cuerpo + b" ", _firma(cuerpo), [SECRETO])
    assert not webhooks.firma_meta_valida(b"", _firma(b""), [SECRETO])
    assert not webhooks.firma_meta_valida(cuerpo, _firma(cuerpo, ""), [""])
    assert not webhooks.firma_meta_valida(cuerpo, _firma(cuerpo), [])


def test_the_botmaker_token_is_compared_exactly_and_needs_a_body():
    webhooks.verificar_botmaker(b"{}", "token", "token")
    for recibido, cuerpo in (("token ", b"{}"), ("", b"{}"), (None, b"{}"), ("token", b"")):
        with pytest.raises(FirmaInvalida):
            webhooks.verificar_botmaker(cuerpo, recibido, "token")
    with pytest.raises(FirmaInvalida):
        webhooks.verificar_botmaker(b"{}", "", "")


def test_the_raw_payload_is_stored_by_channel_date_and_hash(puertos):
    resultado = _recibir(puertos, "meta_leadgen.json")
    cuerpo = (EVENTOS / "meta_leadgen.json").read_bytes()
    esperado = f"webhooks/meta/2026/11/30/{hashlib.sha256(cuerpo).hexdigest()}.json"
    assert resultado.s3_key == esperado and puertos.crudos.objetos[esperado] == (cuerpo, "application/json")


@pytest.mark.parametrize(
    ("evento", "canal", "claves"),
    [
        ("meta_leadgen.json", "meta", ["facebook#1071870209599462"]),
        ("meta_messenger.json", "meta", ["messenger#m_AbC123"]),
        (
            "meta_whatsapp_mensajes.json",
            "meta",
            ["whatsapp#wamid.HBgLNTkxNzAwMDAwMDAVAgASGBQz", "whatsapp#wamid.HBgLNTkxNzAwMDAwMDAVAgASGBQ0"],
        ),
        ("meta_whatsapp_estado.json", "meta", ["whatsapp#wamid.HBgNSALIENTE001#delivered"]),
        ("botmaker_mensaje.json", "botmaker", ["botmaker#PHW3S2KV4VRWL17BBM1U"]),
    ],
)
def test_each_reference_payload_becomes_one_item_per_message_lead_or_status(puertos, evento, canal, claves):
    resultado = _recibir(puertos, evento, canal)
    assert list(puertos.entrantes.items) == claves and resultado.nuevos == len(claves)
    assert all(e.estado == "pendiente" and e.s3_key == resultado.s3_key for e in puertos.entrantes.items.values())


def test_a_whatsapp_message_item_carries_its_contact_and_line():
    datos = json.loads((EVENTOS / "meta_whatsapp_mensajes.json").read_text())
    (primero, _) = webhooks.extraer_meta(datos, recibido_en="t", s3_key="k")
    assert primero.payload["contacto"]["wa_id"] == "59170000000"
    assert primero.payload["metadata"]["phone_number_id"] == "106540352242922"


def test_every_entry_and_change_of_a_batch_is_visited():
    cambios = [{"field": "leadgen", "value": {"leadgen_id": str(n)}} for n in range(1000)]
    datos = {"object": "page", "entry": [{"id": "p", "changes": cambios[:500]}, {"id": "p", "changes": cambios[500:]}]}
    assert len(list(webhooks.extraer_meta(datos, recibido_en="t", s3_key="k"))) == 1000


def test_unknown_objects_fields_and_message_types_are_skipped_or_ignored():
    assert list(webhooks.extraer_meta({"object": "instagram", "entry": []}, recibido_en="t", s3_key="k")) == []
    campo = {"object": "page", "entry": [{"changes": [{"field": "feed", "value": {}}]}]}
    assert list(webhooks.extraer_meta(campo, recibido_en="t", s3_key="k")) == []
    reaccion = {
        "object": "whatsapp_business_account",
        "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"id": "wamid.R", "type": "reaction"}]}}]}],
    }
    (item,) = webhooks.extraer_meta(reaccion, recibido_en="t", s3_key="k")
    assert item.estado == "ignorado"
    eco = {"object": "page", "entry": [{"messaging": [{"message": {"mid": "m_1", "is_echo": True}}]}]}
    assert [e.estado for e in webhooks.extraer_meta(eco, recibido_en="t", s3_key="k")] == ["ignorado"]


def test_botmaker_messages_written_by_the_bot_are_ignored_and_other_types_skipped():
    datos = json.loads((EVENTOS / "botmaker_mensaje.json").read_text())
    datos["messages"].append({"_id": "BOT1", "message": "Hola, soy el asistente", "fromName": "Bot", "from": "bot"})
    estados = {e.clave: e.estado for e in webhooks.extraer_botmaker(datos, recibido_en="t", s3_key="k")}
    assert estados == {"botmaker#PHW3S2KV4VRWL17BBM1U": "pendiente", "botmaker#BOT1": "ignorado"}
    assert list(webhooks.extraer_botmaker({"type": "variable_change"}, recibido_en="t", s3_key="k")) == []


def test_a_redelivery_records_nothing_new(puertos):
    _recibir(puertos, "meta_whatsapp_mensajes.json")
    segunda = _recibir(puertos, "meta_whatsapp_mensajes.json")
    assert segunda.nuevos == 0 and len(puertos.entrantes.items) == 2
