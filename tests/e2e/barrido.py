"""A fault sweep (issue 19): run a flow once without faults, recording every AWS call the app makes; then once per
call, on a fresh local stage, with that call failing; deliver again as the senders would (a webhook or form the
provider resends on a non-2xx, a stream batch Lambda retries) and compare the end state with the fault-free run.

Calls are counted and failed at ``botocore.client.BaseClient._make_api_call``, the one door of boto3 and pynamodb
to AWS, *after* botocore's own retries would have run: a failure that reaches the app, as one that outlasts the
client's retries does. The stream pump's own reads (it stands in for Lambda's event source mapping) are not counted.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError

CODIGO = re.compile(r"VD-[0-9A-Z]{8}")


def error_de(servicio: str, operacion: str) -> ClientError:
    """The failure one call gets: DynamoDB's throttle for DynamoDB, a generic throttle elsewhere."""
    codigo = "ProvisionedThroughputExceededException" if servicio == "dynamodb" else "ThrottlingException"
    respuesta = {"Error": {"Code": codigo, "Message": "Rate exceeded (inyectado)"}, "ResponseMetadata": {}}
    respuesta["ResponseMetadata"]["HTTPStatusCode"] = 400
    return ClientError(respuesta, operacion)  # type: ignore[arg-type]


@dataclass
class Inyector:
    """Counts the app's AWS calls and makes the ``fallar``-th one (0-based) fail once."""

    fallar: int | None = None
    llamadas: list[str] = field(default_factory=list)
    excluidos: set[int] = field(default_factory=set)
    fallada: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def activo(self) -> Iterator[None]:
        original = BaseClient._make_api_call
        inyector = self

        def llamar(cliente: Any, operacion: str, parametros: dict[str, Any]) -> Any:
            if id(cliente) in inyector.excluidos:
                return original(cliente, operacion, parametros)
            servicio = cliente.meta.service_model.service_name
            with inyector._lock:
                indice = len(inyector.llamadas)
                inyector.llamadas.append(f"{servicio}.{operacion}")
            if indice == inyector.fallar:
                inyector.fallada = f"{servicio}.{operacion}"
                raise error_de(servicio, operacion)
            return original(cliente, operacion, parametros)

        BaseClient._make_api_call = llamar  # type: ignore[method-assign]
        try:
            yield
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]


@dataclass
class Escenario:
    """One local stage rebuilt per run: moto emptied and provisioned, fresh stream pumps, the Graph stand-in reset."""

    etapa: Any
    moto_endpoint: str

    def reiniciar(self) -> None:
        from localstage.provision import provisionar
        from localstage.stream_pump import StreamPump

        requests.post(f"{self.moto_endpoint}/moto-api/reset", timeout=10)
        provisionar(self.etapa.settings)
        graph = self.etapa.graph
        graph.leads.clear()
        graph.medios.clear()
        graph.fallos.clear()
        graph.peticiones.clear()
        graph.reiniciar()
        cliente = self.etapa.cliente
        self.etapa.bomba = StreamPump(
            table_name=self.etapa.settings.tabla_solicitudes,
            handler=lambda evento: cliente.lambda_.invoke("on_solicitud_change", evento).payload,
        )
        self.etapa.bomba_entrantes = StreamPump(
            table_name=self.etapa.settings.tabla_entrantes,
            handler=lambda evento: cliente.lambda_.invoke("on_entrante", evento).payload,
        )

    def excluir_bombas(self, inyector: Inyector) -> None:
        for bomba in (self.etapa.bomba, self.etapa.bomba_entrantes):
            inyector.excluidos.update(id(c) for c in bomba._clients())

    def estado(self) -> dict[str, Any]:
        """What a person can observe at the end: the requests (state, version, history kinds), every email and
        every channel message; request codes replaced by their order of appearance."""
        region = self.etapa.settings.region
        dynamodb = boto3.resource("dynamodb", region_name=region)
        solicitudes = _todo(dynamodb.Table(self.etapa.settings.tabla_solicitudes))
        historial = _todo(dynamodb.Table(self.etapa.settings.tabla_historial))
        codigos: dict[str, str] = {}
        for s in sorted(solicitudes, key=lambda s: (s["creada_en"], s["id"])):
            codigos[s["id"]] = f"S{len(codigos) + 1}"

        def anonimo(texto: str) -> str:
            return CODIGO.sub(lambda m: codigos.get(m.group(0), "S?"), texto)

        tipos: dict[str, Counter[str]] = {codigos[s["id"]]: Counter() for s in solicitudes}
        for entrada in historial:
            tipos.setdefault(anonimo(str(entrada["solicitud_id"])), Counter())[str(entrada["tipo"])] += 1
        correos = Counter(
            (tuple(m["to"]), anonimo(m["subject"]))
            for m in self.etapa.cliente.http.get("/dev/outbox").json_body["mensajes"]
        )
        mensajes = Counter(
            (m.get("para"), anonimo(str(m.get("texto") or m.get("plantilla") or ""))[:80])
            for m in self.etapa.graph.mensajes
        )
        return {
            "solicitudes": sorted((codigos[s["id"]], s["estado"], int(s["version"])) for s in solicitudes),
            "historial": {k: dict(v) for k, v in sorted(tipos.items())},
            "correos": sorted((list(k), v) for k, v in correos.items()),
            "mensajes": sorted(((k[0] or "", k[1]), v) for k, v in mensajes.items()),
        }


def _todo(tabla: Any) -> list[dict[str, Any]]:
    items, inicio = [], {}
    while True:
        pagina = tabla.scan(**inicio)
        items += pagina["Items"]
        if "LastEvaluatedKey" not in pagina:
            return items
        inicio = {"ExclusiveStartKey": pagina["LastEvaluatedKey"]}


def reenviar_hasta_2xx(enviar: Callable[[], Any], intentos: int = 3) -> Any:
    """A provider's retry on a non-2xx answer (Meta, Botmaker, the gateway, a browser resubmitting the form)."""
    respuesta = enviar()
    for _ in range(intentos - 1):
        if 200 <= respuesta.status_code < 300:
            break
        respuesta = enviar()
    return respuesta


@dataclass
class Resultado:
    puntos: int
    fallas: list[tuple[int, str, str]]
    """(call index, the call that failed, what differed) for every run whose end state differed."""


def barrer(escenario: Escenario, flujo: Callable[[Any], None], preparar: Callable[[], Any] | None = None) -> Resultado:
    """The sweep: a fault-free run, then one run per AWS call of ``flujo`` with that call failing once. Each run
    starts on an emptied stage, with ``preparar`` (not counted, never failed) bringing it to where the flow starts;
    its value is given to ``flujo``."""

    def correr(inyector: Inyector) -> None:
        escenario.reiniciar()
        contexto = preparar() if preparar is not None else None
        escenario.etapa.bombear()
        escenario.excluir_bombas(inyector)
        with inyector.activo():
            flujo(contexto)
            escenario.etapa.bombear()

    limpio = Inyector()
    correr(limpio)
    esperado = escenario.estado()
    fallas: list[tuple[int, str, str]] = []
    for indice in range(len(limpio.llamadas)):
        inyector = Inyector(fallar=indice)
        try:
            correr(inyector)
        except AssertionError as exc:
            fallas.append((indice, limpio.llamadas[indice], f"el flujo no terminó: {exc}"))
            continue
        obtenido = escenario.estado()
        if obtenido != esperado:
            diferencias = {k: (esperado[k], obtenido[k]) for k in esperado if esperado[k] != obtenido[k]}
            fallas.append((indice, inyector.fallada or limpio.llamadas[indice], repr(diferencias)[:1500]))
    return Resultado(puntos=len(limpio.llamadas), fallas=fallas)
