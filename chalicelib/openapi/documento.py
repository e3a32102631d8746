"""The OpenAPI 3.1 document, generated from the models (``make openapi`` writes docs/openapi.json; a test checks it
matches the routes)."""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel

from chalicelib.openapi.pagos import RUTAS_PAGOS
from chalicelib.openapi.reportes import RUTAS_REPORTES
from chalicelib.openapi.solicitudes import (
    MODELOS,
    AccionAplicadaRespuesta,
    AplicarAccionPeticion,
    DetalleSolicitud,
    Error,
    FormularioSolicitud,
    ListaSolicitudes,
    Salud,
    SolicitudRecibida,
    WebhookBotmaker,
    WebhookMeta,
    WebhookRecibido,
)
from chalicelib.openapi.venta import RUTAS_VENTA


def _ref(modelo: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{modelo.__name__}"}


def _json(modelo: type[BaseModel], descripcion: str) -> dict[str, Any]:
    return {"description": descripcion, "content": {"application/json": {"schema": _ref(modelo)}}}


def _errores(*codigos: int) -> dict[str, Any]:
    textos = {
        400: "Entrada mal formada (JSON inválido, no es un objeto)",
        401: "Sin token o token inválido",
        403: "El rol no puede aplicar esta acción",
        404: "No existe",
        409: "Estado incorrecto, regla incumplida o cambio concurrente",
        422: "Campos inválidos",
        503: "Un servicio de AWS no respondió: el canal debe reintentar la entrega",
    }
    return {str(c): _json(Error, textos[c]) for c in codigos}


SEGURIDAD: list[dict[str, list[str]]] = [{"bearer": []}]
FIRMA_INVALIDA = {"401": _json(Error, "Firma o token ausente, mal formado o incorrecto: no se escribe nada")}
ID_PARAM = {"name": "solicitud_id", "in": "path", "required": True, "schema": {"type": "string"}}


def documento() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the public and staff routes (developer routes excluded)."""
    esquemas: dict[str, Any] = {}
    for modelo in MODELOS:
        esquema = modelo.model_json_schema(ref_template="#/components/schemas/{model}")
        esquemas.update(esquema.pop("$defs", {}))
        esquemas[modelo.__name__] = esquema
    formulario = _ref(FormularioSolicitud)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Ventas Digitales API",
            "version": "1.0.0",
            "description": "Formulario web, webhooks y API del personal del procedimiento de Ventas Digitales.",
        },
        "paths": {
            "/health": {"get": {"summary": "Estado del servicio", "responses": {"200": _json(Salud, "Vivo")}}},
            **RUTAS_REPORTES,
            **RUTAS_PAGOS,
            **RUTAS_VENTA,
            "/solicitud": {
                "get": {
                    "summary": "Formulario web (HTML, funciona sin JavaScript)",
                    "responses": {"200": {"description": "Página HTML", "content": {"text/html": {}}}},
                },
                "post": {
                    "summary": "Enviar el formulario web",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {"schema": formulario},
                            "application/json": {"schema": formulario},
                        },
                    },
                    "responses": {
                        "201": _json(
                            SolicitudRecibida,
                            "Envío recibido, con su código de recibo; la misma respuesta si abrió una solicitud, se"
                            " unió a la solicitud abierta de la misma persona o se repitió (HTML si se envió como"
                            " formulario)",
                        ),
                        **_errores(400, 422),
                    },
                },
            },
            "/webhooks/meta": {
                "get": {
                    "summary": "Verificación de la suscripción de Meta (devuelve hub.challenge)",
                    "parameters": [
                        {"name": n, "in": "query", "required": True, "schema": {"type": "string"}}
                        for n in ("hub.mode", "hub.verify_token", "hub.challenge")
                    ],
                    "responses": {
                        "200": {"description": "El desafío, tal cual", "content": {"text/plain": {}}},
                        "403": _json(Error, "Modo, token de verificación o desafío inválidos"),
                    },
                },
                "post": {
                    "summary": "Lead Ads, Messenger y WhatsApp Cloud API: guarda el cuerpo y registra cada elemento",
                    "parameters": [
                        {
                            "name": "X-Hub-Signature-256",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "sha256=<hex> de HMAC-SHA256(app secret, cuerpo crudo)",
                        }
                    ],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(WebhookMeta)}}},
                    "responses": {
                        "200": _json(WebhookRecibido, "Recibido (también objetos o campos desconocidos)"),
                        **_errores(400),
                        **FIRMA_INVALIDA,
                        **_errores(503),
                    },
                },
            },
            "/webhooks/botmaker": {
                "post": {
                    "summary": "Mensajes del chatbot (Botmaker): guarda el cuerpo y registra cada mensaje",
                    "parameters": [
                        {
                            "name": "auth-bm-token",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "Token compartido configurado en Botmaker (nombre de cabecera configurable)",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref(WebhookBotmaker)}},
                    },
                    "responses": {
                        "200": _json(WebhookRecibido, "Recibido"),
                        **_errores(400),
                        **FIRMA_INVALIDA,
                        **_errores(503),
                    },
                }
            },
            "/solicitudes": {
                "get": {
                    "summary": "Listar solicitudes por estado (más antiguas primero) o por mes (más nuevas primero)",
                    "security": SEGURIDAD,
                    "parameters": [
                        {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                        for n in ("estado", "mes", "canal", "limite", "cursor")
                    ],
                    "responses": {"200": _json(ListaSolicitudes, "Una página"), **_errores(401, 422)},
                }
            },
            "/solicitudes/{solicitud_id}": {
                "get": {
                    "summary": "Una solicitud con su historial y las acciones disponibles para el llamante",
                    "security": SEGURIDAD,
                    "parameters": [ID_PARAM],
                    "responses": {"200": _json(DetalleSolicitud, "Detalle"), **_errores(401, 404)},
                }
            },
            "/solicitudes/{solicitud_id}/acciones": {
                "post": {
                    "summary": "Aplicar una acción del procedimiento",
                    "security": SEGURIDAD,
                    "parameters": [ID_PARAM],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref(AplicarAccionPeticion)}},
                    },
                    "responses": {
                        "200": _json(AccionAplicadaRespuesta, "Aplicada: nuevo estado"),
                        "202": _json(
                            Error,
                            "En espera (codigo en_cola): Smartflex no respondió; la acción se aplicará sola cuando "
                            "vuelva (registrar la venta, anularla, confirmar un pago web)",
                        ),
                        **_errores(400, 401, 403, 404, 409, 422),
                    },
                }
            },
        },
        "components": {
            "schemas": esquemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito (etapas AWS) o clave local (etapa local, /dev/tokens).",
                }
            },
        },
    }


def main() -> None:
    sys.stdout.write(json.dumps(documento(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
