"""Handler tests: the Chalice test client with every port replaced by a fake (no AWS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from localstage.entorno import entorno_local
from tests.fakes import (
    FakeCalendario,
    FakeCobertura,
    FakeMailer,
    FakeProtector,
    FakeSmartflex,
    FixedClock,
    InMemoryIdempotencia,
    InMemorySolicitudRepository,
    SequentialIds,
)
from tests.fakes_canales import EntrantesEnMemoria
from tests.fakes_correo import InMemorySupresiones
from tests.fakes_limites import LimitesEnMemoria
from tests.fakes_persistencia import InMemoryAgregados, InMemoryPendientes
from tests.fakes_sesiones import InMemorySesionesConsola

RAIZ = Path(__file__).resolve().parents[2]


@pytest.fixture
def servicios(monkeypatch):
    from chalicelib import bootstrap
    from chalicelib.adapters.rendering import JinjaPlantillas

    for nombre, valor in entorno_local().items():
        monkeypatch.setenv(nombre, valor)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    servicios = bootstrap.override(
        repo=InMemorySolicitudRepository(),
        idempotencia=InMemoryIdempotencia(),
        mailer=FakeMailer(),
        plantillas=JinjaPlantillas(),
        clock=FixedClock(),
        ids=SequentialIds(),
        protector=FakeProtector(),
        cobertura=FakeCobertura(),
        smartflex=FakeSmartflex(),
        calendario=FakeCalendario(),
        limites=LimitesEnMemoria(),
        sesiones_consola=InMemorySesionesConsola(),
        supresiones=InMemorySupresiones(),
        entrantes=EntrantesEnMemoria(),
        pendientes=InMemoryPendientes(),
        agregados=InMemoryAgregados(),
    )
    yield servicios
    bootstrap.reset()


def atender_entrantes(servicios) -> int:
    """What the entrantes stream does, in place: process every pending item (form submissions, deliveries and
    the items they split into) until none is left; returns how many were processed."""
    hechos = 0
    while pendientes := servicios.entrantes.pendientes():
        for clave in pendientes:
            servicios.procesar_entrante(clave)
            hechos += 1
    return hechos


@pytest.fixture
def cliente(servicios):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
        yield cliente


@pytest.fixture
def token(servicios):
    from chalicelib.domain.model import Rol

    def emitir(rol: str) -> str:
        return servicios.verificador.emitir(rol=Rol(rol), email=f"{rol.lower()}@ventas.test", nombre=rol)

    return emitir
