"""The local stand-in for the DynamoDB event source mapping, against moto's streams."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from numbers import Real
from typing import Any

import boto3
import pytest
from chalice.app import DynamoDBEvent

from localstage.stream_pump import StreamPump


@pytest.fixture
def table(moto_endpoint):
    """A fresh table with a NEW_AND_OLD_IMAGES stream (not one of the app's tables)."""
    name = f"pump-{uuid.uuid4().hex[:10]}"
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    yield name
    client.delete_table(TableName=name)


def _put(table: str, *keys: str, **extra: dict[str, Any]) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    for key in keys:
        client.put_item(TableName=table, Item={"pk": {"S": key}, **extra})


def _keys(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]


def _sequences(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]


class Recorder:
    """A handler that keeps every event and the keys it got past."""

    def __init__(self, fail: Callable[[dict[str, Any]], bool] = lambda record: False, raise_times: int = 0) -> None:
        self.events: list[dict[str, Any]] = []
        self.done: list[str] = []
        self._fail = fail
        self._raise_times = raise_times

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(json.loads(json.dumps(event)))
        if self._raise_times:
            self._raise_times -= 1
            raise RuntimeError("transient failure")
        failures: list[dict[str, str]] = []
        for record in event["Records"]:
            if failures or self._fail(record):
                if not failures:
                    failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
                continue
            self.done.append(record["dynamodb"]["Keys"]["pk"]["S"])
        return {"batchItemFailures": failures}


def test_handler_receives_lambda_shaped_events(table):
    # Given an insert with a binary attribute, an update and a delete
    client = boto3.client("dynamodb", region_name="us-east-1")
    _put(table, "a", "b", blob={"B": b"\x00\x01"})
    client.update_item(
        TableName=table,
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    client.delete_item(TableName=table, Key={"pk": {"S": "b"}})
    stream_arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    handler = Recorder()

    # When the pump drains the stream
    handled = StreamPump(table_name=table, handler=handler).drain()

    # Then one JSON-serialisable Lambda event carries the four records in order
    assert handled == 4
    assert len(handler.events) == 1
    records = handler.events[0]["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT", "MODIFY", "REMOVE"]
    for record in records:
        assert record["eventSourceARN"] == stream_arn
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "us-east-1"
        assert record["eventID"] and record["eventVersion"]
        stamp = record["dynamodb"]["ApproximateCreationDateTime"]
        assert isinstance(stamp, Real) and not isinstance(stamp, bool) and stamp > 1_600_000_000
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert record["dynamodb"]["SizeBytes"] > 0
    assert records[0]["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}
    assert records[2]["dynamodb"]["OldImage"]["pk"] == {"S": "a"}
    assert records[2]["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert "NewImage" not in records[3]["dynamodb"] and records[3]["dynamodb"]["OldImage"]["pk"] == {"S": "b"}
    # and chalice's own event class reads it as Lambda would deliver it
    parsed = list(DynamoDBEvent(handler.events[0], context=None))
    assert [r.event_name for r in parsed] == ["INSERT", "INSERT", "MODIFY", "REMOVE"]
    assert parsed[0].event_source_arn == stream_arn


def test_the_pump_resumes_where_it_left_off_and_respects_the_batch_size(table):
    # Given seven items and a pump with batches of three
    _put(table, *[f"k{i}" for i in range(7)])
    handler = Recorder()
    pump = StreamPump(table_name=table, handler=handler, batch_size=3)

    # When it drains, then two more items arrive and it pumps again
    first = pump.drain()
    _put(table, "k7", "k8")
    second = pump.pump_once()

    # Then every record was delivered exactly once, in batches of at most three
    assert (first, second) == (7, 2)
    assert [len(e["Records"]) for e in handler.events] == [3, 3, 1, 2]
    assert handler.done == [f"k{i}" for i in range(9)]


def test_a_reported_item_failure_redelivers_that_record_and_the_ones_after_it(table):
    # Given ten records and a handler that fails the sixth one the first time only
    _put(table, *[f"k{i}" for i in range(10)])
    already_failed: set[str] = set()

    def fail_once(record):
        key = record["dynamodb"]["Keys"]["pk"]["S"]
        if key == "k5" and key not in already_failed:
            already_failed.add(key)
            return True
        return False

    handler = Recorder(fail=fail_once)
    pump = StreamPump(table_name=table, handler=handler)

    # When the pump runs two rounds
    first = pump.pump_once()
    assert pump.pending
    second = pump.pump_once()

    # Then the first round got past five records, the retry starts exactly at the failed one
    assert (first, second) == (5, 5)
    assert _keys(handler.events[0]) == [f"k{i}" for i in range(10)]
    assert _keys(handler.events[1]) == [f"k{i}" for i in range(5, 10)]
    assert _sequences(handler.events[1]) == _sequences(handler.events[0])[5:]
    # and nothing is lost or handled twice
    assert handler.done == [f"k{i}" for i in range(10)]
    assert not pump.pending
    assert pump.drain() == 0
    assert len(handler.events) == 2


def test_a_poison_record_ends_in_dead_letters_and_the_others_are_processed(table):
    # Given six records, the third of which always fails
    _put(table, "k0", "k1")
    _put(table, "poison", poison={"BOOL": True})
    _put(table, "k3", "k4", "k5")
    dead_letters: list[dict] = []
    handler = Recorder(fail=lambda r: "poison" in r["dynamodb"].get("NewImage", {}))
    pump = StreamPump(table_name=table, handler=handler, max_retries=3, dead_letters=dead_letters)

    # When the pump drains the stream
    handled = pump.drain()

    # Then the poison record was tried three times and then dead-lettered, and every other record got through
    assert handled == 5
    assert handler.done == ["k0", "k1", "k3", "k4", "k5"]
    assert [_keys(e)[0] for e in handler.events] == ["k0", "poison", "poison", "k3"]
    assert len(dead_letters) == 1
    letter = dead_letters[0]
    assert letter["record"]["dynamodb"]["Keys"]["pk"] == {"S": "poison"}
    stream_arn = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName=table)["Table"]
    assert letter["record"]["eventSourceARN"] == stream_arn["LatestStreamArn"] == letter["stream_arn"]
    assert "failed items" in letter["error"] and letter["attempts"] == 3
    assert not pump.pending


def test_a_raising_handler_gets_the_whole_batch_again(table):
    # Given four records and a handler that raises on its first call
    _put(table, "k0", "k1", "k2", "k3")
    handler = Recorder(raise_times=1)
    pump = StreamPump(table_name=table, handler=handler)

    # When the pump runs two rounds
    first = pump.pump_once()
    pending_after_failure = pump.pending
    second = pump.pump_once()

    # Then the second call received exactly the same batch and all four went through
    assert (first, second) == (0, 4)
    assert pending_after_failure
    assert _sequences(handler.events[1]) == _sequences(handler.events[0])
    assert handler.done == ["k0", "k1", "k2", "k3"]


def test_a_handler_that_keeps_raising_dead_letters_the_starting_record_and_goes_on(table):
    # Given two records and a handler that raises whenever the first one is in the batch
    _put(table, "k0", "k1")
    delivered: list[list[str]] = []

    def handler(event):
        delivered.append(_keys(event))
        if "k0" in _keys(event):
            raise ValueError("cannot handle k0")
        return None

    pump = StreamPump(table_name=table, handler=handler, max_retries=2)

    # When the pump drains the stream
    handled = pump.drain()

    # Then k0 is dead-lettered with the error after two attempts, and k1 is delivered on its own
    assert handled == 1
    assert delivered == [["k0", "k1"], ["k0", "k1"], ["k1"]]
    assert [d["record"]["dynamodb"]["Keys"]["pk"]["S"] for d in pump.dead_letters] == ["k0"]
    assert "ValueError: cannot handle k0" in pump.dead_letters[0]["error"]


def test_bisecting_on_error_isolates_a_raising_record(table):
    # Given four records, the third of which makes the handler raise
    _put(table, "k0", "k1", "k2", "k3")
    done: list[str] = []

    def handler(event):
        if "k2" in _keys(event):
            raise ValueError("k2")
        done.extend(_keys(event))
        return None

    pump = StreamPump(table_name=table, handler=handler, max_retries=2, bisect_on_error=True)

    # When the pump drains the stream
    handled = pump.drain()

    # Then only k2 is dead-lettered
    assert handled == 3
    assert done == ["k0", "k1", "k3"]
    assert [d["record"]["dynamodb"]["Keys"]["pk"]["S"] for d in pump.dead_letters] == ["k2"]


def test_an_invalid_item_identifier_fails_the_whole_batch(table):
    # Given two records and a handler that first reports an identifier that is not in the batch
    _put(table, "k0", "k1")
    calls: list[list[str]] = []

    def handler(event):
        calls.append(_keys(event))
        return {"batchItemFailures": [{"itemIdentifier": ""}]} if len(calls) == 1 else {}

    pump = StreamPump(table_name=table, handler=handler)

    # When the pump drains the stream
    handled = pump.drain()

    # Then the whole batch was delivered again
    assert handled == 2
    assert calls == [["k0", "k1"], ["k0", "k1"]]


def test_a_missing_table_is_nothing_to_pump(moto_endpoint):
    # Given a pump on a table that does not exist
    pump = StreamPump(table_name=f"missing-{uuid.uuid4().hex[:8]}", handler=Recorder())

    # When it drains
    handled = pump.drain()

    # Then it reports nothing handled, without an error
    assert handled == 0
