"""The dependency rule (STYLE §2): the domain and services import nothing from AWS or the edges."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RAIZ = Path(__file__).resolve().parents[2]
PROHIBIDOS_DOMINIO = ("boto3", "botocore", "pynamodb", "chalice", "aws_lambda_powertools", "jinja2", "pydantic")
PROHIBIDOS_CHALICELIB = ("chalicelib.config", "chalicelib.adapters", "chalicelib.bootstrap", "chalicelib.services")
REGLAS = {
    "chalicelib/domain": PROHIBIDOS_DOMINIO
    + PROHIBIDOS_CHALICELIB
    + ("chalicelib.handlers.http", "chalicelib.handlers.solicitudes"),
    "chalicelib/services": PROHIBIDOS_DOMINIO
    + (
        "chalicelib.config",
        "chalicelib.adapters",
        "chalicelib.bootstrap",
        "chalicelib.handlers.http",
        "chalicelib.handlers.solicitudes",
    ),
}
EDGE = {
    "app.py": ("boto3", "pynamodb", "chalicelib.adapters"),
    "chalicelib/handlers/solicitudes.py": ("boto3", "pynamodb", "chalicelib.adapters"),
    "chalicelib/handlers/stream_solicitudes.py": ("boto3", "pynamodb", "chalicelib.adapters"),
    "chalicelib/handlers/http.py": ("boto3", "pynamodb", "chalicelib.adapters"),
    "chalicelib/handlers/consola.py": ("boto3", "pynamodb", "chalicelib.adapters"),
    "chalicelib/handlers/consola_sesion.py": ("boto3", "pynamodb", "chalicelib.adapters"),
}


def _importados(archivo: Path) -> set[str]:
    arbol = ast.parse(archivo.read_text(encoding="utf-8"))
    nombres: set[str] = set()
    for nodo in ast.walk(arbol):
        if isinstance(nodo, ast.Import):
            nombres.update(a.name for a in nodo.names)
        elif isinstance(nodo, ast.ImportFrom) and nodo.module:
            nombres.add(nodo.module)
    return nombres


def _viola(modulo: str, prohibido: str) -> bool:
    return modulo == prohibido or modulo.startswith(prohibido + ".")


CASOS = [
    (archivo, prohibidos)
    for carpeta, prohibidos in REGLAS.items()
    for archivo in sorted((RAIZ / carpeta).rglob("*.py"))
] + [(RAIZ / nombre, prohibidos) for nombre, prohibidos in EDGE.items()]


@pytest.mark.parametrize(("archivo", "prohibidos"), CASOS, ids=[str(c[0].relative_to(RAIZ)) for c in CASOS])
def test_module_respects_the_dependency_rule(archivo, prohibidos):
    # Given a module of a layer with forbidden dependencies
    # When its imports are read
    violaciones = [m for m in _importados(archivo) for p in prohibidos if _viola(m, p)]
    # Then none of them is forbidden
    assert not violaciones, f"{archivo.relative_to(RAIZ)} imports {violaciones}"


def test_the_rule_covers_every_domain_and_service_module():
    assert len([c for c in CASOS if "domain" in str(c[0])]) >= 8
    assert len([c for c in CASOS if "services" in str(c[0])]) >= 4
