"""Sends that wait for their provider, and the job that sends them when it is back (issue 19, part 4).

``reaccionar_en_orden`` runs an applied action's reactions (``services.reacciones``) unless its request already has
sends waiting: then the action queues behind them. When a provider is down (SES, the Graph API, Botmaker: see
``domain.pendientes.causa_no_disponible``) the action is queued with the reason instead of failing the stream
record, so the stream goes on and nothing waits in a dead-letter queue for a person.

``reintentar`` (the job, every minute) takes the queues that are due, the one waiting longest first, and runs
each queue's actions in order; the first failure stops that queue and sets its next attempt, and after a queue
failed for a provider the round does not try that provider again (it is down: the next round will). Each
reaction claims its sends (``services.una_vez``), so an action that had sent half of its emails before failing
sends only the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.pendientes import POR_ORDEN, Causa, ColaPendiente, causa_no_disponible, espera
from chalicelib.domain.ports import Clock, Idempotencia, Pendientes

logger = logging.getLogger(__name__)

Reaccionar = Callable[[AccionAplicada], list[str]]

MAX_COLAS_POR_RONDA: Final = 200
"""Queues tried per run (the oldest): a run stays well inside the function's timeout after a long outage."""

PRESUPUESTO_S: Final = 120.0
"""No queue is started after this many seconds of a run (its function's timeout leaves room for the last one)."""

CLAVE_TRABAJO: Final = "trabajo#envios_pendientes"
SEGUNDOS_TRABAJO: Final = 600
"""One run at a time: a run holds this claim (above the function's timeout, so a run that died frees it)."""


@dataclass(frozen=True)
class PuertosPendientes:
    pendientes: Pendientes
    clock: Clock
    reaccionar: Reaccionar
    idempotencia: Idempotencia
    con_envios: Callable[[AccionAplicada], bool] = lambda _evento: True
    """Whether the action has reactions at all: one without any never waits behind its request's queue."""
    cronometro: Callable[[], float] = time.monotonic


def reaccionar_en_orden(evento: AccionAplicada, *, puertos: PuertosPendientes) -> list[str]:
    """The action's reactions now, or queued: behind its request's pending sends, or with the reason when a
    provider is down. Returns the names of the reactions that sent now."""
    if not puertos.con_envios(evento):
        return []
    cola = puertos.pendientes.de_solicitud(evento.solicitud_id)
    if cola is not None:
        if not cola.contiene(evento.cambio_id):
            _encolar(evento, Causa(cola.proveedor, POR_ORDEN), puertos, inmediato=False)
        return []
    try:
        return puertos.reaccionar(evento)
    except Exception as exc:
        causa = causa_no_disponible(exc)
        if causa is None:
            raise
        _encolar(evento, causa, puertos, inmediato=True)
        return []


def _encolar(evento: AccionAplicada, causa: Causa, puertos: PuertosPendientes, *, inmediato: bool) -> None:
    ahora = puertos.clock.ahora()
    if puertos.pendientes.encolar(evento, causa, ahora, ahora + espera(0)):
        logger.warning(
            "envios en espera",
            extra={
                "solicitud_id": evento.solicitud_id,
                "accion": evento.accion,
                "proveedor": causa.proveedor,
                "motivo": causa.motivo,
                "por_orden": not inmediato,
            },
        )


@dataclass
class Ronda:
    """What one run of the job did."""

    enviadas: list[str] = field(default_factory=list)
    """``<solicitud>:<accion>`` of each action whose sends all left in this run."""
    fallidas: list[str] = field(default_factory=list)
    """Requests whose queue failed again (with the provider and reason)."""
    en_espera: int = 0
    """Queues left for later: not due yet, their provider failed earlier in this run, or over the run's limit."""
    estancadas: list[str] = field(default_factory=list)
    """Requests whose queue, and scheduled emails (their once-key) that have waited longer than ``ESTANCADA_TRAS``
    (the handler logs them for the alarm)."""
    otra_en_curso: bool = False
    """Another run held the job's claim: this one did nothing."""

    def como_dict(self) -> dict[str, object]:
        return {
            "otra_en_curso": self.otra_en_curso,
            "enviadas": self.enviadas,
            "fallidas": self.fallidas,
            "en_espera": self.en_espera,
            "estancadas": self.estancadas,
        }


def reintentar(*, puertos: PuertosPendientes) -> Ronda:
    """One run of the job: the due queues, the one waiting longest first, each in its order. Runs never overlap
    (two would both find an action's claim held by the other and take it off its queue unsent)."""
    if not puertos.idempotencia.reclamar(CLAVE_TRABAJO, SEGUNDOS_TRABAJO):
        return Ronda(otra_en_curso=True)
    try:
        return _ronda(puertos)
    finally:
        puertos.idempotencia.liberar(CLAVE_TRABAJO)


def _ronda(puertos: PuertosPendientes) -> Ronda:
    ronda = Ronda()
    ahora = puertos.clock.ahora()
    inicio = puertos.cronometro()
    caidos: set[str] = set()
    colas = sorted(puertos.pendientes.listar(), key=lambda c: (c.desde, c.solicitud_id))
    for indice, cola in enumerate(colas):
        if cola.estancada(ahora):
            ronda.estancadas.append(cola.solicitud_id)
        agotada = indice >= MAX_COLAS_POR_RONDA or puertos.cronometro() - inicio > PRESUPUESTO_S
        if agotada or not cola.vence(ahora) or cola.proveedor in caidos:
            ronda.en_espera += 1
            continue
        fresca = puertos.pendientes.de_solicitud(cola.solicitud_id)
        if fresca is None:
            continue
        causa = _vaciar(fresca, puertos, ronda)
        if causa is not None:
            caidos.add(causa.proveedor)
            ronda.fallidas.append(f"{cola.solicitud_id}: {causa.proveedor}")
    ronda.estancadas += [e.clave for e in puertos.pendientes.programados() if e.estancada(ahora)]
    return ronda


def _vaciar(cola: ColaPendiente, puertos: PuertosPendientes, ronda: Ronda) -> Causa | None:
    """Run the queue's actions in order until one fails; the failure's cause (None when the queue emptied)."""
    for evento in cola.eventos:
        try:
            puertos.reaccionar(evento)
        except Exception as exc:
            causa = causa_no_disponible(exc)
            if causa is None:  # not an outage: keep it queued and visible, with what happened
                logger.exception("envio pendiente con error", extra={"solicitud_id": cola.solicitud_id})
                causa = Causa("Ventas Digitales", f"Error inesperado: {type(exc).__name__}: {str(exc)[:200]}")
            ahora = puertos.clock.ahora()
            puertos.pendientes.fallo(cola, causa, ahora, ahora + espera(cola.intentos + 1))
            return causa
        puertos.pendientes.quitar(cola, evento.cambio_id)
        ronda.enviadas.append(f"{cola.solicitud_id}:{evento.accion}")
        logger.info("envio pendiente enviado", extra={"solicitud_id": cola.solicitud_id, "accion": evento.accion})
    return None
