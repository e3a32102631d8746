"""API models and paths of the offer, documents and Smartflex routes (chalicelib/handlers/venta.py), merged by
chalicelib.openapi."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class DocumentoEnlace(BaseModel):
    """Un documento guardado (requisito o adjunto recibido), solo como enlace temporal firmado."""

    model_config = ConfigDict(extra="forbid")

    origen: Literal["requisito", "adjunto"]
    requisito: str | None = Field(None, description="ci | ubicacion | carta_solicitud, si es un requisito.")
    nombre: str
    url: str = Field(description="Enlace S3 prefirmado (SigV4), válido a lo sumo 300 segundos; nunca público.")
    expira_en: str = Field(description="Hasta cuándo vale el enlace (ISO 8601, hora de La Paz).")


MODELOS_VENTA: tuple[type[BaseModel], ...] = (DocumentoEnlace,)

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

RUTAS_VENTA: dict[str, Any] = {
    "/solicitudes/{solicitud_id}/contrato": {
        "get": {
            "summary": "Solicitud Contrato de Servicios para imprimir (PDF)",
            "description": (
                "Formulario lleno con los datos de la solicitud, el número de contrato de Smartflex y el CI "
                "completo del titular (descifrado solo para generar el PDF). Para el Ejecutivo de Ventas Digitales "
                "y el Responsable de Canales, una vez digitada la venta (pasos 21-23)."
            ),
            "security": [{"bearer": []}],
            "parameters": [{"name": "solicitud_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "El PDF (Content-Disposition: inline)",
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                },
                "401": {"description": "Sin token o token inválido", "content": _ERROR},
                "403": {"description": "Rol distinto de EJ o RC", "content": _ERROR},
                "404": {"description": "No existe", "content": _ERROR},
                "409": {"description": "La venta aún no está registrada en Smartflex", "content": _ERROR},
            },
        }
    },
}
