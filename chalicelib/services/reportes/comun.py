"""What the three reports share: their ports, who may read them, the month filter, and small pure helpers over
requests and timestamps (La Paz wall time, minutes, durations, plan and state labels)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import DatosInvalidos, RolNoAutorizado
from chalicelib.domain.model import Buzones, Rol, Solicitud
from chalicelib.domain.pendientes import causa_no_disponible
from chalicelib.domain.ports import (
    Calendario,
    Clock,
    CorreoSaliente,
    Entrega,
    Graficos,
    HojasCalculo,
    Idempotencia,
    Mailer,
    Pendientes,
    Plantillas,
    SolicitudRepository,
)
from chalicelib.domain.seguimiento import ROLES_REPORTES, mes_valido
from chalicelib.domain.states import ETIQUETA_ESTADO, Estado
from chalicelib.domain.tablero import ANULADAS as ANULADAS_TABLERO
from chalicelib.services import una_vez

logger = logging.getLogger(__name__)

LA_PAZ: Final = ZoneInfo("America/La_Paz")
ANULADAS: Final = ANULADAS_TABLERO
"""Cancelled sales (``domain.tablero.ANULADAS``: the dashboard counts them out of billing the same way)."""
SIN_PLAN: Final = "Sin plan"


@dataclass(frozen=True)
class PuertosReportes:
    """The ports the reports need (built once by the composition root)."""

    repo: SolicitudRepository
    clock: Clock
    calendario: Calendario
    mailer: Mailer
    plantillas: Plantillas
    idempotencia: Idempotencia
    graficos: Graficos
    hojas: HojasCalculo
    buzones: Buzones
    url_publica: str
    pendientes: Pendientes | None = None
    """Where a scheduled email that could not leave is recorded for the console (its schedule runs again)."""


def sin_proveedor(
    exc: Exception, clave: str, descripcion: str, reintento: str, puertos: PuertosReportes
) -> dict[str, Any] | None:
    """A scheduled email's send failed with ``exc``: when the provider is down, record it for the console (its
    schedule runs again, ``reintento``) and return the run's result; None when ``exc`` is not an outage."""
    causa = causa_no_disponible(exc)
    if causa is None or puertos.pendientes is None:
        return None
    puertos.pendientes.anotar_programado(clave, descripcion, causa, puertos.clock.ahora(), reintento)
    logger.warning("envio programado en espera", extra={"clave": clave, "proveedor": causa.proveedor})
    return {"enviado": False, "motivo": "proveedor_no_disponible", "proveedor": causa.proveedor}


def enviado(clave: str, puertos: PuertosReportes) -> None:
    """A scheduled email left: forget any record of an earlier attempt that could not."""
    if puertos.pendientes is not None:
        puertos.pendientes.quitar_programado(clave)


def enviar_programado(
    clave: str,
    correo: Callable[[], CorreoSaliente],
    puertos: PuertosReportes,
    *,
    descripcion: str,
    reintento: str,
    resultado: Callable[[Entrega], str] = lambda entrega: entrega.message_id or "",
    reclamada: bool = True,
    esperar: bool = True,
    permanente: bool = False,
) -> Entrega | dict[str, Any]:
    """Build and send a scheduled email (the digest, the monthly report, the projection's warning) under the claim
    ``clave``: a failure gives the claim back (``reclamada``: the caller holds it) and, when the provider is down
    and ``esperar``, records it for the console (``sin_proveedor``: its schedule retries, ``reintento``) and returns
    the run's result instead of raising; once sent, the claim is completed with ``resultado(entrega)`` and the
    console's record of an earlier failed attempt removed. Returns the ``Entrega``, or the run's result."""
    try:
        entrega = puertos.mailer.enviar(correo())
    except Exception as exc:
        if reclamada:
            una_vez.tras_fallo(puertos.idempotencia, clave, exc)
        en_espera = sin_proveedor(exc, clave, descripcion, reintento, puertos) if esperar else None
        if en_espera is None:
            raise
        return en_espera
    una_vez.completar(puertos.idempotencia, clave, resultado(entrega), permanente=permanente)
    if esperar:
        una_vez.tras_efecto(lambda: enviado(clave, puertos), f"envio programado {clave}")
    return entrega


def autorizar(roles: Iterable[Rol]) -> None:
    """The reports are for the team lead (RC) and the division head (JD); anyone else gets RolNoAutorizado."""
    if not ROLES_REPORTES & set(roles):
        raise RolNoAutorizado(
            "Los reportes corresponden al Responsable de Canales Digitales y al Jefe de División Ventas."
        )


def validar_mes(mes: str | None, ahora: datetime, *, por_omision: str) -> str:
    """``mes`` (AAAA-MM) or the default; DatosInvalidos if malformed or after the current month."""
    if mes is None:
        return por_omision
    if not mes_valido(mes):
        raise DatosInvalidos({"mes": "Use el formato AAAA-MM (por ejemplo 2026-11)."}, "Filtros inválidos.")
    if mes > mes_de(ahora):
        raise DatosInvalidos({"mes": "Ese mes todavía no comenzó."}, "Filtros inválidos.")
    return mes


def mes_de(momento: datetime) -> str:
    return momento.astimezone(LA_PAZ).strftime("%Y-%m")


# --- Small pure helpers ---


def momento_de(iso: str) -> datetime:
    valor = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return valor if valor.tzinfo else valor.replace(tzinfo=LA_PAZ)


def hora_local(iso: str | None) -> datetime | None:
    """An ISO timestamp as naive La Paz wall time (what a spreadsheet cell shows)."""
    if not iso:
        return None
    return momento_de(iso).astimezone(LA_PAZ).replace(tzinfo=None)


def minutos(desde: datetime, hasta: datetime) -> int:
    return max(0, int((hasta - desde).total_seconds() // 60))


def duracion(total_minutos: int) -> str:
    """Minutes as a short Spanish duration: "45 min", "3 h 20 min", "2 d 4 h"."""
    dias, resto = divmod(max(0, total_minutos), 24 * 60)
    horas, mins = divmod(resto, 60)
    if dias:
        return f"{dias} d {horas} h" if horas else f"{dias} d"
    if horas:
        return f"{horas} h {mins} min" if mins else f"{horas} h"
    return f"{mins} min"


def plan_de(s: Solicitud) -> str:
    return str((s.oferta or {}).get("plan") or SIN_PLAN)


def etiqueta_estado(estado: str) -> str:
    return ETIQUETA_ESTADO[Estado(estado)]
