"""Test data builders: a valid Solicitud and its history entries, any field overridable."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from chalicelib.domain.model import Cambio, EntradaHistorial, Solicitud

CREADA_EN = "2026-11-30T09:15:00-04:00"
_secuencia = itertools.count(1)


def nuevo_id() -> str:
    """A fresh request code in the product's shape (VD- plus 8 characters)."""
    return f"VD-T{next(_secuencia):07d}"


def make_solicitud(**overrides: Any) -> Solicitud:
    """A web request just captured (estado ``nueva``, version 1, La Paz time). Timestamps and ``mes`` follow
    ``creada_en`` unless overridden; ``ultimo_cambio`` is the capture, for the request's id."""
    solicitud_id = overrides.pop("id", None) or nuevo_id()
    creada_en = overrides.pop("creada_en", CREADA_EN)
    canal = overrides.pop("canal", "web")
    base = Solicitud(
        id=solicitud_id,
        estado="nueva",
        canal=canal,
        creada_en=creada_en,
        actualizada_en=creada_en,
        estado_desde=creada_en,
        mes=creada_en[:7],
        version=1,
        datos={"nombre": "María Quispe Mamani", "telefono": "+59171234567", "email": "maria.quispe@example.com"},
        origen={"canal": canal},
        ultimo_cambio=Cambio(
            id=f"EV-{solicitud_id}-000",
            solicitud_id=solicitud_id,
            en=creada_en,
            actor=f"prospecto:{canal}",
            rol="SISTEMA",
            canal=canal,
            accion="capturar",
            de="",
            a="nueva",
            campos={"nombre": "María Quispe Mamani"},
        ),
    )
    return replace(base, **overrides)


def make_entrada(solicitud: Solicitud, **overrides: Any) -> EntradaHistorial:
    """The history entry of the request's ``ultimo_cambio`` (or a capture entry if it has none)."""
    cambio = solicitud.ultimo_cambio
    if cambio is not None and cambio.solicitud_id == solicitud.id:
        base = EntradaHistorial.de_cambio(cambio, "Solicitud recibida.")
    else:
        base = EntradaHistorial(
            solicitud_id=solicitud.id,
            id=f"EV-{solicitud.id}-{next(_secuencia):06d}",
            en=solicitud.actualizada_en,
            tipo="accion",
            resumen="Solicitud recibida.",
        )
    return replace(base, **overrides)
