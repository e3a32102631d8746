"""Generated sales months with a known outcome (B10, and B9's large months): a seeded simulator of the procedure.

Prospects arrive on business days (Monday to Friday, Bolivian holidays excluded), a Poisson number a day whose rate
changes month to month (×0.75–1.25) and, in about a third of the months, falls or surges from a day in the middle
of the month on (×0.5–0.7 or ×1.3–1.6), so that some months end below 98 % of the previous one and some above.
Each prospect comes by one channel (web, facebook, whatsapp, botmaker, messenger) and walks the procedure, each
step on a business day at office hours, every step the state machine's (``domain.states.TRANSITIONS``):

- first answer minutes after the contact (log-normal, median about 25 minutes);
- classified the same or the next business day: derived to enterprise sales (6 %) or residential (``visitado``);
- coverage and capacity: closed without coverage (9 %) or capacity refused by Help Desk (5 %), else an offer
  (``informado``) 0–3 business days after the classification, on a plan of Bs 169–449;
- the offer accepted (``pre_venta``, 55–66 % by channel) or rejected 1–5 business days later; a tenth of them
  answer late (rejected after 8–15 business days);
- requirements 0–2 days, registered in Smartflex (``digitacion`` → ``forma_pago``, ``venta``) 0–2 days later;
- prepaid (75 %): payment 0–3 days later (a transfer receipt, 60 %, → ``validacion_deposito`` → ``facturacion_caja``
  → invoice printed, ``factura_impresa``, then delivered; or a web payment → ``validacion_pago_web`` →
  ``factura_pendiente`` → invoice sent), validated 0–1 day later and invoiced 0–2 days after that; 6 % never pay
  and are cancelled 10–15 business days later; postpaid (25 %): ``control_facturacion``, invoiced 1–6 days later.
  So an invoice comes 1–6 business days after the registration in Smartflex;
- 2.5 % of the invoiced sales are cancelled (``anulada``) 1–10 business days after the invoice.

``Prospecto.en(momento)`` is the request as the table would hold it at that moment (``None`` before it arrived):
its state, stage chronology, offer, payment, invoice (``{"numero", "monto_bs", "emitida_en", "mes"}``, as
``domain.effects`` writes it), first answer, last change (for the loss's reason) and executive. ``items_en`` adds
their contributions (``domain.tablero.aporte``) as the stream would have them at that moment — the months the
projection reads and the open pipeline ``tablero#abierto`` — and ``facturacion_directa`` is the month's net billing
counted straight from the invoices and cancellations of the timelines, without the aggregates: the check of the
generator. Everything is deterministic for a seed.
"""

from __future__ import annotations

import math
import random
import statistics
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Final

from chalicelib.domain.model import Cambio, Solicitud
from chalicelib.domain.seguimiento import calcular_kpi, centavos, mes_anterior
from chalicelib.domain.tablero import Aporte, Items, aporte, cifras_del_mes, sumar

LA_PAZ: Final = timezone(timedelta(hours=-4))
"""America/La_Paz has no daylight saving time: a fixed offset keeps the timestamps cheap and exact."""
CANALES: Final = (("web", 0.30), ("facebook", 0.25), ("whatsapp", 0.25), ("botmaker", 0.10), ("messenger", 0.10))
ACEPTACION: Final = {"web": 0.66, "facebook": 0.55, "whatsapp": 0.64, "botmaker": 0.58, "messenger": 0.60}
PLANES: Final = (
    ("Hogar 40", 169, 0.30),
    ("Hogar 60", 199, 0.25),
    ("Hogar 100", 249, 0.20),
    ("Hogar 150", 299, 0.12),
    ("Hogar 200", 349, 0.08),
    ("Hogar 300", 449, 0.05),
)
EJECUTIVOS: Final = tuple(f"ejecutivo{n}@ventas.example.bo" for n in range(1, 7))
POR_DIA: Final = 15.0
"""Base arrivals per business day (about 300 a month)."""

EsHabil = Callable[[date], bool]
REALIZADO: Final = ("facturado", "en_curso", "sin_oferta", "por_llegar", "en_curso_despues")
"""The parts of a month's final billing by where each sale stood at a checkpoint (``Historia.realizado``)."""


def es_habil_laboral() -> EsHabil:
    """The production calendar's business days (``adapters.calendario``), cached per day."""
    from functools import lru_cache

    from chalicelib.adapters.calendario import CalendarioLaboral

    return lru_cache(maxsize=4096)(CalendarioLaboral().es_dia_habil)


def iso(momento: datetime) -> str:
    return momento.isoformat(timespec="seconds")


def inicio_del_mes(mes: str) -> datetime:
    return datetime(int(mes[:4]), int(mes[5:]), 1, tzinfo=LA_PAZ)


def mes_siguiente(mes: str) -> str:
    anio, numero = int(mes[:4]), int(mes[5:])
    return f"{anio + 1}-01" if numero == 12 else f"{anio}-{numero + 1:02d}"


def meses_desde(primero: str, cantidad: int) -> list[str]:
    meses = [primero]
    while len(meses) < cantidad:
        meses.append(mes_siguiente(meses[-1]))
    return meses


@dataclass(frozen=True)
class Paso:
    """One applied action of a prospect's timeline: the state it leads to and the fields it sets."""

    en: datetime
    estado: str
    accion: str
    campos: Mapping[str, Any] = field(default_factory=dict)
    etapa: str | None = None
    actor: str = "sistema"
    rol: str = "SISTEMA"


@dataclass
class Prospecto:
    id: str
    canal: str
    creada: datetime
    primera_respuesta: datetime | None
    pasos: list[Paso] = field(default_factory=list)
    _final: Aporte | None = field(default=None, repr=False)

    @property
    def mes(self) -> str:
        return self.creada.strftime("%Y-%m")

    @property
    def ultimo_momento(self) -> datetime:
        momentos = [self.creada, *(p.en for p in self.pasos)]
        if self.primera_respuesta:
            momentos.append(self.primera_respuesta)
        return max(momentos)

    def en(self, momento: datetime) -> Solicitud | None:
        """The request as stored at ``momento`` (None: it had not arrived yet)."""
        if self.creada >= momento:
            return None
        creada = iso(self.creada)
        campos: dict[str, Any] = {}
        etapas: dict[str, str] = {}
        estado, ultimo, version = "nueva", None, 1
        for paso in self.pasos:
            if paso.en >= momento:
                break
            campos.update(paso.campos)
            if paso.etapa:
                etapas[paso.etapa] = iso(paso.en)
            estado, ultimo, version = paso.estado, paso, version + 1
        cambio = Cambio(
            id=f"EV-{self.id}-{version:03d}",
            solicitud_id=self.id,
            en=iso(ultimo.en) if ultimo else creada,
            actor=ultimo.actor if ultimo else f"prospecto:{self.canal}",
            rol=ultimo.rol if ultimo else "SISTEMA",
            canal="consola" if ultimo else self.canal,
            accion=ultimo.accion if ultimo else "capturar",
            de="",
            a=estado,
        )
        primera = self.primera_respuesta
        return Solicitud(
            id=self.id,
            estado=estado,
            canal=self.canal,
            creada_en=creada,
            actualizada_en=cambio.en,
            estado_desde=cambio.en,
            mes=creada[:7],
            version=version,
            datos={"nombre": f"Prospecto {self.id}"},
            origen={"canal": self.canal},
            etapas=etapas,
            primera_respuesta_en=iso(primera) if primera and primera < momento else None,
            ultimo_cambio=cambio,
            **campos,
        )

    def aporte_en(self, momento: datetime) -> Aporte | None:
        """Its contribution to the aggregates at ``momento`` (the final one cached once nothing changes)."""
        if momento > self.ultimo_momento:
            if self._final is None:
                final = self.en(momento)
                self._final = aporte(final) if final else {}
            return self._final
        s = self.en(momento)
        return aporte(s) if s else None

    def factura(self, momento: datetime) -> tuple[str, int, bool] | None:
        """Its invoice as of ``momento`` straight from the timeline: (month, cents, cancelled by then)."""
        emitida: tuple[str, int] | None = None
        anulada = False
        for paso in self.pasos:
            if paso.en >= momento:
                break
            if "factura" in paso.campos:
                f = paso.campos["factura"]
                emitida = (str(f["mes"]), centavos(f["monto_bs"]))
            if paso.estado == "anulada":
                anulada = True
        return (emitida[0], emitida[1], anulada) if emitida else None


class Habiles:
    """Business-day arithmetic over the production calendar."""

    def __init__(self, es_habil: EsHabil) -> None:
        self.es_habil = es_habil

    def despues(self, dia: date, n: int) -> date:
        """The ``n``-th business day after ``dia`` (0: ``dia`` itself when it is one, else the next)."""
        while not self.es_habil(dia):
            dia += timedelta(days=1)
        while n > 0:
            dia += timedelta(days=1)
            if self.es_habil(dia):
                n -= 1
        return dia

    def del_mes(self, mes: str) -> list[date]:
        dia, dias = inicio_del_mes(mes).date(), []
        while dia.strftime("%Y-%m") == mes:
            if self.es_habil(dia):
                dias.append(dia)
            dia += timedelta(days=1)
        return dias


def _elegir(rng: random.Random, opciones: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([o for o, _ in opciones], weights=[p for _, p in opciones])[0]


def _poisson(rng: random.Random, media: float) -> int:
    if media <= 0:
        return 0
    if media > 60:
        return max(0, round(rng.gauss(media, math.sqrt(media))))
    limite, k, p = math.exp(-media), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limite:
            return k
        k += 1


class _Linea:
    """Builds one prospect's timeline, each step after the previous one."""

    def __init__(self, rng: random.Random, habiles: Habiles, prospecto: Prospecto) -> None:
        self.rng, self.habiles, self.p = rng, habiles, prospecto
        self.t = prospecto.primera_respuesta or prospecto.creada

    def paso(self, dias: int, estado: str, accion: str, campos: Mapping[str, Any] | None = None, **kw: Any) -> datetime:
        """The next step, ``dias`` business days after the previous one, at office hours (after the previous)."""
        dia = self.habiles.despues(self.t.date(), dias)
        momento = datetime.combine(dia, time(8, 30), LA_PAZ) + timedelta(minutes=self.rng.uniform(0, 600))
        if momento <= self.t:
            momento = self.t + timedelta(minutes=self.rng.uniform(5, 90))
        self.t = momento
        self.p.pasos.append(Paso(momento, estado, accion, dict(campos or {}), **kw))
        return momento


def prospecto(rng: random.Random, ident: str, canal: str, creada: datetime, habiles: Habiles) -> Prospecto:
    """One prospect arriving at ``creada`` by ``canal``, walked through the procedure (module docstring)."""
    minutos = min(rng.lognormvariate(math.log(25), 1.1), 3 * 24 * 60)
    p = Prospecto(ident, canal, creada, creada + timedelta(minutes=minutos))
    linea = _Linea(rng, habiles, p)
    ejecutivo = rng.choice(EJECUTIVOS)
    ej: dict[str, Any] = {"actor": ejecutivo, "rol": "EJ"}
    destino = rng.random()
    clasificacion = rng.choice((0, 0, 1))
    if destino < 0.06:
        linea.paso(clasificacion, "derivada_empresas", "derivar_empresas", {"tipo_cliente": "empresarial"}, **ej)
        return p
    linea.paso(
        clasificacion,
        "en_registro",
        "clasificar_residencial",
        {"tipo_cliente": "residencial", "ejecutivo": ejecutivo},
        etapa="visitado",
        **ej,
    )
    dias_oferta = rng.choice((0, 1, 1, 2, 2, 3))
    primero = min(1, dias_oferta)
    if destino < 0.15:
        linea.paso(primero, "no_atendida", "cerrar_sin_cobertura", {"cobertura": {"con_cobertura": False}}, **ej)
        return p
    linea.paso(primero, "consulta_help_desk", "solicitar_confirmacion_hd", {"cobertura": {"con_cobertura": True}}, **ej)
    if destino < 0.20:
        linea.paso(rng.choice((0, 1)), "no_atendida", "negar_capacidad", {"capacidad": {"confirmada": False}}, rol="HD")
        return p
    linea.paso(0, "negociacion", "confirmar_capacidad", {"capacidad": {"confirmada": True}}, rol="HD")
    plan, monto, _ = rng.choices(PLANES, weights=[w for _, _, w in PLANES])[0]
    oferta = {"plan": plan, "tarifa_mensual_bs": float(monto), "primer_pago_bs": float(monto)}
    linea.paso(dias_oferta - primero, "oferta_enviada", "enviar_oferta", {"oferta": oferta}, etapa="informado", **ej)
    if rng.random() >= ACEPTACION[canal]:
        tarde = rng.random() < 0.10
        dias = rng.randint(8, 15) if tarde else rng.randint(1, 5)
        linea.paso(dias, "no_atendida", "rechazar_oferta", {"motivo_cierre": "precio"}, **ej)
        return p
    linea.paso(rng.randint(1, 5), "requisitos", "aceptar_oferta", etapa="pre_venta", **ej)
    linea.paso(rng.randint(0, 2), "digitacion", "completar_requisitos", **ej)
    linea.paso(
        rng.randint(0, 2), "forma_pago", "digitar_venta", {"digitacion": {"contrato": ident}}, etapa="venta", **ej
    )
    numero = f"F-{ident}"

    def factura(momento: datetime) -> dict[str, Any]:
        return {"numero": numero, "monto_bs": float(monto), "emitida_en": iso(momento), "mes": iso(momento)[:7]}

    if rng.random() < 0.75:
        linea.paso(rng.randint(0, 1), "pago_pendiente", "elegir_prepago", {"modalidad_pago": "prepago"}, **ej)
        if rng.random() < 0.06:
            linea.paso(rng.randint(10, 15), "anulada", "anular", {"anulacion": {"motivo": "sin pago"}}, **ej)
            return p
        pago = {"monto_bs": float(monto), "estado": "por_validar"}
        if rng.random() < 0.60:
            linea.paso(rng.randint(0, 3), "validacion_deposito", "registrar_comprobante", {"pago": pago}, rol="CO")
            linea.paso(rng.randint(0, 1), "facturacion_caja", "aprobar_deposito", rol="CO")
            emitida = linea.paso(rng.randint(0, 2), "factura_impresa", "marcar_impresa", rol="CA")
            p.pasos[-1] = Paso(emitida, "factura_impresa", "marcar_impresa", {"factura": factura(emitida)}, rol="CA")
            linea.paso(rng.randint(0, 2), "cerrada", "marcar_entregada", rol="CA")
        else:
            linea.paso(rng.randint(0, 3), "validacion_pago_web", "registrar_pago_web", {"pago": pago}, rol="SISTEMA")
            linea.paso(rng.randint(0, 1), "factura_pendiente", "confirmar_pago_web", rol="CO")
            emitida = linea.paso(rng.randint(0, 2), "cerrada", "enviar_factura", rol="FA")
            p.pasos[-1] = Paso(emitida, "cerrada", "enviar_factura", {"factura": factura(emitida)}, rol="FA")
    else:
        linea.paso(rng.randint(0, 1), "control_facturacion", "elegir_pospago", {"modalidad_pago": "pospago"}, **ej)
        emitida = linea.paso(rng.randint(1, 6), "cerrada", "registrar_control_recurrente", rol="FA")
        p.pasos[-1] = Paso(emitida, "cerrada", "registrar_control_recurrente", {"factura": factura(emitida)}, rol="FA")
    if rng.random() < 0.025:
        linea.paso(rng.randint(1, 10), "anulada", "anular", {"anulacion": {"motivo": "desistió"}}, **ej)
    return p


def _momento_de_oficina(rng: random.Random, dia: date) -> datetime:
    return datetime.combine(dia, time(8, 0), LA_PAZ) + timedelta(minutes=rng.uniform(0, 11 * 60))


@dataclass
class Historia:
    """A continuous run of generated months: every prospect, indexed by the month it arrived in."""

    semilla: int
    meses: list[str]
    ritmo: dict[str, dict[str, Any]]
    por_mes: dict[str, list[Prospecto]]

    @property
    def prospectos(self) -> list[Prospecto]:
        return [p for mes in self.meses for p in self.por_mes[mes]]

    def _vigentes(self, mes: str, momento: datetime) -> Iterable[Prospecto]:
        """The prospects whose contributions the projection of ``mes`` can read: arrived from four months before
        (none lives longer than that: a timeline spans at most about 60 calendar days) up to ``momento``."""
        desde = mes
        for _ in range(4):
            desde = mes_anterior(desde)
        for m in self.meses:
            if desde <= m <= mes_siguiente(mes):
                lista = self.por_mes[m]
                fin = bisect_left([p.creada for p in lista], momento) if m >= mes else len(lista)
                yield from lista[:fin]

    def items_en(self, mes: str, momento: datetime) -> dict[str, dict[str, int]]:
        """The aggregate items the dashboard of ``mes`` reads, as the stream would have them at ``momento``."""
        aportes = [a for p in self._vigentes(mes, momento) if (a := p.aporte_en(momento)) is not None]
        return sumar(aportes)

    def solicitudes_en(self, mes: str, momento: datetime) -> list[Solicitud]:
        return [s for p in self._vigentes(mes, momento) if (s := p.en(momento)) is not None]

    def realizado(self, mes: str, momento: datetime, fin: datetime) -> dict[str, int]:
        """Where the month's final net billing (at ``fin``) came from, as of the checkpoint ``momento``: invoices
        issued before it (net of later cancellations), open sales of the pipeline then (``tablero#abierto``'s
        states), the month's requests still before their offer then, and requests that arrived after it; and the
        open pipeline's sales that were invoiced only after the month (``en_curso_despues``)."""
        from chalicelib.domain.tablero import ABIERTOS

        partes = dict.fromkeys(REALIZADO, 0)
        for p in self._vigentes(mes, fin):
            emitida = next((paso.en for paso in p.pasos if "factura" in paso.campos), None)
            if emitida is None:
                continue
            antes = p.en(momento)
            if emitida >= fin:
                final = p.factura(fin + timedelta(days=365))
                if final and not final[2] and antes is not None and antes.estado in ABIERTOS:
                    partes["en_curso_despues"] += final[1]
                continue
            factura = p.factura(fin)
            if factura is None or factura[2] or factura[0] != mes:
                continue
            if emitida < momento:
                partes["facturado"] += factura[1]
            elif antes is None:
                partes["por_llegar"] += factura[1]
            elif antes.estado in ABIERTOS:
                partes["en_curso"] += factura[1]
            else:
                partes["sin_oferta"] += factura[1]
        return partes

    def facturacion_directa(self, mes: str, momento: datetime) -> int:
        """The month's net billing at ``momento`` counted from the timelines' invoices and cancellations."""
        total = 0
        for p in self._vigentes(mes, momento):
            factura = p.factura(momento)
            if factura and factura[0] == mes and not factura[2]:
                total += factura[1]
        return total


def generar(
    semilla: int, primero: str, meses: int, *, por_dia: float = POR_DIA, es_habil: EsHabil | None = None
) -> Historia:
    """``meses`` months from ``primero``, seeded (module docstring)."""
    rng = random.Random(semilla)
    habiles = Habiles(es_habil or es_habil_laboral())
    lista = meses_desde(primero, meses)
    ritmo: dict[str, dict[str, Any]] = {}
    por_mes: dict[str, list[Prospecto]] = {}
    secuencia = 0
    for mes in lista:
        dias = habiles.del_mes(mes)
        factor = rng.uniform(0.75, 1.25)
        cambio: dict[str, Any] = {"factor": round(factor, 3), "desde_dia": None, "por": 1.0}
        if rng.random() < 0.35:
            desde = dias[rng.randint(6, min(13, len(dias) - 1))]
            por = rng.uniform(0.5, 0.7) if rng.random() < 0.5 else rng.uniform(1.3, 1.6)
            cambio.update(desde_dia=desde.day, por=round(por, 3))
        ritmo[mes] = cambio
        prospectos = []
        for dia in dias:
            media = por_dia * factor * (cambio["por"] if cambio["desde_dia"] and dia.day >= cambio["desde_dia"] else 1)
            llegadas = sorted(_momento_de_oficina(rng, dia) for _ in range(_poisson(rng, media)))
            for creada in llegadas:
                secuencia += 1
                canal = _elegir(rng, CANALES)
                prospectos.append(prospecto(rng, f"VD-G{semilla % 1000:03d}{secuencia:06d}", canal, creada, habiles))
        ritmo[mes]["llegadas"] = len(prospectos)
        por_mes[mes] = prospectos
    return Historia(semilla=semilla, meses=lista, ritmo=ritmo, por_mes=por_mes)


def solicitudes_de_mes(
    mes: str, cantidad: int, momento: datetime, *, semilla: int = 1, es_habil: EsHabil | None = None
) -> list[Solicitud]:
    """``cantidad`` requests that arrived in ``mes`` before ``momento`` (spread evenly at random over that time),
    each in the state it has at ``momento``: a month of any size, for B9."""
    rng = random.Random(semilla)
    habiles = Habiles(es_habil or es_habil_laboral())
    inicio = inicio_del_mes(mes)
    fin = min(momento, inicio_del_mes(mes_siguiente(mes)))
    segundos = max(60.0, (fin - inicio).total_seconds() - 1)
    solicitudes = []
    for n in range(cantidad):
        creada = inicio + timedelta(seconds=rng.uniform(0, segundos))
        p = prospecto(rng, f"VD-M{semilla % 1000:03d}{n:07d}", _elegir(rng, CANALES), creada, habiles)
        s = p.en(momento)
        if s is not None:
            solicitudes.append(s)
    return solicitudes


# --- The backtest -----------------------------------------------------------------------------------------------


def _errores(pares: Sequence[tuple[int, int]]) -> dict[str, float]:
    """Percent errors of (projected, final) pairs: mean absolute, median absolute, worst, bias (mean signed)."""
    firmados = [(p - f) * 100 / f for p, f in pares if f > 0]
    absolutos = [abs(e) for e in firmados]
    return {
        "mape": statistics.fmean(absolutos),
        "mediana": statistics.median(absolutos),
        "peor": max(absolutos),
        "sesgo": statistics.fmean(firmados),
    }


def backtest(
    historia: Historia, *, dias: Sequence[int] = (10, 20), calentamiento: int = 2, es_habil: EsHabil | None = None
) -> dict[str, Any]:
    """For each month after ``calentamiento`` (whose previous months exist), the projection at the checkpoints of
    ``dias`` against the month's final net billing and KPI verdict, beside the naive run rate; and the generator's
    check (final billing from the aggregates = straight from the invoices, at every checkpoint too)."""
    from chalicelib.domain.proyeccion import dia_de_control, dias_habiles, proyectar

    es_habil = es_habil or es_habil_laboral()
    filas: list[dict[str, Any]] = []
    discrepancias: list[str] = []
    for mes in historia.meses[calentamiento:]:
        anterior = mes_anterior(mes)
        fin = inicio_del_mes(mes_siguiente(mes))
        items_fin = historia.items_en(mes, fin)
        final, final_anterior = cifras_del_mes(mes, items_fin).centavos, cifras_del_mes(anterior, items_fin).centavos
        for m, valor in ((mes, final), (anterior, final_anterior)):
            directo = historia.facturacion_directa(m, fin)
            if directo != valor:
                discrepancias.append(f"{m} at the end of {mes}: aggregates {valor}, invoices {directo}")
        verdadero = calcular_kpi(mes, final, final_anterior).veredicto.value
        fila: dict[str, Any] = {
            "mes": mes,
            "llegadas": historia.ritmo[mes]["llegadas"],
            "ritmo": {k: v for k, v in historia.ritmo[mes].items() if k != "llegadas"},
            "final_centavos": final,
            "anterior_centavos": final_anterior,
            "kpi_final": verdadero,
            "controles": {},
        }
        habiles = dias_habiles(mes, es_habil)
        for dia in dias:
            hoy = dia_de_control(mes, dia, es_habil)
            if hoy is None:
                continue
            momento = datetime.combine(hoy, time(0, 0), LA_PAZ)
            items = historia.items_en(mes, momento)
            cifras = cifras_del_mes(mes, items)
            directo = historia.facturacion_directa(mes, momento)
            if directo != cifras.centavos:
                discrepancias.append(f"{mes} on {hoy}: aggregates {cifras.centavos}, invoices {directo}")
            p = proyectar(mes, items, hoy, es_habil)
            realizado = historia.realizado(mes, momento, fin)
            transcurridos = len([d for d in habiles if d < hoy])
            ingenua = round(p.facturado * len(habiles) / transcurridos) if transcurridos else 0
            fila["controles"][str(dia)] = {
                "hoy": hoy.isoformat(),
                "dias_transcurridos": transcurridos,
                "dias_habiles": len(habiles),
                "facturado": p.facturado,
                "en_curso": p.en_curso,
                "sin_oferta": p.sin_oferta,
                "por_llegar": p.por_llegar,
                "proyectado": p.total,
                "ingenua": ingenua,
                "anterior_visto": p.anterior,
                "ciclo_dias": float(p.ciclo_dias) if p.ciclo_dias is not None else None,
                "conversion": {k: float(v) for k, v in p.conversion.items()},
                "solicitudes_sin_oferta": p.solicitudes_sin_oferta,
                "kpi": p.kpi.veredicto.value,
                "kpi_ingenua": calcular_kpi(mes, ingenua, p.anterior).veredicto.value,
                "realizado": realizado,
                "error": (p.total - final) * 100 / final if final else None,
                "error_ingenua": (ingenua - final) * 100 / final if final else None,
            }
        filas.append(fila)
    resumen: dict[str, Any] = {}
    for dia in dias:
        clave = str(dia)
        con = [(f, f["controles"][clave]) for f in filas if clave in f["controles"] and f["final_centavos"] > 0]
        if not con:
            continue
        resumen[clave] = {
            "meses": len(con),
            "proyeccion": {
                **_errores([(c["proyectado"], f["final_centavos"]) for f, c in con]),
                "aciertos_kpi": sum(c["kpi"] == f["kpi_final"] for f, c in con),
            },
            "ingenua": {
                **_errores([(c["ingenua"], f["final_centavos"]) for f, c in con]),
                "aciertos_kpi": sum(c["kpi_ingenua"] == f["kpi_final"] for f, c in con),
            },
            "componentes_pct_final": {
                parte: statistics.fmean(c[parte] * 100 / f["final_centavos"] for f, c in con)
                for parte in ("facturado", "en_curso", "sin_oferta", "por_llegar")
            },
            "realizado_pct_final": {
                parte: statistics.fmean(c["realizado"][parte] * 100 / f["final_centavos"] for f, c in con)
                for parte in REALIZADO
            },
        }
    return {
        "semilla": historia.semilla,
        "meses": [f["mes"] for f in filas],
        "filas": filas,
        "resumen": resumen,
        "kpi_final": {v: sum(f["kpi_final"] == v for f in filas) for v in ("APROBADO", "OBSERVADO", "SIN BASE")},
        "discrepancias": discrepancias,
        "consistente": not discrepancias,
    }


def items_de(solicitudes: Iterable[Solicitud]) -> Items:
    """The aggregate items a set of requests adds up to (the rebuild path)."""
    return sumar([aporte(s) for s in solicitudes])
