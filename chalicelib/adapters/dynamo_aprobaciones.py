"""``Aprobaciones`` on the claves table: one item per signed link, key ``aprobacion#<id>``.

- crear: put where the key does not exist.
- decidir: set ``estado=decidida``, ``decision``, ``decidida_por``, ``decidida_en`` WHERE estado = pendiente AND
  vence > now (epoch seconds).
- reabrir: back to ``estado=pendiente`` WHERE estado = decidida AND decidida_en = the failed attempt's time.
``datos`` (JSON) holds what never changes: purpose, role, bound person, allowed decisions, dates, extra data.
``expira`` (the table's TTL) is the link's expiry plus 30 days, so a decided record outlives its link for audit.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo_tables import ClaveItem, actualizar_si, bind
from chalicelib.config import Settings
from chalicelib.domain.enlaces import DECIDIDA, PENDIENTE, Aprobacion

PREFIJO = "aprobacion#"
DIAS_AUDITORIA = 30


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class PynamoAprobaciones:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    def crear(self, aprobacion: Aprobacion) -> None:
        vence = datetime.fromisoformat(aprobacion.expira_en)
        item = ClaveItem(
            PREFIJO + aprobacion.id,
            estado=aprobacion.estado,
            solicitud_id=aprobacion.solicitud_id,
            vence=vence.timestamp(),
            datos=_datos(aprobacion),
            expira=vence + timedelta(days=DIAS_AUDITORIA),
        )
        item.save(condition=ClaveItem.clave.does_not_exist())

    def obtener(self, aprobacion_id: str) -> Aprobacion | None:
        try:
            item = ClaveItem.get(PREFIJO + aprobacion_id, consistent_read=True)
        except DoesNotExist:
            return None
        if not isinstance(item.datos, dict):
            return None
        return _aprobacion(item)

    def decidir(self, aprobacion_id: str, *, decision: str, por: str, en: str) -> bool:
        condicion = ClaveItem.clave.exists() & (ClaveItem.estado == PENDIENTE) & (ClaveItem.vence > _epoch(en))
        titular = uuid.uuid4().hex
        acciones = [
            ClaveItem.estado.set(DECIDIDA),
            ClaveItem.decidida_en.set(en),
            ClaveItem.decision.set(decision),
            ClaveItem.decidida_por.set(por),
            ClaveItem.titular.set(titular),
        ]
        if actualizar_si(ClaveItem(PREFIJO + aprobacion_id), acciones, condicion):
            return True
        # The client's retry of an update that was applied but whose answer was lost finds its own decision (its
        # random ``titular``): it is ours, not someone else's.
        try:
            return bool(ClaveItem.get(PREFIJO + aprobacion_id, consistent_read=True).titular == titular)
        except DoesNotExist:
            return False

    def reabrir(self, aprobacion_id: str, *, en: str) -> None:
        condicion = (ClaveItem.estado == DECIDIDA) & (ClaveItem.decidida_en == en)
        acciones = [
            ClaveItem.estado.set(PENDIENTE),
            ClaveItem.decision.remove(),
            ClaveItem.decidida_por.remove(),
            ClaveItem.decidida_en.remove(),
            ClaveItem.titular.remove(),
        ]
        actualizar_si(ClaveItem(PREFIJO + aprobacion_id), acciones, condicion)


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


def _aprobacion(item: ClaveItem) -> Aprobacion:
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
