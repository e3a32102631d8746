"""``MensajeriaCanal`` on Meta's send APIs over HTTPS (stdlib urllib: no extra dependency in the Lambda package).

- ``WhatsAppCloud``: WhatsApp Cloud API. ``POST {base}/{phone_number_id}/media`` (multipart) uploads each document,
  then ``POST {base}/{phone_number_id}/messages`` sends it as ``type=document`` (a PDF arrives as a file), then the
  text (``type=text``) or the text with reply buttons (``type=interactive``). A template send is one
  ``type=template`` message (DOCUMENT header with the first document, BODY parameters from ``valores``). Every send
  carries ``biz_opaque_callback_data`` = our ``referencia`` (echoed back in the status webhooks).
- ``MessengerSend``: Messenger Send API. ``POST {base}/me/message_attachments`` uploads each document (reusable
  ``attachment_id``), then ``POST {base}/me/messages`` sends it and the text (buttons as ``quick_replies``);
  ``messaging_type`` RESPONSE, or MESSAGE_TAG with the message's ``etiqueta`` (``HUMAN_AGENT``).
- Errors: Meta's ``{"error": {"code", "error_subcode", "message"}}`` classified by
  ``domain.mensajeria.clasificar_error_meta``; rate limits (LIMITE), 5xx/unknown errors, timeouts and connection
  errors (TRANSITORIO) are retried with exponential backoff (``espera * 2**n``, ``reintentos`` times); anything else
  at once. What is left raises ``MensajeNoEnviado`` with the ``FalloCanal`` value, Meta's code and the ids already
  accepted in this call (a document sent before the text failed).
- Meta documents no idempotency key: a retry after a lost answer (timeout) may deliver a message twice.
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from chalicelib.domain.errors import MensajeNoEnviado
from chalicelib.domain.mensajeria import (
    MAX_BOTONES,
    MAX_LEYENDA,
    MAX_TEXTO,
    MAX_TITULO_BOTON,
    REINTENTABLES,
    Boton,
    Documento,
    EnvioCanal,
    FalloCanal,
    MensajeCanal,
    clasificar_error_meta,
    recortar,
)

logger = logging.getLogger(__name__)

MAX_REFERENCIA: Final = 512
"""``biz_opaque_callback_data`` is cut to this length (Meta's maximum is unconfirmed)."""
MAX_QUICK_REPLIES: Final = 13
TEXTO_BOTONES: Final = "¿Qué desea hacer?"
"""Body of the button message when the text does not fit in an interactive body (it goes first, as plain text)."""

DESCRIPCION_FALLO: Final[Mapping[FalloCanal, str]] = {
    FalloCanal.VENTANA: "fuera de la ventana de 24 horas",
    FalloCanal.INUTILIZABLE: "el destinatario no puede recibir mensajes por este canal",
    FalloCanal.LIMITE: "se alcanzó el límite de envíos",
    FalloCanal.TRANSITORIO: "el servicio no está disponible por ahora",
    FalloCanal.BAJA: "la persona pidió no recibir más estos mensajes",
    FalloCanal.PERMANENTE: "solicitud rechazada",
}


@dataclass(frozen=True)
class RechazoProveedor:
    """One failed call: what it means (``fallo``), the provider's code, its own text, the HTTP status (None when
    there was no answer at all: timeout, connection refused)."""

    fallo: FalloCanal
    codigo: str
    detalle: str
    http: int | None


class EnviosHttp:
    """POSTs to a messaging provider with bounded retries; ``clasificar`` turns an HTTP error into a
    ``RechazoProveedor``. Shared by the Meta and Botmaker adapters."""

    def __init__(
        self,
        *,
        proveedor: str,
        cabeceras: Mapping[str, str],
        clasificar: Callable[[int, bytes], RechazoProveedor],
        timeout: float,
        reintentos: int,
        espera: float,
        dormir: Callable[[float], None],
    ) -> None:
        self.proveedor = proveedor
        self._cabeceras = dict(cabeceras)
        self._clasificar = clasificar
        self._timeout = timeout
        self._reintentos = max(0, reintentos)
        self._espera = espera
        self._dormir = dormir

    def post(self, url: str, cuerpo: bytes, tipo: str, enviados: Sequence[str]) -> dict[str, Any]:
        """The provider's JSON answer; raises MensajeNoEnviado (``enviados`` = ids already accepted)."""
        rechazo = RechazoProveedor(FalloCanal.TRANSITORIO, "", "", None)
        intentos = 0
        for intento in range(self._reintentos + 1):
            if intento:
                self._dormir(self._espera * 2 ** (intento - 1))
            intentos = intento + 1
            peticion = urllib.request.Request(  # noqa: S310 - https URL from configuration
                url, data=cuerpo, method="POST", headers={**self._cabeceras, "Content-Type": tipo}
            )
            try:
                with urllib.request.urlopen(peticion, timeout=self._timeout) as respuesta:  # noqa: S310  # nosec B310
                    return self._respuesta(respuesta.read(), enviados)
            except urllib.error.HTTPError as exc:
                rechazo = self._clasificar(exc.code, _leer(exc))
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                rechazo = RechazoProveedor(FalloCanal.TRANSITORIO, "", type(exc).__name__, None)
            if rechazo.fallo not in REINTENTABLES:
                break
            logger.warning(
                "messaging provider transient failure",
                extra={"proveedor": self.proveedor, "intento": intentos, "codigo": rechazo.codigo},
            )
        raise MensajeNoEnviado(
            self._texto(rechazo, intentos),
            fallo=rechazo.fallo.value,
            codigo_proveedor=rechazo.codigo,
            enviados=tuple(enviados),
        )

    def _respuesta(self, cuerpo: bytes, enviados: Sequence[str]) -> dict[str, Any]:
        try:
            datos = json.loads(cuerpo or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            datos = None
        if not isinstance(datos, dict):
            raise MensajeNoEnviado(
                f"{self.proveedor} aceptó la solicitud pero respondió en un formato inesperado.",
                fallo=FalloCanal.TRANSITORIO.value,
                enviados=tuple(enviados),
            )
        return datos

    def _texto(self, rechazo: RechazoProveedor, intentos: int) -> str:
        if rechazo.http is None:
            return f"{self.proveedor} no respondió tras {intentos} intento(s) ({rechazo.detalle})."
        propio = rechazo.codigo and rechazo.codigo != str(rechazo.http)
        codigo = f"código {rechazo.codigo}" if propio else f"HTTP {rechazo.http}"
        texto = f"{self.proveedor} rechazó el mensaje ({codigo}): {DESCRIPCION_FALLO[rechazo.fallo]}"
        if rechazo.fallo == FalloCanal.PERMANENTE and rechazo.detalle:
            texto += f" («{rechazo.detalle[:200]}»)"
        if intentos > 1:
            texto += f", tras {intentos} intentos"
        return texto + "."

    def sin_id(self, que: str, enviados: Sequence[str]) -> MensajeNoEnviado:
        """A 2xx answer without the id we need (the message may have gone: not retried here)."""
        return MensajeNoEnviado(
            f"{self.proveedor} aceptó {que} pero no devolvió su identificador.",
            fallo=FalloCanal.TRANSITORIO.value,
            enviados=tuple(enviados),
        )


def clasificar_http_meta(estado: int, cuerpo: bytes) -> RechazoProveedor:
    """Meta's error body -> ``clasificar_error_meta(code, error_subcode, http)``."""
    error = _error_meta(cuerpo)
    codigo = _entero(error.get("code"))
    subcodigo = _entero(error.get("error_subcode"))
    fallo = clasificar_error_meta(codigo, subcodigo, estado)
    detalle = str(error.get("message") or "")
    datos = error.get("error_data")
    if isinstance(datos, dict) and datos.get("details"):
        detalle = f"{detalle}: {datos['details']}" if detalle else str(datos["details"])
    return RechazoProveedor(fallo, str(codigo) if codigo is not None else str(estado), detalle, estado)


class _AdaptadorMeta:
    proveedor = "Meta"

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout: float = 10.0,
        reintentos: int = 3,
        espera: float = 0.5,
        dormir: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._http = EnviosHttp(
            proveedor=self.proveedor,
            cabeceras={"Authorization": f"Bearer {token}"},
            clasificar=clasificar_http_meta,
            timeout=timeout,
            reintentos=reintentos,
            espera=espera,
            dormir=dormir,
        )

    def _rechazar(self, texto: str) -> MensajeNoEnviado:
        return MensajeNoEnviado(texto, fallo=FalloCanal.PERMANENTE.value)

    def _post_json(self, url: str, cuerpo: dict[str, Any], enviados: Sequence[str]) -> dict[str, Any]:
        datos = json.dumps(cuerpo, ensure_ascii=False).encode("utf-8")
        return self._http.post(url, datos, "application/json", enviados)


class WhatsAppCloud(_AdaptadorMeta):
    """WhatsApp Cloud API: ``destino.cuenta`` is the sending ``phone_number_id``, ``destino.id`` the ``wa_id``."""

    proveedor = "WhatsApp"

    def enviar(self, mensaje: MensajeCanal) -> EnvioCanal:
        cuenta = mensaje.destino.cuenta
        if not cuenta or not mensaje.destino.id:
            raise self._rechazar("Falta el número de WhatsApp de origen o el del destinatario.")
        if mensaje.plantilla is not None:
            return self._enviar_plantilla(mensaje)
        ids: list[str] = []
        for documento in mensaje.documentos:
            media_id = self._subir(cuenta, documento, ids)
            ids.append(
                self._mensaje(mensaje, "document", {"id": media_id, "filename": documento.nombre}, ids),
            )
        texto = mensaje.texto.strip()
        botones = _botones(mensaje.botones, MAX_BOTONES)
        if botones:
            cuerpo = texto
            if not texto or len(texto) > MAX_LEYENDA:
                if texto:
                    ids.append(self._texto(mensaje, texto, ids))
                cuerpo = TEXTO_BOTONES
            interactivo = {
                "type": "button",
                "body": {"text": cuerpo},
                "action": {
                    "buttons": [{"type": "reply", "reply": {"id": b.id[:256], "title": t}} for b, t in botones],
                },
            }
            ids.append(self._mensaje(mensaje, "interactive", interactivo, ids))
        elif texto:
            ids.append(self._texto(mensaje, texto, ids))
        if not ids:
            raise self._rechazar("El mensaje de WhatsApp no tiene texto ni documentos.")
        return EnvioCanal(ids=tuple(ids))

    def _enviar_plantilla(self, mensaje: MensajeCanal) -> EnvioCanal:
        plantilla = mensaje.plantilla
        assert plantilla is not None  # noqa: S101 - checked by the caller
        if len(mensaje.valores) != len(plantilla.parametros):
            raise self._rechazar(
                f"La plantilla {plantilla.nombre} espera {len(plantilla.parametros)} parámetro(s) "
                f"({', '.join(plantilla.parametros)}) y recibió {len(mensaje.valores)}."
            )
        if plantilla.documento and not mensaje.documentos:
            raise self._rechazar(
                f"La plantilla {plantilla.nombre} lleva un documento en el encabezado y el mensaje no trae ninguno."
            )
        componentes: list[dict[str, Any]] = []
        if plantilla.documento:
            documento = mensaje.documentos[0]
            media_id = self._subir(mensaje.destino.cuenta, documento, ())
            componentes.append(
                {
                    "type": "header",
                    "parameters": [{"type": "document", "document": {"id": media_id, "filename": documento.nombre}}],
                }
            )
        componentes.append(
            {"type": "body", "parameters": [{"type": "text", "text": _parametro(v)} for v in mensaje.valores]}
        )
        objeto = {"name": plantilla.nombre, "language": {"code": plantilla.idioma}, "components": componentes}
        return EnvioCanal(ids=(self._mensaje(mensaje, "template", objeto, ()),))

    def _texto(self, mensaje: MensajeCanal, texto: str, enviados: Sequence[str]) -> str:
        objeto = {"preview_url": False, "body": recortar(texto, MAX_TEXTO["whatsapp"])}
        return self._mensaje(mensaje, "text", objeto, enviados)

    def _mensaje(self, mensaje: MensajeCanal, tipo: str, objeto: dict[str, Any], enviados: Sequence[str]) -> str:
        cuerpo: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": mensaje.destino.id.lstrip("+"),
            "type": tipo,
            tipo: objeto,
        }
        if mensaje.referencia:
            cuerpo["biz_opaque_callback_data"] = mensaje.referencia[:MAX_REFERENCIA]
        url = f"{self._base}/{quote(mensaje.destino.cuenta, safe='')}/messages"
        respuesta = self._post_json(url, cuerpo, enviados)
        mensajes = respuesta.get("messages")
        wamid = (
            mensajes[0].get("id") if isinstance(mensajes, list) and mensajes and isinstance(mensajes[0], dict) else None
        )
        if not isinstance(wamid, str) or not wamid:
            raise self._http.sin_id("el mensaje", enviados)
        return wamid

    def _subir(self, cuenta: str, documento: Documento, enviados: Sequence[str]) -> str:
        cuerpo, tipo = multipart(
            [
                ("messaging_product", "whatsapp"),
                ("type", documento.tipo),
                ("file", (documento.nombre, documento.tipo, documento.contenido)),
            ]
        )
        respuesta = self._http.post(f"{self._base}/{quote(cuenta, safe='')}/media", cuerpo, tipo, enviados)
        media_id = respuesta.get("id")
        if not isinstance(media_id, str | int) or not str(media_id):
            raise self._http.sin_id(f"el documento {documento.nombre}", enviados)
        return str(media_id)


class MessengerSend(_AdaptadorMeta):
    """Messenger Send API with the Page token: ``destino.id`` is the PSID (``/me`` is the Page of the token)."""

    proveedor = "Messenger"

    def enviar(self, mensaje: MensajeCanal) -> EnvioCanal:
        if mensaje.plantilla is not None:
            raise self._rechazar("Messenger no admite plantillas de WhatsApp: envíe el mensaje como texto.")
        if not mensaje.destino.id:
            raise self._rechazar("Falta el identificador de Messenger del destinatario.")
        ids: list[str] = []
        for documento in mensaje.documentos:
            adjunto = self._subir(documento, ids)
            ids.append(
                self._mensaje(mensaje, {"attachment": {"type": "file", "payload": {"attachment_id": adjunto}}}, ids)
            )
        texto = mensaje.texto.strip()
        botones = _botones(mensaje.botones, MAX_QUICK_REPLIES)
        if texto or botones:
            contenido: dict[str, Any] = {"text": recortar(texto or TEXTO_BOTONES, MAX_TEXTO["messenger"])}
            if botones:
                contenido["quick_replies"] = [
                    {"content_type": "text", "title": t, "payload": b.id[:1000]} for b, t in botones
                ]
            ids.append(self._mensaje(mensaje, contenido, ids))
        if not ids:
            raise self._rechazar("El mensaje de Messenger no tiene texto ni documentos.")
        return EnvioCanal(ids=tuple(ids))

    def _url(self, recurso: str) -> str:
        return f"{self._base}/me/{recurso}?access_token={quote(self._token, safe='')}"

    def _mensaje(self, mensaje: MensajeCanal, contenido: dict[str, Any], enviados: Sequence[str]) -> str:
        cuerpo: dict[str, Any] = {"recipient": {"id": mensaje.destino.id}}
        if mensaje.etiqueta:
            cuerpo |= {"messaging_type": "MESSAGE_TAG", "tag": mensaje.etiqueta}
        else:
            cuerpo["messaging_type"] = "RESPONSE"
        cuerpo["message"] = contenido
        respuesta = self._post_json(self._url("messages"), cuerpo, enviados)
        mid = respuesta.get("message_id")
        if not isinstance(mid, str) or not mid:
            raise self._http.sin_id("el mensaje", enviados)
        return mid

    def _subir(self, documento: Documento, enviados: Sequence[str]) -> str:
        mensaje = {"attachment": {"type": "file", "payload": {"is_reusable": True}}}
        cuerpo, tipo = multipart(
            [
                ("message", json.dumps(mensaje)),
                ("filedata", (documento.nombre, documento.tipo, documento.contenido)),
            ]
        )
        respuesta = self._http.post(self._url("message_attachments"), cuerpo, tipo, enviados)
        adjunto = respuesta.get("attachment_id")
        if not isinstance(adjunto, str | int) or not str(adjunto):
            raise self._http.sin_id(f"el documento {documento.nombre}", enviados)
        return str(adjunto)


# -- helpers ----------------------------------------------------------------------------------------------------------

Campo = tuple[str, str | tuple[str, str, bytes]]


def multipart(campos: Sequence[Campo]) -> tuple[bytes, str]:
    """``multipart/form-data`` body and its Content-Type; a file field is ``(filename, mime type, bytes)``."""
    limite = f"vd-{secrets.token_hex(16)}"
    partes: list[bytes] = []
    for nombre, valor in campos:
        cabecera = f'Content-Disposition: form-data; name="{_comillas(nombre)}"'
        if isinstance(valor, tuple):
            archivo, tipo, contenido = valor
            cabecera += f'; filename="{_comillas(archivo)}"\r\nContent-Type: {_comillas(tipo)}'
        else:
            contenido = valor.encode("utf-8")
        partes.append(f"--{limite}\r\n{cabecera}\r\n\r\n".encode() + contenido + b"\r\n")
    return b"".join(partes) + f"--{limite}--\r\n".encode(), f"multipart/form-data; boundary={limite}"


def _comillas(valor: str) -> str:
    return valor.replace("\r", " ").replace("\n", " ").replace('"', "%22")


def _botones(botones: Sequence[Boton], maximo: int) -> list[tuple[Boton, str]]:
    """The first ``maximo`` buttons with their title trimmed to the channel's 20 characters."""
    if len(botones) > maximo:
        logger.warning("too many buttons; extra ones dropped", extra={"botones": len(botones), "maximo": maximo})
    return [(b, recortar(" ".join(b.titulo.split()), MAX_TITULO_BOTON)) for b in botones[:maximo]]


def _parametro(valor: str) -> str:
    """A template body parameter: Meta refuses new lines, tabs, more than 4 spaces in a row and empty text."""
    return " ".join(valor.split()) or "-"


def _leer(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read() or b""
    except (OSError, http.client.HTTPException):
        return b""


def _error_meta(cuerpo: bytes) -> dict[str, Any]:
    try:
        datos = json.loads(cuerpo or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    error = datos.get("error") if isinstance(datos, dict) else None
    return error if isinstance(error, dict) else {}


def _entero(valor: object) -> int | None:
    if isinstance(valor, bool):
        return None
    if isinstance(valor, int):
        return valor
    if isinstance(valor, str) and valor.strip().isdigit():
        return int(valor)
    return None
