"""The dependency rule (STYLE §2), enforced on the source: the domain and services import nothing from AWS or the
edges, handlers reach adapters only through the composition root, shipped code never imports the local stage, and
no two chalicelib modules import each other (directly or around a circle, even through a function-level or a
``TYPE_CHECKING`` import)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

RAIZ = Path(__file__).resolve().parents[2]
PROHIBIDOS_DOMINIO = ("boto3", "botocore", "pynamodb", "chalice", "aws_lambda_powertools", "jinja2", "pydantic")
BORDES = ("chalicelib.handlers", "chalicelib.openapi", "localstage")
REGLAS = {
    "chalicelib/domain": PROHIBIDOS_DOMINIO
    + ("chalicelib.config", "chalicelib.adapters", "chalicelib.bootstrap", "chalicelib.services")
    + BORDES,
    "chalicelib/services": PROHIBIDOS_DOMINIO
    + ("chalicelib.config", "chalicelib.adapters", "chalicelib.bootstrap")
    + BORDES,
    "chalicelib/adapters": ("chalicelib.services", "chalicelib.bootstrap") + BORDES,
    "chalicelib/handlers": ("boto3", "botocore", "pynamodb", "chalicelib.adapters", "localstage"),
    "chalicelib/openapi": ("boto3", "pynamodb", "chalicelib.adapters", "chalicelib.services", "localstage"),
    "chalicelib": ("localstage",),
}
EDGE = {"app.py": ("boto3", "pynamodb", "chalicelib.adapters")}


def _importados(archivo: Path) -> set[str]:
    arbol = ast.parse(archivo.read_text(encoding="utf-8"))
    nombres: set[str] = set()
    for nodo in ast.walk(arbol):
        if isinstance(nodo, ast.Import):
            nombres.update(a.name for a in nodo.names)
        elif isinstance(nodo, ast.ImportFrom) and nodo.module:
            nombres.add(nodo.module)
            nombres.update(f"{nodo.module}.{a.name}" for a in nodo.names)
    return nombres


def _viola(modulo: str, prohibido: str) -> bool:
    return modulo == prohibido or modulo.startswith(prohibido + ".")


def _casos() -> list[tuple[Path, tuple[str, ...]]]:
    """Each file with the union of the rules of every folder it is under."""
    prohibidos: dict[Path, tuple[str, ...]] = {}
    for carpeta, reglas in REGLAS.items():
        for archivo in sorted((RAIZ / carpeta).rglob("*.py")):
            prohibidos[archivo] = tuple(dict.fromkeys(prohibidos.get(archivo, ()) + reglas))
    for nombre, reglas in EDGE.items():
        prohibidos[RAIZ / nombre] = reglas
    return sorted(prohibidos.items())


CASOS = _casos()


@pytest.mark.parametrize(("archivo", "prohibidos"), CASOS, ids=[str(c[0].relative_to(RAIZ)) for c in CASOS])
def test_module_respects_the_dependency_rule(archivo, prohibidos):
    # Given a module of a layer with forbidden dependencies
    # When its imports are read
    violaciones = sorted({m for m in _importados(archivo) for p in prohibidos if _viola(m, p)})
    # Then none of them is forbidden
    assert not violaciones, f"{archivo.relative_to(RAIZ)} imports {violaciones}"


def test_the_rule_covers_every_layer():
    for capa, minimo in (("domain", 8), ("services", 4), ("adapters", 8), ("handlers", 8)):
        assert len([c for c in CASOS if f"/{capa}/" in str(c[0])]) >= minimo, capa


# --- no import circles -----------------------------------------------------------------------------------------------


def _modulos() -> dict[str, Path]:
    modulos = {}
    for archivo in (RAIZ / "chalicelib").rglob("*.py"):
        partes = list(archivo.relative_to(RAIZ).with_suffix("").parts)
        if partes[-1] == "__init__":
            partes = partes[:-1]
        modulos[".".join(partes)] = archivo
    return modulos


def grafo_de_importaciones(modulos: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the chalicelib modules it imports (``from pkg import mod`` counts as importing ``pkg.mod``)."""
    grafo = {}
    for nombre, archivo in modulos.items():
        destinos = set()
        for importado in _importados(archivo):
            while importado and importado not in modulos:
                importado = importado.rpartition(".")[0]
            if importado and importado != nombre:
                destinos.add(importado)
        grafo[nombre] = destinos
    return grafo


def circulos(grafo: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    indice: dict[str, int] = {}
    bajo: dict[str, int] = {}
    pila: list[str] = []
    en_pila: set[str] = set()
    encontrados: list[list[str]] = []
    for inicio in grafo:
        if inicio in indice:
            continue
        trabajo = [(inicio, iter(grafo.get(inicio, ())))]
        indice[inicio] = bajo[inicio] = len(indice)
        pila.append(inicio)
        en_pila.add(inicio)
        while trabajo:
            nodo, vecinos = trabajo[-1]
            siguiente = next((v for v in vecinos if v not in indice or v in en_pila), None)
            if siguiente is not None:
                if siguiente not in indice:
                    indice[siguiente] = bajo[siguiente] = len(indice)
                    pila.append(siguiente)
                    en_pila.add(siguiente)
                    trabajo.append((siguiente, iter(grafo.get(siguiente, ()))))
                else:
                    bajo[nodo] = min(bajo[nodo], indice[siguiente])
                continue
            trabajo.pop()
            if trabajo:
                bajo[trabajo[-1][0]] = min(bajo[trabajo[-1][0]], bajo[nodo])
            if bajo[nodo] == indice[nodo]:
                componente = []
                while True:
                    miembro = pila.pop()
                    en_pila.discard(miembro)
                    componente.append(miembro)
                    if miembro == nodo:
                        break
                if len(componente) > 1:
                    encontrados.append(sorted(componente))
    return encontrados


def test_no_two_chalicelib_modules_import_each_other():
    # Given every import of every chalicelib module, function-level and TYPE_CHECKING ones included
    grafo = grafo_de_importaciones(_modulos())
    # When the circles are looked for
    # Then there is none
    assert circulos(grafo) == []


def test_the_circle_finder_finds_a_planted_circle():
    grafo = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert circulos(grafo) == [["a", "b", "c"]]


def test_a_chalicelib_import_of_the_local_stage_is_caught(tmp_path):
    archivo = tmp_path / "modulo.py"
    archivo.write_text("def f():\n    from localstage.dev_api import personas\n", encoding="utf-8")
    assert any(_viola(m, "localstage") for m in _importados(archivo))
