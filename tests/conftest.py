"""Shared fixtures: a moto server as the local AWS (one per test worker), the local settings, fresh tables."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator

import pytest
import requests

from localstage.entorno import entorno_local


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port, with this process's AWS environment pointed at it; its DynamoDB is
    serialised the way ``make run``'s is (``localstage/moto_seguro.py``: moto races under concurrent requests)."""
    from moto.server import ThreadedMotoServer

    from localstage.moto_seguro import instalar

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    instalar()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    previo = dict(os.environ)
    os.environ.update(entorno_local(endpoint))
    try:
        yield endpoint
    finally:
        os.environ.clear()
        os.environ.update(previo)
        server.stop()


@pytest.fixture
def settings(moto_endpoint):
    """Fresh local settings against an emptied moto (all tables, buckets and identities recreated)."""
    from chalicelib.config import Settings, get_settings
    from localstage.provision import provisionar

    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    get_settings.cache_clear()
    s = Settings.from_env()
    provisionar(s)
    return s


@pytest.fixture
def sin_red(monkeypatch):
    """Block sockets for pure unit tests (the AWS-free layers must never touch the network)."""

    def _bloqueado(*args, **kwargs):
        raise RuntimeError("network access in a unit test")

    monkeypatch.setattr(socket, "create_connection", _bloqueado)
    monkeypatch.setattr(socket.socket, "connect", _bloqueado)
