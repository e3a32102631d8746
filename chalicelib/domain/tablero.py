"""The month as it happens (issue 20): what each request contributes to the dashboard's aggregates.

A request's contribution (``aporte``) is computed from its current state alone: the counters it adds to, each a
``(item, attribute)`` pair of a small, fixed set of aggregate items per month (totals, per channel, per day, per
executive, the speed-to-lead histogram, the open pipeline). The stream keeps, per request, the contribution it last
counted; a change applies the difference between the new contribution and that one, so a record delivered twice
counts once and a cancelled sale leaves the billing of its month, exactly as the Informe General counts it
(``services.reportes.informe``: the same funnel steps, net billing and speed-to-lead minutes).

Items (the month is the request's creation month ``s.mes``, or the invoice's month ``factura.mes`` for billing):

- ``tablero#<mes>#total`` and ``tablero#<mes>#canal#<canal>``: the funnel of the month's prospects (``PASOS``),
  received requests, redigitations, derived, lost and why (``perdida_<motivo>``), with a first answer;
- ``tablero#<mes>#respuesta#<canal>``: minutes from first contact to first answer, one attribute per minute
  (``m<minutos>``): exact percentiles from a bounded item;
- ``tablero#<mes>#dias``: requests received each day (``d<dd>``);
- ``tablero#<mes>#facturacion``: invoices of the month net of cancelled sales (``ventas``, ``centavos``), per
  channel (``canal_<canal>_…``) and per day (``dia<dd>_…``), the cancelled ones apart, prepaid and postpaid, and
  the hours from first contact to invoice summed (``ciclo_horas``: the sales cycle the projection uses);
- ``tablero#<mes>#ejecutivos``: the same per executive (``<email>|ventas``, ``<email>|centavos``);
- ``tablero#abierto``: the open pipeline now, whatever the month (``<estado>_cantidad``, ``<estado>_centavos``);
- ``tablero#<mes>#avisos``: not a counter: what each run of the early warning projected and whether it sent the
  email (``proyeccion.registro_aviso``), so the dashboard shows the month's checkpoints.

So the dashboard of a month reads a fixed number of items (``claves_del_tablero``) whatever the month's size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from chalicelib.domain.model import Canal, Etapa, Solicitud
from chalicelib.domain.seguimiento import centavos, ejecutivo_de, motivo_no_atendida
from chalicelib.domain.vocabulario import Estado

PREFIJO: Final = "tablero#"
ANULADAS: Final = frozenset({Estado.ANULADA.value, Estado.REDIGITADA.value})

PASOS: Final[tuple[tuple[str, str, Callable[[Solicitud], bool]], ...]] = (
    ("recibidas", "Solicitudes recibidas", lambda s: True),
    ("visitado", "Visitado (clasificada como residencial)", lambda s: Etapa.VISITADO.value in s.etapas),
    ("informado", "Informado (oferta enviada)", lambda s: Etapa.INFORMADO.value in s.etapas),
    ("pre_venta", "Pre Venta (oferta aceptada)", lambda s: Etapa.PRE_VENTA.value in s.etapas),
    ("venta", "Venta (digitada en Smartflex)", lambda s: Etapa.VENTA.value in s.etapas),
    ("facturada", "Facturada", lambda s: s.factura is not None),
    ("cerrada", "Atendida / cerrada", lambda s: s.estado == Estado.CERRADA.value),
)
"""The funnel of the month's prospects (redigitations are not new prospects): how many reached each step. The
Informe General counts the same steps (``services.reportes.informe.PASOS_EMBUDO`` is this)."""

MOTIVOS_PERDIDA: Final[Mapping[str, str]] = {
    "sin_capacidad": "Help Desk sin capacidad técnica",
    "sin_cobertura": "Sin cobertura en la zona",
    "oferta_rechazada": "El cliente rechazó la oferta",
    "anulada": "Venta anulada",
    "otro": "Otro motivo",
}
"""Why a request of the month was lost, as people read it."""
_MOTIVO_DE_ACCION: Final[Mapping[str, str]] = {
    "negar_capacidad": "sin_capacidad",
    "cerrar_sin_cobertura": "sin_cobertura",
    "rechazar_oferta": "oferta_rechazada",
}

ABIERTOS: Final[Mapping[str, str]] = {
    Estado.OFERTA_ENVIADA.value: "Ofertas esperando la aceptación",
    Estado.REQUISITOS.value: "Ventas reuniendo requisitos",
    Estado.DIGITACION.value: "Ventas esperando el registro en Smartflex",
    Estado.FORMA_PAGO.value: "Ventas esperando la forma de pago",
    Estado.PAGO_PENDIENTE.value: "Pagos pendientes del cliente",
    Estado.VALIDACION_DEPOSITO.value: "Depósitos esperando validación",
    Estado.VALIDACION_PAGO_WEB.value: "Pagos web esperando validación",
    Estado.FACTURA_PENDIENTE.value: "Facturas por emitir",
    Estado.FACTURACION_CAJA.value: "Facturas por imprimir en caja",
    Estado.FACTURA_IMPRESA.value: "Facturas por entregar",
    Estado.CONTROL_FACTURACION.value: "Pospago en control de facturación",
}
"""The pipeline that can still close this month: where each open sale waits, in the procedure's order."""

Aporte = dict[tuple[str, str], int]
"""``(item key, attribute) -> amount`` a request adds to the aggregates."""


def clave(*partes: str) -> str:
    return PREFIJO + "#".join(partes)


def motivo_perdida(s: Solicitud) -> str | None:
    """Why the request was lost, or None when it is not (closed, open, derived to enterprise sales)."""
    if s.estado in ANULADAS:
        return "anulada"
    if s.estado != Estado.NO_ATENDIDA.value:
        return None
    cambio = s.ultimo_cambio
    if cambio is not None and cambio.accion in _MOTIVO_DE_ACCION:
        return _MOTIVO_DE_ACCION[cambio.accion]
    # The closing action is no longer the last change (a note, a reactivation attempt) or was never recorded on the
    # item: the record itself says why, as the unattended report reads it.
    return motivo_no_atendida(s) or "otro"


def minutos_primera_respuesta(s: Solicitud) -> int | None:
    """Speed to lead: whole minutes from first contact to the first answer (as the Informe General counts them)."""
    if not s.primera_respuesta_en:
        return None
    desde, hasta = _momento(s.creada_en), _momento(s.primera_respuesta_en)
    return max(0, int((hasta - desde).total_seconds() // 60))


def monto_abierto(s: Solicitud) -> int:
    """What an open sale would bill, in cents: its payment when recorded, else the offer's first payment."""
    pago = s.pago or {}
    if pago.get("monto_bs") is not None:
        return centavos(pago.get("monto_bs"))
    oferta = s.oferta or {}
    return centavos(oferta.get("primer_pago_bs") or oferta.get("tarifa_mensual_bs"))


def aporte(s: Solicitud) -> Aporte:
    """The counters ``s`` adds to, from its current state (see the module's docstring)."""
    suma: Aporte = {}

    def mas(item: str, atributo: str, cantidad: int = 1) -> None:
        if cantidad:
            suma[(item, atributo)] = suma.get((item, atributo), 0) + cantidad

    mes, canal = s.mes, s.canal
    for item in (clave(mes, "total"), clave(mes, "canal", canal)):
        mas(item, "solicitudes")
        if s.redigitacion_de:
            mas(item, "redigitaciones")
            continue
        for paso, _, alcanzo in PASOS:
            if alcanzo(s):
                mas(item, paso)
        if s.estado == Estado.DERIVADA_EMPRESAS.value:
            mas(item, "derivadas")
        motivo = motivo_perdida(s)
        if motivo is not None:
            mas(item, "perdidas")
            mas(item, f"perdida_{motivo}")
        if s.primera_respuesta_en:
            mas(item, "con_respuesta")
    if not s.redigitacion_de:
        mas(clave(mes, "dias"), f"d{s.creada_en[8:10]}")
        respuesta = minutos_primera_respuesta(s)
        if respuesta is not None:
            mas(clave(mes, "respuesta", canal), f"m{respuesta}")
    factura = s.factura or {}
    if factura.get("mes"):
        _facturacion(s, str(factura["mes"]), factura, mas)
    if s.estado in ABIERTOS:
        mas(clave("abierto"), f"{s.estado}_cantidad")
        mas(clave("abierto"), f"{s.estado}_centavos", monto_abierto(s))
    return suma


def _facturacion(s: Solicitud, mes: str, factura: Mapping[str, object], mas: Callable[[str, str, int], None]) -> None:
    monto = centavos(factura.get("monto_bs"))
    base = clave(mes, "facturacion")
    if s.estado in ANULADAS:
        mas(base, "anuladas", 1)
        mas(base, "anuladas_centavos", monto)
        return
    dia = str(factura.get("emitida_en") or "")[8:10] or "00"
    for prefijo in ("", f"canal_{s.canal}_", f"dia{dia}_"):
        mas(base, f"{prefijo}ventas", 1)
        mas(base, f"{prefijo}centavos", monto)
    emitida = str(factura.get("emitida_en") or "")
    if emitida:
        mas(base, "ciclo_horas", max(0, int((_momento(emitida) - _momento(s.creada_en)).total_seconds() // 3600)))
    ejecutivo = ejecutivo_de(s)
    mas(clave(mes, "ejecutivos"), f"{ejecutivo}|ventas", 1)
    mas(clave(mes, "ejecutivos"), f"{ejecutivo}|centavos", monto)
    if s.modalidad_pago in ("prepago", "pospago"):
        mas(base, str(s.modalidad_pago), 1)


def claves_del_mes(mes: str) -> list[str]:
    """Every aggregate item of a month (those a month without requests lacks are read as empty)."""
    canales = [c.value for c in Canal]
    return [
        clave(mes, "total"),
        *(clave(mes, "canal", c) for c in canales),
        *(clave(mes, "respuesta", c) for c in canales),
        clave(mes, "dias"),
        clave(mes, "facturacion"),
        clave(mes, "ejecutivos"),
    ]


def claves_del_tablero(mes: str, anterior: str) -> list[str]:
    """What the dashboard and its projection read: the month's items but the per-executive one, the previous
    month's funnel and billing (not its speed-to-lead histograms or days, which the page does not show), and the
    open pipeline, and the month's early-warning runs (``proyeccion.registro_aviso``): 28 items, whatever the
    months' sizes."""
    canales = [c.value for c in Canal]
    return [
        *(k for k in claves_del_mes(mes) if k != clave(mes, "ejecutivos")),
        clave(anterior, "total"),
        *(clave(anterior, "canal", c) for c in canales),
        clave(anterior, "facturacion"),
        clave("abierto"),
        clave(mes, "avisos"),
    ]


def diferencia(nuevo: Aporte, previo: Aporte) -> Aporte:
    """What to add to the aggregates when a request's contribution goes from ``previo`` to ``nuevo``."""
    cambios = {k: nuevo.get(k, 0) - previo.get(k, 0) for k in set(nuevo) | set(previo)}
    return {k: v for k, v in cambios.items() if v}


def _momento(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


Items = Mapping[str, Mapping[str, int]]
"""Aggregate items as read: key -> attribute -> amount (a missing item or attribute is 0)."""


def percentil(histograma: Mapping[int, int], fraccion: float) -> int | None:
    """The nearest-rank percentile of the minutes counted in ``histograma`` (``fraccion`` 0.5 is the low median,
    as the Informe General's ``statistics.median_low``); None when it is empty."""
    total = sum(histograma.values())
    if total <= 0:
        return None
    posicion = (total - 1) // 2 if fraccion == 0.5 else max(0, math.ceil(round(total * fraccion, 9)) - 1)
    vistos = 0
    for minutos in sorted(histograma):
        vistos += histograma[minutos]
        if vistos > posicion:
            return minutos
    return max(histograma)


def histograma(items: Items, mes: str, canales: list[str]) -> dict[int, int]:
    suma: dict[int, int] = {}
    for canal in canales:
        for atributo, cantidad in items.get(clave(mes, "respuesta", canal), {}).items():
            if atributo.startswith("m") and atributo[1:].isdigit():
                suma[int(atributo[1:])] = suma.get(int(atributo[1:]), 0) + int(cantidad)
    return suma


@dataclass(frozen=True)
class CifrasMes:
    """A month's figures read from its aggregate items, for every channel or one."""

    mes: str
    embudo: dict[str, int]
    solicitudes: int
    redigitaciones: int
    derivadas: int
    perdidas: dict[str, int]
    con_respuesta: int
    ventas: int
    centavos: int
    anuladas_facturadas: int | None
    respuesta_p50: int | None
    respuesta_p90: int | None
    recibidas_por_dia: dict[int, int] = field(default_factory=dict)
    facturado_por_dia: dict[int, int] = field(default_factory=dict)
    ciclo_horas: int = 0
    """Hours from first contact to invoice, summed over the month's invoices (every channel only)."""


def cifras_del_mes(mes: str, items: Items, canal: str | None = None) -> CifrasMes:
    """The month's figures from its aggregate items, for every channel or one: the funnel, billing (net of
    cancelled sales), losses and why, speed to lead (p50, p90), received and billed per day."""
    embudo_item = items.get(clave(mes, "total") if canal is None else clave(mes, "canal", canal), {})
    facturacion = items.get(clave(mes, "facturacion"), {})
    prefijo = "" if canal is None else f"canal_{canal}_"
    canales = [c.value for c in Canal] if canal is None else [canal]
    respuestas = histograma(items, mes, canales)
    dias = items.get(clave(mes, "dias"), {}) if canal is None else {}
    return CifrasMes(
        mes=mes,
        embudo={paso: int(embudo_item.get(paso, 0)) for paso, _, _ in PASOS},
        solicitudes=int(embudo_item.get("solicitudes", 0)),
        redigitaciones=int(embudo_item.get("redigitaciones", 0)),
        derivadas=int(embudo_item.get("derivadas", 0)),
        perdidas={m: int(embudo_item.get(f"perdida_{m}", 0)) for m in MOTIVOS_PERDIDA},
        con_respuesta=int(embudo_item.get("con_respuesta", 0)),
        ventas=int(facturacion.get(f"{prefijo}ventas", 0)),
        centavos=int(facturacion.get(f"{prefijo}centavos", 0)),
        anuladas_facturadas=int(facturacion.get("anuladas", 0)) if canal is None else None,
        respuesta_p50=percentil(respuestas, 0.5),
        respuesta_p90=percentil(respuestas, 0.9),
        recibidas_por_dia={int(a[1:]): int(v) for a, v in dias.items() if a.startswith("d")},
        facturado_por_dia={
            int(a[3:5]): int(v) for a, v in facturacion.items() if a.startswith("dia") and a.endswith("_centavos")
        }
        if canal is None
        else {},
        ciclo_horas=int(facturacion.get("ciclo_horas", 0)) if canal is None else 0,
    )


def sumar(aportes: list[Aporte]) -> dict[str, dict[str, int]]:
    """The aggregate items that a set of contributions adds up to (the rebuild, and the tests)."""
    items: dict[str, dict[str, int]] = {}
    for a in aportes:
        for (item, atributo), cantidad in a.items():
            fila = items.setdefault(item, {})
            fila[atributo] = fila.get(atributo, 0) + cantidad
    return {k: {a: v for a, v in fila.items() if v} for k, fila in items.items()}
