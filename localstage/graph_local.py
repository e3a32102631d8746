"""A local stand-in for Meta's Graph API and Botmaker's API (the parts the channels use), so the demo and the
tests run end to end.

Reading (GET, only with ``Authorization: Bearer <VD_GRAPH_TOKEN>``):
- ``GET /{version}/{leadgen_id}?fields=...``: a Lead Ads lead (``field_data``: full_name, phone_number, email,
  tipo_de_cliente, zona, ...); registered leads as given, any other id with plausible data derived from the id;
- ``GET /{version}/{media_id}``: WhatsApp media metadata (``url`` back to this server, valid 5 minutes,
  ``mime_type``, ``sha256``, ``file_size``); registered or uploaded media as given, any other id a small PNG;
- ``GET /media/{media_id}?vence=<epoch>``: the media bytes (404 once the link has expired).

Sending (POST), with the wire formats of ``reference/outbound-messaging.md``:
- WhatsApp Cloud API (``Authorization: Bearer <token_whatsapp>``): ``/{version}/{phone_number_id}/media``
  (multipart upload -> ``{"id"}``) and ``/{version}/{phone_number_id}/messages`` (text, document, image,
  interactive, template; also ``status: read``) -> ``{"messaging_product", "contacts", "messages": [{"id": wamid}]}``;
- Messenger Send API (``token_pagina`` as Bearer or ``?access_token=``): ``/{version}/me/messages`` ->
  ``{"recipient_id", "message_id"}`` and ``/{version}/me/message_attachments`` (multipart) -> ``{"attachment_id"}``;
- Botmaker API v2.0 (header ``access-token: <token_botmaker>``): ``/botmaker/v2.0/chats-actions/send-messages``
  and ``/botmaker/v2.0/chats-actions/trigger-intent`` -> 202 ``{"webhookNotificationId"}``.
Every accepted message is kept in ``mensajes`` (``GET /_local/mensajes``, no auth; ``POST /_local/reiniciar``).
Each WhatsApp send queues its status webhooks (sent, delivered, read; or sent, failed) and each Messenger send its
delivery and read events: tests hand them to the app with ``entregar_estados``, ``make run`` posts them signed
with ``iniciar_notificador``. ``cerrar_ventana``, ``fallar_envio`` and ``fallar_entrega`` simulate the 24-hour
window, Meta's error codes and undeliverable messages. Tests register leads and media, make an id fail a number of
times (``fallar``), and read ``peticiones``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import struct
import threading
import time
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from chalicelib.domain.mensajeria import PLANTILLAS_APROBADAS

logger = logging.getLogger(__name__)

NOMBRES = ("María Quispe", "Juan Mamani", "Ana Rojas", "Carlos Vargas", "Lucía Flores", "Jorge Choque")
ZONAS = ("Centro", "Queru Queru", "Sarco", "Cala Cala", "Tupuraya", "Hipódromo")
VIGENCIA_URL = 300

TIPOS_WHATSAPP: Final = frozenset({"text", "document", "image", "interactive", "template"})
TAGS_MESSENGER: Final = frozenset({"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT"})
BOTMAKER_BASE: Final = ("botmaker", "v2.0", "chats-actions")
TITULOS_ERROR: Final = {
    2: "Service temporarily unavailable",
    4: "Application request limit reached",
    10: "Permission denied",
    100: "Invalid parameter",
    190: "Invalid OAuth access token",
    551: "This person isn't available right now.",
    613: "Calls to this api have exceeded the rate limit.",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131016: "Service unavailable",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131050: "User has stopped receiving marketing messages",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
}
CLAVES_REGISTRO: Final = (
    "id",
    "canal",
    "para",
    "cuenta",
    "tipo",
    "texto",
    "documento",
    "botones",
    "plantilla",
    "etiqueta",
    "messaging_type",
    "referencia",
    "enviado_en",
    "estado",
)
"""The keys of every record in ``mensajes``, in this order."""
DETALLE_VENTANA: Final = "More than 24 hours have passed since the recipient last replied to the sender number."
URL_CODIGOS: Final = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


@dataclass
class _Fallo:
    veces: int
    estado: int


@dataclass
class _FalloEnvio:
    codigo: int
    veces: int
    http: int
    subcodigo: int | None = None


@dataclass
class _Subido:
    contenido: bytes
    tipo: str
    nombre: str


@dataclass
class _Estado:
    registro: dict[str, Any]
    estado: str
    cuerpo: bytes


class _Rechazo(Exception):  # noqa: N818 - an answer, not a bug
    """An error answer of the stand-in (status and JSON body)."""

    def __init__(self, estado: int, cuerpo: dict[str, Any]) -> None:
        super().__init__(estado)
        self.estado = estado
        self.cuerpo = cuerpo


@dataclass
class GraphLocal:
    """The stand-in's state; ``iniciar`` serves it on 127.0.0.1 (port 0 picks a free one). ``token`` reads leads
    and media; ``token_whatsapp``, ``token_pagina`` and ``token_botmaker`` send (empty: ``token`` is accepted)."""

    token: str
    version: str = "v21.0"
    token_whatsapp: str = ""
    token_pagina: str = ""
    token_botmaker: str = ""
    waba_id: str = "102290129340398"
    page_id: str = "104857384756123"
    telefono_negocio: str = "59144000000"
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    medios: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    fallos: dict[str, _Fallo] = field(default_factory=dict)
    peticiones: list[str] = field(default_factory=list)
    mensajes: list[dict[str, Any]] = field(default_factory=list)
    """Every accepted outbound message, oldest first (see ``_registrar`` for the keys)."""
    subidos: dict[str, _Subido] = field(default_factory=dict)
    ventanas_cerradas: set[str] = field(default_factory=set)
    fallos_envio: dict[str, _FalloEnvio] = field(default_factory=dict)
    entregas_fallidas: set[str] = field(default_factory=set)
    base: str = ""
    _estados: list[_Estado] = field(default_factory=list)
    _servidor: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _lock_entrega: threading.Lock = field(default_factory=threading.Lock)
    _parar_notificador: threading.Event = field(default_factory=threading.Event)

    def registrar_lead(self, leadgen_id: str, campos: dict[str, str], **extra: Any) -> None:
        """A lead whose ``field_data`` holds exactly ``campos`` (name -> value)."""
        field_data = [{"name": nombre, "values": [valor]} for nombre, valor in campos.items()]
        self.leads[leadgen_id] = {"id": leadgen_id, "field_data": field_data, **extra}

    def registrar_medio(self, media_id: str, contenido: bytes, tipo: str) -> None:
        self.medios[media_id] = (contenido, tipo)

    def fallar(self, recurso_id: str, veces: int, estado: int = 500) -> None:
        """The next ``veces`` requests about ``recurso_id`` answer ``estado``."""
        self.fallos[recurso_id] = _Fallo(veces, estado)

    # -- outbound simulation ----------------------------------------------------------------------------------

    def cerrar_ventana(self, destino_id: str) -> None:
        """The 24-hour window of ``destino_id`` (wa_id, PSID or Botmaker contactId) is closed: WhatsApp free-form
        answers 131047 (templates still go), Messenger without ``tag`` answers (#10)/2018278, Botmaker a 400."""
        with self._lock:
            self.ventanas_cerradas.add(destino_id)

    def abrir_ventana(self, destino_id: str) -> None:
        with self._lock:
            self.ventanas_cerradas.discard(destino_id)

    def fallar_envio(
        self, destino_id: str, codigo: int, veces: int = 1, http: int = 400, subcodigo: int | None = None
    ) -> None:
        """The next ``veces`` sends to ``destino_id`` answer Meta's error ``codigo`` with HTTP ``http`` (e.g. 130429
        with 429, 131026 with 400, 131000 with 500); on Botmaker ``{"errors": [...]}`` with HTTP ``http``."""
        with self._lock:
            self.fallos_envio[destino_id] = _FalloEnvio(codigo, veces, http, subcodigo)

    def fallar_entrega(self, destino_id: str) -> None:
        """Later sends to ``destino_id`` are accepted, but WhatsApp reports them ``failed`` (131026) instead of
        delivered and read, and Messenger sends no delivery or read event."""
        with self._lock:
            self.entregas_fallidas.add(destino_id)

    def reiniciar(self) -> None:
        """Forget every message, upload, queued status, closed window and simulated send failure."""
        with self._lock:
            self.mensajes.clear()
            self.subidos.clear()
            self.ventanas_cerradas.clear()
            self.fallos_envio.clear()
            self.entregas_fallidas.clear()
            self._estados.clear()

    def pendientes_estados(self) -> list[bytes]:
        """The status webhook bodies (JSON bytes) not yet delivered, in order."""
        with self._lock:
            return [e.cuerpo for e in self._estados]

    def entregar_estados(self, notificar: Callable[[bytes], object]) -> int:
        """Hand every queued status body to ``notificar`` in order (each one leaves the queue once ``notificar``
        returned; an exception stops here and keeps the rest). How many were delivered."""
        entregados = 0
        with self._lock_entrega:
            while True:
                with self._lock:
                    if not self._estados:
                        return entregados
                    siguiente = self._estados[0]
                notificar(siguiente.cuerpo)
                with self._lock:
                    if self._estados and self._estados[0] is siguiente:
                        self._estados.pop(0)
                    siguiente.registro["estado"] = siguiente.estado
                entregados += 1

    def iniciar_notificador(self, url_webhook: str, secreto_app: str, intervalo: float = 1.0) -> threading.Thread:
        """A daemon thread that every ``intervalo`` seconds POSTs the queued status bodies to ``url_webhook``,
        signed as Meta signs them (``X-Hub-Signature-256``); a failure leaves them for the next tick."""

        def enviar(cuerpo: bytes) -> None:
            firma = hmac.new(secreto_app.encode(), cuerpo, hashlib.sha256).hexdigest()
            peticion = urllib.request.Request(  # noqa: S310 - local URL
                url_webhook,
                data=cuerpo,
                method="POST",
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={firma}"},
            )
            with urllib.request.urlopen(peticion, timeout=30) as respuesta:  # noqa: S310  # nosec B310
                respuesta.read()

        def bucle() -> None:
            ultimo = ""
            while not self._parar_notificador.wait(intervalo):
                try:
                    self.entregar_estados(enviar)
                    ultimo = ""
                except Exception as exc:  # any failure: retried next tick
                    if str(exc) != ultimo:
                        logger.warning("no se pudo entregar un estado al webhook %s: %s", url_webhook, exc)
                    ultimo = str(exc)

        self._parar_notificador.clear()
        hilo = threading.Thread(target=bucle, name="graph-local-estados", daemon=True)
        hilo.start()
        return hilo

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
        subido = self.subidos.get(media_id)
        if subido is not None:
            return subido.contenido, subido.tipo
        return self.medios.get(media_id) or (_png(media_id), "image/png")

    # -- server ---------------------------------------------------------------------------------------------

    @classmethod
    def desde_settings(cls, settings: Any) -> GraphLocal:
        """The stand-in with the stage's tokens (the local secrets)."""
        secretos = settings.secretos_locales
        return cls(
            token=settings.graph_token,
            token_whatsapp=secretos.get("whatsapp_token", ""),
            token_pagina=secretos.get("messenger_token", ""),
            token_botmaker=secretos.get("botmaker_api_token", ""),
        )

    def iniciar(self, puerto: int = 0, host: str = "127.0.0.1") -> str:
        estado = self

        class Manejador(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if urlsplit(self.path).path.startswith("/_local/"):
                    estado._atender_local(self, b"")
                else:
                    estado._atender(self)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                estado._atender_post(self)

            def log_message(self, *args: Any) -> None:
                return

        self._servidor = ThreadingHTTPServer((host, puerto), Manejador)
        self._servidor.daemon_threads = True
        self.base = f"http://{host}:{self._servidor.server_address[1]}"
        threading.Thread(target=self._servidor.serve_forever, name="graph-local", daemon=True).start()
        return self.base

    def detener(self) -> None:
        self._parar_notificador.set()
        if self._servidor is not None:
            self._servidor.shutdown()
            self._servidor.server_close()
            self._servidor = None

    @property
    def url_api(self) -> str:
        return f"{self.base}/{self.version}"

    @property
    def url_botmaker(self) -> str:
        return f"{self.base}/botmaker/v2.0"

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

    # -- POST: the send APIs ------------------------------------------------------------------------------------

    def _atender_post(self, peticion: BaseHTTPRequestHandler) -> None:
        largo = int(peticion.headers.get("Content-Length") or 0)
        cuerpo = peticion.rfile.read(largo) if largo > 0 else b""
        partes = urlsplit(peticion.path)
        segmentos = tuple(s for s in partes.path.split("/") if s)
        with self._lock:
            self.peticiones.append(peticion.path)
        try:
            if segmentos[:1] == ("_local",):
                return self._atender_local(peticion, cuerpo)
            if segmentos[:3] == BOTMAKER_BASE and len(segmentos) == 4:
                estado, respuesta = self._botmaker(peticion, segmentos[3], cuerpo)
            elif len(segmentos) == 3 and segmentos[0] == self.version and segmentos[1] == "me":
                self._autorizar_pagina(peticion)
                estado, respuesta = self._messenger(peticion, segmentos[2], cuerpo)
            elif len(segmentos) == 3 and segmentos[0] == self.version:
                self._autorizar(peticion, self.token_whatsapp)
                estado, respuesta = self._whatsapp(peticion, segmentos[1], segmentos[2], cuerpo)
            elif len(segmentos) == 3:
                raise _Rechazo(400, _error_meta(2635, "(#2635) Unknown version"))
            else:
                raise _Rechazo(404, _error_meta(803, "Unknown path"))
        except _Rechazo as rechazo:
            return _responder(peticion, rechazo.estado, rechazo.cuerpo)
        return _responder(peticion, estado, respuesta)

    def _atender_local(self, peticion: BaseHTTPRequestHandler, cuerpo: bytes) -> None:
        ruta = urlsplit(peticion.path).path.rstrip("/")
        if ruta == "/_local/mensajes" and peticion.command == "GET":
            with self._lock:
                copia = json.loads(json.dumps(self.mensajes))
            return _responder(peticion, 200, {"total": len(copia), "mensajes": copia})
        if ruta == "/_local/reiniciar" and peticion.command == "POST":
            self.reiniciar()
            return _responder(peticion, 200, {"reiniciado": True})
        return _responder(peticion, 404, {"error": {"message": "Unknown path", "code": 803}})

    def _autorizar(self, peticion: BaseHTTPRequestHandler, propio: str) -> None:
        if peticion.headers.get("Authorization") != f"Bearer {propio or self.token}":
            raise _Rechazo(401, _error_meta(190, "Invalid OAuth access token - Cannot parse access token"))

    def _autorizar_pagina(self, peticion: BaseHTTPRequestHandler) -> None:
        esperado = self.token_pagina or self.token
        consulta = parse_qs(urlsplit(peticion.path).query)
        if esperado in consulta.get("access_token", []):
            return
        self._autorizar(peticion, esperado)

    # WhatsApp Cloud API

    def _whatsapp(
        self, peticion: BaseHTTPRequestHandler, cuenta: str, recurso: str, cuerpo: bytes
    ) -> tuple[int, dict[str, Any]]:
        if recurso == "media":
            campos = _multipart(peticion.headers.get("Content-Type") or "", cuerpo)
            if _valor(campos, "messaging_product") != "whatsapp":
                raise _Rechazo(400, _error_invalido("The parameter messaging_product is required."))
            archivo = campos.get("file")
            if archivo is None or not archivo[2]:
                raise _Rechazo(400, _error_invalido("The parameter file is required."))
            tipo = _valor(campos, "type") or archivo[1]
            media_id = str(secrets.randbelow(9 * 10**15) + 10**15)
            with self._lock:
                self.subidos[media_id] = _Subido(archivo[2], tipo, archivo[0] or "archivo")
            return 200, {"id": media_id}
        if recurso != "messages":
            raise _Rechazo(404, _error_meta(803, "Unknown path"))
        datos = _json(cuerpo)
        if datos.get("status") == "read" and datos.get("message_id"):
            return 200, {"success": True}
        if datos.get("messaging_product") != "whatsapp":
            raise _Rechazo(400, _error_invalido("The parameter messaging_product is required."))
        para = str(datos.get("to") or "").lstrip("+")
        if not para.isdigit():
            raise _Rechazo(400, _error_invalido("The parameter to is required."))
        tipo = datos.get("type") or "text"
        if tipo not in TIPOS_WHATSAPP or not isinstance(datos.get(tipo), dict):
            raise _Rechazo(400, _error_invalido(f"Param type must be one of {sorted(TIPOS_WHATSAPP)}"))
        registro = self._registro_whatsapp(cuenta, para, tipo, datos[tipo])
        self._fallo_simulado(para, "whatsapp")
        if tipo != "template" and para in self.ventanas_cerradas:
            raise _Rechazo(
                400,
                _error_meta(
                    131047,
                    "(#131047) Re-engagement message",
                    error_data={"messaging_product": "whatsapp", "details": DETALLE_VENTANA},
                ),
            )
        wamid = _wamid(para)
        referencia = datos.get("biz_opaque_callback_data")
        registro |= {"id": wamid, "referencia": referencia if isinstance(referencia, str) else None}
        with self._lock:
            self.mensajes.append(registro)
            self._encolar_whatsapp(registro, fallida=para in self.entregas_fallidas)
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": str(datos.get("to")), "wa_id": para}],
            "messages": [{"id": wamid, "message_status": "accepted"}],
        }

    def _registro_whatsapp(self, cuenta: str, para: str, tipo: str, objeto: dict[str, Any]) -> dict[str, Any]:
        """Validates the message object as Meta would (limits of the reference) and describes it."""
        texto = ""
        documento: dict[str, Any] | None = None
        botones: list[str] = []
        plantilla: dict[str, Any] | None = None
        if tipo == "text":
            texto = str(objeto.get("body") or "")
            if not texto or len(texto) > 4096:
                raise _Rechazo(400, _error_invalido("text.body is required and must have at most 4096 characters."))
        elif tipo in ("document", "image"):
            documento = self._medio_enviado(objeto)
            texto = str(objeto.get("caption") or "")
            if len(texto) > 1024:
                raise _Rechazo(400, _error_invalido("caption must have at most 1024 characters."))
        elif tipo == "interactive":
            texto, botones = _interactivo(objeto)
        else:
            plantilla, documento = self._plantilla(objeto)
            texto = _texto_plantilla(plantilla["nombre"], plantilla["parametros"])
        return {
            "id": "",
            "canal": "whatsapp",
            "para": para,
            "cuenta": cuenta,
            "tipo": tipo,
            "texto": texto,
            "documento": documento,
            "botones": botones,
            "plantilla": plantilla,
            "etiqueta": None,
            "messaging_type": None,
            "referencia": None,
            "enviado_en": _ahora_iso(),
            "estado": "aceptado",
        }

    def _medio_enviado(self, objeto: dict[str, Any]) -> dict[str, Any]:
        media_id = str(objeto.get("id") or "")
        enlace = objeto.get("link")
        if media_id:
            subido = self.subidos.get(media_id)
            if subido is None:
                raise _Rechazo(400, _error_invalido(f"Media id {media_id} was not uploaded to this phone number."))
            nombre = str(objeto.get("filename") or subido.nombre)
            return {"nombre": nombre, "tipo": subido.tipo, "bytes": len(subido.contenido)}
        if isinstance(enlace, str) and enlace.startswith(("http://", "https://")):
            nombre = str(objeto.get("filename") or enlace.rsplit("/", 1)[-1])
            return {"nombre": nombre, "tipo": None, "bytes": None, "url": enlace}
        raise _Rechazo(400, _error_invalido("A media object needs an id or a link."))

    def _plantilla(self, objeto: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        nombre = objeto.get("name")
        idioma = (objeto.get("language") or {}).get("code") if isinstance(objeto.get("language"), dict) else None
        componentes = objeto.get("components") or []
        if not isinstance(nombre, str) or not nombre or not isinstance(idioma, str) or not idioma:
            raise _Rechazo(400, _error_invalido("template.name and template.language.code are required."))
        if not isinstance(componentes, list):
            raise _Rechazo(400, _error_invalido("template.components must be a list."))
        parametros: list[str] = []
        documento: dict[str, Any] | None = None
        for componente in componentes:
            if not isinstance(componente, dict):
                raise _Rechazo(400, _error_invalido("Each template component must be an object."))
            for parametro in componente.get("parameters") or []:
                if componente.get("type") == "body" and parametro.get("type") == "text":
                    valor = parametro.get("text")
                    if not isinstance(valor, str) or not valor.strip() or "\n" in valor or "\t" in valor:
                        raise _Rechazo(
                            400,
                            _error_meta(
                                132018,
                                "(#132018) There was an issue with the parameters in your template.",
                                error_data={"messaging_product": "whatsapp", "details": "Invalid text parameter."},
                            ),
                        )
                    parametros.append(valor)
                elif componente.get("type") == "header" and parametro.get("type") == "document":
                    documento = self._medio_enviado(parametro.get("document") or {})
        conocida = next((p for p in PLANTILLAS_APROBADAS.values() if p.nombre == nombre), None)
        if conocida is not None and conocida.documento and documento is None:
            raise _Rechazo(
                400,
                _error_meta(
                    132012,
                    "(#132012) Parameter format does not match format in the created template",
                    error_data={
                        "messaging_product": "whatsapp",
                        "details": "header: Format mismatch, expected DOCUMENT, received UNKNOWN",
                    },
                ),
            )
        if conocida is not None and len(conocida.parametros) != len(parametros):
            raise _Rechazo(
                400,
                _error_meta(
                    132000,
                    "(#132000) Number of parameters does not match the expected number of params",
                    error_data={
                        "messaging_product": "whatsapp",
                        "details": f"body: number of localizable_params ({len(parametros)}) does not match the "
                        f"expected number of params ({len(conocida.parametros)})",
                    },
                ),
            )
        return {"nombre": nombre, "idioma": idioma, "parametros": parametros}, documento

    def _encolar_whatsapp(self, registro: dict[str, Any], *, fallida: bool) -> None:
        ahora = int(time.time())
        secuencia = ("sent", "failed") if fallida else ("sent", "delivered", "read")
        for paso, estado in enumerate(secuencia):
            elemento: dict[str, Any] = {
                "id": registro["id"],
                "status": estado,
                "timestamp": str(ahora + paso),
                "recipient_id": registro["para"],
            }
            if registro["referencia"]:
                elemento["biz_opaque_callback_data"] = registro["referencia"]
            if estado == "failed":
                elemento["errors"] = [
                    {
                        "code": 131026,
                        "title": "Message undeliverable",
                        "message": "Message undeliverable",
                        "error_data": {"details": "Message Undeliverable."},
                        "href": URL_CODIGOS,
                    }
                ]
            elif estado in ("sent", "delivered"):
                plantilla = registro["tipo"] == "template"
                categoria = "utility" if plantilla else "service"
                elemento["conversation"] = {
                    "id": hashlib.sha256(f"{registro['cuenta']}:{registro['para']}".encode()).hexdigest()[:32],
                    "expiration_timestamp": str(ahora + 86_400),
                    "origin": {"type": categoria},
                }
                elemento["pricing"] = {
                    "billable": plantilla,
                    "pricing_model": "PMP",
                    "category": categoria,
                    "type": "regular" if plantilla else "free_customer_service",
                }
            cuerpo = {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": self.waba_id,
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": self.telefono_negocio,
                                        "phone_number_id": registro["cuenta"],
                                    },
                                    "statuses": [elemento],
                                },
                            }
                        ],
                    }
                ],
            }
            self._estados.append(_Estado(registro, estado, _bytes(cuerpo)))

    # Messenger Send API

    def _messenger(self, peticion: BaseHTTPRequestHandler, recurso: str, cuerpo: bytes) -> tuple[int, dict[str, Any]]:
        if recurso == "message_attachments":
            campos = _multipart(peticion.headers.get("Content-Type") or "", cuerpo)
            try:
                mensaje = json.loads(_valor(campos, "message") or "null")
                tipo_adjunto = mensaje["attachment"]["type"]
            except (ValueError, TypeError, KeyError):
                raise _Rechazo(400, _error_invalido("The parameter message is required.")) from None
            archivo = campos.get("filedata")
            if archivo is None or not archivo[2] or tipo_adjunto not in ("image", "audio", "video", "file"):
                raise _Rechazo(400, _error_invalido("The parameter filedata is required."))
            adjunto = str(secrets.randbelow(9 * 10**15) + 10**15)
            with self._lock:
                self.subidos[adjunto] = _Subido(archivo[2], archivo[1], archivo[0] or "archivo")
            return 200, {"attachment_id": adjunto}
        if recurso != "messages":
            raise _Rechazo(404, _error_meta(803, "Unknown path"))
        datos = _json(cuerpo)
        psid = str((datos.get("recipient") or {}).get("id") or "") if isinstance(datos.get("recipient"), dict) else ""
        if not psid:
            raise _Rechazo(400, _error_invalido("The parameter recipient is required.", subcodigo=2018001))
        tipo_mensajeria = datos.get("messaging_type")
        etiqueta = datos.get("tag")
        if tipo_mensajeria not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            raise _Rechazo(400, _error_invalido("The parameter messaging_type is required."))
        if (tipo_mensajeria == "MESSAGE_TAG") != (etiqueta is not None) or (
            etiqueta is not None and etiqueta not in TAGS_MESSENGER
        ):
            raise _Rechazo(400, _error_invalido("A valid tag goes with messaging_type MESSAGE_TAG only."))
        mensaje = datos.get("message")
        if not isinstance(mensaje, dict):
            raise _Rechazo(400, _error_invalido("The parameter message is required."))
        registro = self._registro_messenger(psid, mensaje)
        self._fallo_simulado(psid, "messenger")
        if psid in self.ventanas_cerradas and not etiqueta:
            raise _Rechazo(
                400,
                _error_meta(10, "(#10) This message is sent outside of allowed window.", subcodigo=2018278),
            )
        mid = f"m_{secrets.token_urlsafe(30)}"
        registro |= {"id": mid, "etiqueta": etiqueta, "messaging_type": tipo_mensajeria}
        with self._lock:
            self.mensajes.append(registro)
            if psid not in self.entregas_fallidas:
                self._encolar_messenger(registro)
        return 200, {"recipient_id": psid, "message_id": mid}

    def _registro_messenger(self, psid: str, mensaje: dict[str, Any]) -> dict[str, Any]:
        texto = mensaje.get("text")
        adjunto = mensaje.get("attachment")
        documento: dict[str, Any] | None = None
        if isinstance(texto, str) and texto:
            if len(texto) > 2000:
                raise _Rechazo(400, _error_invalido("message.text must have at most 2000 characters."))
            tipo = "text"
        elif isinstance(adjunto, dict) and isinstance(adjunto.get("payload"), dict):
            carga = adjunto["payload"]
            if carga.get("attachment_id"):
                subido = self.subidos.get(str(carga["attachment_id"]))
                if subido is None:
                    raise _Rechazo(400, _error_invalido("Unknown attachment_id."))
                documento = {"nombre": subido.nombre, "tipo": subido.tipo, "bytes": len(subido.contenido)}
            elif isinstance(carga.get("url"), str):
                documento = {
                    "nombre": carga["url"].rsplit("/", 1)[-1],
                    "tipo": None,
                    "bytes": None,
                    "url": carga["url"],
                }
            else:
                raise _Rechazo(400, _error_invalido("An attachment needs an attachment_id or a url."))
            tipo = "document" if adjunto.get("type") == "file" else str(adjunto.get("type") or "file")
            texto = ""
        else:
            raise _Rechazo(400, _error_invalido("A message needs text or an attachment."))
        respuestas = mensaje.get("quick_replies") or []
        if not isinstance(respuestas, list) or len(respuestas) > 13:
            raise _Rechazo(400, _error_invalido("At most 13 quick_replies."))
        botones = []
        for respuesta in respuestas:
            titulo = respuesta.get("title") if isinstance(respuesta, dict) else None
            if not isinstance(titulo, str) or not titulo or len(titulo) > 20 or not respuesta.get("payload"):
                raise _Rechazo(
                    400, _error_invalido("quick_replies need a title of at most 20 characters and a payload.")
                )
            botones.append(titulo)
        return {
            "id": "",
            "canal": "messenger",
            "para": psid,
            "cuenta": self.page_id,
            "tipo": "interactive" if botones else tipo,
            "texto": texto,
            "documento": documento,
            "botones": botones,
            "plantilla": None,
            "etiqueta": None,
            "messaging_type": None,
            "referencia": None,
            "enviado_en": _ahora_iso(),
            "estado": "aceptado",
        }

    def _encolar_messenger(self, registro: dict[str, Any]) -> None:
        ahora = int(time.time() * 1000)
        eventos: tuple[tuple[str, dict[str, Any]], ...] = (
            ("delivered", {"delivery": {"mids": [registro["id"]], "watermark": ahora}}),
            ("read", {"read": {"watermark": ahora}}),
        )
        for paso, (estado, evento) in enumerate(eventos):
            momento = ahora + paso * 1000
            cuerpo = {
                "object": "page",
                "entry": [
                    {
                        "id": self.page_id,
                        "time": momento,
                        "messaging": [
                            {
                                "sender": {"id": registro["para"]},
                                "recipient": {"id": self.page_id},
                                "timestamp": momento,
                                **evento,
                            }
                        ],
                    }
                ],
            }
            self._estados.append(_Estado(registro, estado, _bytes(cuerpo)))

    # Botmaker API v2.0

    def _botmaker(self, peticion: BaseHTTPRequestHandler, accion: str, cuerpo: bytes) -> tuple[int, dict[str, Any]]:
        if peticion.headers.get("access-token") != (self.token_botmaker or self.token):
            raise _Rechazo(401, _error_botmaker("unauthorized", "access-token", "Invalid or missing access token"))
        if accion not in ("send-messages", "trigger-intent"):
            raise _Rechazo(404, _error_botmaker("not_found", "path", f"Unknown action {accion}"))
        try:
            datos = json.loads(cuerpo or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            datos = None
        if not isinstance(datos, dict):
            raise _Rechazo(400, _error_botmaker("invalid_request", "body", "The body must be a JSON object"))
        chat = datos.get("chat")
        if not isinstance(chat, dict) or not (chat.get("chatId") or (chat.get("channelId") and chat.get("contactId"))):
            raise _Rechazo(
                400, _error_botmaker("invalid_request", "chat", "chat needs chatId or channelId and contactId")
            )
        contacto = str(chat.get("contactId") or chat.get("chatId") or "")
        canal = str(chat.get("channelId") or "")
        base: dict[str, Any] = {
            "canal": "botmaker",
            "para": contacto,
            "cuenta": canal,
            "botones": [],
            "etiqueta": None,
            "messaging_type": None,
            "estado": "aceptado",
        }
        registros: list[dict[str, Any]] = []
        if accion == "trigger-intent":
            nombre = datos.get("intentIdOrName")
            variables = datos.get("variables") or {}
            if not isinstance(nombre, str) or not nombre or not isinstance(variables, dict):
                raise _Rechazo(400, _error_botmaker("invalid_request", "intentIdOrName", "intentIdOrName is required"))
            valores = [str(v) for v in variables.values()]
            registros.append(
                base
                | {
                    "tipo": "template",
                    "texto": _texto_plantilla(nombre, valores),
                    "documento": None,
                    "plantilla": {"nombre": nombre, "idioma": None, "parametros": valores, "variables": variables},
                    "referencia": datos.get("webhookPayload"),
                }
            )
        else:
            mensajes = datos.get("messages")
            if not isinstance(mensajes, list) or not mensajes:
                raise _Rechazo(400, _error_botmaker("invalid_request", "messages", "messages must not be empty"))
            for mensaje in mensajes:
                registros.append(base | _registro_botmaker(mensaje))
        self._fallo_simulado(contacto, "botmaker")
        if accion == "send-messages" and contacto in self.ventanas_cerradas:
            raise _Rechazo(
                400,
                _error_botmaker(
                    "whatsapp_window_closed",
                    "chat",
                    "The WhatsApp 24 hours window is closed: use a template (trigger-intent)",
                ),
            )
        notificacion = str(uuid.uuid4())
        with self._lock:
            for registro in registros:
                completo = {"id": notificacion} | registro | {"enviado_en": _ahora_iso()}
                self.mensajes.append({clave: completo.get(clave) for clave in CLAVES_REGISTRO})
        return 202, {"webhookNotificationId": notificacion}

    def _fallo_simulado(self, destino_id: str, canal: str) -> None:
        with self._lock:
            fallo = self.fallos_envio.get(destino_id)
            if fallo is None or fallo.veces <= 0:
                return
            fallo.veces -= 1
        titulo = TITULOS_ERROR.get(fallo.codigo, "Simulated failure")
        if canal == "botmaker":
            raise _Rechazo(fallo.http, _error_botmaker("provider_error", "whatsapp", f"({fallo.codigo}) {titulo}"))
        datos = {"messaging_product": "whatsapp", "details": titulo} if canal == "whatsapp" else None
        raise _Rechazo(
            fallo.http,
            _error_meta(fallo.codigo, f"(#{fallo.codigo}) {titulo}", subcodigo=fallo.subcodigo, error_data=datos),
        )


def _registro_botmaker(mensaje: Any) -> dict[str, Any]:
    if not isinstance(mensaje, dict):
        raise _Rechazo(400, _error_botmaker("invalid_request", "messages", "Each message must be an object"))
    medio = mensaje.get("media")
    texto = mensaje.get("text")
    documento = None
    if medio is not None:
        if not isinstance(medio, dict) or not str(medio.get("url") or "").startswith(("http://", "https://")):
            raise _Rechazo(400, _error_botmaker("invalid_request", "media.url", "media needs an absolute url"))
        if not medio.get("mimeType"):
            raise _Rechazo(400, _error_botmaker("invalid_request", "media.mimeType", "media needs a mimeType"))
        documento = {
            "nombre": str(medio.get("filename") or medio["url"].rsplit("/", 1)[-1]),
            "tipo": medio["mimeType"],
            "bytes": None,
            "url": medio["url"],
        }
    elif not isinstance(texto, str) or not texto:
        raise _Rechazo(400, _error_botmaker("invalid_request", "messages", "A message needs text or media"))
    return {
        "tipo": "document" if documento else "text",
        "texto": texto if isinstance(texto, str) else "",
        "documento": documento,
        "plantilla": None,
        "referencia": mensaje.get("webhookPayload"),
    }


def _interactivo(objeto: dict[str, Any]) -> tuple[str, list[str]]:
    cuerpo = objeto.get("body")
    texto = cuerpo.get("text") if isinstance(cuerpo, dict) else None
    if objeto.get("type") != "button" or not isinstance(texto, str) or not texto or len(texto) > 1024:
        raise _Rechazo(
            400, _error_invalido("interactive needs type button and a body.text of at most 1024 characters.")
        )
    accion = objeto.get("action")
    botones = accion.get("buttons") if isinstance(accion, dict) else None
    if not isinstance(botones, list) or not 1 <= len(botones) <= 3:
        raise _Rechazo(400, _error_invalido("interactive.action.buttons needs 1 to 3 buttons."))
    titulos: list[str] = []
    for boton in botones:
        respuesta = boton.get("reply") if isinstance(boton, dict) else None
        titulo = respuesta.get("title") if isinstance(respuesta, dict) else None
        if (
            not isinstance(respuesta, dict)
            or not isinstance(titulo, str)
            or not titulo
            or len(titulo) > 20
            or not respuesta.get("id")
            or titulo in titulos
        ):
            raise _Rechazo(400, _error_invalido("Each button needs an id and a unique title of at most 20 characters."))
        titulos.append(titulo)
    return texto, titulos


def _texto_plantilla(nombre: str, valores: list[str]) -> str:
    """The approved template's body with its values, when the template is one of ours (else "")."""
    for plantilla in PLANTILLAS_APROBADAS.values():
        if plantilla.nombre == nombre:
            texto = plantilla.texto
            for numero, valor in enumerate(valores, start=1):
                texto = texto.replace(f"{{{{{numero}}}}}", valor)
            return texto
    return ""


def _wamid(para: str) -> str:
    """A wamid shaped like Meta's (base64 of the recipient and a random id: ``wamid.HBgL...`` for 11 digits)."""
    telefono = para.encode()[:255]
    crudo = b"\x1c\x18" + bytes([len(telefono)]) + telefono + b"\x15\x02\x00\x11\x18\x12"
    crudo += secrets.token_hex(9).upper().encode() + b"\x00"
    return "wamid." + base64.b64encode(crudo).decode()


def _error_meta(
    codigo: int, mensaje: str, *, subcodigo: int | None = None, error_data: dict[str, Any] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"message": mensaje, "type": "OAuthException", "code": codigo}
    if subcodigo is not None:
        error["error_subcode"] = subcodigo
    if error_data is not None:
        error["error_data"] = error_data
    error["fbtrace_id"] = secrets.token_urlsafe(15)
    return {"error": error}


def _error_invalido(detalle: str, subcodigo: int | None = None) -> dict[str, Any]:
    return _error_meta(100, f"(#100) {detalle}", subcodigo=subcodigo)


def _error_botmaker(tipo: str, fuente: str, mensaje: str) -> dict[str, Any]:
    return {"errors": [{"type": tipo, "source": fuente, "message": mensaje}]}


def _json(cuerpo: bytes) -> dict[str, Any]:
    try:
        datos = json.loads(cuerpo or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        datos = None
    if not isinstance(datos, dict):
        raise _Rechazo(400, _error_invalido("The request body must be a JSON object."))
    return datos


def _multipart(tipo: str, cuerpo: bytes) -> dict[str, tuple[str | None, str, bytes]]:
    """``multipart/form-data`` fields: name -> (filename or None, content type, bytes)."""
    encontrado = re.search(r'boundary="?([^";]+)"?', tipo)
    if not tipo.lower().startswith("multipart/form-data") or encontrado is None:
        raise _Rechazo(400, _error_invalido("The request must be multipart/form-data."))
    limite = b"--" + encontrado.group(1).encode()
    campos: dict[str, tuple[str | None, str, bytes]] = {}
    for trozo in cuerpo.split(limite)[1:]:
        if trozo.startswith(b"--"):
            break
        cabeceras, _, contenido = trozo.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        contenido = contenido.removesuffix(b"\r\n")
        nombre: str | None = None
        archivo: str | None = None
        tipo_parte = "text/plain"
        for linea in cabeceras.decode("utf-8", "replace").split("\r\n"):
            clave, _, valor = linea.partition(":")
            if clave.strip().lower() == "content-disposition":
                for parametro, valor_parametro in re.findall(r'(\w+)="([^"]*)"', valor):
                    if parametro.lower() == "name":
                        nombre = valor_parametro
                    elif parametro.lower() == "filename":
                        archivo = valor_parametro
            elif clave.strip().lower() == "content-type":
                tipo_parte = valor.strip()
        if nombre is not None:
            campos[nombre] = (archivo, tipo_parte, contenido)
    return campos


def _valor(campos: dict[str, tuple[str | None, str, bytes]], nombre: str) -> str:
    campo = campos.get(nombre)
    return campo[2].decode("utf-8", "replace") if campo is not None else ""


def _ahora_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _bytes(cuerpo: dict[str, Any]) -> bytes:
    return json.dumps(cuerpo, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
