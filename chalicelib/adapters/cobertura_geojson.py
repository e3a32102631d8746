"""Coverage by location (step 5): zones of a GeoJSON with technology, maximum speed and availability.

The local stage ships a sample of Cochabamba zones (chalicelib/data/cobertura_cochabamba.geojson); in
production the file is exported from the GIS, or this adapter is replaced by one that queries it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Any

ARCHIVO_POR_DEFECTO = Path(__file__).resolve().parent.parent / "data" / "cobertura_cochabamba.geojson"


def _normalizar(texto: str) -> str:
    sin_tildes = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", sin_tildes.lower()).split())


def _contiene(texto: list[str], parte: list[str]) -> bool:
    return bool(parte) and any(texto[i : i + len(parte)] == parte for i in range(len(texto) - len(parte) + 1))


def _coincide(buscada: str, nombre: str) -> bool:
    """A zone name or alias matches when its words appear in the typed zone ("Barrio Queru Queru, calle 3"), or
    when the typed zone (4+ letters) is a run of its words ("Queru" for "Queru Queru")."""
    palabras, del_nombre = buscada.split(), nombre.split()
    return _contiene(palabras, del_nombre) or (len(buscada) >= 4 and _contiene(del_nombre, palabras))


class GeoJsonCobertura:
    """Answers by coordinates (point in polygon, shapely); when there are no coordinates or they fall outside
    every zone, by zone name or alias (``fuente`` says which); otherwise no coverage (``fuente = sin_zona``)."""

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
                if any(_coincide(buscada, _normalizar(n)) for n in nombres):
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
