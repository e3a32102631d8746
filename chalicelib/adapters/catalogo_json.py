"""``CatalogoPlanes`` from a JSON file (step 8): the residential plan catalogue as data.

The local stage and, until Smartflex exposes its product catalogue, every stage read
``chalicelib/data/planes.json`` (``{"planes": [{id, nombre, tecnologia, velocidad_mbps, tarifa_mensual_bs,
costo_instalacion_bs, modalidades, vigente?}]}``). A Smartflex-backed catalogue implements the same port.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from chalicelib.domain.planes import Plan

ARCHIVO_POR_DEFECTO = Path(__file__).resolve().parent.parent / "data" / "planes.json"


class JsonCatalogoPlanes:
    """Reads the file once per process; a malformed entry fails at first use (ValueError), never silently."""

    def __init__(self, archivo: Path = ARCHIVO_POR_DEFECTO) -> None:
        self._archivo = archivo

    @cached_property
    def _planes(self) -> tuple[Plan, ...]:
        datos = json.loads(self._archivo.read_text(encoding="utf-8"))
        planes = tuple(Plan.desde_dict(p) for p in datos["planes"])
        ids = [p.id for p in planes]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self._archivo.name}: plan ids must be unique")
        return planes

    def planes(self) -> list[Plan]:
        return list(self._planes)
