"""B6: speed to lead — from a prospect's first message to its acknowledgement, web form against WhatsApp, in the
same run and process.

Each round sends one new prospect through each door, in a shuffled order, and times it end to end in-process:

- **web form**: ``POST /solicitud`` (JSON, a new person with an email; the door stores the submission, one write,
  and answers its receipt code) → ``localstage.stream_pump`` drains the entrantes table's stream into
  ``on_entrante`` (chalice's test client, ``lambda_.invoke``), which creates the request (its id = the receipt) →
  the requests table's stream drained into ``on_solicitud_change``, which emails the acknowledgement
  (``acuse_cliente``) and the executives' notice through moto's SES;
- **WhatsApp**: a signed ``POST /webhooks/meta`` with a text message from a new ``wa_id`` (the door stores the
  delivery, one write) → the entrantes stream drained into ``on_entrante``, which splits the delivery into its
  item, whose own INSERT (same drain) creates the request → the requests table's stream drained into
  ``on_solicitud_change``, which sends the acknowledgement through the WhatsApp Cloud API adapter to the local
  Graph stand-in (``localstage.graph_local.GraphLocal``, served on a free port) and emails the executives' notice.

Each pump drains its stream until a polling round finds nothing (records written by the handler during the drain,
like the delivery's items, are read in the same drain). The clock stops when the last drain returns (the
acknowledgement was accepted by SES or by the stand-in by then). Then, untimed, both streams are drained again
(nothing may be left) and the acknowledgement is checked, never assumed: exactly the expected new emails in moto
(form: one to the prospect + one to the executives, the acknowledgement quoting the receipt code; WhatsApp: only the
executives' one) and, for WhatsApp, exactly one new message recorded by the stand-in, to that ``wa_id``, quoting the
request id. A lost or doubled acknowledgement stops the run with ``AssertionError``.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.comun import EntornoMoto, aviso, llamadas_aws, llamadas_desde, percentil, por_unidad
from bench.webhooks import Cargas

CAMINOS: dict[str, str] = {
    "formulario": "Web form (POST /solicitud) → acknowledgement email",
    "whatsapp": "WhatsApp text message (POST /webhooks/meta) → acknowledgement on WhatsApp",
}


@dataclass
class _Ronda:
    """One prospect's timings (seconds) by stage, and the total."""

    total: float
    etapas: dict[str, float] = field(default_factory=dict)
    llamadas: Counter[str] = field(default_factory=Counter)
    """AWS calls made while timed (the untimed checks excluded)."""
    graph: int = 0
    """HTTP requests the Graph stand-in received while timed."""


class _Banco:
    """The app, the two stream pumps and the Graph stand-in for one moto epoch (rebuilt after each reset)."""

    def __init__(self, entorno: EntornoMoto, graph: Any) -> None:
        from chalicelib import bootstrap
        from chalicelib.adapters.mensajeria_botmaker import BotmakerApi
        from chalicelib.adapters.mensajeria_meta import MessengerSend, WhatsAppCloud
        from chalicelib.adapters.meta_graph import GraphMeta
        from localstage.stream_pump import StreamPump

        self.entorno = entorno
        self.graph = graph
        graph.reiniciar()
        graph.peticiones.clear()
        # The stage's config points the channels at a fixed port; the stand-in runs on a free one, so the send
        # adapters are built here (production timeouts and backoffs), as tests/e2e/conftest.py does.
        bootstrap.override(
            graph=GraphMeta(base_url=graph.url_api, token=graph.token),
            mensajeros={
                "whatsapp": WhatsAppCloud(base_url=graph.url_api, token=graph.token_whatsapp),
                "messenger": MessengerSend(base_url=graph.url_api, token=graph.token_pagina),
                "botmaker": BotmakerApi(
                    base_url=graph.url_botmaker,
                    token=graph.token_botmaker,
                    publicar=lambda documento: bootstrap.get_services()._publicar(documento),
                ),
            },
        )
        self.cliente = entorno.cliente_app()
        self.dividida: float | None = None
        """When ``on_entrante`` returned from the batch holding a delivery's INSERT (it split the delivery)."""

        def solicitudes(evento: dict[str, Any]) -> dict[str, Any]:
            return dict(self.cliente.lambda_.invoke("on_solicitud_change", evento).payload)

        def entrantes(evento: dict[str, Any]) -> dict[str, Any]:
            respuesta = dict(self.cliente.lambda_.invoke("on_entrante", evento).payload)
            if any(_inserta_entrega(r) for r in evento["Records"]):
                self.dividida = time.perf_counter()
            return respuesta

        s = entorno.settings
        self.bomba_solicitudes = StreamPump(table_name=s.tabla_solicitudes, handler=solicitudes)
        self.bomba_entrantes = StreamPump(table_name=s.tabla_entrantes, handler=entrantes)
        self.correos = len(_enviados(s.region))
        self.acuses = 0
        """Acknowledgements checked in this epoch (measured or not)."""

    def drenar(self) -> int:
        """Untimed: both streams until neither has work; how many records that took."""
        total = 0
        for _ in range(20):
            hechos = self.bomba_entrantes.drain() + self.bomba_solicitudes.drain()
            total += hechos
            if hechos == 0:
                return total
        raise AssertionError("the streams never settled")

    def _comprobar_quietud(self, camino: str) -> None:
        if self.bomba_solicitudes.dead_letters or self.bomba_entrantes.dead_letters:
            raise AssertionError(f"{camino}: a stream record went to the dead letters")
        tardios = self.drenar()
        if tardios:
            raise AssertionError(f"{camino}: {tardios} stream records were left after the timed path")

    def _correos_nuevos(self) -> list[dict[str, Any]]:
        """The emails moto's SES accepted since the last call (read in-process: moto's server is a thread of this
        process; ``/moto-api/data.json``, which ``/dev/outbox`` reads, serialises every service's data and would
        make the untimed checks cost more than the timed path)."""
        enviados = _enviados(self.entorno.settings.region)
        nuevos, self.correos = enviados[self.correos :], len(enviados)
        return [_correo(m) for m in nuevos]

    def formulario(self, n: int) -> _Ronda:
        """One new person through the form; its acknowledgement by email."""
        email = f"prospecto.{n}@example.com"
        campos = {
            "nombre": "María Quispe Mamani",
            "telefono": f"7{n % 10_000_000:07d}",
            "email": email,
            "tipo_cliente": "residencial",
            "mensaje": "Internet para mi casa en Queru Queru",
            "consentimiento": "on",
        }
        cuerpo = json.dumps(campos).encode()
        antes, antes_graph = Counter(llamadas_aws()), len(self.graph.peticiones)
        inicio = time.perf_counter()
        respuesta = self.cliente.http.post("/solicitud", headers={"Content-Type": "application/json"}, body=cuerpo)
        respondido = time.perf_counter()
        if respuesta.status_code != 201:
            raise AssertionError(f"form: {respuesta.status_code} {respuesta.body[:300]!r}")
        entrantes = self.bomba_entrantes.drain()
        capturado = time.perf_counter()
        registros = self.bomba_solicitudes.drain()
        fin = time.perf_counter()
        llamadas, graph = llamadas_desde(antes), len(self.graph.peticiones) - antes_graph
        solicitud_id = str(respuesta.json_body["recibo"])  # the request's id is the receipt code
        self._comprobar_quietud("form")
        if entrantes < 1 or registros < 1:
            raise AssertionError(
                f"form {solicitud_id}: streams handled {entrantes} inbound, {registros} request records"
            )
        nuevos = self._correos_nuevos()
        acuses = [c for c in nuevos if email in c["to"]]
        avisos = [c for c in nuevos if email not in c["to"]]
        if len(nuevos) != 2 or len(acuses) != 1 or len(avisos) != 1:
            destinos = [(c["to"], c["subject"]) for c in nuevos]
            raise AssertionError(f"form {solicitud_id}: expected 1 acknowledgement + 1 notice, got {destinos}")
        (acuse,) = acuses
        if acuse["headers"].get("X-VD-Reaccion", "acuse_cliente") != "acuse_cliente" or solicitud_id not in (
            acuse["headers"].get("X-VD-Solicitud", "") + acuse["subject"] + acuse["text"]
        ):
            raise AssertionError(f"form {solicitud_id}: the email to the prospect is not its acknowledgement")
        self.acuses += 1
        etapas = {"respuesta": respondido - inicio, "on_entrante": capturado - respondido, "reaccion": fin - capturado}
        return _Ronda(fin - inicio, etapas, llamadas, graph)

    def whatsapp(self, cargas: Cargas, n: int) -> _Ronda:
        """One new ``wa_id`` writing its first text message; its acknowledgement on WhatsApp."""
        wa_id = f"5916{n % 10_000_000:07d}"
        contacto = {"profile": {"name": "María Quispe"}, "wa_id": wa_id}
        mensaje = {
            "from": wa_id,
            "id": f"wamid.VELOCIDAD{n:012d}",
            "timestamp": str(int(time.time())),
            "type": "text",
            "text": {"body": "Hola, quiero internet para mi casa en Queru Queru, ¿qué planes tienen?"},
        }
        peticion = cargas._whatsapp({"contacts": [contacto], "messages": [mensaje]})
        antes_mensajes, antes_graph = len(self.graph.mensajes), len(self.graph.peticiones)
        antes = Counter(llamadas_aws())
        inicio = time.perf_counter()
        self.dividida = None
        respuesta = self.cliente.http.post(peticion.ruta, headers=peticion.cabeceras, body=peticion.cuerpo)
        respondido = time.perf_counter()
        esperado = {"recibido": True, "entrega": hashlib.sha256(peticion.cuerpo).hexdigest(), "duplicada": False}
        if respuesta.status_code != 200 or json.loads(respuesta.body) != esperado:
            raise AssertionError(f"webhook: {respuesta.status_code} {respuesta.body[:300]!r}")
        entrantes = self.bomba_entrantes.drain()
        capturado = time.perf_counter()
        dividida = self.dividida
        solicitudes = self.bomba_solicitudes.drain()
        fin = time.perf_counter()
        llamadas, graph = llamadas_desde(antes), len(self.graph.peticiones) - antes_graph
        self._comprobar_quietud("WhatsApp")
        if dividida is None or entrantes < 2 or solicitudes < 1:
            raise AssertionError(
                f"WhatsApp {wa_id}: streams handled {entrantes} inbound, {solicitudes} request records"
            )
        nuevos_graph = self.graph.mensajes[antes_mensajes:]
        al_prospecto = [m for m in nuevos_graph if m["para"] == wa_id]
        nuevos = self._correos_nuevos()
        if len(nuevos) != 1:
            destinos = [(c["to"], c["subject"]) for c in nuevos]
            raise AssertionError(f"WhatsApp {wa_id}: expected only the executives' notice by email, got {destinos}")
        solicitud_id = nuevos[0]["headers"].get("X-VD-Solicitud", "")
        if len(nuevos_graph) != 1 or len(al_prospecto) != 1:
            raise AssertionError(
                f"WhatsApp {wa_id}: expected 1 acknowledgement on WhatsApp, the stand-in recorded {nuevos_graph}"
            )
        (acuse,) = al_prospecto
        if acuse["canal"] != "whatsapp" or not solicitud_id or solicitud_id not in (acuse["texto"] or ""):
            raise AssertionError(f"WhatsApp {wa_id}: {acuse} is not the acknowledgement of request {solicitud_id!r}")
        self.acuses += 1
        return _Ronda(
            fin - inicio,
            {
                "respuesta": respondido - inicio,
                "division": dividida - respondido,
                "on_entrante": capturado - dividida,
                "reaccion": fin - capturado,
            },
            llamadas,
            graph,
        )


def _inserta_entrega(registro: dict[str, Any]) -> bool:
    """A stream record of a webhook delivery's INSERT (what ``on_entrante`` splits)."""
    clave = registro.get("dynamodb", {}).get("Keys", {}).get("clave", {}).get("S", "")
    return registro.get("eventName") == "INSERT" and str(clave).startswith("entrega#")


def _enviados(region: str) -> list[Any]:
    """Every message moto's SES backend holds, oldest first (sesv2 sends land in the SES v1 backend)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages)


def _correo(mensaje: Any) -> dict[str, Any]:
    """Recipients, subject, text and the app's ``X-VD-*`` headers of one message moto accepted."""
    from email import policy
    from email.headerregistry import AddressHeader
    from email.parser import BytesParser

    crudo = getattr(mensaje, "raw_data", None)
    if crudo is None:  # a Simple message: the app sends none, but count it right
        destinos = getattr(mensaje, "destinations", None) or {}
        return {"to": list(destinos.get("ToAddresses", [])), "subject": "", "text": "", "headers": {}}
    parsed = BytesParser(policy=policy.default).parsebytes(str(crudo).encode("utf-8", "surrogateescape"))
    cuerpo = parsed.get_body(preferencelist=("plain",))
    para = parsed["To"]
    return {
        "to": [a.addr_spec for a in para.addresses]
        if isinstance(para, AddressHeader)
        else [str(d) for d in getattr(mensaje, "destinations", [])],
        "subject": str(parsed.get("Subject", "")),
        "text": str(cuerpo.get_content()) if cuerpo is not None else "",
        "headers": {k: str(parsed[k]) for k in ("X-VD-Solicitud", "X-VD-Reaccion") if parsed[k] is not None},
    }


def _graph_local() -> Any:
    import os

    from localstage.graph_local import GraphLocal

    graph = GraphLocal(
        token=os.environ["VD_GRAPH_TOKEN"],
        token_whatsapp=os.environ["VD_WHATSAPP_TOKEN"],
        token_pagina=os.environ["VD_MESSENGER_TOKEN"],
        token_botmaker=os.environ["VD_BOTMAKER_API_TOKEN"],
    )
    graph.iniciar(0)
    return graph


def _fila(rondas: list[_Ronda]) -> dict[str, Any]:
    llamadas: Counter[str] = sum((r.llamadas for r in rondas), Counter())
    totales = [r.total for r in rondas]
    etapas = {
        nombre: {
            "p50_ms": percentil([r.etapas[nombre] for r in rondas], 50) * 1000,
            "p90_ms": percentil([r.etapas[nombre] for r in rondas], 90) * 1000,
        }
        for nombre in rondas[0].etapas
    }
    return {
        "n": len(rondas),
        "p50_ms": percentil(totales, 50) * 1000,
        "p90_ms": percentil(totales, 90) * 1000,
        "media_ms": sum(totales) / len(totales) * 1000,
        "max_ms": max(totales) * 1000,
        "etapas": etapas,
        "llamadas_aws": sum(llamadas.values()) / len(rondas),
        "operaciones": por_unidad(llamadas, len(rondas)),
        "llamadas_graph": sum(r.graph for r in rondas) / len(rondas),
    }


def velocidad(
    entorno: EntornoMoto, *, rondas: int = 120, calentamiento: int = 3, epoca: int = 25, semilla: int = 6
) -> dict[str, Any]:
    """``rondas`` prospects per door, interleaved round by round in a shuffled order, after ``calentamiento``
    unmeasured rounds; every ``epoca`` rounds moto is emptied and provisioned again (and the stand-in emptied),
    followed by one unmeasured round, as in B1 (moto's heap would otherwise grow with every request stored)."""
    graph = _graph_local()
    try:
        return _medir(entorno, graph, rondas=rondas, calentamiento=calentamiento, epoca=epoca, semilla=semilla)
    finally:
        graph.detener()
        from chalicelib import bootstrap

        bootstrap.reset()


def _medir(
    entorno: EntornoMoto, graph: Any, *, rondas: int, calentamiento: int, epoca: int, semilla: int
) -> dict[str, Any]:
    rng = random.Random(semilla)
    cargas = Cargas(entorno.settings.meta_app_secrets[0])
    muestras: dict[str, list[_Ronda]] = {nombre: [] for nombre in CAMINOS}
    orden = list(CAMINOS)
    contador = iter(range(3_000_000, 13_000_000))
    banco: _Banco | None = None

    def nuevo_banco() -> _Banco:
        entorno.reiniciar()
        return _Banco(entorno, graph)

    def ronda(medir: bool) -> None:
        assert banco is not None
        rng.shuffle(orden)
        for nombre in orden:
            n = next(contador)
            resultado = banco.formulario(n) if nombre == "formulario" else banco.whatsapp(cargas, n)
            if medir:
                muestras[nombre].append(resultado)

    inicio = time.perf_counter()
    banco = nuevo_banco()
    for _ in range(calentamiento):
        ronda(medir=False)
    hechas = 0
    acuses = 0
    while hechas < rondas:
        if hechas:
            acuses += banco.acuses
            banco = nuevo_banco()
            ronda(medir=False)
        for _ in range(min(epoca, rondas - hechas)):
            ronda(medir=True)
            hechas += 1
        aviso(f"  B6: {hechas}/{rondas} rounds")
    acuses += banco.acuses
    filas = {nombre: {"descripcion": CAMINOS[nombre], **_fila(muestras[nombre])} for nombre in CAMINOS}
    web, wa = filas["formulario"], filas["whatsapp"]
    return {
        "rondas": rondas,
        "calentamiento": calentamiento,
        "epoca": epoca,
        "segundos": time.perf_counter() - inicio,
        "filas": filas,
        "ratio_p50": wa["p50_ms"] / web["p50_ms"],
        "ratio_p90": wa["p90_ms"] / web["p90_ms"],
        "acuses_verificados": acuses,
    }
