"""Coverage by location (step 5): zones of a GeoJSON with technology, maximum speed and availability.

The local stage ships a sample of Cochabamba zones (chalicelib/data/cobertura_cochabamba.geojson); in
production the file is exported from the GIS, or this adapter is replaced by one that queries it.

Point in polygon is pure Python (no shapely/numpy in the Lambda package): GeoJSON Polygon and MultiPolygon with
holes, boundary points covered (as shapely's ``covers``). Crossings are counted like GEOS's RayCrossingCounter,
with an orientation test that falls back to exact arithmetic (``Fraction``) when the float result is too close
to zero to trust, so points on or next to an edge get the same answer as shapely.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Final

ARCHIVO_POR_DEFECTO = Path(__file__).resolve().parent.parent / "data" / "cobertura_cochabamba.geojson"

Punto = tuple[float, float]
Anillo = tuple[Punto, ...]
Caja = tuple[float, float, float, float]
"""min x, min y, max x, max y."""

_COTA_ERROR: Final = 1e-15
"""Relative error bound of the float orientation test (Shewchuk's ccwerrboundA is about 3.3e-16)."""


def _orientacion(a: Punto, b: Punto, p: Punto) -> int:
    """1 if ``p`` is left of a→b, -1 if right, 0 if on the line; exact when the float sign is uncertain."""
    izquierda = (b[0] - a[0]) * (p[1] - a[1])
    derecha = (b[1] - a[1]) * (p[0] - a[0])
    det = izquierda - derecha
    cota = _COTA_ERROR * (abs(izquierda) + abs(derecha))
    if det > cota:
        return 1
    if det < -cota:
        return -1
    ax, ay, bx, by, px, py = (Fraction(v) for v in (*a, *b, *p))
    exacto = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    return (exacto > 0) - (exacto < 0)


def _caja(puntos: Sequence[Punto]) -> Caja:
    xs, ys = [x for x, _ in puntos], [y for _, y in puntos]
    return min(xs), min(ys), max(xs), max(ys)


def _en_caja(caja: Caja, p: Punto) -> bool:
    return caja[0] <= p[0] <= caja[2] and caja[1] <= p[1] <= caja[3]


@dataclass(frozen=True)
class Poligono:
    """One polygon: its exterior ring and its holes (closed rings), and its bounding box."""

    anillos: tuple[Anillo, ...]
    caja: Caja

    @classmethod
    def de_coordenadas(cls, coordenadas: Sequence[Sequence[Sequence[float]]]) -> Poligono:
        anillos = []
        for crudo in coordenadas:
            anillo = tuple((float(c[0]), float(c[1])) for c in crudo)
            if len(anillo) < 3:
                raise ValueError("a polygon ring needs at least three positions")
            anillos.append(anillo if anillo[0] == anillo[-1] else (*anillo, anillo[0]))
        if not anillos:
            raise ValueError("a polygon needs an exterior ring")
        return cls(tuple(anillos), _caja(anillos[0]))

    def cubre(self, p: Punto) -> bool:
        """Inside or on the boundary: an odd number of ray crossings over every ring (for a valid polygon that is
        inside the exterior and outside every hole), or ``p`` on any ring."""
        if not _en_caja(self.caja, p):
            return False
        cruces = 0
        for anillo in self.anillos:
            for p1, p2 in zip(anillo, anillo[1:], strict=False):
                cruce = _cruce(p1, p2, p)
                if cruce is None:
                    return True
                cruces += cruce
        return cruces % 2 == 1


def _cruce(p1: Punto, p2: Punto, p: Punto) -> int | None:
    """Whether segment p1→p2 crosses the ray from ``p`` towards +x (1 or 0), or None if ``p`` is on it
    (GEOS RayCrossingCounter.countSegment)."""
    if p1[0] < p[0] and p2[0] < p[0]:
        return 0
    if p == p2:
        return None
    if p1[1] == p[1] and p2[1] == p[1]:
        menor, mayor = min(p1[0], p2[0]), max(p1[0], p2[0])
        return None if menor <= p[0] <= mayor else 0
    if (p1[1] > p[1] and p2[1] <= p[1]) or (p2[1] > p[1] and p1[1] <= p[1]):
        orientacion = _orientacion(p1, p2, p)
        if orientacion == 0:
            return None
        if p2[1] < p1[1]:
            orientacion = -orientacion
        return 1 if orientacion > 0 else 0
    return 0


@dataclass(frozen=True)
class Zona:
    """A zone's polygons (a GeoJSON Polygon is one, a MultiPolygon several), their bounding box, its properties."""

    poligonos: tuple[Poligono, ...]
    caja: Caja
    propiedades: dict[str, Any]

    @classmethod
    def de_feature(cls, feature: dict[str, Any]) -> Zona:
        geometria = feature["geometry"]
        tipo, coordenadas = geometria["type"], geometria["coordinates"]
        if tipo == "Polygon":
            poligonos: tuple[Poligono, ...] = (Poligono.de_coordenadas(coordenadas),)
        elif tipo == "MultiPolygon":
            poligonos = tuple(Poligono.de_coordenadas(c) for c in coordenadas)
        else:
            raise ValueError(f"unsupported coverage geometry {tipo!r} (Polygon or MultiPolygon)")
        if not poligonos:
            raise ValueError("an empty MultiPolygon covers nothing")
        esquinas = [(c[0], c[1]) for pol in poligonos for c in (pol.caja[:2], pol.caja[2:])]
        return cls(poligonos, _caja(esquinas), feature["properties"])

    def cubre(self, longitud: float, latitud: float) -> bool:
        p = (longitud, latitud)
        return _en_caja(self.caja, p) and any(pol.cubre(p) for pol in self.poligonos)


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
    """Answers by coordinates (point in polygon); when there are no coordinates or they fall outside
    every zone, by zone name or alias (``fuente`` says which); otherwise no coverage (``fuente = sin_zona``)."""

    def __init__(self, archivo: Path = ARCHIVO_POR_DEFECTO) -> None:
        self._archivo = archivo

    @cached_property
    def _zonas(self) -> list[Zona]:
        datos = json.loads(self._archivo.read_text(encoding="utf-8"))
        return [Zona.de_feature(f) for f in datos["features"]]

    def consultar(self, *, latitud: float | None, longitud: float | None, zona: str | None) -> dict[str, Any]:
        if latitud is not None and longitud is not None:
            x, y = float(longitud), float(latitud)
            if math.isfinite(x) and math.isfinite(y):
                for z in self._zonas:
                    if z.cubre(x, y):
                        return self._respuesta(z.propiedades, "coordenadas")
        if zona:
            buscada = _normalizar(zona)
            for z in self._zonas:
                props = z.propiedades
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
