"""HTTP edge helpers: the one error-mapping view decorator, JSON/HTML responses, body parsing, staff auth."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import parse_qs

from chalice.app import Request, Response

from chalicelib.bootstrap import get_services
from chalicelib.domain.errors import (
    AccionDesconocida,
    AccionEnCola,
    AccionRechazada,
    ConflictoConcurrente,
    DatosInvalidos,
    DomainError,
    EstadoInvalido,
    FirmaInvalida,
    NoAutenticado,
    RolNoAutorizado,
    ServicioExternoNoDisponible,
    SmartflexRechazo,
    SolicitudNoEncontrada,
)
from chalicelib.observability import logger

CABECERAS_JSON = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}
CABECERAS_HTML = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
}
MAX_CUERPO = 256 * 1024

ESTADO_HTTP: dict[type[DomainError], int] = {
    AccionEnCola: 202,
    NoAutenticado: 401,
    FirmaInvalida: 401,
    RolNoAutorizado: 403,
    SolicitudNoEncontrada: 404,
    EstadoInvalido: 409,
    AccionRechazada: 409,
    ConflictoConcurrente: 409,
    DatosInvalidos: 422,
    AccionDesconocida: 422,
    SmartflexRechazo: 422,
    ServicioExternoNoDisponible: 503,
}


class EntradaInvalida(DomainError):
    """The request body or query is malformed (not JSON, not an object, too large, wrong encoding)."""

    codigo = "entrada_invalida"


def json_response(cuerpo: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(cuerpo, ensure_ascii=False, default=str),
        status_code=status,
        headers={**CABECERAS_JSON, **(headers or {})},
    )


def html_response(cuerpo: str, status: int = 200) -> Response:
    return Response(body=cuerpo, status_code=status, headers=dict(CABECERAS_HTML))


def error_json(error: DomainError, status: int) -> Response:
    cuerpo: dict[str, Any] = {"codigo": error.codigo, "mensaje": error.mensaje}
    if isinstance(error, DatosInvalidos):
        cuerpo["errores"] = error.errores
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NoAutenticado) else None
    return json_response(cuerpo, status, headers)


def http_errors(vista: Callable[..., Response]) -> Callable[..., Response]:
    """Map domain errors to their HTTP status with a Spanish JSON body; unexpected errors become a logged 500
    without details (bad input is always a 4xx: it raises a DomainError before anything is written)."""

    @functools.wraps(vista)
    def envoltura(*args: Any, **kwargs: Any) -> Response:
        try:
            return vista(*args, **kwargs)
        except EntradaInvalida as exc:
            return error_json(exc, 400)
        except DomainError as exc:
            status = next((s for tipo, s in ESTADO_HTTP.items() if isinstance(exc, tipo)), 400)
            que = "solicitud en espera" if status < 400 else "solicitud rechazada"
            logger.info(que, extra={"codigo": exc.codigo, "status": status})
            return error_json(exc, status)
        except Exception as exc:
            causa = aws_no_responde(exc)
            if causa is not None:
                logger.warning("aws no responde", extra={"error": type(causa).__name__, "status": 503})
                return json_response(NO_DISPONIBLE, 503, {"Retry-After": "5"})
            logger.exception("error inesperado")
            return json_response(
                {"codigo": "error_interno", "mensaje": "Ocurrió un error inesperado. Intente nuevamente."}, 500
            )

    return envoltura


NO_DISPONIBLE: dict[str, str] = {
    "codigo": "servicio_no_disponible",
    "mensaje": "El servicio no está disponible en este momento. Reintente en unos segundos.",
}


_ERRORES_DE_RED: frozenset[tuple[str, str]] = frozenset(
    {("botocore.exceptions", "ConnectionError"), ("botocore.exceptions", "HTTPClientError")}
)
"""botocore's bases of connect/read timeouts and connection errors, named: the edge imports no botocore (layers)."""


def aws_no_responde(exc: BaseException) -> BaseException | None:
    """The botocore error behind ``exc`` when an AWS endpoint did not connect or answer in time after the client's
    retries (connect/read timeouts, connection errors), however wrapped (pynamodb's PutError, Powertools'
    GetParameterError), else None. The door answers 503 and the caller retries: each write is all or nothing, and
    one applied with its answer lost is recognised by its conditional key on the retry."""
    vistos: set[int] = set()
    actual: BaseException | None = exc
    while actual is not None and id(actual) not in vistos:
        if any((c.__module__, c.__name__) in _ERRORES_DE_RED for c in type(actual).__mro__):
            return actual
        vistos.add(id(actual))
        actual = actual.__cause__ or actual.__context__
    return None


ERRORES_DEL_MARCO: dict[int, tuple[str, str]] = {
    400: ("entrada_invalida", "La petición no es válida."),
    405: ("metodo_no_admitido", "Este método HTTP no está admitido en esta dirección."),
    415: ("tipo_no_admitido", "Tipo de contenido no admitido: envíe el cuerpo con el Content-Type indicado."),
}


def errores_del_marco(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: the refusals Chalice answers before any view runs (415 media type, 405 method) and its
    last-resort 500 come as English ``{"Code", "Message"}``; they become our Spanish JSON error."""
    respuesta = get_response(request)
    cuerpo = respuesta.body
    if not (isinstance(cuerpo, dict) and set(cuerpo) == {"Code", "Message"}):
        return respuesta
    status = respuesta.status_code
    codigo, mensaje = ERRORES_DEL_MARCO.get(
        status, ("error_interno", "Ocurrió un error inesperado. Intente nuevamente.")
    )
    otras = {k: str(v) for k, v in respuesta.headers.items() if k.lower() != "content-type" and isinstance(v, str)}
    return json_response({"codigo": codigo, "mensaje": mensaje}, status, otras)


def cuerpo_crudo(request: Request, maximo: int = MAX_CUERPO) -> bytes:
    crudo = request.raw_body or b""
    if isinstance(crudo, str):
        crudo = crudo.encode("utf-8")
    if len(crudo) > maximo:
        raise EntradaInvalida("El cuerpo de la solicitud es demasiado grande.")
    return crudo


def tipo_contenido(request: Request) -> str:
    return leer_cabecera(request, "content-type").split(";")[0].strip().lower()


def cuerpo_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object; EntradaInvalida (400) otherwise."""
    return objeto_json(cuerpo_crudo(request))


def objeto_json(crudo: bytes) -> dict[str, Any]:
    """Raw bytes as a JSON object; EntradaInvalida (400) otherwise."""
    try:
        datos = json.loads(crudo.decode("utf-8"))
    except (ValueError, RecursionError):  # also integers over Python's 4300-digit limit (ValueError)
        raise EntradaInvalida("El cuerpo no es JSON válido.") from None
    if not isinstance(datos, dict):
        raise EntradaInvalida("El cuerpo debe ser un objeto JSON.")
    return datos


def forma_de_objeto_json(crudo: bytes) -> None:
    """EntradaInvalida (400) unless the bytes are UTF-8 text between ``{`` and ``}``: what an authenticated webhook
    door checks before its one write. Cheap and constant per byte (no parse: the stream parses the body when it
    splits it, and keeps a signed body that does not parse raw, marked ``ignorado`` with the reason)."""
    try:
        texto = crudo.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise EntradaInvalida("El cuerpo no es texto UTF-8.") from None
    if not (texto.startswith("{") and texto.endswith("}")):
        raise EntradaInvalida("El cuerpo debe ser un objeto JSON.")


def cuerpo_formulario(request: Request) -> dict[str, str]:
    """A form-encoded body (first value of each field); EntradaInvalida (400) if undecodable."""
    try:
        campos = parse_qs(cuerpo_crudo(request).decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise EntradaInvalida("El formulario no se pudo leer.") from None
    return {k: v[0] for k, v in campos.items()}


def usuario_actual(request: Request) -> Any:
    """The authenticated staff member from ``Authorization: Bearer <jwt>``; NoAutenticado (401) otherwise."""
    cabecera = leer_cabecera(request, "authorization")
    esquema, _, token = cabecera.partition(" ")
    if esquema.lower() != "bearer" or not token.strip():
        raise NoAutenticado("Falta el token de acceso (Authorization: Bearer …).")
    return get_services().verificador.verificar(token.strip())


def leer_cabecera(request: Request, nombre: str) -> str:
    """A request header (case-insensitive), or ''."""
    cabeceras = cast(Mapping[str, str], request.headers)
    return str(cabeceras.get(nombre) or "")


def parametro(request: Request, nombre: str) -> str | None:
    """A non-empty query parameter, stripped, or None."""
    parametros = cast(Mapping[str, str], request.query_params or {})
    valor = parametros.get(nombre)
    return valor.strip() if isinstance(valor, str) and valor.strip() else None
