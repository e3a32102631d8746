"""HTTP routes: health, the public web form (step 1) and the staff API. Handlers: parse → command → service."""

from __future__ import annotations

import uuid
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import get_services
from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.errors import DatosInvalidos
from chalicelib.domain.model import Rol, Solicitud
from chalicelib.handlers.http import (
    EntradaInvalida,
    cuerpo_formulario,
    cuerpo_json,
    html_response,
    http_errors,
    json_response,
    parametro,
    tipo_contenido,
    usuario_actual,
)
from chalicelib.observability import logger
from chalicelib.services import formulario
from chalicelib.services.formulario import es_trampa, validar_formulario
from chalicelib.services.solicitudes import parsear_accion, rol_para
from chalicelib.services.vistas import vista_historial, vista_solicitud

api = Blueprint(__name__)
FORMULARIO_TIPOS = ["application/x-www-form-urlencoded", "application/json", "multipart/form-data"]


@api.route("/health", methods=["GET"])
def health() -> Response:
    return json_response({"estado": "ok", "servicio": "ventas-digitales"})


# --- Step 1: hosted web form ---


@api.route("/solicitud", methods=["GET"])
@http_errors
def show_form() -> Response:
    valores = {k: v for k, v in (api.current_request.query_params or {}).items() if k.startswith("utm_")}
    return html_response(_pagina_formulario(valores, {}))


@api.route("/solicitud", methods=["POST"], content_types=FORMULARIO_TIPOS)
@http_errors
def submit_form() -> Response:
    request = api.current_request
    es_json = tipo_contenido(request) == "application/json"
    if tipo_contenido(request) == "multipart/form-data":
        raise EntradaInvalida("Envíe el formulario como application/x-www-form-urlencoded o JSON.")
    crudos: dict[str, Any] = cuerpo_json(request) if es_json else cuerpo_formulario(request)
    servicios = get_services()
    if es_trampa(crudos):
        logger.info("formulario descartado por campo trampa")
        return _recibida(formulario.recibo_suelto(servicios.ids), es_json)
    try:
        cmd = validar_formulario(crudos, servicios.normalizadores)
    except DatosInvalidos as exc:
        if es_json:
            raise
        return html_response(_pagina_formulario(crudos, exc.errores), 422)
    recibo = servicios.registrar_envio_web(cmd)
    logger.append_keys(recibo=recibo)
    return _recibida(recibo, es_json)


def _pagina_formulario(valores: dict[str, Any], errores: dict[str, str]) -> str:
    contexto = {
        "valores": {k: v for k, v in valores.items() if isinstance(v, str) and k != "sitio_web"},
        "errores": errores,
        "envio_id": valores.get("envio_id") or str(uuid.uuid4()),
        "accion": "solicitud",
    }
    return str(get_services().plantillas.pagina("solicitud_form", contexto))


def _recibida(recibo: str, es_json: bool) -> Response:
    """The one answer to an accepted submission, whatever it led to (new request, joined an open one, repeated,
    honeypot, over the acknowledgement limit): 201 with this submission's receipt code, so the form tells nobody
    whether a phone or an email already has a request."""
    mensaje = "Recibimos su solicitud. Un ejecutivo de Ventas Digitales le contactará en horario de oficina."
    if es_json:
        return json_response({"recibo": recibo, "estado": "recibida", "mensaje": mensaje}, 201)
    pagina = get_services().plantillas.pagina("solicitud_recibida", {"recibo": recibo, "mensaje": mensaje})
    return html_response(str(pagina), 201)


# --- Staff API ---


@api.route("/solicitudes", methods=["GET"])
@http_errors
def list_requests() -> Response:
    request = api.current_request
    usuario_actual(request)
    limite_texto = parametro(request, "limite") or "50"
    if not (limite_texto.isascii() and limite_texto.isdigit() and len(limite_texto) <= 9):  # int() refuses '²'
        raise DatosInvalidos({"limite": "Debe ser un número entero."}, "Filtros inválidos.")
    pagina = get_services().listar(
        estado=parametro(request, "estado"),
        mes=parametro(request, "mes"),
        canal=parametro(request, "canal"),
        limite=int(limite_texto),
        cursor=parametro(request, "cursor"),
    )
    return json_response({"solicitudes": [_resumen(s) for s in pagina.solicitudes], "siguiente": pagina.siguiente})


@api.route("/solicitudes/{solicitud_id}", methods=["GET"])
@http_errors
def get_request(solicitud_id: str) -> Response:
    usuario = usuario_actual(api.current_request)
    solicitud, historial = get_services().obtener(solicitud_id)
    return json_response(_detalle(solicitud, historial, usuario.roles))


@api.route("/solicitudes/{solicitud_id}/acciones", methods=["POST"], content_types=["application/json"])
@http_errors
def apply_action(solicitud_id: str) -> Response:
    request = api.current_request
    usuario = usuario_actual(request)
    cuerpo = cuerpo_json(request)
    cmd = _comando_accion(solicitud_id, cuerpo, usuario)
    solicitud = get_services().aplicar(cmd)
    logger.append_keys(solicitud_id=solicitud.id)
    return json_response(
        {
            "solicitud": vista_solicitud(solicitud),
            "acciones_disponibles": _disponibles(solicitud, usuario.roles),
        }
    )


def _comando_accion(solicitud_id: str, cuerpo: dict[str, Any], usuario: Any) -> AplicarAccion:
    errores: dict[str, str] = {}
    nombre = cuerpo.get("accion")
    campos = cuerpo.get("campos", {})
    version = cuerpo.get("version")
    nota = cuerpo.get("nota", "")
    if not isinstance(nombre, str) or not nombre:
        errores["accion"] = "Indique la acción a aplicar."
    if not isinstance(campos, dict):
        errores["campos"] = "Debe ser un objeto con los campos de la acción."
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        errores["version"] = "Debe ser un número entero."
    if not isinstance(nota, str) or len(nota) > 2000:
        errores["nota"] = "Debe ser un texto de hasta 2000 caracteres."
    desconocidos = set(cuerpo) - {"accion", "campos", "version", "nota"}
    for clave in desconocidos:
        errores[str(clave)] = "Campo no admitido."
    if errores:
        raise DatosInvalidos(errores, "La petición no es válida.")
    accion = parsear_accion(str(nombre))
    rol = rol_para(accion, usuario.roles)
    return AplicarAccion(
        solicitud_id=solicitud_id,
        accion=accion.value,
        campos=campos,
        actor=usuario.actor,
        rol=rol,
        canal="api",
        version_esperada=version,
        nota=nota.strip(),
    )


def _disponibles(solicitud: Solicitud, roles: frozenset[Rol]) -> list[dict[str, Any]]:
    return get_services().acciones_para_roles(solicitud, roles)


def _detalle(solicitud: Solicitud, historial: list[Any], roles: frozenset[Rol]) -> dict[str, Any]:
    return {
        "solicitud": vista_solicitud(solicitud),
        "historial": [vista_historial(e) for e in historial],
        "acciones_disponibles": _disponibles(solicitud, roles),
        "documentos": get_services().enlaces_documentos(solicitud, historial),
    }


def _resumen(s: Solicitud) -> dict[str, Any]:
    vista = vista_solicitud(s)
    return {
        k: vista[k]
        for k in (
            "id",
            "estado",
            "estado_etiqueta",
            "canal",
            "creada_en",
            "estado_desde",
            "version",
            "tipo_cliente",
            "tipo_cliente_sugerido",
            "primera_respuesta_en",
            "escalada_en",
        )
    } | {"nombre": s.nombre, "telefono": s.datos.get("telefono")}
