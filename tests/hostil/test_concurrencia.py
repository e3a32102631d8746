"""Twenty people act on one request at the same moment, through the HTTP handler: exactly one wins, the other
nineteen get 409 and write nothing.

Run with the in-memory repository, which serialises conditional writes per item the way DynamoDB does. Not on moto:
moto 5.2.5 runs TransactWriteItems without a lock and rolls a failed one back by restoring a snapshot of the whole
table, so truly concurrent transactions race there (see ``MOTO_SIN_AISLAMIENTO`` in
``tests/contract/test_repositorio.py``); the conditional write itself is proven on moto by the contract suite.
Each thread gets its own ``current_request`` the way ``chalice local`` does (``LocalChalice``), since the Lambda
runtime runs one request per process; and the test client's per-request swap of ``os.environ`` (not thread-safe:
racing threads can leave a copy in its place) is skipped, the environment being the local stage's already.

The simultaneous first contacts of one person run on moto's server instead, with its DynamoDB requests serialised
by the test (``dynamodb_serializado``), so that the contact claims are proven on the real adapter and wiring.
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


# --- one person, one request, even at the same instant (issue 14, item 8) --------------------------------------

HILOS_CONTACTO = 4
RONDAS = 5


@pytest.fixture
def dynamodb_serializado(settings, monkeypatch):
    """moto's DynamoDB with one request at a time, the isolation DynamoDB gives transactions. moto 5.2.5 itself runs
    them without a lock and rolls a failed one back by restoring a snapshot of the whole table (see
    ``MOTO_SIN_AISLAMIENTO`` in ``tests/contract/test_repositorio.py``), so two truly concurrent transactions could
    both pass their conditions there, or one's rollback erase the other's write: neither happens on DynamoDB. The
    server runs in this process (``ThreadedMotoServer``), so its request handler is wrapped here."""
    from moto.dynamodb.responses import DynamoHandler

    cerrojo = threading.Lock()
    original = DynamoHandler.call_action

    def de_a_uno(self):
        with cerrojo:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", de_a_uno)
    return settings


def test_simultaneous_first_messages_of_a_new_person_open_exactly_one_request(dynamodb_serializado):
    """Several first WhatsApp messages of the same new phone number are processed at the same instant, through the
    real services wiring against moto's server (DynamoDB requests serialised as DynamoDB does, see the fixture).

    Every thread looks the person up before any of them writes (a barrier right after the lookup), which is what
    eventually consistent contact indexes allow on DynamoDB: all find nothing and all try to capture. Exactly one
    request must result, holding every message: its capture entry plus one ``mensaje`` entry per other message.
    Several rounds, each with a new person."""
    for ronda in range(RONDAS):
        _una_ronda(dynamodb_serializado, ronda)


def _una_ronda(settings, ronda: int) -> None:
    from chalicelib.adapters.dynamo_solicitudes import PynamoSolicitudRepository
    from chalicelib.bootstrap import Services
    from chalicelib.domain.commands import CapturarSolicitud

    class ConBarrera(PynamoSolicitudRepository):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.barrera = threading.Barrier(HILOS_CONTACTO, timeout=30)

        def buscar_por_contacto(self, **claves):
            encontradas = super().buscar_por_contacto(**claves)
            self.barrera.wait()
            return encontradas

    # Given a person nobody has seen yet, writing several messages at once
    telefono = f"+5917{ronda:07d}"
    repo = ConBarrera(settings)
    servicios = Services(settings, overrides={"repo": repo})
    recepciones = []
    errores: list[BaseException] = []
    cerrojo = threading.Lock()

    def recibir(n: int) -> None:
        cmd = CapturarSolicitud(
            canal="whatsapp",
            datos={"telefono": telefono.removeprefix("+"), "nombre": "Rosa Choque"},
            mensaje=f"Mensaje {n}",
            clave_envio=f"wamid.{telefono}.{n}",
            tipo_contacto="mensaje",
        )
        try:
            recepcion = servicios.recibir_contacto(cmd)
        except BaseException as exc:  # reported below, with the round
            with cerrojo:
                errores.append(exc)
            return
        with cerrojo:
            recepciones.append(recepcion)

    # When every message is processed at the same instant
    hilos = [threading.Thread(target=recibir, args=(n,)) for n in range(HILOS_CONTACTO)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(timeout=60)

    # Then one request was opened and the other messages joined it
    assert errores == [], f"ronda {ronda}: {errores!r}"
    (solicitud,) = PynamoSolicitudRepository.buscar_por_contacto(repo, telefono=telefono)
    assert sorted((r.solicitud_id, r.nueva, r.duplicada) for r in recepciones) == sorted(
        [(solicitud.id, True, False)] + [(solicitud.id, False, False)] * (HILOS_CONTACTO - 1)
    ), f"ronda {ronda}"
    referencias = sorted(c["referencia"] for c in solicitud.contactos)
    assert referencias == sorted(f"wamid.{telefono}.{n}" for n in range(HILOS_CONTACTO)) and solicitud.version == 1
    tipos = Counter(e.tipo for e in repo.historial(solicitud.id))
    assert tipos == Counter({"accion": 1, "mensaje": HILOS_CONTACTO - 1}), f"ronda {ronda}: {tipos}"
