"""Import guard (issue 9, B4): importing the handler module loads nothing it does not need at import time.

A Lambda cold start pays for every module ``app.py`` pulls in before the first event. AWS clients, pynamodb's
models, the report's chart and spreadsheet, the PDF builder, the coverage geometry, templates, the phone, holiday,
locale and email libraries and pydantic are all loaded on first use instead (adapters and services import them
inside the function that needs them). This test imports ``app`` in a fresh interpreter, as Lambda does, and reads
``sys.modules``; it measures no time (``make bench`` does, in B4). If it fails, move the named import into the
function that uses it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RAIZ = Path(__file__).resolve().parents[2]

NO_AL_IMPORTAR = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "pynamodb",
    "matplotlib",
    "numpy",
    "PIL",
    "openpyxl",
    "fpdf",
    "shapely",
    "jinja2",
    "phonenumbers",
    "holidays",
    "babel",
    "email_validator",
    "pydantic",
    "jwt",
    "cryptography",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.utilities.idempotency",
    "requests",
    "moto",
    "tests",
    "bench",
)
"""Modules (and their submodules) that importing ``app`` must not load. The bare ``botocore`` package is allowed:
Powertools imports it (``aws_lambda_powertools.shared.user_agent``) to register a user-agent hook, which loads only
its ``__init__``; any botocore submodule (sessions, clients, the JSON models) is refused."""

PROGRAMA = "import json, sys\nimport app\nprint(json.dumps(sorted(sys.modules)))"


def _entorno(etapa: str) -> dict[str, str]:
    config = json.loads((RAIZ / ".chalice" / "config.json").read_text(encoding="utf-8"))
    entorno = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    entorno.update(config.get("environment_variables", {}))
    entorno.update(config["stages"][etapa].get("environment_variables", {}))
    entorno["AWS_DEFAULT_REGION"] = "us-east-1"
    entorno["PYTHONDONTWRITEBYTECODE"] = "1"
    return entorno


def _modulos_tras_importar_app(etapa: str) -> set[str]:
    proceso = subprocess.run(
        [sys.executable, "-c", PROGRAMA],
        cwd=RAIZ,
        env=_entorno(etapa),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proceso.returncode == 0, f"`import app` failed on stage {etapa}:\n{proceso.stderr[-3000:]}"
    return set(json.loads(proceso.stdout.strip().splitlines()[-1]))


def _cargados(modulos: set[str], prohibido: str) -> list[str]:
    return sorted(m for m in modulos if m == prohibido or m.startswith(prohibido + "."))


@pytest.fixture(scope="module")
def modulos() -> dict[str, set[str]]:
    return {etapa: _modulos_tras_importar_app(etapa) for etapa in ("local", "prod")}


@pytest.mark.parametrize("etapa", ["local", "prod"])
def test_importing_the_app_loads_no_module_it_does_not_need_at_import(modulos, etapa):
    # Given a fresh interpreter with the stage's environment
    # When it imports the handler module
    cargados = modulos[etapa]
    # Then the app and its handlers are there, and none of the modules kept for first use
    assert {"app", "chalice", "chalicelib.bootstrap", "chalicelib.handlers.solicitudes"} <= cargados
    fugas = {p: _cargados(cargados, p) for p in NO_AL_IMPORTAR if _cargados(cargados, p)}
    assert not fugas, f"importing app on stage {etapa} loads {fugas}; import them where they are used"


def test_the_prod_stage_imports_no_local_stage_module(modulos):
    # Given the prod stage's environment, When app is imported, Then no developer route module is loaded
    assert not _cargados(modulos["prod"], "localstage")
    assert _cargados(modulos["local"], "localstage"), "the local stage registers its developer routes"
