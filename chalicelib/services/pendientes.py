"""Sends that wait for their provider, and the job that sends them when it is back (issue 19, part 4).

``reaccionar_en_orden`` runs an applied action's reactions (``services.reacciones``) unless its request already has
sends waiting: then the action queues behind them. When a provider is down (SES, the Graph API, Botmaker: see
``domain.pendientes.causa_no_disponible``) the action is queued with the reason instead of failing the stream
record, so the stream goes on and nothing waits in a dead-letter queue for a person.

``aplicar_o_encolar`` is the staff doors' ``aplicar``: an action that goes through Smartflex (``ACCIONES_SMARTFLEX``)
and finds it not answering waits in its request's queue (``AccionEnCola``, 202) instead of being refused, and no
other staff action is applied to that request meanwhile.

``reintentar`` (the job, every minute) takes the queues that are due, the one waiting longest first, applies each
queue's waiting staff actions (once: each carries its own ``referencia``; one Smartflex refuses for good is taken
off, recorded in the history and mailed to the executives), then runs its actions' reactions in order; the first failure stops that queue and sets its next attempt, and after a queue
failed for a provider the round does not try that provider again (it is down: the next round will). Each
reaction claims its sends (``services.una_vez``), so an action that had sent half of its emails before failing
sends only the rest.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from chalicelib.domain.actions import ACCIONES
from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.errors import AccionEnCola, AccionRechazada, DomainError, ServicioExternoNoDisponible
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.model import Buzones, EntradaHistorial, Solicitud
from chalicelib.domain.pendientes import (
    ACCIONES_SMARTFLEX,
    POR_ORDEN,
    AccionEnEspera,
    Causa,
    ColaPendiente,
    causa_no_disponible,
    causa_smartflex,
    comando_en_espera,
    espera,
)
from chalicelib.domain.ports import (
    Clock,
    CorreoSaliente,
    Idempotencia,
    Mailer,
    Pendientes,
    Plantillas,
    SolicitudRepository,
)
from chalicelib.domain.vocabulario import Accion
from chalicelib.services import una_vez
from chalicelib.services.vistas import url_consola, vista_solicitud

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
class PuertosAviso:
    """What telling the executives about a waiting action Smartflex refused for good needs."""

    repo: SolicitudRepository
    mailer: Mailer
    plantillas: Plantillas
    idempotencia: Idempotencia
    buzones: Buzones
    url_publica: str


@dataclass(frozen=True)
class PuertosPendientes:
    pendientes: Pendientes
    clock: Clock
    reaccionar: Reaccionar
    idempotencia: Idempotencia
    aplicar: Callable[[AplicarAccion], Solicitud] | None = None
    """``services.solicitudes.aplicar`` for the staff actions that waited for Smartflex."""
    aviso: PuertosAviso | None = None
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


def causa_inesperada(exc: Exception) -> Causa:
    """A failure that is not an outage, as the console shows it: in Spanish, with the error's kind for the log
    search (its text is the program's, in English, and stays in the log)."""
    return Causa(
        "Ventas Digitales",
        f"Error inesperado del sistema ({type(exc).__name__}); se reintenta solo. Vea el registro de la función.",
    )


def etiqueta(accion: str) -> str:
    try:
        return ACCIONES[Accion(accion)].etiqueta
    except ValueError:
        return accion


def aplicar_o_encolar(cmd: AplicarAccion, *, puertos: PuertosPendientes) -> Solicitud:
    """A staff action (API, console): applied now; or, when it goes through Smartflex and Smartflex does not
    answer, put in its request's queue (``AccionEnCola``). While an action of a request waits, no other staff action
    is applied to it (it would be applied before the one asked first)."""
    assert puertos.aplicar is not None
    cola = puertos.pendientes.de_solicitud(cmd.solicitud_id)
    if cola is not None and cola.acciones:
        espera_ = cola.acciones[0]
        raise AccionRechazada(
            f"La solicitud tiene «{etiqueta(espera_.comando.accion)}» esperando a que Smartflex responda; se aplicará "
            "sola. Vuelva a intentar esta acción después."
        )
    if cmd.accion not in ACCIONES_SMARTFLEX:
        return puertos.aplicar(cmd)
    try:
        return puertos.aplicar(cmd)
    except ServicioExternoNoDisponible as exc:
        ahora = puertos.clock.ahora()
        accion = AccionEnEspera(comando_en_espera(cmd, f"espera#{secrets.token_hex(12)}"), en=ahora.isoformat())
        puertos.pendientes.encolar_accion(accion, causa_smartflex(exc), ahora + espera(1))
        logger.warning("accion en espera de smartflex", extra={"solicitud_id": cmd.solicitud_id, "accion": cmd.accion})
        raise AccionEnCola(
            f"Smartflex no responde. «{etiqueta(cmd.accion)}» quedó en espera y se aplicará sola cuando Smartflex "
            "vuelva a responder; lo verá en el historial de la solicitud.",
            cmd.solicitud_id,
        ) from exc


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
    aplicadas: list[str] = field(default_factory=list)
    """``<solicitud>:<accion>`` of each staff action that waited for Smartflex and was applied in this run."""
    no_aplicadas: list[str] = field(default_factory=list)
    """Waiting staff actions refused for good (recorded in the history and mailed to the executives)."""
    otra_en_curso: bool = False
    """Another run held the job's claim: this one did nothing."""

    def como_dict(self) -> dict[str, object]:
        return {
            "otra_en_curso": self.otra_en_curso,
            "aplicadas": self.aplicadas,
            "no_aplicadas": self.no_aplicadas,
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
    """Apply the queue's waiting staff actions, then run its actions' reactions, in order, until one fails; the
    failure's cause (None when the queue emptied)."""
    for accion in cola.acciones:
        causa = _aplicar_en_espera(accion, cola, puertos, ronda)
        if causa is not None:
            return causa
    for evento in cola.eventos:
        try:
            puertos.reaccionar(evento)
        except Exception as exc:
            causa = causa_no_disponible(exc)
            if causa is None:  # not an outage: keep it queued and visible, with what happened
                logger.exception("envio pendiente con error", extra={"solicitud_id": cola.solicitud_id})
                causa = causa_inesperada(exc)
            ahora = puertos.clock.ahora()
            puertos.pendientes.fallo(cola, causa, ahora, ahora + espera(cola.intentos + 1))
            return causa
        puertos.pendientes.quitar(cola, evento.cambio_id)
        ronda.enviadas.append(f"{cola.solicitud_id}:{evento.accion}")
        logger.info("envio pendiente enviado", extra={"solicitud_id": cola.solicitud_id, "accion": evento.accion})
    return None


def _aplicar_en_espera(
    accion: AccionEnEspera, cola: ColaPendiente, puertos: PuertosPendientes, ronda: Ronda
) -> Causa | None:
    """Apply one waiting staff action (at most once: its ``referencia``); the cause when it must wait again."""
    comando = accion.comando
    try:
        assert puertos.aplicar is not None, "a queue with waiting actions needs the apply port"
        puertos.aplicar(comando)
    except ServicioExternoNoDisponible as exc:
        causa = causa_smartflex(exc)
    except DomainError as exc:  # refused for good (Smartflex said no, the request moved on): say so, never silently
        logger.warning(
            "accion en espera no aplicada",
            extra={"solicitud_id": comando.solicitud_id, "accion": comando.accion, "motivo": exc.mensaje},
        )
        if puertos.aviso is not None:
            avisar_no_aplicada(accion, exc.mensaje, puertos=puertos.aviso, en=puertos.clock.ahora().isoformat())
        puertos.pendientes.quitar_accion(cola, accion.referencia)
        ronda.no_aplicadas.append(f"{comando.solicitud_id}:{comando.accion}")
        return None
    except Exception as exc:
        logger.exception("accion en espera con error", extra={"solicitud_id": comando.solicitud_id})
        causa = causa_inesperada(exc)
    else:
        puertos.pendientes.quitar_accion(cola, accion.referencia)
        ronda.aplicadas.append(f"{comando.solicitud_id}:{comando.accion}")
        logger.info("accion en espera aplicada", extra={"solicitud_id": comando.solicitud_id, "accion": comando.accion})
        return None
    ahora = puertos.clock.ahora()
    puertos.pendientes.fallo(cola, causa, ahora, ahora + espera(cola.intentos + 1))
    return causa


def avisar_no_aplicada(accion: AccionEnEspera, motivo: str, *, puertos: PuertosAviso, en: str) -> None:
    """A waiting staff action will never be applied: its request's history says so, and the executives' mailbox
    (the person who asked in copy) gets one email (each retry of this finds them done)."""
    comando = accion.comando
    nombre = etiqueta(comando.accion)
    puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=comando.solicitud_id,
            id=f"no-aplicada-{comando.referencia}",
            en=en,
            tipo="accion_no_aplicada",
            resumen=f"«{nombre}», pedida por {comando.actor} mientras Smartflex no respondía, no se aplicó: {motivo}",
            actor="sistema",
            campos={"accion": comando.accion, "pedida_en": accion.en, "pedida_por": comando.actor, "motivo": motivo},
        )
    )
    contexto = {
        "solicitud": vista_solicitud(puertos.repo.obtener(comando.solicitud_id)),
        "accion_etiqueta": nombre,
        "pedida_por": comando.actor,
        "pedida_en": accion.en,
        "motivo": motivo,
        "url_solicitud": url_consola(puertos.url_publica, comando.solicitud_id),
        "buzones": puertos.buzones.como_dict(),
    }

    def enviar() -> str:
        render = puertos.plantillas.correo("accion_no_aplicada", contexto)
        copia = tuple(c for c in (comando.actor,) if "@" in c and c != puertos.buzones.ejecutivos)
        entrega = puertos.mailer.enviar(
            CorreoSaliente(
                para=(puertos.buzones.ejecutivos,),
                cc=copia,
                asunto=render.asunto,
                texto=render.texto,
                html=render.html,
                cabeceras={"X-VD-Solicitud": comando.solicitud_id, "X-VD-Reaccion": "accion_no_aplicada"},
            )
        )
        return entrega.message_id or ""

    una_vez.enviar_una_vez(puertos.idempotencia, f"aviso#{comando.referencia}", enviar, lambda r: r)
