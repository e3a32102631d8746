"""B1 (answer latency p50/p99) and B2 (sustained sequential throughput) of the capture doors, each against the bare
``put_item`` route of ``bench.base`` measured in the same process, against the same moto server.

The app runs through chalice's test client in-process (API Gateway + Lambda emulation, the local stage's
environment patched per request, Powertools' logger middleware included); so does the baseline. Every payload is
new (fresh leadgen ids, wamids, phones and ``envio_id``), so each request takes the full path — signature check,
raw copy to S3 (SSE-KMS), one conditional put per item, or the form's validation, contact lookup, capture
transaction and HTML page — never the cheaper duplicate path. Every answer is checked (status and, for webhooks,
``nuevos`` = the items sent): a benchmark that lost or doubled items would stop with an error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.comun import EntornoMoto, aviso, llamadas_aws, llamadas_desde, percentil, por_unidad

PAGINA = "104560000000001"
LINEA = {"display_phone_number": "59122000000", "phone_number_id": "106540352242922"}


@dataclass(frozen=True)
class Peticion:
    ruta: str
    cabeceras: dict[str, str]
    cuerpo: bytes
    estado: int
    nuevos: int | None = None
    """Items the webhook must report as new (None: not a webhook)."""


class Cargas:
    """Realistic, always-new deliveries for each door, signed like Meta signs them (local app secret)."""

    def __init__(self, secreto: str) -> None:
        self._secreto = secreto.encode()
        self._n = 0

    def _siguiente(self) -> int:
        self._n += 1
        return self._n

    def _meta(self, datos: dict[str, Any], nuevos: int) -> Peticion:
        cuerpo = json.dumps(datos, separators=(",", ":")).encode()
        firma = "sha256=" + hmac.new(self._secreto, cuerpo, hashlib.sha256).hexdigest()
        cabeceras = {"Content-Type": "application/json", "X-Hub-Signature-256": firma}
        return Peticion("/webhooks/meta", cabeceras, cuerpo, 200, nuevos)

    def meta_leadgen(self, cambios: int = 10) -> Peticion:
        """A Lead Ads delivery of one page with ``cambios`` leadgen changes (Meta batches up to 1000)."""
        ahora = int(time.time())
        lista = []
        for _ in range(cambios):
            n = self._siguiente()
            valor = {
                "leadgen_id": f"{1071870209599462 + n}",
                "page_id": PAGINA,
                "form_id": "447333180259108",
                "adgroup_id": "23849853425890183",
                "ad_id": "23849853425890183",
                "created_time": ahora,
            }
            lista.append({"field": "leadgen", "value": valor})
        return self._meta({"object": "page", "entry": [{"id": PAGINA, "time": ahora, "changes": lista}]}, cambios)

    def _mensaje(self) -> tuple[dict[str, Any], dict[str, Any]]:
        n = self._siguiente()
        wa_id = f"591{70000000 + n % 9999999}"
        contacto = {"profile": {"name": "María Quispe"}, "wa_id": wa_id}
        mensaje = {
            "from": wa_id,
            "id": f"wamid.BENCH{n:012d}",
            "timestamp": str(int(time.time())),
            "type": "text",
            "text": {"body": "Hola, quiero internet para mi casa en Queru Queru, ¿qué planes tienen?"},
        }
        return contacto, mensaje

    def _whatsapp(self, valor: dict[str, Any], nuevos: int) -> Peticion:
        cambio = {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": LINEA, **valor}}
        return self._meta(
            {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [cambio]}]}, nuevos
        )

    def whatsapp_1(self) -> Peticion:
        """One inbound WhatsApp text message (the most common delivery)."""
        contacto, mensaje = self._mensaje()
        return self._whatsapp({"contacts": [contacto], "messages": [mensaje]}, 1)

    def whatsapp_lote(self, mensajes: int = 3, estados: int = 7) -> Peticion:
        """A WhatsApp Cloud API delivery with several messages and status updates (sent/delivered/read)."""
        pares = [self._mensaje() for _ in range(mensajes)]
        lista_estados = []
        for _ in range(estados):
            n = self._siguiente()
            lista_estados.append(
                {
                    "id": f"wamid.SALIENTE{n:012d}",
                    "status": ("sent", "delivered", "read")[n % 3],
                    "timestamp": str(int(time.time())),
                    "recipient_id": "59170000000",
                }
            )
        valor = {"contacts": [c for c, _ in pares], "messages": [m for _, m in pares], "statuses": lista_estados}
        return self._whatsapp(valor, mensajes + estados)

    def formulario(self) -> Peticion:
        """The hosted web form as a browser posts it (form-encoded; the answer is the HTML page), a new person."""
        n = self._siguiente()
        campos = {
            "nombre": "María Quispe Mamani",
            "telefono": f"7{n % 10000000:07d}",
            "email": f"maria.quispe.{n}@example.com",
            "ciudad": "Cochabamba",
            "zona": "Queru Queru",
            "direccion": "Calle España 250",
            "tipo_cliente": "residencial",
            "servicio": "internet_hogar",
            "mensaje": "Quisiera internet de fibra para mi casa.",
            "consentimiento": "on",
            "envio_id": str(uuid.uuid4()),
        }
        cabeceras = {"Content-Type": "application/x-www-form-urlencoded"}
        return Peticion("/solicitud", cabeceras, urlencode(campos).encode(), 201)

    def base(self) -> Peticion:
        """The baseline's request: the body of one WhatsApp message, stored as is."""
        return Peticion("/base", {"Content-Type": "application/json"}, self.whatsapp_1().cuerpo, 200)


ESCENARIOS: dict[str, tuple[str, str]] = {
    "base": ("Baseline: bare Chalice route, one put_item", "base"),
    "meta_leadgen_10": ("Meta Lead Ads batch, 10 leadgen changes", "meta_leadgen"),
    "whatsapp_lote_10": ("WhatsApp batch, 3 messages + 7 statuses", "whatsapp_lote"),
    "whatsapp_1": ("WhatsApp, one text message", "whatsapp_1"),
    "formulario": ("Web form POST (new person, HTML answer)", "formulario"),
}


def _enviar(cliente: Any, peticion: Peticion) -> float:
    inicio = time.perf_counter()
    respuesta = cliente.http.post(peticion.ruta, headers=peticion.cabeceras, body=peticion.cuerpo)
    segundos = time.perf_counter() - inicio
    if respuesta.status_code != peticion.estado:
        raise AssertionError(f"{peticion.ruta}: {respuesta.status_code} {respuesta.body[:300]!r}")
    if peticion.nuevos is not None and json.loads(respuesta.body)["nuevos"] != peticion.nuevos:
        raise AssertionError(f"{peticion.ruta}: {respuesta.body[:300]!r}, expected {peticion.nuevos} new items")
    return segundos


def _clientes(entorno: EntornoMoto) -> tuple[Cargas, Callable[[str], tuple[Any, Callable[[], Peticion]]]]:
    cargas = Cargas(entorno.settings.meta_app_secrets[0])
    app_cli, base_cli = entorno.cliente_app(), entorno.cliente_base()

    def escenario(nombre: str) -> tuple[Any, Callable[[], Peticion]]:
        cliente = base_cli if nombre == "base" else app_cli
        return cliente, getattr(cargas, ESCENARIOS[nombre][1])

    return cargas, escenario


def latencias(
    entorno: EntornoMoto, *, rondas: int = 300, calentamiento: int = 15, epoca: int = 25, semilla: int = 9
) -> dict[str, Any]:
    """B1: ``rondas`` requests per scenario, interleaved round by round in a shuffled order (so load changes on
    a shared machine hit every scenario alike), after ``calentamiento`` unmeasured rounds (first imports, clients,
    template compilation). Also the AWS calls each request makes (``comun.llamadas_aws``).

    Every ``epoca`` rounds moto is emptied and provisioned again (then one unmeasured round rebuilds the app's
    clients): moto's TransactWriteItems deep-copies every table it touches, and its items fill this process's heap
    (longer garbage collections), so without it the form's answer time grows with the number of requests stored
    before it — a cost of moto's, not DynamoDB's nor the app's."""
    entorno.reiniciar()
    _, escenario = _clientes(entorno)
    rng = random.Random(semilla)
    muestras: dict[str, list[float]] = {nombre: [] for nombre in ESCENARIOS}
    llamadas: dict[str, Counter[str]] = {nombre: Counter() for nombre in ESCENARIOS}
    orden = list(ESCENARIOS)

    def ronda(medir: bool) -> None:
        rng.shuffle(orden)
        for nombre in orden:
            cliente, carga = escenario(nombre)
            peticion = carga()
            antes = Counter(llamadas_aws())
            segundos = _enviar(cliente, peticion)
            if medir:
                muestras[nombre].append(segundos)
                llamadas[nombre] += llamadas_desde(antes)

    inicio = time.perf_counter()
    for _ in range(calentamiento):
        ronda(medir=False)
    hechas = 0
    while hechas < rondas:
        if hechas:
            entorno.reiniciar()
            ronda(medir=False)
        for _ in range(min(epoca, rondas - hechas)):
            ronda(medir=True)
            hechas += 1
        if hechas % 100 == 0:
            aviso(f"  B1: {hechas}/{rondas} rounds")
    base_p50, base_p99 = percentil(muestras["base"], 50), percentil(muestras["base"], 99)
    filas = {}
    for nombre, valores in muestras.items():
        p50, p99 = percentil(valores, 50), percentil(valores, 99)
        filas[nombre] = {
            "descripcion": ESCENARIOS[nombre][0],
            "n": len(valores),
            "p50_ms": p50 * 1000,
            "p99_ms": p99 * 1000,
            "media_ms": sum(valores) / len(valores) * 1000,
            "max_ms": max(valores) * 1000,
            "ratio_p50": p50 / base_p50,
            "ratio_p99": p99 / base_p99,
            "llamadas_aws": sum(llamadas[nombre].values()) / len(valores),
            "operaciones": por_unidad(llamadas[nombre], len(valores)),
        }
    return {
        "rondas": rondas,
        "calentamiento": calentamiento,
        "epoca": epoca,
        "segundos": time.perf_counter() - inicio,
        "filas": filas,
    }


def rendimiento(entorno: EntornoMoto, *, peticiones: int = 200, repeticiones: int = 2) -> dict[str, Any]:
    """B2: back-to-back requests, ``peticiones`` per block; blocks alternate (base, WhatsApp message, Lead Ads
    batch) ``repeticiones`` times and each rate is over all its blocks. Each block starts on an emptied moto (see
    ``latencias``) after 10 unmeasured requests; payloads are built before the block, so only requests are timed."""
    _, escenario = _clientes(entorno)
    nombres = ("base", "whatsapp_1", "meta_leadgen_10")
    items = {"base": 1, "whatsapp_1": 1, "meta_leadgen_10": 10}
    tiempos = dict.fromkeys(nombres, 0.0)
    for repeticion in range(repeticiones):
        for nombre in nombres:
            entorno.reiniciar()
            cliente, carga = escenario(nombre)
            for _ in range(10):
                _enviar(cliente, carga())
            lote = [carga() for _ in range(peticiones)]
            inicio = time.perf_counter()
            for peticion in lote:
                _enviar(cliente, peticion)
            tiempos[nombre] += time.perf_counter() - inicio
        aviso(f"  B2: {repeticion + 1}/{repeticiones} repetitions")
    total = peticiones * repeticiones
    base_rps = total / tiempos["base"]
    filas = {}
    for nombre in nombres:
        rps = total / tiempos[nombre]
        filas[nombre] = {
            "descripcion": ESCENARIOS[nombre][0],
            "peticiones": total,
            "segundos": tiempos[nombre],
            "rps": rps,
            "items_s": rps * items[nombre],
            "ratio": rps / base_rps,
        }
    return {"peticiones_por_bloque": peticiones, "repeticiones": repeticiones, "filas": filas}
