"""``Aprobaciones`` on the claves table: one item per signed link, key ``aprobacion#<id>``.

- crear: put where the key does not exist.
- decidir: set ``estado=decidida``, ``decision``, ``decidida_por``, ``decidida_en`` WHERE estado = pendiente AND
  vence > now (epoch seconds).
- reabrir: back to ``estado=pendiente`` WHERE estado = decidida AND decidida_en = the failed attempt's time.
``datos`` (JSON) holds what never changes: purpose, role, bound person, allowed decisions, dates, extra data.
``expira`` (the table's TTL) is the link's expiry plus 30 days, so a decided record outlives its link for audit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.constants import PAY_PER_REQUEST_BILLING_MODE
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.models import Model

from chalicelib.adapters.dynamo_tables import JsonAttribute
from chalicelib.config import Settings
from chalicelib.domain.enlaces import DECIDIDA, PENDIENTE, Aprobacion

PREFIJO = "aprobacion#"
DIAS_AUDITORIA = 30
_CONDICION_FALLIDA = "ConditionalCheckFailedException"


class AprobacionItem(Model):
    """An approval record in the claves table (same hash key ``clave`` as the idempotency keys)."""

    class Meta:
        table_name: str | None = None
        region: str | None = None
        host: str | None = None
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    clave = UnicodeAttribute(hash_key=True)
    estado = UnicodeAttribute()
    solicitud_id = UnicodeAttribute(null=True)
    vence = NumberAttribute()
    datos = JsonAttribute()
    decision = UnicodeAttribute(null=True)
    decidida_por = UnicodeAttribute(null=True)
    decidida_en = UnicodeAttribute(null=True)
    expira = TTLAttribute(null=True)


def _bind(settings: Settings) -> None:
    meta = AprobacionItem.Meta
    if (meta.table_name, meta.region, meta.host) != (settings.tabla_claves, settings.region, settings.dynamodb_host):
        meta.table_name = settings.tabla_claves
        meta.region = settings.region
        meta.host = settings.dynamodb_host
        AprobacionItem._connection = None


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class PynamoAprobaciones:
    def __init__(self, settings: Settings) -> None:
        _bind(settings)

    def crear(self, aprobacion: Aprobacion) -> None:
        vence = datetime.fromisoformat(aprobacion.expira_en)
        item = AprobacionItem(
            PREFIJO + aprobacion.id,
            estado=aprobacion.estado,
            solicitud_id=aprobacion.solicitud_id,
            vence=vence.timestamp(),
            datos=_datos(aprobacion),
            expira=vence + timedelta(days=DIAS_AUDITORIA),
        )
        item.save(condition=AprobacionItem.clave.does_not_exist())

    def obtener(self, aprobacion_id: str) -> Aprobacion | None:
        try:
            item = AprobacionItem.get(PREFIJO + aprobacion_id, consistent_read=True)
        except DoesNotExist:
            return None
        if not isinstance(item.datos, dict):
            return None
        return _aprobacion(item)

    def decidir(self, aprobacion_id: str, *, decision: str, por: str, en: str) -> bool:
        condicion = (
            AprobacionItem.clave.exists() & (AprobacionItem.estado == PENDIENTE) & (AprobacionItem.vence > _epoch(en))
        )
        try:
            AprobacionItem(PREFIJO + aprobacion_id).update(
                actions=[
                    AprobacionItem.estado.set(DECIDIDA),
                    AprobacionItem.decidida_en.set(en),
                    AprobacionItem.decision.set(decision),
                    AprobacionItem.decidida_por.set(por),
                ],
                condition=condicion,
            )
        except UpdateError as exc:
            if exc.cause_response_code == _CONDICION_FALLIDA:
                return False
            raise
        return True

    def reabrir(self, aprobacion_id: str, *, en: str) -> None:
        condicion = (AprobacionItem.estado == DECIDIDA) & (AprobacionItem.decidida_en == en)
        try:
            AprobacionItem(PREFIJO + aprobacion_id).update(
                actions=[
                    AprobacionItem.estado.set(PENDIENTE),
                    AprobacionItem.decision.remove(),
                    AprobacionItem.decidida_por.remove(),
                    AprobacionItem.decidida_en.remove(),
                ],
                condition=condicion,
            )
        except UpdateError as exc:
            if exc.cause_response_code != _CONDICION_FALLIDA:
                raise


def _datos(a: Aprobacion) -> dict[str, Any]:
    return {
        "id": a.id,
        "proposito": a.proposito,
        "rol": a.rol,
        "responsable": a.responsable,
        "decisiones": list(a.decisiones),
        "creada_en": a.creada_en,
        "expira_en": a.expira_en,
        "datos": a.datos,
    }


def _aprobacion(item: AprobacionItem) -> Aprobacion:
    d = item.datos
    return Aprobacion(
        id=str(d["id"]),
        solicitud_id=str(item.solicitud_id),
        proposito=str(d["proposito"]),
        rol=str(d["rol"]),
        responsable=str(d["responsable"]),
        decisiones=tuple(d["decisiones"]),
        creada_en=str(d["creada_en"]),
        expira_en=str(d["expira_en"]),
        estado=item.estado,
        decision=item.decision,
        decidida_por=item.decidida_por,
        decidida_en=item.decidida_en,
        datos=dict(d.get("datos") or {}),
    )
