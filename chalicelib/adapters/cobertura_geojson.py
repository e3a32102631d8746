"""Coverage by location (step 5): zones of a GeoJSON with technology, maximum speed and availability.

The local stage ships a sample of Cochabamba zones (chalicelib/data/cobertura_cochabamba.geojson); in
production the file is exported from the GIS, or this adapter is replaced by one that queries it.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Any

ARCHIVO_POR_DEFECTO = Path(__file__).resolve().parent.parent / "data" / "cobertura_cochabamba.geojson"


def _normalizar(texto: str) -> str:
    sin_tildes = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    return " ".join(sin_tildes.lower().split())


class GeoJsonCobertura:
    """Answers by coordinates (point in polygon, shapely) and, without coordinates, by zone name or alias."""

    def __init__(self, archivo: Path = ARCHIVO_POR_DEFECTO) -> None:
        self._archivo = archivo

    @cached_property
    def _zonas(self) -> list[tuple[Any, dict[str, Any]]]:
        from shapely.geometry import shape
        from shapely.prepared import prep

        datos = json.loads(self._archivo.read_text(encoding="utf-8"))
        return [(prep(shape(f["geometry"])), f["properties"]) for f in datos["features"]]

    def consultar(self, *, latitud: float | None, longitud: float | None, zona: str | None) -> dict[str, Any]:
        if latitud is not None and longitud is not None:
            from shapely.geometry import Point

            punto = Point(float(longitud), float(latitud))
            for geometria, props in self._zonas:
                if geometria.covers(punto):
                    return self._respuesta(props, "coordenadas")
        if zona:
            buscada = _normalizar(zona)
            for _, props in self._zonas:
                nombres = [props["nombre"], *props.get("alias", [])]
                if any(_normalizar(n) in buscada or buscada in _normalizar(n) for n in nombres):
                    return self._respuesta(props, "zona")
        return {
            "disponible": False,
            "tecnologia": None,
            "velocidad_maxima_mbps": 0,
            "zona_cobertura": None,
            "fuente": "sin_zona",
        }

    @staticmethod
    def _respuesta(props: dict[str, Any], fuente: str) -> dict[str, Any]:
        return {
            "disponible": bool(props["disponible"]),
            "tecnologia": props.get("tecnologia"),
            "velocidad_maxima_mbps": props.get("velocidad_maxima_mbps") or 0,
            "zona_cobertura": props["nombre"],
            "fuente": fuente,
        }
