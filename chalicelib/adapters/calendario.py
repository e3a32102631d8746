"""Business hours of the sales team (America/La_Paz) with Bolivian public holidays (``holidays`` package)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final

from chalicelib.adapters.sistema import ZONA_LA_PAZ

HORARIO: Final[dict[int, tuple[tuple[time, time], ...]]] = {
    0: ((time(8, 30), time(12, 30)), (time(14, 30), time(18, 30))),
    1: ((time(8, 30), time(12, 30)), (time(14, 30), time(18, 30))),
    2: ((time(8, 30), time(12, 30)), (time(14, 30), time(18, 30))),
    3: ((time(8, 30), time(12, 30)), (time(14, 30), time(18, 30))),
    4: ((time(8, 30), time(12, 30)), (time(14, 30), time(18, 30))),
    5: ((time(9, 0), time(12, 0)),),
}
"""Office hours per weekday (Monday = 0); Sunday closed."""


@lru_cache(maxsize=8)
def _feriados(anio: int) -> Any:
    import holidays

    return holidays.country_holidays("BO", years=anio)


class CalendarioLaboral:
    """Counts business minutes: office hours above, excluding Sundays and Bolivian public holidays."""

    def es_feriado(self, dia: date) -> bool:
        return dia in _feriados(dia.year)

    def es_dia_habil(self, dia: date) -> bool:
        """Monday to Friday and not a Bolivian national holiday (the projection's business days; the office's
        Saturday morning counts for deadlines, not for the month's pace)."""
        return dia.weekday() < 5 and not self.es_feriado(dia)

    def vencimiento(self, desde: datetime, minutos_habiles: int) -> datetime:
        momento = desde.astimezone(ZONA_LA_PAZ)
        restante = timedelta(minutes=minutos_habiles)
        for _ in range(400):
            dia = momento.date()
            tramos = () if self.es_feriado(dia) else HORARIO.get(dia.weekday(), ())
            for inicio, fin in tramos:
                tramo_inicio = datetime.combine(dia, inicio, ZONA_LA_PAZ)
                tramo_fin = datetime.combine(dia, fin, ZONA_LA_PAZ)
                if momento >= tramo_fin:
                    continue
                comienzo = max(momento, tramo_inicio)
                disponible = tramo_fin - comienzo
                if disponible >= restante:
                    return comienzo + restante
                restante -= disponible
                momento = tramo_fin
            momento = datetime.combine(dia + timedelta(days=1), time(0, 0), ZONA_LA_PAZ)
        raise RuntimeError("no business time found within 400 days")
