"""moto's DynamoDB made safe for concurrent callers: one request at a time, and a cancelled transaction that leaves
the table's stream readable (issue 19).

moto 5.2.5 (the local stage's and the tests' AWS) serves each HTTP request in its own thread but keeps its DynamoDB
tables in plain dicts and lists without a lock. ``TransactWriteItems`` starts by deep-copying every table it names
(the snapshot it restores when the transaction is cancelled), so a put, update or delete arriving meanwhile makes
the copy fail with ``RuntimeError: dictionary changed size during iteration``, which moto answers as a 500; and a
rollback restores a snapshot taken before the other threads' writes, erasing them. Scans, queries and the stream's
reads iterate the same dicts and lists while writes change them. DynamoDB itself serialises writes per item and
isolates transactions; here every DynamoDB and DynamoDB Streams request takes one process-wide lock, which gives
that isolation (moto's work per request is short and the interpreter runs one thread at a time anyway).

Three more defects of the same code, independent of threads: the snapshot is a deep copy of the whole table with its
stream (about 1 s per transaction at 1,000 items, on this machine, which is past the app's 1 s read timeout); every
copied item stays referenced by moto's instance tracking (``/moto-api/data.json``) until a reset, so memory grows
with each transaction; and the rollback puts the snapshot in place of the table object, stream shard included, while
every shard iterator already handed out (and every ``NextShardIterator`` derived from it) keeps reading the old
shard, so a stream reader such as ``localstage/stream_pump.py`` never sees another record of that table after the
first cancelled transaction. ``instalar()`` makes the snapshot hold only the transaction's own items and the stream's
length, restores them into the original table object, and keeps no DynamoDB object for the dashboard.

Install it before moto's server answers its first request: ``instalar()`` in the process that runs
``ThreadedMotoServer`` (``tests/conftest.py``), or run moto as ``python -m localstage.moto_seguro`` (``make run``
does, so that ``kill -STOP`` freezes AWS alone: see docs/local-stage.md, "When the local AWS stalls").
"""

from __future__ import annotations

import argparse
import copy
import functools
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

CERROJO = threading.RLock()
"""The one lock every DynamoDB and DynamoDB Streams request of this process's moto takes."""

_instalado = False


def _de_a_uno(metodo: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(metodo)
    def envoltura(*args: Any, **kwargs: Any) -> Any:
        with CERROJO:
            return metodo(*args, **kwargs)

    return envoltura


class _Instantanea:
    """What one transaction may change in one table: the items at its keys (copies; None where there was none) and
    the length of the table's stream."""

    def __init__(self, tabla: Any, claves: set[tuple[Any, Any]]) -> None:
        self.tabla = tabla
        self.elementos = {clave: copy.deepcopy(tabla.get_item(*clave)) for clave in claves}
        self.registros = len(tabla.stream_shard.items) if tabla.stream_shard is not None else 0

    def restaurar(self) -> None:
        tabla = self.tabla
        for (hash_, rango), elemento in self.elementos.items():
            if rango is None:
                if elemento is None:
                    tabla.items.pop(hash_, None)
                else:
                    tabla.items[hash_] = elemento
            elif elemento is None:
                if hash_ in tabla.items:
                    tabla.items[hash_].pop(rango, None)
            else:
                tabla.items[hash_][rango] = elemento
        if tabla.stream_shard is not None:
            del tabla.stream_shard.items[self.registros :]


class _CopiaDeTransaccion:
    """Stands in for the ``copy`` module inside ``moto.dynamodb.models``: while a transaction runs (``claves`` set,
    under the lock), the snapshot moto takes of each table it names is an ``_Instantanea`` of the transaction's
    items instead of a deep copy of the whole table, stream included, which costs ~1 s per call with 1,000 items
    (issue 19's 1,000-lead delivery) and, counted by moto's instance tracking, was never freed."""

    def __init__(self) -> None:
        self.claves: dict[str, set[tuple[Any, Any]]] | None = None

    def deepcopy(self, objeto: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if self.claves is not None and isinstance(objeto, Table) and objeto.name in self.claves:
            return _Instantanea(objeto, self.claves[objeto.name])
        return copy.deepcopy(objeto, memo)

    def __getattr__(self, nombre: str) -> Any:
        return getattr(copy, nombre)


_COPIA = _CopiaDeTransaccion()


def _claves(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, set[tuple[Any, Any]]] | None:
    """The (hash, range) keys each table of the transaction names, as moto keys its items; None if some operation
    is malformed (moto then takes its whole-table copy and rejects the transaction itself)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    claves: dict[str, set[tuple[Any, Any]]] = {}
    try:
        for elemento in transact_items:
            tipo, operacion = next(iter(elemento.items()))
            tabla = backend.tables.get(operacion.get("TableName"))
            if tabla is None:
                continue
            atributos = operacion["Item"] if tipo == "Put" else operacion["Key"]
            hash_ = DynamoType(atributos[tabla.hash_key_attr])
            rango = DynamoType(atributos[tabla.range_key_attr]) if tabla.range_key_attr else None
            claves.setdefault(tabla.name, set()).add((hash_, rango))
    except (AttributeError, KeyError, StopIteration, TypeError):
        return None
    return claves


def _restaurar_en_sitio(backend: Any, originales: dict[str, Any]) -> None:
    """Undo moto's rollback swap: the original table objects stay in place (the stream shard with them, the one every
    shard iterator reads), restored from the snapshot that moto put in their place."""
    for nombre, original in originales.items():
        copia = backend.tables.get(nombre)
        if copia is None or copia is original:
            continue
        if isinstance(copia, _Instantanea):
            copia.restaurar()
        else:  # moto's own whole-table copy (a malformed transaction)
            shard = original.stream_shard
            registros = len(copia.stream_shard.items) if copia.stream_shard is not None else 0
            estado = dict(vars(copia))
            estado["stream_shard"] = shard
            vars(original).update(estado)
            if shard is not None:
                del shard.items[registros:]
        backend.tables[nombre] = original


def _transaccion_segura(transact_write_items: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(transact_write_items)
    def envoltura(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with CERROJO:
            originales = dict(self.tables)
            _COPIA.claves = _claves(self, transact_items)
            try:
                return transact_write_items(self, transact_items)
            finally:
                _COPIA.claves = None
                _restaurar_en_sitio(self, originales)

    return envoltura


class _SinRegistro(list):  # type: ignore[type-arg]
    """moto keeps every instance of every model for ``/moto-api/data.json`` until a reset, deep copies included: for
    DynamoDB, every item version and stream record ever made. This list keeps none."""

    def append(self, _objeto: Any) -> None:
        return None


def _sin_registro_dynamodb() -> None:
    from moto.core.model_instances import model_data

    for servicio in ("dynamodb", "dynamodbstreams"):
        for modelo in list(model_data.get(servicio, {}).values()):
            modelo.instances_tracked = _SinRegistro()  # type: ignore[attr-defined]


def _reinicio(reset: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(reset)
    def envoltura(*args: Any, **kwargs: Any) -> Any:
        with CERROJO:
            try:
                return reset(*args, **kwargs)
            finally:
                _sin_registro_dynamodb()

    return envoltura


def instalar() -> None:
    """Serialise moto's DynamoDB and DynamoDB Streams requests, make its transactions' snapshot and rollback cheap
    and in place, and stop it keeping every DynamoDB object ever made (idempotent)."""
    global _instalado
    with CERROJO:
        if _instalado:
            return
        import moto.dynamodb.models as modelos_dynamodb
        import moto.dynamodbstreams.models  # noqa: F401 - registers the streams' models for _sin_registro_dynamodb
        from moto.core.responses import BaseResponse
        from moto.dynamodb.responses import DynamoHandler
        from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
        from moto.moto_api._internal import urls

        DynamoHandler.call_action = _de_a_uno(DynamoHandler.call_action)  # type: ignore[method-assign]
        base = DynamoDBStreamsHandler.__dict__.get("call_action", BaseResponse.call_action)
        DynamoDBStreamsHandler.call_action = _de_a_uno(base)  # type: ignore[method-assign]
        backend = modelos_dynamodb.DynamoDBBackend
        backend.transact_write_items = _transaccion_segura(backend.transact_write_items)  # type: ignore[method-assign]
        setattr(modelos_dynamodb, "copy", _COPIA)  # noqa: B010 - replaces the module moto imported
        # /moto-api/reset replaces every backend: never in the middle of a DynamoDB request
        ruta = "{0}/moto-api/reset"
        urls.url_paths[ruta] = _reinicio(urls.url_paths[ruta])
        _sin_registro_dynamodb()
        _instalado = True


def instalado() -> bool:
    return _instalado


_LECTURAS_DE_CALENTAMIENTO = {
    "dynamodb": "list_tables",
    "dynamodbstreams": "list_streams",
    "s3": "list_buckets",
    "ses": "list_identities",
    "sesv2": "list_email_identities",
    "kms": "list_keys",
    "sqs": "list_queues",
    "ssm": "describe_parameters",
}
"""One cheap read per service the local stage uses."""


def _calentar(endpoint: str) -> None:
    """moto builds each service's backend on its first request (imports, URL map), which can take longer than the
    app's 1 s read timeout; one read per service first makes the stage's own first calls as fast as the rest."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=5, read_timeout=60, retries={"mode": "standard", "total_max_attempts": 3})
    for servicio, lectura in _LECTURAS_DE_CALENTAMIENTO.items():
        cliente = boto3.client(
            servicio,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's
            config=config,
        )
        getattr(cliente, lectura)()


def main(argv: list[str] | None = None) -> int:
    """moto's server with the guard, until SIGTERM or SIGINT: ``python -m localstage.moto_seguro --port 4566``.
    Prints one line ``moto listo en http://HOST:PUERTO`` once it answers (``--port 0`` picks a free port)."""
    parser = argparse.ArgumentParser(description="moto como AWS local, con DynamoDB serializado")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    opciones = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    instalar()
    from moto.server import ThreadedMotoServer

    servidor = ThreadedMotoServer(ip_address=opciones.host, port=opciones.port, verbose=False)
    servidor.start()
    host, puerto = servidor.get_host_and_port()
    _calentar(f"http://{host}:{puerto}")
    parar = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: parar.set())
    signal.signal(signal.SIGINT, lambda *_: parar.set())
    print(f"moto listo en http://{host}:{puerto}", flush=True)
    try:
        while not parar.wait(0.5):
            pass
    finally:
        servidor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
