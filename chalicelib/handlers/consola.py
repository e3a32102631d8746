"""Staff console: server-rendered pages for the executive, the team lead and every other staff role.

Another door to the same use cases as the staff API: the queue reads through ``Services.cola`` (the ``por_estado``
index via ``listar``), the request page through ``obtener`` and ``acciones_para_roles``, and every form posts one
``AplicarAccion`` whose role ``rol_para`` chooses, so what a person may see and apply is the services' decision.
The request page also shows the conversation with the customer (``hilo_conversacion``) and its message form posts
to ``Services.escribir_al_cliente`` (executive and team lead only). ``/consola/pendientes`` lists the sends waiting
for their provider (``Services.envios_pendientes``, RC and JD), and the request page notes its own waiting sends.
Handlers: session → parse → one service call → page or 303 redirect.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlencode, urlparse

from chalice.app import Blueprint, Request, Response

from chalicelib.bootstrap import Services, get_services
from chalicelib.config import ConfiguracionIncompleta
from chalicelib.domain.actions import ACCIONES
from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.errors import (
    AccionDesconocida,
    AccionEnCola,
    AccionRechazada,
    ConflictoConcurrente,
    DatosInvalidos,
    DomainError,
    EstadoInvalido,
    MensajeNoEnviado,
    NoAutenticado,
    RolNoAutorizado,
    SolicitudNoEncontrada,
)
from chalicelib.domain.events import ACCION_CAPTURA, ACCION_REDIGITACION
from chalicelib.domain.model import EntradaHistorial, Rol, Solicitud
from chalicelib.domain.pendientes import ColaPendiente
from chalicelib.domain.seguimiento import ROLES_REPORTES
from chalicelib.domain.states import ETIQUETA_ESTADO, Estado
from chalicelib.handlers.consola_sesion import (
    COOKIE_AVISO,
    COOKIE_INGRESO,
    COOKIE_SESION,
    CsrfInvalido,
    Sesion,
    Sesiones,
)
from chalicelib.handlers.consola_sesion import leer_cookies as _leer_cookies
from chalicelib.handlers.http import CABECERAS_HTML, EntradaInvalida, cuerpo_formulario, leer_cabecera, parametro
from chalicelib.observability import logger
from chalicelib.services.consola import (
    MI_TRABAJO,
    ROLES_MENSAJE_CLIENTE,
    SIN_CANAL_CLIENTE,
    bandejas_para,
    canal_respuesta,
    hilo_conversacion,
)
from chalicelib.services.documentos import ROLES_CONTRATO
from chalicelib.services.mensajeria import (
    ETIQUETA_CANAL_MENSAJE,
    MAX_TEXTO_EJECUTIVO,
    ResultadoMensaje,
    texto_ejecutivo,
)
from chalicelib.services.solicitudes import parsear_accion, rol_para
from chalicelib.services.vistas import vista_historial, vista_solicitud

consola = Blueprint(__name__)

FORMULARIO: Final = ["application/x-www-form-urlencoded"]
CAMPOS_DE_CONTROL: Final = frozenset({"csrf", "version", "nota"})
MAX_NOTA: Final = 2000
_ID = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_REFERENCIA = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
NO_ENVIADO: Final = "No se pudo enviar"
"""How every notice of a message that did not go begins (shown as an alert, not as a success)."""
ETIQUETA_CAMPO: Final[Mapping[str, str]] = {
    "disponible": "Con cobertura",
    "velocidad_maxima_mbps": "Velocidad máxima (Mbps)",
    "zona_cobertura": "Zona de cobertura",
    "fuente": "Fuente",
    "numero_contrato": "Contrato",
    "codigo_cliente": "Código de cliente",
    "nueva_solicitud_id": "Nueva solicitud",
    "redigitacion_de": "Redigitación de",
    "etapa": "Etapa",
    "ciudad": "Ciudad",
    "servicio": "Servicio",
    "consentimiento": "Autorización de contacto",
    **{c.nombre: c.etiqueta for definicion in ACCIONES.values() for c in definicion.campos},
}
ETIQUETA_OPCION: Final[Mapping[str, Mapping[str, str]]] = {
    c.nombre: dict(c.opciones) for definicion in ACCIONES.values() for c in definicion.campos if c.opciones
}
ETIQUETA_EVENTO: Final[Mapping[str, str]] = {
    ACCION_CAPTURA: "Registro de la solicitud",
    ACCION_REDIGITACION: "Redigitación",
    **{a.value: d.etiqueta for a, d in ACCIONES.items()},
}
"""The Spanish label of every applied action a queue of pending sends may hold."""


# --- request context ---


@dataclass
class Puerta:
    """What every console handler knows about the request: the signed-in person and the cookies to send."""

    servicios: Services
    sesiones: Sesiones
    raiz: str
    cookies: dict[str, str]
    sesion: Sesion | None = None
    usuario: Any = None
    enviar: list[str] = field(default_factory=list)

    @property
    def csrf(self) -> str:
        return self.sesiones.csrf(self.sesion.sid) if self.sesion else ""

    def url(self, *partes: str) -> str:
        return self.raiz + "".join("/" + quote(p, safe="") for p in partes)


def raiz_consola(url_publica: str) -> str:
    """The console's path as the browser sees it (API Gateway adds the stage, e.g. ``/api/consola``)."""
    return urlparse(url_publica).path.rstrip("/") + "/consola"


def _sesiones(servicios: Services) -> Sesiones:
    """Cookies on the console's path; ``Secure`` unless the local stage is served over plain http. Sessions are
    recorded on the server (``Services.sesiones_consola``) and checked with the staff token verifier."""
    settings = servicios.settings
    segura = not (settings.es_local and settings.url_publica.startswith("http://"))
    return Sesiones(
        servicios.clave_consola,
        ruta=raiz_consola(settings.url_publica),
        segura=segura,
        registro=servicios.sesiones_consola,
        verificador=servicios.verificador,
    )


def _puerta(request: Request, *, autenticada: bool = True) -> Puerta:
    servicios = get_services()
    raiz = raiz_consola(servicios.settings.url_publica)
    puerta = Puerta(servicios, _sesiones(servicios), raiz, _leer_cookies(leer_cabecera(request, "cookie")))
    puerta.sesion = puerta.sesiones.sesion(puerta.cookies)
    if autenticada:
        puerta.usuario = puerta.sesiones.usuario(puerta.sesion)
    return puerta


# --- responses ---


def _csp(servicios: Services | None) -> str:
    destinos = "'self'"
    hosted = servicios.hosted_ui if servicios is not None and not servicios.settings.es_local else None
    if hosted is not None:
        destinos += " " + hosted.origen
    return (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'none'; "
        f"base-uri 'none'; form-action {destinos}; frame-ancestors 'none'"
    )


def _cabeceras(puerta: Puerta | None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    cabeceras: dict[str, Any] = {
        **CABECERAS_HTML,
        "Content-Security-Policy": _csp(puerta.servicios if puerta else None),
    }
    if puerta is not None and puerta.enviar:
        cabeceras["Set-Cookie"] = list(puerta.enviar)
    cabeceras.update(extra or {})
    return cabeceras


def _html(puerta: Puerta | None, plantilla: str, contexto: Mapping[str, Any], status: int = 200) -> Response:
    servicios = puerta.servicios if puerta else get_services()
    base = {
        "raiz": puerta.raiz if puerta else raiz_consola(servicios.settings.url_publica),
        "usuario": _vista_usuario(puerta.usuario) if puerta and puerta.usuario else None,
        "csrf": puerta.csrf if puerta else "",
    }
    cuerpo = str(servicios.plantillas.pagina(plantilla, {**base, **contexto}))
    return Response(body=cuerpo, status_code=status, headers=_cabeceras(puerta))


def _redirigir(puerta: Puerta | None, destino: str, status: int = 303) -> Response:
    return Response(body="", status_code=status, headers=_cabeceras(puerta, {"Location": destino}))


def _vista_usuario(usuario: Any) -> dict[str, Any]:
    roles = sorted(usuario.roles, key=lambda r: r.value)
    return {
        "nombre": usuario.nombre or usuario.email or usuario.sub,
        "email": usuario.email,
        "roles": [{"codigo": r.value, "etiqueta": r.etiqueta} for r in roles],
    }


def _pagina_error(status: int, titulo: str, mensaje: str, puerta: Puerta | None = None) -> Response:
    try:
        return _html(puerta, "consola_error", {"titulo": titulo, "mensaje": mensaje, "status": status}, status)
    except Exception:
        logger.exception("no se pudo mostrar la página de error de la consola")
        return Response(body=mensaje, status_code=status, headers={**CABECERAS_HTML})


def _ruta_actual(request: Request) -> str:
    ruta = request.path
    for nombre, valor in (request.uri_params or {}).items():
        ruta = ruta.replace("{" + nombre + "}", quote(valor, safe=""))
    consulta = {k: v for k, v in (request.query_params or {}).items() if isinstance(v, str)}
    return ruta + (f"?{urlencode(consulta)}" if consulta else "")


def _siguiente_seguro(raiz: str, valor: str | None) -> str:
    """A post-sign-in destination only inside the console (no open redirect)."""
    if not valor or "\\" in valor or "//" in valor or ".." in valor or any(ord(c) < 32 for c in valor):
        return raiz
    if valor == raiz or valor.startswith(raiz + "/") or valor.startswith(raiz + "?"):
        return valor
    return raiz


def paginas(vista: Callable[..., Response]) -> Callable[..., Response]:
    """The console's error mapping: Spanish HTML pages, and a sign-in redirect when there is no valid session."""

    @functools.wraps(vista)
    def envoltura(*args: Any, **kwargs: Any) -> Response:
        try:
            return vista(*args, **kwargs)
        except NoAutenticado:
            return _a_ingresar(consola.current_request)
        except CsrfInvalido as exc:
            return _pagina_error(403, "Formulario no válido", exc.mensaje)
        except RolNoAutorizado as exc:
            return _pagina_error(403, "Acción no permitida para su rol", exc.mensaje)
        except (SolicitudNoEncontrada, AccionDesconocida) as exc:
            return _pagina_error(404, "No encontrado", exc.mensaje)
        except EntradaInvalida as exc:
            return _pagina_error(400, "Petición no válida", exc.mensaje)
        except DatosInvalidos as exc:
            detalle = " ".join(exc.errores.values())
            return _pagina_error(400, "Filtros no válidos", f"{exc.mensaje} {detalle}".strip())
        except DomainError as exc:
            return _pagina_error(409, "No se pudo completar", exc.mensaje)
        except ConfiguracionIncompleta:
            logger.exception("consola sin configurar")
            return _pagina_error(503, "Consola no disponible", "La consola no está configurada en este entorno.")
        except Exception:
            logger.exception("error inesperado en la consola")
            return _pagina_error(500, "Error inesperado", "Ocurrió un error inesperado. Intente nuevamente.")

    return envoltura


def _a_ingresar(request: Request) -> Response:
    servicios = get_services()
    prefijo = urlparse(servicios.settings.url_publica).path.rstrip("/")
    raiz = prefijo + "/consola"
    siguiente = prefijo + _ruta_actual(request)
    destino = f"{raiz}/ingresar"
    if request.method == "GET" and siguiente != raiz:
        destino += "?" + urlencode({"siguiente": siguiente})
    borrar = _sesiones(servicios).borrar(COOKIE_SESION)
    return Response(
        body="",
        status_code=303,
        headers={**CABECERAS_HTML, "Location": destino, "Set-Cookie": [borrar]},
    )


# --- sign-in ---


@consola.route("/consola/ingresar", methods=["GET"])
@paginas
def show_sign_in() -> Response:
    request = consola.current_request
    puerta = _puerta(request, autenticada=False)
    siguiente = _siguiente_seguro(puerta.raiz, parametro(request, "siguiente"))
    if not puerta.servicios.settings.es_local:
        hosted = puerta.servicios.hosted_ui
        if hosted is None:
            raise ConfiguracionIncompleta("VD_COGNITO_DOMINIO is not set")
        ingreso, cookie = puerta.sesiones.iniciar_ingreso(siguiente, oidc=True)
        puerta.enviar.append(cookie)
        url = hosted.url_autorizacion(estado=ingreso.estado, nonce=ingreso.nonce, verificador=ingreso.verificador)
        return _redirigir(puerta, url, 302)
    ingreso, cookie = puerta.sesiones.iniciar_ingreso(siguiente)
    puerta.enviar.append(cookie)
    contexto = {"personas": _personas_locales(), "csrf_ingreso": puerta.sesiones.csrf(ingreso.sid, "ingreso")}
    return _html(puerta, "consola_ingresar", contexto)


@consola.route("/consola/ingresar", methods=["POST"], content_types=FORMULARIO)
@paginas
def sign_in() -> Response:
    request = consola.current_request
    puerta = _puerta(request, autenticada=False)
    if not puerta.servicios.settings.es_local:
        return _pagina_error(404, "No encontrado", "En este entorno se ingresa con su cuenta institucional.")
    formulario = cuerpo_formulario(request)
    ingreso = puerta.sesiones.ingreso(puerta.cookies)
    puerta.sesiones.verificar_csrf(ingreso.sid if ingreso else None, formulario.get("csrf"), "ingreso")
    personas = {p["rol"]: p for p in _personas_locales()}
    persona = personas.get(formulario.get("rol", ""))
    if persona is None:
        raise EntradaInvalida("Elija una de las personas de la lista.")
    token = puerta.servicios.verificador.emitir(
        rol=Rol(persona["rol"]), email=persona["email"], nombre=persona["nombre"]
    )
    _, cookie = puerta.sesiones.iniciar(token)
    puerta.enviar += [cookie, puerta.sesiones.borrar(COOKIE_INGRESO)]
    return _redirigir(puerta, _siguiente_seguro(puerta.raiz, ingreso.siguiente if ingreso else None))


@consola.route("/consola/auth/callback", methods=["GET"])
@paginas
def sign_in_callback() -> Response:
    request = consola.current_request
    puerta = _puerta(request, autenticada=False)
    hosted = None if puerta.servicios.settings.es_local else puerta.servicios.hosted_ui
    if hosted is None:
        return _pagina_error(404, "No encontrado", "Esta dirección solo se usa con el inicio de sesión de Cognito.")
    ingreso = puerta.sesiones.ingreso(puerta.cookies)
    puerta.enviar.append(puerta.sesiones.borrar(COOKIE_INGRESO))
    if parametro(request, "error"):
        return _pagina_error(401, "No se inició la sesión", "El inicio de sesión fue cancelado o rechazado.", puerta)
    codigo = parametro(request, "code")
    if not codigo or ingreso is None or not puerta.sesiones.estado_valido(ingreso, parametro(request, "state")):
        return _pagina_error(
            400, "Inicio de sesión no válido", "El inicio de sesión venció; vuelva a ingresar.", puerta
        )
    token = hosted.canjear_codigo(codigo, ingreso.verificador)
    usuario = puerta.servicios.verificador.verificar(token)
    if not puerta.sesiones.nonce_valido(ingreso, hosted.nonce_de(token)):
        return _pagina_error(
            400, "Inicio de sesión no válido", "El inicio de sesión venció; vuelva a ingresar.", puerta
        )
    _, cookie = puerta.sesiones.iniciar(token, usuario)
    puerta.enviar.append(cookie)
    return _redirigir(puerta, _siguiente_seguro(puerta.raiz, ingreso.siguiente))


@consola.route("/consola/salir", methods=["POST"], content_types=FORMULARIO)
@paginas
def sign_out() -> Response:
    request = consola.current_request
    puerta = _puerta(request, autenticada=False)
    if puerta.sesion is not None:
        puerta.sesiones.verificar_csrf(puerta.sesion.sid, cuerpo_formulario(request).get("csrf"))
        puerta.sesiones.cerrar(puerta.sesion)
    puerta.enviar.append(puerta.sesiones.borrar(COOKIE_SESION))
    hosted = None if puerta.servicios.settings.es_local else puerta.servicios.hosted_ui
    return _redirigir(puerta, hosted.url_cierre() if hosted is not None else puerta.url("ingresar"))


def _personas_locales() -> list[dict[str, str]]:
    """The local stage's staff members, one per role (the directory port; the same as ``/dev/tokens``)."""
    return [
        {"rol": p.rol.value, "etiqueta": p.rol.etiqueta, "email": p.email, "nombre": p.nombre}
        for p in get_services().directorio.personas()
    ]


# --- work queue ---


@consola.route("/consola", methods=["GET"])
@paginas
def show_queue() -> Response:
    request = consola.current_request
    puerta = _puerta(request)
    filtros = {
        "bandeja": parametro(request, "bandeja") or MI_TRABAJO,
        "estado": parametro(request, "estado"),
        "canal": parametro(request, "canal"),
        "busqueda": parametro(request, "q"),
    }
    cola = puerta.servicios.cola(puerta.usuario.roles, **filtros)
    if cola.encontrada:
        return _redirigir(puerta, puerta.url("solicitudes", cola.encontrada))
    contexto = {
        "bandejas": bandejas_para(puerta.usuario.roles),
        "cola": cola,
        "filtros": filtros,
        "filas": [_fila(s) for s in cola.solicitudes],
        "estados": [{"valor": e.value, "etiqueta": ETIQUETA_ESTADO[e]} for e in cola.bandeja.estados],
        "aviso": _tomar_aviso(puerta),
    }
    return _html(puerta, "consola_bandeja", contexto)


def _fila(s: Solicitud) -> dict[str, Any]:
    return {
        "id": s.id,
        "nombre": s.nombre,
        "telefono": s.datos.get("telefono"),
        "estado": s.estado,
        "estado_etiqueta": ETIQUETA_ESTADO[Estado(s.estado)],
        "canal": s.canal,
        "estado_desde": s.estado_desde,
        "creada_en": s.creada_en,
        "escalada_en": s.escalada_en,
    }


def _tomar_aviso(puerta: Puerta) -> str | None:
    aviso = puerta.sesiones.leer_aviso(puerta.cookies)
    if aviso is not None and puerta.sesiones.borrar(COOKIE_AVISO) not in puerta.enviar:
        puerta.enviar.append(puerta.sesiones.borrar(COOKIE_AVISO))
    return aviso


# --- the month as it happens (issue 20) ---


def _solo_rc_jd(puerta: Puerta, que: str) -> Response | None:
    """The 403 page of a console page for the team lead and the division head (``ROLES_REPORTES``) only."""
    if ROLES_REPORTES & frozenset(puerta.usuario.roles):
        return None
    mensaje = f"Solo el Responsable de Canales y el Jefe de División pueden {que}."
    return _pagina_error(403, "Página no permitida para su rol", mensaje, puerta)


FORMATOS_TABLERO: Final = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@consola.route("/consola/tablero", methods=["GET"])
@paginas
def show_dashboard() -> Response:
    """The month to date beside the previous month (RC and JD): billing and the KPI so far, the funnel per
    channel, speed to lead, losses and why, the open pipeline and the daily trend; ``?mes=`` and ``?canal=`` filter,
    ``?formato=csv|xlsx`` downloads what is shown."""
    request = consola.current_request
    puerta = _puerta(request)
    if rechazo := _solo_rc_jd(puerta, "ver el tablero del mes"):
        return rechazo
    formato = parametro(request, "formato")
    if formato and formato not in FORMATOS_TABLERO:
        raise EntradaInvalida("Formato no disponible: use csv o xlsx.")
    contenido = puerta.servicios.tablero_del_mes(
        parametro(request, "mes"), parametro(request, "canal"), puerta.usuario.roles
    )
    if formato:
        return _descarga_tablero(puerta, contenido, formato)
    contexto = {
        "seccion": "tablero",
        "t": contenido,
        "canales": contenido["canales"],
        "filtros": {"mes": contenido["mes"], "canal": contenido["canal"] or ""},
    }
    return _html(puerta, "consola_tablero", contexto)


def _descarga_tablero(puerta: Puerta, contenido: dict[str, Any], formato: str) -> Response:
    from chalicelib.services.reportes import csv_de
    from chalicelib.services.tablero import tablas

    hojas = tablas(contenido)
    cuerpo: str | bytes = csv_de(hojas) if formato == "csv" else puerta.servicios.hojas.libro(hojas)
    nombre = f"tablero-{contenido['mes']}" + (f"-{contenido['canal']}" if contenido["canal"] else "") + f".{formato}"
    cabeceras: dict[str, str | list[str]] = {
        "Content-Type": FORMATOS_TABLERO[formato],
        "Content-Disposition": f'attachment; filename="{nombre}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if puerta.enviar:
        cabeceras["Set-Cookie"] = list(puerta.enviar)
    return Response(body=cuerpo, status_code=200, headers=cabeceras)


# --- sends waiting for their provider ---


@consola.route("/consola/pendientes", methods=["GET"])
@paginas
def show_pending_sends() -> Response:
    """Every request's queue of sends waiting for their provider, the one waiting longest first (RC and JD)."""
    puerta = _puerta(consola.current_request)
    if rechazo := _solo_rc_jd(puerta, "ver los envíos pendientes"):
        return rechazo
    ahora = puerta.servicios.clock.ahora()
    colas = [_vista_cola(puerta, c, estancada=c.estancada(ahora)) for c in puerta.servicios.envios_pendientes()]
    programados = [
        {**asdict(e), "estancado": e.estancada(ahora)} for e in puerta.servicios.envios_programados_pendientes()
    ]
    contexto = {
        "seccion": "pendientes",
        "colas": colas,
        "programados": programados,
        "estancadas": sum(1 for c in colas if c["estancada"]) + sum(1 for e in programados if e["estancado"]),
    }
    return _html(puerta, "consola_pendientes", contexto)


def _vista_cola(puerta: Puerta, cola: ColaPendiente, *, estancada: bool = False) -> dict[str, Any]:
    return {
        "solicitud_id": cola.solicitud_id,
        "enlace": puerta.url("solicitudes", cola.solicitud_id),
        "desde": cola.desde,
        "proveedor": cola.proveedor,
        "motivo": cola.motivo,
        "intentos": cola.intentos,
        "ultimo_intento": cola.ultimo_intento,
        "proximo_intento": cola.proximo_intento,
        "estancada": estancada,
        "eventos": [
            *(
                {"etiqueta": _etiqueta_evento(a.comando.accion) + " (espera a Smartflex)", "en": a.en}
                for a in cola.acciones
            ),
            *({"etiqueta": _etiqueta_evento(e.accion), "en": e.en} for e in cola.eventos),
        ],
        "acciones": [
            {"etiqueta": _etiqueta_evento(a.comando.accion), "en": a.en, "pedida_por": a.comando.actor}
            for a in cola.acciones
        ],
    }


def _etiqueta_evento(accion: str) -> str:
    return ETIQUETA_EVENTO.get(accion) or accion.replace("_", " ").capitalize()


def _envios_en_espera(puerta: Puerta, solicitud_id: str) -> dict[str, Any] | None:
    """The request's queue of pending sends for its page's notice; a failed read only loses the notice."""
    try:
        cola = puerta.servicios.pendientes.de_solicitud(solicitud_id)
    except Exception:
        logger.exception("no se pudo leer la cola de envíos pendientes", extra={"solicitud_id": solicitud_id})
        return None
    return _vista_cola(puerta, cola) if cola is not None else None


# --- one request ---


@consola.route("/consola/solicitudes/{solicitud_id}", methods=["GET"])
@paginas
def show_request(solicitud_id: str) -> Response:
    puerta = _puerta(consola.current_request)
    solicitud, historial = puerta.servicios.obtener(_id(solicitud_id))
    return _pagina_solicitud(puerta, solicitud, historial, aviso=_tomar_aviso(puerta))


@consola.route("/consola/solicitudes/{solicitud_id}/contrato", methods=["GET"])
@paginas
def show_contract(solicitud_id: str) -> Response:
    """The printable Solicitud Contrato de Servicios for a signed-in executive or team lead (the link of the
    "Venta registrada en Smartflex" email and of the request page); the same service as the staff API's
    ``/solicitudes/{id}/contrato``, with the console session instead of a bearer token."""
    puerta = _puerta(consola.current_request)
    documento = puerta.servicios.contrato_pdf(_id(solicitud_id), puerta.usuario.roles)
    logger.append_keys(solicitud_id=solicitud_id)
    cabeceras: dict[str, Any] = {
        "Content-Type": documento.tipo,
        "Content-Disposition": f'inline; filename="{documento.nombre}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if puerta.enviar:
        cabeceras["Set-Cookie"] = list(puerta.enviar)
    return Response(body=documento.contenido, status_code=200, headers=cabeceras)


@consola.route("/consola/solicitudes/{solicitud_id}/acciones/{accion}", methods=["POST"], content_types=FORMULARIO)
@paginas
def apply_action(solicitud_id: str, accion: str) -> Response:
    request = consola.current_request
    puerta = _puerta(request)
    formulario = cuerpo_formulario(request)
    puerta.sesiones.verificar_csrf(puerta.sesion.sid if puerta.sesion else None, formulario.get("csrf"))
    cmd = comando_formulario(_id(solicitud_id), accion, formulario, puerta.usuario)
    try:
        solicitud = puerta.servicios.aplicar(cmd)
    except DatosInvalidos as exc:
        actual, historial = puerta.servicios.obtener(cmd.solicitud_id)
        return _pagina_solicitud(
            puerta, actual, historial, fallida=cmd.accion, valores=formulario, errores=exc.errores, status=422
        )
    except (EstadoInvalido, AccionRechazada, ConflictoConcurrente) as exc:
        actual, historial = puerta.servicios.obtener(cmd.solicitud_id)
        return _pagina_solicitud(
            puerta, actual, historial, fallida=cmd.accion, valores=formulario, rechazo=exc.mensaje, status=409
        )
    except AccionEnCola as exc:  # Smartflex did not answer: the action waits, the page says so
        puerta.enviar.append(puerta.sesiones.aviso(exc.mensaje))
        return _redirigir(puerta, puerta.url("solicitudes", cmd.solicitud_id))
    logger.append_keys(solicitud_id=solicitud.id)
    puerta.enviar.append(puerta.sesiones.aviso(_aviso_aplicada(cmd.accion, solicitud)))
    return _redirigir(puerta, puerta.url("solicitudes", solicitud.id))


def comando_formulario(solicitud_id: str, nombre: str, formulario: Mapping[str, str], usuario: Any) -> AplicarAccion:
    """The form of one action as the command every door sends: its fields, the version the page showed, the
    note, and the role ``rol_para`` chooses from the person's roles (RolNoAutorizado when none may)."""
    accion = parsear_accion(nombre)
    rol = rol_para(accion, usuario.roles)
    version_texto = (formulario.get("version") or "").strip()
    if version_texto and not (version_texto.isascii() and version_texto.isdigit() and len(version_texto) <= 9):
        raise EntradaInvalida("La versión de la solicitud no es válida; vuelva a cargar la página.")
    nota = (formulario.get("nota") or "").strip()
    if len(nota) > MAX_NOTA:
        raise DatosInvalidos({"nota": f"Admite como máximo {MAX_NOTA} caracteres."}, "Revise los campos marcados.")
    return AplicarAccion(
        solicitud_id=solicitud_id,
        accion=accion.value,
        campos={k: v for k, v in formulario.items() if k not in CAMPOS_DE_CONTROL},
        actor=usuario.actor,
        rol=rol,
        canal="consola",
        version_esperada=int(version_texto) if version_texto else None,
        nota=nota,
    )


def _aviso_aplicada(accion: str, solicitud: Solicitud) -> str:
    etiqueta = ACCIONES[parsear_accion(accion)].etiqueta
    texto = f"Listo: «{etiqueta}». Estado actual: {ETIQUETA_ESTADO[Estado(solicitud.estado)]}."
    if solicitud.redigitada_como:
        texto += f" Nueva solicitud: {solicitud.redigitada_como}."
    return texto


@consola.route("/consola/solicitudes/{solicitud_id}/mensajes", methods=["POST"], content_types=FORMULARIO)
@paginas
def write_to_customer(solicitud_id: str) -> Response:
    """The executive (or the team lead) writes to the customer on the channel they last wrote on."""
    request = consola.current_request
    puerta = _puerta(request)
    formulario = cuerpo_formulario(request)
    puerta.sesiones.verificar_csrf(puerta.sesion.sid if puerta.sesion else None, formulario.get("csrf"))
    solicitud_id = _id(solicitud_id)
    if not ROLES_MENSAJE_CLIENTE & frozenset(puerta.usuario.roles):
        raise RolNoAutorizado(
            "Solo el Ejecutivo de Ventas Digitales y el Responsable de Canales pueden escribir al cliente."
        )
    referencia = formulario.get("referencia") or ""
    if not _REFERENCIA.match(referencia):
        raise EntradaInvalida("El formulario del mensaje no es válido; vuelva a cargar la página.")
    texto = formulario.get("texto") or ""
    try:
        texto_ejecutivo(texto)
        resultado = puerta.servicios.escribir_al_cliente(
            solicitud_id,
            texto,
            actor=puerta.usuario.email or puerta.usuario.actor,
            nombre_actor=puerta.usuario.nombre or puerta.usuario.email or puerta.usuario.actor,
            referencia=referencia,
        )
    except DatosInvalidos as exc:
        actual, historial = puerta.servicios.obtener(solicitud_id)
        error = exc.errores.get("texto") or exc.mensaje
        return _pagina_solicitud(puerta, actual, historial, mensaje=texto, error_mensaje=error, status=422)
    except MensajeNoEnviado:
        logger.warning("mensaje del ejecutivo por reintentar", extra={"solicitud_id": solicitud_id})
        aviso = f"{NO_ENVIADO}: el servicio de mensajería no respondió. Intente de nuevo en unos minutos."
    else:
        logger.append_keys(solicitud_id=solicitud_id)
        aviso = _aviso_mensaje(resultado)
    puerta.enviar.append(puerta.sesiones.aviso(aviso))
    return _redirigir(puerta, puerta.url("solicitudes", solicitud_id))


def _aviso_mensaje(resultado: ResultadoMensaje) -> str:
    """The Spanish notice of what happened to the executive's message."""
    canal = ETIQUETA_CANAL_MENSAJE.get(resultado.canal or "", resultado.canal or "")
    if resultado.estado == "enviado":
        return f"Mensaje enviado por {canal}."
    if resultado.estado == "duplicado":
        return "Ese mensaje ya se había enviado; no se envió otra vez."
    if resultado.estado == "sin_canal":
        return f"{NO_ENVIADO}: {SIN_CANAL_CLIENTE[0].lower()}{SIN_CANAL_CLIENTE[1:]}"
    motivo = {
        "baja": f"el cliente pidió no recibir mensajes por {canal}",
        "fuera_de_ventana": "pasaron más de 7 días desde el último mensaje del cliente en Messenger",
    }.get(resultado.estado, f"{canal or 'el proveedor'} rechazó el mensaje")
    if resultado.respaldo_correo:
        siguiente = " Se le envió el mensaje por correo electrónico."
    else:
        siguiente = " Comuníquese con el cliente por correo o por teléfono."
    return f"{NO_ENVIADO}: {motivo}.{siguiente}"


def _id(solicitud_id: str) -> str:
    if not _ID.match(solicitud_id):
        raise SolicitudNoEncontrada(f"No existe la solicitud {solicitud_id[:40]}.")
    return solicitud_id


def _pagina_solicitud(
    puerta: Puerta,
    solicitud: Solicitud,
    historial: list[EntradaHistorial],
    *,
    aviso: str | None = None,
    fallida: str | None = None,
    valores: Mapping[str, str] | None = None,
    errores: Mapping[str, str] | None = None,
    rechazo: str | None = None,
    mensaje: str = "",
    error_mensaje: str | None = None,
    status: int = 200,
) -> Response:
    acciones = [
        _formulario(a, valores, errores) if a["accion"] == fallida else _formulario(a, None, None)
        for a in puerta.servicios.acciones_para_roles(solicitud, puerta.usuario.roles)
    ]
    contexto = {
        "s": vista_solicitud(solicitud),
        "acciones": acciones,
        "fallida": fallida,
        "rechazo": rechazo,
        "error_general": (errores or {}).get("_"),
        "aviso": aviso,
        "aviso_error": bool(aviso and aviso.startswith(NO_ENVIADO)),
        "hilo": hilo_conversacion(solicitud, historial),
        "respuesta": canal_respuesta(solicitud, historial, puerta.servicios.clock.ahora()),
        "escribir": {
            "permitido": bool(ROLES_MENSAJE_CLIENTE & frozenset(puerta.usuario.roles)),
            "referencia": secrets.token_hex(16),
            "texto": mensaje,
            "error": error_mensaje,
            "maximo": MAX_TEXTO_EJECUTIVO,
            "sin_canal": SIN_CANAL_CLIENTE,
        },
        "documentos": puerta.servicios.enlaces_documentos(solicitud, historial),
        "en_espera": _envios_en_espera(puerta, solicitud.id),
        "puede_contrato": bool(ROLES_CONTRATO & frozenset(puerta.usuario.roles)),
        "historial": [vista_historial(e) for e in reversed(historial)],
        "etiqueta_accion": {a.value: d.etiqueta for a, d in ACCIONES.items()},
        "etiqueta_campo": ETIQUETA_CAMPO,
        "etiqueta_opcion": ETIQUETA_OPCION,
    }
    return _html(puerta, "consola_solicitud", contexto, status)


def _formulario(
    accion: dict[str, Any], valores: Mapping[str, str] | None, errores: Mapping[str, str] | None
) -> dict[str, Any]:
    """An available action with what its form needs: each field's id, kept value and Spanish error."""
    nombre = accion["accion"]
    enviados = valores or {}
    fallos = dict(errores or {})
    campos = []
    for campo in accion["campos"]:
        campos.append(
            {
                **campo,
                "id": f"{nombre}-{campo['nombre']}",
                "valor": enviados.get(campo["nombre"], ""),
                "error": fallos.pop(campo["nombre"], None),
            }
        )
    fallos.pop("_", None)
    return {
        **accion,
        "campos": campos,
        "nota": enviados.get("nota", ""),
        "error_nota": fallos.pop("nota", None),
        "otros_errores": list(fallos.values()),
        "con_error": valores is not None,
    }
