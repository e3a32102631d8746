"""B1 (answer latency p50/p99) and B2 (sustained sequential throughput) of the capture doors, each against the bare
``put_item`` route of ``bench.base`` measured in the same process, against the same moto server.

The app runs through chalice's test client in-process (API Gateway + Lambda emulation, the local stage's
environment patched per request, Powertools' logger middleware included); so does the baseline. Every payload is
new (fresh leadgen ids, wamids, phones and ``envio_id``), so each request takes the full path — signature check
and the one conditional write of the delivery (zlib-compressed body), or the form's validation, its one conditional
write and the HTML page — never the cheaper duplicate path. Every webhook answer is checked (status, ``entrega`` =
the body's SHA-256, ``duplicada`` false).

Nothing is lost (``comprobar_entradas``, untimed, before every moto reset): the entrantes table must hold exactly
one item per request sent — ``entrega#meta#<sha256>`` per webhook, ``web#<envio_id>`` per form, nothing else (the
door splits nothing) — and a random sample of deliveries of each kind is split as ``on_entrante`` splits a
delivery's INSERT (``Services.procesar_entrante``): the items it writes must be exactly the messages, leads and
statuses that were sent, and the delivery ``procesado``. A lost, doubled or extra item stops the run.
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
    entrada: str | None = None
    """Key of the one entrantes item the door must write (None: the baseline)."""
    claves: tuple[str, ...] | None = None
    """Keys of the items splitting the delivery must write (None: not a webhook)."""


class Cargas:
    """Realistic, always-new deliveries for each door, signed like Meta signs them (local app secret)."""

    def __init__(self, secreto: str) -> None:
        self._secreto = secreto.encode()
        self._n = 0

    def _siguiente(self) -> int:
        self._n += 1
        return self._n

    def _meta(self, datos: dict[str, Any], claves: list[str]) -> Peticion:
        cuerpo = json.dumps(datos, separators=(",", ":")).encode()
        firma = "sha256=" + hmac.new(self._secreto, cuerpo, hashlib.sha256).hexdigest()
        cabeceras = {"Content-Type": "application/json", "X-Hub-Signature-256": firma}
        entrada = f"entrega#meta#{hashlib.sha256(cuerpo).hexdigest()}"
        return Peticion("/webhooks/meta", cabeceras, cuerpo, 200, entrada, tuple(claves))

    def meta_leadgen(self, cambios: int = 10) -> Peticion:
        """A Lead Ads delivery of one page with ``cambios`` leadgen changes (Meta batches up to 1000)."""
        ahora = int(time.time())
        lista, claves = [], []
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
            claves.append(f"facebook#{valor['leadgen_id']}")
        return self._meta({"object": "page", "entry": [{"id": PAGINA, "time": ahora, "changes": lista}]}, claves)

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

    def _whatsapp(self, valor: dict[str, Any]) -> Peticion:
        """A WhatsApp Cloud API delivery of ``valor`` (its messages and statuses are the items it carries)."""
        cambio = {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": LINEA, **valor}}
        claves = [f"whatsapp#{m['id']}" for m in valor.get("messages", [])]
        claves += [f"whatsapp#{e['id']}#{e['status']}" for e in valor.get("statuses", [])]
        return self._meta(
            {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [cambio]}]}, claves
        )

    def whatsapp_1(self) -> Peticion:
        """One inbound WhatsApp text message (the most common delivery)."""
        contacto, mensaje = self._mensaje()
        return self._whatsapp({"contacts": [contacto], "messages": [mensaje]})

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
        return self._whatsapp(valor)

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
        return Peticion("/solicitud", cabeceras, urlencode(campos).encode(), 201, f"web#{campos['envio_id']}")

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
    if peticion.claves is not None:
        esperado = {"recibido": True, "entrega": hashlib.sha256(peticion.cuerpo).hexdigest(), "duplicada": False}
        if json.loads(respuesta.body) != esperado:
            raise AssertionError(f"{peticion.ruta}: {respuesta.body[:300]!r}, expected {esperado}")
    return segundos


def _claves_entrantes(entorno: EntornoMoto) -> dict[str, str]:
    """Every item of the entrantes table: key -> estado (a paginated Scan, untimed)."""
    import boto3

    cliente = boto3.client("dynamodb", region_name=entorno.settings.region)
    claves: dict[str, str] = {}
    for pagina in cliente.get_paginator("scan").paginate(
        TableName=entorno.settings.tabla_entrantes,
        ProjectionExpression="clave, estado",
        ConsistentRead=True,
    ):
        for item in pagina["Items"]:
            claves[item["clave"]["S"]] = item.get("estado", {}).get("S", "")
    return claves


def comprobar_entradas(entorno: EntornoMoto, enviadas: list[Peticion], dividir: list[Peticion]) -> dict[str, int]:
    """Untimed proof that nothing was lost since the last moto reset: the entrantes table holds exactly one item per
    request in ``enviadas`` (its ``entrada``) and nothing else; then each delivery of ``dividir`` is split as
    ``on_entrante`` splits a delivery's INSERT, and the items written must be exactly those it carries. Raises
    ``AssertionError`` otherwise; returns what was counted."""
    from chalicelib.bootstrap import get_services

    esperadas = [p.entrada for p in enviadas if p.entrada]
    if len(set(esperadas)) != len(esperadas):
        raise AssertionError("the benchmark sent the same body twice")
    antes = _claves_entrantes(entorno)
    if set(antes) != set(esperadas):
        faltan, sobran = set(esperadas) - set(antes), set(antes) - set(esperadas)
        raise AssertionError(
            f"entrantes: {len(antes)} items for {len(esperadas)} requests; missing {sorted(faltan)[:5]}, "
            f"unexpected {sorted(sobran)[:5]}"
        )
    servicios = get_services()
    items = 0
    for peticion in dividir:
        assert peticion.entrada and peticion.claves is not None
        estado = servicios.procesar_entrante(peticion.entrada)
        if estado != "procesado":
            raise AssertionError(f"splitting {peticion.entrada} ended {estado!r}")
        items += len(peticion.claves)
    despues = _claves_entrantes(entorno)
    escritas = set(despues) - set(antes)
    esperados = {c for p in dividir for c in p.claves or ()}
    if escritas != esperados or items != len(esperados):
        raise AssertionError(
            f"split {len(dividir)} deliveries carrying {items} items: wrote {len(escritas)}; missing "
            f"{sorted(esperados - escritas)[:5]}, unexpected {sorted(escritas - esperados)[:5]}"
        )
    no_procesadas = [p.entrada for p in dividir if despues.get(p.entrada or "") != "procesado"]
    if no_procesadas:
        raise AssertionError(f"deliveries not marked procesado after their split: {no_procesadas[:5]}")
    return {
        "entregas": sum(1 for p in enviadas if p.claves is not None),
        "formularios": sum(1 for p in enviadas if p.entrada and p.claves is None),
        "divididas": len(dividir),
        "items": items,
    }


def _clientes(entorno: EntornoMoto) -> tuple[Cargas, Callable[[str], tuple[Any, Callable[[], Peticion]]]]:
    cargas = Cargas(entorno.settings.meta_app_secrets[0])
    app_cli, base_cli = entorno.cliente_app(), entorno.cliente_base()

    def escenario(nombre: str) -> tuple[Any, Callable[[], Peticion]]:
        cliente = base_cli if nombre == "base" else app_cli
        return cliente, getattr(cargas, ESCENARIOS[nombre][1])

    return cargas, escenario


def latencias(
    entorno: EntornoMoto,
    *,
    rondas: int = 300,
    calentamiento: int = 15,
    epoca: int = 25,
    semilla: int = 9,
    muestra: int = 5,
) -> dict[str, Any]:
    """B1: ``rondas`` requests per scenario, interleaved round by round in a shuffled order (so load changes on
    a shared machine hit every scenario alike), after ``calentamiento`` unmeasured rounds (first imports, clients,
    template compilation). Also the AWS calls each request makes (``comun.llamadas_aws``).

    Every ``epoca`` rounds moto is emptied and provisioned again (then one unmeasured round rebuilds the app's
    clients): moto's TransactWriteItems deep-copies every table it touches, and its items fill this process's heap
    (longer garbage collections), so without it the form's answer time grows with the number of requests stored
    before it — a cost of moto's, not DynamoDB's nor the app's.

    Before each reset (and at the end), untimed, ``comprobar_entradas`` checks one entrantes item per request of the
    epoch and splits ``muestra`` random deliveries of each webhook kind."""
    entorno.reiniciar()
    _, escenario = _clientes(entorno)
    rng = random.Random(semilla)
    muestras: dict[str, list[float]] = {nombre: [] for nombre in ESCENARIOS}
    llamadas: dict[str, Counter[str]] = {nombre: Counter() for nombre in ESCENARIOS}
    orden = list(ESCENARIOS)
    enviadas: dict[str, list[Peticion]] = {nombre: [] for nombre in ESCENARIOS}
    """Requests sent since the last moto reset, by scenario."""
    muestreo = random.Random(semilla + 1)
    comprobado: Counter[str] = Counter()

    def ronda(medir: bool) -> None:
        rng.shuffle(orden)
        for nombre in orden:
            cliente, carga = escenario(nombre)
            peticion = carga()
            antes = Counter(llamadas_aws())
            segundos = _enviar(cliente, peticion)
            enviadas[nombre].append(peticion)
            if medir:
                muestras[nombre].append(segundos)
                llamadas[nombre] += llamadas_desde(antes)

    def comprobar() -> None:
        todas = [p for lista in enviadas.values() for p in lista]
        dividir = [
            p
            for lista in enviadas.values()
            if lista and lista[0].claves is not None
            for p in muestreo.sample(lista, min(muestra, len(lista)))
        ]
        comprobado.update(comprobar_entradas(entorno, todas, dividir))
        for lista in enviadas.values():
            lista.clear()

    inicio = time.perf_counter()
    for _ in range(calentamiento):
        ronda(medir=False)
    hechas = 0
    while hechas < rondas:
        if hechas:
            comprobar()
            entorno.reiniciar()
            ronda(medir=False)
        for _ in range(min(epoca, rondas - hechas)):
            ronda(medir=True)
            hechas += 1
        if hechas % 100 == 0:
            aviso(f"  B1: {hechas}/{rondas} rounds")
    comprobar()
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
        "comprobacion": {**comprobado, "muestra_por_tipo_y_epoca": muestra},
    }


def rendimiento(entorno: EntornoMoto, *, peticiones: int = 200, repeticiones: int = 2) -> dict[str, Any]:
    """B2: back-to-back requests, ``peticiones`` per block; blocks alternate (base, WhatsApp message, Lead Ads
    batch) ``repeticiones`` times and each rate is over all its blocks. Each block starts on an emptied moto (see
    ``latencias``) after 10 unmeasured requests; payloads are built before the block, so only requests are timed.
    After each webhook block, untimed, ``comprobar_entradas`` (one delivery item per request, 3 split at random)."""
    _, escenario = _clientes(entorno)
    muestreo = random.Random(2)
    comprobado: Counter[str] = Counter()
    nombres = ("base", "whatsapp_1", "meta_leadgen_10")
    items = {"base": 1, "whatsapp_1": 1, "meta_leadgen_10": 10}
    tiempos = dict.fromkeys(nombres, 0.0)
    for repeticion in range(repeticiones):
        for nombre in nombres:
            entorno.reiniciar()
            cliente, carga = escenario(nombre)
            previas = [carga() for _ in range(10)]
            for peticion in previas:
                _enviar(cliente, peticion)
            lote = [carga() for _ in range(peticiones)]
            inicio = time.perf_counter()
            for peticion in lote:
                _enviar(cliente, peticion)
            tiempos[nombre] += time.perf_counter() - inicio
            if nombre != "base":
                comprobado.update(comprobar_entradas(entorno, previas + lote, muestreo.sample(lote, 3)))
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
    return {
        "peticiones_por_bloque": peticiones,
        "repeticiones": repeticiones,
        "filas": filas,
        "comprobacion": dict(comprobado),
    }
