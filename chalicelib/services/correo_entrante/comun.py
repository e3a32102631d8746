"""What every step of one inbound email shares: its ports, its result, the message being processed (``Entrante``),
how it correlated (``Correlacion``), its history entry and the context of the emails sent about it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.commands import RecibirCorreo
from chalicelib.domain.correo import CorreoEntrante, TokenRespuesta, Veredictos
from chalicelib.domain.model import Buzones, EntradaHistorial, Solicitud
from chalicelib.domain.pagos import CorreoBanco
from chalicelib.domain.ports import (
    Almacen,
    BuzonEntrante,
    Idempotencia,
    Mailer,
    Plantillas,
    SolicitudRepository,
    TokensRespuesta,
)
from chalicelib.services import correo_saliente, solicitudes
from chalicelib.services.vistas import url_consola, vista_solicitud

CANAL: Final = "correo"


@dataclass(frozen=True)
class PuertosCorreo:
    solicitudes: solicitudes.Puertos
    idempotencia: Idempotencia
    buzon: BuzonEntrante
    tokens: TokensRespuesta
    documentos: Almacen
    bucket_documentos: str
    mailer: Mailer
    plantillas: Plantillas
    salida: correo_saliente.SalidaCorreo
    buzones: Buzones
    url_publica: str
    autorizados: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Role -> mailboxes allowed to answer that role's questions (lower case)."""
    derivar: Callable[[CorreoBanco], Mapping[str, Any] | None] | None = None
    """Another inbound flow that may claim the message first (bank deposit notifications, ``services.bancos``):
    its result, or None when the message is not theirs."""

    @property
    def repo(self) -> SolicitudRepository:
        return self.solicitudes.repo


@dataclass(frozen=True)
class ResultadoCorreo:
    """What became of one inbound email (``estado``: aplicado, no_entendido, ya_decidido, documentos, ignorado,
    rechazado, duplicado)."""

    estado: str
    motivo: str | None = None
    solicitud_id: str | None = None
    accion: str | None = None


@dataclass(frozen=True)
class Entrante:
    """The inbound email being processed: the command, the parsed message, its verdicts, when, and the ports."""

    cmd: RecibirCorreo
    correo: CorreoEntrante
    veredictos: Veredictos
    ahora: datetime
    puertos: PuertosCorreo


@dataclass(frozen=True)
class Correlacion:
    """How the email found its request (``via``: token, en_respuesta_a, asunto) and the question's token; ``motivo``
    when it cannot be authorised (a key of ``MOTIVOS_RECHAZO``)."""

    via: str | None = None
    solicitud_id: str | None = None
    token: TokenRespuesta | None = None
    motivo: str | None = None


def id_entrada_correo(e: Entrante) -> str:
    """The history id of an inbound mail: one entry per SES message."""
    return f"correo#{e.cmd.message_id}"


def entrada_correo(
    e: Entrante, solicitud_id: str, tipo: str, resumen: str, campos: Mapping[str, Any]
) -> EntradaHistorial:
    """The history entry of the inbound email (one per message: ``correo#<SES id>``), sender and subject first."""
    return EntradaHistorial(
        solicitud_id=solicitud_id,
        id=id_entrada_correo(e),
        en=e.ahora.isoformat(),
        tipo=tipo,
        resumen=resumen,
        canal=CANAL,
        campos={"de": e.correo.remitente, "asunto": e.correo.asunto, **campos},
    )


def anotar(e: Entrante, token: TokenRespuesta, c: Correlacion, resumen: str, **campos: Any) -> None:
    """Record an authorised email on its request (``correo_recibido``, by the sender in the token's role)."""
    entrada = entrada_correo(
        e,
        token.solicitud_id,
        "correo_recibido",
        resumen,
        {
            "proposito": token.proposito,
            "correlacion": c.via,
            "ses_message_id": e.cmd.message_id,
            **{k: v for k, v in campos.items() if v is not None},
        },
    )
    e.puertos.repo.agregar_historial(replace(entrada, actor=e.correo.remitente, rol=token.rol))


def contexto(solicitud: Solicitud, puertos: PuertosCorreo, **datos: Any) -> dict[str, Any]:
    """The template context of an email sent about the request (an automatic answer, a notice to the executives)."""
    return {
        "solicitud": vista_solicitud(solicitud),
        "buzones": puertos.buzones.como_dict(),
        "url_solicitud": url_consola(puertos.url_publica, solicitud.id),
        "url_formulario": f"{puertos.url_publica}/solicitud",
        **datos,
    }
