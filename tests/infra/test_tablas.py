"""The template's tables are the pynamodb models' tables: same keys, attribute definitions, indexes, stream and TTL.

Every ``Model`` under ``chalicelib/adapters`` is bound to a stage's settings with its module's own ``bind``
function; the models that land on one table together (the claves table holds several) define it.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

import chalicelib.adapters
from chalicelib.config import Settings
from tests.entorno_aws import completar
from tests.infra.conftest import ETAPAS_AWS, entorno_etapa, plantilla_merge, recursos_de_tipo, resolver


def _modulos() -> list[Any]:
    return [
        importlib.import_module(m.name)
        for m in pkgutil.iter_modules(chalicelib.adapters.__path__, "chalicelib.adapters.")
    ]


def _modelos(modulos: list[Any]) -> list[type[Model]]:
    vistos: dict[str, type[Model]] = {}
    for modulo in modulos:
        for _, clase in inspect.getmembers(modulo, inspect.isclass):
            if issubclass(clase, Model) and clase is not Model and clase.__module__ == modulo.__name__:
                vistos[f"{clase.__module__}.{clase.__qualname__}"] = clase
    return list(vistos.values())


@pytest.fixture
def tablas_de_los_modelos(request) -> Iterator[dict[str, list[type[Model]]]]:
    """Table name -> the models bound to it, for the stage ``request.param``; the models' Meta is restored after."""
    etapa = request.param
    settings = Settings.from_env(completar({**entorno_etapa(etapa), "AWS_DEFAULT_REGION": "us-east-1"}, etapa))
    modulos = _modulos()
    modelos = _modelos(modulos)
    previo = {m: (m.Meta.table_name, m.Meta.region, m.Meta.host, m.__dict__.get("_connection")) for m in modelos}
    try:
        for modulo in modulos:
            for nombre, funcion in inspect.getmembers(modulo, inspect.isfunction):
                propia = funcion.__module__ == modulo.__name__ and nombre.lstrip("_").startswith("bind")
                if propia and len(inspect.signature(funcion).parameters) == 1:
                    funcion(settings)
        por_tabla: dict[str, list[type[Model]]] = defaultdict(list)
        for modelo in modelos:
            assert modelo.Meta.table_name, f"{modelo.__name__} is bound to no table by its module's bind function"
            por_tabla[modelo.Meta.table_name].append(modelo)
        yield dict(por_tabla)
    finally:
        for modelo, (tabla, region, host, conexion) in previo.items():
            modelo.Meta.table_name, modelo.Meta.region, modelo.Meta.host = tabla, region, host
            modelo._connection = conexion


def _esperada(modelos: list[type[Model]]) -> dict[str, Any]:
    """The CloudFormation properties the models imply (sorted, comparable)."""
    atributos: dict[str, str] = {}
    indices: dict[str, Any] = {}
    claves: set[tuple[str, str]] = set()
    flujos: set[str] = set()
    ttl: set[str] = set()
    for modelo in modelos:
        esquema = modelo._get_schema()
        atributos.update({a["AttributeName"]: a["AttributeType"] for a in esquema["attribute_definitions"]})
        claves |= {(k["AttributeName"], k["KeyType"]) for k in esquema["key_schema"]}
        for gsi in esquema["global_secondary_indexes"]:
            indices[gsi["index_name"]] = {
                "IndexName": gsi["index_name"],
                "KeySchema": sorted(
                    ({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in gsi["key_schema"]),
                    key=lambda k: k["KeyType"],
                ),
                "Projection": {"ProjectionType": gsi["projection"]["ProjectionType"]},
            }
        if getattr(modelo.Meta, "stream_view_type", None):
            flujos.add(modelo.Meta.stream_view_type)
        ttl |= {a.attr_name for a in modelo.get_attributes().values() if isinstance(a, TTLAttribute)}
    assert len({k for k in claves if k[1] == "HASH"}) == 1, f"models on one table disagree on the key: {claves}"
    assert len(flujos) <= 1 and len(ttl) <= 1, "one table has one stream view type and one TTL attribute"
    return {
        "AttributeDefinitions": sorted(
            ({"AttributeName": n, "AttributeType": t} for n, t in atributos.items()), key=lambda a: a["AttributeName"]
        ),
        "KeySchema": sorted(({"AttributeName": n, "KeyType": t} for n, t in claves), key=lambda k: k["KeyType"]),
        "GlobalSecondaryIndexes": [indices[n] for n in sorted(indices)],
        "StreamViewType": next(iter(flujos), None),
        "TTL": next(iter(ttl), None),
    }


def _declarada(propiedades: dict[str, Any]) -> dict[str, Any]:
    ttl = propiedades.get("TimeToLiveSpecification", {})
    return {
        "AttributeDefinitions": sorted(propiedades["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": sorted(propiedades["KeySchema"], key=lambda k: k["KeyType"]),
        "GlobalSecondaryIndexes": sorted(
            (
                {**g, "KeySchema": sorted(g["KeySchema"], key=lambda k: k["KeyType"])}
                for g in propiedades.get("GlobalSecondaryIndexes", [])
            ),
            key=lambda g: g["IndexName"],
        ),
        "StreamViewType": propiedades.get("StreamSpecification", {}).get("StreamViewType"),
        "TTL": ttl.get("AttributeName") if ttl.get("Enabled") else None,
    }


@pytest.mark.parametrize("tablas_de_los_modelos", ETAPAS_AWS, indirect=True)
def test_every_model_table_is_in_the_template_exactly_as_the_models_define_it(tablas_de_los_modelos, request):
    # Given
    etapa = request.node.callspec.params["tablas_de_los_modelos"]
    plantilla = plantilla_merge()
    declaradas = {
        resolver(r["Properties"]["TableName"], etapa, plantilla): (n, r["Properties"])
        for n, r in recursos_de_tipo(plantilla, "AWS::DynamoDB::Table").items()
    }
    # Then
    assert set(tablas_de_los_modelos) == set(declaradas), (
        "a model's table is missing from infra/template.json (or extra)"
    )
    for tabla, modelos in tablas_de_los_modelos.items():
        recurso, propiedades = declaradas[tabla]
        esperada = _esperada(modelos)
        assert _declarada(propiedades) == esperada, (
            f"{recurso} ({tabla}) differs from {[m.__name__ for m in modelos]}; expected:\n"
            + json.dumps(esperada, indent=2)
        )
