"""pynamodb models of the four tables; names, region and endpoint come from Settings via ``bind``.

- solicitudes: hash ``id``; stream NEW_AND_OLD_IMAGES; GSIs ``por_estado`` (estado, estado_desde),
  ``por_mes`` (mes, creada_en), the sparse ``por_mes_factura`` (mes_factura, factura_emitida_en), the sparse
  follow-up index ``por_atencion`` (atencion, vence_en) and the sparse
  contact indexes ``por_telefono``, ``por_email``, ``por_ci``, ``por_id_canal`` (contacto_*, creada_en; keys only).
- historial: hash ``solicitud_id``, range ``orden`` = ``f"{en}#{id}"`` (a query reads oldest first).
- claves: hash ``clave``; dedupe keys of submissions and idempotency keys of side effects, signed links' approvals,
  email records, sent channel messages and the queues of pending sends, one model (``ClaveItem``); the sparse
  GSI ``por_fila`` (fila, desde); TTL on ``expira``.
- entrantes: hash ``clave`` = ``f"{canal}#{external_id}"``; stream NEW_IMAGE; GSI ``por_estado`` (estado,
  recibido_en); TTL on ``expira`` (the repository is ``dynamo_entrantes``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from pynamodb.attributes import (
    Attribute,
    BinaryAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.constants import PAY_PER_REQUEST_BILLING_MODE, STRING
from pynamodb.exceptions import PynamoDBException, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.adapters.clientes_aws import CONEXION_SEGUNDOS, INTENTOS, LECTURA_SEGUNDOS
from chalicelib.config import Settings

STREAM_VIEW = "NEW_AND_OLD_IMAGES"
CONDICION_FALLIDA = "ConditionalCheckFailedException"


class JsonAttribute(Attribute[Any]):
    """Any JSON value stored as a string (unicode kept as is; floats round-trip exactly)."""

    attr_type = STRING

    def serialize(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def deserialize(self, value: str) -> Any:
        return json.loads(value)


class PorEstado(GlobalSecondaryIndex["SolicitudItem"]):  # type: ignore[no-untyped-call]
    """Requests in a state, by the moment they entered it (oldest first = longest waiting)."""

    class Meta:
        index_name = "por_estado"
        projection = AllProjection()

    estado = UnicodeAttribute(hash_key=True)
    estado_desde = UnicodeAttribute(range_key=True)


class PorMes(GlobalSecondaryIndex["SolicitudItem"]):  # type: ignore[no-untyped-call]
    """Requests created in a month (YYYY-MM), by creation time."""

    class Meta:
        index_name = "por_mes"
        projection = AllProjection()

    mes = UnicodeAttribute(hash_key=True)
    creada_en = UnicodeAttribute(range_key=True)


class PorMesFactura(GlobalSecondaryIndex["SolicitudItem"]):  # type: ignore[no-untyped-call]
    """Sparse: only invoiced requests, by invoice month and issue time (the KPI's billing volume)."""

    class Meta:
        index_name = "por_mes_factura"
        projection = AllProjection()

    mes_factura = UnicodeAttribute(hash_key=True)
    factura_emitida_en = UnicodeAttribute(range_key=True)


class PorAtencion(GlobalSecondaryIndex["SolicitudItem"]):  # type: ignore[no-untyped-call]
    """Sparse: only followed-up requests (no_atendida, or active with a deadline), earliest deadline first.
    ``atencion`` is the constant partition ``pendiente``; ``vence_en`` is ``seguimiento.vence_en_indice`` (UTC)."""

    class Meta:
        index_name = "por_atencion"
        projection = AllProjection()

    atencion = UnicodeAttribute(hash_key=True)
    vence_en = UnicodeAttribute(range_key=True)


class PorTelefono(GlobalSecondaryIndex["SolicitudItem"]):  # type: ignore[no-untyped-call]
    """Sparse: requests by the prospect's phone (E.164), newest first; keys only (read back consistently)."""

    class Meta:
        index_name = "por_telefono"
        projection = KeysOnlyProjection()

    contacto_telefono = UnicodeAttribute(hash_key=True)
    creada_en = UnicodeAttribute(range_key=True)


class PorEmail(GlobalSecondaryIndex["SolicitudItem"]):  # type: ignore[no-untyped-call]
    """Sparse: requests by the prospect's lowercased email."""

    class Meta:
        index_name = "por_email"
        projection = KeysOnlyProjection()

    contacto_email = UnicodeAttribute(hash_key=True)
    creada_en = UnicodeAttribute(range_key=True)


class PorCi(GlobalSecondaryIndex["SolicitudItem"]):  # type: ignore[no-untyped-call]
    """Sparse: requests by the keyed hash of the prospect's CI (never the CI itself)."""

    class Meta:
        index_name = "por_ci"
        projection = KeysOnlyProjection()

    contacto_ci = UnicodeAttribute(hash_key=True)
    creada_en = UnicodeAttribute(range_key=True)


class PorIdCanal(GlobalSecondaryIndex["SolicitudItem"]):  # type: ignore[no-untyped-call]
    """Sparse: requests by the channel's user id where the channel gives no phone (``messenger:<PSID>``)."""

    class Meta:
        index_name = "por_id_canal"
        projection = KeysOnlyProjection()

    contacto_id_canal = UnicodeAttribute(hash_key=True)
    creada_en = UnicodeAttribute(range_key=True)


class SolicitudItem(Model):
    """One item per request; every ``Solicitud`` field plus the sparse invoice index keys."""

    class Meta:
        table_name: str | None = None
        region: str | None = None
        host: str | None = None
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        stream_view_type = STREAM_VIEW

    id = UnicodeAttribute(hash_key=True)
    estado = UnicodeAttribute()
    canal = UnicodeAttribute()
    creada_en = UnicodeAttribute()
    actualizada_en = UnicodeAttribute()
    estado_desde = UnicodeAttribute()
    mes = UnicodeAttribute()
    version = NumberAttribute()
    datos = JsonAttribute(null=True)
    tipo_cliente_sugerido = UnicodeAttribute(null=True)
    motivo_clasificacion = UnicodeAttribute(null=True)
    tipo_cliente = UnicodeAttribute(null=True)
    info_cualitativa = JsonAttribute(null=True)
    cobertura = JsonAttribute(null=True)
    capacidad = JsonAttribute(null=True)
    oferta = JsonAttribute(null=True)
    requisitos = JsonAttribute(null=True)
    digitacion = JsonAttribute(null=True)
    modalidad_pago = UnicodeAttribute(null=True)
    pago = JsonAttribute(null=True)
    factura = JsonAttribute(null=True)
    control_facturacion = JsonAttribute(null=True)
    etapas = JsonAttribute(null=True)
    motivo_cierre = UnicodeAttribute(null=True)
    anulacion = JsonAttribute(null=True)
    redigitacion_de = UnicodeAttribute(null=True)
    redigitada_como = UnicodeAttribute(null=True)
    origen = JsonAttribute(null=True)
    ejecutivo = UnicodeAttribute(null=True)
    primera_respuesta_en = UnicodeAttribute(null=True)
    escalada_en = UnicodeAttribute(null=True)
    ultimo_cambio = JsonAttribute(null=True)
    mes_factura = UnicodeAttribute(null=True)
    factura_emitida_en = UnicodeAttribute(null=True)
    atencion = UnicodeAttribute(null=True)
    vence_en = UnicodeAttribute(null=True)
    contactos = ListAttribute(of=UnicodeAttribute, null=True)  # one JSON touchpoint per element (list_append)
    contacto_telefono = UnicodeAttribute(null=True)
    contacto_email = UnicodeAttribute(null=True)
    contacto_ci = UnicodeAttribute(null=True)
    contacto_id_canal = UnicodeAttribute(null=True)

    por_estado = PorEstado()
    por_mes = PorMes()
    por_mes_factura = PorMesFactura()
    por_atencion = PorAtencion()
    por_telefono = PorTelefono()
    por_email = PorEmail()
    por_ci = PorCi()
    por_id_canal = PorIdCanal()


class HistorialItem(Model):
    """One history line; ``orden`` = ``f"{en}#{id}"`` so a request's entries sort oldest first."""

    class Meta:
        table_name: str | None = None
        region: str | None = None
        host: str | None = None
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    solicitud_id = UnicodeAttribute(hash_key=True)
    orden = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    en = UnicodeAttribute()
    tipo = UnicodeAttribute()
    resumen = UnicodeAttribute()
    actor = UnicodeAttribute()
    rol = UnicodeAttribute()
    canal = UnicodeAttribute()
    accion = UnicodeAttribute(null=True)
    de = UnicodeAttribute(null=True)
    a = UnicodeAttribute(null=True)
    campos = JsonAttribute(null=True)
    nota = UnicodeAttribute(null=True)


class PorFila(GlobalSecondaryIndex["ClaveItem"]):  # type: ignore[no-untyped-call]
    """Sparse: only the items of a work list (``fila``), the one waiting longest first (the pending sends)."""

    class Meta:
        index_name = "por_fila"
        projection = AllProjection()

    fila = UnicodeAttribute(hash_key=True)
    desde = UnicodeAttribute(range_key=True)


class ClaveItem(Model):
    """An item of the claves table; the key's prefix says what it is and ``estado`` where it stands:

    - a dedupe or idempotency key (``dynamo_idempotencia``): ``estado`` en_curso|completo, ``resultado``,
      ``en_curso_hasta`` epoch seconds, ``titular`` of the claim, ``entrega`` that took it;
    - a signed link's approval (``dynamo_aprobaciones``, ``aprobacion#<id>``): ``estado`` pendiente|decidida, ``vence``
      epoch seconds, ``datos``, ``decision``, ``decidida_por``, ``decidida_en``;
    - an email record (``dynamo_correo``: reply token, question, sent message, suppression): ``datos``,
      ``usado_en``, ``usado_por``, ``decision``;
    - a message sent on a channel (``dynamo_entrantes``, ``saliente#<canal>#<id>``): ``resultado``.
    - a counter of a public door's limit (``dynamo_limites``, ``limite#<what>#<window>``): ``contador``.
    - a request's queue of sends waiting for their provider (``dynamo_pendientes``, ``pendientes#<solicitud>``):
      ``fila`` and ``desde`` (the sparse index ``por_fila``), ``datos``, ``version``.

    ``expira`` is the table's TTL (absent: kept for good).
    """

    class Meta:
        table_name: str | None = None
        region: str | None = None
        host: str | None = None
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    clave = UnicodeAttribute(hash_key=True)
    estado = UnicodeAttribute()
    resultado = UnicodeAttribute(null=True)
    solicitud_id = UnicodeAttribute(null=True)
    expira = TTLAttribute(null=True)
    en_curso_hasta = NumberAttribute(null=True)
    titular = UnicodeAttribute(null=True)
    """Who holds an en_curso claim (random per claim): a retried put whose first attempt was applied finds its own."""
    entrega = UnicodeAttribute(null=True)
    """The delivery (stream record, scheduled event, inbound mail) that took an en_curso claim: its retry may retake
    it at once, because the attempt that took it is dead (``dynamo_idempotencia``)."""
    contador = NumberAttribute(null=True)
    vence = NumberAttribute(null=True)
    datos = JsonAttribute(null=True)
    decision = UnicodeAttribute(null=True)
    decidida_por = UnicodeAttribute(null=True)
    decidida_en = UnicodeAttribute(null=True)
    usado_en = UnicodeAttribute(null=True)
    usado_por = UnicodeAttribute(null=True)
    fila = UnicodeAttribute(null=True)
    desde = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)

    por_fila = PorFila()


def codigo_aws(exc: PynamoDBException) -> str | None:
    """The AWS error code behind a pynamodb error, or None when there is none (a read or connect timeout, a
    connection error): pynamodb 6.1's ``cause_response_code`` raises AttributeError then, turning a timeout into a
    crash of whoever only wanted to tell a failed condition apart."""
    respuesta = getattr(exc.cause, "response", None)
    error = respuesta.get("Error") if isinstance(respuesta, dict) else None
    return str(error.get("Code")) if isinstance(error, dict) and error.get("Code") else None


def condicion_fallida(exc: PynamoDBException) -> bool:
    """True when a conditional write was refused by its condition (nothing was written)."""
    return codigo_aws(exc) == CONDICION_FALLIDA


def actualizar_si(item: ClaveItem, acciones: Sequence[Action], condicion: Condition) -> bool:
    """One conditional UpdateItem of a claves item: False when the condition failed (nothing changed); any other
    error is raised."""
    try:
        item.update(actions=list(acciones), condition=condicion)
    except UpdateError as exc:
        if condicion_fallida(exc):
            return False
        raise
    return True


class PorEstadoEntrante(GlobalSecondaryIndex["EntranteItem"]):  # type: ignore[no-untyped-call]
    """Items in a processing state, oldest first (the pending/failed listing)."""

    class Meta:
        index_name = "por_estado"
        projection = AllProjection()

    estado = UnicodeAttribute(hash_key=True)
    recibido_en = UnicodeAttribute(range_key=True)


class EntranteItem(Model):
    """One message, lead or status of a webhook delivery."""

    class Meta:
        table_name: str | None = None
        region: str | None = None
        host: str | None = None
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        stream_view_type = "NEW_IMAGE"

    clave = UnicodeAttribute(hash_key=True)
    canal = UnicodeAttribute()
    tipo = UnicodeAttribute()
    payload = JsonAttribute()
    s3_key = UnicodeAttribute(null=True)
    cuerpo_zlib = BinaryAttribute(null=True, legacy_encoding=False)
    """A delivery's raw body, zlib-compressed (absent when it was too large for an item: then it is at s3_key)."""
    estado = UnicodeAttribute()
    intentos = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    solicitud_id = UnicodeAttribute(null=True)
    recibido_en = UnicodeAttribute()
    expira = TTLAttribute(null=True)

    por_estado = PorEstadoEntrante()


MODELOS: tuple[type[Model], ...] = (SolicitudItem, HistorialItem, ClaveItem, EntranteItem)


TIEMPOS: Final[dict[str, Any]] = {
    "connect_timeout_seconds": CONEXION_SEGUNDOS,
    "read_timeout_seconds": LECTURA_SEGUNDOS,
    "max_retry_attempts": INTENTOS - 1,
}
"""``clientes_aws``' figures in pynamodb's terms: its ``max_retry_attempts`` counts retries (total = 1 + retries) and
its client uses botocore's standard retry mode."""


def bind(settings: Settings) -> None:
    """Point every model at the settings' table names, region and endpoint (None = the AWS default), with the
    timeouts and retries of ``TIEMPOS``."""
    nombres = {
        SolicitudItem: settings.tabla_solicitudes,
        HistorialItem: settings.tabla_historial,
        ClaveItem: settings.tabla_claves,
        EntranteItem: settings.tabla_entrantes,
    }
    for modelo, nombre in nombres.items():
        meta = modelo.Meta
        actual = (meta.table_name, meta.region, meta.host, *(getattr(meta, k, None) for k in TIEMPOS))
        if actual != (nombre, settings.region, settings.dynamodb_host, *TIEMPOS.values()):
            meta.table_name = nombre
            meta.region = settings.region
            meta.host = settings.dynamodb_host
            for clave, valor in TIEMPOS.items():
                setattr(meta, clave, valor)
            modelo._connection = None


def conexion(settings: Settings) -> Connection:
    """A low-level connection for transactions (same region, endpoint, timeouts and retries as the models)."""
    return Connection(region=settings.region, host=settings.dynamodb_host, **TIEMPOS)


def crear_tablas(settings: Settings) -> None:
    """Create the missing tables (on-demand billing, stream and TTL as declared) and wait until active."""
    bind(settings)
    for modelo in MODELOS:
        if not modelo.exists():
            modelo.create_table(wait=True, billing_mode=PAY_PER_REQUEST_BILLING_MODE)
