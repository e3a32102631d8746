"""Signed-link ports shared by the reaction tests (the approvals store, a fake signature, the test clock)."""

from __future__ import annotations

from chalicelib.services.enlaces import PuertosEnlaces
from tests.fakes import SequentialIds
from tests.fakes_pagos import FakeFirmaEnlaces, InMemoryAprobaciones


def puertos_enlaces(aprobaciones: InMemoryAprobaciones, clock) -> PuertosEnlaces:
    """Link ports over ``aprobaciones`` whose URLs start with ``http://vd.test``."""
    return PuertosEnlaces(
        aprobaciones=aprobaciones,
        firma=FakeFirmaEnlaces(),
        clock=clock,
        ids=SequentialIds(),
        url_publica="http://vd.test",
    )
