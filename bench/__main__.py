"""`make bench` = `python -m bench`: runs B1–B10 and rewrites docs/BENCHMARKS.md.

Usage: ``python -m bench [--solo B1,B3 [--escribir]] [--rapido] [--salida docs/BENCHMARKS.md]``. ``--solo`` runs some
of them and prints their raw figures without touching the document, unless ``--escribir``: then their summary rows,
sections and raw results replace (or are added to) those of the existing document, marked as measured apart;
``--rapido`` uses smaller sizes (a smoke run, figures noisier). Exit status 1 if a check fails (a lost, doubled or
refused item, a wrong email count, an acknowledgement lost or doubled) or if the monthly report reads anything but
its month's items (B3, a count that no machine changes) or if a function's package is over its size target (B8,
bytes that no machine changes) or if the dashboard of a 20,000-request month makes other AWS calls, asks other keys
or gets other items than a 100-request month's (B9) or if the generated months of the projection's backtest
disagree with themselves (B10); wall-clock results never fail the run, they are reported with their targets.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.comun import RAIZ, EntornoMoto, aviso, llamadas_aws, maquina

TODOS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10")
TAMANOS = {
    "normal": {
        "b1_rondas": 300,
        "lote_rondas": 30,
        "b2_peticiones": 300,
        "b3_por_mes": 260,
        "b4_corridas": 9,
        "b5": 150,
        "b6_rondas": 150,
        "b7_rondas": 200,
        "b8_corridas": 11,
        "b9_grande": 20_000,
        "b9_pequeno": 100,
        "b9_rondas": 200,
        "b9_rondas_pagina": 150,
        "b10_meses": 24,
    },
    "rapido": {
        "b1_rondas": 40,
        "lote_rondas": 5,
        "b2_peticiones": 40,
        "b3_por_mes": 60,
        "b4_corridas": 7,
        "b5": 30,
        "b6_rondas": 30,
        "b7_rondas": 30,
        "b8_corridas": 5,
        "b9_grande": 2_000,
        "b9_pequeno": 100,
        "b9_rondas": 30,
        "b9_rondas_pagina": 30,
        "b10_meses": 12,
    },
}


def ejecutar(solo: Sequence[str], tamanos: dict[str, int]) -> dict[str, Any]:
    from bench import importacion, informe, reacciones, velocidad, webhook_lote, webhooks

    resultados: dict[str, Any] = {}
    if "B4" in solo:  # first, while nothing else of this run loads the machine
        aviso("B4: cold import of the handler module vs import boto3")
        resultados["B4"] = importacion.importacion(corridas=tamanos["b4_corridas"])
    if "B8" in solo:  # fresh interpreters too, no AWS
        from bench import paquete

        aviso("B8: package size per function and cold import of each handler module")
        resultados["B8"] = paquete.paquete(corridas=tamanos["b8_corridas"])
    if "B7" in solo:  # pure CPU, no AWS: before moto's server thread competes for the interpreter
        from bench import respuesta_patologica

        aviso("B7: a 128 KiB pathological email reply vs an ordinary one")
        resultados["B7"] = respuesta_patologica.respuesta_patologica(rondas=tamanos["b7_rondas"])
    if "B10" in solo:  # pure CPU too: generated months, no AWS
        from bench import tablero

        aviso(f"B10: month-end projection backtested on {tamanos['b10_meses']} generated months")
        resultados["B10"] = tablero.proyeccion(meses=tamanos["b10_meses"])
    if not set(solo) - {"B4", "B7", "B8", "B10"}:
        return resultados
    llamadas_aws()
    with EntornoMoto() as entorno:
        if "B1" in solo:
            aviso("B1: webhook answer latency")
            resultados["B1"] = webhooks.latencias(entorno, rondas=tamanos["b1_rondas"])
            aviso("B1: a 1000-change Lead Ads batch")
            resultados["B1_lote"] = webhook_lote.lote(entorno, rondas=tamanos["lote_rondas"])
        if "B2" in solo:
            aviso("B2: sustained webhook throughput")
            resultados["B2"] = webhooks.rendimiento(entorno, peticiones=tamanos["b2_peticiones"])
        if "B3" in solo:
            aviso("B3: monthly report on 12 months of data")
            resultados["B3"] = informe.informe(entorno, por_mes=tamanos["b3_por_mes"])
        if "B5" in solo:
            aviso("B5: stream reactions")
            resultados["B5"] = reacciones.reacciones(entorno, solicitudes=tamanos["b5"])
        if "B6" in solo:
            aviso("B6: speed to lead, web form vs WhatsApp")
            resultados["B6"] = velocidad.velocidad(entorno, rondas=tamanos["b6_rondas"])
        if "B9" in solo:
            from bench import tablero

            aviso(f"B9: dashboard reads, {tamanos['b9_grande']:,} vs {tamanos['b9_pequeno']} requests, and its page")
            resultados["B9"] = tablero.tablero(
                entorno,
                grande=tamanos["b9_grande"],
                pequeno=tamanos["b9_pequeno"],
                rondas=tamanos["b9_rondas"],
                rondas_pagina=tamanos["b9_rondas_pagina"],
            )
    return resultados


def _versiones() -> dict[str, str]:
    from importlib.metadata import version

    paquetes = ("chalice", "boto3", "botocore", "pynamodb", "aws-lambda-powertools", "jinja2", "moto")
    return {p: version(p) for p in paquetes}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--solo", help="comma-separated subset of B1,B2,B3,B4,B5,B6,B7,B8,B9,B10 (prints, does not write the doc)"
    )
    parser.add_argument(
        "--escribir", action="store_true", help="with --solo: update those benchmarks in the existing document"
    )
    parser.add_argument("--rapido", action="store_true", help="smaller sizes: a smoke run")
    parser.add_argument("--salida", default=str(RAIZ / "docs" / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    solo = tuple(x.strip().upper() for x in args.solo.split(",")) if args.solo else TODOS
    if set(solo) - set(TODOS):
        parser.error(f"unknown benchmark in --solo: {args.solo}")
    if args.escribir and not args.solo:
        parser.error("--escribir goes with --solo (a full run rewrites the whole document)")
    modo = "rapido" if args.rapido else "normal"
    contexto: dict[str, Any] = {
        "comando": "make bench"
        if not (args.rapido or args.solo)
        else "python -m bench " + " ".join(argv or sys.argv[1:]),
        "fecha": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "maquina": maquina(),
        "versiones": _versiones(),
        "modo": modo,
    }
    inicio = time.perf_counter()
    resultados = ejecutar(solo, TAMANOS[modo])
    contexto["segundos"] = time.perf_counter() - inicio
    contexto["carga_final"] = maquina()["carga"]
    if args.solo:
        print(json.dumps(resultados, indent=2, default=str))
        if args.escribir:
            from bench.documento import actualizar

            salida = Path(args.salida)
            salida.write_text(actualizar(salida.read_text(encoding="utf-8"), contexto, resultados), encoding="utf-8")
            print(f"\nUpdated {', '.join(solo)} in {args.salida} ({contexto['segundos']:.0f} s).")
    else:
        from bench.documento import documento, resumen

        Path(args.salida).write_text(documento(contexto, resultados), encoding="utf-8")
        print(resumen(resultados))
        print(f"\nWritten {args.salida} ({contexto['segundos']:.0f} s).")
    b3 = resultados.get("B3")
    ratios = ("ratio_solicitudes_min", "ratio_solicitudes_max", "ratio_necesarios_min", "ratio_necesarios_max")
    if b3 and any(b3[r] != 1.0 for r in ratios):
        print("B3 FAILED: the monthly report read items outside its month", file=sys.stderr)
        return 1
    b8 = resultados.get("B8")
    if b8 and not all(f["cumple"] for f in b8["funciones"]):
        print("B8 FAILED: a function's code and layers are over their size target", file=sys.stderr)
        return 1
    b9 = resultados.get("B9")
    if b9 and not b9["conteos_iguales"]:
        print("B9 FAILED: the dashboard's reads of a large month differ from a small month's", file=sys.stderr)
        return 1
    b10 = resultados.get("B10")
    if b10 and not b10["consistente"]:
        print(f"B10 FAILED: the generated months disagree with themselves: {b10['discrepancias'][:3]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
