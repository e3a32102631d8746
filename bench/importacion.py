"""B4: cold import of the handler module — what a Lambda cold start pays before the first event — against
``import boto3`` alone, each in a fresh interpreter (``python -c ...``), interleaved run by run.

Same interpreter (this virtualenv's), same working directory (the repository), the local stage's environment
(``.chalice/config.json`` stage ``local``, no moto endpoint: importing must not need AWS), and a bytecode cache of
their own (``PYTHONPYCACHEPREFIX`` in a temporary directory, so the repository gets no ``__pycache__``). A bare ``python -c pass``
is measured too, so the interpreter's own start can be subtracted. Target (issue 9): ``import app`` at most
``import boto3`` + 150 ms. One extra run with ``-X importtime`` shows which packages the time goes to.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.comun import RAIZ

PROGRAMAS = {"vacio": "pass", "boto3": "import boto3", "app": "import app"}
OBJETIVO_MS = 150.0


def _entorno(cache: str, *, compilado: bool) -> dict[str, str]:
    """The local stage's environment; bytecode in ``cache`` (``PYTHONPYCACHEPREFIX``): written by a warm-up run
    and read by every measured run when ``compilado``, else never written (every module compiled on each run)."""
    from localstage.entorno import entorno_local

    entorno = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    entorno.update(entorno_local())
    entorno["PYTHONPYCACHEPREFIX"] = cache
    entorno.pop("PYTHONDONTWRITEBYTECODE", None)
    if not compilado:
        entorno["PYTHONDONTWRITEBYTECODE"] = "1"
    return entorno


def _una(programa: str, entorno: dict[str, str]) -> float:
    inicio = time.perf_counter()
    subprocess.run([sys.executable, "-c", programa], cwd=RAIZ, env=entorno, check=True, capture_output=True)
    return time.perf_counter() - inicio


def mayores_costos(entorno: dict[str, str], cuantos: int = 8) -> list[dict[str, Any]]:
    """Where ``import app`` spends its time: the self time of every imported module (one ``-X importtime``
    run) summed per package (``chalicelib`` and ``localstage`` per subpackage), largest first."""
    proceso = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app"],
        cwd=RAIZ,
        env=entorno,
        check=True,
        capture_output=True,
        text=True,
    )
    por_paquete: dict[str, float] = {}
    for linea in proceso.stderr.splitlines():
        partes = linea.removeprefix("import time:").split("|")
        if not linea.startswith("import time:") or len(partes) != 3 or not partes[0].strip().isdigit():
            continue
        nombre = partes[2].strip().split(".")
        paquete = ".".join(nombre[:2] if nombre[0] in ("chalicelib", "localstage") else nombre[:1])
        por_paquete[paquete] = por_paquete.get(paquete, 0.0) + int(partes[0]) / 1000
    mayores = sorted(por_paquete.items(), key=lambda x: -x[1])[:cuantos]
    return [{"paquete": paquete, "ms": ms} for paquete, ms in mayores]


def _medir(entorno: dict[str, str], corridas: int) -> dict[str, Any]:
    for programa in PROGRAMAS.values():  # warm the page cache (and write the bytecode, when allowed)
        _una(programa, entorno)
    tiempos: dict[str, list[float]] = {nombre: [] for nombre in PROGRAMAS}
    for _ in range(corridas):
        for nombre, programa in PROGRAMAS.items():
            tiempos[nombre].append(_una(programa, entorno))
    mediana = {nombre: statistics.median(valores) * 1000 for nombre, valores in tiempos.items()}
    diferencia = mediana["app"] - mediana["boto3"]
    return {
        "ms": {nombre: [round(v * 1000, 1) for v in valores] for nombre, valores in tiempos.items()},
        "mediana_ms": mediana,
        "app_menos_boto3_ms": diferencia,
        "ratio": mediana["app"] / mediana["boto3"],
        "ratio_sin_interprete": (mediana["app"] - mediana["vacio"]) / (mediana["boto3"] - mediana["vacio"]),
        "cumple": diferencia <= OBJETIVO_MS,
    }


def importacion(*, corridas: int = 9) -> dict[str, Any]:
    """``con_pyc``: bytecode cached for everything (a normal local interpreter; the gate). ``sin_pyc``: nothing
    cached, every module compiled from source on each run (a zip without bytecode on a read-only filesystem)."""
    with tempfile.TemporaryDirectory(prefix="vd-bench-pyc-") as cache, tempfile.TemporaryDirectory() as vacio:
        con_pyc = _medir(_entorno(cache, compilado=True), corridas)
        sin_pyc = _medir(_entorno(vacio, compilado=False), corridas)
        mayores = mayores_costos(_entorno(cache, compilado=True))
    return {
        "corridas": corridas,
        "objetivo_ms": OBJETIVO_MS,
        "con_pyc": con_pyc,
        "sin_pyc": sin_pyc,
        "cumple": con_pyc["cumple"],
        "mayores": mayores,
    }
