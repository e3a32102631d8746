"""Scheduled jobs: speed to lead (escalate untouched new requests to the team lead)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.model import Buzones, EntradaHistorial, Solicitud
from chalicelib.domain.ports import (
    Calendario,
    Clock,
    CorreoSaliente,
    Idempotencia,
    Mailer,
    Plantillas,
    SolicitudRepository,
)
from chalicelib.domain.states import Estado
from chalicelib.services import una_vez
from chalicelib.services.correo_saliente import anotar_suprimidas
from chalicelib.services.vistas import url_consola, vista_solicitud

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PuertosTrabajo:
    repo: SolicitudRepository
    clock: Clock
    calendario: Calendario
    mailer: Mailer
    plantillas: Plantillas
    idempotencia: Idempotencia
    buzones: Buzones
    url_publica: str
    minutos_primera_respuesta: int = 60


def entrada_escalamiento(
    s: Solicitud, *, vence: datetime, en: str, message_id: str | None = None, suprimidas: Sequence[str] = ()
) -> EntradaHistorial:
    """The history entry of a new request escalated to the team lead (once: its id is the request's)."""
    return EntradaHistorial(
        solicitud_id=s.id,
        id=f"escalamiento#{s.id}",
        en=en,
        tipo="escalamiento",
        resumen="Sin atención en su primera hora hábil: escalada al Responsable de Canales.",
        campos={"vencio_en": vence.isoformat(), "ses_message_id": message_id, "suprimidas": list(suprimidas)},
    )


def escalar_sin_atencion(*, puertos: PuertosTrabajo) -> list[str]:
    """A new request that no person touched within its first business hour is escalated to the team lead,
    once; returns the ids escalated by this run."""
    ahora = puertos.clock.ahora()
    limite = ahora - timedelta(minutes=puertos.minutos_primera_respuesta)
    candidatas = puertos.repo.en_estado_desde_antes(Estado.NUEVA.value, limite.isoformat())
    vencidas = []
    for s in candidatas:
        if s.primera_respuesta_en or s.escalada_en:
            continue
        vence = puertos.calendario.vencimiento(datetime.fromisoformat(s.creada_en), puertos.minutos_primera_respuesta)
        if vence <= ahora:
            vencidas.append((s, vence))
    escaladas: list[str] = []
    if not vencidas:
        return escaladas
    for s, vence in vencidas:
        clave = f"escalamiento#{s.id}"
        if not puertos.idempotencia.reclamar(clave):
            if puertos.idempotencia.resultado(clave):
                puertos.repo.marcar_escalada(s.id, ahora.isoformat())
            continue
        contexto = {
            "solicitud": vista_solicitud(s),
            "vencio_en": vence.isoformat(),
            "url_solicitud": url_consola(puertos.url_publica, s.id),
            "buzones": puertos.buzones.como_dict(),
        }
        try:
            render = puertos.plantillas.correo("escalamiento_rc", contexto)
            entrega = puertos.mailer.enviar(
                CorreoSaliente(
                    para=(puertos.buzones.responsable_canales,),
                    cc=(puertos.buzones.ejecutivos,),
                    asunto=render.asunto,
                    texto=render.texto,
                    html=render.html,
                    cabeceras={"X-VD-Solicitud": s.id, "X-VD-Reaccion": "escalamiento_rc"},
                )
            )
        except Exception as exc:
            una_vez.tras_fallo(puertos.idempotencia, clave, exc)
            raise
        una_vez.completar(puertos.idempotencia, clave, entrega.message_id or "")
        puertos.repo.marcar_escalada(s.id, ahora.isoformat())
        puertos.repo.agregar_historial(
            entrada_escalamiento(
                s, vence=vence, en=ahora.isoformat(), message_id=entrega.message_id, suprimidas=entrega.suprimidas
            )
        )
        anotar_suprimidas(
            puertos.repo,
            solicitud_id=s.id,
            entrada_id=f"escalamiento#{s.id}",
            en=ahora.isoformat(),
            asunto=render.asunto,
            envio=entrega,
        )
        escaladas.append(s.id)
        logger.info("solicitud escalada", extra={"solicitud_id": s.id})
    return escaladas
