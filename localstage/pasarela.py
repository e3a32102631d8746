"""The payment gateway, simulated (local stage only; never packaged): a checkout page per request and its
signed callback, so that the web-payment path can be walked end to end.

- ``GET /dev/pasarela/{solicitud_id}``: the amount due (editable, to try a wrong amount) and a "Pagar" button.
- ``POST /dev/pasarela/{solicitud_id}``: "the customer pays": the gateway signs a ``pago.aprobado`` callback with
  the current ``secreto_pagos`` (Standard Webhooks) and POSTs it to ``{url_publica}/webhooks/pagos``, then shows
  what it sent and the answer. A real gateway does the same from its own servers.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import get_services
from chalicelib.domain.pagos import TIPO_PAGO_APROBADO, monto_esperado
from chalicelib.handlers.http import cuerpo_formulario, html_response, http_errors, leer_cabecera
from chalicelib.services.pagos import firmar

pasarela = Blueprint(__name__)
MEDIOS = (("tarjeta", "Tarjeta de débito o crédito"), ("qr", "QR Simple"), ("billetera", "Billetera móvil"))

Entrega = Callable[[str, dict[str, str], bytes], tuple[int, str]]


def _entregar_http(url: str, cabeceras: dict[str, str], cuerpo: bytes) -> tuple[int, str]:
    peticion = urllib.request.Request(url, data=cuerpo, headers=cabeceras, method="POST")
    try:
        with urllib.request.urlopen(peticion, timeout=15) as respuesta:  # noqa: S310 - local stage only
            return int(respuesta.status), respuesta.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")
    except OSError as exc:
        return 0, f"No se pudo entregar el aviso: {exc}"


entregar: Entrega = _entregar_http
"""How the simulated gateway delivers its callback (tests replace it with the in-process client)."""


def aviso_firmado(datos: dict[str, Any], secreto: str, webhook_id: str | None = None) -> tuple[dict[str, str], bytes]:
    """Headers and body of a signed callback, exactly as a Standard Webhooks sender builds them."""
    cuerpo = json.dumps(datos, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    identificador = webhook_id or f"msg_{secrets.token_hex(12)}"
    marca = int(time.time())
    cabeceras = {
        "Content-Type": "application/json",
        "webhook-id": identificador,
        "webhook-timestamp": str(marca),
        "webhook-signature": firmar(secreto, identificador, marca, cuerpo),
    }
    return cabeceras, cuerpo


def _base(url_publica: str) -> str:
    """The server that showed the checkout (its Host header), else the public URL: the callback reaches this app."""
    host = leer_cabecera(pasarela.current_request, "host")
    return f"http://{host}" if host.startswith(("127.0.0.1:", "localhost:")) else url_publica


@pasarela.route("/dev/pasarela/{solicitud_id}", methods=["GET"])
@http_errors
def show_checkout(solicitud_id: str) -> Response:
    servicios = get_services()
    solicitud, _ = servicios.obtener(solicitud_id)
    monto = monto_esperado(solicitud)
    contexto = {"solicitud": solicitud, "monto": monto, "medios": MEDIOS, "resultado": None}
    return html_response(str(servicios.plantillas.pagina("pasarela", contexto)))


@pasarela.route("/dev/pasarela/{solicitud_id}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@http_errors
def pay_checkout(solicitud_id: str) -> Response:
    servicios = get_services()
    solicitud, _ = servicios.obtener(solicitud_id)
    campos = cuerpo_formulario(pasarela.current_request)
    monto_texto = (campos.get("monto") or "").replace(",", ".").strip()
    datos = {
        "tipo": TIPO_PAGO_APROBADO,
        "id_transaccion": f"TX-{secrets.token_hex(5).upper()}",
        "referencia": solicitud.id,
        "monto_bs": float(monto_texto) if monto_texto.replace(".", "", 1).isdigit() else monto_texto,
        "fecha": servicios.clock.ahora().isoformat(),
        "medio": campos.get("medio") or "tarjeta",
    }
    secreto = servicios.secretos.valores("secreto_pagos")[0]
    cabeceras, cuerpo = aviso_firmado(datos, secreto)
    status, respuesta = entregar(f"{_base(servicios.settings.url_publica)}/webhooks/pagos", cabeceras, cuerpo)
    contexto = {
        "solicitud": solicitud,
        "monto": monto_esperado(solicitud),
        "medios": MEDIOS,
        "resultado": {"status": status, "respuesta": respuesta, "aviso": datos, "cabeceras": cabeceras},
    }
    return html_response(str(servicios.plantillas.pagina("pasarela", contexto)))
