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
        return int(self.bomba.drain())

    def outbox(self) -> list[dict[str, Any]]:
        return list(self.cliente.http.get("/dev/outbox").json_body["mensajes"])


@pytest.fixture
def etapa(settings):
    from chalice.test import Client

    from chalicelib import bootstrap
    from localstage.stream_pump import StreamPump

    bootstrap.reset()
    from app import app

    with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
        entregados: list[dict[str, Any]] = []

        def manejar(evento: dict[str, Any]) -> Any:
            entregados.append(evento)
            return cliente.lambda_.invoke("on_solicitud_change", evento).payload

        bomba = StreamPump(table_name=settings.tabla_solicitudes, handler=manejar)
        yield Etapa(cliente=cliente, bomba=bomba, settings=settings, entregados=entregados)
    bootstrap.reset()
