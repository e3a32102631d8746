"""Fakes of the email ports (same Protocols as adapters/dynamo_correo.py and adapters/s3_buzon.py)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import replace

from chalicelib.domain.correo import CorreoEntrante, CorreoNoDisponible, MensajeEnviado, TokenRespuesta, clave_mensaje


class InMemoryTokensRespuesta:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._n = itertools.count(1)
        self.tokens: dict[str, TokenRespuesta] = {}
        self.preguntas: dict[tuple[str, str], str] = {}
        self.mensajes: dict[str, MensajeEnviado] = {}

    def emitir(self, datos: TokenRespuesta) -> TokenRespuesta:
        with self._lock:
            token = replace(datos, token=f"{next(self._n):032x}", responsable=datos.responsable.lower())
            self.tokens[token.token] = token
            self.preguntas[(datos.solicitud_id, datos.proposito)] = token.token
            return token

    def obtener(self, token: str) -> TokenRespuesta | None:
        with self._lock:
            return self.tokens.get(token.strip().lower())

    def vigente(self, solicitud_id: str, proposito: str) -> TokenRespuesta | None:
        with self._lock:
            nombre = self.preguntas.get((solicitud_id, proposito))
            return self.tokens.get(nombre) if nombre else None

    def marcar_usado(self, token: str, *, en: str, por: str, decision: str) -> bool:
        with self._lock:
            actual = self.tokens.get(token)
            if actual is None or actual.usado_en:
                return False
            self.tokens[token] = replace(actual, usado_en=en, usado_por=por, decision=decision)
            return True

    def revocar(self, token: str) -> None:
        with self._lock:
            self.tokens.pop(token, None)

    def registrar_mensaje(self, mensaje: MensajeEnviado) -> None:
        with self._lock:
            self.mensajes[clave_mensaje(mensaje.message_id)] = mensaje

    def mensaje(self, message_id: str) -> MensajeEnviado | None:
        with self._lock:
            return self.mensajes.get(clave_mensaje(message_id))


class InMemorySupresiones:
    def __init__(self) -> None:
        self.direcciones: dict[str, dict[str, str | None]] = {}

    def suprimir(self, direccion: str, *, motivo: str, en: str, solicitud_id: str | None = None) -> None:
        self.direcciones[direccion.strip().lower()] = {"motivo": motivo, "en": en, "solicitud_id": solicitud_id}

    def suprimidas(self, direcciones: Sequence[str]) -> set[str]:
        return {d.strip().lower() for d in direcciones if d.strip().lower() in self.direcciones}

    def reactivar(self, direccion: str) -> None:
        self.direcciones.pop(direccion.strip().lower(), None)


class FakeBuzon:
    """Inbound mailbox: parsed messages by SES message id (``guardar_crudo`` parses raw MIME like S3BuzonEntrante)."""

    def __init__(self) -> None:
        self.correos: dict[str, CorreoEntrante] = {}

    def guardar(self, correo: CorreoEntrante) -> str:
        self.correos[correo.message_id] = correo
        return correo.message_id

    def guardar_crudo(self, message_id: str, crudo: bytes) -> str:
        from chalicelib.adapters.s3_buzon import parsear_mime

        return self.guardar(parsear_mime(message_id, crudo))

    def cargar(self, message_id: str) -> CorreoEntrante:
        if message_id not in self.correos:
            raise CorreoNoDisponible(f"El correo {message_id} no está.")
        return self.correos[message_id]


class InMemoryAlmacen:
    def __init__(self) -> None:
        self.objetos: dict[str, tuple[bytes, str]] = {}

    def guardar(self, clave: str, contenido: bytes, tipo: str) -> str:
        self.objetos[clave] = (contenido, tipo)
        return clave

    def leer(self, clave: str) -> bytes:
        return self.objetos[clave][0]

    def enlace_temporal(self, clave: str, segundos: int = 300) -> str:
        return f"https://s3.example/{clave}?expira={segundos}"
