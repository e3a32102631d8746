"""A stalled AWS backend (issue 19): the doors answer a Spanish 503 within the clients' worst case, never hang, and
a failed write leaves nothing behind, so the caller's retry is safe.

The stalled endpoint accepts TCP connections and never answers; the local stage's clients reach it through
``AWS_ENDPOINT_URL``. Elapsed seconds are printed (``-s``), not asserted: the bound is ``clientes_aws.PUERTAS``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chalicelib.adapters.clientes_aws import PUERTAS
from localstage.entorno import entorno_local

RAIZ = Path(__file__).resolve().parents[2]
EVENTO_WHATSAPP = RAIZ / "tests" / "events" / "meta_whatsapp_texto.json"
FORMULARIO = {
    "nombre": "Juan Pérez",
    "telefono": "70712345",
    "email": "juan@example.com",
    "consentimiento": "on",
    "envio_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
}


class ServidorAtascado:
    """Accepts every connection on 127.0.0.1 and never reads nor answers; holds the sockets until stopped."""

    def __init__(self) -> None:
        self._escucha = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._escucha.bind(("127.0.0.1", 0))
        self._escucha.listen(64)
        self._escucha.settimeout(0.1)
        self._abiertas: list[socket.socket] = []
        self._parar = threading.Event()
        self._hilo = threading.Thread(target=self._aceptar, daemon=True)
        self.conexiones = 0

    @property
    def url(self) -> str:
        host, puerto = self._escucha.getsockname()
        return f"http://{host}:{puerto}"

    def _aceptar(self) -> None:
        while not self._parar.is_set():
            try:
                conexion, _ = self._escucha.accept()
            except TimeoutError:
                continue
            self._abiertas.append(conexion)
            self.conexiones += 1

    def __enter__(self) -> ServidorAtascado:
        self._hilo.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._parar.set()
        self._hilo.join(timeout=2)
        for conexion in self._abiertas:
            conexion.close()
        self._escucha.close()


@pytest.fixture
def atascado(monkeypatch) -> Iterator[tuple[object, ServidorAtascado]]:
    """The local stage's app with every AWS endpoint pointed at a stalled server."""
    from chalice.test import Client

    from chalicelib import bootstrap
    from chalicelib.config import get_settings

    with ServidorAtascado() as servidor:
        for nombre, valor in entorno_local(servidor.url).items():
            monkeypatch.setenv(nombre, valor)
        get_settings.cache_clear()
        bootstrap.reset()
        from app import app

        with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
            yield cliente, servidor
        bootstrap.reset()
        get_settings.cache_clear()


def _firmado(cuerpo: bytes) -> dict[str, str]:
    secreto = entorno_local()["VD_META_APP_SECRETS"].split(",")[0].encode()
    firma = "sha256=" + hmac.new(secreto, cuerpo, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": firma}


def _cronometrado(llamada, *args, **kwargs):
    inicio = time.monotonic()
    respuesta = llamada(*args, **kwargs)
    return respuesta, time.monotonic() - inicio


def _es_503_en_castellano(respuesta) -> None:
    assert respuesta.status_code == 503, respuesta.body
    cuerpo = json.loads(respuesta.body)
    assert cuerpo["codigo"] == "servicio_no_disponible"
    assert "Reintente" in cuerpo["mensaje"]
    assert "Timeout" not in respuesta.body.decode() and "127.0.0.1" not in respuesta.body.decode()


@pytest.mark.timeout(30)
def test_a_signed_whatsapp_webhook_gets_503_not_a_hang_when_aws_stalls(atascado):
    cliente, servidor = atascado
    cuerpo = EVENTO_WHATSAPP.read_bytes()
    # When
    respuesta, segundos = _cronometrado(cliente.http.post, "/webhooks/meta", headers=_firmado(cuerpo), body=cuerpo)
    print(f"\nPOST /webhooks/meta contra un backend atascado: {respuesta.status_code} en {segundos:.2f} s")
    # Then
    _es_503_en_castellano(respuesta)
    assert servidor.conexiones >= 1  # the request did reach the stalled endpoint
    assert respuesta.headers.get("Retry-After") == "5"
    print(f"cota: {PUERTAS['POST /webhooks/meta'].peor_caso_en_falla():.1f} s")


@pytest.mark.timeout(30)
def test_a_web_form_gets_503_not_a_hang_when_aws_stalls(atascado):
    cliente, _ = atascado
    cuerpo = urlencode(FORMULARIO).encode()
    cabeceras = {"Content-Type": "application/x-www-form-urlencoded"}
    # When
    respuesta, segundos = _cronometrado(cliente.http.post, "/solicitud", headers=cabeceras, body=cuerpo)
    print(f"\nPOST /solicitud contra un backend atascado: {respuesta.status_code} en {segundos:.2f} s")
    # Then
    _es_503_en_castellano(respuesta)
    print(f"cota: {PUERTAS['POST /solicitud'].peor_caso_en_falla():.1f} s")


@pytest.fixture
def en_moto(settings, monkeypatch):
    """The local stage's app on moto (the shared moto server, emptied and provisioned by ``settings``)."""
    from chalice.test import Client

    from chalicelib import bootstrap

    bootstrap.reset()
    from app import app

    with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
        yield cliente
    bootstrap.reset()


def _entrantes_put(settings):
    from chalicelib.adapters.dynamo_tables import EntranteItem, bind

    bind(settings)
    return EntranteItem._get_connection().connection.client.meta.events


def _leer_tiempo(**kwargs):
    from botocore.exceptions import ReadTimeoutError

    raise ReadTimeoutError(endpoint_url=kwargs["request"].url)


@pytest.mark.timeout(30)
def test_a_put_that_timed_out_wrote_nothing_and_the_retry_is_received_once(en_moto, settings):
    from chalicelib.adapters.dynamo_tables import EntranteItem

    cuerpo = urlencode(FORMULARIO).encode()
    cabeceras = {"Content-Type": "application/x-www-form-urlencoded"}
    clave = f"web#{FORMULARIO['envio_id']}"
    eventos = _entrantes_put(settings)
    eventos.register("before-send.dynamodb.PutItem", _leer_tiempo)
    # When: both attempts of the door's one write time out before reaching DynamoDB
    fallida = en_moto.http.post("/solicitud", headers=cabeceras, body=cuerpo)
    # Then
    _es_503_en_castellano(fallida)
    assert EntranteItem.count(clave) == 0
    # When: the backend is back and the caller sends the same submission again, twice
    eventos.unregister("before-send.dynamodb.PutItem", _leer_tiempo)
    primera = en_moto.http.post("/solicitud", headers=cabeceras, body=cuerpo)
    segunda = en_moto.http.post("/solicitud", headers=cabeceras, body=cuerpo)
    # Then: one stored submission, one receipt
    assert primera.status_code == segunda.status_code == 201
    assert EntranteItem.count(clave) == 1


@pytest.mark.timeout(30)
def test_a_put_whose_answer_was_lost_is_recognised_when_the_caller_retries(en_moto, settings):
    from chalicelib.adapters.dynamo_tables import EntranteItem

    cuerpo = EVENTO_WHATSAPP.read_bytes()
    eventos = _entrantes_put(settings)

    eventos.register("after-call.dynamodb.PutItem", _perder_respuesta)
    # When: DynamoDB stored the delivery but its answer never came back
    fallida = en_moto.http.post("/webhooks/meta", headers=_firmado(cuerpo), body=cuerpo)
    eventos.unregister("after-call.dynamodb.PutItem", _perder_respuesta)
    reintento = en_moto.http.post("/webhooks/meta", headers=_firmado(cuerpo), body=cuerpo)
    # Then: the caller got 503 and retried; the retry is recognised as the same delivery, stored once
    _es_503_en_castellano(fallida)
    assert reintento.status_code == 200 and reintento.json_body["duplicada"] is True
    assert sum(1 for _ in EntranteItem.scan()) == 1


def _perder_respuesta(**kwargs):
    from botocore.exceptions import ReadTimeoutError

    raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")
