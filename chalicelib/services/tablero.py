"""The dashboard's aggregates (issue 20): kept on the state-change stream, one request's change at a time, and
rebuilt from the requests on demand (``reconstruir``) to prove they agree.

``contar`` is at-least-once safe: the request's contribution is recorded with its version, and a record whose
version was already counted adds nothing; two deliveries racing lose a conditional write and the loser reads
again. A half-failed batch is retried record by record, so every change is counted exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from chalicelib.domain.errors import ConflictoConcurrente, DatosInvalidos, RolNoAutorizado
from chalicelib.domain.model import Canal, Rol, Solicitud
from chalicelib.domain.ports import Agregados, Calendario, Clock, GraficosTablero, Tabla
from chalicelib.domain.proyeccion import (
    ETAPA_DEL_ABIERTO,
    ORDEN_PASOS,
    AvisoRegistrado,
    Proyeccion,
    avisos_registrados,
    dia_de_control,
    dias_del_mes,
    proyectar,
)
from chalicelib.domain.seguimiento import (
    ROLES_REPORTES,
    bolivianos,
    calcular_kpi,
    etiqueta_canal,
    mes_anterior,
    mes_valido,
    nombre_mes,
)
from chalicelib.domain.tablero import (
    ABIERTOS,
    MOTIVOS_PERDIDA,
    PASOS,
    Items,
    aporte,
    cifras_del_mes,
    clave,
    claves_del_mes,
    claves_del_tablero,
    diferencia,
    sumar,
)

logger = logging.getLogger(__name__)

INTENTOS: Final = 5


def contar(s: Solicitud, *, agregados: Agregados) -> bool:
    """Apply the request's change to the aggregates once; False when this version was already counted or the
    change adds nothing to them (its contribution stays stored at the version that last changed it: a stale
    record still finds a version at least its own, or the same contribution)."""
    for _ in range(INTENTOS):
        previo = agregados.aporte_de(s.id)
        if previo is not None and previo[0] >= s.version:
            return False
        nuevo = aporte(s)
        cambios = diferencia(nuevo, previo[1] if previo else {})
        if previo is not None and not cambios:
            return False  # nothing of the dashboard changed (a note, a field it does not count): no write
        try:
            agregados.contar(s.id, s.version, nuevo, previo[0] if previo else None, cambios)
        except ConflictoConcurrente:
            continue
        return True
    raise ConflictoConcurrente(f"No se pudo contar la solicitud {s.id} en el tablero: cambió {INTENTOS} veces.")


@dataclass(frozen=True)
class Comparacion:
    """Stored aggregates against those recomputed from the requests, item by item (only what differs)."""

    diferencias: dict[str, dict[str, tuple[int, int]]]
    """item -> attribute -> (stored, recomputed)."""
    items: int

    @property
    def coinciden(self) -> bool:
        return not self.diferencias


def reconstruir(meses: Iterable[str], solicitudes: Iterable[Solicitud], *, agregados: Agregados) -> Comparacion:
    """Recompute the months' aggregates from ``solicitudes`` (every request created or invoiced in them) and
    compare them with the stored ones; the open pipeline is compared too when ``solicitudes`` holds them all."""
    calculados = sumar([aporte(s) for s in solicitudes])
    claves = [k for mes in meses for k in claves_del_mes(mes)]
    guardados = agregados.leer(claves)
    diferencias: dict[str, dict[str, tuple[int, int]]] = {}
    for item in claves:
        esperado, actual = calculados.get(item, {}), guardados.get(item, {})
        distintos = {
            a: (int(actual.get(a, 0)), int(esperado.get(a, 0)))
            for a in set(esperado) | set(actual)
            if int(actual.get(a, 0)) != int(esperado.get(a, 0))
        }
        if distintos:
            diferencias[item] = distintos
    return Comparacion(diferencias=diferencias, items=len(claves))


def corregir(meses: Iterable[str], solicitudes: Iterable[Solicitud], *, agregados: Agregados) -> Comparacion:
    """Overwrite the months' aggregate items with what the requests add up to; returns what it corrected."""
    lista = list(solicitudes)
    meses = list(meses)
    comparacion = reconstruir(meses, lista, agregados=agregados)
    if comparacion.coinciden:
        return comparacion
    calculados = sumar([aporte(s) for s in lista])
    agregados.reemplazar({item: calculados.get(item, {}) for item in comparacion.diferencias})
    logger.warning("tablero corregido", extra={"items": sorted(comparacion.diferencias)})
    return comparacion


def leer_mes(mes: str, anterior: str, *, agregados: Agregados) -> Items:
    """The items the dashboard of ``mes`` reads: the month, the previous one's funnel and billing, and the open
    pipeline (``tablero.claves_del_tablero``)."""
    return agregados.leer(claves_del_tablero(mes, anterior))


def vista(mes: str, items: Items, *, canal: str | None = None, dia_de_hoy: int | None = None) -> dict[str, Any]:
    """The dashboard of ``mes`` from its aggregate items (``leer_mes``), for every channel or one: the month to
    date beside the previous month (billing, the KPI so far), the funnel per channel, speed to lead per channel,
    losses and why, the open pipeline and the daily trend. Amounts are exact ``Decimal`` Bolivianos."""
    anterior = mes_anterior(mes)
    actual, previo = cifras_del_mes(mes, items, canal), cifras_del_mes(anterior, items, canal)
    kpi = calcular_kpi(mes, actual.centavos, previo.centavos)
    canales = [c.value for c in Canal if c.value != Canal.REDIGITACION.value]
    por_canal = [cifras_del_mes(mes, items, c) for c in canales]
    abierto = items.get(clave("abierto"), {})
    dias = range(1, len(dias_del_mes(mes)) + 1)
    facturado, facturado_anterior = actual.facturado_por_dia, previo.facturado_por_dia
    recibidas = actual.recibidas_por_dia
    acumulado, acumulado_anterior, tendencia = 0, 0, []
    for dia in dias:
        acumulado += int(facturado.get(dia, 0))
        acumulado_anterior += int(facturado_anterior.get(dia, 0))
        futuro = dia_de_hoy is not None and dia > dia_de_hoy
        tendencia.append(
            {
                "dia": dia,
                "recibidas": None if futuro else int(recibidas.get(dia, 0)),
                "facturado_bs": None if futuro else bolivianos(int(facturado.get(dia, 0))),
                "acumulado_bs": None if futuro else bolivianos(acumulado),
                "acumulado_anterior_bs": bolivianos(acumulado_anterior),
            }
        )
    return {
        "mes": mes,
        "mes_etiqueta": nombre_mes(mes),
        "mes_anterior": anterior,
        "mes_anterior_etiqueta": nombre_mes(anterior),
        "canal": canal,
        "canal_etiqueta": etiqueta_canal(canal) if canal else "Todos los canales",
        "kpi": {
            "facturacion_bs": bolivianos(kpi.facturacion_centavos),
            "facturacion_anterior_bs": bolivianos(kpi.facturacion_anterior_centavos),
            "ventas": actual.ventas,
            "ventas_anterior": previo.ventas,
            "porcentaje": kpi.porcentaje,
            "veredicto": kpi.veredicto.value,
            "motivo": kpi.motivo,
        },
        "embudo": [
            {
                "paso": paso,
                "etiqueta": etiqueta,
                "cantidad": actual.embudo[paso],
                "anterior": previo.embudo[paso],
                "por_canal": [c.embudo[paso] for c in por_canal],
            }
            for paso, etiqueta, _ in PASOS
        ],
        "canales": [{"canal": c, "etiqueta": etiqueta_canal(c)} for c in canales],
        "respuesta": [
            {
                "canal": c,
                "etiqueta": etiqueta_canal(c),
                "con_respuesta": cifras.con_respuesta,
                "p50": cifras.respuesta_p50,
                "p90": cifras.respuesta_p90,
            }
            for c, cifras in zip(canales, por_canal, strict=True)
            if cifras.solicitudes
        ],
        "respuesta_total": {"p50": actual.respuesta_p50, "p90": actual.respuesta_p90},
        "perdidas": [
            {"motivo": m, "etiqueta": etiqueta, "cantidad": actual.perdidas[m]}
            for m, etiqueta in MOTIVOS_PERDIDA.items()
        ],
        "abierto": [
            {
                "estado": estado,
                "etiqueta": etiqueta,
                "cantidad": int(abierto.get(f"{estado}_cantidad", 0)),
                "monto_bs": bolivianos(int(abierto.get(f"{estado}_centavos", 0))),
            }
            for estado, etiqueta in ABIERTOS.items()
        ],
        "tendencia": tendencia,
        "solicitudes": actual.solicitudes,
        "solicitudes_anterior": previo.solicitudes,
    }


@dataclass(frozen=True)
class PuertosTablero:
    agregados: Agregados
    clock: Clock
    graficos: GraficosTablero
    calendario: Calendario
    dias_de_control: tuple[int, ...] = (10, 20)


ETIQUETA_CONVERSION: Final = {
    "recibidas": "De solicitud recibida a factura",
    "informado": "De oferta enviada a factura",
    "pre_venta": "De oferta aceptada a factura",
    "venta": "De venta registrada a factura",
}


def vista_proyeccion(p: Proyeccion) -> dict[str, Any]:
    """The projection as the page, the export and the early warning show it (exact Bolivianos, percentages)."""
    return {
        "mes": p.mes,
        "hoy": p.hoy.isoformat(),
        "cerrado": p.cerrado,
        "dias_habiles": p.dias_habiles,
        "dias_restantes": p.dias_restantes,
        "facturado_bs": bolivianos(p.facturado),
        "en_curso_bs": bolivianos(p.en_curso),
        "sin_oferta_bs": bolivianos(p.sin_oferta),
        "por_llegar_bs": bolivianos(p.por_llegar),
        "total_bs": bolivianos(p.total),
        "anterior_bs": bolivianos(p.anterior),
        "meta_bs": bolivianos(p.meta),
        "faltante_bs": bolivianos(p.faltante),
        "porcentaje": p.kpi.porcentaje,
        "veredicto": p.kpi.veredicto.value,
        "conversion": [
            {"paso": paso, "etiqueta": ETIQUETA_CONVERSION[paso], "porcentaje": _porcentaje(p.conversion[paso])}
            for paso in ORDEN_PASOS
        ],
        "ciclo_dias": p.ciclo_dias,
        "a_tiempo": _porcentaje(p.a_tiempo),
        "llegadas_por_dia": p.llegadas_por_dia.quantize(Decimal("0.1")),
        "valor_solicitud_bs": bolivianos(p.valor_solicitud),
        "solicitudes_sin_oferta": p.solicitudes_sin_oferta,
        "etapas": [
            {
                "estado": e.estado,
                "etiqueta": e.etiqueta,
                "cantidad": e.cantidad,
                "monto_bs": bolivianos(e.centavos),
                "probabilidad": _porcentaje(e.probabilidad),
                "ponderado_bs": bolivianos(e.ponderado),
                "facturada": ETAPA_DEL_ABIERTO[e.estado] is None,
            }
            for e in p.etapas
        ],
    }


def controles_del_mes(mes: str, items: Items, hoy: date, puertos: PuertosTablero) -> list[dict[str, Any]]:
    """The month's early-warning checkpoints and what each run recorded (``tablero#<mes>#avisos``), then the runs
    asked by hand on the local stage."""
    registrados = avisos_registrados(items.get(clave(mes, "avisos"), {}))
    por_control = {a.control: a for a in registrados if a.control != "manual"}
    filas: list[dict[str, Any]] = []
    for dia in sorted(set(puertos.dias_de_control)):
        fecha = dia_de_control(mes, dia, puertos.calendario.es_dia_habil)
        if fecha is None:
            continue
        aviso = por_control.get(str(dia))
        filas.append(
            {"titulo": f"Control del día {dia}", "fecha": fecha.isoformat(), "futuro": fecha > hoy}
            | (_aviso(aviso) if aviso else {"registrado": False})
        )
    for aviso in registrados:
        if aviso.control == "manual":
            filas.append(
                {"titulo": "Ejecución manual", "fecha": aviso.fecha.isoformat(), "futuro": False} | _aviso(aviso)
            )
    return filas


def _aviso(aviso: AvisoRegistrado) -> dict[str, Any]:
    return {
        "registrado": True,
        "porcentaje": aviso.porcentaje,
        "veredicto": aviso.veredicto,
        "proyectado_bs": bolivianos(aviso.proyectado),
        "faltante_bs": bolivianos(aviso.faltante),
        "enviado": aviso.enviado,
    }


def _porcentaje(fraccion: Decimal) -> Decimal:
    return (fraccion * 100).quantize(Decimal("0.01"))


def panel(mes: str | None, canal: str | None, roles: Iterable[Rol], *, puertos: PuertosTablero) -> dict[str, Any]:
    """The dashboard page's content for RC and JD (anyone else: ``RolNoAutorizado``): ``mes`` (default the
    current month; a malformed or future one is refused) and ``canal`` (None: every channel) from the URL, read in
    one batch of a fixed number of items, with its two charts."""
    if not ROLES_REPORTES & set(roles):
        raise RolNoAutorizado("El tablero corresponde al Responsable de Canales Digitales y al Jefe de División.")
    ahora = puertos.clock.ahora()
    actual = ahora.strftime("%Y-%m")
    elegido = mes or actual
    if not mes_valido(elegido) or elegido > actual:
        raise DatosInvalidos({"mes": "Elija un mes AAAA-MM que ya haya comenzado."}, "Filtros inválidos.")
    canales = {c.value for c in Canal if c.value != Canal.REDIGITACION.value}
    if canal and canal not in canales:
        raise DatosInvalidos({"canal": "Elija un canal de la lista."}, "Filtros inválidos.")
    items = leer_mes(elegido, mes_anterior(elegido), agregados=puertos.agregados)
    contenido = vista(elegido, items, canal=canal or None, dia_de_hoy=ahora.day if elegido == actual else None)
    contenido["en_curso"] = elegido == actual
    proyeccion = None if canal else proyectar(elegido, items, ahora.date(), puertos.calendario.es_dia_habil)
    contenido["proyeccion"] = vista_proyeccion(proyeccion) if proyeccion else None
    en_proyeccion = contenido["proyeccion"] and not contenido["proyeccion"]["cerrado"]
    por_estado = {e["estado"]: e for e in contenido["proyeccion"]["etapas"]} if en_proyeccion else {}
    for fila in contenido["abierto"]:
        fila["proyeccion"] = por_estado.get(fila["estado"])  # what the state adds to the projection, if any
    contenido["controles"] = controles_del_mes(elegido, items, ahora.date(), puertos)
    contenido["grafico_embudo"] = puertos.graficos.embudo(
        contenido["embudo"], contenido["mes_etiqueta"], contenido["mes_anterior_etiqueta"]
    )
    contenido["grafico_tendencia"] = puertos.graficos.tendencia(
        contenido["tendencia"], contenido["mes_etiqueta"], contenido["mes_anterior_etiqueta"]
    )
    return contenido


def tablas(contenido: dict[str, Any]) -> list[Tabla]:
    """What the dashboard shows, as tables (the CSV and xlsx export, one sheet each)."""
    mes, anterior = contenido["mes_etiqueta"], contenido["mes_anterior_etiqueta"]
    kpi = contenido["kpi"]
    canales = contenido["canales"]
    return [
        Tabla(
            "Resumen",
            f"Tablero de {mes} ({contenido['canal_etiqueta']})",
            ("Indicador", mes, anterior),
            [
                ("Facturación (Bs)", kpi["facturacion_bs"], kpi["facturacion_anterior_bs"]),
                ("Ventas facturadas", kpi["ventas"], kpi["ventas_anterior"]),
                ("Solicitudes recibidas", contenido["solicitudes"], contenido["solicitudes_anterior"]),
                ("KPI hasta hoy (%)", kpi["porcentaje"], None),
                ("Resultado", kpi["veredicto"], None),
            ],
        ),
        *_tabla_proyeccion(contenido),
        Tabla(
            "Embudo",
            "Embudo por canal",
            ("Paso", mes, anterior, *(c["etiqueta"] for c in canales)),
            [(p["etiqueta"], p["cantidad"], p["anterior"], *p["por_canal"]) for p in contenido["embudo"]],
        ),
        Tabla(
            "Primera respuesta",
            "Minutos hasta la primera respuesta, por canal",
            ("Canal", "Con respuesta", "Mediana (min)", "Percentil 90 (min)"),
            [(r["etiqueta"], r["con_respuesta"], r["p50"], r["p90"]) for r in contenido["respuesta"]],
        ),
        Tabla(
            "Perdidas",
            "Solicitudes perdidas y por qué",
            ("Motivo", "Solicitudes"),
            [(p["etiqueta"], p["cantidad"]) for p in contenido["perdidas"]],
        ),
        Tabla(
            "Por cerrar",
            "Ventas abiertas que aún pueden cerrar este mes",
            ("Dónde esperan", "Solicitudes", "Monto (Bs)"),
            [(a["etiqueta"], a["cantidad"], a["monto_bs"]) for a in contenido["abierto"]],
        ),
        Tabla(
            "Por dia",
            "Tendencia diaria",
            ("Día", "Recibidas", "Facturado (Bs)", f"Acumulado {mes} (Bs)", f"Acumulado {anterior} (Bs)"),
            [
                (d["dia"], d["recibidas"], d["facturado_bs"], d["acumulado_bs"], d["acumulado_anterior_bs"])
                for d in contenido["tendencia"]
            ],
        ),
    ]


def _tabla_proyeccion(contenido: dict[str, Any]) -> list[Tabla]:
    p = contenido.get("proyeccion")
    if not p:
        return []
    filas: list[tuple[Any, ...]] = [
        ("Facturado hasta hoy", p["facturado_bs"], None, None),
        *((f"En curso: {e['etiqueta']}", e["monto_bs"], e["probabilidad"], e["ponderado_bs"]) for e in p["etapas"]),
        (f"Solicitudes aún sin oferta ({p['solicitudes_sin_oferta']})", None, None, p["sin_oferta_bs"]),
        (f"Solicitudes por llegar ({p['dias_restantes']} días hábiles restantes)", None, None, p["por_llegar_bs"]),
        ("Proyección al cierre del mes", None, None, p["total_bs"]),
        (f"Facturación de {contenido['mes_anterior_etiqueta']}", p["anterior_bs"], None, None),
        ("Meta (98 % del mes anterior)", p["meta_bs"], None, None),
        ("Falta para la meta", p["faltante_bs"], None, None),
        ("KPI proyectado (%)", p["porcentaje"], None, None),
        ("Resultado proyectado", p["veredicto"], None, None),
    ]
    return [
        Tabla(
            "Proyeccion",
            f"Proyección al cierre de {contenido['mes_etiqueta']} (al {p['hoy']})",
            ("Concepto", "Monto (Bs)", "Probabilidad de facturarse este mes (%)", "Aporte a la proyección (Bs)"),
            filas,
        )
    ]
