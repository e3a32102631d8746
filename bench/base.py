"""The baseline: a bare Chalice app, run in the same process against the same moto server as the real one.

- ``POST /base``: reads the raw body and does one DynamoDB ``put_item`` (boto3 client created once, as a handler
  would cache it) — the floor of any webhook that stores something (B1, B2).
- ``no_op`` on a DynamoDB stream: accepts every record and does nothing — the floor of a stream handler (B5).

No middleware, no logger, no validation: whatever the real handlers cost above this is their own work.
"""

from __future__ import annotations

import uuid
from typing import Any

from chalice.app import Chalice, DynamoDBEvent, Response

TABLA_BASE = "vd-bench-base"
STREAM_BASE = "arn:aws:dynamodb:us-east-1:123456789012:table/vd-bench-base/stream/local"

base = Chalice(app_name="vd-bench-base")
_clientes: dict[str, Any] = {}


def _dynamodb() -> Any:
    if "dynamodb" not in _clientes:
        import boto3

        _clientes["dynamodb"] = boto3.client("dynamodb")
    return _clientes["dynamodb"]


def crear_tabla_base(region: str) -> None:
    """The baseline's table (one hash key, on demand) in the current moto."""
    import boto3

    boto3.client("dynamodb", region_name=region).create_table(
        TableName=TABLA_BASE,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    _clientes.clear()


@base.route("/base", methods=["POST"], content_types=["application/json"])
def put_one() -> Response:
    request = base.current_request
    assert request is not None
    cuerpo = request.raw_body
    _dynamodb().put_item(TableName=TABLA_BASE, Item={"id": {"S": uuid.uuid4().hex}, "cuerpo": {"B": cuerpo}})
    return Response(body={"ok": True}, status_code=200)


@base.on_dynamodb_record(stream_arn=STREAM_BASE, batch_size=50)
def no_op(event: DynamoDBEvent) -> dict[str, Any]:
    for _record in event:  # touch each record, as any handler must
        pass
    return {"batchItemFailures": []}
