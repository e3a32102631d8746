"""Decodes a requests-table stream record into the domain event it carries.

Each action writes the request with a new ``ultimo_cambio``; a record whose ``ultimo_cambio`` id did not change
(for example the escalation mark) carries no event.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.model import Solicitud


def evento_desde_registro(registro: dict[str, Any], solicitud: Solicitud | None = None) -> AccionAplicada | None:
    """The event of ``registro``; ``solicitud`` is its new image when the caller already read it (read once)."""
    from chalicelib.adapters.dynamo_solicitudes import solicitud_desde_imagen

    if registro.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    cuerpo = registro.get("dynamodb") or {}
    nueva = cuerpo.get("NewImage")
    if not nueva:
        return None
    solicitud = solicitud or solicitud_desde_imagen(nueva)
    cambio = solicitud.ultimo_cambio
    if cambio is None:
        return None
    anterior = cuerpo.get("OldImage")
    if anterior:
        previa = solicitud_desde_imagen(anterior).ultimo_cambio
        if previa is not None and previa.id == cambio.id:
            return None
    return AccionAplicada(
        solicitud_id=solicitud.id,
        cambio_id=cambio.id,
        accion=cambio.accion,
        de=cambio.de,
        a=cambio.a,
        rol=cambio.rol,
        actor=cambio.actor,
        en=cambio.en,
        campos=dict(cambio.campos),
        canal=cambio.canal,
    )
