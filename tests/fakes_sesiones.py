"""In-memory ``SesionesConsola``: the same rules as ``adapters/dynamo_sesiones.py`` (a session is valid while its
record is there, unexpired, for the same person, and opened after the person's last revocation)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from chalicelib.domain.ports import SesionConsola


class InMemorySesionesConsola:
    def __init__(self, reloj: Callable[[], float] = time.time) -> None:
        self.reloj = reloj
        self.sesiones: dict[str, SesionConsola] = {}
        self.revocaciones: dict[str, float] = {}

    def abrir(self, sesion: SesionConsola) -> None:
        if sesion.sid in self.sesiones:
            raise RuntimeError("ConditionalCheckFailedException: the session already exists")
        self.sesiones[sesion.sid] = replace(sesion, identidad=sesion.identidad.strip().lower())

    def vigente(self, sid: str, identidad: str) -> SesionConsola | None:
        sesion = self.sesiones.get(sid)
        identidad = identidad.strip().lower()
        if sesion is None or sesion.identidad != identidad or sesion.vence_en <= self.reloj():
            return None
        if sesion.creada_en <= self.revocaciones.get(identidad, float("-inf")):
            return None
        return sesion

    def cerrar(self, sid: str) -> None:
        self.sesiones.pop(sid, None)

    def revocar_sesiones(self, identidad: str) -> None:
        self.revocaciones[identidad.strip().lower()] = self.reloj()

    def de(self, identidad: str) -> list[SesionConsola]:
        """Test helper: the recorded sessions of a person (valid or not)."""
        return [s for s in self.sesiones.values() if s.identidad == identidad.strip().lower()]
