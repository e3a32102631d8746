"""Commands: what a door (HTTP, email, link, schedule) asks the services to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.model import Rol


@dataclass(frozen=True)
class CapturarSolicitud:
    """Record a prospect who showed buying intent on a channel (step 1)."""

    canal: str
    datos: dict[str, Any]
    origen: dict[str, Any] = field(default_factory=dict)
    mensaje: str = ""
    tipo_cliente_sugerido: str | None = None
    motivo_clasificacion: str | None = None
    clave_envio: str | None = None
    adjuntos: tuple[dict[str, Any], ...] = ()
    tipo_contacto: str = "formulario"
    recibo: str | None = None
    """The receipt code the web form already gave the prospect: the new request's id, or, on an open request, the
    code of this submission."""


@dataclass(frozen=True)
class RecibirWebhook:
    """Store a verified webhook delivery (a JSON object) as it came, once; it is split into items on the stream."""

    canal: str  # "meta" | "botmaker": the door the delivery came through
    cuerpo: bytes


@dataclass(frozen=True)
class AplicarAccion:
    """Apply one action of the procedure to a request on behalf of a person (or the system)."""

    solicitud_id: str
    accion: str
    campos: dict[str, Any]
    actor: str
    rol: Rol
    canal: str = "api"
    version_esperada: int | None = None
    nota: str = ""
    referencia: str | None = None
    """What outside this system caused the action, when it has an identity (an SES message, a signed link, a bank
    notice): the action gets an id derived from it, so a retry after its answer was lost can tell it was applied
    (``services.solicitudes.aplicada``)."""


@dataclass(frozen=True)
class EscalarSinAtencion:
    """Escalate to the team lead every new request that nobody touched within its first business hour."""


@dataclass(frozen=True)
class EnviarInformeMensual:
    """Email the month's "Informe General de Ventas Digitales" to the division head (step 26): once per month
    (``mes`` None = the month that just ended), or again when ``reenviar`` is set (asked by RC/JD)."""

    mes: str | None = None
    reenviar: bool = False
    solicitado_por: str = "programado"


@dataclass(frozen=True)
class RecibirCorreo:
    """Process one inbound email the SES receipt rule stored (raw MIME in S3 under its message id)."""

    message_id: str
    veredictos: dict[str, str] = field(default_factory=dict)
    """spf, dkim, dmarc, spam, virus -> PASS | FAIL | GRAY | PROCESSING_FAILED."""
    destinatarios: tuple[str, ...] = ()
    """The receipt's recipients (the addresses of our domain the message was delivered to)."""
    remitente_sobre: str = ""


@dataclass(frozen=True)
class RegistrarNotificacionCorreo:
    """Record a bounce (``rebote``) or complaint (``queja``) SES reported for an email the system sent."""

    tipo: str
    direcciones: tuple[str, ...]
    en: str
    referencia: str
    """The notice's feedback id (idempotency of its history entries)."""
    permanente: bool = False
    message_id: str = ""
    solicitud_id: str | None = None
    detalle: str = ""
