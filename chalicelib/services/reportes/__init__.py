"""Follow-up and reports (steps 19, 20, 25, 26): unattended requests, cancellations and redigitation, and the
monthly "Informe General de Ventas Digitales" with the KPI.

The reports are pure functions over lists of requests (``construir_*``); the use cases read those lists through
the follow-up and month indexes (never a Scan), say how many items they read, and send the emails once.

Money is handled in whole cents (``seguimiento.centavos``) and shown as exact two-decimal ``Decimal`` amounts;
in JSON they are decimal strings ("1250.00").

Which file holds what (each imports only the ones above it in this list; none imports this package):

- ``comun``: ``PuertosReportes``, who may read the reports, the month filter, small pure helpers.
- ``formatos``: the CSV writer (``csv_de``, ``texto_seguro``).
- ``no_atendidas``: step 19, unattended and overdue requests, their table and the daily digest.
- ``seguimiento``: steps 20 and 25, closed vs cancelled and redigitation, and their tables.
- ``informe``: step 26, the monthly report as a pure function (``construir_informe``).
- ``mensual``: step 26 use cases, the report on demand, its sheets, sending it, and asking for it again.
"""

from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.seguimiento import mes_anterior
from chalicelib.services.reportes.comun import PuertosReportes, autorizar, duracion
from chalicelib.services.reportes.formatos import csv_de, texto_seguro
from chalicelib.services.reportes.informe import construir_informe
from chalicelib.services.reportes.mensual import (
    CID_GRAFICO,
    enviar_informe_mensual,
    informe_mensual,
    reenviar_informe_mensual,
    solicitar_reenvio_informe,
    tablas_informe,
)
from chalicelib.services.reportes.no_atendidas import (
    construir_no_atendidas,
    enviar_resumen_no_atendidas,
    reporte_no_atendidas,
    tabla_no_atendidas,
)
from chalicelib.services.reportes.seguimiento import reporte_seguimiento, tablas_seguimiento

__all__ = [
    "CID_GRAFICO",
    # Not this package's own: callers reached them through the old module, so they stay reachable here.
    "Decimal",
    "PuertosReportes",
    "autorizar",
    "construir_informe",
    "construir_no_atendidas",
    "csv_de",
    "duracion",
    "enviar_informe_mensual",
    "enviar_resumen_no_atendidas",
    "informe_mensual",
    "mes_anterior",
    "reenviar_informe_mensual",
    "reporte_no_atendidas",
    "reporte_seguimiento",
    "solicitar_reenvio_informe",
    "tabla_no_atendidas",
    "tablas_informe",
    "tablas_seguimiento",
    "texto_seguro",
]
