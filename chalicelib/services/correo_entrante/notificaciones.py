"""Bounce and complaint notices (SES → SNS): recorded on the request; a hard bounce or a complaint puts the address on
the suppression list, so later emails skip it (``correo_saliente``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chalicelib.domain.commands import RegistrarNotificacionCorreo
from chalicelib.domain.model import EntradaHistorial
from chalicelib.domain.ports import Clock, SolicitudRepository, Supresiones, TokensRespuesta
from chalicelib.services.correo_entrante.comun import CANAL

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PuertosNotificacion:
    repo: SolicitudRepository
    tokens: TokensRespuesta
    supresiones: Supresiones
    clock: Clock


def registrar_notificacion(cmd: RegistrarNotificacionCorreo, *, puertos: PuertosNotificacion) -> list[str]:
    """A hard bounce or a complaint suppresses the address (later sends skip it); every notice is recorded on
    the request (found by the X-VD-Solicitud header or the sent message's id). Returns the suppressed addresses."""
    solicitud_id = cmd.solicitud_id
    if not solicitud_id and cmd.message_id:
        mensaje = puertos.tokens.mensaje(cmd.message_id)
        solicitud_id = mensaje.solicitud_id if mensaje else None
    suprimir = cmd.tipo == "queja" or cmd.permanente
    ahora = puertos.clock.ahora().isoformat()
    suprimidas = []
    for direccion in cmd.direcciones:
        if suprimir:
            puertos.supresiones.suprimir(
                direccion, motivo=f"{cmd.tipo}: {cmd.detalle}".strip(": "), en=ahora, solicitud_id=solicitud_id
            )
            suprimidas.append(direccion.lower())
        if solicitud_id:
            _anotar_notificacion(cmd, direccion, solicitud_id, suprimir, ahora, puertos)
    logger.warning(
        "notificacion de correo",
        extra={"tipo": cmd.tipo, "permanente": cmd.permanente, "solicitud_id": solicitud_id, "suprimidas": suprimidas},
    )
    return suprimidas


def _anotar_notificacion(
    cmd: RegistrarNotificacionCorreo,
    direccion: str,
    solicitud_id: str,
    suprimida: bool,
    ahora: str,
    puertos: PuertosNotificacion,
) -> None:
    if cmd.tipo == "queja":
        resumen = f"{direccion} marcó un correo como no deseado: no se le enviarán más correos."
    elif suprimida:
        resumen = (
            f"El correo a {direccion} rebotó ({cmd.detalle or 'rebote permanente'}): no se le enviarán más correos."
        )
    else:
        resumen = f"El correo a {direccion} rebotó temporalmente ({cmd.detalle or 'rebote transitorio'})."
    puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=solicitud_id,
            id=f"{cmd.tipo}#{cmd.referencia}#{direccion.lower()}",
            en=ahora,
            tipo="correo_rebotado" if cmd.tipo == "rebote" else "correo_queja",
            resumen=resumen,
            canal=CANAL,
            campos={
                "direccion": direccion,
                "permanente": cmd.permanente,
                "detalle": cmd.detalle,
                "ses_message_id": cmd.message_id,
                "notificado_en": cmd.en,
                "suprimida": suprimida,
            },
        )
    )
