"""The outbound path every system email takes: suppression list, reply token, Message-ID registry, send.

- A recipient on the suppression list (hard bounce or complaint) is dropped; with no main recipient left the email
  is not sent at all.
- An email that expects an answer carries ``Reply-To: <buzón>+<token>@<dominio>`` (a new token bound to the
  request, the question's purpose and the intended responder, or the token of the question it repeats).
- Its Message-ID is generated here (stable for a given ``clave``, so a retried send keeps it) and recorded, with the
  provider's id, so that In-Reply-To/References and bounce notices find the request (and the token).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.correo import MensajeEnviado, TokenRespuesta, direccion_respuesta
from chalicelib.domain.model import EntradaHistorial
from chalicelib.domain.ports import (
    CorreoSaliente,
    Idempotencia,
    Mailer,
    Plantillas,
    SolicitudRepository,
    Supresiones,
    TokensRespuesta,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SalidaCorreo:
    """Ports of the outbound path (None in a ``PuertosReaccion`` keeps the plain mailer behaviour)."""

    tokens: TokensRespuesta
    supresiones: Supresiones
    remitente: str


@dataclass(frozen=True)
class Pregunta:
    """An email that expects an answer: the purpose of its reply token, the role answering, how long it is valid."""

    proposito: str
    rol: str
    dias_validez: int


@dataclass(frozen=True)
class Envio:
    """What happened to one email: the provider's id (None if nothing was sent), who got it, who was skipped."""

    message_id: str | None
    para: tuple[str, ...]
    cc: tuple[str, ...] = ()
    suprimidas: tuple[str, ...] = ()
    token: TokenRespuesta | None = None
    cabecera_message_id: str | None = None

    @property
    def enviado(self) -> bool:
        return self.message_id is not None


def id_mensaje(clave: str, remitente: str) -> str:
    """The Message-ID of the email known by ``clave`` (e.g. ``<cambio>.<reaccion>``): ``<vd.<hash>@dominio>``, the
    same for every retry of that email and short enough never to be folded onto a second header line."""
    resumen = hashlib.sha256(clave.encode("utf-8")).hexdigest()[:32]
    return f"<vd.{resumen}@{remitente.partition('@')[2]}>"


def enviar(
    correo: CorreoSaliente,
    *,
    solicitud_id: str,
    clave: str,
    mailer: Mailer,
    salida: SalidaCorreo | None,
    ahora: datetime,
    pregunta: Pregunta | None = None,
    token: TokenRespuesta | None = None,
) -> Envio:
    """Send ``correo`` through the outbound path; an answer-expecting email gets a reply token (``token`` reuses
    one, ``pregunta`` issues a new one for the first main recipient)."""
    if salida is None:
        return Envio(message_id=mailer.enviar(correo), para=correo.para, cc=correo.cc)
    suprimidas = salida.supresiones.suprimidas([*correo.para, *correo.cc])
    para = tuple(d for d in correo.para if d.lower() not in suprimidas)
    cc = tuple(d for d in correo.cc if d.lower() not in suprimidas)
    if suprimidas:
        logger.info("destinatarios suprimidos", extra={"solicitud_id": solicitud_id, "suprimidas": sorted(suprimidas)})
    if not para:
        return Envio(message_id=None, para=(), cc=(), suprimidas=tuple(sorted(suprimidas)))
    if token is None and pregunta is not None:
        token = salida.tokens.emitir(
            TokenRespuesta(
                token="",
                solicitud_id=solicitud_id,
                proposito=pregunta.proposito,
                responsable=para[0].lower(),
                rol=pregunta.rol,
                emitido_en=ahora.isoformat(),
                expira_en=(ahora + timedelta(days=pregunta.dias_validez)).isoformat(),
            )
        )
    cabecera = id_mensaje(clave, salida.remitente)
    responder_a = direccion_respuesta(salida.remitente, token.token) if token else correo.responder_a
    final = replace(correo, para=para, cc=cc, responder_a=responder_a, message_id=cabecera)
    nombre_token = token.token if token else None
    salida.tokens.registrar_mensaje(MensajeEnviado(cabecera, solicitud_id, nombre_token))
    message_id = mailer.enviar(final)
    salida.tokens.registrar_mensaje(MensajeEnviado(message_id, solicitud_id, nombre_token))
    return Envio(
        message_id=message_id,
        para=para,
        cc=cc,
        suprimidas=tuple(sorted(suprimidas)),
        token=token,
        cabecera_message_id=cabecera,
    )


def avisar_una_vez(
    plantilla: str,
    contexto: Mapping[str, Any],
    *,
    para: tuple[str, ...],
    solicitud_id: str,
    reclamo: str,
    clave: str,
    idempotencia: Idempotencia,
    plantillas: Plantillas,
    mailer: Mailer,
    salida: SalidaCorreo | None,
    ahora: datetime,
) -> Envio | None:
    """A notice to staff sent once per ``reclamo`` (the claim is given back if sending fails, so a retry sends it);
    None when it was already sent."""
    if not idempotencia.reclamar(reclamo):
        return None
    try:
        render = plantillas.correo(plantilla, contexto)
        envio = enviar(
            CorreoSaliente(
                para=para,
                asunto=render.asunto,
                texto=render.texto,
                html=render.html,
                cabeceras={"X-VD-Solicitud": solicitud_id, "X-VD-Reaccion": plantilla},
            ),
            solicitud_id=solicitud_id,
            clave=clave,
            mailer=mailer,
            salida=salida,
            ahora=ahora,
        )
    except Exception:
        idempotencia.liberar(reclamo)
        raise
    idempotencia.completar(reclamo, envio.message_id or "")
    return envio


def anotar_suprimidas(
    repo: SolicitudRepository, *, solicitud_id: str, entrada_id: str, en: str, asunto: str, envio: Envio
) -> None:
    """History entry for the recipients an email skipped because they are on the suppression list."""
    if not envio.suprimidas:
        return
    repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=solicitud_id,
            id=f"{entrada_id}#suprimidas",
            en=en,
            tipo="correo_no_enviado",
            resumen=f"Correo «{asunto}» no enviado a {', '.join(envio.suprimidas)}: dirección suprimida "
            "(rebote permanente o queja).",
            campos={"suprimidas": list(envio.suprimidas), "enviado": envio.enviado},
        )
    )
