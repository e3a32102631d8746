"""Outbound messaging on the customer's own channel (WhatsApp, Messenger, Botmaker): pure rules.

- ``MensajeCanal`` is what the services hand to a ``MensajeriaCanal`` adapter (one per channel).
- ``modo_envio``: the customer service window. WhatsApp (and Botmaker on WhatsApp): free-form within 24 h of the
  customer's last message, an approved template after. Messenger: ``RESPONSE`` within 24 h, the ``HUMAN_AGENT``
  tag up to 7 days, nothing after. Other Botmaker platforms (web chat) have no window.
- ``clasificar_error_meta``: Meta's error codes (WhatsApp Cloud API and Messenger Send API) -> what to do.
- ``es_baja`` / ``es_alta``: the opt-out and opt-in words a customer writes on a channel.
- ``PLANTILLAS_APROBADAS``: the WhatsApp templates a person registers in Meta Business Manager (name, language,
  parameters); the outside-the-window path of every customer message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final


class CanalMensajeria(StrEnum):
    """Channels the system can write to (the customer wrote there first)."""

    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    BOTMAKER = "botmaker"


CANALES_MENSAJERIA: Final = frozenset(c.value for c in CanalMensajeria)


class ModoEnvio(StrEnum):
    """How a message may go now, given the customer service window."""

    LIBRE = "libre"  # free-form (WhatsApp inside 24 h; Messenger RESPONSE inside 24 h)
    PLANTILLA = "plantilla"  # WhatsApp outside the window: an approved template only
    AGENTE_HUMANO = "agente_humano"  # Messenger 24 h - 7 days: MESSAGE_TAG HUMAN_AGENT
    NINGUNO = "ninguno"  # nothing may be sent on this channel (Messenger past 7 days)


class FalloCanal(StrEnum):
    """What a provider's refusal means for the sender."""

    VENTANA = "ventana"  # outside the window: send the approved template instead
    INUTILIZABLE = "inutilizable"  # not a WhatsApp number, person unavailable: use email
    LIMITE = "limite"  # rate limit: retry later with backoff
    TRANSITORIO = "transitorio"  # provider unavailable / unknown error: bounded retry
    BAJA = "baja"  # the person stopped these messages (WhatsApp 131050)
    PERMANENTE = "permanente"  # bad request, template, permission, token: record, never retry


REINTENTABLES: Final = frozenset({FalloCanal.LIMITE, FalloCanal.TRANSITORIO})

VENTANA_SERVICIO: Final = timedelta(hours=24)
VENTANA_AGENTE_HUMANO: Final = timedelta(days=7)

MAX_TEXTO: Final[Mapping[str, int]] = {"whatsapp": 4096, "messenger": 2000, "botmaker": 4096}
MAX_LEYENDA: Final = 1024
MAX_TITULO_BOTON: Final = 20
MAX_BOTONES: Final = 3


@dataclass(frozen=True)
class Destino:
    """Who receives the message on a channel: ``id`` is the WhatsApp ``wa_id`` (digits, no +), the Messenger PSID
    or Botmaker's ``contactId``; ``cuenta`` the sending account (WhatsApp ``phone_number_id``, Page id, Botmaker
    ``channelId``); ``plataforma`` Botmaker's ``chatPlatform``."""

    canal: str
    id: str
    cuenta: str = ""
    plataforma: str = ""

    @property
    def clave(self) -> str:
        """The key of this person on this channel (opt-out list, claims): ``<canal>:<id>``."""
        return f"{self.canal}:{self.id}"

    def como_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def destino_de(canal: str, origen: Mapping[str, object]) -> Destino | None:
    """Where to answer a person who wrote on ``canal``, from the channel ids kept in a contact's ``origen``
    (WhatsApp ``wa_id`` + ``phone_number_id``, Messenger ``psid`` + ``page_id``, Botmaker ``contactId`` +
    ``chatChannelId`` + ``chatPlatform``); None for other channels or without the person's id."""
    campos = {
        CanalMensajeria.WHATSAPP.value: ("wa_id", "phone_number_id", ""),
        CanalMensajeria.MESSENGER.value: ("psid", "page_id", ""),
        CanalMensajeria.BOTMAKER.value: ("contactId", "chatChannelId", "chatPlatform"),
    }.get(canal)
    if campos is None:
        return None
    persona, cuenta, plataforma = (str(origen.get(c) or "") if c else "" for c in campos)
    if not persona:
        return None
    return Destino(canal=canal, id=persona.lstrip("+"), cuenta=cuenta, plataforma=plataforma)


@dataclass(frozen=True)
class Documento:
    """A file sent as a document (a PDF arrives as a file, not a link)."""

    nombre: str
    tipo: str
    contenido: bytes


@dataclass(frozen=True)
class Boton:
    """A quick-reply button: ``id`` comes back in the reply webhook (WhatsApp ``button_reply.id``, Messenger
    ``quick_reply.payload``); ``titulo`` at most 20 characters."""

    id: str
    titulo: str


@dataclass(frozen=True)
class PlantillaAprobada:
    """A WhatsApp template as registered in Meta Business Manager: ``parametros`` name the body's {{1}}, {{2}}, ...
    in order; ``documento`` adds a DOCUMENT header (the PDF of the message)."""

    nombre: str
    idioma: str
    parametros: tuple[str, ...]
    texto: str
    """The body as registered (Spanish, with {{n}} placeholders): shown in the README and used to check params."""
    documento: bool = False


@dataclass(frozen=True)
class MensajeCanal:
    """One customer message for an adapter. With ``plantilla`` it is a template send (``valores`` fill its
    parameters, the first document goes in its header); otherwise free-form: each document, then the text with
    its buttons. ``etiqueta`` is Messenger's message tag (``HUMAN_AGENT``); ``referencia`` our id of the message,
    echoed back by the provider in statuses where it can (``biz_opaque_callback_data``, ``webhookPayload``)."""

    destino: Destino
    texto: str
    referencia: str
    documentos: tuple[Documento, ...] = ()
    botones: tuple[Boton, ...] = ()
    plantilla: PlantillaAprobada | None = None
    valores: tuple[str, ...] = ()
    etiqueta: str | None = None


@dataclass(frozen=True)
class EnvioCanal:
    """What the provider accepted: one id per API call (documents first, then the text), in order."""

    ids: tuple[str, ...]
    detalle: Mapping[str, str] = field(default_factory=dict)


def modo_envio(destino: Destino, ultimo_mensaje: datetime | None, ahora: datetime) -> ModoEnvio:
    """The window rule: free-form within 24 h of the customer's last message on the channel; after that an
    approved template on WhatsApp, the HUMAN_AGENT tag up to 7 days on Messenger, nothing after that."""
    transcurrido = ahora - ultimo_mensaje if ultimo_mensaje is not None else None
    dentro = transcurrido is not None and transcurrido <= VENTANA_SERVICIO
    if destino.canal == CanalMensajeria.MESSENGER:
        if dentro:
            return ModoEnvio.LIBRE
        if transcurrido is not None and transcurrido <= VENTANA_AGENTE_HUMANO:
            return ModoEnvio.AGENTE_HUMANO
        return ModoEnvio.NINGUNO
    if destino.canal == CanalMensajeria.BOTMAKER and destino.plataforma not in ("", "whatsapp"):
        return ModoEnvio.LIBRE
    return ModoEnvio.LIBRE if dentro else ModoEnvio.PLANTILLA


_FALLOS_META: Final[Mapping[int, FalloCanal]] = {
    131047: FalloCanal.VENTANA,
    131026: FalloCanal.INUTILIZABLE,
    551: FalloCanal.INUTILIZABLE,
    131050: FalloCanal.BAJA,
    130429: FalloCanal.LIMITE,
    131056: FalloCanal.LIMITE,
    80007: FalloCanal.LIMITE,
    4: FalloCanal.LIMITE,
    613: FalloCanal.LIMITE,
    131000: FalloCanal.TRANSITORIO,
    131016: FalloCanal.TRANSITORIO,
    2: FalloCanal.TRANSITORIO,
    131049: FalloCanal.TRANSITORIO,
}
SUBCODIGO_FUERA_DE_VENTANA: Final = 2018278


def clasificar_error_meta(codigo: int | None, subcodigo: int | None = None, http: int | None = None) -> FalloCanal:
    """Meta's ``error.code`` (and Messenger's ``error_subcode``) -> the sender's action; the HTTP status only
    when the body had no code (5xx and 429 are retried, the rest is permanent)."""
    if codigo == 10 and subcodigo == SUBCODIGO_FUERA_DE_VENTANA:
        return FalloCanal.VENTANA
    if codigo is not None and codigo in _FALLOS_META:
        return _FALLOS_META[codigo]
    if codigo is None and http is not None and (http == 429 or http >= 500):
        return FalloCanal.LIMITE if http == 429 else FalloCanal.TRANSITORIO
    return FalloCanal.PERMANENTE


def _normalizado(texto: str) -> str:
    sin_tildes = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", sin_tildes.lower()).split())


_BAJAS: Final = (
    re.compile(r"^(baja|stop|alto|parar|unsubscribe|desuscribir(me)?|cancelar suscripcion)$"),
    re.compile(r"\bno (me|nos) (escriban|escribas|escriba|manden|envien|contacten|molesten)( mas)?\b"),
    re.compile(r"\bno (quiero|deseo) (recibir )?(mas )?(mensajes|notificaciones)\b"),
    re.compile(r"^(dar(me)? de baja|darme de baja)\b"),
)
_ALTAS: Final = re.compile(r"^(alta|start|reanudar|suscribir(me)?)$")


def es_baja(texto: str) -> bool:
    """The customer asks to stop messages on this channel ("BAJA", "STOP", "no me escriban más", ...)."""
    limpio = _normalizado(texto)
    return bool(limpio) and len(limpio) <= 80 and any(p.search(limpio) for p in _BAJAS)


def es_alta(texto: str) -> bool:
    """The customer asks to receive messages again ("ALTA", "START")."""
    return bool(_ALTAS.match(_normalizado(texto)))


def recortar(texto: str, maximo: int) -> str:
    """``texto`` within a channel's length limit (cut at a line or word, with an ellipsis)."""
    if len(texto) <= maximo:
        return texto
    corte = texto[: maximo - 1]
    for separador in ("\n", " "):
        posicion = corte.rfind(separador)
        if posicion > maximo // 2:
            corte = corte[:posicion]
            break
    return corte.rstrip() + "…"


ETIQUETA_MENSAJE: Final[Mapping[str, str]] = {
    "acuse_cliente": "Acuse de recibo",
    "derivacion_cliente": "Derivación a Ventas Empresariales",
    "carta_comercial": "Carta Comercial",
    "requisitos_cliente": "Requisitos para la instalación",
    "recordatorio_requisitos": "Recordatorio de requisitos",
    "instrucciones_pago": "Instrucciones de pago",
    "comprobante_recibido": "Comprobante recibido",
    "factura_cliente": "Factura",
    "sin_servicio_cliente": "No podemos atender la solicitud",
    "mensaje_ejecutivo": "Mensaje del ejecutivo",
}
"""How people read each customer message's name (history, console)."""

PLANTILLAS_APROBADAS: Final[Mapping[str, PlantillaAprobada]] = {
    "acuse_cliente": PlantillaAprobada(
        "vd_acuse_solicitud",
        "es",
        ("nombre", "codigo"),
        "Hola {{1}}, recibimos su solicitud {{2}}. Un ejecutivo de Ventas Digitales de COMTECO le escribirá "
        "pronto por este medio.",
    ),
    "derivacion_cliente": PlantillaAprobada(
        "vd_derivacion_empresas",
        "es",
        ("nombre", "codigo"),
        "Hola {{1}}, su solicitud {{2}} fue derivada a nuestro equipo de Ventas Empresariales, que le contactará.",
    ),
    "carta_comercial": PlantillaAprobada(
        "vd_carta_comercial",
        "es",
        ("nombre", "codigo", "plan"),
        "Hola {{1}}, le enviamos la Carta Comercial de su solicitud {{2}}: plan {{3}}. Responda ACEPTO para "
        "aceptarla o NO si no le interesa.",
        documento=True,
    ),
    "requisitos_cliente": PlantillaAprobada(
        "vd_requisitos",
        "es",
        ("nombre", "codigo"),
        "Hola {{1}}, gracias por aceptar la propuesta {{2}}. Envíenos por este medio la foto de su cédula de "
        "identidad, la ubicación de instalación y la carta de solicitud firmada (modelo adjunto).",
        documento=True,
    ),
    "recordatorio_requisitos": PlantillaAprobada(
        "vd_recordatorio_requisitos",
        "es",
        ("nombre", "codigo", "pendientes"),
        "Hola {{1}}, para continuar con su solicitud {{2}} aún necesitamos: {{3}}. Puede enviarlos respondiendo "
        "a este mensaje.",
    ),
    "instrucciones_pago": PlantillaAprobada(
        "vd_instrucciones_pago",
        "es",
        ("nombre", "codigo", "monto", "enlace"),
        "Hola {{1}}, su solicitud {{2}} está lista para el pago de {{3}}. Pague en línea en {{4}} o por "
        "transferencia y envíenos el comprobante por este medio.",
    ),
    "comprobante_recibido": PlantillaAprobada(
        "vd_comprobante_recibido",
        "es",
        ("nombre", "codigo"),
        "Hola {{1}}, recibimos su comprobante de pago de la solicitud {{2}}. Cobranzas lo está validando; le "
        "avisaremos por este medio.",
    ),
    "factura_cliente": PlantillaAprobada(
        "vd_factura",
        "es",
        ("nombre", "codigo"),
        "Hola {{1}}, adjuntamos la factura de su solicitud {{2}}. ¡Gracias por elegir COMTECO!",
        documento=True,
    ),
    "sin_servicio_cliente": PlantillaAprobada(
        "vd_sin_servicio",
        "es",
        ("nombre", "codigo"),
        "Hola {{1}}, lamentamos informarle que por ahora no podemos atender su solicitud {{2}}. Le escribiremos "
        "si la situación cambia.",
    ),
    "mensaje_ejecutivo": PlantillaAprobada(
        "vd_mensaje_ejecutivo",
        "es",
        ("nombre", "codigo", "texto"),
        "Hola {{1}}, su ejecutivo de Ventas Digitales le escribe sobre la solicitud {{2}}: {{3}}",
    ),
}
"""Customer message name (``templates/mensaje/<name>.txt``) -> its approved WhatsApp template."""
