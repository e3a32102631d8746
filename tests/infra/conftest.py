"""Infrastructure tests: the stage configuration, the IAM policy files, the merge template and the built package.

Tests marked ``despliegue`` build the package with ``make package`` (once per test run, shared by the xdist
workers through a lock) and need PyPI; deselect them with ``-m "not despliegue"``.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

RAIZ = Path(__file__).resolve().parents[2]
ETAPAS_AWS = ("dev", "prod")
ETAPA_EMPAQUETADA_IMPORTADA = "prod"


def config_chalice() -> dict[str, Any]:
    return json.loads((RAIZ / ".chalice" / "config.json").read_text(encoding="utf-8"))


def entorno_etapa(etapa: str) -> dict[str, str]:
    """The environment a stage's functions get: top-level variables overridden by the stage's."""
    config = config_chalice()
    return {**config.get("environment_variables", {}), **config["stages"][etapa].get("environment_variables", {})}


def plantilla_merge() -> dict[str, Any]:
    return json.loads((RAIZ / "infra" / "template.json").read_text(encoding="utf-8"))


def politica(etapa: str) -> dict[str, Any]:
    nombre = config_chalice()["stages"][etapa]["iam_policy_file"]
    return json.loads((RAIZ / ".chalice" / nombre).read_text(encoding="utf-8"))


def recursos_de_tipo(plantilla: Mapping[str, Any], tipo: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in plantilla["Resources"].items() if r.get("Type") == tipo}


def resolver(valor: Any, etapa: str, plantilla: Mapping[str, Any]) -> Any:
    """Evaluate the few intrinsics used for names (FindInMap on the stage, Ref Stage, Sub of ${Stage})."""
    if isinstance(valor, dict) and "Fn::FindInMap" in valor:
        mapa, _, clave = valor["Fn::FindInMap"]
        return plantilla["Mappings"][mapa][etapa][clave]
    if isinstance(valor, dict) and valor.get("Ref") == "Stage":
        return etapa
    if isinstance(valor, dict) and isinstance(valor.get("Fn::Sub"), str):
        return valor["Fn::Sub"].replace("${Stage}", etapa)
    return valor


@pytest.fixture(scope="session")
def directorio_paquetes(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Path]:
    """``make package`` for both AWS stages, built once per run (the first worker builds, the others wait).

    The lock lives in the working tree (git-ignored ``.chalice/deployments``): chalice's dependency cache and
    ``vendor/templates`` are shared by every build of this checkout, so two test runs never package at once."""
    base = tmp_path_factory.getbasetemp()
    compartido = base if worker_id == "master" else base.parent
    destino = compartido / "paquetes-vd"
    destino.mkdir(exist_ok=True)
    (RAIZ / ".chalice" / "deployments").mkdir(parents=True, exist_ok=True)
    with (RAIZ / ".chalice" / "deployments" / ".make-package.lock").open("w") as cerrojo:
        fcntl.flock(cerrojo, fcntl.LOCK_EX)
        try:
            for etapa in ETAPAS_AWS:
                if not (destino / etapa / "listo").is_file():
                    _empaquetar(etapa, destino)
        finally:
            fcntl.flock(cerrojo, fcntl.LOCK_UN)
    yield destino


def _empaquetar(etapa: str, destino: Path) -> None:
    entorno = {k: v for k, v in os.environ.items() if not k.startswith(("VD_", "AWS_", "POWERTOOLS_"))}
    proceso = subprocess.run(  # the documented command, nothing else
        # (-o: the test run's virtualenv is what it is; never reinstall it from inside a test)
        ["make", "--no-print-directory", "-o", ".venv/.installed", "-o", ".venv/.run-installed"]
        + ["package", f"STAGE={etapa}", f"OUT={destino}"],
        cwd=RAIZ,
        env=entorno,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    (destino / f"{etapa}.log").write_text(proceso.stdout + proceso.stderr, encoding="utf-8")
    if proceso.returncode != 0:
        pytest.fail(f"make package STAGE={etapa} failed:\n{proceso.stdout[-3000:]}\n{proceso.stderr[-3000:]}")
    (destino / etapa / "listo").write_text("ok")


@pytest.fixture(scope="session")
def sam(directorio_paquetes: Path) -> dict[str, dict[str, Any]]:
    """The packaged (merged) template of each AWS stage."""
    return {e: json.loads((directorio_paquetes / e / "sam.json").read_text(encoding="utf-8")) for e in ETAPAS_AWS}


@pytest.fixture(scope="session")
def registro_empaquetado(directorio_paquetes: Path) -> dict[str, str]:
    return {e: (directorio_paquetes / f"{e}.log").read_text(encoding="utf-8") for e in ETAPAS_AWS}


@pytest.fixture(scope="session")
def zip_prod(directorio_paquetes: Path) -> Path:
    return directorio_paquetes / ETAPA_EMPAQUETADA_IMPORTADA / "deployment.zip"


@pytest.fixture(scope="session")
def zip_extraido(zip_prod: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _extraer(zip_prod, tmp_path_factory.mktemp("zip-prod"))


@pytest.fixture(scope="session")
def capa_prod(directorio_paquetes: Path) -> Path:
    """The monthly report's layer (matplotlib and its stack), attached only to the report functions."""
    return directorio_paquetes / ETAPA_EMPAQUETADA_IMPORTADA / "capa-informes.zip"


@pytest.fixture(scope="session")
def capa_extraida(capa_prod: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer as Lambda mounts it at ``/opt``: its ``python/`` folder is what goes on ``sys.path``."""
    return _extraer(capa_prod, tmp_path_factory.mktemp("capa-prod"))


def ejecutar_empaquetado(programa: str, rutas: list[Path], *, timeout: int = 120) -> dict[str, Any]:
    """Run ``programa`` as Lambda would see the package (prod stage): ``-S`` (no site-packages), ``rutas`` first on
    ``sys.path`` in Lambda's order (function code, then layers), from the first one; returns its last line's JSON."""
    prologo = f"import sys\nsys.path[0:0] = {[str(r) for r in rutas]!r}\n"
    entorno = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_DEFAULT_REGION": "us-east-1",
        **entorno_etapa(ETAPA_EMPAQUETADA_IMPORTADA),
    }
    proceso = subprocess.run(
        [sys.executable, "-S", "-c", prologo + programa],
        cwd=rutas[0],
        env=entorno,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proceso.returncode == 0, f"the packaged code failed:\n{proceso.stderr[-4000:]}"
    resultado: dict[str, Any] = json.loads(proceso.stdout.strip().splitlines()[-1])
    return resultado


@pytest.fixture(scope="session")
def app_empaquetada(zip_extraido: Path) -> dict[str, Any]:
    """What the packaged app registers when Lambda imports it (prod stage), from the extracted zip alone:
    the interpreter runs with ``-S`` (no site-packages), so only the zip and the standard library are visible."""
    programa = """
import json, sys
import app
from chalice.app import ScheduledEventConfig, DynamoDBEventConfig, SNSEventConfig, SQSEventConfig
fuentes = []
for f in app.app.event_sources:
    d = {"tipo": type(f).__name__, "nombre": f.name, "handler": f.handler_string}
    if isinstance(f, ScheduledEventConfig):
        e = f.schedule_expression
        d["expresion"] = e if isinstance(e, str) else e.to_string()
    if isinstance(f, SNSEventConfig):
        d["topico"] = f.topic
    fuentes.append(d)
from babel.dates import format_date
from babel.numbers import format_decimal
import datetime, holidays, phonenumbers
numero = phonenumbers.parse("71234567", "BO")
humo = {
    "monto": format_decimal(1234.5, format="#,##0.00", locale="es_BO"),
    "fecha": format_date(datetime.date(2026, 8, 6), format="long", locale="es_BO"),
    "telefono": phonenumbers.format_number(numero, phonenumbers.PhoneNumberFormat.E164),
    "feriado": holidays.country_holidays("BO", years=2026).get(datetime.date(2026, 8, 6)),
}
print(json.dumps({
    "humo": humo,
    "rutas": sorted(app.app.routes),
    "fuentes": fuentes,
    "funciones": [{"nombre": f.name, "handler": f.handler_string} for f in app.app.pure_lambda_functions],
    "modulos": sorted(m for m in sys.modules if m.split(".")[0] in ("localstage", "tests", "moto", "bench")),
    "origen_app": app.__file__,
}))
"""
    return ejecutar_empaquetado(programa, [zip_extraido])


def _extraer(zip_: Path, destino: Path) -> Path:
    with zipfile.ZipFile(zip_) as archivo:
        archivo.extractall(destino)
    return destino
