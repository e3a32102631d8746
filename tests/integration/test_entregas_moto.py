"""The webhook's one durable write under moto: a delivery's body in its item (compressed), or in S3 when it is
too large for an item, read back whole for the split; the same body a second time is refused by the condition."""

from __future__ import annotations

import json
import os
import random
import string

import pytest

from chalicelib.domain.model import Entrante


def _entrega(clave: str) -> Entrante:
    return Entrante(
        clave=f"entrega#meta#{clave}",
        canal="meta",
        tipo="entrega",
        payload={},
        recibido_en="2026-12-05T10:00:00-04:00",
        s3_key=f"webhooks/meta/2026/12/05/{clave}.json",
    )


@pytest.fixture
def entrantes(settings):
    from chalicelib.adapters.dynamo_entrantes import PynamoEntrantes
    from chalicelib.adapters.s3_almacen import S3Almacen

    crudos = S3Almacen(bucket=settings.bucket_entrantes, kms_key_id=settings.kms_key_id, region=settings.region)
    return PynamoEntrantes(settings, crudos=crudos), crudos


def test_a_delivery_of_1000_leads_fits_one_item_compressed(entrantes):
    repo, crudos = entrantes
    cambios = [{"field": "leadgen", "value": {"leadgen_id": str(10**15 + n), "page_id": "1"}} for n in range(1000)]
    cuerpo = json.dumps({"object": "page", "entry": [{"id": "1", "changes": cambios}]}).encode()
    # When it is stored
    assert repo.guardar_entrega(_entrega("mil"), cuerpo) is True
    # Then the body comes back whole from the item, and nothing went to S3
    assert repo.cuerpo_entrega(_entrega("mil")) == cuerpo
    with pytest.raises(Exception, match="No se pudo leer"):
        crudos.leer(_entrega("mil").s3_key)


def test_a_body_that_does_not_fit_an_item_goes_to_s3_and_the_item_points_to_it(entrantes):
    repo, crudos = entrantes
    azar = random.Random(18)
    texto = "".join(azar.choices(string.ascii_letters + string.digits, k=300 * 1024))  # compresses badly
    cuerpo = json.dumps({"object": "page", "entry": [{"id": "1", "ruido": texto}]}).encode()
    assert repo.guardar_entrega(_entrega("grande"), cuerpo) is True
    assert crudos.leer(_entrega("grande").s3_key) == cuerpo
    assert repo.cuerpo_entrega(_entrega("grande")) == cuerpo


def test_the_same_delivery_a_second_time_is_refused_by_the_condition(entrantes):
    repo, _ = entrantes
    assert repo.guardar_entrega(_entrega("dos"), b'{"object":"page"}') is True
    assert repo.guardar_entrega(_entrega("dos"), b'{"object":"page"}') is False
    assert repo.obtener("entrega#meta#dos").estado == "pendiente"


def test_the_door_makes_exactly_one_aws_call(entrantes, monkeypatch):
    # Given the AWS calls botocore makes, counted
    from botocore.client import BaseClient

    llamadas: list[str] = []
    original = BaseClient._make_api_call

    def contar(self, operacion, parametros):
        llamadas.append(operacion)
        return original(self, operacion, parametros)

    repo, _ = entrantes
    repo.guardar_entrega(_entrega("calentar"), b"{}")
    monkeypatch.setattr(BaseClient, "_make_api_call", contar)
    # When a 1000-message delivery is stored
    cuerpo = json.dumps({"entry": [{"messages": [{"id": f"wamid.{n}"} for n in range(1000)]}]}).encode()
    repo.guardar_entrega(_entrega("una"), cuerpo)
    # Then that was one PutItem
    assert llamadas == ["PutItem"], os.environ.get("AWS_ENDPOINT_URL")
