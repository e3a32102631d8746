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
