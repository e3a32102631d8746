"""Answer time of POST /webhooks/meta for a 1000-change Lead Ads batch (Meta's maximum), as a ratio to a 1-change
delivery in the same run (moto server as AWS, the app through chalice's test client). Part of ``python -m bench``
(with B1); alone: ``python -m bench.webhook_lote [rondas]``."""

from __future__ import annotations

import statistics
import sys
from typing import Any

from bench.comun import EntornoMoto, total_llamadas
from bench.webhooks import Cargas, _enviar


def lote(entorno: EntornoMoto, rondas: int = 3) -> dict[str, Any]:
    """Median answer time of a 1-change and of a 1000-change delivery (alternating, ``rondas`` each), every change
    new, every answer checked (``nuevos`` = the changes sent); and the AWS calls of the large one."""
    entorno.reiniciar()
    cliente = entorno.cliente_app()
    cargas = Cargas(entorno.settings.meta_app_secrets[0])
    _enviar(cliente, cargas.meta_leadgen(1))  # warm-up
    tiempos: dict[int, list[float]] = {1: [], 1000: []}
    llamadas = 0
    for _ in range(rondas):
        for cantidad in (1, 1000):
            peticion = cargas.meta_leadgen(cantidad)
            antes = total_llamadas()
            tiempos[cantidad].append(_enviar(cliente, peticion))
            if cantidad == 1000:
                llamadas = total_llamadas() - antes
    uno, mil = statistics.median(tiempos[1]), statistics.median(tiempos[1000])
    return {
        "rondas": rondas,
        "uno_ms": uno * 1000,
        "mil_s": mil,
        "ratio": mil / uno,
        "items_s": 1000 / mil,
        "llamadas_aws_mil": llamadas,
    }


def main(rondas: int = 3) -> None:
    with EntornoMoto() as entorno:
        r = lote(entorno, rondas)
    print(
        f"1 change: {r['uno_ms']:.0f} ms   1000 changes: {r['mil_s']:.2f} s   ratio {r['ratio']:.0f}x   "
        f"{r['items_s']:.0f} items/s   {r['llamadas_aws_mil']} AWS calls   (median of {rondas})"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
