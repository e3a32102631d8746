"""Sends that wait for their provider (issue 19, part 4): when SES, the Graph API (WhatsApp, Messenger) or Botmaker
is down, the reactions of an applied action cannot leave. They wait in the request's queue of pending sends, in
the order the actions were applied, and leave when the provider is back (``services.pendientes``). A staff action
that must go through Smartflex (``ACCIONES_SMARTFLEX``) waits in the same queue, ahead of the sends, when
Smartflex does not answer, and is applied when it is back.

A queue is per request: while a request has a pending send, its later reactions queue behind it, so a customer
never gets the Carta Comercial before the acknowledgement. Nothing is dropped: a queue is retried with a growing
wait (``ESPERAS``) for as long as it takes, and the console lists it with its reason (``/consola/pendientes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.errors import (
    CorreoNoEnviado,
    DomainError,
    MensajeNoEnviado,
    ServicioExternoNoDisponible,
)
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.mensajeria import REINTENTABLES, FalloCanal
from chalicelib.domain.model import Rol
from chalicelib.domain.vocabulario import Accion

ESPERAS: Final = (
    timedelta(0),
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
    timedelta(minutes=15),
)
"""The wait before each attempt of a queue: the first at the next run of the job (every minute), then growing, and
every 15 minutes from the sixth on, for as long as the provider is down."""

ESTANCADA_TRAS: Final = timedelta(hours=4)
"""A queue pending longer than this is shown as stuck in the console and logged as an error (the alarm's filter)."""

CANALES: Final = {"whatsapp": "WhatsApp", "messenger": "Messenger", "botmaker": "Botmaker"}

ACCIONES_SMARTFLEX: Final = frozenset(
    {Accion.DIGITAR_VENTA.value, Accion.ANULAR.value, Accion.CONFIRMAR_PAGO_WEB.value}
)
"""Staff actions that go through Smartflex (register the sale, cancel it, verify a web payment): when Smartflex
does not answer they wait in the request's queue instead of being refused."""


@dataclass(frozen=True)
class Causa:
    """Why a send could not leave: the provider (as staff name it) and what it answered, in Spanish."""

    proveedor: str
    motivo: str


def causa_no_disponible(exc: BaseException) -> Causa | None:
    """The provider outage behind ``exc``, or None when ``exc`` is not one (a bug, a storage failure: those go
    back to the stream, which retries them and then dead-letters them with its alarm)."""
    if isinstance(exc, CorreoNoEnviado):
        return Causa("Correo (SES)", _detalle(exc))
    if isinstance(exc, MensajeNoEnviado) and FalloCanal(exc.fallo) in REINTENTABLES:
        canal = next((nombre for clave, nombre in CANALES.items() if clave in exc.mensaje.lower()), "Mensajería")
        return Causa(canal, _detalle(exc))
    if isinstance(exc, ServicioExternoNoDisponible):
        return Causa("Servicio externo", _detalle(exc))
    return None


def _detalle(exc: DomainError) -> str:
    """The domain error's Spanish message and, when a provider's error is behind it, that error's code (the AWS
    error code of a ClientError, else the exception's type: never its English text)."""
    causa = exc.__cause__
    if causa is None:
        return exc.mensaje[:400]
    respuesta = getattr(causa, "response", None)
    error = respuesta.get("Error") if isinstance(respuesta, dict) else None
    codigo = error.get("Code") if isinstance(error, dict) and error.get("Code") else type(causa).__name__
    return f"{exc.mensaje} Respuesta del proveedor: {codigo}."[:400]


def causa_smartflex(exc: ServicioExternoNoDisponible) -> Causa:
    return Causa("Smartflex", _detalle(exc))


def espera(intentos: int) -> timedelta:
    """The wait before the next attempt of a queue that failed ``intentos`` times (0: just queued)."""
    return ESPERAS[min(intentos, len(ESPERAS) - 1)]


@dataclass(frozen=True)
class AccionEnEspera:
    """A person's action that Smartflex did not answer: applied later exactly as asked, once (``referencia``)."""

    comando: AplicarAccion
    en: str
    """When the person asked for it (ISO, La Paz)."""

    @property
    def referencia(self) -> str:
        return str(self.comando.referencia)


def comando_en_espera(cmd: AplicarAccion, referencia: str) -> AplicarAccion:
    """The command as the job will apply it: its own reference (one application, whatever the retries) and no
    expected version (the person's intent stands; the state guard still refuses a request that moved on)."""
    return AplicarAccion(
        solicitud_id=cmd.solicitud_id,
        accion=cmd.accion,
        campos=dict(cmd.campos),
        actor=cmd.actor,
        rol=cmd.rol,
        canal=cmd.canal,
        nota=cmd.nota,
        referencia=referencia,
    )


def comando_como_dict(cmd: AplicarAccion) -> dict[str, object]:
    return {
        "solicitud_id": cmd.solicitud_id,
        "accion": cmd.accion,
        "campos": dict(cmd.campos),
        "actor": cmd.actor,
        "rol": cmd.rol.value,
        "canal": cmd.canal,
        "nota": cmd.nota,
        "referencia": cmd.referencia,
    }


def comando_desde_dict(datos: dict[str, object]) -> AplicarAccion:
    campos = datos.get("campos")
    return AplicarAccion(
        solicitud_id=str(datos["solicitud_id"]),
        accion=str(datos["accion"]),
        campos=dict(campos) if isinstance(campos, dict) else {},
        actor=str(datos.get("actor") or ""),
        rol=Rol(str(datos["rol"])),
        canal=str(datos.get("canal") or "api"),
        nota=str(datos.get("nota") or ""),
        referencia=str(datos["referencia"]) if datos.get("referencia") else None,
    )


@dataclass(frozen=True)
class ColaPendiente:
    """One request's sends waiting for their provider: the applied actions whose reactions have not all left yet,
    oldest first. ``version`` guards every change (queueing and retrying may meet)."""

    solicitud_id: str
    eventos: tuple[AccionAplicada, ...]
    desde: str
    """When the oldest pending action was queued (ISO, La Paz)."""
    proveedor: str
    motivo: str
    intentos: int
    proximo_intento: str
    ultimo_intento: str | None
    version: int
    acciones: tuple[AccionEnEspera, ...] = ()
    """Staff actions waiting for Smartflex, applied before the sends (they come first in the request's order)."""

    def contiene(self, cambio_id: str) -> bool:
        return any(e.cambio_id == cambio_id for e in self.eventos)

    def vence(self, ahora: datetime) -> bool:
        """Due for an attempt at ``ahora``."""
        return datetime.fromisoformat(self.proximo_intento) <= ahora

    def estancada(self, ahora: datetime) -> bool:
        return ahora - datetime.fromisoformat(self.desde) >= ESTANCADA_TRAS


@dataclass(frozen=True)
class EnvioProgramado:
    """A scheduled email that could not leave (the monthly report, the daily digest): its own schedule runs again
    (``reintento`` says when, in Spanish) and sends it once; recorded so that the console shows it meanwhile."""

    clave: str
    """The email's once-key (``informe#2026-11``, ``resumen#2026-12-05``)."""
    descripcion: str
    desde: str
    proveedor: str
    motivo: str
    intentos: int
    ultimo_intento: str
    reintento: str

    def estancada(self, ahora: datetime) -> bool:
        return ahora - datetime.fromisoformat(self.desde) >= ESTANCADA_TRAS


POR_ORDEN: Final = "Espera a que salgan los envíos anteriores de la misma solicitud."
"""The reason of an action queued only because an earlier one of its request is still pending."""
