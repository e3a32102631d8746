"""Answer time of POST /webhooks/meta for a 1000-change Lead Ads batch (Meta's maximum) against a 1-change delivery
through the same route in the same run (moto server as AWS, the app through chalice's test client). Target (issue
18): the 1000-change answer at most 2× the 1-change one. Part of ``python -m bench`` (with B1); alone:
``python -m bench.webhook_lote [rondas]``."""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from typing import Any

from bench.comun import EntornoMoto, llamadas_aws, llamadas_desde
from bench.webhooks import Cargas, Peticion, _enviar, comprobar_entradas

OBJETIVO = 2.0


def lote(entorno: EntornoMoto, rondas: int = 3) -> dict[str, Any]:
    """Median answer time of a 1-change and of a 1000-change delivery (alternating, ``rondas`` each), every change
    new, every answer checked (status, ``entrega``, ``duplicada`` false), and the AWS calls of each. Then, untimed:
    one delivery item per request stored, and the last 1000-change delivery split as ``on_entrante`` splits it
    (the 1000 leads written, exactly; its split time is reported: the stream's work, not the answer's)."""
    entorno.reiniciar()
    cliente = entorno.cliente_app()
    cargas = Cargas(entorno.settings.meta_app_secrets[0])
    enviadas: list[Peticion] = [cargas.meta_leadgen(1), cargas.meta_leadgen(1000)]
    for peticion in enviadas:  # warm-up, both sizes
        _enviar(cliente, peticion)
    tiempos: dict[int, list[float]] = {1: [], 1000: []}
    llamadas: dict[int, Counter[str]] = {1: Counter(), 1000: Counter()}
    for _ in range(rondas):
        for cantidad in (1, 1000):
            peticion = cargas.meta_leadgen(cantidad)
            antes = Counter(llamadas_aws())
            tiempos[cantidad].append(_enviar(cliente, peticion))
            llamadas[cantidad] += llamadas_desde(antes)
            enviadas.append(peticion)
    inicio = time.perf_counter()
    comprobacion = comprobar_entradas(entorno, enviadas, [enviadas[-1]])
    division_s = time.perf_counter() - inicio
    uno, mil = statistics.median(tiempos[1]), statistics.median(tiempos[1000])
    return {
        "rondas": rondas,
        "uno_ms": uno * 1000,
        "mil_ms": mil * 1000,
        "mil_s": mil,
        "ratio": mil / uno,
        "objetivo": OBJETIVO,
        "cumple": mil / uno <= OBJETIVO,
        "bytes_mil": len(enviadas[-1].cuerpo),
        "llamadas_aws_uno": sum(llamadas[1].values()) / rondas,
        "llamadas_aws_mil": sum(llamadas[1000].values()) / rondas,
        "division_mil_s": division_s,
        "comprobacion": comprobacion,
    }


def main(rondas: int = 3) -> None:
    with EntornoMoto() as entorno:
        r = lote(entorno, rondas)
    print(
        f"1 change: {r['uno_ms']:.1f} ms   1000 changes: {r['mil_ms']:.1f} ms   ratio {r['ratio']:.2f}x "
        f"(target <= {OBJETIVO:g}x)   AWS calls {r['llamadas_aws_uno']:g} / {r['llamadas_aws_mil']:g}   "
        f"split of 1000 (untimed, stream side) {r['division_mil_s']:.2f} s   (median of {rondas})"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
