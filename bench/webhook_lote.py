"""Answer time of POST /webhooks/meta for a 1000-change Lead Ads batch, as a ratio to a 1-change delivery in the
same run (moto server as AWS, the app through chalice's test client). Usage: python -m bench.webhook_lote [rondas]"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

RAIZ = Path(__file__).resolve().parents[1]


def _cuerpo(desde: int, cantidad: int) -> bytes:
    cambios = [
        {"field": "leadgen", "value": {"leadgen_id": f"{desde + n:016d}", "page_id": "104560000000001"}}
        for n in range(cantidad)
    ]
    return json.dumps({"object": "page", "entry": [{"id": "104560000000001", "changes": cambios}]}).encode()


def main(rondas: int = 3) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    servidor = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    servidor.start()
    host, puerto = servidor.get_host_and_port()
    from chalicelib.local_env import entorno_local

    os.environ.update(entorno_local(f"http://{host}:{puerto}"))
    from chalice.test import Client

    from app import app
    from chalicelib.config import Settings
    from localstage.provision import provisionar

    settings = Settings.from_env()
    provisionar(settings)
    secreto = settings.meta_app_secrets[0].encode()
    tiempos: dict[int, list[float]] = {1: [], 1000: []}
    with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
        siguiente = 0
        for _ in range(rondas):
            for cantidad in (1, 1000):
                cuerpo = _cuerpo(siguiente, cantidad)
                siguiente += cantidad
                firma = "sha256=" + hmac.new(secreto, cuerpo, hashlib.sha256).hexdigest()
                cabeceras = {"Content-Type": "application/json", "X-Hub-Signature-256": firma}
                inicio = time.perf_counter()
                respuesta = cliente.http.post("/webhooks/meta", headers=cabeceras, body=cuerpo)
                tiempos[cantidad].append(time.perf_counter() - inicio)
                assert respuesta.status_code == 200 and respuesta.json_body["nuevos"] == cantidad, respuesta.body
    servidor.stop()
    uno, mil = statistics.median(tiempos[1]), statistics.median(tiempos[1000])
    print(f"1 change: {uno * 1000:.0f} ms   1000 changes: {mil:.2f} s   ratio {mil / uno:.0f}x   (median of {rondas})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
