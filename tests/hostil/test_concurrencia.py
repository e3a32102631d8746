"""Twenty people act on one request at the same moment, through the HTTP handler: exactly one wins, the other
nineteen get 409 and write nothing.

Run with the in-memory repository, which serialises conditional writes per item the way DynamoDB does. Not on moto:
moto 5.2.5 runs TransactWriteItems without a lock and rolls a failed one back by restoring a snapshot of the whole
table, so truly concurrent transactions race there (see ``MOTO_SIN_AISLAMIENTO`` in
``tests/contract/test_repositorio.py``); the conditional write itself is proven on moto by the contract suite.
Each thread gets its own ``current_request`` the way ``chalice local`` does (``LocalChalice``), since the Lambda
runtime runs one request per process; and the test client's per-request swap of ``os.environ`` (not thread-safe:
racing threads can leave a copy in its place) is skipped, the environment being the local stage's already.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections import Counter

import pytest

from tests.fakes import InMemorySolicitudRepository

HILOS = 20


class RepositorioConBarrera(InMemorySolicitudRepository):
    """Every thread's first read of the target request waits until all of them have read it: all twenty decide
    from the same version, so only the conditional write can tell them apart."""

    def __init__(self, solicitud_id: str, hilos: int) -> None:
        super().__init__()
        self.solicitud_id = solicitud_id
        self.barrera = threading.Barrier(hilos, timeout=30)
        self._leidos = threading.local()

    def obtener(self, solicitud_id: str):
        leida = super().obtener(solicitud_id)
        if solicitud_id == self.solicitud_id and not getattr(self._leidos, "ya", False):
            self._leidos.ya = True
            self.barrera.wait()
        return leida


@pytest.mark.parametrize("con_version", [True, False], ids=["con_version", "sin_version"])
def test_twenty_parallel_actions_on_one_request_one_wins_and_the_rest_get_409(mundo, monkeypatch, con_version):
    from chalice.local import LocalChalice
    from chalice.test import BaseClient

    from app import app

    # Given a new request, read by twenty executives at version 1
    servicios = mundo.servicios
    repo = RepositorioConBarrera("VD-C0000001", HILOS)
    servicios.overrides["repo"] = repo
    for cacheada in ("repo", "_puertos"):
        servicios.__dict__.pop(cacheada, None)
    mundo.guardar(id="VD-C0000001")
    monkeypatch.setattr(app, "__class__", LocalChalice)
    monkeypatch.setattr(BaseClient, "_patched_env_vars", lambda self, variables: contextlib.nullcontext())
    token = mundo.token("EJ")
    respuestas: list[tuple[int, str]] = []
    cerrojo = threading.Lock()

    def actuar(n: int) -> None:
        accion = {"accion": "clasificar_residencial"} if n % 2 else {"accion": "derivar_empresas"}
        cuerpo = {**accion, "campos": {}} | ({"version": 1} if con_version else {})
        respuesta = mundo.cliente.http.post(
            "/solicitudes/VD-C0000001/acciones",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            body=json.dumps(cuerpo).encode(),
        )
        with cerrojo:
            respuestas.append((respuesta.status_code, (respuesta.json_body or {}).get("codigo", "")))

    # When all twenty post their action at once
    hilos = [threading.Thread(target=actuar, args=(n,)) for n in range(HILOS)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(timeout=60)
    mundo.cifras["POST /solicitudes/{id}/acciones (20 en paralelo)"]["ejemplos"] += HILOS
    # Then exactly one won; nineteen were told someone else changed the request
    assert Counter(respuestas) == Counter({(200, ""): 1, (409, "conflicto_concurrente"): HILOS - 1})
    s = InMemorySolicitudRepository.obtener(repo, "VD-C0000001")
    assert s.version == 2 and s.estado in ("en_registro", "derivada_empresas")
    assert [e.tipo for e in repo.historial("VD-C0000001")] == ["accion", "accion"]
    assert isinstance(os.environ, os._Environ), "the process environment was left replaced by a copy"
