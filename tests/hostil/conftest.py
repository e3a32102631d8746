"""Hostile-input suite: the Hypothesis profile, the app with every port faked (fast enough for thousands of
examples), and the per-worker tally of what the fuzzers sent and what came back (``test-artifacts/hostil/``)."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from localstage.entorno import entorno_local
from tests.e2e.conftest import etapa, graph_servidor  # noqa: F401  (the local stage on moto, reused)
from tests.hostil.mundo import Mundo, construir_servicios

RAIZ = Path(__file__).resolve().parents[2]
ARTEFACTOS = RAIZ / "test-artifacts" / "hostil"
PERFIL = "hostil"

# Fixed example counts per test (each test: @settings(settings.get_profile(PERFIL), max_examples=N)),
# derandomized so CI sees the same examples on every run; no deadline (the shared 2-core runner is noisy).
settings.register_profile(
    PERFIL,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)

_CIFRAS: dict[str, Counter[str]] = defaultdict(Counter)


@pytest.fixture(scope="session")
def cifras():
    """Per endpoint: examples sent and the status classes seen (written per test worker at the end)."""
    yield _CIFRAS
    if not _CIFRAS:
        return
    ARTEFACTOS.mkdir(parents=True, exist_ok=True)
    trabajador = os.environ.get("PYTEST_XDIST_WORKER", "solo")
    (ARTEFACTOS / f"cifras-{trabajador}.json").write_text(
        json.dumps({k: dict(v) for k, v in sorted(_CIFRAS.items())}, indent=2, ensure_ascii=False), encoding="utf-8"
    )


@pytest.fixture
def mundo(monkeypatch, cifras):
    """The Chalice app through its test client, every port an in-memory fake (no AWS, no network)."""
    from chalice.test import Client

    from app import app
    from chalicelib import bootstrap

    for nombre, valor in entorno_local().items():
        monkeypatch.setenv(nombre, valor)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    servicios = construir_servicios()
    with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
        yield Mundo(cliente=cliente, servicios=servicios, cifras=cifras)
    bootstrap.reset()
