"""B8: a lean package per function (issue 18) — what each Lambda function ships, and how long each handler module
takes to import cold from it.

1. ``make package STAGE=prod OUT=<temporary directory>`` (the documented command; ``-o`` on the install stamps, as
   ``tests/infra/conftest.py`` does), then every function of its ``sam.json``: its code zip plus the layers attached
   to it, zipped and unzipped (``scripts/medir_paquete.py``), against its targets: at most 50 MB zipped and 120 MB
   unzipped for every function but the monthly report's; Lambda's 262,144,000 bytes unzipped for those.
2. The cold import of every ``chalicelib.handlers`` module and of ``app`` from the extracted function zip, as Lambda
   loads it (``python -S``: no site-packages; the prod stage's environment; working directory = the zip), against
   ``import boto3`` from the same zip and a bare ``pass``: fresh interpreters, one warm-up run each, then interleaved
   run by run, median; bytecode cached in a temporary ``PYTHONPYCACHEPREFIX`` (B4's gate). Target for the webhooks'
   module (``chalicelib.handlers.webhooks_canales``) and for ``app``: at most ``import boto3`` + 100 ms.

Alone: ``python -m bench --solo B8 [--escribir]``.
"""

from __future__ import annotations

import fcntl
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from bench.comun import RAIZ
from scripts.medir_paquete import LIMITE_COMPRIMIDO, LIMITE_DESCOMPRIMIDO, LIMITE_LAMBDA, MB, medir

OBJETIVO_MS: Final = 100.0
CON_OBJETIVO: Final = ("chalicelib.handlers.webhooks_canales", "app")
ETAPA: Final = "prod"


def _empaquetar(salida: Path) -> float:
    """``make package STAGE=prod OUT=salida`` under the infra tests' lock (they share ``vendor/templates``)."""
    entorno = {k: v for k, v in os.environ.items() if not k.startswith(("VD_", "AWS_", "POWERTOOLS_"))}
    orden = ["make", "--no-print-directory", "-o", ".venv/.installed", "-o", ".venv/.run-installed"]
    (RAIZ / ".chalice" / "deployments").mkdir(parents=True, exist_ok=True)
    with (RAIZ / ".chalice" / "deployments" / ".make-package.lock").open("w") as cerrojo:
        fcntl.flock(cerrojo, fcntl.LOCK_EX)
        inicio = time.perf_counter()
        try:
            subprocess.run(  # nosec B603: fixed argument list, no shell
                [*orden, "package", f"STAGE={ETAPA}", f"OUT={salida}"],
                cwd=RAIZ,
                env=entorno,
                check=True,
                capture_output=True,
                text=True,
            )
        finally:
            fcntl.flock(cerrojo, fcntl.LOCK_UN)
    return time.perf_counter() - inicio


def _entorno_etapa() -> dict[str, str]:
    """The prod stage's environment as its functions get it (top-level variables overridden by the stage's)."""
    config = json.loads((RAIZ / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return {**config.get("environment_variables", {}), **config["stages"][ETAPA].get("environment_variables", {})}


def _programas() -> dict[str, str]:
    modulos = sorted(p.stem for p in (RAIZ / "chalicelib" / "handlers").glob("*.py") if p.stem != "__init__")
    return {
        "vacio": "pass",
        "boto3": "import boto3",
        "app": "import app",
        **{f"chalicelib.handlers.{m}": f"import chalicelib.handlers.{m}" for m in modulos},
    }


def _una(programa: str, directorio: Path, entorno: dict[str, str]) -> float:
    inicio = time.perf_counter()
    subprocess.run(  # nosec B603: fixed argument list, no shell
        [sys.executable, "-S", "-c", programa], cwd=directorio, env=entorno, check=True, capture_output=True
    )
    return time.perf_counter() - inicio


def importaciones(directorio: Path, corridas: int) -> dict[str, Any]:
    """Median cold import of every program from the extracted zip ``directorio``, interleaved run by run."""
    programas = _programas()
    with tempfile.TemporaryDirectory(prefix="vd-bench-pyc-") as cache:
        entorno = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        entorno.update(_entorno_etapa())
        entorno.update({"AWS_DEFAULT_REGION": "us-east-1", "PYTHONPYCACHEPREFIX": cache})
        entorno.pop("PYTHONDONTWRITEBYTECODE", None)
        for programa in programas.values():  # writes the bytecode and warms the page cache
            _una(programa, directorio, entorno)
        tiempos: dict[str, list[float]] = {nombre: [] for nombre in programas}
        for _ in range(corridas):
            for nombre, programa in programas.items():
                tiempos[nombre].append(_una(programa, directorio, entorno) * 1000)
    mediana = {nombre: statistics.median(v) for nombre, v in tiempos.items()}
    boto3 = mediana["boto3"]
    modulos = []
    for nombre in programas:
        if nombre in ("vacio", "boto3"):
            continue
        diferencia = mediana[nombre] - boto3
        modulos.append(
            {
                "modulo": nombre,
                "mediana_ms": mediana[nombre],
                "menos_boto3_ms": diferencia,
                "ratio": mediana[nombre] / boto3,
                "con_objetivo": nombre in CON_OBJETIVO,
                "cumple": diferencia <= OBJETIVO_MS if nombre in CON_OBJETIVO else None,
            }
        )
    return {
        "corridas": corridas,
        "objetivo_ms": OBJETIVO_MS,
        "vacio_ms": mediana["vacio"],
        "boto3_ms": boto3,
        "modulos": modulos,
        "ms": {nombre: [round(v, 1) for v in valores] for nombre, valores in tiempos.items()},
        "cumple": all(m["cumple"] for m in modulos if m["con_objetivo"]),
    }


def paquete(*, corridas: int = 9) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vd-bench-paquete-") as tmp:
        salida = Path(tmp)
        segundos = _empaquetar(salida)
        funciones = medir(salida / ETAPA)
        archivos = {}
        for nombre in sorted({f.codigo for f in funciones} | {c for f in funciones for c in f.capas}):
            with zipfile.ZipFile(salida / ETAPA / nombre) as archivo:
                infos = archivo.infolist()
            archivos[nombre] = {
                "comprimido_mb": (salida / ETAPA / nombre).stat().st_size / MB,
                "descomprimido_mb": sum(i.file_size for i in infos) / MB,
                "entradas": len(infos),
            }
        extraido = salida / "extraido"
        with zipfile.ZipFile(salida / ETAPA / "deployment.zip") as archivo:
            archivo.extractall(extraido)
        importacion = importaciones(extraido, corridas)
    filas = [
        {
            "recurso": f.recurso,
            "handler": f.handler,
            "archivos": [f.codigo, *f.capas],
            "informe": f.es_informe,
            "comprimido_mb": f.comprimido / MB,
            "descomprimido_mb": f.descomprimido / MB,
            "objetivos": {o.medida: {"limite_mb": o.limite / MB, "cumple": o.cumple} for o in f.objetivos},
            "cumple": f.cumple,
        }
        for f in funciones
    ]
    return {
        "comando": f"make package STAGE={ETAPA} OUT=<tmp>",
        "segundos_empaquetar": segundos,
        "limites_mb": {
            "comprimido": LIMITE_COMPRIMIDO / MB,
            "descomprimido": LIMITE_DESCOMPRIMIDO / MB,
            "lambda": LIMITE_LAMBDA / MB,
        },
        "archivos": archivos,
        "funciones": filas,
        "importacion": importacion,
        "cumple": all(f["cumple"] for f in filas) and importacion["cumple"],
    }


def _ok(cumple: bool) -> str:
    return "✓" if cumple else "✗"


def _objetivo(fila: Mapping[str, Any], medida: str) -> str:
    objetivo = fila["objetivos"].get(medida)
    if objetivo is None:
        return "— (report function)"
    return f"≤ {objetivo['limite_mb']:g} MB {_ok(objetivo['cumple'])}"


def filas_resumen(b: Mapping[str, Any]) -> list[str]:
    """B8's rows of the summary table."""
    comunes = [f for f in b["funciones"] if not f["informe"]]
    informe = [f for f in b["funciones"] if f["informe"]]
    filas = []
    if comunes:
        mayor_c = max(f["comprimido_mb"] for f in comunes)
        mayor_d = max(f["descomprimido_mb"] for f in comunes)
        cumple_c = all(f["objetivos"]["comprimido"]["cumple"] for f in comunes)
        cumple_d = all(f["objetivos"]["descomprimido"]["cumple"] for f in comunes)
        filas.append(
            f"| B8 | package: code + layers of each of the {len(comunes)} functions without the report layer, "
            f"zipped / unzipped (largest) | {mayor_c:,.1f} / {mayor_d:,.1f} MB | — | — | "
            f"≤ {b['limites_mb']['comprimido']:g} MB {_ok(cumple_c)} / ≤ {b['limites_mb']['descomprimido']:g} MB "
            f"{_ok(cumple_d)} |"
        )
    if informe:
        mayor = max(informe, key=lambda f: f["descomprimido_mb"])
        filas.append(
            f"| B8 | package: code + report layer of {', '.join(f['recurso'] for f in informe)}, unzipped (largest) | "
            f"{mayor['descomprimido_mb']:,.1f} MB ({mayor['comprimido_mb']:,.1f} MB zipped) | — | — | "
            f"≤ {b['limites_mb']['lambda']:g} MB (Lambda) {_ok(all(f['cumple'] for f in informe))} |"
        )
    i = b["importacion"]
    for m in i["modulos"]:
        if m["con_objetivo"]:
            filas.append(
                f"| B8 | cold `import {m['modulo']}` from the prod zip (`python -S`, median of {i['corridas']}) | "
                f"{m['mediana_ms']:,.1f} ms | `import boto3` {i['boto3_ms']:,.1f} ms | {m['ratio']:,.2f}× "
                f"({m['menos_boto3_ms']:+,.0f} ms) | ≤ boto3 + {i['objetivo_ms']:.0f} ms {_ok(m['cumple'])} |"
            )
    return filas


def seccion(b: Mapping[str, Any]) -> list[str]:
    """B8's section of docs/BENCHMARKS.md."""
    funciones = [
        "| Function | Handler | Ships | Zipped MB | Target | Unzipped MB | Target |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in b["funciones"]:
        lambda_ = "" if f["informe"] else f" (and ≤ {b['limites_mb']['lambda']:g})"
        funciones.append(
            f"| {f['recurso']} | `{f['handler']}` | {' + '.join(f['archivos'])} | {f['comprimido_mb']:,.1f} | "
            f"{_objetivo(f, 'comprimido')} | {f['descomprimido_mb']:,.1f} | {_objetivo(f, 'descomprimido')}{lambda_} |"
        )
    archivos = "; ".join(
        f"`{n}` {a['comprimido_mb']:,.1f} MB zipped, {a['descomprimido_mb']:,.1f} MB unzipped, {a['entradas']:,} files"
        for n, a in b["archivos"].items()
    )
    i = b["importacion"]
    importaciones = [
        "| Module | median ms | − `import boto3` | / `import boto3` | Target |",
        "|---|---|---|---|---|",
    ]
    for m in sorted(i["modulos"], key=lambda x: -x["mediana_ms"]):
        objetivo = f"≤ boto3 + {i['objetivo_ms']:.0f} ms {_ok(m['cumple'])}" if m["con_objetivo"] else "—"
        importaciones.append(
            f"| `{m['modulo']}` | {m['mediana_ms']:,.1f} | {m['menos_boto3_ms']:+,.1f} ms | {m['ratio']:,.2f}× | "
            f"{objetivo} |"
        )
    return [
        "## B8 — a lean package per function (issue 18)",
        "",
        f"`{b['comando']}` ({b['segundos_empaquetar']:.0f} s; chalice's and the layer's caches in `.chalice/deployments/` "
        "warm), then every function "
        "of its `sam.json`: its code zip plus the layers the template attaches to it (`scripts/medir_paquete.py`, "
        "the same figures `tests/infra/test_paquete.py` asserts). MB = 10^6 bytes; Lambda's hard limit for a "
        f"function and its layers is {b['limites_mb']['lambda'] * MB:,.0f} bytes unzipped. The report functions "
        "(the monthly schedule and its on-request resend) draw the chart with matplotlib, which ships only in their "
        f"layer; every other function ships the function zip alone. Files: {archivos}.",
        "",
        *funciones,
        "",
        f"Cold import from the extracted function zip as Lambda loads it (`python -S`: no site-packages; prod "
        f"stage's environment; bytecode cached), median of {i['corridas']} fresh interpreters each, all programs "
        f"interleaved run by run after a warm-up run; bare interpreter (`pass`) {i['vacio_ms']:,.1f} ms, "
        f"`import boto3` {i['boto3_ms']:,.1f} ms. Target for the webhooks' module and `app` (the API function, which "
        f"answers the webhooks): at most `import boto3` + {i['objetivo_ms']:.0f} ms.",
        "",
        *importaciones,
        "",
    ]


if __name__ == "__main__":
    print(json.dumps(paquete(corridas=int(sys.argv[1]) if len(sys.argv) > 1 else 9), indent=2))
