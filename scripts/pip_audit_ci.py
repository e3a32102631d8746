"""pip-audit of requirements.txt for CI, explicit about a vulnerability service it cannot reach.

Exit 0: audited, no known vulnerability (or only the ``IGNORADAS`` below, each justified in the README).
Exit 1: known vulnerabilities (listed). Exit 2: pip-audit itself failed (bad usage, crash). Exit 0 with a loud ``NOT AUDITED`` line when the service cannot be
reached: no network, a timeout, or every package answered "not found" (a registry mirror without PyPI's
JSON API). ``--estricto`` turns that case into exit 3, for a machine that must audit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

RAIZ: Final = Path(__file__).resolve().parent.parent
IGNORADAS: Final[dict[str, str]] = {}
"""Vulnerability id -> why it does not apply (keep in sync with README "Deploy" > Security findings)."""
SEGUNDOS_MAXIMOS: Final = 300
_SIN_SERVICIO: Final = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "Temporary failure")


@dataclass
class Resultado:
    estado: str  # "limpio" | "vulnerable" | "sin_servicio" | "error"
    detalle: str
    vulnerabilidades: list[str] = field(default_factory=list)


def interpretar(codigo: int, informe: dict[str, Any] | None, salida_error: str) -> Resultado:
    """Classify a pip-audit run: clean, vulnerable, or the service could not be asked."""
    if informe is None:
        ultima = (salida_error.strip().splitlines() or ["no output"])[-1][:300]
        if any(marca in salida_error for marca in _SIN_SERVICIO):
            return Resultado("sin_servicio", ultima)
        return Resultado("error", f"pip-audit failed (exit {codigo}) without a report: {ultima}")
    dependencias = informe.get("dependencies", [])
    auditadas = [d for d in dependencias if "skip_reason" not in d]
    if dependencias and not auditadas:
        return Resultado("sin_servicio", f"all {len(dependencias)} packages skipped: {dependencias[0]['skip_reason']}")
    hallazgos = [
        f"{d['name']} {d.get('version', '?')}: {v['id']} (fixed in {', '.join(v.get('fix_versions') or ['-'])})"
        for d in auditadas
        for v in d.get("vulns", [])
        if v["id"] not in IGNORADAS
    ]
    if hallazgos:
        return Resultado("vulnerable", f"{len(hallazgos)} known vulnerabilities", hallazgos)
    omitidas = len(dependencias) - len(auditadas)
    return Resultado("limpio", f"{len(auditadas)} packages audited, {omitidas} skipped, no known vulnerability")


def auditar(requisitos: Path = RAIZ / "requirements.txt", *, ruta: Path | None = None) -> Resultado:
    """Audit ``requisitos`` (pip-audit resolves them in a throw-away venv: complete, about a minute), or the
    distributions installed under ``ruta`` (an extracted deployment.zip: exactly what ships, a few seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        informe_json = Path(tmp) / "pip-audit.json"
        origen = ["--path", str(ruta)] if ruta else ["-r", str(requisitos)]
        orden = [
            sys.executable,
            "-m",
            "pip_audit",
            *origen,
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(informe_json),
        ]
        for vulnerabilidad in IGNORADAS:
            orden += ["--ignore-vuln", vulnerabilidad]
        try:
            proceso = subprocess.run(  # nosec B603
                orden, capture_output=True, text=True, timeout=SEGUNDOS_MAXIMOS, check=False
            )
        except subprocess.TimeoutExpired:
            return Resultado("sin_servicio", f"pip-audit did not finish in {SEGUNDOS_MAXIMOS} s")
        informe = json.loads(informe_json.read_text()) if informe_json.is_file() else None
        return interpretar(proceso.returncode, informe, proceso.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estricto", action="store_true", help="fail (exit 3) when the service is unreachable")
    parser.add_argument("--ruta", type=Path, help="audit the distributions under this directory (extracted zip)")
    args = parser.parse_args(argv)
    resultado = auditar(ruta=args.ruta)
    if resultado.estado == "vulnerable":
        print(f"pip-audit: FAILED, {resultado.detalle}:")
        for linea in resultado.vulnerabilidades:
            print(f"  {linea}")
        return 1
    if resultado.estado == "error":
        print(f"pip-audit: ERROR, {resultado.detalle}")
        return 2
    if resultado.estado == "sin_servicio":
        print(f"pip-audit: NOT AUDITED, vulnerability service unreachable ({resultado.detalle})")
        return 3 if args.estricto else 0
    print(f"pip-audit: OK, {resultado.detalle}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
