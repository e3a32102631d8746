"""Developer endpoints of the local stage only (registered by app.py when VD_STAGE=local; never packaged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import get_services
from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.model import Rol
from chalicelib.handlers.http import html_response, http_errors, json_response, leer_cabecera, parametro

dev = Blueprint(__name__)


def personas() -> dict[Rol, tuple[str, str]]:
    """One local staff member per role, with the role's mailbox as address (the directory port's list, the same
    as the local sign-in page's)."""
    return {p.rol: (p.email, p.nombre) for p in get_services().directorio.personas()}


def trabajos() -> dict[str, Callable[[dict[str, Any]], Any]]:
    """Scheduled jobs that a developer can run now with POST /dev/jobs/{job}."""
    servicios = get_services()
    return {
        "escalamiento": lambda _params: {"escaladas": servicios.escalar_sin_atencion()},
        "recordatorios_requisitos": lambda _params: {"recordadas": servicios.recordar_requisitos()},
        "recordatorios_hd": lambda _params: servicios.recordar_help_desk(),
        "resumen_no_atendidas": lambda _params: servicios.enviar_resumen_no_atendidas(),
        "alerta_tablero": lambda params: servicios.avisar_proyeccion(
            forzar=str(params.get("forzar", "")).lower() in ("1", "true", "si", "sí")
        ),
        "informe_mensual": lambda params: servicios.enviar_informe_mensual(
            EnviarInformeMensual(
                mes=params.get("mes") or None,
                reenviar=str(params.get("reenviar", "")).lower() in ("1", "true", "si", "sí"),
                solicitado_por="dev/jobs",
            )
        ),
    }


def emitir_tokens() -> dict[str, str]:
    verificador = get_services().verificador
    return {
        rol.value: verificador.emitir(rol=rol, email=email, nombre=nombre)
        for rol, (email, nombre) in personas().items()
    }


@dev.route("/dev/tokens", methods=["GET"])
@http_errors
def dev_tokens() -> Response:
    return json_response({"tokens": emitir_tokens(), "uso": "Authorization: Bearer <token>"})


@dev.route("/dev/config", methods=["GET"])
@http_errors
def dev_config() -> Response:
    settings = get_services().settings
    return json_response(
        {
            "stage": settings.stage,
            "url_publica": settings.url_publica,
            "aws_endpoint": settings.dynamodb_host,
            "buzones": settings.buzones.como_dict(),
            "secretos": {
                "clave_tokens_local": settings.clave_local,
                "meta_app_secrets": list(settings.meta_app_secrets),
                "meta_verify_token": settings.meta_verify_token,
                "graph_token": settings.graph_token,
                "botmaker_token": settings.botmaker_token,
                "pasarela_pagos": list(get_services().secretos.valores("secreto_pagos")),
            },
            "webhooks": {
                "meta": f"{settings.url_publica}/webhooks/meta",
                "botmaker": f"{settings.url_publica}/webhooks/botmaker",
                "cabecera_firma_meta": "X-Hub-Signature-256",
                "cabecera_token_botmaker": settings.botmaker_cabecera,
                "graph_url": settings.graph_url,
                "pagos": f"{settings.url_publica}/webhooks/pagos",
                "cabeceras_pagos": ["webhook-id", "webhook-timestamp", "webhook-signature"],
                "pasarela_simulada": f"{settings.url_publica}/dev/pasarela/{{solicitud_id}}",
            },
            "smtp": {
                "host": "127.0.0.1",
                "puerto": 2525,
                "dominio": settings.buzones.remitente.rpartition("@")[2],
                "buzones_autorizados": {rol: list(b) for rol, b in settings.buzones_autorizados.items()},
                "simular_falsificado": "X-Veredicto-Local: dmarc=FAIL",
            },
        }
    )


@dev.route("/dev/outbox", methods=["GET"])
@http_errors
def dev_outbox() -> Response:
    from localstage.outbox import leer_outbox, render_outbox_html

    request = dev.current_request
    mensajes = leer_outbox(str(get_services().settings.dynamodb_host))
    quiere_html = parametro(request, "formato") == "html" or "text/html" in leer_cabecera(request, "accept")
    if quiere_html:
        return html_response(render_outbox_html(mensajes))
    return json_response({"total": len(mensajes), "mensajes": mensajes})


@dev.route("/dev/mensajes", methods=["GET"])
@http_errors
def dev_mensajes() -> Response:
    """What WhatsApp, Messenger and Botmaker "sent" (the local Graph API stand-in's record), JSON or HTML."""
    import requests

    from localstage.mensajes import base_graph_local, leer_mensajes, render_mensajes_html

    request = dev.current_request
    base = base_graph_local(get_services().settings.graph_url)
    try:
        mensajes = leer_mensajes(base)
    except (requests.RequestException, ValueError):
        return json_response(
            {
                "codigo": "mensajeria_local_no_disponible",
                "mensaje": f"La mensajería local (Graph API y Botmaker simulados) no responde en {base}. "
                "Inicie la etapa local con «make run».",
            },
            503,
        )
    quiere_html = parametro(request, "formato") == "html" or "text/html" in leer_cabecera(request, "accept")
    if quiere_html:
        return html_response(render_mensajes_html(mensajes))
    return json_response({"total": len(mensajes), "mensajes": mensajes})


@dev.route("/dev/jobs/{job}", methods=["POST"])
@http_errors
def dev_run_job(job: str) -> Response:
    disponibles = trabajos()
    if job not in disponibles:
        return json_response(
            {
                "codigo": "trabajo_desconocido",
                "mensaje": f"No existe el trabajo «{job}».",
                "disponibles": sorted(disponibles),
            },
            404,
        )
    parametros = dict(dev.current_request.query_params or {})
    return json_response({"trabajo": job, "resultado": disponibles[job](parametros)})


@dev.route("/dev/smartflex/anular/{numero_contrato}", methods=["POST"])
@http_errors
def dev_smartflex_cancel(numero_contrato: str) -> Response:
    """Cancel a sale in the simulated Smartflex (``?motivo=`` or JSON ``{"motivo"}``) and apply ``anular`` with
    ``origen_anulacion=smartflex`` as the system, as the real integration would on Smartflex's notice."""
    from chalicelib.handlers.http import cuerpo_json
    from chalicelib.services.vistas import vista_solicitud

    request = dev.current_request
    motivo = parametro(request, "motivo") or ""
    if not motivo and request.raw_body:
        motivo = str(cuerpo_json(request).get("motivo") or "")
    solicitud = get_services().anular_desde_smartflex(numero_contrato, motivo)
    return json_response({"numero_contrato": numero_contrato, "solicitud": vista_solicitud(solicitud)})


@dev.route("/dev/entrantes", methods=["GET"])
@http_errors
def dev_entrantes() -> Response:
    """Webhook items waiting or failed (``?estado=pendiente|fallido|procesado|ignorado``; default both first two)."""
    from dataclasses import asdict

    from chalicelib.domain.model import EstadoEntrante

    pedido = parametro(dev.current_request, "estado")
    estados = [pedido] if pedido else [EstadoEntrante.PENDIENTE.value, EstadoEntrante.FALLIDO.value]
    if any(e not in {x.value for x in EstadoEntrante} for e in estados):
        return json_response({"codigo": "estado_desconocido", "mensaje": "Estado de entrante desconocido."}, 422)
    entrantes = get_services().entrantes
    por_estado = {e: [asdict(x) for x in entrantes.listar(e)] for e in estados}
    return json_response({"total": sum(len(v) for v in por_estado.values()), "entrantes": por_estado})
