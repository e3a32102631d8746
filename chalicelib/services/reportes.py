"""Follow-up and reports (steps 19, 20, 25, 26): unattended requests, cancellations and redigitation, and the
monthly "Informe General de Ventas Digitales" with the KPI.

The reports are pure functions over lists of requests (``construir_*``); the use cases read those lists through
the follow-up and month indexes (never a Scan), say how many items they read, and send the emails once.

Money is handled in whole cents (``seguimiento.centavos``) and shown as exact two-decimal ``Decimal`` amounts;
in JSON they are decimal strings ("1250.00").
"""

from __future__ import annotations

import csv
import io
import logging
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.errors import DatosInvalidos, RolNoAutorizado
from chalicelib.domain.model import Buzones, Etapa, Rol, Solicitud
from chalicelib.domain.ports import (
    Adjunto,
    Calendario,
    Clock,
    CorreoSaliente,
    Graficos,
    HojasCalculo,
    Idempotencia,
    Lectura,
    Mailer,
    Plantillas,
    SolicitudRepository,
    Tabla,
)
from chalicelib.domain.seguimiento import (
    CENTAVO,
    PLAZOS,
    ROLES_REPORTES,
    UMBRAL_KPI,
    bolivianos,
    calcular_kpi,
    causa_no_atendida,
    centavos,
    ejecutivo_de,
    etiqueta_canal,
    mes_anterior,
    mes_valido,
    nombre_mes,
    texto_utc,
)
from chalicelib.domain.states import ETIQUETA_ESTADO, RESULTADO_FINAL, Estado

logger = logging.getLogger(__name__)

LA_PAZ: Final = ZoneInfo("America/La_Paz")
CID_GRAFICO: Final = "grafico-informe@ventas-digitales"
TIPO_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEGUNDOS_ENVIO: Final = 900
"""How long a claimed monthly send may run before another attempt may take over (a Lambda's maximum)."""
MAX_FILAS_CORREO: Final = 30
ANULADAS: Final = frozenset({Estado.ANULADA.value, Estado.REDIGITADA.value})
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


def _momento(iso: str) -> datetime:
    valor = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return valor if valor.tzinfo else valor.replace(tzinfo=LA_PAZ)


def hora_local(iso: str | None) -> datetime | None:
    """An ISO timestamp as naive La Paz wall time (what a spreadsheet cell shows)."""
    if not iso:
        return None
    return _momento(iso).astimezone(LA_PAZ).replace(tzinfo=None)


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


def _porcentaje(parte: int, total: int) -> Decimal | None:
    if total <= 0:
        return None
    return (Decimal(parte) * 100 / Decimal(total)).quantize(CENTAVO, rounding=ROUND_DOWN)


def _monto_factura(s: Solicitud) -> int:
    return centavos((s.factura or {}).get("monto_bs"))


def _plan(s: Solicitud) -> str:
    return str((s.oferta or {}).get("plan") or SIN_PLAN)


def _resultado(s: Solicitud) -> str:
    return RESULTADO_FINAL.get(Estado(s.estado), "EN CURSO")


def _etiqueta_estado(estado: str) -> str:
    return ETIQUETA_ESTADO[Estado(estado)]


# --- Step 19: unattended requests ---


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
        desde = _momento(s.estado_desde)
        base = {
            "id": s.id,
            "nombre": s.nombre,
            "telefono": s.datos.get("telefono"),
            "canal": s.canal,
            "canal_etiqueta": etiqueta_canal(s.canal),
            "estado": s.estado,
            "estado_etiqueta": _etiqueta_estado(s.estado),
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
                "motivo": f"Superó el plazo de {plazo.etiqueta} en «{_etiqueta_estado(s.estado)}».",
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
            1 for f in filas if f["tipo"] == "no_atendida" and _momento(f["desde"]) >= ultimo_dia
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
        "url_reporte": f"{puertos.url_publica}/reportes/no-atendidas",
        "url_publica": puertos.url_publica,
        "buzones": puertos.buzones.como_dict(),
    }
    try:
        render = puertos.plantillas.correo("resumen_no_atendidas", contexto)
        adjunto = Adjunto(
            f"no-atendidas-{dia}.csv",
            "text/csv",
            csv_de([tabla_no_atendidas(reporte["solicitudes"])]).encode("utf-8"),
        )
        message_id = puertos.mailer.enviar(
            CorreoSaliente(
                para=(puertos.buzones.responsable_canales,),
                asunto=render.asunto,
                texto=render.texto,
                html=render.html,
                adjuntos=(adjunto,),
                cabeceras={"X-VD-Reaccion": "resumen_no_atendidas"},
            )
        )
    except Exception:
        puertos.idempotencia.liberar(clave)
        raise
    puertos.idempotencia.completar(clave, message_id)
    logger.info("resumen de no atendidas enviado", extra={"dia": dia, "total": reporte["total"]})
    return resultado | {"enviado": True, "message_id": message_id}


# --- Steps 20 and 25: follow-up (closed vs cancelled, redigitation) ---


def _fila_anulada(s: Solicitud, vinculadas: Mapping[str, Solicitud]) -> dict[str, Any]:
    anulacion = s.anulacion or {}
    nueva = vinculadas.get(s.redigitada_como or "")
    return {
        "id": s.id,
        "nombre": s.nombre,
        "canal": s.canal,
        "canal_etiqueta": etiqueta_canal(s.canal),
        "ejecutivo": ejecutivo_de(s),
        "plan": _plan(s),
        "estado": s.estado,
        "resultado": _resultado(s),
        "anulada_en": anulacion.get("anulada_en"),
        "motivo": anulacion.get("motivo") or s.motivo_cierre,
        "origen_anulacion": anulacion.get("origen_anulacion"),
        "redigitable": s.estado == Estado.ANULADA.value and not s.redigitada_como,
        "redigitada_como": s.redigitada_como,
        "redigitacion_estado": nueva.estado if nueva else None,
        "redigitacion_estado_etiqueta": _etiqueta_estado(nueva.estado) if nueva else None,
    }


def _conteo_resultados(solicitudes: Iterable[Solicitud]) -> dict[str, int]:
    conteo = {"recibidas": 0, "cerradas": 0, "anuladas": 0, "redigitadas": 0, "no_atendidas": 0, "derivadas": 0}
    conteo["en_curso"] = 0
    claves = {
        Estado.CERRADA.value: "cerradas",
        Estado.ANULADA.value: "anuladas",
        Estado.REDIGITADA.value: "redigitadas",
        Estado.NO_ATENDIDA.value: "no_atendidas",
        Estado.DERIVADA_EMPRESAS.value: "derivadas",
    }
    for s in solicitudes:
        conteo["recibidas"] += 1
        conteo[claves.get(s.estado, "en_curso")] += 1
    return conteo


def construir_seguimiento(
    mes: str,
    del_mes: Sequence[Solicitud],
    anuladas_abiertas: Sequence[Solicitud],
    vinculadas: Mapping[str, Solicitud],
) -> dict[str, Any]:
    """Step 25: the month's requests as ATENDIDO/CERRADA, ANULADA, ANULADA (REDIGITADA), NO ATENDIDA... by
    executive and channel; the month's cancelled sales with both sides of each redigitation link; and every
    cancelled sale still waiting to be redigitated (whatever its month)."""
    por_ejecutivo: dict[str, list[Solicitud]] = defaultdict(list)
    por_canal: dict[str, list[Solicitud]] = defaultdict(list)
    for s in del_mes:
        por_ejecutivo[ejecutivo_de(s)].append(s)
        por_canal[s.canal].append(s)
    originales = {s.id: s for s in [*del_mes, *vinculadas.values()]}
    return {
        "mes": mes,
        "mes_etiqueta": nombre_mes(mes),
        "resumen": _conteo_resultados(del_mes) | {"redigitaciones": sum(1 for s in del_mes if s.redigitacion_de)},
        "por_ejecutivo": [
            {"ejecutivo": e} | _conteo_resultados(lista)
            for e, lista in sorted(por_ejecutivo.items(), key=lambda par: (-len(par[1]), par[0]))
        ],
        "por_canal": [
            {"canal": c, "canal_etiqueta": etiqueta_canal(c)} | _conteo_resultados(lista)
            for c, lista in sorted(por_canal.items(), key=lambda par: (-len(par[1]), par[0]))
        ],
        "anuladas": [
            _fila_anulada(s, vinculadas)
            for s in sorted(del_mes, key=lambda s: (s.creada_en, s.id))
            if s.estado in ANULADAS
        ],
        "redigitables": [
            _fila_anulada(s, vinculadas)
            for s in sorted(anuladas_abiertas, key=lambda s: (s.estado_desde, s.id))
            if not s.redigitada_como
        ],
        "redigitaciones": [
            {
                "id": s.id,
                "nombre": s.nombre,
                "canal_etiqueta": etiqueta_canal(s.canal),
                "ejecutivo": ejecutivo_de(s),
                "estado": s.estado,
                "estado_etiqueta": _etiqueta_estado(s.estado),
                "creada_en": s.creada_en,
                "redigitacion_de": s.redigitacion_de,
                "original_motivo": ((originales.get(s.redigitacion_de or "") or s).anulacion or {}).get("motivo"),
            }
            for s in sorted(del_mes, key=lambda s: (s.creada_en, s.id))
            if s.redigitacion_de
        ],
    }


def reporte_seguimiento(mes: str | None, *, roles: Iterable[Rol], puertos: PuertosReportes) -> dict[str, Any]:
    """Step 25 on demand: the month's requests (month index), the open cancellations (state index) and the
    other side of each redigitation link that is not among them (read one by one)."""
    autorizar(roles)
    inicio = time.perf_counter()
    ahora = puertos.clock.ahora()
    mes = validar_mes(mes, ahora, por_omision=mes_de(ahora))
    del_mes = puertos.repo.del_mes(mes)
    abiertas = puertos.repo.en_estado_desde_antes(Estado.ANULADA.value, "9999")
    conocidas = {s.id: s for s in [*del_mes.solicitudes, *abiertas]}
    faltan = sorted(
        {
            vinculo
            for s in conocidas.values()
            for vinculo in (s.redigitada_como, s.redigitacion_de)
            if vinculo and vinculo not in conocidas
        }
    )
    vinculadas = dict(conocidas)
    for solicitud_id in faltan:
        vinculadas[solicitud_id] = puertos.repo.obtener(solicitud_id)
    reporte = construir_seguimiento(mes, del_mes.solicitudes, abiertas, vinculadas)
    reporte["lectura"] = {
        "indices": ["por_mes", "por_estado"],
        "items_leidos": del_mes.leidos + len(abiertas) + len(faltan),
        "segundos": round(time.perf_counter() - inicio, 3),
    }
    return reporte


def tablas_seguimiento(reporte: Mapping[str, Any]) -> list[Tabla]:
    columnas: tuple[str, ...] = (
        "Recibidas",
        "Atendidas/cerradas",
        "Anuladas",
        "Anuladas y redigitadas",
        "No atendidas",
        "Derivadas a empresas",
        "En curso",
    )
    claves = ("recibidas", "cerradas", "anuladas", "redigitadas", "no_atendidas", "derivadas", "en_curso")

    def anuladas(nombre: str, titulo: str, filas: Sequence[Mapping[str, Any]]) -> Tabla:
        return Tabla(
            nombre,
            titulo,
            (
                "Código",
                "Cliente",
                "Canal",
                "Ejecutivo",
                "Plan",
                "Resultado",
                "Anulada",
                "Motivo",
                "Anulada en",
                "Redigitada como",
                "Estado de la redigitación",
            ),
            [
                (
                    f["id"],
                    f["nombre"],
                    f["canal_etiqueta"],
                    f["ejecutivo"],
                    f["plan"],
                    f["resultado"],
                    hora_local(f["anulada_en"]),
                    f["motivo"],
                    {"smartflex": "Smartflex", "ejecutivo": "Ejecutivo"}.get(str(f["origen_anulacion"])),
                    f["redigitada_como"],
                    f["redigitacion_estado_etiqueta"],
                )
                for f in filas
            ],
        )

    return [
        Tabla(
            "Por ejecutivo",
            f"Seguimiento de {reporte['mes_etiqueta']} por ejecutivo",
            ("Ejecutivo", *columnas),
            [(f["ejecutivo"], *(f[c] for c in claves)) for f in reporte["por_ejecutivo"]],
        ),
        Tabla(
            "Por canal",
            f"Seguimiento de {reporte['mes_etiqueta']} por canal",
            ("Canal", *columnas),
            [(f["canal_etiqueta"], *(f[c] for c in claves)) for f in reporte["por_canal"]],
        ),
        anuladas("Anuladas del mes", f"Ventas anuladas de {reporte['mes_etiqueta']}", reporte["anuladas"]),
        anuladas("Redigitables", "Ventas anuladas pendientes de redigitación", reporte["redigitables"]),
        Tabla(
            "Redigitaciones",
            f"Redigitaciones creadas en {reporte['mes_etiqueta']}",
            (
                "Código",
                "Cliente",
                "Canal",
                "Ejecutivo",
                "Estado",
                "Creada",
                "Redigitación de",
                "Motivo de la anulación",
            ),
            [
                (
                    f["id"],
                    f["nombre"],
                    f["canal_etiqueta"],
                    f["ejecutivo"],
                    f["estado_etiqueta"],
                    hora_local(f["creada_en"]),
                    f["redigitacion_de"],
                    f["original_motivo"],
                )
                for f in reporte["redigitaciones"]
            ],
        ),
    ]


# --- Step 26: Informe General de Ventas Digitales ---

PASOS_EMBUDO: Final[tuple[tuple[str, str, Callable[[Solicitud], bool]], ...]] = (
    ("recibidas", "Solicitudes recibidas", lambda s: True),
    ("visitado", "Visitado (clasificada como residencial)", lambda s: Etapa.VISITADO.value in s.etapas),
    ("informado", "Informado (oferta enviada)", lambda s: Etapa.INFORMADO.value in s.etapas),
    ("pre_venta", "Pre Venta (oferta aceptada)", lambda s: Etapa.PRE_VENTA.value in s.etapas),
    ("venta", "Venta (digitada en Smartflex)", lambda s: Etapa.VENTA.value in s.etapas),
    ("facturada", "Facturada", lambda s: s.factura is not None),
    ("cerrada", "Atendida / cerrada", lambda s: s.estado == Estado.CERRADA.value),
)
"""The funnel of the month's prospects (redigitations are not new prospects): how many reached each step."""


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
    respuestas = sorted(
        minutos(_momento(s.creada_en), _momento(s.primera_respuesta_en)) for s in prospectos if s.primera_respuesta_en
    )
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
                    "plan": _plan(s),
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
            for f in _agrupar_ventas(ventas, _plan, volumen)
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
            _fila_anulada(s, {}) for s in sorted(del_mes, key=lambda s: (s.creada_en, s.id)) if s.estado in ANULADAS
        ],
    }


def informe_mensual(mes: str | None, *, roles: Iterable[Rol], puertos: PuertosReportes) -> dict[str, Any]:
    """Step 26 on demand: the report of ``mes`` (default: the month that just ended). Reads only the month's
    requests (``por_mes``) and the invoices of the month and of the previous month (``por_mes_factura``)."""
    autorizar(roles)
    ahora = puertos.clock.ahora()
    mes = validar_mes(mes, ahora, por_omision=mes_anterior(mes_de(ahora)))
    return _informe(mes, ahora, puertos)


def _informe(mes: str, ahora: datetime, puertos: PuertosReportes) -> dict[str, Any]:
    inicio = time.perf_counter()
    lecturas: dict[str, Lectura] = {
        "solicitudes_del_mes": puertos.repo.del_mes(mes),
        "facturas_del_mes": puertos.repo.facturadas_en(mes),
        "facturas_mes_anterior": puertos.repo.facturadas_en(mes_anterior(mes)),
    }
    informe = construir_informe(
        mes,
        del_mes=lecturas["solicitudes_del_mes"].solicitudes,
        facturadas=lecturas["facturas_del_mes"].solicitudes,
        facturadas_anterior=lecturas["facturas_mes_anterior"].solicitudes,
        ahora=ahora,
        calendario=puertos.calendario,
    )
    informe["lectura"] = {
        "indices": ["por_mes", "por_mes_factura"],
        **{nombre: lectura.leidos for nombre, lectura in lecturas.items()},
        "items_leidos": sum(lectura.leidos for lectura in lecturas.values()),
        "segundos": round(time.perf_counter() - inicio, 3),
    }
    return informe


def tablas_informe(informe: Mapping[str, Any]) -> list[Tabla]:
    """The report as the spreadsheet's sheets: Resumen KPI, Ventas, Embudo, Por canal, Por plan, Por ejecutivo,
    No atendidas, Anuladas."""
    kpi, ventas, seguimiento = informe["kpi"], informe["ventas"], informe["seguimiento"]
    resumen: list[tuple[Any, ...]] = [
        ("Mes", informe["mes_etiqueta"]),
        (f"Facturación de {informe['mes_etiqueta']} (Bs)", kpi["facturacion_bs"]),
        (f"Facturación de {informe['mes_anterior_etiqueta']} (Bs)", kpi["facturacion_anterior_bs"]),
        ("KPI (%)", kpi["porcentaje"]),
        ("Umbral (%)", kpi["umbral"]),
        ("Resultado", kpi["veredicto"]),
        ("Motivo", kpi["motivo"]),
        ("Ventas facturadas", ventas["cantidad"]),
        ("Ticket promedio (Bs)", ventas["ticket_promedio_bs"]),
        ("Ventas prepago", ventas["prepago"]),
        ("Ventas pospago", ventas["pospago"]),
        ("Facturas de ventas anuladas (no cuentan)", ventas["anuladas_facturadas"]),
        ("Monto de facturas anuladas (Bs)", ventas["anuladas_facturadas_bs"]),
        ("Solicitudes recibidas", seguimiento["recibidas"]),
        ("No atendidas", seguimiento["no_atendidas"]),
        ("Con plazo vencido", seguimiento["vencidas"]),
        ("Anuladas (por redigitar)", seguimiento["anuladas"]),
        ("Anuladas y redigitadas", seguimiento["redigitadas"]),
        ("Redigitaciones creadas", seguimiento["redigitaciones"]),
        ("Derivadas a empresas", seguimiento["derivadas"]),
        ("Primera respuesta: mediana (minutos)", informe["primera_respuesta"]["mediana_minutos"]),
        ("Primera respuesta dentro de 60 min (%)", informe["primera_respuesta"]["dentro_de_60_min"]),
        ("Generado", hora_local(informe["generado_en"])),
        ("Registros leídos", informe.get("lectura", {}).get("items_leidos")),
    ]
    if informe["parcial"]:
        resumen.insert(1, ("Aviso", "Mes en curso: cifras parciales."))
    return [
        Tabla(
            "Resumen KPI",
            f"Informe General de Ventas Digitales — {informe['mes_etiqueta']}",
            ("Indicador", "Valor"),
            resumen,
        ),
        Tabla(
            "Ventas",
            f"Ventas facturadas en {informe['mes_etiqueta']}",
            ("Fecha", "Factura", "Solicitud", "Cliente", "Canal", "Plan", "Modalidad", "Ejecutivo", "Monto (Bs)"),
            [
                (
                    hora_local(v["emitida_en"]),
                    v["factura"],
                    v["id"],
                    v["nombre"],
                    v["canal_etiqueta"],
                    v["plan"],
                    {"prepago": "Prepago", "pospago": "Pospago"}.get(str(v["modalidad_pago"])),
                    v["ejecutivo"],
                    v["monto_bs"],
                )
                for v in ventas["detalle"]
            ],
        ),
        Tabla(
            "Embudo",
            f"Embudo de las solicitudes de {informe['mes_etiqueta']}",
            ("Paso", "Solicitudes", "% de recibidas", "% del paso anterior"),
            [(p["etiqueta"], p["cantidad"], p["porcentaje"], p["del_paso_anterior"]) for p in informe["embudo"]],
        ),
        Tabla(
            "Por canal",
            "Solicitudes y ventas por canal",
            ("Canal", "Solicitudes recibidas", "Ventas facturadas", "Facturación (Bs)", "Participación (%)"),
            [
                (c["canal_etiqueta"], c["solicitudes"], c["ventas"], c["monto_bs"], c["participacion"])
                for c in informe["por_canal"]
            ],
        ),
        Tabla(
            "Por plan",
            "Ventas por plan",
            ("Plan", "Ventas facturadas", "Facturación (Bs)", "Participación (%)"),
            [(p["plan"], p["ventas"], p["monto_bs"], p["participacion"]) for p in informe["por_plan"]],
        ),
        Tabla(
            "Por ejecutivo",
            "Solicitudes y ventas por ejecutivo",
            ("Ejecutivo", "Solicitudes", "Ventas facturadas", "Facturación (Bs)", "No atendidas", "Anuladas"),
            [
                (e["ejecutivo"], e["solicitudes"], e["ventas"], e["monto_bs"], e["no_atendidas"], e["anuladas"])
                for e in informe["por_ejecutivo"]
            ],
        ),
        tabla_no_atendidas(informe["no_atendidas"]),
        Tabla(
            "Anuladas",
            f"Ventas anuladas de {informe['mes_etiqueta']}",
            ("Código", "Cliente", "Canal", "Ejecutivo", "Plan", "Resultado", "Anulada", "Motivo", "Redigitada como"),
            [
                (
                    a["id"],
                    a["nombre"],
                    a["canal_etiqueta"],
                    a["ejecutivo"],
                    a["plan"],
                    a["resultado"],
                    hora_local(a["anulada_en"]),
                    a["motivo"],
                    a["redigitada_como"],
                )
                for a in informe["anuladas"]
            ],
        ),
    ]


def enviar_informe_mensual(cmd: EnviarInformeMensual, *, puertos: PuertosReportes) -> dict[str, Any]:
    """Email the month's report to the division head (cc the team lead), with the chart inline and the
    spreadsheet attached. Once per month: the key ``informe#YYYY-MM`` is claimed before sending and kept for
    good, so a schedule that fires twice sends one email; ``reenviar`` sends again on purpose."""
    ahora = puertos.clock.ahora()
    mes = validar_mes(cmd.mes, ahora, por_omision=mes_anterior(mes_de(ahora)))
    clave = f"informe#{mes}"
    reclamada = False
    if not cmd.reenviar:
        if not puertos.idempotencia.reclamar(clave, SEGUNDOS_ENVIO):
            previo = puertos.idempotencia.resultado(clave)
            logger.info("informe mensual ya enviado", extra={"mes": mes})
            return {"mes": mes, "enviado": False, "motivo": "ya_enviado", "message_id": previo}
        reclamada = True
    try:
        informe = _informe(mes, ahora, puertos)
        contexto = {
            "informe": informe,
            "cid_grafico": CID_GRAFICO,
            "reenvio": cmd.reenviar,
            "solicitado_por": cmd.solicitado_por,
            "url_publica": puertos.url_publica,
            "buzones": puertos.buzones.como_dict(),
        }
        render = puertos.plantillas.correo("informe_mensual", contexto)
        grafico = puertos.graficos.informe_mensual(informe)
        libro = puertos.hojas.libro(tablas_informe(informe))
        message_id = puertos.mailer.enviar(
            CorreoSaliente(
                para=(puertos.buzones.jefe_division,),
                cc=(puertos.buzones.responsable_canales,),
                asunto=render.asunto,
                texto=render.texto,
                html=render.html,
                adjuntos=(
                    Adjunto("grafico-informe.png", "image/png", grafico, content_id=CID_GRAFICO),
                    Adjunto(f"informe-ventas-digitales-{mes}.xlsx", TIPO_XLSX, libro),
                ),
                cabeceras={"X-VD-Reaccion": "informe_mensual", "X-VD-Informe": mes},
            )
        )
    except Exception:
        if reclamada:
            puertos.idempotencia.liberar(clave)
        raise
    puertos.idempotencia.completar(clave, message_id, permanente=True)
    logger.info(
        "informe mensual enviado",
        extra={"mes": mes, "veredicto": informe["kpi"]["veredicto"], "reenvio": cmd.reenviar},
    )
    return {
        "mes": mes,
        "enviado": True,
        "reenvio": cmd.reenviar,
        "message_id": message_id,
        "veredicto": informe["kpi"]["veredicto"],
        "porcentaje": informe["kpi"]["porcentaje"],
        "lectura": informe["lectura"],
    }


def reenviar_informe_mensual(
    cmd: EnviarInformeMensual, *, roles: Iterable[Rol], puertos: PuertosReportes
) -> dict[str, Any]:
    """The team lead or the division head asks for the month's report again: it is sent even if it was."""
    autorizar(roles)
    return enviar_informe_mensual(replace(cmd, reenviar=True), puertos=puertos)


# --- CSV ---


_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")


def texto_seguro(valor: str) -> str:
    """Text a spreadsheet will not run as a formula: one that starts like a formula (``=``, ``+``, ``-``, ``@``, tab,
    CR) gets a leading apostrophe, except a plain number such as a phone (+59171234567). Names and reasons come
    from prospects and staff, so a CSV opened in Excel must never evaluate them."""
    if valor.startswith(_FORMULA) and not re.fullmatch(r"[+-]?\d[\d ]*", valor):
        return "'" + valor
    return valor


def _celda_csv(valor: Any) -> str:
    if valor is None:
        return ""
    if isinstance(valor, bool):
        return "Sí" if valor else "No"
    if isinstance(valor, Decimal):
        return format(valor, "f").replace(".", ",")
    if isinstance(valor, datetime):
        return valor.strftime("%d/%m/%Y %H:%M")
    return texto_seguro(str(valor))


def csv_de(tablas: Sequence[Tabla]) -> str:
    """Tables as CSV for Excel in es-BO: UTF-8 with BOM (accents), ``;`` separator, decimal comma, dates
    dd/mm/aaaa hh:mm (La Paz), CRLF. One table: header and rows; several: each under its title, blank line between."""
    salida = io.StringIO()
    escritor = csv.writer(salida, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for indice, tabla in enumerate(tablas):
        if len(tablas) > 1:
            if indice:
                escritor.writerow([])
            escritor.writerow([tabla.titulo])
        escritor.writerow(tabla.columnas)
        for fila in tabla.filas:
            escritor.writerow([_celda_csv(v) for v in fila])
    return "\ufeff" + salida.getvalue()
