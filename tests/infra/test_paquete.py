"""The deployment zip of ``make package``: every template and every module the code imports, nothing of the local
stage, the tests or the developer routes; and its dependencies audited when the vulnerability service answers."""

from __future__ import annotations

import ast
import re
import sys
import zipfile
from pathlib import Path

import pytest

from scripts.pip_audit_ci import auditar
from scripts.podar_paquete import sobra
from tests.infra.conftest import RAIZ

pytestmark = [pytest.mark.despliegue, pytest.mark.timeout(900)]  # the first test builds the package

LIMITE_DESCOMPRIMIDO = 250 * 1024 * 1024  # Lambda's limit for a function and its layers, unzipped
NO_EMPAQUETAR = ("tests/", "localstage/", "bench/", ".chalice/", "infra/", "scripts/", "docs/", "vendor/", "out/")


def _nombres(zip_prod: Path) -> set[str]:
    with zipfile.ZipFile(zip_prod) as archivo:
        return set(archivo.namelist())


def test_the_zip_holds_every_template_under_templates(zip_prod):
    nombres = _nombres(zip_prod)
    plantillas = [p for p in (RAIZ / "templates").rglob("*") if p.is_file()]
    # Then
    assert plantillas
    faltan = [str(p.relative_to(RAIZ)) for p in plantillas if str(p.relative_to(RAIZ)) not in nombres]
    assert not faltan, f"templates missing from the zip: {faltan}"


def test_the_zip_holds_the_app_and_all_of_chalicelib(zip_prod):
    nombres = _nombres(zip_prod)
    propios = [p for p in (RAIZ / "chalicelib").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    # Then
    assert "app.py" in nombres
    faltan = [str(p.relative_to(RAIZ)) for p in propios if str(p.relative_to(RAIZ)) not in nombres]
    assert not faltan, f"chalicelib files missing from the zip: {faltan}"


def test_the_zip_holds_no_tests_local_stage_or_configuration(zip_prod):
    nombres = _nombres(zip_prod)
    # Then
    intrusos = sorted(n for n in nombres if n.startswith(NO_EMPAQUETAR) or n.endswith(("config.json", ".env")))
    assert not intrusos, intrusos[:20]


def test_the_zip_fits_the_lambda_limit(zip_prod):
    with zipfile.ZipFile(zip_prod) as archivo:
        descomprimido = sum(i.file_size for i in archivo.infolist())
    # Then
    assert descomprimido < LIMITE_DESCOMPRIMIDO


def test_every_dependency_was_packaged(registro_empaquetado):
    for etapa, registro in registro_empaquetado.items():
        # Then: chalice warns and goes on when a requirement has no Lambda-compatible wheel
        assert "Could not install dependencies" not in registro, f"{etapa}:\n{registro}"


def test_every_module_the_code_imports_is_in_the_zip(zip_prod):
    # Given: every absolute import of app.py and chalicelib (also the lazy ones inside functions)
    importados: dict[str, str] = {}
    for ruta in [RAIZ / "app.py", *sorted((RAIZ / "chalicelib").rglob("*.py"))]:
        for nodo in ast.walk(ast.parse(ruta.read_text(encoding="utf-8"))):
            if isinstance(nodo, ast.Import):
                nombres = [a.name for a in nodo.names]
            elif isinstance(nodo, ast.ImportFrom) and nodo.level == 0 and nodo.module:
                nombres = [nodo.module]
            else:
                continue
            for nombre in nombres:
                importados.setdefault(nombre.split(".")[0], str(ruta.relative_to(RAIZ)))
    raices = {n.split("/")[0].removesuffix(".py") for n in _nombres(zip_prod)}
    # Then (localstage is imported by app.py only on the local stage)
    faltan = {
        m: donde
        for m, donde in importados.items()
        if m not in sys.stdlib_module_names and m not in raices and m != "localstage"
    }
    assert not faltan, f"imported but not packaged (add them to requirements.txt): {faltan}"


def test_the_packaged_app_has_no_developer_routes_and_loads_no_local_stage_code(app_empaquetada, zip_extraido):
    # Then
    assert app_empaquetada["origen_app"].startswith(str(zip_extraido))
    assert app_empaquetada["rutas"], "the packaged app registers its routes"
    assert not [r for r in app_empaquetada["rutas"] if r == "/dev" or r.startswith("/dev/")]
    assert app_empaquetada["modulos"] == []


def test_the_pruned_package_still_formats_spanish_and_parses_bolivian_numbers(app_empaquetada, zip_prod):
    # Given: make package removes unused locale data, phone geodata and third-party tests (scripts/podar_paquete.py)
    nombres = _nombres(zip_prod)
    humo = app_empaquetada["humo"]
    # Then
    assert not [n for n in nombres if sobra(n)]
    assert {"babel/locale-data/es_BO.dat", "babel/locale-data/es_419.dat", "babel/locale-data/root.dat"} <= nombres
    assert humo["monto"] == "1.234,50"
    assert humo["fecha"] == "6 de agosto de 2026"
    assert humo["telefono"] == "+59171234567"
    assert humo["feriado"]


def test_the_code_never_loads_the_pruned_phone_data():
    codigo = "\n".join(p.read_text(encoding="utf-8") for p in sorted((RAIZ / "chalicelib").rglob("*.py")))
    # Then
    assert not re.search(r"phonenumbers(\.| import )(geocoder|carrier|timezone)", codigo)


def test_the_shipped_dependencies_have_no_known_vulnerability(zip_extraido):
    # When: pip-audit over the distributions inside the zip (exactly what ships, transitive ones included)
    resultado = auditar(ruta=zip_extraido)
    # Then
    if resultado.estado == "sin_servicio":
        pytest.skip(f"pip-audit: NOT AUDITED, vulnerability service unreachable ({resultado.detalle})")
    assert resultado.estado == "limpio", "\n".join([resultado.detalle, *resultado.vulnerabilidades])
