"""Help Desk loop (steps 6-7): a capacity question nobody answers gets one reminder, then one escalation.

Requests waiting in ``consulta_help_desk`` are read through the ``por_estado`` index. After
``minutos_recordatorio`` business minutes (La Paz office hours, Bolivian holidays: the ``Calendario`` port) the Help
Desk gets one reminder that carries the same reply token as the question (a new one if it is gone or expired);
after ``minutos_escalamiento`` the team lead gets one escalation. Each is keyed by the request and the moment it
entered the state (``recordatorio_hd#<id>#<estado_desde>``), so a request that comes back to the state later is
followed up again, and a rerun of the job sends nothing twice. Both are history entries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
from chalicelib.services import correo_saliente, una_vez
from chalicelib.services.vistas import url_consola, vista_solicitud

logger = logging.getLogger(__name__)

PROPOSITO = "capacidad"


@dataclass(frozen=True)
class PuertosSeguimiento:
    repo: SolicitudRepository
    clock: Clock
    calendario: Calendario
    mailer: Mailer
    plantillas: Plantillas
    idempotencia: Idempotencia
    salida: correo_saliente.SalidaCorreo | None
    pregunta: correo_saliente.Pregunta
    buzones: Buzones
    url_publica: str
    minutos_recordatorio: int = 120
    minutos_escalamiento: int = 240


def recordar_help_desk(*, puertos: PuertosSeguimiento) -> dict[str, list[str]]:
    """Remind the Help Desk once, then escalate to the team lead once, per unanswered capacity question;
    returns the ids reminded and escalated by this run."""
    ahora = puertos.clock.ahora()
    primero = min(puertos.minutos_recordatorio, puertos.minutos_escalamiento)
    candidatas = puertos.repo.en_estado_desde_antes(
        Estado.CONSULTA_HELP_DESK.value, (ahora - timedelta(minutes=primero)).isoformat()
    )
    recordadas: list[str] = []
    escaladas: list[str] = []
    for s in candidatas:
        desde = datetime.fromisoformat(s.estado_desde)
        vence = puertos.calendario.vencimiento(desde, puertos.minutos_recordatorio)
        if vence <= ahora and _una_vez("recordatorio_hd", s, vence, ahora, puertos):
            recordadas.append(s.id)
        vence = puertos.calendario.vencimiento(desde, puertos.minutos_escalamiento)
        if vence <= ahora and _una_vez("escalamiento_hd", s, vence, ahora, puertos):
            escaladas.append(s.id)
    return {"recordadas": recordadas, "escaladas": escaladas}


def clave_seguimiento(tipo: str, s: Solicitud) -> str:
    """The claim of one follow-up (``recordatorio_hd`` or ``escalamiento_hd``) of the question ``s`` waits on now."""
    return f"{tipo}#{s.id}#{s.estado_desde}"


def entrada_seguimiento(
    tipo: str,
    s: Solicitud,
    *,
    vence: datetime,
    en: str,
    para: Sequence[str],
    suprimidas: Sequence[str] = (),
    message_id: str | None = None,
) -> EntradaHistorial:
    """The history entry of a follow-up sent (once per time the request entered the state: its id carries it)."""
    destino = ", ".join(para) or "nadie (dirección suprimida)"
    recordatorio = tipo == "recordatorio_hd"
    return EntradaHistorial(
        solicitud_id=s.id,
        id=f"{tipo}#{s.estado_desde}",
        en=en,
        tipo="recordatorio" if recordatorio else "escalamiento",
        resumen=f"Help Desk no respondió a tiempo: recordatorio enviado a {destino}."
        if recordatorio
        else f"Help Desk no respondió a tiempo: escalada al Responsable de Canales ({destino}).",
        campos={
            "vencio_en": vence.isoformat(),
            "para": list(para),
            "suprimidas": list(suprimidas),
            "ses_message_id": message_id,
        },
    )


def _una_vez(tipo: str, s: Solicitud, vence: datetime, ahora: datetime, puertos: PuertosSeguimiento) -> bool:
    clave = clave_seguimiento(tipo, s)
    if not puertos.idempotencia.reclamar(clave):
        return False
    enviar = _recordatorio if tipo == "recordatorio_hd" else _escalamiento
    try:
        envio = enviar(s, vence, ahora, clave, puertos)
    except Exception as exc:
        una_vez.tras_fallo(puertos.idempotencia, clave, exc)
        raise
    una_vez.completar(puertos.idempotencia, clave, envio.message_id or "")
    puertos.repo.agregar_historial(
        entrada_seguimiento(
            tipo,
            s,
            vence=vence,
            en=ahora.isoformat(),
            para=envio.para,
            suprimidas=envio.suprimidas,
            message_id=envio.message_id,
        )
    )
    logger.info("seguimiento help desk", extra={"solicitud_id": s.id, "tipo": tipo})
    return True


def _contexto(s: Solicitud, vence: datetime, puertos: PuertosSeguimiento) -> dict[str, Any]:
    return {
        "solicitud": vista_solicitud(s),
        "buzones": puertos.buzones.como_dict(),
        "url_solicitud": url_consola(puertos.url_publica, s.id),
        "url_formulario": f"{puertos.url_publica}/solicitud",
        "seguimiento": {
            "desde": s.estado_desde,
            "vencio_en": vence.isoformat(),
            "minutos_recordatorio": puertos.minutos_recordatorio,
            "minutos_escalamiento": puertos.minutos_escalamiento,
        },
    }


def _recordatorio(
    s: Solicitud, vence: datetime, ahora: datetime, clave: str, puertos: PuertosSeguimiento
) -> correo_saliente.Envio:
    """To the Help Desk, answerable like the question itself (same token while it is valid and unused)."""
    token = None
    if puertos.salida is not None:
        vigente = puertos.salida.tokens.vigente(s.id, PROPOSITO)
        if vigente is not None and not vigente.usado_en and not vigente.vencido(ahora):
            token = vigente
    render = puertos.plantillas.correo("recordatorio_help_desk", _contexto(s, vence, puertos))
    return correo_saliente.enviar(
        CorreoSaliente(
            para=(puertos.buzones.help_desk,),
            asunto=render.asunto,
            texto=render.texto,
            html=render.html,
            cabeceras={"X-VD-Solicitud": s.id, "X-VD-Reaccion": "recordatorio_help_desk"},
        ),
        solicitud_id=s.id,
        clave=clave,
        mailer=puertos.mailer,
        salida=puertos.salida,
        ahora=ahora,
        token=token,
        pregunta=None if token else puertos.pregunta,
    )


def _escalamiento(
    s: Solicitud, vence: datetime, ahora: datetime, clave: str, puertos: PuertosSeguimiento
) -> correo_saliente.Envio:
    render = puertos.plantillas.correo("escalamiento_help_desk", _contexto(s, vence, puertos))
    return correo_saliente.enviar(
        CorreoSaliente(
            para=(puertos.buzones.responsable_canales,),
            cc=(puertos.buzones.ejecutivos,),
            asunto=render.asunto,
            texto=render.texto,
            html=render.html,
            cabeceras={"X-VD-Solicitud": s.id, "X-VD-Reaccion": "escalamiento_help_desk"},
        ),
        solicitud_id=s.id,
        clave=clave,
        mailer=puertos.mailer,
        salida=puertos.salida,
        ahora=ahora,
    )
