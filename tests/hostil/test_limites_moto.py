"""The hostile inputs whose failure only DynamoDB's own limits reveal, checked on moto (the fakes model them in
``mundo.EntrantesConLimites``): external ids over the 2 KB key limit, items over 400 KB, cursors that nest JSON
past Python's recursion limit. Each is answered without a 5xx, and a handful of random signed deliveries on the
real adapters never get one either."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostil import estrategias as e
from tests.hostil.conftest import PERFIL

pytestmark = pytest.mark.e2e

EVENTOS = Path(__file__).resolve().parents[1] / "events"


def _items(etapa) -> list[dict]:
    """The delivery's items, once the entrantes stream has split it."""
    etapa.bombear()
    tabla = boto3.resource("dynamodb", region_name=etapa.settings.region).Table(etapa.settings.tabla_entrantes)
    return [i for i in tabla.scan()["Items"] if i["tipo"] != "entrega"]


def test_a_botmaker_message_id_over_dynamodb_s_key_limit_is_recorded_ignored_under_a_hash(etapa):
    # Given a Botmaker delivery whose message id is 3000 characters (DynamoDB keys hold 2048 bytes)
    cuerpo = json.loads((EVENTOS / "botmaker_mensaje.json").read_text(encoding="utf-8"))
    cuerpo["messages"][0]["_id"] = "9" * 3000
    # When Botmaker posts it
    respuesta = etapa.webhook_botmaker(json.dumps(cuerpo).encode())
    # Then it is acknowledged (Botmaker would otherwise retry, and drop the webhook after 100 failures)
    assert respuesta.status_code == 200, respuesta.body
    (item,) = _items(etapa)
    assert item["clave"].startswith("botmaker#sha256:") and item["estado"] == "ignorado"


def test_a_whatsapp_message_over_dynamodb_s_item_limit_is_recorded_ignored(etapa):
    # Given a signed WhatsApp delivery with one 500 kB text message (an item holds 400 kB)
    cuerpo = json.loads((EVENTOS / "meta_whatsapp_texto.json").read_text(encoding="utf-8"))
    cuerpo["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "a" * 500_000
    # When Meta posts it
    respuesta = etapa.webhook_meta(json.dumps(cuerpo).encode())
    # Then it is acknowledged and recorded without its payload (the delivery itself is kept raw in S3 once split)
    assert respuesta.status_code == 200, respuesta.body
    (item,) = _items(etapa)
    assert item["estado"] == "ignorado" and "fuera de limites" in item["payload"]


def test_a_cursor_nesting_json_past_the_recursion_limit_is_422(etapa):
    cursor = base64.urlsafe_b64encode(b"[" * 3000).decode()
    respuesta = etapa.cliente.http.get(f"/solicitudes?estado=nueva&cursor={cursor}", headers=etapa.cabeceras("EJ"))
    assert respuesta.status_code == 422 and respuesta.json_body["errores"]["cursor"]


@settings(settings.get_profile(PERFIL), max_examples=40)
@given(
    cuerpo=st.one_of(
        st.sampled_from(["meta_whatsapp_texto.json", "meta_leadgen.json", "botmaker_mensaje.json"]).flatmap(
            lambda n: e.mutar_en_profundidad(json.loads((EVENTOS / n).read_text(encoding="utf-8")))
        ),
        e.json_valor,
    ),
    canal=st.sampled_from(["meta", "botmaker"]),
)
def test_signed_deliveries_on_the_real_adapters_never_get_a_5xx(etapa, cifras, cuerpo, canal):
    crudo = json.dumps(cuerpo).encode()
    respuesta = etapa.webhook_meta(crudo) if canal == "meta" else etapa.webhook_botmaker(crudo)
    cifras[f"POST /webhooks/{canal} (moto)"]["ejemplos"] += 1
    cifras[f"POST /webhooks/{canal} (moto)"][f"{respuesta.status_code // 100}xx"] += 1
    assert respuesta.status_code in (200, 400), respuesta.body
