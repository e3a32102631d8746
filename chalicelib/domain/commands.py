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


@dataclass(frozen=True)
class RecibirWebhook:
    """Store a verified webhook delivery raw and record each of its items once, for later processing."""

    canal: str  # "meta" | "botmaker": the door the delivery came through
    cuerpo: bytes
    datos: dict[str, Any]


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


@dataclass(frozen=True)
class EscalarSinAtencion:
    """Escalate to the team lead every new request that nobody touched within its first business hour."""
