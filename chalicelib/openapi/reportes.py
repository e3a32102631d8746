"""API models and paths of the follow-up and report routes (chalicelib/handlers/reportes.py), merged by chalicelib.openapi.

Amounts are exact decimal strings in Bolivianos ("1250.00"); percentages are decimal strings truncated to two
decimals ("98.00"), or null when there is no base.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.states import Estado

Importe = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", description="Bolivianos, decimal exacto (p. ej. 1250.00).")]
Porcentaje = Annotated[str, Field(pattern=r"^\d+\.\d{2}$", description="Porcentaje truncado a dos decimales.")]
Mes = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="AAAA-MM")]


class _Modelo(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LecturaReporte(_Modelo):
    indices: list[str] = Field(description="Índices consultados (nunca un Scan).")
    items_leidos: int = Field(description="Registros que DynamoDB leyó para el reporte (suma de ScannedCount).")
    segundos: float
    solicitudes_del_mes: int | None = None
    facturas_del_mes: int | None = None
    facturas_mes_anterior: int | None = None


class FilaNoAtendida(_Modelo):
    id: str
    nombre: str
    telefono: str | None
    canal: str
    canal_etiqueta: str
    estado: Estado
    estado_etiqueta: str
    ejecutivo: str = Field(description="Último ejecutivo que actuó sobre la solicitud, o «Sin asignar».")
    creada_en: str
    desde: str = Field(description="Desde cuándo está en su estado actual.")
    espera_minutos: int
    espera: str
    tipo: Literal["no_atendida", "vencida"]
    motivo: str
    causa: str
    pendiente_de: str = Field(description="Rol al que le toca actuar (RC para las no atendidas).")
    pendiente_de_etiqueta: str
    plazo: str | None
    vencio_en: str | None
    atraso_minutos: int | None


class NoAtendidasPorEjecutivo(_Modelo):
    ejecutivo: str
    vencidas: int
    no_atendidas: int
    total: int


class VencidasPorRol(_Modelo):
    rol: str
    etiqueta: str
    vencidas: int


class ReporteNoAtendidas(_Modelo):
    """Reporte de solicitudes no atendidas (paso 19)."""

    generado_en: str
    total: int
    no_atendidas: int
    vencidas: int
    nuevas_no_atendidas_24h: int
    por_ejecutivo: list[NoAtendidasPorEjecutivo]
    por_pendiente_de: list[VencidasPorRol]
    solicitudes: list[FilaNoAtendida]
    lectura: LecturaReporte


class Conteo(_Modelo):
    recibidas: int
    cerradas: int
    anuladas: int
    redigitadas: int
    no_atendidas: int
    derivadas: int
    en_curso: int


class ResumenSeguimiento(Conteo):
    redigitaciones: int


class SeguimientoPorEjecutivo(Conteo):
    ejecutivo: str


class SeguimientoPorCanal(Conteo):
    canal: str
    canal_etiqueta: str


class FilaAnulada(_Modelo):
    id: str
    nombre: str
    canal: str
    canal_etiqueta: str
    ejecutivo: str
    plan: str
    estado: Estado
    resultado: str
    anulada_en: str | None
    motivo: str | None
    origen_anulacion: str | None
    redigitable: bool
    redigitada_como: str | None = Field(
        description="La nueva solicitud creada al redigitar (el otro lado del vínculo)."
    )
    redigitacion_estado: Estado | None
    redigitacion_estado_etiqueta: str | None


class FilaRedigitacion(_Modelo):
    id: str
    nombre: str
    canal_etiqueta: str
    ejecutivo: str
    estado: Estado
    estado_etiqueta: str
    creada_en: str
    redigitacion_de: str | None = Field(description="La venta anulada original.")
    original_motivo: str | None


class ReporteSeguimiento(_Modelo):
    """Seguimiento de ventas digitales (pasos 20 y 25)."""

    mes: Mes
    mes_etiqueta: str
    resumen: ResumenSeguimiento
    por_ejecutivo: list[SeguimientoPorEjecutivo]
    por_canal: list[SeguimientoPorCanal]
    anuladas: list[FilaAnulada]
    redigitables: list[FilaAnulada] = Field(description="Ventas anuladas (de cualquier mes) aún sin redigitar.")
    redigitaciones: list[FilaRedigitacion]
    lectura: LecturaReporte


class KpiInforme(_Modelo):
    facturacion_bs: Importe
    facturacion_anterior_bs: Importe
    porcentaje: Porcentaje | None
    umbral: str
    veredicto: Literal["APROBADO", "OBSERVADO", "SIN BASE"]
    motivo: str
    facturas: int
    facturas_anterior: int


class Venta(_Modelo):
    id: str
    factura: str | None
    emitida_en: str | None
    nombre: str
    canal: str
    canal_etiqueta: str
    plan: str
    modalidad_pago: str | None
    ejecutivo: str
    monto_bs: Importe


class VentasInforme(_Modelo):
    cantidad: int
    monto_bs: Importe
    ticket_promedio_bs: Importe
    prepago: int
    pospago: int
    anuladas_facturadas: int
    anuladas_facturadas_bs: Importe
    detalle: list[Venta]


class PasoEmbudo(_Modelo):
    paso: Literal["recibidas", "visitado", "informado", "pre_venta", "venta", "facturada", "cerrada"]
    etiqueta: str
    cantidad: int
    porcentaje: Porcentaje | None
    del_paso_anterior: Porcentaje | None


class EstadoCantidad(_Modelo):
    estado: Estado
    etiqueta: str
    cantidad: int


class InformePorCanal(_Modelo):
    canal: str
    canal_etiqueta: str
    solicitudes: int
    ventas: int
    monto_bs: Importe
    participacion: Porcentaje | None


class InformePorPlan(_Modelo):
    plan: str
    ventas: int
    monto_bs: Importe
    participacion: Porcentaje | None


class InformePorEjecutivo(_Modelo):
    ejecutivo: str
    solicitudes: int
    ventas: int
    monto_bs: Importe
    no_atendidas: int
    anuladas: int


class SeguimientoInforme(_Modelo):
    recibidas: int
    prospectos: int
    no_atendidas: int
    vencidas: int
    anuladas: int
    redigitadas: int
    redigitaciones: int
    derivadas: int


class PrimeraRespuesta(_Modelo):
    con_respuesta: int
    mediana_minutos: int | None
    dentro_de_60_min: Porcentaje | None


class InformeMensual(_Modelo):
    """Informe General de Ventas Digitales (paso 26)."""

    mes: Mes
    mes_etiqueta: str
    mes_anterior: Mes
    mes_anterior_etiqueta: str
    generado_en: str
    parcial: bool = Field(description="El mes todavía no terminó.")
    kpi: KpiInforme
    ventas: VentasInforme
    embudo: list[PasoEmbudo]
    estados: list[EstadoCantidad]
    por_canal: list[InformePorCanal]
    por_plan: list[InformePorPlan]
    por_ejecutivo: list[InformePorEjecutivo]
    seguimiento: SeguimientoInforme
    primera_respuesta: PrimeraRespuesta
    no_atendidas: list[FilaNoAtendida]
    anuladas: list[FilaAnulada]
    lectura: LecturaReporte


class ReenvioInforme(_Modelo):
    """Reenvío del informe mensual aceptado: se genera y se envía por correo en segundo plano (paso 26)."""

    mes: Mes
    mes_etiqueta: str
    estado: Literal["en_curso"]
    mensaje: str


class DiferenciaAgregado(_Modelo):
    guardado: int
    calculado: int


class VerificacionTablero(_Modelo):
    """Los agregados del tablero de un mes recalculados desde sus solicitudes y comparados con los guardados."""

    mes: Mes
    coinciden: bool
    items_comparados: int
    corregidos: list[str]
    diferencias: dict[str, dict[str, DiferenciaAgregado]]


MODELOS_REPORTES: tuple[type[BaseModel], ...] = (
    ReporteNoAtendidas,
    ReporteSeguimiento,
    InformeMensual,
    ReenvioInforme,
    VerificacionTablero,
)

_SEGURIDAD: list[dict[str, list[str]]] = [{"bearer": []}]
_ERRORES = {
    "401": "Sin token o token inválido",
    "403": "Solo el Responsable de Canales (RC) y el Jefe de División (JD)",
    "422": "Parámetros inválidos (mes AAAA-MM, formato json o csv)",
}


def _respuestas(modelo: type[BaseModel], descripcion: str, csv: bool = True, codigo: str = "200") -> dict[str, Any]:
    contenido: dict[str, Any] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{modelo.__name__}"}}}
    if csv:
        contenido["text/csv"] = {
            "schema": {"type": "string"},
            "example": "\ufeffCódigo;Cliente;…\r\n",
        }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        codigo: {"description": descripcion, "content": contenido},
        **{codigo: {"description": texto, "content": error} for codigo, texto in _ERRORES.items()},
    }


def _param(nombre: str, descripcion: str, **esquema: Any) -> dict[str, Any]:
    return {
        "name": nombre,
        "in": "query",
        "required": False,
        "description": descripcion,
        "schema": {"type": "string", **esquema},
    }


_FORMATO = _param(
    "formato",
    "json (por omisión) o csv: UTF-8 con BOM, separador «;», coma decimal, fechas dd/mm/aaaa hh:mm (La Paz).",
    enum=["json", "csv"],
)

RUTAS_REPORTES: dict[str, Any] = {
    "/reportes/no-atendidas": {
        "get": {
            "summary": "Reporte de solicitudes no atendidas y con plazo vencido (paso 19)",
            "description": "Lee solo el índice de seguimiento por_atencion (nunca un Scan).",
            "security": _SEGURIDAD,
            "parameters": [_FORMATO],
            "responses": _respuestas(ReporteNoAtendidas, "El reporte"),
        }
    },
    "/reportes/seguimiento": {
        "get": {
            "summary": "Seguimiento: atendidas/cerradas, anuladas, redigitadas y redigitables (pasos 20 y 25)",
            "security": _SEGURIDAD,
            "parameters": [
                _param("mes", "AAAA-MM de creación (por omisión, el mes en curso).", pattern=r"^\d{4}-\d{2}$"),
                _FORMATO,
            ],
            "responses": _respuestas(ReporteSeguimiento, "El reporte"),
        }
    },
    "/reportes/mensual": {
        "get": {
            "summary": "Informe General de Ventas Digitales con el KPI (paso 26)",
            "description": "Lee solo el mes (por_mes) y las facturas del mes y del mes anterior (por_mes_factura).",
            "security": _SEGURIDAD,
            "parameters": [
                _param("mes", "AAAA-MM (por omisión, el mes que terminó).", pattern=r"^\d{4}-\d{2}$"),
                _FORMATO,
            ],
            "responses": _respuestas(InformeMensual, "El informe"),
        }
    },
    "/reportes/tablero/verificacion": {
        "post": {
            "summary": "Recalcular los agregados del tablero de un mes desde sus solicitudes y compararlos",
            "description": (
                "Lee las solicitudes creadas (por_mes) y facturadas (por_mes_factura) del mes, suma lo que aporta "
                "cada una y lo compara con los agregados que mantiene el flujo; con corregir=1 sobrescribe los que "
                "difieren."
            ),
            "security": _SEGURIDAD,
            "parameters": [
                {**_param("mes", "AAAA-MM (obligatorio).", pattern=r"^\d{4}-\d{2}$"), "required": True},
                _param("corregir", "1 para sobrescribir los agregados que difieren.", enum=["0", "1"]),
            ],
            "responses": _respuestas(VerificacionTablero, "La comparación", csv=False),
        }
    },
    "/reportes/mensual/envio": {
        "post": {
            "summary": "Reenviar por correo el informe mensual al Jefe de División (con copia al Responsable)",
            "description": (
                "Verifica el rol y el mes y responde 202 de inmediato: el informe (gráfico y planilla) se genera y "
                "se envía en segundo plano, en la función reenviar_informe_mensual."
            ),
            "security": _SEGURIDAD,
            "parameters": [_param("mes", "AAAA-MM (por omisión, el mes que terminó).", pattern=r"^\d{4}-\d{2}$")],
            "responses": _respuestas(ReenvioInforme, "Reenvío en curso", csv=False, codigo="202"),
        }
    },
}
