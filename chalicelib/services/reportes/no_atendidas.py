"""Step 19: unattended requests — the report on demand, its table, and the team lead's daily digest by email."""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from chalicelib.domain.model import Rol, Solicitud
from chalicelib.domain.ports import Adjunto, Calendario, CorreoSaliente, Tabla
from chalicelib.domain.seguimiento import (
    PLAZOS,
    ROLES_REPORTES,
    causa_no_atendida,
    ejecutivo_de,
    etiqueta_canal,
    texto_utc,
)
from chalicelib.domain.states import Estado
from chalicelib.services.reportes.comun import (
    LA_PAZ,
    PuertosReportes,
    autorizar,
    duracion,
    enviar_programado,
    etiqueta_estado,
    hora_local,
    minutos,
    momento_de,
)
from chalicelib.services.reportes.formatos import csv_de
from chalicelib.services.vistas import url_bandeja_consola

logger = logging.getLogger(__name__)

MAX_FILAS_CORREO: Final = 30


def filas_no_atendidas(
    solicitudes: Iterable[Solicitud], *, ahora: datetime, calendario: Calendario
) -> list[dict[str, Any]]:
    """Requests in ``no_atendida`` (who, why, since when) and active requests whose wait exceeds the allowed
    time of their state (business-hour deadlines through the calendar); others are left out. Overdue first,
    longest overdue first; then unattended, most recent first."""
    vencidas: list[dict[str, Any]] = []
    no_atendidas: list[dict[str, Any]] = []
    for s in solicitudes:
        estado = Estado(s.estado)
        desde = momento_de(s.estado_desde)
        base = {
            "id": s.id,
            "nombre": s.nombre,
            "telefono": s.datos.get("telefono"),
            "canal": s.canal,
            "canal_etiqueta": etiqueta_canal(s.canal),
            "estado": s.estado,
            "estado_etiqueta": etiqueta_estado(s.estado),
            "ejecutivo": ejecutivo_de(s),
            "creada_en": s.creada_en,
            "desde": s.estado_desde,
            "espera_minutos": minutos(desde, ahora),
            "espera": duracion(minutos(desde, ahora)),
        }
        if estado is Estado.NO_ATENDIDA:
            causa = causa_no_atendida(s)
            no_atendidas.append(
                base
                | {
                    "tipo": "no_atendida",
                    "motivo": s.motivo_cierre or causa,
                    "causa": causa,
                    "pendiente_de": Rol.RC.value,
                    "pendiente_de_etiqueta": Rol.RC.etiqueta,
                    "plazo": None,
                    "vencio_en": None,
                    "atraso_minutos": None,
                }
            )
            continue
        plazo = PLAZOS.get(estado)
        if plazo is None:
            continue
        vence = (
            calendario.vencimiento(desde, plazo.minutos) if plazo.habiles else desde + timedelta(minutes=plazo.minutos)
        )
        if vence > ahora:
            continue
        vencidas.append(
            base
            | {
                "tipo": "vencida",
                "motivo": f"Superó el plazo de {plazo.etiqueta} en «{etiqueta_estado(s.estado)}».",
                "causa": "Plazo vencido",
                "pendiente_de": plazo.pendiente_de.value,
                "pendiente_de_etiqueta": plazo.pendiente_de.etiqueta,
                "plazo": plazo.etiqueta,
                "vencio_en": vence.isoformat(),
                "atraso_minutos": minutos(vence, ahora),
            }
        )
    vencidas.sort(key=lambda f: (-int(f["atraso_minutos"]), f["id"]))
    no_atendidas.sort(key=lambda f: (f["desde"], f["id"]), reverse=True)
    return vencidas + no_atendidas


def construir_no_atendidas(
    solicitudes: Iterable[Solicitud], *, ahora: datetime, calendario: Calendario
) -> dict[str, Any]:
    """The "Reporte de solicitudes no atendidas": the rows, and counts by executive and by whose move it is."""
    filas = filas_no_atendidas(solicitudes, ahora=ahora, calendario=calendario)
    por_ejecutivo: dict[str, Counter[str]] = defaultdict(Counter)
    por_rol: Counter[str] = Counter()
    for fila in filas:
        por_ejecutivo[fila["ejecutivo"]][fila["tipo"]] += 1
        if fila["tipo"] == "vencida":
            por_rol[fila["pendiente_de"]] += 1
    ultimo_dia = ahora - timedelta(days=1)
    return {
        "generado_en": ahora.isoformat(),
        "total": len(filas),
        "no_atendidas": sum(1 for f in filas if f["tipo"] == "no_atendida"),
        "vencidas": sum(1 for f in filas if f["tipo"] == "vencida"),
        "nuevas_no_atendidas_24h": sum(
            1 for f in filas if f["tipo"] == "no_atendida" and momento_de(f["desde"]) >= ultimo_dia
        ),
        "por_ejecutivo": [
            {"ejecutivo": e, "vencidas": c["vencida"], "no_atendidas": c["no_atendida"], "total": c.total()}
            for e, c in sorted(por_ejecutivo.items(), key=lambda par: (-par[1].total(), par[0]))
        ],
        "por_pendiente_de": [
            {"rol": r, "etiqueta": Rol(r).etiqueta, "vencidas": n}
            for r, n in sorted(por_rol.items(), key=lambda par: (-par[1], par[0]))
        ],
        "solicitudes": filas,
    }


def tabla_no_atendidas(filas: Sequence[Mapping[str, Any]], nombre: str = "No atendidas") -> Tabla:
    return Tabla(
        nombre=nombre,
        titulo="Solicitudes no atendidas y con plazo vencido",
        columnas=(
            "Código",
            "Cliente",
            "Teléfono",
            "Canal",
            "Situación",
            "Estado",
            "Ejecutivo",
            "Pendiente de",
            "Motivo",
            "Desde",
            "Espera (horas)",
            "Plazo",
            "Venció",
        ),
        filas=[
            (
                f["id"],
                f["nombre"],
                f["telefono"],
                f["canal_etiqueta"],
                "No atendida" if f["tipo"] == "no_atendida" else "Plazo vencido",
                f["estado_etiqueta"],
                f["ejecutivo"],
                f["pendiente_de_etiqueta"],
                f["motivo"],
                hora_local(f["desde"]),
                (Decimal(f["espera_minutos"]) / 60).quantize(Decimal("0.1")),
                f["plazo"],
                hora_local(f["vencio_en"]),
            )
            for f in filas
        ],
    )


def reporte_no_atendidas(*, roles: Iterable[Rol], puertos: PuertosReportes) -> dict[str, Any]:
    """Step 19 on demand: read only the follow-up index (deadline passed, or no_atendida) and refine it."""
    autorizar(roles)
    inicio = time.perf_counter()
    ahora = puertos.clock.ahora()
    lectura = puertos.repo.pendientes_de_atencion(texto_utc(ahora))
    reporte = construir_no_atendidas(lectura.solicitudes, ahora=ahora, calendario=puertos.calendario)
    reporte["lectura"] = {
        "indices": ["por_atencion"],
        "items_leidos": lectura.leidos,
        "segundos": round(time.perf_counter() - inicio, 3),
    }
    return reporte


REINTENTO_RESUMEN: Final = "Su programa lo intenta cada hora, de 08:00 a 11:00 (lunes a sábado)."


def enviar_resumen_no_atendidas(*, puertos: PuertosReportes) -> dict[str, Any]:
    """The team lead's daily digest of unattended and overdue requests, with the full list as CSV; sent once
    per day (key ``resumen#YYYY-MM-DD``) and not at all when nothing is pending."""
    ahora = puertos.clock.ahora()
    dia = ahora.astimezone(LA_PAZ).strftime("%Y-%m-%d")
    reporte = reporte_no_atendidas(roles=ROLES_REPORTES, puertos=puertos)
    resultado: dict[str, Any] = {"dia": dia, "total": reporte["total"], "lectura": reporte["lectura"]}
    if not reporte["total"]:
        return resultado | {"enviado": False, "motivo": "sin_pendientes"}
    clave = f"resumen#{dia}"
    if not puertos.idempotencia.reclamar(clave):
        return resultado | {
            "enviado": False,
            "motivo": "ya_enviado",
            "message_id": puertos.idempotencia.resultado(clave),
        }
    contexto = {
        "reporte": reporte,
        "vencidas": [f for f in reporte["solicitudes"] if f["tipo"] == "vencida"][:MAX_FILAS_CORREO],
        "no_atendidas": [f for f in reporte["solicitudes"] if f["tipo"] == "no_atendida"][:MAX_FILAS_CORREO],
        "max_filas": MAX_FILAS_CORREO,
        "dia": dia,
        "url_reporte": url_bandeja_consola(puertos.url_publica, "no_atendidas"),
        "url_publica": puertos.url_publica,
        "buzones": puertos.buzones.como_dict(),
    }

    def correo() -> CorreoSaliente:
        render = puertos.plantillas.correo("resumen_no_atendidas", contexto)
        adjunto = Adjunto(
            f"no-atendidas-{dia}.csv",
            "text/csv",
            csv_de([tabla_no_atendidas(reporte["solicitudes"])]).encode("utf-8"),
        )
        return CorreoSaliente(
            para=(puertos.buzones.responsable_canales,),
            asunto=render.asunto,
            texto=render.texto,
            html=render.html,
            adjuntos=(adjunto,),
            cabeceras={"X-VD-Reaccion": "resumen_no_atendidas"},
        )

    entrega = enviar_programado(
        clave,
        correo,
        puertos,
        descripcion=f"Resumen diario de no atendidas del {dia} al Responsable de Canales",
        reintento=REINTENTO_RESUMEN,
    )
    if isinstance(entrega, dict):
        return resultado | entrega
    if not entrega.enviado:
        logger.warning(
            "resumen de no atendidas no enviado: destinatario suprimido",
            extra={"dia": dia, "suprimidas": list(entrega.suprimidas)},
        )
        return resultado | {
            "enviado": False,
            "motivo": "destinatarios_suprimidos",
            "message_id": None,
            "suprimidas": list(entrega.suprimidas),
        }
    logger.info(
        "resumen de no atendidas enviado",
        extra={"dia": dia, "total": reporte["total"], "suprimidas": list(entrega.suprimidas)},
    )
    return resultado | {"enviado": True, "message_id": entrega.message_id, "suprimidas": list(entrega.suprimidas)}
