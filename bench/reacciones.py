"""B5: stream reactions — records per second through ``on_solicitud_change`` against a no-op handler over the
very same events.

The events are real: requests are submitted through the web form (the door stores each submission; the entrantes
table's stream, drained into ``on_entrante``, captures it as a request whose id is the receipt code) and half of
them classified as residential (no email) and half handed to Enterprise Sales (two emails), all through the app's
HTTP routes and its entrantes stream handler; then
``localstage.stream_pump.StreamPump`` reads moto's stream of the requests table and turns its records into the
Lambda-shaped events (batches of 50, the handler's ``batch_size``) that Lambda's event source mapping delivers.
Those batches are kept, and handed to each handler through chalice's test client (``lambda_.invoke``):

- the baseline: ``bench.base.no_op`` (accepts every record, does nothing), several times;
- ``on_solicitud_change``: Powertools' BatchProcessor, one ``AccionAplicada`` per record, each reaction claimed
  in ``claves``, rendered (jinja2, text + HTML), sent through moto's SES and written to the history;
- ``on_solicitud_change`` again over the same batches (a redelivery): every reaction is already claimed, so it
  must send nothing — checked, not assumed.

The email count in moto's SES is checked against what the procedure prescribes (capture: acknowledgement +
executives' notice; derivation: two; classification: none); ``batchItemFailures`` must be empty.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from typing import Any

from bench.comun import EntornoMoto, aviso, llamadas_aws, llamadas_desde, por_unidad

TAMANO_LOTE = 50


def _correos(endpoint: str) -> int:
    import requests

    datos = requests.get(f"{endpoint}/moto-api/data.json", timeout=60).json().get("ses", {})
    return len(datos.get("RawMessage", [])) + len(datos.get("Message", []))


def _crear(cliente: Any, token: str, entrantes: Any, desde: int, cuantas: int) -> int:
    """``cuantas`` requests through the form, captured by draining the entrantes stream (``entrantes``, a pump into
    ``on_entrante``), each then classified (even) or handed to Enterprise Sales (odd); returns the emails their
    reactions must send."""
    esperados = 0
    acciones: list[tuple[str, dict[str, Any]]] = []
    for n in range(desde, desde + cuantas):
        empresa = n % 2 == 1
        campos = {
            "nombre": "Importadora Andina SRL" if empresa else "María Quispe Mamani",
            "telefono": f"6{n:07d}",
            "email": f"contacto.{n}@example.com",
            "tipo_cliente": "empresa" if empresa else "residencial",
            "mensaje": "Necesitamos internet para la oficina" if empresa else "Internet para mi casa",
            "consentimiento": "on",
        }
        respuesta = cliente.http.post(
            "/solicitud", headers={"Content-Type": "application/json"}, body=json.dumps(campos).encode()
        )
        if respuesta.status_code != 201:
            raise AssertionError(f"form: {respuesta.status_code} {respuesta.body[:300]!r}")
        solicitud_id = respuesta.json_body["recibo"]  # the request's id is the receipt code
        accion: dict[str, Any] = (
            {
                "accion": "derivar_empresas",
                "campos": {"motivo": "Cliente empresarial", "razon_social": campos["nombre"]},
            }
            if empresa
            else {"accion": "clasificar_residencial", "campos": {}}
        )
        acciones.append((solicitud_id, accion))
        esperados += 2 + (2 if empresa else 0)
    capturados = entrantes.drain()
    if capturados < cuantas or entrantes.dead_letters or entrantes.pending:
        raise AssertionError(f"on_entrante handled {capturados} records for {cuantas} submissions")
    for solicitud_id, accion in acciones:
        respuesta = cliente.http.post(
            f"/solicitudes/{solicitud_id}/acciones",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            body=json.dumps(accion),
        )
        if respuesta.status_code != 200:
            raise AssertionError(f"{accion['accion']}: {respuesta.status_code} {respuesta.body[:300]!r}")
    return esperados


def _entregar(cliente: Any, funcion: str, eventos: list[dict[str, Any]]) -> float:
    inicio = time.perf_counter()
    for evento in eventos:
        respuesta = cliente.lambda_.invoke(funcion, evento).payload
        if respuesta.get("batchItemFailures"):
            raise AssertionError(f"{funcion} failed records: {respuesta['batchItemFailures']}")
    return time.perf_counter() - inicio


def reacciones(entorno: EntornoMoto, *, solicitudes: int = 150, repeticiones_base: int = 5) -> dict[str, Any]:
    from localstage.stream_pump import StreamPump

    entorno.reiniciar()
    app_cli, base_cli = entorno.cliente_app(), entorno.cliente_base()
    token = app_cli.http.get("/dev/tokens").json_body["tokens"]["EJ"]

    def real(evento: dict[str, Any]) -> dict[str, Any]:
        return dict(app_cli.lambda_.invoke("on_solicitud_change", evento).payload)

    def on_entrante(evento: dict[str, Any]) -> dict[str, Any]:
        return dict(app_cli.lambda_.invoke("on_entrante", evento).payload)

    bomba = StreamPump(table_name=entorno.settings.tabla_solicitudes, handler=real, batch_size=TAMANO_LOTE)
    entrantes = StreamPump(table_name=entorno.settings.tabla_entrantes, handler=on_entrante, batch_size=25)
    _crear(app_cli, token, entrantes, 0, 6)  # warm-up: templates, clients, the first SES send, the real handlers
    bomba.drain()
    antes = _correos(entorno.endpoint)

    esperados = _crear(app_cli, token, entrantes, 1000, solicitudes)
    eventos: list[dict[str, Any]] = []

    def guardar(evento: dict[str, Any]) -> dict[str, Any]:
        eventos.append(evento)
        return {"batchItemFailures": []}

    bomba.handler = guardar
    inicio = time.perf_counter()
    registros = bomba.drain()
    lectura_s = time.perf_counter() - inicio
    if registros != sum(len(e["Records"]) for e in eventos) or registros != 2 * solicitudes:
        raise AssertionError(f"read {registros} stream records for {solicitudes} requests and their actions")
    aviso(f"  B5: {registros} records in {len(eventos)} batches; no-op handler")

    base_s = statistics.median(_entregar(base_cli, "no_op", eventos) for _ in range(repeticiones_base))
    aviso("  B5: on_solicitud_change")
    antes_llamadas = Counter(llamadas_aws())
    real_s = _entregar(app_cli, "on_solicitud_change", eventos)
    llamadas_real = llamadas_desde(antes_llamadas)
    enviados = _correos(entorno.endpoint) - antes
    aviso("  B5: redelivery")
    antes_llamadas = Counter(llamadas_aws())
    repetido_s = _entregar(app_cli, "on_solicitud_change", eventos)
    llamadas_repetido = llamadas_desde(antes_llamadas)
    reenviados = _correos(entorno.endpoint) - antes - enviados
    if enviados != esperados or reenviados != 0:
        raise AssertionError(f"sent {enviados} emails (expected {esperados}); the redelivery sent {reenviados}")
    return {
        "solicitudes": solicitudes,
        "registros": registros,
        "lotes": len(eventos),
        "correos": enviados,
        "correos_reentrega": reenviados,
        "lectura_stream": {"segundos": lectura_s, "rps": registros / lectura_s},
        "no_op": {"segundos": base_s, "rps": registros / base_s, "repeticiones": repeticiones_base},
        "on_solicitud_change": {
            "segundos": real_s,
            "rps": registros / real_s,
            "ratio": base_s / real_s,
            "llamadas_aws": sum(llamadas_real.values()),
            "operaciones_por_correo": por_unidad(llamadas_real, enviados),
        },
        "reentrega": {
            "segundos": repetido_s,
            "rps": registros / repetido_s,
            "ratio": base_s / repetido_s,
            "llamadas_aws": sum(llamadas_repetido.values()),
            "operaciones_por_registro": por_unidad(llamadas_repetido, registros),
        },
    }
