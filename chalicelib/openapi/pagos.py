"""API models and paths of the payment and approval routes (chalicelib/handlers/pagos.py), merged by chalicelib.openapi.

The payment gateway's callback follows Standard Webhooks: the three ``webhook-*`` headers sign
``{webhook-id}.{webhook-timestamp}.{raw body}`` with HMAC-SHA256 (base64, ``v1,`` prefix, space-separated list).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.states import Estado


class _Modelo(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AvisoPago(BaseModel):
    """Cuerpo de POST /webhooks/pagos. Los campos desconocidos se ignoran; solo se procesa ``pago.aprobado``."""

    model_config = ConfigDict(extra="allow")

    tipo: str = Field(description="Tipo de aviso; solo pago.aprobado registra un pago (otros: 200 ignorado).")
    id_transaccion: str = Field(max_length=80, description="Identificador de la transacción en la pasarela.")
    referencia: str = Field(
        pattern=r"^VD-[0-9A-Z]{8}$", description="Código de la solicitud que se paga (el que se indicó al pagar)."
    )
    monto_bs: float = Field(gt=0, le=1_000_000, description="Monto pagado en bolivianos.")
    fecha: str = Field(description="Fecha y hora del pago, ISO 8601 con zona horaria.")
    medio: str | None = Field(None, max_length=40, description="Medio de pago (tarjeta, qr, billetera…).")


class AvisoPagoRecibido(_Modelo):
    recibido: Literal[True]
    resultado: Literal["aplicado", "duplicado", "sin_coincidencia", "monto_distinto", "ignorado"] = Field(
        description=(
            "aplicado: pago registrado (Cobranzas lo valida); duplicado: la transacción ya estaba registrada; "
            "sin_coincidencia / monto_distinto: no se aplicó y se avisó a Cobranzas; ignorado: otro tipo de aviso."
        )
    )
    webhook_id: str
    solicitud_id: str | None
    mensaje: str
    duplicado: bool | None = Field(None, description="true si este webhook-id ya se había procesado (reenvío).")


class FilaControlRecurrente(_Modelo):
    solicitud_id: str
    estado: Estado
    cliente: str
    numero_contrato: str | None
    codigo_cliente: str | None
    plan: str | None
    tarifa_mensual_bs: float | None
    dia_facturacion: int | None
    monto_mensual_bs: float | None
    cuenta_facturacion: str | None
    pendiente_desde: str | None = Field(description="Desde cuándo espera el control (solo las pendientes).")
    registrado_en: str | None = Field(description="Cuándo se registró el control (solo las cerradas del mes).")


class ControlRecurrente(_Modelo):
    mes: str = Field(pattern=r"^\d{4}-\d{2}$")
    solicitudes: list[FilaControlRecurrente]


class DecisionEnlace(BaseModel):
    """Formulario de la página de confirmación: la decisión y los campos de su acción (motivo al rechazar,
    número y monto de la factura al registrar la impresión, …)."""

    model_config = ConfigDict(extra="allow")

    decision: str = Field(description="aprobar | rechazar | confirmar | imprimir | entregar (según el enlace).")
    version: int | None = Field(None, description="Versión de la solicitud mostrada; si cambió, 409 y nada se decide.")


MODELOS_PAGOS: tuple[type[BaseModel], ...] = (AvisoPago, AvisoPagoRecibido, ControlRecurrente, DecisionEnlace)

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_HTML: dict[str, Any] = {"text/html": {}}


def _ref(modelo: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{modelo.__name__}"}


def _cabecera(nombre: str, descripcion: str) -> dict[str, Any]:
    return {"name": nombre, "in": "header", "required": True, "schema": {"type": "string"}, "description": descripcion}


_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "Token firmado (itsdangerous, sal aprobacion-v1) que nombra un registro de aprobación.",
}
_PAGINAS = {
    "403": {"description": "Enlace alterado, ajeno o firmado con otra clave (página en español)", "content": _HTML},
    "404": {"description": "Enlace desconocido o solicitud inexistente", "content": _HTML},
    "409": {"description": "La solicitud ya no espera esta decisión o una regla la rechaza", "content": _HTML},
    "410": {"description": "Enlace vencido", "content": _HTML},
    "422": {
        "description": "Decisión no permitida o campos inválidos (el formulario vuelve con errores)",
        "content": _HTML,
    },
}

RUTAS_PAGOS: dict[str, Any] = {
    "/webhooks/pagos": {
        "post": {
            "summary": "Aviso firmado de la pasarela de pagos (Standard Webhooks): pago web aprobado",
            "description": (
                "Se verifica antes de leer el JSON: webhook-timestamp a ±300 s, firma HMAC-SHA256 en base64 de "
                "«{webhook-id}.{webhook-timestamp}.{cuerpo}» con el secreto whsec_ (dos vigentes durante una "
                "rotación), comparación en tiempo constante. Idempotente por webhook-id (8 días): un reenvío "
                "responde 200 con el primer resultado y no cambia nada."
            ),
            "parameters": [
                _cabecera("webhook-id", "Identificador único del aviso (clave de idempotencia)."),
                _cabecera("webhook-timestamp", "Segundos Unix del envío (tolerancia ±5 minutos)."),
                _cabecera("webhook-signature", "Lista separada por espacios de «v1,<firma base64>»; basta una válida."),
            ],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(AvisoPago)}}},
            "responses": {
                "200": {
                    "description": "Recibido",
                    "content": {"application/json": {"schema": _ref(AvisoPagoRecibido)}},
                },
                "400": {"description": "Firma válida pero el cuerpo no es un objeto JSON", "content": _ERROR},
                "401": {
                    "description": "Firma ausente, mal formada, incorrecta, alterada, antigua o futura",
                    "content": _ERROR,
                },
                "409": {"description": "El mismo webhook-id se está procesando: reintente", "content": _ERROR},
                "422": {"description": "Campos del aviso inválidos (nada se registra)", "content": _ERROR},
            },
        }
    },
    "/aprobaciones/{token}": {
        "get": {
            "summary": "Página de confirmación de un enlace firmado (no cambia nada: los escáneres de correo abren enlaces)",
            "parameters": [
                _TOKEN,
                {"name": "decision", "in": "query", "required": False, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": "Página HTML: qué se decide, los datos y el formulario", "content": _HTML},
                **{k: v for k, v in _PAGINAS.items() if k != "422"},
            },
        },
        "post": {
            "summary": "Decidir con el enlace (una sola vez; un segundo envío muestra quién decidió y cuándo)",
            "parameters": [_TOKEN],
            "requestBody": {
                "required": True,
                "content": {"application/x-www-form-urlencoded": {"schema": _ref(DecisionEnlace)}},
            },
            "responses": {
                "200": {"description": "Decisión registrada o ya decidida (HTML)", "content": _HTML},
                **_PAGINAS,
            },
        },
    },
    "/facturacion/control-recurrente": {
        "get": {
            "summary": "Lista de control de pago recurrente (pospago) para Facturación: JSON o CSV",
            "security": [{"bearer": []}],
            "parameters": [
                {"name": "mes", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "formato", "in": "query", "required": False, "schema": {"enum": ["json", "csv"]}},
            ],
            "responses": {
                "200": {
                    "description": "Pendientes de control y controles registrados en el mes",
                    "content": {"application/json": {"schema": _ref(ControlRecurrente)}, "text/csv": {}},
                },
                "401": {"description": "Sin token o token inválido", "content": _ERROR},
                "403": {"description": "Solo División Facturación o Responsable de Canales", "content": _ERROR},
                "422": {"description": "Mes o formato inválido", "content": _ERROR},
            },
        }
    },
}
