from __future__ import annotations

import pytest

from chalicelib.adapters.contacto import NORMALIZADORES
from chalicelib.domain.model import Buzones
from chalicelib.services.reacciones import PuertosReaccion
from chalicelib.services.solicitudes import Puertos
from chalicelib.services.trabajos import PuertosTrabajo
from tests.fakes import (
    FakeCalendario,
    FakeCatalogo,
    FakeCobertura,
    FakeMailer,
    FakePlantillas,
    FakeProtector,
    FakeSmartflex,
    FixedClock,
    InMemoryIdempotencia,
    InMemorySolicitudRepository,
    SequentialIds,
    con_supresion,
)

BUZONES = Buzones(
    remitente="ventas-digitales@ventas.test",
    ejecutivos="ejecutivos@ventas.test",
    help_desk="helpdesk@ventas.test",
    cobranzas="cobranzas@ventas.test",
    cajas="cajas@ventas.test",
    facturacion="facturacion@ventas.test",
    responsable_canales="rc@ventas.test",
    jefe_division="jd@ventas.test",
    empresas="empresas@ventas.test",
)


@pytest.fixture
def repo():
    return InMemorySolicitudRepository()


@pytest.fixture
def clock():
    return FixedClock()


@pytest.fixture
def mailer():
    return FakeMailer()


@pytest.fixture
def idempotencia():
    return InMemoryIdempotencia()


@pytest.fixture
def smartflex():
    return FakeSmartflex()


@pytest.fixture
def puertos(repo, clock, smartflex):
    return Puertos(
        repo=repo,
        clock=clock,
        ids=SequentialIds(),
        protector=FakeProtector(),
        cobertura=FakeCobertura(),
        smartflex=smartflex,
        normalizadores=NORMALIZADORES,
        catalogo=FakeCatalogo(),
    )


@pytest.fixture
def puertos_reaccion(repo, mailer, idempotencia):
    return PuertosReaccion(
        repo=repo,
        mailer=con_supresion(mailer),
        plantillas=FakePlantillas(),
        idempotencia=idempotencia,
        buzones=BUZONES,
        url_publica="http://vd.test",
    )


@pytest.fixture
def puertos_trabajo(repo, clock, mailer, idempotencia):
    return PuertosTrabajo(
        repo=repo,
        clock=clock,
        calendario=FakeCalendario(),
        mailer=con_supresion(mailer),
        plantillas=FakePlantillas(),
        idempotencia=idempotencia,
        buzones=BUZONES,
        url_publica="http://vd.test",
    )
