"""The local stage in-process: moto server, the Chalice app through its test client, the stream pump."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

RAIZ = Path(__file__).resolve().parents[2]


@dataclass
class Etapa:
    """Drives the system only through its public interfaces: HTTP routes, stream records, the outbox."""

    cliente: Any
    bomba: Any
    settings: Any
    tokens: dict[str, str] = field(default_factory=dict)
    entregados: list[dict[str, Any]] = field(default_factory=list)
    bomba_entrantes: Any = None
    graph: Any = None
    entregados_entrantes: list[dict[str, Any]] = field(default_factory=list)

    def token(self, rol: str) -> str:
        if not self.tokens:
            self.tokens = self.cliente.http.get("/dev/tokens").json_body["tokens"]
        return self.tokens[rol]

    def cabeceras(self, rol: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(rol)}", "Content-Type": "application/json"}

    def enviar_formulario(self, **campos: str) -> Any:
        from urllib.parse import urlencode

        return self.cliente.http.post(
            "/solicitud",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode(campos).encode(),
        )

    def accion(self, solicitud_id: str, accion: str, rol: str = "EJ", version: int | None = None, **campos: Any) -> Any:
        import json

        cuerpo: dict[str, Any] = {"accion": accion, "campos": campos}
        if version is not None:
            cuerpo["version"] = version
        return self.cliente.http.post(
            f"/solicitudes/{solicitud_id}/acciones", headers=self.cabeceras(rol), body=json.dumps(cuerpo)
        )

    def aplicar(self, solicitud_id: str, accion: str, rol: str = "EJ", **campos: Any) -> dict[str, Any]:
        respuesta = self.accion(solicitud_id, accion, rol, **campos)
        assert respuesta.status_code == 200, respuesta.body
        self.bombear()
        return respuesta.json_body

    def detalle(self, solicitud_id: str, rol: str = "EJ") -> dict[str, Any]:
        respuesta = self.cliente.http.get(f"/solicitudes/{solicitud_id}", headers=self.cabeceras(rol))
        assert respuesta.status_code == 200, respuesta.body
        return respuesta.json_body

    def bombear(self) -> int:
        """Drain both streams until neither has work (an inbound item creates a request, whose record sends mail)."""
        total = 0
        for _ in range(20):
            hechos = int(self.bomba_entrantes.drain()) if self.bomba_entrantes is not None else 0
            hechos += int(self.bomba.drain())
            total += hechos
            if hechos == 0:
                break
        return total

    def webhook_meta(self, cuerpo: bytes, firma: str | None = "valida", **cabeceras: str) -> Any:
        """POST /webhooks/meta signed with the local app secret (``firma="valida"``), a given header, or none."""
        import hashlib
        import hmac

        headers = {"Content-Type": "application/json", **cabeceras}
        if firma == "valida":
            secreto = self.settings.meta_app_secrets[0].encode()
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(secreto, cuerpo, hashlib.sha256).hexdigest()
        elif firma is not None:
            headers["X-Hub-Signature-256"] = firma
        return self.cliente.http.post("/webhooks/meta", headers=headers, body=cuerpo)

    def webhook_botmaker(self, cuerpo: bytes, token: str | None = "valido") -> Any:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers[self.settings.botmaker_cabecera] = self.settings.botmaker_token if token == "valido" else token
        return self.cliente.http.post("/webhooks/botmaker", headers=headers, body=cuerpo)

    def outbox(self) -> list[dict[str, Any]]:
        return list(self.cliente.http.get("/dev/outbox").json_body["mensajes"])


@pytest.fixture(scope="session")
def graph_servidor(moto_endpoint):
    """The local Graph API stand-in on a free port (shared by the worker's tests; reset per test)."""
    import os

    from localstage.graph_local import GraphLocal

    graph = GraphLocal(
        token=os.environ["VD_GRAPH_TOKEN"],
        token_whatsapp=os.environ["VD_WHATSAPP_TOKEN"],
        token_pagina=os.environ["VD_MESSENGER_TOKEN"],
        token_botmaker=os.environ["VD_BOTMAKER_API_TOKEN"],
    )
    graph.iniciar(0)
    yield graph
    graph.detener()


@pytest.fixture
def etapa(settings, graph_servidor, monkeypatch):
    from chalice.test import Client

    from chalicelib import bootstrap
    from chalicelib.adapters.mensajeria_botmaker import BotmakerApi
    from chalicelib.adapters.mensajeria_meta import MessengerSend, WhatsAppCloud
    from chalicelib.adapters.meta_graph import GraphMeta
    from localstage.stream_pump import StreamPump

    graph_servidor.leads.clear()
    graph_servidor.medios.clear()
    graph_servidor.fallos.clear()
    graph_servidor.peticiones.clear()
    graph_servidor.reiniciar()
    monkeypatch.setenv("VD_GRAPH_URL", graph_servidor.url_api)
    monkeypatch.setenv("VD_BOTMAKER_URL", graph_servidor.url_botmaker)
    bootstrap.reset()
    # Built now, from this environment (the test client patches in the stage's own values); short backoffs.
    bootstrap.override(
        graph=GraphMeta(base_url=graph_servidor.url_api, token=graph_servidor.token, timeout=10, espera=0.01),
        mensajeros={
            "whatsapp": WhatsAppCloud(
                base_url=graph_servidor.url_api, token=graph_servidor.token_whatsapp, timeout=10, espera=0.01
            ),
            "messenger": MessengerSend(
                base_url=graph_servidor.url_api, token=graph_servidor.token_pagina, timeout=10, espera=0.01
            ),
            "botmaker": BotmakerApi(
                base_url=graph_servidor.url_botmaker,
                token=graph_servidor.token_botmaker,
                publicar=lambda documento: bootstrap.get_services()._publicar(documento),
                timeout=10,
                espera=0.01,
            ),
        },
    )
    from app import app

    with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
        entregados: list[dict[str, Any]] = []
        entregados_entrantes: list[dict[str, Any]] = []

        def manejar(evento: dict[str, Any]) -> Any:
            entregados.append(evento)
            return cliente.lambda_.invoke("on_solicitud_change", evento).payload

        def manejar_entrantes(evento: dict[str, Any]) -> Any:
            entregados_entrantes.append(evento)
            return cliente.lambda_.invoke("on_entrante", evento).payload

        bomba = StreamPump(table_name=settings.tabla_solicitudes, handler=manejar)
        bomba_entrantes = StreamPump(table_name=settings.tabla_entrantes, handler=manejar_entrantes)
        yield Etapa(
            cliente=cliente,
            bomba=bomba,
            settings=settings,
            entregados=entregados,
            bomba_entrantes=bomba_entrantes,
            graph=graph_servidor,
            entregados_entrantes=entregados_entrantes,
        )
    bootstrap.reset()


@pytest.fixture
def reloj(etapa):
    """The app's clock, stopped at now (La Paz) for the test to move: ``reloj.momento = …``, ``reloj.avanzar(…)``."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from chalicelib.bootstrap import get_services
    from tests.fakes import FixedClock

    reloj = FixedClock(datetime.now(ZoneInfo("America/La_Paz")).replace(microsecond=0))
    get_services().overrides["clock"] = reloj
    return reloj
