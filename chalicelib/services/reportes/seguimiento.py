"""Steps 20 and 25: follow-up — the month's requests closed vs cancelled, the cancelled sales and both sides of
each redigitation link, and the cancelled sales still waiting to be redigitated; the report on demand and its
tables."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chalicelib.domain.model import Rol, Solicitud
from chalicelib.domain.ports import Tabla
from chalicelib.domain.seguimiento import ejecutivo_de, etiqueta_canal, nombre_mes
from chalicelib.domain.states import RESULTADO_FINAL, Estado
from chalicelib.services.reportes.comun import (
    ANULADAS,
    PuertosReportes,
    autorizar,
    etiqueta_estado,
    hora_local,
    mes_de,
    plan_de,
    validar_mes,
)


def _resultado(s: Solicitud) -> str:
    return RESULTADO_FINAL.get(Estado(s.estado), "EN CURSO")


def fila_anulada(s: Solicitud, vinculadas: Mapping[str, Solicitud]) -> dict[str, Any]:
    anulacion = s.anulacion or {}
    nueva = vinculadas.get(s.redigitada_como or "")
    return {
        "id": s.id,
        "nombre": s.nombre,
        "canal": s.canal,
        "canal_etiqueta": etiqueta_canal(s.canal),
        "ejecutivo": ejecutivo_de(s),
        "plan": plan_de(s),
        "estado": s.estado,
        "resultado": _resultado(s),
        "anulada_en": anulacion.get("anulada_en"),
        "motivo": anulacion.get("motivo") or s.motivo_cierre,
        "origen_anulacion": anulacion.get("origen_anulacion"),
        "redigitable": s.estado == Estado.ANULADA.value and not s.redigitada_como,
        "redigitada_como": s.redigitada_como,
        "redigitacion_estado": nueva.estado if nueva else None,
        "redigitacion_estado_etiqueta": etiqueta_estado(nueva.estado) if nueva else None,
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
            fila_anulada(s, vinculadas)
            for s in sorted(del_mes, key=lambda s: (s.creada_en, s.id))
            if s.estado in ANULADAS
        ],
        "redigitables": [
            fila_anulada(s, vinculadas)
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
                "estado_etiqueta": etiqueta_estado(s.estado),
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
