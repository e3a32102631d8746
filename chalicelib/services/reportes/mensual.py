"""Step 26 use cases: the monthly report on demand, its spreadsheet sheets, and the email to the division head
(chart inline, spreadsheet attached) sent once per month, or again on purpose."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.model import Rol
from chalicelib.domain.ports import Adjunto, Clock, CorreoSaliente, DespachoInformes, Lectura, Tabla
from chalicelib.domain.seguimiento import mes_anterior, nombre_mes
from chalicelib.services.reportes.comun import (
    PuertosReportes,
    autorizar,
    enviar_programado,
    hora_local,
    mes_de,
    validar_mes,
)
from chalicelib.services.reportes.informe import construir_informe
from chalicelib.services.reportes.no_atendidas import tabla_no_atendidas

logger = logging.getLogger(__name__)

CID_GRAFICO: Final = "grafico-informe@ventas-digitales"
TIPO_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEGUNDOS_ENVIO: Final = 900
"""How long a claimed monthly send may run before another attempt may take over (a Lambda's maximum)."""


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


REINTENTO: Final = "Su programa lo intenta cada hora, de 08:00 a 19:00, los días 1 a 3 del mes."


def _descripcion(mes: str) -> str:
    return f"Informe General de {nombre_mes(mes)} al Jefe de División"


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
    informes: list[dict[str, Any]] = []

    def correo() -> CorreoSaliente:
        informe = _informe(mes, ahora, puertos)
        informes.append(informe)
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
        return CorreoSaliente(
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

    entrega = enviar_programado(
        clave,
        correo,
        puertos,
        descripcion=_descripcion(mes),
        reintento=REINTENTO,
        reclamada=reclamada,
        esperar=not cmd.reenviar,
        permanente=True,
    )
    if isinstance(entrega, dict):
        return {"mes": mes, **entrega}
    informe = informes[-1]
    suprimidas = list(entrega.suprimidas)
    if not entrega.enviado:
        logger.warning(
            "informe mensual no enviado: destinatario suprimido", extra={"mes": mes, "suprimidas": suprimidas}
        )
        return {
            "mes": mes,
            "enviado": False,
            "motivo": "destinatarios_suprimidos",
            "reenvio": cmd.reenviar,
            "message_id": None,
        }
    logger.info(
        "informe mensual enviado",
        extra={
            "mes": mes,
            "veredicto": informe["kpi"]["veredicto"],
            "reenvio": cmd.reenviar,
            "suprimidas": suprimidas,
        },
    )
    return {
        "mes": mes,
        "enviado": True,
        "reenvio": cmd.reenviar,
        "message_id": entrega.message_id,
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


def solicitar_reenvio_informe(
    cmd: EnviarInformeMensual, *, roles: Iterable[Rol], clock: Clock, despacho: DespachoInformes
) -> dict[str, Any]:
    """Only the team lead or the division head may ask for the month's report again; the role and the month are
    checked here, before anything is dispatched, and the report function draws and sends it (``despacho``)."""
    quienes = frozenset(roles)
    autorizar(quienes)
    ahora = clock.ahora()
    mes = validar_mes(cmd.mes, ahora, por_omision=mes_anterior(mes_de(ahora)))
    despacho.reenviar_informe_mensual(replace(cmd, mes=mes, reenviar=True), quienes)
    logger.info("reenvío del informe mensual despachado", extra={"mes": mes})
    etiqueta = nombre_mes(mes)
    return {
        "mes": mes,
        "mes_etiqueta": etiqueta,
        "estado": "en_curso",
        "mensaje": (
            f"El informe de {etiqueta} se está enviando por correo al Jefe de División Ventas, con copia al "
            "Responsable de Canales Digitales. Llegará en unos minutos; si no llega, vuelva a pedirlo."
        ),
    }
