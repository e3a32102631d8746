"""Channel webhooks (step 1): Meta (Lead Ads, Messenger, WhatsApp Cloud API) and Botmaker.

Verify (constant time, over the raw body, before parsing) → check it is shaped as a JSON object → one durable write of the
delivery as it came → 200, in the same time whatever the delivery's size. The delivery is split into items, and
they are deduplicated, enriched and merged, on the entrantes stream (``stream_entrantes.on_entrante``).
"""

from __future__ import annotations

import re

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import get_services
from chalicelib.domain.commands import RecibirWebhook
from chalicelib.handlers.http import (
    cuerpo_crudo,
    forma_de_objeto_json,
    http_errors,
    json_response,
    leer_cabecera,
    parametro,
)
from chalicelib.observability import logger
from chalicelib.services.webhooks import ResultadoWebhook, token_valido, verificar_botmaker, verificar_meta

webhooks = Blueprint(__name__)
TIPOS_JSON = ["application/json"]
MAX_WEBHOOK = 6 * 1024 * 1024
"""Meta batches up to 1000 updates per POST; API Gateway accepts 10 MB."""
_RETO = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


@webhooks.route("/webhooks/meta", methods=["GET"])
@http_errors
def verify_meta_webhook() -> Response:
    """Meta's subscription handshake: echo ``hub.challenge`` when ``hub.verify_token`` is ours."""
    request = webhooks.current_request
    reto = parametro(request, "hub.challenge") or ""
    token_ok = token_valido(parametro(request, "hub.verify_token"), get_services().secretos.valor("meta_verify_token"))
    if parametro(request, "hub.mode") == "subscribe" and token_ok and _RETO.match(reto):
        return Response(body=reto, status_code=200, headers={"Content-Type": "text/plain; charset=utf-8"})
    logger.warning("verificacion de webhook de meta rechazada")
    mensaje = "Verificación rechazada: modo, token de verificación o desafío inválidos."
    return json_response({"codigo": "verificacion_rechazada", "mensaje": mensaje}, 403)


@webhooks.route("/webhooks/meta", methods=["POST"], content_types=TIPOS_JSON)
@http_errors
def receive_meta_webhook() -> Response:
    request = webhooks.current_request
    cuerpo = cuerpo_crudo(request, MAX_WEBHOOK)
    servicios = get_services()
    verificar_meta(
        cuerpo, leer_cabecera(request, "x-hub-signature-256"), servicios.secretos.valores("meta_app_secrets")
    )
    forma_de_objeto_json(cuerpo)
    return _recibida(servicios.recibir_webhook(RecibirWebhook(canal="meta", cuerpo=cuerpo)))


@webhooks.route("/webhooks/botmaker", methods=["POST"], content_types=TIPOS_JSON)
@http_errors
def receive_botmaker_webhook() -> Response:
    request = webhooks.current_request
    cuerpo = cuerpo_crudo(request, MAX_WEBHOOK)
    servicios = get_services()
    cabecera = leer_cabecera(request, servicios.settings.botmaker_cabecera)
    verificar_botmaker(cuerpo, cabecera, servicios.secretos.valor("botmaker_token"))
    forma_de_objeto_json(cuerpo)
    return _recibida(servicios.recibir_webhook(RecibirWebhook(canal="botmaker", cuerpo=cuerpo)))


def _recibida(resultado: ResultadoWebhook) -> Response:
    return json_response({"recibido": True, "entrega": resultado.entrega, "duplicada": resultado.duplicada})
