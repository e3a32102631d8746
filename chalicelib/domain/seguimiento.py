"""Follow-up rules (steps 19, 25, 26): how long a request may wait in each state, and the monthly KPI.

The allowed time per state is the one table below. A request in a followed-up state carries, in the follow-up
index, the moment its wait becomes overdue (``vence_en``, UTC). For business-hour deadlines the index holds the
wall-clock moment, which is never later than the business-hour one (business time runs at most as fast as wall
time), so an index query returns a superset that the report refines with the business calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final

from chalicelib.domain.model import ETIQUETA_CANAL, Rol, Solicitud
from chalicelib.domain.states import Estado

E = Estado
HORA: Final = 60
DIA: Final = 24 * HORA
DIA_HABIL: Final = 8 * HORA
"""One business day counted as 8 business hours (the weekday office hours)."""


@dataclass(frozen=True)
class Plazo:
    """How long a request may stay in a state before it counts as unattended, and whose move it is."""

    minutos: int
    habiles: bool
    pendiente_de: Rol

    @property
    def etiqueta(self) -> str:
        if self.habiles:
            for unidad, singular, plural in (
                (DIA_HABIL, "día hábil", "días hábiles"),
                (HORA, "hora hábil", "horas hábiles"),
            ):
                if self.minutos % unidad == 0:
                    n = self.minutos // unidad
                    return f"{n} {singular if n == 1 else plural}"
            return f"{self.minutos} minutos hábiles"
        for unidad, singular, plural in ((DIA, "día", "días"), (HORA, "hora", "horas")):
            if self.minutos % unidad == 0:
                n = self.minutos // unidad
                return f"{n} {singular if n == 1 else plural}"
        return f"{self.minutos} minutos"


PLAZOS: Final[Mapping[Estado, Plazo]] = {
    E.NUEVA: Plazo(HORA, True, Rol.EJ),  # speed to lead: the first business hour
    E.EN_REGISTRO: Plazo(DIA_HABIL, True, Rol.EJ),
    E.CONSULTA_HELP_DESK: Plazo(4 * HORA, True, Rol.HD),
    E.NEGOCIACION: Plazo(DIA_HABIL, True, Rol.EJ),
    E.OFERTA_ENVIADA: Plazo(3 * DIA, False, Rol.EJ),  # the customer decides; the executive follows up
    E.REQUISITOS: Plazo(5 * DIA, False, Rol.EJ),
    E.DIGITACION: Plazo(DIA_HABIL, True, Rol.EJ),
    E.FORMA_PAGO: Plazo(2 * DIA, False, Rol.EJ),
    E.PAGO_PENDIENTE: Plazo(3 * DIA, False, Rol.EJ),
    E.VALIDACION_DEPOSITO: Plazo(DIA_HABIL, True, Rol.CO),
    E.VALIDACION_PAGO_WEB: Plazo(DIA_HABIL, True, Rol.CO),
    E.FACTURA_PENDIENTE: Plazo(DIA_HABIL, True, Rol.CO),
    E.FACTURACION_CAJA: Plazo(DIA_HABIL, True, Rol.CA),
    E.FACTURA_IMPRESA: Plazo(2 * DIA_HABIL, True, Rol.CA),
    E.CONTROL_FACTURACION: Plazo(5 * DIA, False, Rol.FA),
}
"""Allowed waiting time per active state (step 19). ``no_atendida`` is always followed up; ``cerrada``,
``derivada_empresas`` and ``redigitada`` are not; ``anulada`` has its own follow-up (step 25, redigitation)."""

SIN_SEGUIMIENTO: Final[frozenset[Estado]] = frozenset({E.CERRADA, E.DERIVADA_EMPRESAS, E.ANULADA, E.REDIGITADA})
ATENCION_PENDIENTE: Final = "pendiente"
"""The one partition of the follow-up index (it holds only open requests and unattended ones)."""

ROLES_REPORTES: Final[frozenset[Rol]] = frozenset({Rol.RC, Rol.JD})
"""Who may read the follow-up reports and the monthly report (the team lead and the division head)."""

SIN_EJECUTIVO: Final = "Sin asignar"


def etiqueta_canal(canal: str) -> str:
    """A channel's name for report tables (the same the email templates show)."""
    return ETIQUETA_CANAL.get(canal, canal)


CAUSAS_NO_ATENDIDA: Final[Mapping[str, str]] = {
    "oferta_rechazada": "Oferta rechazada por el cliente",
    "sin_capacidad": "Help Desk sin capacidad técnica",
    "sin_cobertura": "Sin cobertura técnica en la ubicación",
}


def motivo_no_atendida(s: Solicitud) -> str | None:
    """Why a request fell through, read from the record (``CAUSAS_NO_ATENDIDA``'s keys): rejected offer, no
    capacity, no coverage; None when the record does not say."""
    if (s.oferta or {}).get("rechazada_en"):
        return "oferta_rechazada"
    if (s.capacidad or {}).get("confirmada") is False:
        return "sin_capacidad"
    if s.cobertura is not None and not s.cobertura.get("disponible"):
        return "sin_cobertura"
    return None


def causa_no_atendida(s: Solicitud) -> str:
    """Why a request fell through, as people read it (``motivo_no_atendida``)."""
    return CAUSAS_NO_ATENDIDA.get(motivo_no_atendida(s) or "", "Cerrada como no atendida")


LA_PAZ: Final = timezone(timedelta(hours=-4), "America/La_Paz")
"""UTC-4 all year (Bolivia has no daylight saving time)."""


def _utc(momento_iso: str) -> datetime:
    """An ISO timestamp in UTC (the system writes La Paz offsets; a naive one is read as La Paz time)."""
    momento = datetime.fromisoformat(momento_iso.replace("Z", "+00:00"))
    if momento.tzinfo is None:
        momento = momento.replace(tzinfo=LA_PAZ)
    return momento.astimezone(UTC)


def texto_utc(momento: datetime) -> str:
    """The index's sortable form of a moment: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    return momento.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def vence_en_indice(s: Solicitud) -> str | None:
    """The follow-up index key of a request: when its wait becomes overdue (UTC, wall clock), ``estado_desde``
    for ``no_atendida``, or None when the request is not followed up (it leaves the index)."""
    try:
        estado = Estado(s.estado)
    except ValueError:
        return None
    if estado is E.NO_ATENDIDA:
        return texto_utc(_utc(s.estado_desde))
    plazo = PLAZOS.get(estado)
    if plazo is None:
        return None
    return texto_utc(_utc(s.estado_desde) + timedelta(minutes=plazo.minutos))


def ejecutivo_de(s: Solicitud) -> str:
    """The executive a request is attributed to: the last executive who acted on it (recorded on each EJ
    action), else the actor of its last change when that was an executive, else "Sin asignar"."""
    if s.ejecutivo:
        return s.ejecutivo
    cambio = s.ultimo_cambio
    if cambio is not None and cambio.rol == Rol.EJ.value and cambio.actor:
        return cambio.actor
    return SIN_EJECUTIVO


# --- Months ---


def mes_valido(mes: str) -> bool:
    """``AAAA-MM`` with a year from 2000 (the previous month of year 0000 is no month) and a month 01-12, in ASCII
    digits (``isdigit`` also accepts '²', which ``int`` refuses)."""
    return (
        len(mes) == 7
        and mes.isascii()
        and mes[4] == "-"
        and mes[:4].isdigit()
        and mes[5:].isdigit()
        and int(mes[:4]) >= 2000
        and 1 <= int(mes[5:]) <= 12
    )


def mes_anterior(mes: str) -> str:
    """The calendar month before ``mes`` (January's is the previous year's December)."""
    anio, numero = int(mes[:4]), int(mes[5:])
    return f"{anio - 1}-12" if numero == 1 else f"{anio}-{numero - 1:02d}"


MESES: Final = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


def nombre_mes(mes: str) -> str:
    """``2026-11`` -> ``noviembre de 2026``."""
    return f"{MESES[int(mes[5:]) - 1]} de {mes[:4]}"


# --- Money and the KPI (step 26) ---

CENTAVO: Final = Decimal("0.01")
UMBRAL_KPI: Final = Decimal("98")
"""KPI threshold: billing of the month / billing of the previous month x 100 >= 98 -> APROBADO."""


class Veredicto(StrEnum):
    APROBADO = "APROBADO"
    OBSERVADO = "OBSERVADO"
    SIN_BASE = "SIN BASE"


def centavos(monto: Any) -> int:
    """An amount in Bolivianos (number or numeric text) as whole cents, rounded half up; 0 if unreadable."""
    if isinstance(monto, bool) or monto is None:
        return 0
    try:
        valor = Decimal(str(monto).strip())
    except (InvalidOperation, ValueError):
        return 0
    if not valor.is_finite():
        return 0
    return int((valor.quantize(CENTAVO, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def bolivianos(cents: int) -> Decimal:
    """Whole cents as an exact two-decimal amount."""
    return (Decimal(cents) / 100).quantize(CENTAVO)


@dataclass(frozen=True)
class Kpi:
    """The month's billing against the previous month's, the ratio and the verdict."""

    mes: str
    mes_anterior: str
    facturacion_centavos: int
    facturacion_anterior_centavos: int
    porcentaje: Decimal | None
    veredicto: Veredicto
    motivo: str


def calcular_kpi(mes: str, facturacion_centavos: int, facturacion_anterior_centavos: int) -> Kpi:
    """KPI = billing of the month / billing of the previous month x 100: >= 98 % APROBADO, < 98 % OBSERVADO.
    The verdict compares the exact ratio; the percentage shown is truncated to two decimals, so a figure shown
    as 98,00 % is never OBSERVADO. With no billing in the previous month there is no base: SIN BASE."""
    anterior = mes_anterior(mes)
    actual, previo = facturacion_centavos, facturacion_anterior_centavos
    if previo <= 0:
        motivo = (
            f"No hubo facturación en {nombre_mes(anterior)} ni en {nombre_mes(mes)}: no hay base para calcular el KPI."
            if actual <= 0
            else f"No hubo facturación en {nombre_mes(anterior)}: el KPI no se puede calcular (división entre cero)."
        )
        return Kpi(mes, anterior, actual, previo, None, Veredicto.SIN_BASE, motivo)
    porcentaje = (Decimal(actual) * 100 / Decimal(previo)).quantize(CENTAVO, rounding=ROUND_DOWN)
    if actual * 100 >= UMBRAL_KPI * previo:
        veredicto = Veredicto.APROBADO
        motivo = f"La facturación alcanzó al menos el {UMBRAL_KPI} % de la de {nombre_mes(anterior)}."
    else:
        veredicto = Veredicto.OBSERVADO
        motivo = f"La facturación no alcanzó el {UMBRAL_KPI} % de la de {nombre_mes(anterior)}."
    return Kpi(mes, anterior, actual, previo, porcentaje, veredicto, motivo)
