"""A stand-in for Lambda's DynamoDB event source mapping on the local stage.

`chalice local` serves only HTTP routes, so `make run` and the tests read the table's stream on moto and hand
Lambda-shaped events to the stream handler. The pump mirrors the mapping settings that `infra/` declares:
`ReportBatchItemFailures` (partial batch failure reporting), a maximum number of attempts per batch start, an
on-failure destination (``dead_letters``) and, optionally, ``BisectBatchOnFunctionError``.

Checkpoint rules (those of Lambda):
- The handler returns ``{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}, ...]}``: the checkpoint
  advances to the record before the lowest failed sequence number; the batch is retried from there, so the records
  after it are delivered again.
- An empty, null or unknown ``itemIdentifier``, or an exception, fails the whole batch.
- After ``max_retries`` failed attempts (in total) whose batch starts at the same record, that record goes to
  ``dead_letters`` and the pump continues after it. With ``on_failure`` it is also handed Lambda's on-failure
  message (``DDBStreamBatchInfo`` + request/response context, no record data): `make run` sends it to the local
  ``vd-local-streams-dlq`` queue, so `python -m scripts.reprocesar flujo` works the same here as in AWS.

When AWS stalls (issue 19): the pump's own clients time out (``CONEXION_SEGUNDOS``, ``LECTURA_SEGUNDOS``, two
attempts), so a polling round against a frozen endpoint fails within seconds instead of hanging; ``run_forever`` logs
one warning when rounds start failing and one line when they work again, keeps every shard's checkpoint, and goes on
from it. A round that cannot even read the stream counts no attempt against any record, so a long stall sends
nothing to the dead letters.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]
OnFailure = Callable[[dict[str, Any]], None]

# A reaction that writes to the table it reacts to would otherwise keep one round going forever.
_MAX_BATCHES_PER_SHARD_AND_ROUND = 1000

CONEXION_SEGUNDOS = 1.0
LECTURA_SEGUNDOS = 2.0
"""The pump's clients: Lambda's poller is AWS's own, not a door with a caller waiting, so it may wait longer than the
app's clients (``chalicelib/adapters/clientes_aws.py``) but never forever (boto3's default read is 60 s, 5 times)."""
INTENTOS = 2


def _cliente(servicio: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=CONEXION_SEGUNDOS,
        read_timeout=LECTURA_SEGUNDOS,
        retries={"mode": "standard", "total_max_attempts": INTENTOS},
    )
    return boto3.client(servicio, region_name=region, config=config)


class BatchFailure(Exception):
    """The handler failed a batch: it raised, or it reported failed items."""

    def __init__(self, message: str, first_failed: str | None) -> None:
        super().__init__(message)
        self.first_failed = first_failed


@dataclass
class _Shard:
    """Read position of one shard: `checkpoint` is the last sequence number the handler got past."""

    stream_arn: str
    shard_id: str
    parent_id: str | None
    iterator: str | None = None
    checkpoint: str | None = None
    exhausted: bool = False
    failed_start: str | None = None
    attempts: int = 0
    limit: int = 0
    last_error: str = ""


def records_to_lambda_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """boto3 `get_records` output as the event Lambda delivers: numeric timestamps, base64 binaries, source ARN."""
    out = []
    for record in records:
        converted = dict(record)
        data = dict(record["dynamodb"])
        stamp = data.get("ApproximateCreationDateTime")
        if isinstance(stamp, datetime):
            data["ApproximateCreationDateTime"] = stamp.timestamp()
        for image in ("Keys", "NewImage", "OldImage"):
            if image in data:
                data[image] = {name: _json_attribute(value) for name, value in data[image].items()}
        converted["dynamodb"] = data
        converted["eventSourceARN"] = stream_arn
        out.append(converted)
    return {"Records": out}


def _json_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A typed attribute value as JSON carries it (binary values become base64 text)."""
    kind, inner = next(iter(value.items()))
    if kind == "B":
        return {"B": _b64(inner)}
    if kind == "BS":
        return {"BS": [_b64(item) for item in inner]}
    if kind == "M":
        return {"M": {name: _json_attribute(item) for name, item in inner.items()}}
    if kind == "L":
        return {"L": [_json_attribute(item) for item in inner]}
    return dict(value)


def _iso(stamp: Any) -> str:
    """Epoch seconds or a datetime as Lambda writes times in its invocation records (UTC, milliseconds, Z)."""
    when = stamp if isinstance(stamp, datetime) else datetime.fromtimestamp(float(stamp or 0), tz=UTC)
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def on_failure_message(
    *,
    records: list[dict[str, Any]],
    stream_arn: str,
    shard_id: str,
    function_arn: str,
    attempts: int,
    raised: bool,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The message Lambda sends to a stream mapping's on-failure destination: where the batch is, not its data."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if raised:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(now or datetime.now(UTC)),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": str(first["SequenceNumber"]),
            "endSequenceNumber": str(last["SequenceNumber"]),
            "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime")),
            "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime")),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def sqs_on_failure(queue_url: str, region: str = "us-east-1") -> OnFailure:
    """An on-failure destination that sends each message to an SQS queue (the local DLQ)."""
    sqs = _cliente("sqs", region)

    def send(message: dict[str, Any]) -> None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))

    return send


def _b64(data: Any) -> str:
    if isinstance(data, str):
        return data
    return base64.b64encode(bytes(data)).decode("ascii")


class StreamPump:
    """Polls the stream of ``table_name`` and invokes ``handler`` like Lambda's event source mapping does."""

    def __init__(
        self,
        *,
        table_name: str,
        handler: Handler,
        region: str = "us-east-1",
        batch_size: int = 100,
        max_retries: int = 5,
        dead_letters: list[dict[str, Any]] | None = None,
        bisect_on_error: bool = False,
        on_failure: OnFailure | None = None,
        function_arn: str = "",
    ) -> None:
        if batch_size < 1 or max_retries < 1:
            raise ValueError("batch_size and max_retries must be at least 1")
        self.table_name = table_name
        self.handler = handler
        self.region = region
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.dead_letters: list[dict[str, Any]] = dead_letters if dead_letters is not None else []
        self.bisect_on_error = bisect_on_error
        self.on_failure = on_failure
        self.function_arn = function_arn
        self._shards: dict[tuple[str, str], _Shard] = {}
        self._lock = threading.RLock()
        self._dynamodb: Any = None
        self._streams: Any = None
        self.failed_rounds = 0
        """Consecutive polling rounds of ``run_forever`` that failed (0 when the last one worked)."""

    # -- public -------------------------------------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        """True while some batch failed and waits for its retry."""
        return any(shard.failed_start is not None for shard in self._shards.values())

    def pump_once(self) -> int:
        """One polling round over every shard; returns how many records the handler got past."""
        with self._lock:
            stream_arn = self._stream_arn()
            if stream_arn is None:
                return 0
            handled = 0
            for shard in self._discover_shards(stream_arn):
                if self._waits_for_parent(shard):
                    continue
                handled += self._pump_shard(shard)
            return handled

    def drain(self, max_rounds: int = 50) -> int:
        """Run rounds until one handles nothing and no retry is pending; returns the records handled."""
        total = 0
        for _ in range(max_rounds):
            with self._lock:
                dead_before = len(self.dead_letters)
                handled = self.pump_once()
                total += handled
                if handled == 0 and not self.pending and len(self.dead_letters) == dead_before:
                    return total
        logger.warning("stream pump for %s still busy after %d rounds", self.table_name, max_rounds)
        return total

    def run_forever(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Poll until ``stop`` is set; a failed round is logged and the next one starts from the checkpoints."""
        while not stop.is_set():
            self.poll_round()
            stop.wait(interval)

    def poll_round(self) -> bool:
        """One round of ``run_forever``: never raises; False if it failed (logged once per run of failures)."""
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import HTTPClientError

        try:
            self.pump_once()
        except (BotoConnectionError, HTTPClientError) as exc:
            self.failed_rounds += 1
            if self.failed_rounds == 1:
                logger.warning("stream pump for %s cannot reach AWS (%s); retrying every round", self.table_name, exc)
            return False
        except Exception:
            self.failed_rounds += 1
            logger.exception("stream pump for %s failed a round", self.table_name)
            return False
        if self.failed_rounds:
            logger.warning("stream pump for %s works again after %d failed rounds", self.table_name, self.failed_rounds)
            self.failed_rounds = 0
        return True

    # -- AWS ----------------------------------------------------------------------------------------------------

    def _clients(self) -> tuple[Any, Any]:
        if self._dynamodb is None or self._streams is None:
            self._dynamodb = _cliente("dynamodb", self.region)
            self._streams = _cliente("dynamodbstreams", self.region)
        return self._dynamodb, self._streams

    def _stream_arn(self) -> str | None:
        dynamodb, _ = self._clients()
        try:
            table = dynamodb.describe_table(TableName=self.table_name)["Table"]
        except dynamodb.exceptions.ResourceNotFoundException:
            logger.debug("table %s does not exist (yet)", self.table_name)
            return None
        arn = table.get("LatestStreamArn")
        if not arn or not table.get("StreamSpecification", {}).get("StreamEnabled", True):
            return None
        return str(arn)

    def _discover_shards(self, stream_arn: str) -> list[_Shard]:
        _, streams = self._clients()
        found: list[_Shard] = []
        params: dict[str, Any] = {"StreamArn": stream_arn}
        while True:
            description = streams.describe_stream(**params)["StreamDescription"]
            for item in description.get("Shards", []):
                key = (stream_arn, item["ShardId"])
                if key not in self._shards:
                    self._shards[key] = _Shard(
                        stream_arn=stream_arn,
                        shard_id=item["ShardId"],
                        parent_id=item.get("ParentShardId"),
                        limit=self.batch_size,
                    )
                found.append(self._shards[key])
            last = description.get("LastEvaluatedShardId")
            if not last:
                return found
            params["ExclusiveStartShardId"] = last

    def _waits_for_parent(self, shard: _Shard) -> bool:
        if shard.parent_id is None:
            return False
        parent = self._shards.get((shard.stream_arn, shard.parent_id))
        return parent is not None and not parent.exhausted

    def _fetch(self, shard: _Shard) -> list[dict[str, Any]]:
        _, streams = self._clients()
        if shard.iterator is None:
            shard.iterator = self._iterator_from_checkpoint(shard)
        try:
            page = streams.get_records(ShardIterator=shard.iterator, Limit=shard.limit)
        except streams.exceptions.ExpiredIteratorException:
            shard.iterator = self._iterator_from_checkpoint(shard)
            page = streams.get_records(ShardIterator=shard.iterator, Limit=shard.limit)
        shard.iterator = page.get("NextShardIterator")
        records: list[dict[str, Any]] = page.get("Records", [])
        if shard.iterator is None and not records:
            shard.exhausted = True
        return records

    def _iterator_from_checkpoint(self, shard: _Shard) -> str:
        _, streams = self._clients()
        params: dict[str, Any] = {"StreamArn": shard.stream_arn, "ShardId": shard.shard_id}
        if shard.checkpoint is None:
            params["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            params["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            params["SequenceNumber"] = shard.checkpoint
        return str(streams.get_shard_iterator(**params)["ShardIterator"])

    # -- one shard ----------------------------------------------------------------------------------------------

    def _pump_shard(self, shard: _Shard) -> int:
        handled = 0
        for _ in range(_MAX_BATCHES_PER_SHARD_AND_ROUND):
            if shard.exhausted:
                break
            records = self._fetch(shard)
            if not records:
                break
            event = records_to_lambda_event(records, shard.stream_arn)
            try:
                self._invoke(event)
            except BatchFailure as failure:
                handled += self._advance_to(shard, records, failure.first_failed)
                if not self._record_failure(shard, event["Records"], failure):
                    break
            else:
                shard.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]
                shard.failed_start, shard.attempts, shard.limit = None, 0, self.batch_size
                handled += len(records)
        return handled

    def _invoke(self, event: dict[str, Any]) -> None:
        sequence = [str(r["dynamodb"]["SequenceNumber"]) for r in event["Records"]]
        try:
            response = self.handler(event)
        except Exception as exc:
            logger.warning("stream handler raised on a batch of %d: %r", len(sequence), exc)
            raise BatchFailure(f"{type(exc).__name__}: {exc}", None) from exc
        failures = (response or {}).get("batchItemFailures") if isinstance(response, dict) else None
        if not failures:
            return
        identifiers = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
        if any(not i or str(i) not in sequence for i in identifiers):
            raise BatchFailure(f"invalid batchItemFailures {failures!r}", None)
        lowest = min((str(i) for i in identifiers), key=int)
        raise BatchFailure(f"handler reported failed items {identifiers!r}", lowest)

    def _advance_to(self, shard: _Shard, records: list[dict[str, Any]], first_failed: str | None) -> int:
        """Checkpoint the records before ``first_failed``; the next read starts again at the failed one."""
        shard.iterator = None
        if first_failed is None:
            return 0
        done = 0
        for record in records:
            if record["dynamodb"]["SequenceNumber"] == first_failed:
                break
            shard.checkpoint = record["dynamodb"]["SequenceNumber"]
            done += 1
        return done

    def _record_failure(self, shard: _Shard, batch: list[dict[str, Any]], failure: BatchFailure) -> bool:
        """Count the attempt; dead-letter the starting record when exhausted. True if the shard may go on now."""
        start_index = 0
        if failure.first_failed is not None:
            start_index = next(
                i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] == failure.first_failed
            )
        start = batch[start_index]
        start_sequence = start["dynamodb"]["SequenceNumber"]
        if shard.failed_start != start_sequence:
            shard.failed_start, shard.attempts = start_sequence, 0
        shard.attempts += 1
        shard.last_error = str(failure)
        if failure.first_failed is None and self.bisect_on_error:
            shard.limit = max(1, min(shard.limit, len(batch)) // 2)
        if shard.attempts < self.max_retries:
            return False
        logger.error(
            "stream record %s of %s sent to dead letters after %d attempts: %s",
            start_sequence,
            self.table_name,
            shard.attempts,
            failure,
        )
        message = on_failure_message(
            records=[start],
            stream_arn=shard.stream_arn,
            shard_id=shard.shard_id,
            function_arn=self.function_arn,
            attempts=shard.attempts,
            raised=failure.first_failed is None,
        )
        self.dead_letters.append(
            {
                "record": start,
                "error": str(failure),
                "attempts": shard.attempts,
                "stream_arn": shard.stream_arn,
                "shard_id": shard.shard_id,
                "message": message,
            }
        )
        if self.on_failure is not None:
            try:
                self.on_failure(message)
            except Exception:
                logger.exception("on-failure destination refused the message of %s", start_sequence)
        shard.checkpoint = start_sequence
        shard.iterator = None
        shard.failed_start, shard.attempts, shard.limit = None, 0, self.batch_size
        return True
