"""Step 26: the "Informe General de Ventas Digitales" of a month as a pure function over its requests and invoices
(``construir_informe``): the KPI, sales by channel, plan and executive, the funnel, and the follow-up counts.

Money is handled in whole cents (``seguimiento.centavos``) and shown as exact two-decimal ``Decimal`` amounts;
in JSON they are decimal strings ("1250.00").
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, Final

from chalicelib.domain.model import Solicitud
from chalicelib.domain.ports import Calendario
from chalicelib.domain.seguimiento import (
    CENTAVO,
    UMBRAL_KPI,
    bolivianos,
    calcular_kpi,
    centavos,
    ejecutivo_de,
    etiqueta_canal,
    mes_anterior,
    nombre_mes,
)
from chalicelib.domain.states import ETIQUETA_ESTADO, Estado
from chalicelib.domain.tablero import PASOS, minutos_primera_respuesta
from chalicelib.services.reportes.comun import ANULADAS, mes_de, plan_de
from chalicelib.services.reportes.no_atendidas import filas_no_atendidas
from chalicelib.services.reportes.seguimiento import fila_anulada

PASOS_EMBUDO: Final = PASOS
"""The funnel of the month's prospects (``domain.tablero.PASOS``, which the live dashboard counts too)."""


def _porcentaje(parte: int, total: int) -> Decimal | None:
    if total <= 0:
        return None
    return (Decimal(parte) * 100 / Decimal(total)).quantize(CENTAVO, rounding=ROUND_DOWN)


def _monto_factura(s: Solicitud) -> int:
    return centavos((s.factura or {}).get("monto_bs"))


def _agrupar_ventas(ventas: Sequence[Solicitud], clave: Callable[[Solicitud], str], total: int) -> list[dict[str, Any]]:
    grupos: dict[str, list[int]] = defaultdict(list)
    for s in ventas:
        grupos[clave(s)].append(_monto_factura(s))
    filas = [
        {
            "nombre": nombre,
            "ventas": len(montos),
            "monto_bs": bolivianos(sum(montos)),
            "participacion": _porcentaje(sum(montos), total),
        }
        for nombre, montos in grupos.items()
    ]
    return sorted(filas, key=lambda f: (-f["monto_bs"], -f["ventas"], f["nombre"]))


def construir_informe(
    mes: str,
    *,
    del_mes: Sequence[Solicitud],
    facturadas: Sequence[Solicitud],
    facturadas_anterior: Sequence[Solicitud],
    ahora: datetime,
    calendario: Calendario,
) -> dict[str, Any]:
    """The "Informe General de Ventas Digitales" of ``mes``.

    - Billing volume of a month: the invoices issued in it (``factura.mes``), net of those whose sale is
      cancelled (``anulada``/``redigitada``) when the report runs; the cancelled ones are shown apart.
    - KPI: volume of the month / volume of the previous month x 100 (``seguimiento.calcular_kpi``).
    - Sales by channel, plan and executive: the month's net invoices.
    - Funnel, states, unattended, cancelled and redigitated counts: the requests received in the month
      (month index), as they stand when the report runs.
    """
    anterior = mes_anterior(mes)
    ventas = sorted(
        (s for s in facturadas if s.estado not in ANULADAS), key=lambda s: (str((s.factura or {})["emitida_en"]), s.id)
    )
    anuladas_facturadas = [s for s in facturadas if s.estado in ANULADAS]
    ventas_anterior = [s for s in facturadas_anterior if s.estado not in ANULADAS]
    volumen = sum(_monto_factura(s) for s in ventas)
    volumen_anterior = sum(_monto_factura(s) for s in ventas_anterior)
    kpi = calcular_kpi(mes, volumen, volumen_anterior)

    prospectos = [s for s in del_mes if not s.redigitacion_de]
    embudo = []
    previo = len(prospectos)
    for clave, etiqueta, alcanzo in PASOS_EMBUDO:
        cantidad = sum(1 for s in prospectos if alcanzo(s))
        embudo.append(
            {
                "paso": clave,
                "etiqueta": etiqueta,
                "cantidad": cantidad,
                "porcentaje": _porcentaje(cantidad, len(prospectos)),
                "del_paso_anterior": _porcentaje(cantidad, previo),
            }
        )
        previo = cantidad
    estados = Counter(s.estado for s in del_mes)
    por_canal_solicitudes = Counter(s.canal for s in del_mes)
    por_canal = {f["nombre"]: f for f in _agrupar_ventas(ventas, lambda s: s.canal, volumen)}
    canales = sorted(
        set(por_canal_solicitudes) | set(por_canal),
        key=lambda c: (-(por_canal[c]["monto_bs"] if c in por_canal else 0), -por_canal_solicitudes[c], c),
    )
    solicitudes_ejecutivo = Counter(ejecutivo_de(s) for s in del_mes)
    no_atendidas_ejecutivo = Counter(ejecutivo_de(s) for s in del_mes if s.estado == Estado.NO_ATENDIDA.value)
    anuladas_ejecutivo = Counter(ejecutivo_de(s) for s in del_mes if s.estado in ANULADAS)
    por_ejecutivo = {f["nombre"]: f for f in _agrupar_ventas(ventas, ejecutivo_de, volumen)}
    ejecutivos = sorted(
        set(solicitudes_ejecutivo) | set(por_ejecutivo),
        key=lambda e: (-(por_ejecutivo[e]["monto_bs"] if e in por_ejecutivo else 0), -solicitudes_ejecutivo[e], e),
    )
    activas = [s for s in del_mes if s.estado != Estado.NO_ATENDIDA.value]
    vencidas = filas_no_atendidas(activas, ahora=ahora, calendario=calendario)
    no_atendidas = filas_no_atendidas(
        [s for s in del_mes if s.estado == Estado.NO_ATENDIDA.value], ahora=ahora, calendario=calendario
    )
    respuestas = sorted(m for s in prospectos if (m := minutos_primera_respuesta(s)) is not None)
    vacio = Decimal("0.00")
    return {
        "mes": mes,
        "mes_etiqueta": nombre_mes(mes),
        "mes_anterior": anterior,
        "mes_anterior_etiqueta": nombre_mes(anterior),
        "generado_en": ahora.isoformat(),
        "parcial": mes >= mes_de(ahora),
        "kpi": {
            "facturacion_bs": bolivianos(kpi.facturacion_centavos),
            "facturacion_anterior_bs": bolivianos(kpi.facturacion_anterior_centavos),
            "porcentaje": kpi.porcentaje,
            "umbral": UMBRAL_KPI,
            "veredicto": kpi.veredicto.value,
            "motivo": kpi.motivo,
            "facturas": len(ventas),
            "facturas_anterior": len(ventas_anterior),
        },
        "ventas": {
            "cantidad": len(ventas),
            "monto_bs": bolivianos(volumen),
            "ticket_promedio_bs": bolivianos(volumen // len(ventas)) if ventas else vacio,
            "prepago": sum(1 for s in ventas if s.modalidad_pago == "prepago"),
            "pospago": sum(1 for s in ventas if s.modalidad_pago == "pospago"),
            "anuladas_facturadas": len(anuladas_facturadas),
            "anuladas_facturadas_bs": bolivianos(sum(_monto_factura(s) for s in anuladas_facturadas)),
            "detalle": [
                {
                    "id": s.id,
                    "factura": (s.factura or {}).get("numero"),
                    "emitida_en": (s.factura or {}).get("emitida_en"),
                    "nombre": s.nombre,
                    "canal": s.canal,
                    "canal_etiqueta": etiqueta_canal(s.canal),
                    "plan": plan_de(s),
                    "modalidad_pago": s.modalidad_pago,
                    "ejecutivo": ejecutivo_de(s),
                    "monto_bs": bolivianos(_monto_factura(s)),
                }
                for s in ventas
            ],
        },
        "embudo": embudo,
        "estados": [
            {"estado": e.value, "etiqueta": ETIQUETA_ESTADO[e], "cantidad": estados[e.value]}
            for e in Estado
            if estados[e.value]
        ],
        "por_canal": [
            {
                "canal": c,
                "canal_etiqueta": etiqueta_canal(c),
                "solicitudes": por_canal_solicitudes[c],
                "ventas": por_canal[c]["ventas"] if c in por_canal else 0,
                "monto_bs": por_canal[c]["monto_bs"] if c in por_canal else vacio,
                "participacion": por_canal[c]["participacion"] if c in por_canal else _porcentaje(0, volumen),
            }
            for c in canales
        ],
        "por_plan": [
            {"plan": f["nombre"], "ventas": f["ventas"], "monto_bs": f["monto_bs"], "participacion": f["participacion"]}
            for f in _agrupar_ventas(ventas, plan_de, volumen)
        ],
        "por_ejecutivo": [
            {
                "ejecutivo": e,
                "solicitudes": solicitudes_ejecutivo[e],
                "ventas": por_ejecutivo[e]["ventas"] if e in por_ejecutivo else 0,
                "monto_bs": por_ejecutivo[e]["monto_bs"] if e in por_ejecutivo else vacio,
                "no_atendidas": no_atendidas_ejecutivo[e],
                "anuladas": anuladas_ejecutivo[e],
            }
            for e in ejecutivos
        ],
        "seguimiento": {
            "recibidas": len(del_mes),
            "prospectos": len(prospectos),
            "no_atendidas": len(no_atendidas),
            "vencidas": len(vencidas),
            "anuladas": sum(1 for s in del_mes if s.estado == Estado.ANULADA.value),
            "redigitadas": sum(1 for s in del_mes if s.estado == Estado.REDIGITADA.value),
            "redigitaciones": sum(1 for s in del_mes if s.redigitacion_de),
            "derivadas": estados[Estado.DERIVADA_EMPRESAS.value],
        },
        "primera_respuesta": {
            "con_respuesta": len(respuestas),
            "mediana_minutos": int(statistics.median_low(respuestas)) if respuestas else None,
            "dentro_de_60_min": _porcentaje(sum(1 for m in respuestas if m <= 60), len(respuestas)),
        },
        "no_atendidas": no_atendidas,
        "anuladas": [
            fila_anulada(s, {}) for s in sorted(del_mes, key=lambda s: (s.creada_en, s.id)) if s.estado in ANULADAS
        ],
    }
