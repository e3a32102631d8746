"""Fakes of the approval-link ports (same Protocols and semantics as the adapters), for tests without AWS."""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from datetime import datetime

from chalicelib.domain.enlaces import DECIDIDA, PENDIENTE, Aprobacion, EnlaceInvalido, EnlaceVencido

__all__ = ["FakeFirmaEnlaces", "InMemoryAprobaciones"]


class InMemoryAprobaciones:
    """``Aprobaciones`` in memory: create once, decide only while pending and unexpired, reopen a failed decision."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.registros: dict[str, Aprobacion] = {}
        self.escrituras = 0

    def crear(self, aprobacion: Aprobacion) -> None:
        with self._lock:
            if aprobacion.id in self.registros:
                raise RuntimeError(f"approval {aprobacion.id} exists")
            self.registros[aprobacion.id] = copy.deepcopy(aprobacion)
            self.escrituras += 1

    def obtener(self, aprobacion_id: str) -> Aprobacion | None:
        with self._lock:
            registro = self.registros.get(aprobacion_id)
            return copy.deepcopy(registro) if registro else None

    def decidir(self, aprobacion_id: str, *, decision: str, por: str, en: str) -> bool:
        with self._lock:
            registro = self.registros.get(aprobacion_id)
            if registro is None or registro.estado != PENDIENTE:
                return False
            if datetime.fromisoformat(en) >= datetime.fromisoformat(registro.expira_en):
                return False
            self.registros[aprobacion_id] = registro.decidida(decision, por, en)
            self.escrituras += 1
            return True

    def reabrir(self, aprobacion_id: str, *, en: str) -> None:
        with self._lock:
            registro = self.registros.get(aprobacion_id)
            if registro is None or registro.estado != DECIDIDA or registro.decidida_en != en:
                return
            self.registros[aprobacion_id] = replace(
                registro, estado=PENDIENTE, decision=None, decidida_por=None, decidida_en=None
            )
            self.escrituras += 1


class FakeFirmaEnlaces:
    """Tokens ``firmado.<id>``; anything else is refused. ``vencer()`` makes every token expired."""

    PREFIJO = "firmado."

    def __init__(self) -> None:
        self.vencidos = False

    def firmar(self, valor: str) -> str:
        return self.PREFIJO + valor

    def leer(self, token: str, max_segundos: int) -> str:
        if not token.startswith(self.PREFIJO) or len(token) == len(self.PREFIJO):
            raise EnlaceInvalido("Este enlace no es válido.")
        if self.vencidos:
            raise EnlaceVencido("Este enlace venció.")
        return token[len(self.PREFIJO) :]

    def vencer(self) -> None:
        self.vencidos = True
