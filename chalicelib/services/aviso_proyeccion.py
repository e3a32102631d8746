"""The early warning (issue 20, part 4): on the month's checkpoints (business days, by default the 10th and the
20th, 09:00 La Paz), when the projection to month end (``domain.proyeccion``) falls below the KPI's 98 %, the team
lead (RC) and the division head (JD) get one email: the projected KPI and verdict, the amount missing, and the three
largest sales still open that could close it, with links to them in the console.

Once per checkpoint: the run claims ``aviso_proyeccion#<mes>#<dia>`` (a redelivered schedule, or the hourly retries
after an email SES refused, find it taken); a checkpoint on track sends nothing but is recorded all the same (the
claim's result holds the projection), so the team can see that it ran.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from chalicelib.domain.model import Solicitud
from chalicelib.domain.ports import Agregados, CorreoSaliente
from chalicelib.domain.proyeccion import ETAPA_DEL_ABIERTO, Proyeccion, control_de_hoy, proyectar, registro_aviso
from chalicelib.domain.seguimiento import PLAZOS, Veredicto, bolivianos, ejecutivo_de, mes_anterior, nombre_mes
from chalicelib.domain.tablero import ABIERTOS, monto_abierto
from chalicelib.domain.tablero import clave as clave_tablero
from chalicelib.domain.vocabulario import Estado
from chalicelib.services import una_vez
from chalicelib.services.reportes.comun import PuertosReportes, enviar_programado
from chalicelib.services.tablero import leer_mes, vista_proyeccion
from chalicelib.services.vistas import url_consola

logger = logging.getLogger(__name__)

PALANCAS: Final = 3
POR_PAGINA: Final = 100
MAX_POR_ESTADO: Final = 2_000
"""Open sales read per pipeline state to find the largest (every page up to this: far above a month's pipeline)."""
REINTENTO_AVISO: Final = "Su programa lo intenta cada hora, de 09:00 a 12:00 (lunes a viernes)."


@dataclass(frozen=True)
class PuertosAvisoProyeccion:
    reportes: PuertosReportes
    agregados: Agregados
    dias_de_control: tuple[int, ...]


def palancas(p: Proyeccion, solicitudes: Iterable[Solicitud], url_publica: str) -> list[dict[str, Any]]:
    """The open sales that would add the most if they closed this month, largest first (ties: the likelier)."""
    probabilidad = {e.estado: e.probabilidad for e in p.etapas}
    filas: list[tuple[int, Decimal, dict[str, Any]]] = []
    for s in solicitudes:
        if ETAPA_DEL_ABIERTO.get(s.estado) is None:
            continue
        monto = monto_abierto(s)
        if monto <= 0:
            continue
        plazo = PLAZOS.get(Estado(s.estado))
        certeza = probabilidad.get(s.estado, Decimal(0))
        fila = {
            "id": s.id,
            "nombre": s.nombre,
            "estado": s.estado,
            "estado_etiqueta": ABIERTOS[s.estado],
            "monto_centavos": monto,
            "monto_bs": bolivianos(monto),
            "probabilidad": (certeza * 100).quantize(Decimal(1)),
            "ejecutivo": ejecutivo_de(s),
            "le_toca": plazo.pendiente_de.etiqueta if plazo else None,
            "desde": s.estado_desde,
            "url": url_consola(url_publica, s.id),
        }
        filas.append((monto, certeza, fila))
    filas.sort(key=lambda f: (-f[0], -f[1], f[2]["id"]))
    return [fila for _, _, fila in filas[:PALANCAS]]


def ventas_abiertas(puertos: PuertosReportes) -> list[Solicitud]:
    """The open sales of the pipeline that can still be billed, every page of each state's index (at most
    ``MAX_POR_ESTADO`` per state: past that the levers come from the oldest, and the log says so)."""
    abiertas: list[Solicitud] = []
    for estado, etapa in ETAPA_DEL_ABIERTO.items():
        if etapa is None:
            continue
        leidas, cursor = 0, None
        while leidas < MAX_POR_ESTADO:
            pagina = puertos.repo.listar(estado=estado, limite=POR_PAGINA, cursor=cursor)
            abiertas.extend(pagina.solicitudes)
            leidas += len(pagina.solicitudes)
            cursor = pagina.siguiente
            if cursor is None:
                break
        else:
            logger.warning(
                "aviso de proyección: estado con más ventas abiertas que las leídas", extra={"estado": estado}
            )
    return abiertas


def _anotar(puertos: PuertosAvisoProyeccion, control: str, hoy: date, p: Proyeccion, *, enviado: bool) -> None:
    """Record the run on the month's dashboard (``tablero#<mes>#avisos``); the claim's result is the record of
    truth, so a failure here is logged and the run goes on."""
    try:
        puertos.agregados.anotar(clave_tablero(p.mes, "avisos"), registro_aviso(control, hoy, p, enviado))
    except Exception:
        logger.exception("no se pudo anotar el aviso en el tablero", extra={"mes": p.mes, "control": control})


def avisar_proyeccion(*, forzar: bool = False, puertos: PuertosAvisoProyeccion) -> dict[str, Any]:
    """Run today's checkpoint, if today is one (``forzar``: as if it were, the local stage's ``/dev`` trigger)."""
    reportes = puertos.reportes
    hoy = reportes.clock.ahora().date()
    mes = hoy.strftime("%Y-%m")
    es_habil = reportes.calendario.es_dia_habil
    dia = control_de_hoy(hoy, puertos.dias_de_control, es_habil)
    resultado: dict[str, Any] = {"mes": mes, "hoy": hoy.isoformat(), "dias_de_control": list(puertos.dias_de_control)}
    if dia is None and not forzar:
        return resultado | {"enviado": False, "motivo": "no_es_dia_de_control"}
    control = str(dia) if dia is not None else f"manual-{hoy.isoformat()}"
    clave = f"aviso_proyeccion#{mes}#{control}"
    resultado["control"] = control
    if not reportes.idempotencia.reclamar(clave):
        return resultado | {
            "enviado": False,
            "motivo": "ya_ejecutado",
            "registro": reportes.idempotencia.resultado(clave),
        }
    try:
        p = proyectar(mes, leer_mes(mes, mes_anterior(mes), agregados=puertos.agregados), hoy, es_habil)
        atrasado = p.kpi.veredicto is Veredicto.OBSERVADO
        lista = palancas(p, ventas_abiertas(reportes), reportes.url_publica) if atrasado else []
    except Exception as exc:
        una_vez.tras_fallo(reportes.idempotencia, clave, exc)
        raise
    vista = vista_proyeccion(p)
    registro = {
        "porcentaje": str(p.kpi.porcentaje) if p.kpi.porcentaje is not None else None,
        "veredicto": p.kpi.veredicto.value,
        "proyectado_bs": str(vista["total_bs"]),
        "faltante_bs": str(vista["faltante_bs"]),
    }
    resultado |= registro
    if not atrasado:
        _anotar(puertos, control, hoy, p, enviado=False)
        una_vez.completar(reportes.idempotencia, clave, json.dumps(registro | {"enviado": False}))
        logger.info("proyección en camino: sin aviso", extra={"mes": mes, "control": control, **registro})
        return resultado | {"enviado": False, "motivo": "en_camino" if p.anterior > 0 else "sin_base"}
    contexto = {
        "p": vista,
        "mes_etiqueta": nombre_mes(mes),
        "mes_anterior_etiqueta": nombre_mes(mes_anterior(mes)),
        "palancas": lista,
        "url_tablero": f"{reportes.url_publica}/consola/tablero?mes={mes}",
        "url_publica": reportes.url_publica,
        "buzones": reportes.buzones.como_dict(),
    }

    def correo() -> CorreoSaliente:
        render = reportes.plantillas.correo("aviso_proyeccion", contexto)
        return CorreoSaliente(
            para=(reportes.buzones.responsable_canales, reportes.buzones.jefe_division),
            asunto=render.asunto,
            texto=render.texto,
            html=render.html,
            cabeceras={"X-VD-Reaccion": "aviso_proyeccion"},
        )

    entrega = enviar_programado(
        clave,
        correo,
        reportes,
        descripcion=f"Aviso de proyección de {nombre_mes(mes)} (control del día {control}) a RC y JD",
        reintento=REINTENTO_AVISO,
        resultado=lambda e: json.dumps(registro | {"enviado": True, "message_id": e.message_id}),
    )
    if isinstance(entrega, dict):
        return resultado | entrega
    _anotar(puertos, control, hoy, p, enviado=entrega.enviado)
    logger.warning(
        "proyección bajo el 98 %: aviso enviado",
        extra={"mes": mes, "control": control, "palancas": [f["id"] for f in lista], **registro},
    )
    return resultado | {
        "enviado": entrega.enviado,
        "message_id": entrega.message_id,
        "palancas": [f["id"] for f in lista],
        "suprimidas": list(entrega.suprimidas),
    }
