"""moto's DynamoDB under concurrent load (issue 19): transactions, puts, updates, scans and a stream reader at once.

Without ``localstage.moto_seguro`` moto 5.2.5 answers some TransactWriteItems with 500 (``RuntimeError: dictionary
changed size during iteration`` in its snapshot deepcopy), a cancelled transaction's rollback erases other threads'
writes, and the stream reader stops seeing records after the first cancelled transaction. With it: none of that.
Both loads run in one fresh interpreter, each with its own moto server: first without the guard, then with it (the
guard patches moto's classes for the whole process, and this session's moto has it installed by
``tests/conftest.py``).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

RAIZ = Path(__file__).resolve().parents[2]
TABLA = "carga"
BASE = 20
TRANSACCIONES = 60
ESCRITURAS = 60


def carga(con_guardia: bool) -> dict[str, Any]:
    """The load against a new moto server in this process; what went wrong, counted."""
    import boto3
    import requests
    from botocore.config import Config
    from botocore.exceptions import ClientError

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    if con_guardia:
        from localstage.moto_seguro import instalar

        instalar()
    from moto.server import ThreadedMotoServer

    servidor = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    servidor.start()
    host, puerto = servidor.get_host_and_port()
    requests.post(
        f"http://{host}:{puerto}/moto-api/reset", timeout=30
    )  # moto's state is the process's, not the server's
    config = Config(retries={"mode": "standard", "total_max_attempts": 1}, max_pool_connections=32)
    opciones: dict[str, Any] = {
        "endpoint_url": f"http://{host}:{puerto}",
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "config": config,
    }
    ddb = boto3.client("dynamodb", **opciones)
    flujos = boto3.client("dynamodbstreams", **opciones)
    ddb.create_table(
        TableName=TABLA,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    arn = ddb.describe_table(TableName=TABLA)["Table"]["LatestStreamArn"]
    shard = flujos.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterador = flujos.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    for i in range(BASE):
        ddb.put_item(TableName=TABLA, Item={"pk": {"S": f"base{i}"}, "n": {"N": "0"}})

    errores_500: list[str] = []
    otros: list[str] = []
    hechas = {"tx": 0, "tx_canceladas": 0, "put": 0, "update": 0}
    cerrojo = threading.Lock()

    def contar(clave: str) -> None:
        with cerrojo:
            hechas[clave] += 1

    def fallo(operacion: str, error: ClientError) -> None:
        estado = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        (errores_500 if estado == 500 else otros).append(f"{operacion}: {estado} {error.response['Error']['Code']}")

    def transaccion(i: int) -> None:
        # one in four is cancelled: its put names an item that already exists
        nuevo = f"base{i % BASE}" if i % 4 == 0 else f"tx{i}"
        try:
            ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": TABLA,
                            "Item": {"pk": {"S": nuevo}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": TABLA,
                            "Key": {"pk": {"S": f"base{(i + 1) % BASE}"}},
                            "UpdateExpression": "ADD n :uno",
                            "ExpressionAttributeValues": {":uno": {"N": "1"}},
                        }
                    },
                ]
            )
            contar("tx")
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                contar("tx_canceladas")
            else:
                fallo("TransactWriteItems", error)

    def escritura(i: int) -> None:
        try:
            ddb.put_item(TableName=TABLA, Item={"pk": {"S": f"put{i}"}})
            contar("put")
            ddb.update_item(
                TableName=TABLA,
                Key={"pk": {"S": f"base{i % BASE}"}},
                UpdateExpression="ADD n :uno",
                ExpressionAttributeValues={":uno": {"N": "1"}},
            )
            contar("update")
        except ClientError as error:
            fallo("PutItem/UpdateItem", error)

    def lectura(_: int) -> None:
        try:
            ddb.scan(TableName=TABLA, Select="COUNT")
        except ClientError as error:
            fallo("Scan", error)

    inicio = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as grupo:
        for i in range(max(TRANSACCIONES, ESCRITURAS)):
            if i < TRANSACCIONES:
                grupo.submit(transaccion, i)
            if i < ESCRITURAS:
                grupo.submit(escritura, i)
            if i % 8 == 0:
                grupo.submit(lectura, i)
    segundos = time.monotonic() - inicio

    # the stream, read the way the stream pump reads it: following NextShardIterator from the start
    registros, siguiente = 0, iterador["ShardIterator"]
    for _ in range(100):
        pagina = flujos.get_records(ShardIterator=siguiente, Limit=1000)
        registros += len(pagina["Records"])
        siguiente = pagina["NextShardIterator"]
        if not pagina["Records"]:
            break
    elementos = ddb.scan(TableName=TABLA)["Items"]
    suma = sum(int(e["n"]["N"]) for e in elementos if "n" in e)
    servidor.stop()
    return {
        "segundos": round(segundos, 2),
        "errores_500": len(errores_500),
        "otros_errores": otros,
        "hechas": hechas,
        "elementos": len(elementos),
        "elementos_esperados": BASE + hechas["tx"] + hechas["put"],
        "suma": suma,
        "suma_esperada": hechas["tx"] + hechas["update"],
        "registros_flujo": registros,
        "registros_esperados": BASE + 2 * hechas["tx"] + hechas["put"] + hechas["update"],
    }


def ambas_cargas() -> dict[str, dict[str, Any]]:
    return {"sin": carga(con_guardia=False), "con": carga(con_guardia=True)}


@pytest.mark.timeout(150)
def test_under_concurrent_load_the_guarded_moto_answers_no_500_loses_nothing_and_moto_alone_does():
    # When transactions (some cancelled), puts, updates and scans run at once, against moto as it comes and then
    # against the guarded moto
    codigo = (
        "import json; from tests.integration.test_moto_seguro import ambas_cargas; print(json.dumps(ambas_cargas()))"
    )
    salida = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", codigo], cwd=RAIZ, capture_output=True, text=True, timeout=120, check=True
    )
    cargas: dict[str, dict[str, Any]] = json.loads(salida.stdout.strip().splitlines()[-1])
    sin, con = cargas["sin"], cargas["con"]
    print(f"\ncarga sin guardia: {sin}\ncarga con guardia: {con}")
    # Then unguarded, the stream reader lost its way at the first cancelled transaction (certain: one in four is
    # cancelled); its 500s and lost writes are a matter of timing, printed (``-s``), not required
    assert sin["registros_flujo"] < sin["registros_esperados"]
    # and guarded, no request failed, every write is there, and the stream carries every write once
    assert con["errores_500"] == 0
    assert con["otros_errores"] == []
    assert con["hechas"]["tx_canceladas"] == TRANSACCIONES // 4
    assert con["elementos"] == con["elementos_esperados"]
    assert con["suma"] == con["suma_esperada"]
    assert con["registros_flujo"] == con["registros_esperados"]


def test_this_session_s_moto_has_the_guard(moto_endpoint):
    from localstage.moto_seguro import instalado

    assert instalado()


@pytest.fixture
def tabla_compuesta(moto_endpoint) -> Iterator[tuple[Any, Any, str]]:
    """A table with hash and range keys and a stream, on this session's (guarded) moto."""
    import boto3

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    flujos = boto3.client("dynamodbstreams", region_name="us-east-1")
    nombre = f"guardia-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=nombre,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    yield ddb, flujos, nombre
    ddb.delete_table(TableName=nombre)


def _clave(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_a_cancelled_transaction_leaves_no_trace_and_the_stream_stays_readable(tabla_compuesta):
    from botocore.exceptions import ClientError

    ddb, flujos, nombre = tabla_compuesta
    arn = ddb.describe_table(TableName=nombre)["Table"]["LatestStreamArn"]
    shard = flujos.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterador = flujos.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    # Given two items, read from the stream by a reader that follows NextShardIterator
    ddb.put_item(TableName=nombre, Item={**_clave("a", "1"), "n": {"N": "1"}})
    ddb.put_item(TableName=nombre, Item={**_clave("a", "2"), "n": {"N": "1"}})
    pagina = flujos.get_records(ShardIterator=iterador["ShardIterator"])
    assert len(pagina["Records"]) == 2

    # When a transaction puts a new item, updates and deletes the existing ones, and its last condition fails
    with pytest.raises(ClientError) as cancelada:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": nombre, "Item": {**_clave("b", "1"), "n": {"N": "9"}}}},
                {
                    "Update": {
                        "TableName": nombre,
                        "Key": _clave("a", "1"),
                        "UpdateExpression": "SET n = :nueve",
                        "ExpressionAttributeValues": {":nueve": {"N": "9"}},
                    }
                },
                {"Delete": {"TableName": nombre, "Key": _clave("a", "2")}},
                {
                    "ConditionCheck": {
                        "TableName": nombre,
                        "Key": _clave("a", "3"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert cancelada.value.response["Error"]["Code"] == "TransactionCanceledException"

    # Then the table is as before, and the stream has none of its records
    elementos = sorted((e["pk"]["S"], e["sk"]["S"], e["n"]["N"]) for e in ddb.scan(TableName=nombre)["Items"])
    assert elementos == [("a", "1", "1"), ("a", "2", "1")]
    vacia = flujos.get_records(ShardIterator=pagina["NextShardIterator"])
    assert vacia["Records"] == []
    # and the same reader sees what is written afterwards
    ddb.put_item(TableName=nombre, Item={**_clave("c", "1"), "n": {"N": "1"}})
    siguiente = flujos.get_records(ShardIterator=vacia["NextShardIterator"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in siguiente["Records"]] == ["c"]


def test_moto_keeps_no_dynamodb_object_for_its_dashboard(tabla_compuesta):
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamRecord

    ddb, _, nombre = tabla_compuesta
    for i in range(5):
        ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": nombre, "Item": {**_clave("t", str(i)), "n": {"N": "1"}}}}]
        )
    assert list(Item.instances_tracked) == []
    assert list(StreamRecord.instances_tracked) == []
