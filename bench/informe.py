"""B3: the monthly report (step 26) reads only the month's items — with 12 months of history in the table.

Data: ``localstage.demo``'s generator (the same one as ``make demo``: every request walked through the procedure
with the domain's ``transition()``), seed 2026, the 12 months up to the end of the previous month (so every month
is complete and none is in the future for the report), ~260 requests a month; only the
requests are written (batch write through the adapter's ``item_de_solicitud``, so every index is filled as the
app fills it). Their histories live in another table the report never reads, so they are left out to keep
``make bench`` short.

For each of the 12 months the report runs through the service (as ``GET /reportes/mensual`` does) and returns
what it read in ``lectura`` (DynamoDB's ``ScannedCount`` of its three queries). Ground truth comes from the
generator: the requests created in the month, and the invoices of the month and of the previous month (the KPI's
base). The baseline is a full Scan of the table (what a report without the indexes would have to read).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.comun import EntornoMoto, aviso, total_llamadas

LA_PAZ = ZoneInfo("America/La_Paz")
SEMILLA = 2026
MESES = 12
POR_MES = 260


def fin_mes_anterior(ahora: datetime | None = None) -> datetime:
    """23:59 of the last day of the month before ``ahora`` (La Paz): the data is deterministic within a month."""
    ahora = (ahora or datetime.now(LA_PAZ)).astimezone(LA_PAZ)
    ultimo = ahora.replace(day=1) - timedelta(days=1)
    return datetime(ultimo.year, ultimo.month, ultimo.day, 23, 59, tzinfo=LA_PAZ)


def _cargar(
    entorno: EntornoMoto, hasta: datetime, por_mes: int
) -> tuple[Counter[str], Counter[str], int, float, float]:
    from chalicelib.adapters.dynamo_solicitudes import item_de_solicitud
    from chalicelib.adapters.dynamo_tables import SolicitudItem, bind
    from localstage import demo

    inicio = time.perf_counter()
    historias = demo.generar(semilla=SEMILLA, hasta=hasta, meses=MESES, por_mes=por_mes)
    generado = time.perf_counter() - inicio
    bind(entorno.settings)
    inicio = time.perf_counter()
    with SolicitudItem.batch_write() as lote:
        for solicitud in demo.almacenadas(historias):
            lote.save(item_de_solicitud(solicitud))
    escrito = time.perf_counter() - inicio
    solicitudes = Counter(h.solicitud.mes for h in historias)
    facturas = Counter(str(h.solicitud.factura["mes"]) for h in historias if h.solicitud.factura)
    return solicitudes, facturas, len(historias), generado, escrito


def _scan(tabla: str) -> tuple[float, int, int]:
    """A full, paginated Scan of the requests table: seconds, items read (ScannedCount) and pages."""
    import boto3

    cliente = boto3.client("dynamodb")
    leidos = paginas = 0
    inicio = time.perf_counter()
    for pagina in cliente.get_paginator("scan").paginate(TableName=tabla):
        leidos += pagina["ScannedCount"]
        paginas += 1
    return time.perf_counter() - inicio, leidos, paginas


def informe(entorno: EntornoMoto, *, por_mes: int = POR_MES, scans: int = 3) -> dict[str, Any]:
    from chalicelib import bootstrap
    from chalicelib.domain.model import Rol
    from chalicelib.domain.seguimiento import mes_anterior

    entorno.reiniciar()
    hasta = fin_mes_anterior()
    solicitudes, facturas, total, generado, escrito = _cargar(entorno, hasta, por_mes)
    aviso(f"  B3: {total} requests generated in {generado:.1f} s, written in {escrito:.1f} s")
    servicios = bootstrap.get_services()
    servicios.informe_mensual(max(solicitudes), {Rol.JD})  # warm-up: imports, calendar, clients
    meses = []
    for mes in sorted(solicitudes):
        anterior = mes_anterior(mes)
        antes = total_llamadas()
        inicio = time.perf_counter()
        lectura = servicios.informe_mensual(mes, {Rol.JD})["lectura"]
        segundos = time.perf_counter() - inicio
        llamadas = total_llamadas() - antes
        esperados = solicitudes[mes] + facturas[mes] + facturas[anterior]
        meses.append(
            {
                "mes": mes,
                "solicitudes_del_mes": solicitudes[mes],
                "facturas_del_mes": facturas[mes],
                "facturas_mes_anterior": facturas[anterior],
                "leidas_solicitudes": lectura["solicitudes_del_mes"],
                "leidas_facturas": lectura["facturas_del_mes"],
                "leidas_facturas_anterior": lectura["facturas_mes_anterior"],
                "items_leidos": lectura["items_leidos"],
                "ratio_solicitudes": lectura["solicitudes_del_mes"] / solicitudes[mes],
                "ratio_necesarios": lectura["items_leidos"] / esperados,
                "ratio_total_vs_solicitudes": lectura["items_leidos"] / solicitudes[mes],
                "segundos": segundos,
                "llamadas_aws": llamadas,
            }
        )
    tiempos_scan = []
    leidos_scan = paginas = 0
    for _ in range(scans):
        segundos, leidos_scan, paginas = _scan(entorno.settings.tabla_solicitudes)
        tiempos_scan.append(segundos)
    informe_s = statistics.median(m["segundos"] for m in meses)
    scan_s = statistics.median(tiempos_scan)
    return {
        "datos": {
            "semilla": SEMILLA,
            "hasta": hasta.date().isoformat(),
            "meses": MESES,
            "por_mes": por_mes,
            "solicitudes": total,
            "facturas": sum(facturas.values()),
            "segundos_generar": generado,
            "segundos_escribir": escrito,
        },
        "meses": meses,
        "scan": {"items_leidos": leidos_scan, "paginas": paginas, "segundos": tiempos_scan, "mediana_s": scan_s},
        "informe_mediana_s": informe_s,
        "ratio_tiempo_scan": scan_s / informe_s,
        "ratio_solicitudes_min": min(m["ratio_solicitudes"] for m in meses),
        "ratio_solicitudes_max": max(m["ratio_solicitudes"] for m in meses),
        "ratio_necesarios_min": min(m["ratio_necesarios"] for m in meses),
        "ratio_necesarios_max": max(m["ratio_necesarios"] for m in meses),
    }
