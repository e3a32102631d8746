"""Email as the procedure sees it: inbound messages, SES verdicts, reply tokens and sent-message records (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from chalicelib.domain.errors import DomainError

VEREDICTOS: Final = ("spf", "dkim", "dmarc", "spam", "virus")
"""SES receipt verdicts; an email is acted on only when every one of them is PASS."""

_TAG_SOLICITUD: Final = re.compile(r"\[(VD-[0-9A-Z]{8})\]", re.IGNORECASE)
_ID_MENSAJE: Final = re.compile(r"<([^<>@\s]+)@[^<>\s]+>")
_ASUNTO_AUTOMATICO: Final = re.compile(
    r"^\s*(?:respuesta autom[aá]tica|automatic reply|auto(?:matic)?[- ]?reply|fuera de (?:la )?oficina"
    r"|out of (?:the )?office|ausencia|ausente)\b",
    re.IGNORECASE,
)


# --- the inbound door's limits (checked by the mailbox adapter before the email parser runs) ---

MAX_BYTES_CORREO: Final = 40 * 1024 * 1024
"""Largest raw message read: SES's own maximum for a message its S3 action stores (40 MB with headers). Anything
larger was not written by the receipt rule; at this size a message of a few parts parses in about 1 s."""
MAX_LINEAS: Final = 1_000_000
"""Most lines a message may have (the parser keeps each one as an object: 5 million short lines took 434 MB). A
40 MB message of base64 attachments has about 540,000 (76 characters a line)."""
MAX_PARTES: Final = 100
"""Most MIME parts (boundary delimiter lines, and multipart/message declarations) a message may have. A reply with
its documents has 2-10 (text, HTML, a signature's inline images, a few attachments); a forwarded thread a few
dozen at most. 300,000 tiny parts once took 123 s and 387 MB to parse."""
MAX_PROFUNDIDAD: Final = 12
"""Deepest nesting of multipart containers and enclosed messages. The deepest real shape, a reply forwarded as an
attachment and forwarded again (mixed > message > mixed > message > mixed > related > alternative), is 7; 1,000
levels once raised ``RecursionError`` in the parser."""

INADMISIBLES: Final[Mapping[str, str]] = {
    "correo_demasiado_grande": f"el correo supera {MAX_BYTES_CORREO // (1024 * 1024)} MB",
    "demasiadas_lineas": f"el correo tiene más de {MAX_LINEAS:,} líneas".replace(",", "."),
    "demasiadas_partes": f"el correo tiene más de {MAX_PARTES} partes MIME",
    "anidamiento_excesivo": f"el correo anida más de {MAX_PROFUNDIDAD} niveles MIME",
    "correo_ilegible": "el correo no se pudo interpretar",
    "remitente_ambiguo": "el correo no tiene exactamente una cabecera From con exactamente un buzón",
    "sender_multiple": "el correo tiene más de una cabecera Sender o una con más de un buzón",
}
"""Why a message is refused before it is read (``CorreoEntrante.rechazo``), in Spanish for the history."""


class CorreoNoDisponible(DomainError):
    """The raw message of an inbound email is not in the mailbox bucket."""

    codigo = "correo_no_disponible"


@dataclass(frozen=True)
class AdjuntoEntrante:
    """A file attached to an inbound email."""

    nombre: str
    tipo: str
    contenido: bytes

    @property
    def tamano(self) -> int:
        return len(self.contenido)


@dataclass(frozen=True)
class CorreoEntrante:
    """A received email, parsed: sender, recipients, threading headers, both bodies and the attachments."""

    message_id: str
    remitente: str
    destinatarios: tuple[str, ...] = ()
    asunto: str = ""
    cabecera_message_id: str = ""
    referencias: tuple[str, ...] = ()
    texto: str = ""
    html: str = ""
    adjuntos: tuple[AdjuntoEntrante, ...] = ()
    automatico: bool = False
    """Sent by a robot (Auto-Submitted, X-Autoreply, Precedence: bulk/junk/auto_reply): never answered."""
    firmas_dkim: tuple[str, ...] = ()
    """The ``d=`` domains of its DKIM-Signature headers (lower case)."""
    rechazo: str | None = None
    """Why the message is refused before it is read, or None: over a size, part or nesting limit, unparseable
    (then every other field is empty), or not exactly one author (one From mailbox, at most one Sender; then
    ``remitente`` is empty). Never acted on, never answered."""

    @property
    def es_automatico(self) -> bool:
        """An auto-reply (headers or an "Respuesta automática:" / "Fuera de la oficina" subject): never a decision."""
        return self.automatico or bool(_ASUNTO_AUTOMATICO.match(self.asunto))

    @property
    def solicitud_en_asunto(self) -> str | None:
        """The request code of the ``[VD-XXXXXXXX]`` subject tag, if any."""
        coincidencia = _TAG_SOLICITUD.search(self.asunto)
        return coincidencia.group(1).upper() if coincidencia else None


@dataclass(frozen=True)
class TokenRespuesta:
    """A reply token: binds ``<buzón>+<token>@<dominio>`` to a request, a question (purpose) and its responder."""

    token: str
    solicitud_id: str
    proposito: str
    responsable: str
    rol: str
    emitido_en: str
    expira_en: str
    usado_en: str | None = None
    usado_por: str | None = None
    decision: str | None = None

    def vencido(self, ahora: datetime) -> bool:
        return datetime.fromisoformat(self.expira_en) <= ahora


@dataclass(frozen=True)
class MensajeEnviado:
    """A sent email's Message-ID (or the provider's id), kept to match In-Reply-To and bounce notices."""

    message_id: str
    solicitud_id: str
    token: str | None = None


@dataclass(frozen=True)
class Veredictos:
    """SES receipt verdicts (PASS, FAIL, GRAY, PROCESSING_FAILED, or missing)."""

    estados: Mapping[str, str] = field(default_factory=dict)

    @property
    def fallidos(self) -> tuple[str, ...]:
        return tuple(v for v in VEREDICTOS if str(self.estados.get(v, "")).upper() != "PASS")

    def resumen(self) -> dict[str, str]:
        return {v: str(self.estados.get(v, "") or "—").upper() for v in VEREDICTOS}


def clave_mensaje(message_id: str) -> str:
    """The lookup key of a Message-ID: its local part (``<abc@host>`` → ``abc``), or the bare id as given.

    SES replaces the Message-ID of a raw send with ``<provider-id@<region>.amazonses.com>``; keying by the local
    part finds both that one and the one the mailer generated, whatever the host.
    """
    coincidencia = _ID_MENSAJE.search(message_id)
    valor = coincidencia.group(1) if coincidencia else message_id.strip().strip("<>")
    return valor.lower()


def ids_de_mensaje(cabecera: str) -> list[str]:
    """Every ``<id@host>`` in an In-Reply-To or References header, in order."""
    return [m.group(0) for m in _ID_MENSAJE.finditer(cabecera)]


def direccion_respuesta(remitente: str, token: str) -> str:
    """``<local part>+<token>@<domain>`` of the system's sender mailbox (sub-addressing)."""
    local, _, dominio = remitente.partition("@")
    return f"{local}+{token}@{dominio}"


def token_de_direccion(direccion: str, remitente: str) -> str | None:
    """The token of a reply address of the system's mailbox (None for any other address)."""
    local, _, dominio = direccion.strip().lower().partition("@")
    base, _, token = local.partition("+")
    propio_local, _, propio_dominio = remitente.lower().partition("@")
    if dominio != propio_dominio or base != propio_local or not token:
        return None
    return token
