"""A fault sweep (issue 19): run a flow once without faults, recording every AWS call the app makes; then once per
call, on a fresh local stage, with that call failing; deliver again as the senders would (a webhook or form the
provider resends on a non-2xx, a stream batch Lambda retries) and compare the end state with the fault-free run.

Calls are counted and failed at ``botocore.client.BaseClient._make_api_call``, the one door of boto3 and pynamodb
to AWS, *after* botocore's own retries would have run: a failure that reaches the app, as one that outlasts the
client's retries does. The stream pump's own reads (it stands in for Lambda's event source mapping) are not counted.

The kinds of failure (``TIPOS``): a throttle and a 500 before the call is applied, a connection reset before it, a
read timeout *after* it was applied (the answer was lost), and ``caida``: the process dies right after the call
succeeded (a Lambda timeout or out-of-memory between two steps). A crash gives no answer: the HTTP sender retries
later, once the claims' lease has run out (``Escenario.vencer_reclamos``); Lambda retries a stream batch at once.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

CODIGO = re.compile(r"VD-[0-9A-Z]{8}")


TIPOS: tuple[str, ...] = ("throttle", "error500", "reset", "timeout", "caida")
"""Every kind of failure the full sweep (`make chaos`) injects; `make test` injects ``throttle`` only."""
DESPUES_DE_APLICADA = frozenset({"timeout", "caida"})

PUNTOS_DE_ENVIO = {
    ("caida", "sesv2.SendEmail"): "SES accepted the email; the function died before recording it.",
    ("caida", "dynamodb.PutItem"): "An email or a channel message was accepted by its provider (the WhatsApp, "
    "Messenger and Botmaker APIs are not AWS calls: dying right after them is dying before the next write) and its "
    "record written; the function died before the claim was completed.",
    ("timeout", "sesv2.SendEmail"): "SES accepted the email but its answer was lost: the app cannot tell it from a "
    "send that never happened, and sends again rather than lose it.",
}
"""Where one duplicate may go out, by design: between a provider accepting an irrevocable effect and the write
that completes its claim. SES has no idempotency key, so nothing shorter is possible without risking a loss."""


class Caida(BaseException):  # noqa: N818 (not an error the app may catch: the process is gone)
    """The function died right after a call succeeded: no ``except Exception`` of the app runs."""


def error_de(servicio: str, operacion: str, tipo: str = "throttle", endpoint: str = "") -> BaseException:
    """The failure one call gets, as the app would see it once botocore's own retries gave up."""
    if tipo == "reset":
        return ConnectionClosedError(endpoint_url=endpoint or "http://aws")
    if tipo == "timeout":
        return ReadTimeoutError(endpoint_url=endpoint or "http://aws")
    if tipo == "caida":
        return Caida(f"la función terminó tras {servicio}.{operacion} (inyectado)")
    if tipo == "error500":
        codigo, estado = ("InternalServerError" if servicio == "dynamodb" else "InternalFailure"), 500
    else:
        codigo = "ProvisionedThroughputExceededException" if servicio == "dynamodb" else "ThrottlingException"
        estado = 400
    respuesta = {"Error": {"Code": codigo, "Message": f"{codigo} (inyectado)"}, "ResponseMetadata": {}}
    respuesta["ResponseMetadata"]["HTTPStatusCode"] = estado
    return ClientError(respuesta, operacion)  # type: ignore[arg-type]


@dataclass
class Inyector:
    """Counts the app's AWS calls and makes the ``fallar``-th one (0-based) fail once, the way ``tipo`` says."""

    fallar: int | None = None
    tipo: str = "throttle"
    llamadas: list[str] = field(default_factory=list)
    excluidos: set[int] = field(default_factory=set)
    fallada: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    pausado: bool = False

    @contextmanager
    def pausa(self) -> Iterator[None]:
        """The harness's own calls (between deliveries) are neither counted nor failed."""
        self.pausado = True
        try:
            yield
        finally:
            self.pausado = False

    @contextmanager
    def activo(self) -> Iterator[None]:
        original = BaseClient._make_api_call
        inyector = self

        def llamar(cliente: Any, operacion: str, parametros: dict[str, Any]) -> Any:
            if inyector.pausado or id(cliente) in inyector.excluidos:
                return original(cliente, operacion, parametros)
            servicio = cliente.meta.service_model.service_name
            with inyector._lock:
                indice = len(inyector.llamadas)
                inyector.llamadas.append(f"{servicio}.{operacion}")
            if indice != inyector.fallar:
                return original(cliente, operacion, parametros)
            inyector.fallada = f"{servicio}.{operacion}"
            falla = error_de(servicio, operacion, inyector.tipo, cliente.meta.endpoint_url)
            if inyector.tipo in DESPUES_DE_APLICADA:
                original(cliente, operacion, parametros)
            raise falla

        BaseClient._make_api_call = llamar  # type: ignore[method-assign]
        try:
            yield
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]


SERVICIOS_FOTOGRAFIADOS: tuple[tuple[str, str], ...] = (
    ("dynamodb", "us-east-1"),
    ("s3", "aws"),
    ("ses", "us-east-1"),
    ("sesv2", "us-east-1"),
    ("kms", "us-east-1"),
)
"""What the app keeps in moto (tables and their streams, buckets, the outbox, the data key). SQS (the dead-letter
queue) is left as it is: no flow reads it."""
SERVICIOS_REGISTRADOS = frozenset({"ses", "sesv2"})
"""Whose model registry is restored too: the sent emails the outbox reads (the local stage keeps no DynamoDB
objects in that registry: ``localstage/moto_seguro``)."""
ESTADO_GRAPH = ("leads", "medios", "fallos", "peticiones", "mensajes", "subidos", "ventanas_cerradas", "fallos_envio")
ESTADO_GRAPH_PRIVADO = ("entregas_fallidas", "_estados")


@dataclass
class Foto:
    """The whole local stage at one moment: moto's backends, where each stream pump is, the Graph stand-in."""

    moto: dict[tuple[str, str], dict[str, Any]]
    modelos: dict[tuple[str, str], list[Any]]
    """moto's registry of every model instance (``/moto-api/data.json``, which the outbox reads)."""
    bombas: tuple[dict[Any, Any], dict[Any, Any]]
    graph: dict[str, Any]


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
            handler=_como_lambda(lambda evento: cliente.lambda_.invoke("on_solicitud_change", evento).payload),
        )
        self.etapa.bomba_entrantes = StreamPump(
            table_name=self.etapa.settings.tabla_entrantes,
            handler=_como_lambda(lambda evento: cliente.lambda_.invoke("on_entrante", evento).payload),
        )

    def vencer_reclamos(self) -> int:
        """Time passes until every claim in progress has lapsed (the HTTP sender's retry after a crash comes
        minutes later: Meta's, the gateway's backoff). Returns how many claims lapsed."""
        tabla = self._claves()
        vencidos = 0
        for item in _todo(tabla):
            if item.get("estado") == "en_curso":
                tabla.update_item(
                    Key={"clave": item["clave"]},
                    UpdateExpression="SET en_curso_hasta = :cero",
                    ExpressionAttributeValues={":cero": 0},
                )
                vencidos += 1
        return vencidos

    def _claves(self) -> Any:
        return boto3.resource("dynamodb", region_name=self.etapa.settings.region).Table(
            self.etapa.settings.tabla_claves
        )

    def pendientes(self) -> list[dict[str, Any]]:
        """The requests' queues of sends waiting for their provider (``services/pendientes``) and the scheduled
        emails waiting for theirs: their sparse index, not a scan of the whole table (the sweep asks every run)."""
        from boto3.dynamodb.conditions import Key

        tabla = self._claves()
        return [
            item
            for fila in ("envios", "programados")
            for item in tabla.query(IndexName="por_fila", KeyConditionExpression=Key("fila").eq(fila))["Items"]
        ]

    def enviar_pendientes(self, inyector: Inyector) -> None:
        """The pending-sends job as EventBridge runs it (every minute) until nothing waits: between two runs time
        passes, so every queue is due and a claim of a run that died has lapsed. A failed run is the next run's."""
        for ronda in range(12):
            with inyector.pausa():
                colas = [i for i in self.pendientes() if str(i["clave"]).startswith("pendientes#")]
                if not colas:
                    return
                for item in colas:
                    datos = json.loads(item["datos"])
                    datos["proximo_intento"] = "2000-01-01T00:00:00-04:00"
                    self._claves().update_item(
                        Key={"clave": item["clave"]},
                        UpdateExpression="SET datos = :d",
                        ExpressionAttributeValues={":d": json.dumps(datos, ensure_ascii=False)},
                    )
                self.vencer_reclamos()
            with suppress(Exception, Caida):  # the run failed or died: the next minute's run takes over
                self.etapa.cliente.lambda_.invoke("retry_pending_sends", evento_programado(self.etapa, f"r{ronda}"))
            self.etapa.bombear()
        raise AssertionError(f"los envíos pendientes no salieron: {self.pendientes()}")

    def fotografiar(self) -> Foto:
        """The stage once the flow's starting point is reached: each run starts from a copy of it, instead of
        walking there again (moto runs in this process: its backends are copied as they are)."""
        from moto.backends import get_backend
        from moto.core import DEFAULT_ACCOUNT_ID

        moto = {
            (nombre, region): copy.deepcopy(get_backend(nombre)[DEFAULT_ACCOUNT_ID][region].__dict__)  # type: ignore[index]
            for nombre, region in SERVICIOS_FOTOGRAFIADOS
        }
        from moto.core.model_instances import model_data

        modelos = {
            (servicio, nombre): list(clase.instances_tracked)  # type: ignore[attr-defined]
            for servicio, clases in model_data.items()
            if servicio in SERVICIOS_REGISTRADOS
            for nombre, clase in clases.items()
        }
        bombas = (copy.deepcopy(self.etapa.bomba._shards), copy.deepcopy(self.etapa.bomba_entrantes._shards))
        graph = self.etapa.graph
        with graph._lock:
            estado = {k: copy.deepcopy(getattr(graph, k)) for k in ESTADO_GRAPH + ESTADO_GRAPH_PRIVADO}
        return Foto(moto=moto, modelos=modelos, bombas=bombas, graph=estado)

    def restaurar(self, foto: Foto) -> None:
        from moto.backends import get_backend
        from moto.core import DEFAULT_ACCOUNT_ID

        for (nombre, region), estado in foto.moto.items():
            backend = get_backend(nombre)[DEFAULT_ACCOUNT_ID][region]  # type: ignore[index]
            backend.__dict__.clear()
            backend.__dict__.update(copy.deepcopy(estado))
        from moto.core.model_instances import model_data

        for (servicio, nombre), instancias in foto.modelos.items():
            model_data[servicio][nombre].instances_tracked = list(instancias)  # type: ignore[attr-defined]
        for bomba, shards in zip((self.etapa.bomba, self.etapa.bomba_entrantes), foto.bombas, strict=True):
            bomba._shards = copy.deepcopy(shards)
            for shard in bomba._shards.values():
                shard.iterator = None  # read again from the checkpoint, in the restored stream
        graph = self.etapa.graph
        with graph._lock:
            for k, v in foto.graph.items():
                setattr(graph, k, copy.deepcopy(v))

    def excluir_bombas(self, inyector: Inyector) -> None:
        for bomba in (self.etapa.bomba, self.etapa.bomba_entrantes):
            inyector.excluidos.update(id(c) for c in bomba._clients())

    def estado(self) -> dict[str, Any]:
        """What a person can observe at the end: the requests (state, version, history kinds), every email and
        every channel message, the dashboard's counters; request codes replaced by their order of appearance."""
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
        from chalicelib.domain.tablero import clave, claves_del_mes

        meses = {str(s["mes"]) for s in solicitudes} | {
            str((s.get("factura") or {}).get("mes")) for s in solicitudes if (s.get("factura") or {}).get("mes")
        }
        nombres = [clave("abierto"), *(k for mes in sorted(meses) for k in claves_del_mes(mes))]
        tablero = {
            str(i["clave"]): {k: int(v) for k, v in i.items() if k not in ("clave", "estado")}
            for i in _leer(self._claves(), nombres)
        }
        return {
            "tablero": {k: {a: n for a, n in v.items() if n} for k, v in sorted(tablero.items())},
            "pendientes": sorted(anonimo(str(i["clave"])) for i in self.pendientes()),
            "solicitudes": sorted((codigos[s["id"]], s["estado"], int(s["version"])) for s in solicitudes),
            "historial": {k: dict(v) for k, v in sorted(tipos.items())},
            "correos": sorted((list(k), v) for k, v in correos.items()),
            "mensajes": sorted(((k[0] or "", k[1]), v) for k, v in mensajes.items()),
        }


def _como_lambda(invocar: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    """What Lambda's event source mapping sees of a function that died mid-batch: an error, then the retry."""

    def manejar(evento: dict[str, Any]) -> Any:
        try:
            return invocar(evento)
        except Caida as caida:
            raise RuntimeError(f"Task timed out: {caida}") from None

    return manejar


def _leer(tabla: Any, claves: list[str]) -> list[dict[str, Any]]:
    """The items of ``claves`` that exist (BatchGetItem, 100 at a time)."""
    items: list[dict[str, Any]] = []
    for inicio in range(0, len(claves), 100):
        lote = claves[inicio : inicio + 100]
        respuesta = tabla.meta.client.batch_get_item(RequestItems={tabla.name: {"Keys": [{"clave": k} for k in lote]}})
        items += respuesta["Responses"].get(tabla.name, [])
    return items


def _todo(tabla: Any) -> list[dict[str, Any]]:
    items, inicio = [], {}
    while True:
        pagina = tabla.scan(**inicio)
        items += pagina["Items"]
        if "LastEvaluatedKey" not in pagina:
            return items
        inicio = {"ExclusiveStartKey": pagina["LastEvaluatedKey"]}


def correo_entrante(etapa: Any, crudo: bytes, remitente: str, para: str, message_id: str) -> dict[str, Any]:
    """An inbound mail as SES hands it over: the raw message stored by the receipt rule's S3 action (SES's call,
    not the app's: made before the sweep counts) and the Lambda action's event."""
    from datetime import UTC, datetime

    from localstage.smtp import evento_ses

    boto3.client("s3", region_name=etapa.settings.region).put_object(
        Bucket=etapa.settings.bucket_entrantes,
        Key=etapa.settings.prefijo_correo_entrante + message_id,
        Body=crudo,
        ContentType="message/rfc822",
    )
    return evento_ses(message_id, remitente, [para], crudo, datetime.now(UTC))


def evento_programado(etapa: Any, identidad: str) -> dict[str, Any]:
    """The EventBridge event of a schedule; Lambda's retries of an asynchronous invocation carry the same id."""
    evento = etapa.cliente.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region="us-east-1"
    )
    evento["id"] = identidad
    return dict(evento)


def invocar_asincrona(etapa: Any, funcion: str, evento: dict[str, Any], intentos: int = 3) -> Any:
    """Lambda's asynchronous invocation (SES's Lambda action, EventBridge schedules): after an error or a crash
    the same event is invoked again, twice at most."""
    for intento in range(intentos):
        try:
            return etapa.cliente.lambda_.invoke(funcion, evento).payload
        except (Exception, Caida) as exc:
            if intento == intentos - 1:
                raise AssertionError(f"{funcion} falló en los {intentos} intentos: {exc!r}") from None
    raise AssertionError("unreachable")


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
    llamadas: list[str] = field(default_factory=list)
    perdidos: list[int] = field(default_factory=list)
    """Runs that ended with less than the fault-free run: a request, a history entry, an email, a message."""
    duplicados: list[int] = field(default_factory=list)
    """Runs that ended with an email or a channel message sent twice (and nothing else doubled)."""
    dobles: list[int] = field(default_factory=list)
    """Runs that ended with anything else twice: a request, an action, a history entry that is not a send."""

    @property
    def recuperados(self) -> int:
        return self.puntos - len(self.fallas)

    def como_fila(self) -> dict[str, Any]:
        return {
            "puntos": self.puntos,
            "recuperados": self.recuperados,
            "perdidos": len(self.perdidos),
            "duplicados": len(self.duplicados) + len(self.dobles),
            "puntos_duplicados": sorted({self.llamadas[i] for i in self.duplicados}),
            "puntos_dobles": sorted({self.llamadas[i] for i in self.dobles}),
            "puntos_perdidos": sorted({self.llamadas[i] for i in self.perdidos}),
            "otras": [f for f in self.fallas if f[0] not in self.perdidos + self.duplicados + self.dobles],
            "detalle": [(i, op, dif[:400]) for i, op, dif in self.fallas],
        }


def comparar(esperado: dict[str, Any], obtenido: dict[str, Any]) -> tuple[bool, bool, bool]:
    """(something lost, an email or channel message sent twice, anything else doubled) between two end states.
    A duplicate send also records itself on the history: those entries are part of the same send."""
    perdido = enviado_dos_veces = otro_doble = False
    perdido |= bool(obtenido["pendientes"]) and obtenido["pendientes"] != esperado["pendientes"]  # never left
    for clave in ("correos", "mensajes"):
        antes = Counter({tuple(map(_congelar, k)): v for k, v in esperado[clave]})
        despues = Counter({tuple(map(_congelar, k)): v for k, v in obtenido[clave]})
        perdido |= bool(antes - despues)
        enviado_dos_veces |= bool(despues - antes)
    for codigo, tipos in esperado["historial"].items():
        otros = obtenido["historial"].get(codigo, {})
        perdido |= any(otros.get(t, 0) < n for t, n in tipos.items())
        otro_doble |= any(n > tipos.get(t, 0) for t, n in otros.items() if t not in ENTRADAS_DE_ENVIO)
        enviado_dos_veces |= any(n > tipos.get(t, 0) for t, n in otros.items() if t in ENTRADAS_DE_ENVIO)
    otro_doble |= any(c not in esperado["historial"] for c in obtenido["historial"])
    otro_doble |= obtenido["tablero"] != esperado["tablero"]  # the dashboard's counters: each change counted once
    antes_s, despues_s = esperado["solicitudes"], obtenido["solicitudes"]
    perdido |= len(despues_s) < len(antes_s) or any(
        s not in despues_s for s in antes_s if len(despues_s) == len(antes_s)
    )
    otro_doble |= len(despues_s) > len(antes_s)
    return perdido, enviado_dos_veces, otro_doble


ENTRADAS_DE_ENVIO = frozenset({"correo", "mensaje_saliente"})
"""History kinds that record a send: doubled with the send itself."""


def _congelar(valor: Any) -> Any:
    return tuple(valor) if isinstance(valor, list) else valor


def barrer(
    escenario: Escenario,
    flujo: Callable[[Any], None],
    preparar: Callable[[], Any] | None = None,
    tipo: str = "throttle",
    drenar: bool = True,
) -> Resultado:
    """The sweep: a fault-free run, then one run per AWS call of ``flujo`` with that call failing once the way
    ``tipo`` says. ``preparar`` (not counted, never failed) brings an emptied stage to where the flow starts, once;
    each run starts from a copy of that stage (``Escenario.fotografiar``) and gets ``preparar``'s value. A flow cut
    by a crash is delivered again once the claims' lease ran out, as its sender would. ``drenar=False`` leaves the
    streams as ``preparar`` left them: the flow is then what the pumps deliver (a reaction to a waiting record)."""

    escenario.reiniciar()
    contexto = preparar() if preparar is not None else None
    if drenar:
        escenario.etapa.bombear()
    foto = escenario.fotografiar()

    def correr(inyector: Inyector) -> None:
        escenario.restaurar(foto)
        escenario.excluir_bombas(inyector)
        with inyector.activo():
            try:
                flujo(contexto)
            except Caida:
                with inyector.pausa():
                    escenario.vencer_reclamos()
                flujo(contexto)
            escenario.etapa.bombear()
            escenario.enviar_pendientes(inyector)

    limpio = Inyector()
    correr(limpio)
    esperado = escenario.estado()
    resultado = Resultado(puntos=len(limpio.llamadas), fallas=[], llamadas=list(limpio.llamadas))
    for indice in range(len(limpio.llamadas)):
        inyector = Inyector(fallar=indice, tipo=tipo)
        try:
            correr(inyector)
        except (AssertionError, Caida) as exc:
            resultado.fallas.append((indice, limpio.llamadas[indice], f"el flujo no terminó: {exc!r}"[:1500]))
            resultado.perdidos.append(indice)
            continue
        obtenido = escenario.estado()
        if obtenido != esperado:
            diferencias = {k: (esperado[k], obtenido[k]) for k in esperado if esperado[k] != obtenido[k]}
            resultado.fallas.append((indice, inyector.fallada or limpio.llamadas[indice], repr(diferencias)[:1500]))
            perdido, enviado_dos_veces, otro_doble = comparar(esperado, obtenido)
            if perdido:
                resultado.perdidos.append(indice)
            if otro_doble:
                resultado.dobles.append(indice)
            elif enviado_dos_veces:
                resultado.duplicados.append(indice)
    return resultado
