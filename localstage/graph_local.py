"""A local stand-in for Meta's Graph API (the parts the channels use), so the demo and the tests run end to end.

Serves, only with the right ``Authorization: Bearer <VD_GRAPH_TOKEN>``:
- ``GET /{version}/{leadgen_id}?fields=...``: a Lead Ads lead (``field_data``: full_name, phone_number, email,
  tipo_de_cliente, zona, ...); registered leads as given, any other id with plausible data derived from the id;
- ``GET /{version}/{media_id}``: WhatsApp media metadata (``url`` back to this server, valid 5 minutes,
  ``mime_type``, ``sha256``, ``file_size``); registered media as given, any other id a small generated PNG;
- ``GET /media/{media_id}?vence=<epoch>``: the media bytes (404 once the link has expired).
Tests register leads and media, or make an id fail a number of times (``fallar``), and read ``peticiones``.
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

NOMBRES = ("María Quispe", "Juan Mamani", "Ana Rojas", "Carlos Vargas", "Lucía Flores", "Jorge Choque")
ZONAS = ("Centro", "Queru Queru", "Sarco", "Cala Cala", "Tupuraya", "Hipódromo")
VIGENCIA_URL = 300


@dataclass
class _Fallo:
    veces: int
    estado: int


@dataclass
class GraphLocal:
    """The stand-in's state; ``iniciar`` serves it on 127.0.0.1 (port 0 picks a free one)."""

    token: str
    version: str = "v21.0"
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    medios: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    fallos: dict[str, _Fallo] = field(default_factory=dict)
    peticiones: list[str] = field(default_factory=list)
    base: str = ""
    _servidor: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def registrar_lead(self, leadgen_id: str, campos: dict[str, str], **extra: Any) -> None:
        """A lead whose ``field_data`` holds exactly ``campos`` (name -> value)."""
        field_data = [{"name": nombre, "values": [valor]} for nombre, valor in campos.items()]
        self.leads[leadgen_id] = {"id": leadgen_id, "field_data": field_data, **extra}

    def registrar_medio(self, media_id: str, contenido: bytes, tipo: str) -> None:
        self.medios[media_id] = (contenido, tipo)

    def fallar(self, recurso_id: str, veces: int, estado: int = 500) -> None:
        """The next ``veces`` requests about ``recurso_id`` answer ``estado``."""
        self.fallos[recurso_id] = _Fallo(veces, estado)

    # -- data -----------------------------------------------------------------------------------------------

    def lead(self, leadgen_id: str) -> dict[str, Any]:
        if leadgen_id in self.leads:
            return self.leads[leadgen_id]
        n = int(hashlib.sha256(leadgen_id.encode()).hexdigest()[:8], 16)
        nombre = NOMBRES[n % len(NOMBRES)]
        usuario = nombre.split()[0].lower().replace("í", "i").replace("á", "a")
        campos = {
            "full_name": nombre,
            "phone_number": f"+5917{n % 10_000_000:07d}",
            "email": f"{usuario}.{n % 10_000}@example.com",
            "tipo_de_cliente": "residencial" if n % 4 else "empresa",
            "zona": ZONAS[n % len(ZONAS)],
        }
        return {
            "id": leadgen_id,
            "created_time": "2026-11-30T13:00:00+0000",
            "form_id": "447333180259108",
            "ad_id": "23849853425890183",
            "adset_id": "23849853425890100",
            "campaign_id": "23849853425890000",
            "is_organic": False,
            "platform": "fb",
            "field_data": [{"name": k, "values": [v]} for k, v in campos.items()],
        }

    def medio(self, media_id: str) -> tuple[bytes, str]:
        return self.medios.get(media_id) or (_png(media_id), "image/png")

    # -- server ---------------------------------------------------------------------------------------------

    def iniciar(self, puerto: int = 0, host: str = "127.0.0.1") -> str:
        estado = self

        class Manejador(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                estado._atender(self)

            def log_message(self, *args: Any) -> None:
                return

        self._servidor = ThreadingHTTPServer((host, puerto), Manejador)
        self._servidor.daemon_threads = True
        self.base = f"http://{host}:{self._servidor.server_address[1]}"
        threading.Thread(target=self._servidor.serve_forever, name="graph-local", daemon=True).start()
        return self.base

    def detener(self) -> None:
        if self._servidor is not None:
            self._servidor.shutdown()
            self._servidor.server_close()
            self._servidor = None

    @property
    def url_api(self) -> str:
        return f"{self.base}/{self.version}"

    def _atender(self, peticion: BaseHTTPRequestHandler) -> None:
        partes = urlsplit(peticion.path)
        consulta = parse_qs(partes.query)
        segmentos = [s for s in partes.path.split("/") if s]
        with self._lock:
            self.peticiones.append(peticion.path)
        if peticion.headers.get("Authorization") != f"Bearer {self.token}":
            return _responder(peticion, 401, {"error": {"message": "Invalid OAuth access token.", "code": 190}})
        if len(segmentos) != 2:
            return _responder(peticion, 404, {"error": {"message": "Unknown path", "code": 803}})
        recurso = segmentos[1]
        with self._lock:
            fallo = self.fallos.get(recurso)
            if fallo is not None and fallo.veces > 0:
                fallo.veces -= 1
                return _responder(peticion, fallo.estado, {"error": {"message": "Simulated failure", "code": 2}})
        if segmentos[0] == "media":
            vence = int((consulta.get("vence") or ["0"])[0] or 0)
            if vence < time.time():
                return _responder(peticion, 404, {"error": {"message": "URL expired", "code": 100}})
            contenido, tipo = self.medio(recurso)
            return _responder_bytes(peticion, contenido, tipo)
        if segmentos[0] != self.version:
            return _responder(peticion, 400, {"error": {"message": "Unknown version", "code": 2635}})
        if "fields" in consulta:
            return _responder(peticion, 200, self.lead(recurso))
        contenido, tipo = self.medio(recurso)
        return _responder(
            peticion,
            200,
            {
                "messaging_product": "whatsapp",
                "id": recurso,
                "url": f"{self.base}/media/{recurso}?vence={int(time.time()) + VIGENCIA_URL}",
                "mime_type": tipo,
                "sha256": hashlib.sha256(contenido).hexdigest(),
                "file_size": len(contenido),
            },
        )


def _responder(peticion: BaseHTTPRequestHandler, estado: int, cuerpo: dict[str, Any]) -> None:
    datos = json.dumps(cuerpo, ensure_ascii=False).encode()
    peticion.send_response(estado)
    peticion.send_header("Content-Type", "application/json; charset=utf-8")
    peticion.send_header("Content-Length", str(len(datos)))
    peticion.end_headers()
    peticion.wfile.write(datos)


def _responder_bytes(peticion: BaseHTTPRequestHandler, contenido: bytes, tipo: str) -> None:
    peticion.send_response(200)
    peticion.send_header("Content-Type", tipo)
    peticion.send_header("Content-Length", str(len(contenido)))
    peticion.end_headers()
    peticion.wfile.write(contenido)


def _png(semilla: str) -> bytes:
    """A deterministic 8x8 one-colour PNG (a stand-in for a photographed ID card)."""
    color = hashlib.sha256(semilla.encode()).digest()[:3]
    filas = b"".join(b"\x00" + color * 8 for _ in range(8))

    def bloque(tipo: bytes, datos: bytes) -> bytes:
        return struct.pack(">I", len(datos)) + tipo + datos + struct.pack(">I", zlib.crc32(tipo + datos) & 0xFFFFFFFF)

    cabecera = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + bloque(b"IHDR", cabecera) + bloque(b"IDAT", zlib.compress(filas)) + bloque(b"IEND", b"")
    )
