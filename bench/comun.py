"""What every benchmark shares: the in-process moto server as AWS, the local stage's settings, the two Chalice test
clients (the app and the bare baseline), quiet logs, percentiles and a description of the machine."""

from __future__ import annotations

import logging
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RAIZ = Path(__file__).resolve().parents[1]


def percentil(muestras: Sequence[float], p: int) -> float:
    """The p-th percentile (inclusive method: p50 is the median, p99 interpolates between the two largest of 100)."""
    if len(muestras) == 1:
        return muestras[0]
    return statistics.quantiles(muestras, n=100, method="inclusive")[p - 1]


def cronometrar(funcion: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``funcion()`` and its result."""
    inicio = time.perf_counter()
    resultado = funcion()
    return time.perf_counter() - inicio, resultado


_LLAMADAS: Counter[str] = Counter()
_PARCHE: list[Any] = []


def llamadas_aws() -> Counter[str]:
    """Every AWS API call this process makes, by ``service.Operation`` — a figure no machine changes. Counted at
    botocore's ``Endpoint.make_request`` (once per call, retries inside), which boto3 and pynamodb both go through;
    moto's own work in its server thread is not a client call and is not counted."""
    from botocore.endpoint import Endpoint

    if not _PARCHE:
        original = Endpoint.make_request

        def make_request(self: Any, operation_model: Any, request_dict: Any) -> Any:
            _LLAMADAS[f"{operation_model.service_model.service_name}.{operation_model.name}"] += 1
            return original(self, operation_model, request_dict)

        Endpoint.make_request = make_request
        _PARCHE.append(original)
    return _LLAMADAS


def total_llamadas() -> int:
    return sum(llamadas_aws().values())


def llamadas_desde(antes: Counter[str]) -> Counter[str]:
    """The calls made since the snapshot ``antes`` (``Counter(llamadas_aws())``), by operation."""
    return Counter(llamadas_aws()) - antes


def por_unidad(llamadas: Counter[str], unidades: int) -> dict[str, float]:
    """Calls per request / record / email, by operation, most frequent first."""
    return {op: round(n / unidades, 2) for op, n in llamadas.most_common()}


def maquina() -> dict[str, Any]:
    """What the figures were measured on: they are ratios, but the context tells how noisy they may be."""
    modelo = ""
    try:
        for linea in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if linea.startswith("model name"):
                modelo = linea.split(":", 1)[1].strip()
                break
    except OSError:
        modelo = platform.processor()
    return {
        "nproc": os.cpu_count(),
        "cpu": modelo,
        "python": platform.python_version(),
        "sistema": f"{platform.system()} {platform.release()}",
        "carga": _carga(),
    }


def _carga() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def silenciar_logs() -> None:
    """The app logs one JSON line per request on stdout (Powertools); the benchmark keeps formatting them (that is
    part of the cost Lambda pays) but sends them to /dev/null so the console shows only the results."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from chalicelib.observability import logger

    nulo = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    for manejador in logger.handlers if hasattr(logger, "handlers") else []:
        if isinstance(manejador, logging.StreamHandler):
            manejador.setStream(nulo)
    for nombre in ("chalicelib", "localstage"):
        logging.getLogger(nombre).setLevel(logging.ERROR)


@dataclass
class EntornoMoto:
    """One moto server in this process (a thread, like ``tests/conftest.py``) with the local stage pointed at it.

    ``reiniciar()`` empties moto and provisions the stage again (tables, buckets, key, SES identities) plus the
    baseline's table, so each benchmark starts from the same empty state."""

    endpoint: str = ""
    settings: Any = None
    _servidor: Any = field(default=None, repr=False)
    _previo: dict[str, str] = field(default_factory=dict, repr=False)

    def __enter__(self) -> EntornoMoto:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._servidor = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._servidor.start()
        host, puerto = self._servidor.get_host_and_port()
        self.endpoint = f"http://{host}:{puerto}"
        from localstage.entorno import entorno_local

        self._previo = dict(os.environ)
        os.environ.update(entorno_local(self.endpoint))
        self.reiniciar()
        return self

    def __exit__(self, *exc: object) -> None:
        os.environ.clear()
        os.environ.update(self._previo)
        self._servidor.stop()

    def reiniciar(self) -> None:
        import requests

        from bench.base import crear_tabla_base
        from chalicelib import bootstrap
        from chalicelib.config import Settings
        from localstage.provision import provisionar

        requests.post(f"{self.endpoint}/moto-api/reset", timeout=30).raise_for_status()
        bootstrap.reset()
        self.settings = Settings.from_env()
        provisionar(self.settings)
        crear_tabla_base(self.settings.region)

    def cliente_app(self) -> Any:
        """The app through chalice's test client (in-process API Gateway + Lambda, the local stage's env)."""
        from chalice.test import Client

        from app import app

        silenciar_logs()
        return Client(app, stage_name="local", project_dir=str(RAIZ))

    def cliente_base(self) -> Any:
        """The bare baseline app through the same test client (same project, same env patching per request)."""
        from chalice.test import Client

        from bench.base import base

        return Client(base, stage_name="local", project_dir=str(RAIZ))


def aviso(texto: str) -> None:
    """Progress on stderr (stdout stays for the results)."""
    print(texto, file=sys.stderr, flush=True)
