"""The app with every port faked, and what the hostile-input properties check on each answer.

``Mundo.huella()`` is a fingerprint of everything the app can write (requests, history, dedupe and idempotency
keys, webhook items, stored objects, approvals, reply tokens, suppressions, emails): equal before and after a
rejected request means the rejection wrote nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.domain.errors import ServicioExternoNoDisponible
from chalicelib.domain.model import Entrante, Rol, Solicitud
from chalicelib.services.pagos import firmar
from tests.factories import make_entrada, make_solicitud
from tests.fakes import (
    FakeCalendario,
    FakeCobertura,
    FakeMailer,
    FakeProtector,
    FakeSmartflex,
    FixedClock,
    InMemoryIdempotencia,
    InMemorySolicitudRepository,
    SequentialIds,
)
from tests.fakes_canales import AlmacenEnMemoria, EntrantesEnMemoria, FakeGraph, SalientesEnMemoria
from tests.fakes_correo import InMemoryAlmacen, InMemorySupresiones, InMemoryTokensRespuesta
from tests.fakes_limites import LimitesEnMemoria
from tests.fakes_pagos import InMemoryAprobaciones
from tests.fakes_persistencia import InMemoryAgregados, InMemoryPendientes
from tests.fakes_sesiones import InMemorySesionesConsola

MAX_CLAVE_DYNAMO = 2048
"""DynamoDB's limit for a partition key value, in UTF-8 bytes."""
MAX_ITEM_DYNAMO = 400 * 1024
"""DynamoDB's limit for one item (attribute names and values, UTF-8)."""


class EntrantesConLimites(EntrantesEnMemoria):
    """The in-memory entrantes with DynamoDB's limits: a key over 2 KB or an item over 400 KB is refused the way
    PynamoEntrantes would see it (a ValidationException, i.e. an unexpected error of the adapter)."""

    def registrar(self, entrantes: list[Entrante]) -> list[str]:
        for e in entrantes:
            if len(e.clave.encode()) > MAX_CLAVE_DYNAMO:
                raise RuntimeError("ValidationException: hash key over 2048 bytes")
            tamano = len(json.dumps(e.payload, ensure_ascii=False).encode()) + len(e.s3_key) + 200
            if tamano > MAX_ITEM_DYNAMO:
                raise RuntimeError("ValidationException: item size has exceeded the maximum allowed size")
        return super().registrar(entrantes)


class BuzonCrudo:
    """The inbound mail bucket in memory: raw bytes by SES message id, parsed on load like S3BuzonEntrante."""

    def __init__(self) -> None:
        self.crudos: dict[str, bytes] = {}

    def cargar(self, message_id: str) -> Any:
        from chalicelib.adapters.s3_buzon import parsear_mime
        from chalicelib.domain.correo import CorreoNoDisponible

        if message_id not in self.crudos:
            raise CorreoNoDisponible(f"El correo {message_id} no está.")
        return parsear_mime(message_id, self.crudos[message_id])


class GraficosFalsos:
    def informe_mensual(self, informe: Any) -> bytes:
        return b"\x89PNG\r\n\x1a\n"


class HojasFalsas:
    def libro(self, tablas: Any) -> bytes:
        return b"PK\x03\x04"


class DocumentosFalsos:
    def enlace(self, referencia: str, segundos: int = 300) -> str | None:
        return f"https://s3.example/{referencia}?expira={segundos}" if referencia else None


class GraphGeneroso(FakeGraph):
    """Any lead id is a plausible lead, any media id a small PNG; ``caida`` makes both unavailable."""

    def lead(self, leadgen_id: str) -> dict[str, Any]:
        if self.caida:
            raise ServicioExternoNoDisponible("La Graph API de Meta no respondió (fallo simulado).")
        campos = {"full_name": "Ana Rojas", "phone_number": "+59170000000", "email": "ana@example.com"}
        return {"id": leadgen_id, "field_data": [{"name": k, "values": [v]} for k, v in campos.items()]}

    def medio(self, media_id: str) -> Any:
        if self.caida:
            raise ServicioExternoNoDisponible("La Graph API de Meta no respondió (fallo simulado).")
        from chalicelib.domain.ports import MedioDescargado

        contenido = b"\x89PNG\r\n\x1a\n" + media_id.encode()[:50]
        return MedioDescargado(contenido=contenido, tipo="image/png", sha256=hashlib.sha256(contenido).hexdigest())


def construir_servicios() -> Any:
    """``bootstrap.override`` with a fake for every port (the current environment must be the local stage's)."""
    from chalicelib import bootstrap
    from chalicelib.adapters.rendering import JinjaPlantillas

    return bootstrap.override(
        repo=InMemorySolicitudRepository(),
        idempotencia=InMemoryIdempotencia(),
        pendientes=InMemoryPendientes(),
        agregados=InMemoryAgregados(),
        mailer=FakeMailer(),
        plantillas=JinjaPlantillas(),
        clock=FixedClock(),
        ids=SequentialIds(),
        protector=FakeProtector(),
        cobertura=FakeCobertura(),
        smartflex=FakeSmartflex(),
        calendario=FakeCalendario(),
        entrantes=EntrantesConLimites(),
        crudos=AlmacenEnMemoria(),
        salientes=SalientesEnMemoria(),
        graph=GraphGeneroso(),
        documentos=InMemoryAlmacen(),
        presignador=DocumentosFalsos(),
        aprobaciones=InMemoryAprobaciones(),
        tokens_respuesta=InMemoryTokensRespuesta(),
        supresiones=InMemorySupresiones(),
        buzon_entrante=BuzonCrudo(),
        graficos=GraficosFalsos(),
        hojas=HojasFalsas(),
        limites=LimitesEnMemoria(),
        sesiones_consola=InMemorySesionesConsola(),
    )


def _texto(respuesta: Any) -> str:
    cuerpo = respuesta.body
    return cuerpo.decode("utf-8", "replace") if isinstance(cuerpo, bytes) else str(cuerpo or "")


def _cabecera(respuesta: Any, nombre: str) -> str:
    for clave, valor in (respuesta.headers or {}).items():
        if clave.lower() == nombre.lower():
            return str(valor)
    return ""


def es_rechazo_en_espanol(respuesta: Any) -> bool:
    """A 4xx body people and clients can read: our JSON error (``codigo`` + Spanish ``mensaje``) or a Spanish
    HTML page (``lang="es-BO"``), never the framework's English ``{"Code", "Message"}``."""
    tipo = _cabecera(respuesta, "content-type").lower()
    texto = _texto(respuesta)
    if tipo.startswith("application/json"):
        try:
            cuerpo = json.loads(texto)
        except ValueError:
            return False
        return (
            isinstance(cuerpo, dict)
            and isinstance(cuerpo.get("codigo"), str)
            and isinstance(cuerpo.get("mensaje"), str)
            and bool(cuerpo["mensaje"].strip())
        )
    if tipo.startswith("text/html"):
        return 'lang="es-BO"' in texto
    return False


@dataclass
class Mundo:
    """The app under fuzzing: its test client, the fakes behind it, and the tally of answers per endpoint."""

    cliente: Any
    servicios: Any
    cifras: dict[str, Counter[str]]
    tokens: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "Mundo(app con fakes)"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    # --- what is written -----------------------------------------------------------------------------------

    def huella(self) -> str:
        s = self.servicios
        o = s.overrides
        repo, ideas = o["repo"], o["idempotencia"]
        partes = [
            sorted((k, v.version, v.estado, len(v.contactos)) for k, v in repo.solicitudes.items()),
            sorted((k, sorted(v)) for k, v in repo.entradas.items()),
            sorted(repo.claves.items()),
            sorted((k, v.estado, v.resultado) for k, v in ideas.claves.items()),
            len(o["mailer"].enviados),
            sorted((k, v.estado, v.intentos) for k, v in o["entrantes"].items.items()),
            sorted(o["crudos"].objetos),
            sorted(o["documentos"].objetos),
            sorted(
                (k, v.estado, v.decision, v.decidida_por, v.decidida_en) for k, v in o["aprobaciones"].registros.items()
            ),
            sorted((k, v.usado_en) for k, v in o["tokens_respuesta"].tokens.items()),
            sorted(o["tokens_respuesta"].mensajes),
            sorted(o["supresiones"].direcciones),
            len(o["smartflex"].registros),
        ]
        return hashlib.sha256(repr(partes).encode()).hexdigest()

    # --- staff and data ------------------------------------------------------------------------------------

    def token(self, rol: str) -> str:
        if rol not in self.tokens:
            self.tokens[rol] = self.servicios.verificador.emitir(
                rol=Rol(rol), email=f"{rol.lower()}@ventas.test", nombre=rol
            )
        return self.tokens[rol]

    def bearer(self, rol: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(rol)}", **extra}

    def guardar(self, **campos: Any) -> Solicitud:
        s = make_solicitud(**campos)
        self.servicios.repo.crear(s, make_entrada(s))
        return s

    def estado_de(self, solicitud_id: str) -> tuple[int, str]:
        s = self.servicios.repo.obtener(solicitud_id)
        return s.version, s.estado

    def mover(self, solicitud_id: str, **campos: Any) -> None:
        """Set a stored request's fields directly (test set-up only)."""
        repo = self.servicios.repo
        repo.solicitudes[solicitud_id] = replace(repo.solicitudes[solicitud_id], **campos)

    # --- channels ------------------------------------------------------------------------------------------

    def atender_entrantes(self) -> list[str]:
        """What the entrantes stream does: process every pending item (form submissions, whole deliveries and the
        items they split into) until none is left; returns the keys processed."""
        hechas: list[str] = []
        while pendientes := self.servicios.entrantes.pendientes():
            for clave in pendientes:
                self.servicios.procesar_entrante(clave)
                hechas.append(clave)
        return hechas

    def firma_meta(self, cuerpo: bytes, indice: int = 0) -> str:
        secreto = self.servicios.settings.meta_app_secrets[indice].encode()
        return "sha256=" + hmac.new(secreto, cuerpo, hashlib.sha256).hexdigest()

    def cabeceras_pago(self, cuerpo: bytes, *, webhook_id: str = "msg_1", desfase: int = 0, indice: int = 0):
        secreto = self.servicios.secretos.valores("secreto_pagos")[indice]
        marca = int(self.servicios.clock.ahora().timestamp()) + desfase
        return {
            "Content-Type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(marca),
            "webhook-signature": firmar(secreto, webhook_id, marca, cuerpo),
        }

    # --- one request, checked --------------------------------------------------------------------------------

    def pedir(self, punto: str, metodo: str, ruta: str, *, headers=None, body: bytes | None = None) -> Any:
        """Send one request; tally it under ``punto``; never a 5xx, and every 4xx in Spanish."""
        http = self.cliente.http
        cabeceras = dict(headers or {})
        if metodo == "GET":
            respuesta = http.get(ruta, headers=cabeceras)
        else:
            respuesta = http.request(metodo, ruta, headers=cabeceras, body=body or b"")
        estado = respuesta.status_code
        cuenta = self.cifras[punto]
        cuenta["ejemplos"] += 1
        cuenta[f"{estado // 100}xx"] += 1
        assert estado < 500, f"{metodo} {ruta[:200]} → {estado}: {_texto(respuesta)[:500]}"
        if 400 <= estado < 500:
            assert es_rechazo_en_espanol(respuesta), f"{estado} not in Spanish: {_texto(respuesta)[:300]}"
        return respuesta

    def pedir_sin_escribir(self, punto: str, metodo: str, ruta: str, **kw: Any) -> Any:
        """``pedir``, and a 4xx must leave every store exactly as it was."""
        antes = self.huella()
        respuesta = self.pedir(punto, metodo, ruta, **kw)
        if respuesta.status_code >= 400:
            assert self.huella() == antes, f"{respuesta.status_code} wrote something: {_texto(respuesta)[:300]}"
        return respuesta


ESTADOS = (
    "nueva",
    "en_registro",
    "consulta_help_desk",
    "negociacion",
    "oferta_enviada",
    "requisitos",
    "digitacion",
    "forma_pago",
    "pago_pendiente",
    "validacion_deposito",
    "validacion_pago_web",
    "factura_pendiente",
    "facturacion_caja",
    "factura_impresa",
    "control_facturacion",
    "cerrada",
    "no_atendida",
    "derivada_empresas",
    "anulada",
    "redigitada",
)


def sembrar(mundo: Mundo) -> list[str]:
    """One request per state (``VD-E00000NN``), with the data a request has by then: coverage, capacity, offer,
    contract, payment, invoice. Returns their ids, in the order of ``ESTADOS``."""
    ids = []
    for n, estado in enumerate(ESTADOS, start=1):
        solicitud_id = f"VD-E{n:07d}"
        mundo.guardar(
            id=solicitud_id,
            estado=estado,
            datos={
                "nombre": "María Quispe Mamani",
                "telefono": "+59171234567",
                "email": "maria.quispe@example.com",
                "ci_ultimos4": "7890",
                "ci_huella": "h(4567890)",
                "ci_cifrado": "c(4567890)",
                "direccion": "Calle España 250",
                "latitud": -17.3935,
                "longitud": -66.157,
            },
            tipo_cliente="residencial",
            cobertura={
                "disponible": True,
                "velocidad_maxima_mbps": 300,
                "tecnologia": "FTTH",
                "zona_cobertura": "Centro",
            },
            capacidad={
                "solicitud": {"velocidad_solicitada_mbps": 50.0},
                "velocidad_maxima_mbps": 100,
                "tecnologia": "FTTH",
            },
            oferta={
                "plan": "Hogar Fibra 50",
                "plan_id": "hogar-fibra-50",
                "tarifa_mensual_bs": 199.0,
                "costo_instalacion_bs": 150.0,
                "velocidad_mbps": 50,
                "tecnologia": "FTTH",
            },
            digitacion={"numero_contrato": f"SCS-{solicitud_id}", "codigo_cliente": "CL-0000001"},
            pago={
                "monto_bs": 349.0,
                "numero_deposito": "DEP-7",
                "fecha_deposito": "2026-11-29",
                "id_transaccion": "TX-9",
            },
            ejecutivo="ej@ventas.test",
        )
        ids.append(solicitud_id)
    return ids


def triples_validos() -> list[tuple[str, str, str]]:
    """Every (state, action, role) the procedure allows: fuzzing them reaches guards, validation and the write."""
    from chalicelib.domain.actions import ACCIONES
    from chalicelib.domain.states import TRANSITIONS

    return sorted(
        (estado.value, accion.value, rol.value)
        for (estado, accion) in TRANSITIONS
        for rol in ACCIONES[accion].roles
        if rol.value != "SISTEMA"
    )


def solicitud_en(mundo: Mundo, estado: str) -> str:
    """A fresh request in ``estado`` with the data of ``sembrar`` (a new id each time)."""
    n = len(mundo.servicios.repo.solicitudes) + 1
    solicitud_id = f"VD-F{n:07d}"
    plantilla = mundo.servicios.repo.obtener(f"VD-E{ESTADOS.index(estado) + 1:07d}")
    mundo.guardar(**{**plantilla.__dict__, "id": solicitud_id, "ultimo_cambio": None})
    return solicitud_id
