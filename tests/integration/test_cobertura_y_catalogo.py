"""Step 5 and step 8 data: the sample coverage of Cochabamba answers by coordinates, by zone name, or says there
is no coverage; the plan catalogue is well formed and has an offer for every covered zone."""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters.catalogo_json import JsonCatalogoPlanes
from chalicelib.adapters.cobertura_geojson import ARCHIVO_POR_DEFECTO, GeoJsonCobertura
from chalicelib.domain.actions import TECNOLOGIAS
from chalicelib.domain.planes import planes_elegibles
from tests.factories import make_solicitud

ZONAS = json.loads(ARCHIVO_POR_DEFECTO.read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def cobertura() -> GeoJsonCobertura:
    return GeoJsonCobertura()


@pytest.mark.parametrize(
    ("latitud", "longitud", "zona", "tecnologia", "maxima"),
    [
        (-17.3935, -66.157, "Centro (Casco Viejo)", "FTTH", 300),  # Plaza 14 de Septiembre
        (-17.3750, -66.150, "Queru Queru", "FTTH", 500),
        (-17.3800, -66.182, "Sarco", "HFC", 100),
        (-17.4000, -66.035, "Sacaba", "ADSL", 20),
        (-17.3350, -66.210, "Tiquipaya", "INALAMBRICO", 20),
    ],
)
def test_coordinates_inside_a_zone_answer_its_technology_and_maximum_speed(
    cobertura, latitud, longitud, zona, tecnologia, maxima
):
    # Given / When
    respuesta = cobertura.consultar(latitud=latitud, longitud=longitud, zona=None)

    # Then
    assert respuesta == {
        "disponible": True,
        "tecnologia": tecnologia,
        "velocidad_maxima_mbps": maxima,
        "zona_cobertura": zona,
        "fuente": "coordenadas",
    }


def test_a_zone_without_network_answers_not_available(cobertura):
    respuesta = cobertura.consultar(latitud=-17.43, longitud=-66.125, zona=None)
    assert respuesta["zona_cobertura"] == "Valle Hermoso" and respuesta["disponible"] is False
    assert respuesta["velocidad_maxima_mbps"] == 0


@pytest.mark.parametrize(
    ("zona", "esperada"),
    [
        ("Queru Queru", "Queru Queru"),
        ("queru", "Queru Queru"),
        ("Barrio Cala Cala, calle Man Césped", "Cala Cala"),
        ("HIPÓDROMO", "Sarco"),
        ("Plaza 14 de Septiembre", "Centro (Casco Viejo)"),
        ("Villa Pagador", "Villa Pagador"),
    ],
)
def test_without_coordinates_the_zone_name_or_an_alias_answers(cobertura, zona, esperada):
    respuesta = cobertura.consultar(latitud=None, longitud=None, zona=zona)
    assert respuesta["zona_cobertura"] == esperada and respuesta["fuente"] == "zona"


def test_coordinates_outside_every_zone_fall_back_to_the_zone_name(cobertura):
    # Given coordinates far from Cochabamba (e.g. swapped by mistake) and a known zone
    respuesta = cobertura.consultar(latitud=-66.157, longitud=-17.39, zona="Aranjuez")
    assert respuesta["zona_cobertura"] == "Aranjuez" and respuesta["fuente"] == "zona"


@pytest.mark.parametrize("zona", [None, "", "Sur", "la", "Oruro"])
def test_a_location_outside_every_zone_has_no_coverage(cobertura, zona):
    # Given coordinates in no zone and an unknown or too short zone name
    respuesta = cobertura.consultar(latitud=-17.60, longitud=-66.50, zona=zona)

    # Then
    assert respuesta == {
        "disponible": False,
        "tecnologia": None,
        "velocidad_maxima_mbps": 0,
        "zona_cobertura": None,
        "fuente": "sin_zona",
    }


def test_the_sample_zones_are_valid_distinct_polygons_with_complete_properties():
    shape = pytest.importorskip("shapely.geometry").shape  # development only: the adapter is pure Python
    geometrias = [shape(z["geometry"]) for z in ZONAS]
    assert all(g.is_valid and g.area > 0 for g in geometrias)
    assert all(a.intersection(b).area == 0 for i, a in enumerate(geometrias) for b in geometrias[i + 1 :])
    tecnologias = {t for t, _ in TECNOLOGIAS}
    for zona in ZONAS:
        p = zona["properties"]
        assert {"id", "nombre", "alias", "tecnologia", "velocidad_maxima_mbps", "disponible"} <= set(p)
        assert (p["tecnologia"] in tecnologias and p["velocidad_maxima_mbps"] > 0) if p["disponible"] else True
        assert -17.5 < shape(zona["geometry"]).centroid.y < -17.3, "the sample stays in the Cochabamba valley"


def test_the_catalogue_has_unique_plans_of_known_technologies_and_payment_forms():
    planes = JsonCatalogoPlanes().planes()
    tecnologias = {t for t, _ in TECNOLOGIAS}
    assert len({p.id for p in planes}) == len(planes) >= 10
    assert all(p.tecnologia in tecnologias and p.tarifa_mensual_bs > 0 for p in planes)
    assert {m for p in planes for m in p.modalidades} == {"prepago", "pospago"}


@pytest.mark.parametrize(
    "zona", [z for z in ZONAS if z["properties"]["disponible"]], ids=lambda z: z["properties"]["id"]
)
def test_every_covered_zone_has_at_least_one_plan_to_offer(zona):
    # Given a request located in the zone, Help Desk confirming the zone's maximum
    p = zona["properties"]
    s = make_solicitud(
        cobertura={
            "disponible": True,
            "tecnologia": p["tecnologia"],
            "velocidad_maxima_mbps": p["velocidad_maxima_mbps"],
        },
        capacidad={"velocidad_maxima_mbps": p["velocidad_maxima_mbps"], "confirmada": True},
    )

    # When / Then
    assert planes_elegibles(JsonCatalogoPlanes().planes(), s)
