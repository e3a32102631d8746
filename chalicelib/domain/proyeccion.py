"""The projection of the month's billing to its end (issue 20, part 3), from the dashboard's aggregates alone.

Made "at the start of a day" (``hoy``, La Paz): the month so far, counted in business days (Monday to Friday,
Bolivian national holidays excluded: the ``Calendario`` port decides), plus what is still on its way:

``proyectado = facturado + en curso + sin oferta + por llegar``

- **facturado**: the month's invoices so far, net of cancelled sales (as the KPI counts them);
- **en curso**: every open sale of the pipeline (``tablero#abierto``) times the probability that a request that
  reached its stage ends invoiced (``conversion``), times the share that has time to close this month (``a_tiempo``:
  1 while a whole sales cycle is left, then business days left / cycle); invoices already issued
  (``factura_impresa``) are in ``facturado`` and count nothing here;
- **sin oferta**: this month's requests still before their offer, times the value of a received request, times
  ``a_tiempo``;
- **por llegar**: the requests that will still arrive (this month's arrivals per business day so far times the
  business days left) that have time to close: only the days left beyond one sales cycle (the mean time from first
  contact to invoice of the invoices of the two months, in business days), times the value of a received request.

The conversion of a stage is taken over this month and the previous one, counting only the requests already
decided (invoiced or lost): ``facturadas / (alcanzaron la etapa - siguen abiertas después de ella)``; the value of a
received request is its conversion times the mean net invoice of the two months. A closed month projects what it
billed. The KPI and verdict of the projection follow the KPI's own rule (``seguimiento.calcular_kpi``).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from chalicelib.domain.seguimiento import UMBRAL_KPI, Kpi, Veredicto, calcular_kpi, mes_anterior
from chalicelib.domain.tablero import ABIERTOS, CifrasMes, Items, cifras_del_mes, clave
from chalicelib.domain.vocabulario import Estado

ETAPA_DEL_ABIERTO: Final[Mapping[str, str | None]] = {
    Estado.OFERTA_ENVIADA.value: "informado",
    Estado.REQUISITOS.value: "pre_venta",
    Estado.DIGITACION.value: "pre_venta",
    Estado.FORMA_PAGO.value: "venta",
    Estado.PAGO_PENDIENTE.value: "venta",
    Estado.VALIDACION_DEPOSITO.value: "venta",
    Estado.VALIDACION_PAGO_WEB.value: "venta",
    Estado.FACTURA_PENDIENTE.value: "venta",
    Estado.FACTURACION_CAJA.value: "venta",
    Estado.CONTROL_FACTURACION.value: "venta",
    Estado.FACTURA_IMPRESA.value: None,
}
"""The funnel step an open sale has reached (``tablero.PASOS``); None: its invoice is issued (already billed)."""

ORDEN_PASOS: Final = ("recibidas", "informado", "pre_venta", "venta")
PERDIDAS_ANTES_DE_OFERTA: Final = ("sin_capacidad", "sin_cobertura")
CERO: Final = Decimal(0)

EsHabil = Callable[[date], bool]


@dataclass(frozen=True)
class EtapaAbierta:
    """One state of the open pipeline in the projection."""

    estado: str
    etiqueta: str
    cantidad: int
    centavos: int
    probabilidad: Decimal
    ponderado: int


@dataclass(frozen=True)
class Proyeccion:
    mes: str
    hoy: date
    cerrado: bool
    dias_habiles: int
    dias_transcurridos: int
    dias_restantes: int
    facturado: int
    en_curso: int
    sin_oferta: int
    por_llegar: int
    anterior: int
    conversion: dict[str, Decimal]
    valor_solicitud: int
    ticket: int
    ciclo_dias: Decimal | None
    a_tiempo: Decimal
    """Share of the open sales with time to close this month (business days left over the sales cycle, at most 1)."""
    llegadas_por_dia: Decimal
    solicitudes_sin_oferta: int
    etapas: tuple[EtapaAbierta, ...]
    kpi: Kpi

    @property
    def total(self) -> int:
        return self.facturado + self.en_curso + self.sin_oferta + self.por_llegar

    @property
    def meta(self) -> int:
        """The billing that makes the KPI APROBADO: 98 % of the previous month, in cents (rounded up)."""
        return -(-int(UMBRAL_KPI) * self.anterior // 100)

    @property
    def faltante(self) -> int:
        """Cents the projection is short of the target (0 when on track or without a base)."""
        return max(0, self.meta - self.total) if self.anterior > 0 else 0


def dias_del_mes(mes: str) -> list[date]:
    anio, numero = int(mes[:4]), int(mes[5:])
    return [date(anio, numero, d) for d in range(1, calendar.monthrange(anio, numero)[1] + 1)]


def dias_habiles(mes: str, es_habil: EsHabil) -> list[date]:
    return [d for d in dias_del_mes(mes) if es_habil(d)]


def _probabilidad(facturadas: int, decididas: int) -> Decimal:
    if decididas <= 0 or facturadas <= 0:
        return CERO
    return min(Decimal(1), Decimal(facturadas) / Decimal(decididas))


def _sin_oferta(cifras: CifrasMes) -> int:
    """Requests of the month still before their offer (received, not offered, lost, or derived)."""
    perdidas_antes = sum(cifras.perdidas.get(m, 0) for m in PERDIDAS_ANTES_DE_OFERTA)
    return max(0, cifras.embudo["recibidas"] - cifras.embudo["informado"] - perdidas_antes - cifras.derivadas)


def conversiones(
    actual: CifrasMes, previo: CifrasMes, abierto: Mapping[str, int], sin_oferta: int
) -> dict[str, Decimal]:
    """Per funnel step (``ORDEN_PASOS``): of the two months' requests that reached it and are already decided,
    the share invoiced."""
    facturadas = actual.embudo["facturada"] + previo.embudo["facturada"]
    resultado: dict[str, Decimal] = {}
    for indice, paso in enumerate(ORDEN_PASOS):
        posteriores = set(ORDEN_PASOS[indice:])
        abiertas = sum(
            int(abierto.get(f"{estado}_cantidad", 0))
            for estado, etapa in ETAPA_DEL_ABIERTO.items()
            if etapa is not None and etapa in posteriores
        )
        if paso == "recibidas":
            abiertas += sin_oferta
        alcanzaron = actual.embudo[paso] + previo.embudo[paso]
        resultado[paso] = _probabilidad(facturadas, alcanzaron - abiertas)
    return resultado


def proyectar(mes: str, items: Items, hoy: date, es_habil: EsHabil) -> Proyeccion:
    """The month-end projection of ``mes`` made at the start of ``hoy`` (see the module's docstring)."""
    anterior_mes = mes_anterior(mes)
    actual, previo = cifras_del_mes(mes, items), cifras_del_mes(anterior_mes, items)
    habiles = dias_habiles(mes, es_habil)
    cerrado = hoy > dias_del_mes(mes)[-1]
    transcurridos = [d for d in habiles if d < hoy]
    restantes = 0 if cerrado else len(habiles) - len(transcurridos)
    abierto = items.get(clave("abierto"), {})
    pendientes_de_oferta = 0 if cerrado else _sin_oferta(actual)
    conversion = conversiones(actual, previo, abierto, pendientes_de_oferta)
    ventas, centavos = actual.ventas + previo.ventas, actual.centavos + previo.centavos
    ticket = centavos // ventas if ventas > 0 else 0
    valor = _redondear(conversion["recibidas"] * ticket)
    ciclo = _ciclo_en_dias_habiles(actual, previo, mes, len(habiles))
    a_tiempo = _a_tiempo(restantes, ciclo)
    etapas = tuple(
        EtapaAbierta(
            estado=estado,
            etiqueta=ABIERTOS[estado],
            cantidad=int(abierto.get(f"{estado}_cantidad", 0)),
            centavos=int(abierto.get(f"{estado}_centavos", 0)),
            probabilidad=conversion[etapa] * a_tiempo if etapa else CERO,
            ponderado=_redondear(conversion[etapa] * a_tiempo * int(abierto.get(f"{estado}_centavos", 0)))
            if etapa
            else 0,
        )
        for estado in ABIERTOS
        for etapa in (ETAPA_DEL_ABIERTO[estado],)
    )
    llegadas = _llegadas_por_dia(actual, previo, anterior_mes, transcurridos, hoy, es_habil)
    dias_a_tiempo = max(CERO, Decimal(restantes) - (ciclo or CERO))
    en_curso = 0 if cerrado else sum(e.ponderado for e in etapas)
    sin_oferta = 0 if cerrado else _redondear(pendientes_de_oferta * valor * a_tiempo)
    por_llegar = 0 if cerrado else _redondear(llegadas * dias_a_tiempo * valor)
    total = actual.centavos + en_curso + sin_oferta + por_llegar
    return Proyeccion(
        mes=mes,
        hoy=hoy,
        cerrado=cerrado,
        dias_habiles=len(habiles),
        dias_transcurridos=len(transcurridos),
        dias_restantes=restantes,
        facturado=actual.centavos,
        en_curso=en_curso,
        sin_oferta=sin_oferta,
        por_llegar=por_llegar,
        anterior=previo.centavos,
        conversion=conversion,
        valor_solicitud=valor,
        ticket=ticket,
        ciclo_dias=ciclo,
        a_tiempo=a_tiempo,
        llegadas_por_dia=llegadas,
        solicitudes_sin_oferta=pendientes_de_oferta,
        etapas=etapas,
        kpi=calcular_kpi(mes, total, previo.centavos),
    )


def _a_tiempo(restantes: int, ciclo: Decimal | None) -> Decimal:
    """The share of the open sales that still has time to close this month: all of them while a whole sales cycle
    is left, then in proportion to the business days left over the cycle."""
    if not ciclo or ciclo <= 0 or restantes >= ciclo:
        return Decimal(1)
    return Decimal(restantes) / ciclo


def _redondear(valor: Decimal) -> int:
    return int(valor.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _ciclo_en_dias_habiles(actual: CifrasMes, previo: CifrasMes, mes: str, habiles: int) -> Decimal | None:
    """Mean hours from first contact to invoice over the two months' invoices, as business days of ``mes``."""
    ventas = actual.ventas + previo.ventas
    if ventas <= 0:
        return None
    dias_corridos = Decimal(actual.ciclo_horas + previo.ciclo_horas) / ventas / 24
    return (dias_corridos * habiles / len(dias_del_mes(mes))).quantize(Decimal("0.1"))


def _llegadas_por_dia(
    actual: CifrasMes, previo: CifrasMes, anterior_mes: str, transcurridos: list[date], hoy: date, es_habil: EsHabil
) -> Decimal:
    """New prospects per business day: this month's before today, or the previous month's on its first day."""
    if transcurridos:
        antes_de_hoy = sum(n for dia, n in actual.recibidas_por_dia.items() if dia < hoy.day)
        return Decimal(antes_de_hoy) / len(transcurridos)
    dias_previos = len(dias_habiles(anterior_mes, es_habil))
    return Decimal(previo.embudo["recibidas"]) / dias_previos if dias_previos else CERO


def control_de_hoy(hoy: date, dias: Iterable[int], es_habil: EsHabil) -> int | None:
    """The configured day whose checkpoint (``dia_de_control``) falls on ``hoy``; None: today is not one."""
    mes = hoy.strftime("%Y-%m")
    return next((dia for dia in sorted(set(dias)) if dia_de_control(mes, dia, es_habil) == hoy), None)


def dia_de_control(mes: str, dia: int, es_habil: EsHabil) -> date | None:
    """The checkpoint for day ``dia`` of ``mes``: that day, or the next business day of the month when it is not
    one (None when no business day is left in the month)."""
    ultimo = dias_del_mes(mes)[-1]
    candidato = date(int(mes[:4]), int(mes[5:]), min(dia, ultimo.day))
    while candidato <= ultimo:
        if es_habil(candidato):
            return candidato
        candidato += timedelta(days=1)
    return None


@dataclass(frozen=True)
class AvisoRegistrado:
    """One run of the early warning, as recorded in ``tablero#<mes>#avisos``."""

    control: str
    """The configured day ("10", "20") or "manual" (the local stage's ``/dev`` trigger)."""
    fecha: date
    porcentaje: Decimal | None
    proyectado: int
    faltante: int
    enviado: bool

    @property
    def veredicto(self) -> str:
        """The KPI's verdict of the recorded percentage (truncated to two decimals, as the KPI shows it)."""
        if self.porcentaje is None:
            return Veredicto.SIN_BASE.value
        return (Veredicto.APROBADO if self.porcentaje >= UMBRAL_KPI else Veredicto.OBSERVADO).value


def registro_aviso(control: str, hoy: date, p: Proyeccion, enviado: bool) -> dict[str, int]:
    """The attributes of ``tablero#<mes>#avisos`` that record one run (whole numbers, like the counters):
    ``c<día>_…`` for a checkpoint, ``m<dd>_…`` for a run asked by hand on day ``dd``."""
    prefijo = f"c{control}_" if control.isdecimal() else f"m{hoy.day:02d}_"
    registro = {
        f"{prefijo}fecha": int(hoy.strftime("%Y%m%d")),
        f"{prefijo}proyectado": p.total,
        f"{prefijo}faltante": p.faltante,
        f"{prefijo}enviado": int(enviado),
    }
    if p.kpi.porcentaje is not None:
        registro[f"{prefijo}centesimas"] = int(p.kpi.porcentaje * 100)
    return registro


def avisos_registrados(item: Mapping[str, int]) -> list[AvisoRegistrado]:
    """The runs recorded in a month's ``avisos`` item, oldest first."""
    prefijos = sorted({a.split("_", 1)[0] for a in item if "_" in a and a.endswith("_fecha")})
    avisos = []
    for prefijo in prefijos:
        fecha = str(int(item[f"{prefijo}_fecha"]))
        centesimas = item.get(f"{prefijo}_centesimas")
        avisos.append(
            AvisoRegistrado(
                control=prefijo[1:] if prefijo.startswith("c") else "manual",
                fecha=date(int(fecha[:4]), int(fecha[4:6]), int(fecha[6:8])),
                porcentaje=None if centesimas is None else Decimal(int(centesimas)) / 100,
                proyectado=int(item.get(f"{prefijo}_proyectado", 0)),
                faltante=int(item.get(f"{prefijo}_faltante", 0)),
                enviado=bool(item.get(f"{prefijo}_enviado", 0)),
            )
        )
    return sorted(avisos, key=lambda a: (a.fecha, a.control))
