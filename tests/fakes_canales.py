"""Fakes of the channel ports (entrantes, raw/document storage, Graph API, sent messages) for service tests."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from typing import Any

from chalicelib.domain.errors import ServicioExternoNoDisponible
from chalicelib.domain.model import Entrante
from chalicelib.domain.ports import MedioDescargado, SalienteRegistrado


class AlmacenEnMemoria:
    def __init__(self) -> None:
        self.objetos: dict[str, tuple[bytes, str]] = {}

    def guardar(self, clave: str, contenido: bytes, tipo: str) -> str:
        self.objetos[clave] = (contenido, tipo)
        return clave

    def leer(self, clave: str) -> bytes:
        if clave not in self.objetos:
            raise ServicioExternoNoDisponible(f"No se pudo leer el objeto {clave} de S3.")
        return self.objetos[clave][0]


class EntrantesEnMemoria:
    """Same rules as PynamoEntrantes: a known key is left unchanged; marcar counts attempts; a delivery's body is
    kept beside its item."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: dict[str, Entrante] = {}
        self.cuerpos: dict[str, bytes] = {}

    def guardar_entrega(self, entrega: Entrante, cuerpo: bytes) -> bool:
        with self._lock:
            if entrega.clave in self.items:
                return False
            self.items[entrega.clave] = entrega
            self.cuerpos[entrega.clave] = cuerpo
            return True

    def cuerpo_entrega(self, entrega: Entrante) -> bytes:
        return self.cuerpos[entrega.clave]

    def pendientes(self) -> list[str]:
        """Keys of the items (deliveries first) the stream has not processed yet."""
        return sorted(
            (c for c, e in self.items.items() if e.estado == "pendiente"), key=lambda c: not c.startswith("entrega#")
        )

    def registrar(self, entrantes: list[Entrante]) -> list[str]:
        with self._lock:
            nuevas = []
            for e in entrantes:
                if e.clave not in self.items:
                    self.items[e.clave] = e
                    nuevas.append(e.clave)
            return nuevas

    def obtener(self, clave: str) -> Entrante | None:
        return self.items.get(clave)

    def marcar(self, clave, estado, *, error=None, solicitud_id=None, sumar_intento=False) -> None:
        with self._lock:
            actual = self.items[clave]
            self.items[clave] = replace(
                actual,
                estado=estado,
                error=error,
                solicitud_id=solicitud_id or actual.solicitud_id,
                intentos=actual.intentos + (1 if sumar_intento else 0),
            )

    def listar(self, estado: str, limite: int = 100) -> list[Entrante]:
        return sorted((e for e in self.items.values() if e.estado == estado), key=lambda e: e.recibido_en)[:limite]


class FakeGraph:
    """Leads and media by id; ``caida`` makes every call fail as the adapter does after its retries."""

    def __init__(self) -> None:
        self.leads: dict[str, dict[str, Any]] = {}
        self.medios: dict[str, tuple[bytes, str]] = {}
        self.caida = False
        self.llamadas: list[str] = []

    def lead(self, leadgen_id: str) -> dict[str, Any]:
        self.llamadas.append(leadgen_id)
        if self.caida:
            raise ServicioExternoNoDisponible("La Graph API de Meta no respondió tras 4 intentos (HTTP 500).")
        return self.leads[leadgen_id]

    def medio(self, media_id: str) -> MedioDescargado:
        self.llamadas.append(media_id)
        if self.caida:
            raise ServicioExternoNoDisponible("La Graph API de Meta no respondió tras 4 intentos (HTTP 500).")
        contenido, tipo = self.medios[media_id]
        return MedioDescargado(contenido=contenido, tipo=tipo, sha256=hashlib.sha256(contenido).hexdigest())


class SalientesEnMemoria:
    def __init__(self) -> None:
        self.registros: dict[tuple[str, str], SalienteRegistrado] = {}

    @property
    def mensajes(self) -> dict[tuple[str, str], str]:
        return {k: r.solicitud_id for k, r in self.registros.items()}

    def registrar_saliente(
        self, canal: str, mensaje_id: str, solicitud_id: str, *, entrada_id: str = "", correo_enviado: bool = False
    ) -> None:
        self.registros[(canal, mensaje_id)] = SalienteRegistrado(
            canal, mensaje_id, solicitud_id, entrada_id=entrada_id, correo_enviado=correo_enviado
        )

    def solicitud_de_saliente(self, canal: str, mensaje_id: str) -> str | None:
        registro = self.registros.get((canal, mensaje_id))
        return registro.solicitud_id if registro else None

    def saliente(self, canal: str, mensaje_id: str) -> SalienteRegistrado | None:
        return self.registros.get((canal, mensaje_id))
