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
    return webhooks.recibir(RecibirWebhook(canal, cuerpo), puertos=puertos)


def _dividir_pendientes(puertos) -> list[str]:
    """What the entrantes stream does with the deliveries the door stored: split each one once."""
    entregas = [c for c in puertos.entrantes.pendientes() if webhooks.es_entrega(c)]
    for clave in entregas:
        webhooks.dividir(clave, puertos=puertos)
    return entregas


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


def test_the_door_writes_the_delivery_once_as_it_came_and_nothing_else(puertos):
    # When a delivery arrives
    resultado = _recibir(puertos, "meta_leadgen.json")
    # Then one item holds it, keyed by the hash of its body; no S3 object and no item of its own yet
    cuerpo = (EVENTOS / "meta_leadgen.json").read_bytes()
    huella = hashlib.sha256(cuerpo).hexdigest()
    assert resultado == webhooks.ResultadoWebhook(entrega=huella, duplicada=False)
    assert list(puertos.entrantes.items) == [f"entrega#meta#{huella}"]
    assert puertos.entrantes.cuerpos[f"entrega#meta#{huella}"] == cuerpo and puertos.crudos.objetos == {}


def test_the_same_delivery_sent_again_is_recognised_at_the_door(puertos):
    _recibir(puertos, "meta_whatsapp_mensajes.json")
    # When Meta sends the same body again
    segunda = _recibir(puertos, "meta_whatsapp_mensajes.json")
    # Then it is acknowledged as a duplicate and nothing new is written
    assert segunda.duplicada and len(puertos.entrantes.items) == 1


def test_splitting_keeps_the_raw_body_by_channel_date_and_hash(puertos):
    _recibir(puertos, "meta_leadgen.json")
    # When the stream splits the delivery
    (clave,) = _dividir_pendientes(puertos)
    # Then the raw body is in S3 and every item points to it; the delivery is processed
    cuerpo = (EVENTOS / "meta_leadgen.json").read_bytes()
    esperado = f"webhooks/meta/2026/11/30/{hashlib.sha256(cuerpo).hexdigest()}.json"
    assert puertos.crudos.objetos[esperado] == (cuerpo, "application/json")
    assert puertos.entrantes.items[clave].estado == "procesado"
    assert all(e.s3_key == esperado for e in puertos.entrantes.items.values())


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
    _recibir(puertos, evento, canal)
    (entrega,) = _dividir_pendientes(puertos)
    items = {c: e for c, e in puertos.entrantes.items.items() if c != entrega}
    assert list(items) == claves and all(e.estado == "pendiente" for e in items.values())


def test_a_split_that_fails_half_way_is_retried_and_records_each_item_once(puertos):
    # Given a delivery of 40 leads, and an entrantes table that fails after storing 15 of them
    cambios = [{"field": "leadgen", "value": {"leadgen_id": str(n)}} for n in range(40)]
    cuerpo = json.dumps({"object": "page", "entry": [{"id": "p", "changes": cambios}]}).encode()
    webhooks.recibir(RecibirWebhook("meta", cuerpo), puertos=puertos)
    (clave,) = puertos.entrantes.pendientes()
    registrar = puertos.entrantes.registrar

    def a_medias(items):
        registrar(items[:15])
        raise ConnectionError("DynamoDB no responde")

    puertos.entrantes.registrar = a_medias
    # When the first split fails, and the stream retries it
    with pytest.raises(ConnectionError):
        webhooks.dividir(clave, puertos=puertos)
    assert puertos.entrantes.items[clave].estado == "fallido" and len(puertos.entrantes.items) == 16
    puertos.entrantes.registrar = registrar
    assert webhooks.dividir(clave, puertos=puertos) == "procesado"
    # Then every lead is recorded once, and a third delivery of the record changes nothing
    assert sorted(c for c in puertos.entrantes.items if c != clave) == sorted(f"facebook#{n}" for n in range(40))
    assert webhooks.dividir(clave, puertos=puertos) == "procesado" and len(puertos.entrantes.items) == 41


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


def test_a_delivery_resent_with_other_bytes_records_nothing_new(puertos):
    # Given a delivery split into its items
    _recibir(puertos, "meta_whatsapp_mensajes.json")
    _dividir_pendientes(puertos)
    # When Meta resends the same messages in a body that differs (re-serialised)
    datos = json.loads((EVENTOS / "meta_whatsapp_mensajes.json").read_text())
    webhooks.recibir(RecibirWebhook("meta", json.dumps(datos, indent=1).encode()), puertos=puertos)
    _dividir_pendientes(puertos)
    # Then it is a second delivery, but its items were already there: the dedupe is by the messages' own ids
    assert sum(webhooks.es_entrega(c) for c in puertos.entrantes.items) == 2
    assert len([c for c in puertos.entrantes.items if c.startswith("whatsapp#")]) == 2


@pytest.mark.parametrize(
    "cuerpo", [b'{"object": "page", "entry": [}', b"{" + b"[" * 5000 + b"}", b'{"n": 1' + b"0" * 5000 + b"}"]
)
def test_a_signed_body_that_does_not_parse_is_kept_raw_and_ignored_with_the_reason(puertos, cuerpo):
    # Given a body the door stored (authenticated, shaped as an object) that is not valid JSON
    webhooks.recibir(RecibirWebhook("meta", cuerpo), puertos=puertos)
    (clave,) = puertos.entrantes.pendientes()
    # When the stream splits it
    estado = webhooks.dividir(clave, puertos=puertos)
    # Then it is ignored with a Spanish reason, kept raw in S3, and no item is written
    assert estado == "ignorado" and "JSON" in puertos.entrantes.items[clave].error
    assert list(puertos.entrantes.items) == [clave] and [c for c, _ in puertos.crudos.objetos.values()] == [cuerpo]
