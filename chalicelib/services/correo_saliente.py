"""The outbound path every system email takes: suppression list, reply token, Message-ID registry, send.

- A recipient on the suppression list (hard bounce or complaint) is dropped; with no main recipient left the email
  is not sent at all. This happens in the ``Mailer`` port itself (``MailerConSupresion``, wired once in
  ``chalicelib.bootstrap``), so every send honours it, present and future, with or without the steps below.
- An email that expects an answer carries ``Reply-To: <buzón>+<token>@<dominio>`` (a new token bound to the
  request, the question's purpose and the intended responder, or the token of the question it repeats).
- Its Message-ID is generated here (stable for a given ``clave``, so a retried send keeps it) and recorded, with the
  provider's id, so that In-Reply-To/References and bounce notices find the request (and the token).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.correo import MensajeEnviado, TokenRespuesta, direccion_respuesta
from chalicelib.domain.model import EntradaHistorial
from chalicelib.domain.ports import (
    CorreoSaliente,
    Entrega,
    Idempotencia,
    Mailer,
    Plantillas,
    SolicitudRepository,
    Supresiones,
    TokensRespuesta,
    TransporteCorreo,
)
from chalicelib.services import una_vez

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailerConSupresion:
    """The ``Mailer`` port: the provider behind the suppression list. The list is read once per email; whoever is
    on it is dropped (and logged), and the ``Entrega`` tells the caller who, so it can record why."""

    transporte: TransporteCorreo
    supresiones: Supresiones

    def enviar(
        self, correo: CorreoSaliente, *, preparar: Callable[[CorreoSaliente], CorreoSaliente] | None = None
    ) -> Entrega:
        suprimidas = self.supresiones.suprimidas([*correo.para, *correo.cc])
        para = tuple(d for d in correo.para if d.lower() not in suprimidas)
        cc = tuple(d for d in correo.cc if d.lower() not in suprimidas)
        omitidas = tuple(sorted(suprimidas))
        if omitidas:
            logger.info(
                "destinatarios suprimidos",
                extra={
                    "solicitud_id": correo.cabeceras.get("X-VD-Solicitud"),
                    "reaccion": correo.cabeceras.get("X-VD-Reaccion"),
                    "suprimidas": list(omitidas),
                    "enviado": bool(para),
                },
            )
        if not para:
            return Entrega(message_id=None, para=(), cc=(), suprimidas=omitidas)
        final = replace(correo, para=para, cc=cc)
        if preparar is not None:
            final = preparar(final)
        return Entrega(message_id=self.transporte.enviar(final), para=final.para, cc=final.cc, suprimidas=omitidas)


@dataclass(frozen=True)
class SalidaCorreo:
    """Ports of the outbound path's reply tokens and Message-ID registry (None in a ``PuertosReaccion`` keeps the
    plain mailer behaviour; the suppression list applies either way, in the mailer)."""

    tokens: TokensRespuesta
    remitente: str


@dataclass(frozen=True)
class Pregunta:
    """An email that expects an answer: the purpose of its reply token, the role answering, how long it is valid."""

    proposito: str
    rol: str
    dias_validez: int


@dataclass(frozen=True)
class Envio(Entrega):
    """What happened to one email sent through the outbound path: the mailer's ``Entrega`` and, when it left, its
    reply token and Message-ID header."""

    token: TokenRespuesta | None = None
    cabecera_message_id: str | None = None


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
    one, ``pregunta`` issues a new one for the first main recipient that is not suppressed)."""
    if salida is None:
        entrega = mailer.enviar(correo)
        return Envio(message_id=entrega.message_id, para=entrega.para, cc=entrega.cc, suprimidas=entrega.suprimidas)
    cabecera = id_mensaje(clave, salida.remitente)
    emitido: list[TokenRespuesta] = [token] if token is not None else []

    def preparar(final: CorreoSaliente) -> CorreoSaliente:
        """Only for an email that is going out, to its remaining recipients: token, Reply-To, Message-ID."""
        if not emitido and pregunta is not None:
            emitido.append(
                salida.tokens.emitir(
                    TokenRespuesta(
                        token="",
                        solicitud_id=solicitud_id,
                        proposito=pregunta.proposito,
                        responsable=final.para[0].lower(),
                        rol=pregunta.rol,
                        emitido_en=ahora.isoformat(),
                        expira_en=(ahora + timedelta(days=pregunta.dias_validez)).isoformat(),
                    )
                )
            )
        vigente = emitido[0] if emitido else None
        responder_a = direccion_respuesta(salida.remitente, vigente.token) if vigente else final.responder_a
        salida.tokens.registrar_mensaje(MensajeEnviado(cabecera, solicitud_id, vigente.token if vigente else None))
        return replace(final, responder_a=responder_a, message_id=cabecera)

    entrega = mailer.enviar(correo, preparar=preparar)
    if entrega.message_id is None:
        return Envio(message_id=None, para=(), cc=(), suprimidas=entrega.suprimidas)
    vigente = emitido[0] if emitido else None
    enviado = MensajeEnviado(entrega.message_id, solicitud_id, vigente.token if vigente else None)
    try:
        una_vez.tras_efecto(lambda: salida.tokens.registrar_mensaje(enviado), "Message-ID del proveedor")
    except Exception as exc:  # the email left: the caller completes its claim instead of giving it back
        raise una_vez.EfectoHecho(entrega.message_id, exc) from exc
    return Envio(
        message_id=entrega.message_id,
        para=entrega.para,
        cc=entrega.cc,
        suprimidas=entrega.suprimidas,
        token=vigente,
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
    repo: SolicitudRepository | None = None,
    cabeceras: Mapping[str, str] | None = None,
    token: TokenRespuesta | None = None,
) -> Envio | None:
    """A notice sent once per ``reclamo`` (the claim is given back if sending fails, so a retry sends it; once it left
    the claim is completed, ``una_vez``); None when it was already sent. With ``repo``, suppressed recipients are recorded in the request's history; ``cabeceras``
    are added to the identifying ones (threading, ``Auto-Submitted``) and ``token`` is the reply token it carries."""

    def enviar_aviso() -> tuple[Envio, str]:
        render = plantillas.correo(plantilla, contexto)
        envio = enviar(
            CorreoSaliente(
                para=para,
                asunto=render.asunto,
                texto=render.texto,
                html=render.html,
                cabeceras={"X-VD-Solicitud": solicitud_id, "X-VD-Reaccion": plantilla, **(cabeceras or {})},
            ),
            solicitud_id=solicitud_id,
            clave=clave,
            mailer=mailer,
            salida=salida,
            ahora=ahora,
            token=token,
        )
        return envio, render.asunto

    hecho = una_vez.enviar_una_vez(idempotencia, reclamo, enviar_aviso, lambda v: v[0].message_id or "")
    if hecho is None:
        return None
    envio, asunto = hecho
    if repo is not None:
        una_vez.tras_efecto(
            lambda: anotar_suprimidas(
                repo, solicitud_id=solicitud_id, entrada_id=reclamo, en=ahora.isoformat(), asunto=asunto, envio=envio
            ),
            f"suprimidas de {reclamo}",
        )
    return envio


def anotar_suprimidas(
    repo: SolicitudRepository, *, solicitud_id: str, entrada_id: str, en: str, asunto: str, envio: Entrega
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
