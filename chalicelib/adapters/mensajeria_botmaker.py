"""``MensajeriaCanal`` on the Botmaker API v2.0 (``access-token`` header; stdlib urllib).

- Free-form: ``POST {base}/chats-actions/send-messages`` with ``{"chat": {"channelId", "contactId"}, "messages":
  [...]}``: one entry per document (``media`` by URL: Botmaker does not take file bytes, so ``publicar`` turns each
  document into a short-lived URL it can download; empty ``text``), then one with the text. Reply buttons are
  written into the text ("Responda: Acepto / No me interesa"): how ``whatsappInteractive`` buttons map to intents
  of the bot is not confirmed, so they are not used.
- Template: ``POST {base}/chats-actions/trigger-intent`` with ``intentIdOrName`` = the template's name and
  ``variables`` = its parameter names -> values (how Botmaker maps them to the Meta template's ``{{n}}`` is
  unconfirmed). trigger-intent takes no media: a template's DOCUMENT header must be set up in Botmaker itself.
- Both answer 202 ``{"webhookNotificationId": "..."}`` (accepted, not yet sent; no wamid): those ids are returned.
- Errors (``{"errors": [{"type", "source", "message"}]}``): 429 -> LIMITE and 5xx / timeouts -> TRANSITORIO, both
  retried with exponential backoff; 400, 401, 403 and the rest -> PERMANENTE. A message that mentions the 24-hour
  window ("24" and "window"/"ventana") -> VENTANA: whether Botmaker refuses free-form text after 24 h itself or
  relays Meta's 131047, and with which words, is **unconfirmed**.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from chalicelib.adapters.mensajeria_meta import MAX_REFERENCIA, EnviosHttp, RechazoProveedor
from chalicelib.domain.errors import MensajeNoEnviado
from chalicelib.domain.mensajeria import MAX_TEXTO, Documento, EnvioCanal, FalloCanal, MensajeCanal, recortar

PREFIJO_BOTONES: Final = "Responda: "


def clasificar_http_botmaker(estado: int, cuerpo: bytes) -> RechazoProveedor:
    """Botmaker's HTTP status and ``errors[].message`` -> what the sender does."""
    mensajes = _mensajes_error(cuerpo)
    texto = " ".join(mensajes)
    minusculas = texto.lower()
    if "24" in minusculas and ("window" in minusculas or "ventana" in minusculas):
        fallo = FalloCanal.VENTANA
    elif estado == 429:
        fallo = FalloCanal.LIMITE
    elif estado >= 500:
        fallo = FalloCanal.TRANSITORIO
    else:
        fallo = FalloCanal.PERMANENTE
    return RechazoProveedor(fallo, str(estado), texto, estado)


class BotmakerApi:
    """Botmaker API v2.0: ``destino.cuenta`` is the ``channelId``, ``destino.id`` the ``contactId``."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        publicar: Callable[[Documento], str] | None = None,
        timeout: float = 10.0,
        reintentos: int = 3,
        espera: float = 0.5,
        dormir: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._publicar = publicar
        self._http = EnviosHttp(
            proveedor="Botmaker",
            cabeceras={"access-token": token, "Accept": "application/json"},
            clasificar=clasificar_http_botmaker,
            timeout=timeout,
            reintentos=reintentos,
            espera=espera,
            dormir=dormir,
        )

    def enviar(self, mensaje: MensajeCanal) -> EnvioCanal:
        destino = mensaje.destino
        if not destino.cuenta or not destino.id:
            raise _permanente("Falta el canal de Botmaker (channelId) o el contacto del destinatario.")
        chat = {"channelId": destino.cuenta, "contactId": destino.id.lstrip("+")}
        referencia = mensaje.referencia[:MAX_REFERENCIA]
        if mensaje.plantilla is not None:
            plantilla = mensaje.plantilla
            if len(mensaje.valores) != len(plantilla.parametros):
                raise _permanente(
                    f"La plantilla {plantilla.nombre} espera {len(plantilla.parametros)} parámetro(s) "
                    f"({', '.join(plantilla.parametros)}) y recibió {len(mensaje.valores)}."
                )
            cuerpo: dict[str, Any] = {
                "chat": chat,
                "intentIdOrName": plantilla.nombre,
                "variables": dict(zip(plantilla.parametros, mensaje.valores, strict=True)),
                "webhookPayload": referencia,
            }
            return EnvioCanal(ids=(self._post("trigger-intent", cuerpo),))
        mensajes = [self._documento(d, referencia) for d in mensaje.documentos]
        texto = _texto_con_botones(mensaje)
        if texto:
            mensajes.append({"text": texto, "webhookPayload": referencia})
        if not mensajes:
            raise _permanente("El mensaje de Botmaker no tiene texto ni documentos.")
        return EnvioCanal(ids=(self._post("send-messages", {"chat": chat, "messages": mensajes}),))

    def _documento(self, documento: Documento, referencia: str) -> dict[str, Any]:
        if self._publicar is None:
            raise _permanente(f"Botmaker solo recibe documentos por URL y no hay cómo publicar «{documento.nombre}».")
        url = self._publicar(documento)
        return {
            "text": "",
            "media": {"mimeType": documento.tipo, "url": url, "filename": documento.nombre},
            "webhookPayload": referencia,
        }

    def _post(self, accion: str, cuerpo: dict[str, Any], enviados: Sequence[str] = ()) -> str:
        datos = json.dumps(cuerpo, ensure_ascii=False).encode("utf-8")
        respuesta = self._http.post(f"{self._base}/chats-actions/{accion}", datos, "application/json", enviados)
        notificacion = respuesta.get("webhookNotificationId")
        if not isinstance(notificacion, str) or not notificacion:
            raise self._http.sin_id("el mensaje", enviados)
        return notificacion


def _texto_con_botones(mensaje: MensajeCanal) -> str:
    texto = mensaje.texto.strip()
    if mensaje.botones:
        opciones = PREFIJO_BOTONES + " / ".join(" ".join(b.titulo.split()) for b in mensaje.botones)
        maximo = MAX_TEXTO["botmaker"] - len(opciones) - 2
        texto = f"{recortar(texto, maximo)}\n\n{opciones}" if texto else opciones
        return texto
    return recortar(texto, MAX_TEXTO["botmaker"]) if texto else ""


def _permanente(texto: str) -> MensajeNoEnviado:
    return MensajeNoEnviado(texto, fallo=FalloCanal.PERMANENTE.value)


def _mensajes_error(cuerpo: bytes) -> list[str]:
    try:
        datos = json.loads(cuerpo or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    if not isinstance(datos, dict):
        return []
    errores = datos.get("errors")
    if isinstance(errores, list):
        return [str(e.get("message") or "") for e in errores if isinstance(e, dict) and e.get("message")]
    error = datos.get("error")  # v1's {"error": {"code", "message"}}
    if isinstance(error, dict) and error.get("message"):
        return [str(error["message"])]
    return []
