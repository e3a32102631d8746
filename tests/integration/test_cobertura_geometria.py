"""The pure-Python point in polygon of the coverage adapter answers exactly as shapely's ``covers`` (boundary
points covered): on the real Cochabamba zones, on their vertices and edges, and on polygons with holes and
multipolygons. shapely is a development dependency only; the adapter never imports it."""

from __future__ import annotations

import ast
import json
import random
import zlib
from pathlib import Path

import pytest

from chalicelib.adapters import cobertura_geojson
from chalicelib.adapters.cobertura_geojson import ARCHIVO_POR_DEFECTO, GeoJsonCobertura, Zona

FEATURES = json.loads(ARCHIVO_POR_DEFECTO.read_text(encoding="utf-8"))["features"]


def _shapely():
    geometry = pytest.importorskip("shapely.geometry")
    prepared = pytest.importorskip("shapely.prepared")
    return geometry, prepared


def _feature(geometria: dict) -> dict:
    return {"type": "Feature", "properties": {"nombre": "prueba"}, "geometry": geometria}


def _puntos_de_prueba(feature: dict, semilla: int, cantidad: int) -> list[tuple[float, float]]:
    """Random points in the zone's bounding box grown by 20 % on each side, every vertex, points on every edge
    (midpoints and random fractions), and points a hair off each edge."""
    rng = random.Random(semilla)
    geometria = feature["geometry"]
    poligonos = [geometria["coordinates"]] if geometria["type"] == "Polygon" else geometria["coordinates"]
    anillos = [[tuple(c) for c in anillo] for poligono in poligonos for anillo in poligono]
    xs = [x for anillo in anillos for x, _ in anillo]
    ys = [y for anillo in anillos for _, y in anillo]
    margen_x, margen_y = (max(xs) - min(xs)) * 0.2, (max(ys) - min(ys)) * 0.2
    puntos = [
        (rng.uniform(min(xs) - margen_x, max(xs) + margen_x), rng.uniform(min(ys) - margen_y, max(ys) + margen_y))
        for _ in range(cantidad)
    ]
    for anillo in anillos:
        puntos += anillo
        for (x1, y1), (x2, y2) in zip(anillo, anillo[1:], strict=False):
            for t in (0.5, 0.25, rng.random(), rng.random()):
                x, y = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
                puntos += [(x, y), (x + 1e-12, y), (x - 1e-12, y), (x, y + 1e-12), (x, y - 1e-12)]
            puntos += [(x1, rng.uniform(min(ys), max(ys))), (rng.uniform(min(xs), max(xs)), y1)]
    return puntos


def _comparar(feature: dict, puntos: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points where the adapter and shapely disagree."""
    geometry, prepared = _shapely()
    referencia = prepared.prep(geometry.shape(feature["geometry"]))
    zona = Zona.de_feature(feature)
    return [(x, y) for x, y in puntos if zona.cubre(x, y) != referencia.covers(geometry.Point(x, y))]


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f["properties"]["id"])
def test_every_real_zone_covers_exactly_the_points_shapely_covers(feature):
    # Given thousands of points in and around the zone, its vertices and points on and next to its edges
    puntos = _puntos_de_prueba(feature, semilla=zlib.crc32(feature["properties"]["id"].encode()), cantidad=3000)
    # When each is asked to the adapter's zone and to shapely
    # Then they agree on every point
    assert _comparar(feature, puntos) == []


def test_the_adapter_answers_as_shapely_over_the_whole_file():
    # Given random points over the valley and the file's zones in shapely, in the file's order
    geometry, prepared = _shapely()
    zonas = [(prepared.prep(geometry.shape(f["geometry"])), f["properties"]["nombre"]) for f in FEATURES]
    cobertura = GeoJsonCobertura()
    rng = random.Random(26)
    puntos = [(rng.uniform(-17.47, -17.30), rng.uniform(-66.26, -66.00)) for _ in range(4000)]
    puntos += [(y, x) for f in FEATURES for x, y in f["geometry"]["coordinates"][0]]
    for latitud, longitud in puntos:
        # When
        respuesta = cobertura.consultar(latitud=latitud, longitud=longitud, zona=None)
        # Then the first zone shapely says covers the point is the one answered (or none)
        esperada = next((n for g, n in zonas if g.covers(geometry.Point(longitud, latitud))), None)
        assert respuesta["zona_cobertura"] == esperada, (latitud, longitud)


CUADRADO_CON_HUECO = {
    "type": "Polygon",
    "coordinates": [
        [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]],
        [[3.0, 3.0], [3.0, 7.0], [7.0, 7.0], [7.0, 3.0], [3.0, 3.0]],
    ],
}
MULTIPOLIGONO = {
    "type": "MultiPolygon",
    "coordinates": [
        CUADRADO_CON_HUECO["coordinates"],
        [[[4.0, 4.0], [6.0, 4.0], [5.0, 6.0], [4.0, 4.0]]],  # an island inside the hole
        [[[20.0, 0.0], [30.0, 1.0], [24.5, 9.3], [20.0, 0.0]], [[23.0, 2.0], [25.0, 2.5], [24.0, 5.0], [23.0, 2.0]]],
    ],
}


@pytest.mark.parametrize(
    ("punto", "cubierto"),
    [
        ((1.0, 1.0), True),  # inside the exterior
        ((5.0, 5.5), True),  # inside the island, which is inside the hole
        ((3.5, 6.5), False),  # in the hole, outside the island
        ((3.0, 5.0), True),  # on the hole's edge: boundary
        ((7.0, 7.0), True),  # on a hole's vertex
        ((0.0, 10.0), True),  # on an exterior vertex
        ((10.0, 4.2), True),  # on an exterior edge
        ((10.000001, 4.2), False),
        ((5.0, 4.0), True),  # on the island's edge
        ((25.0, 1.0), True),  # in the triangle
        ((24.0, 3.0), False),  # in the triangle's hole
        ((15.0, 5.0), False),  # between the parts
        ((-1.0, -1.0), False),
    ],
)
def test_a_multipolygon_with_holes_and_an_island_covers_its_parts_and_boundaries(punto, cubierto):
    # Given a square with a hole, an island inside the hole, and a triangle with a triangular hole
    zona = Zona.de_feature(_feature(MULTIPOLIGONO))
    # When / Then
    assert zona.cubre(*punto) is cubierto


@pytest.mark.parametrize("geometria", [CUADRADO_CON_HUECO, MULTIPOLIGONO], ids=["poligono_con_hueco", "multipoligono"])
def test_synthetic_polygons_with_holes_agree_with_shapely(geometria):
    feature = _feature(geometria)
    puntos = _puntos_de_prueba(feature, semilla=7, cantidad=4000)
    puntos += [(x / 4, y / 4) for x in range(-8, 130) for y in range(-8, 48)]  # a grid through every edge
    assert _comparar(feature, puntos) == []


def test_an_unsupported_geometry_is_refused_when_the_file_is_read():
    with pytest.raises(ValueError, match="unsupported"):
        Zona.de_feature(_feature({"type": "Point", "coordinates": [0.0, 0.0]}))


@pytest.mark.parametrize("valor", [float("nan"), float("inf"), -float("inf")])
def test_coordinates_that_are_not_numbers_fall_back_to_the_zone_name(valor):
    respuesta = GeoJsonCobertura().consultar(latitud=valor, longitud=-66.157, zona="Sarco")
    assert (respuesta["zona_cobertura"], respuesta["fuente"]) == ("Sarco", "zona")


def test_the_adapter_never_imports_shapely_or_numpy():
    arbol = ast.parse(Path(cobertura_geojson.__file__).read_text(encoding="utf-8"))
    importados = {a.name for n in ast.walk(arbol) if isinstance(n, ast.Import) for a in n.names}
    importados |= {n.module or "" for n in ast.walk(arbol) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in importados if m.split(".")[0] in ("shapely", "numpy")}
