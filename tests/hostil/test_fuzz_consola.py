"""Fuzzing the staff console: every route without a session, with forged cookies, and signed in with random form
bodies. Never a 5xx; a refusal is a Spanish page; without a session or a valid CSRF token nothing is written."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.states import Accion
from chalicelib.handlers.consola import _sesiones
from tests.hostil import estrategias as e
from tests.hostil.conftest import PERFIL
from tests.hostil.mundo import ESTADOS, sembrar, solicitud_en, triples_validos

RUTAS = [
    ("GET", "/consola"),
    ("GET", "/consola/ingresar"),
    ("POST", "/consola/ingresar"),
    ("GET", "/consola/auth/callback"),
    ("POST", "/consola/salir"),
    ("GET", "/consola/solicitudes/{id}"),
    ("POST", "/consola/solicitudes/{id}/acciones/{accion}"),
]
IDS = [f"VD-E{n:07d}" for n in range(1, len(ESTADOS) + 1)]
ROLES = ["EJ", "HD", "CO", "CA", "FA", "RC", "JD"]
ACCIONES = [a.value for a in Accion]

galletas = st.one_of(
    st.just(""),
    e.texto_cabecera,
    st.dictionaries(
        st.sampled_from(["vd_consola", "vd_consola_ingreso", "vd_consola_aviso", "otra"]),
        st.one_of(e.texto_cabecera, st.just("eyJ0IjoieCIsInMiOiJ5In0.Zm9v.YmFy")),
        max_size=3,
    ).map(lambda d: "; ".join(f"{k}={v}" for k, v in d.items())),
)
"""No cookie, a garbled header, or console cookies with forged values."""


def _ruta(plantilla: str, ident: str, accion: str) -> str:
    return plantilla.replace("{id}", quote(ident or "x", safe="")).replace("{accion}", quote(accion or "x", safe=""))


@settings(settings.get_profile(PERFIL), max_examples=500)
@given(
    ruta=st.sampled_from(RUTAS),
    ident=st.one_of(st.sampled_from(IDS), e.texto),
    accion=st.one_of(st.sampled_from(ACCIONES), e.texto),
    consulta=st.one_of(
        e.consulta,
        st.fixed_dictionaries(
            {},
            optional={
                "siguiente": st.one_of(st.sampled_from(["//evil.example", "/consola/../x", "/consola?x"]), e.texto),
                "q": e.texto,
                "bandeja": e.texto,
                "estado": e.texto,
                "code": e.texto,
                "state": e.texto,
                "error": e.texto,
            },
        ),
    ),
    cookie=galletas,
    cuerpo=st.one_of(
        e.cuerpo_crudo, st.dictionaries(e.texto, e.texto, max_size=6).map(lambda d: urlencode(d).encode())
    ),
)
def test_without_a_session_every_console_route_answers_without_writing(
    mundo, ruta, ident, accion, consulta, cookie, cuerpo
):
    # Given requests in every state, and a visitor without a valid session
    if not mundo.servicios.repo.solicitudes:
        sembrar(mundo)
    metodo, plantilla = ruta
    cabeceras = ({"Content-Type": "application/x-www-form-urlencoded"} if metodo == "POST" else {}) | (
        {"Cookie": cookie} if cookie else {}
    )
    # When any console route is called with any query, cookies and body
    respuesta = mundo.pedir_sin_escribir(
        f"{metodo} {plantilla} (sin sesión)",
        metodo,
        _ruta(plantilla, ident, accion) + "?" + urlencode(consulta),
        headers=cabeceras,
        body=cuerpo if metodo == "POST" else None,
    )
    # Then a page, a redirect to sign in, or a Spanish refusal; and never a write
    assert respuesta.status_code in (200, 302, 303, 400, 401, 403, 404, 415)
    ubicacion = respuesta.headers.get("Location", "")
    assert not ubicacion or (ubicacion.startswith("/") and not ubicacion.startswith("//"))


def _sesion(mundo, rol: str) -> tuple[str, str]:
    sesiones = _sesiones(mundo.servicios)
    sesion, cookie = sesiones.iniciar(mundo.token(rol))
    return cookie.split(";", 1)[0], sesiones.csrf(sesion.sid)


@settings(settings.get_profile(PERFIL), max_examples=500)
@given(
    objetivo=st.one_of(
        st.sampled_from(triples_validos()),
        st.tuples(st.sampled_from(ESTADOS), st.one_of(st.sampled_from(ACCIONES), e.texto), st.sampled_from(ROLES)),
    ),
    csrf=st.sampled_from(["valido", "valido", "ausente", "otro"]),
    datos=st.data(),
)
def test_a_signed_in_form_with_any_fields_is_applied_or_refused_without_a_write(mundo, objetivo, csrf, datos):
    # Given a signed-in person of that role and a request in that state
    estado, accion, rol = objetivo
    if not mundo.servicios.repo.solicitudes:
        sembrar(mundo)
    solicitud_id = solicitud_en(mundo, estado)
    cookie, token_csrf = _sesion(mundo, rol)
    campos = {
        k: v if isinstance(v, str) else str(v) for k, v in datos.draw(e.campos_de(accion), label="campos").items()
    }
    campos |= datos.draw(
        st.fixed_dictionaries({}, optional={"version": e.numero_texto, "nota": e.texto}), label="control"
    )
    if csrf == "valido":
        campos["csrf"] = token_csrf
    elif csrf == "otro":
        campos["csrf"] = "0" * 64
    version = mundo.estado_de(solicitud_id)[0]
    antes = mundo.huella()
    # When the form is posted
    respuesta = mundo.pedir(
        "POST /consola/solicitudes/{id}/acciones/{accion} (con sesión)",
        "POST",
        _ruta("/consola/solicitudes/{id}/acciones/{accion}", solicitud_id, accion),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        body=urlencode(campos).encode(),
    )
    # Then a redirect after applying it (one version more), or a Spanish page and nothing written
    if respuesta.status_code == 303 and csrf == "valido":
        assert mundo.estado_de(solicitud_id)[0] == version + 1
    else:
        assert respuesta.status_code in (400, 403, 404, 409, 422), respuesta.status_code
        assert mundo.huella() == antes
    if csrf != "valido":  # refused before anything is applied: unreadable form, unknown action, or CSRF
        assert respuesta.status_code in (400, 403, 404)


@settings(settings.get_profile(PERFIL), max_examples=200)
@given(
    rol=st.sampled_from(["EJ", "HD", "CO", "CA", "FA", "RC", "JD"]),
    consulta=st.one_of(
        e.consulta,
        st.fixed_dictionaries(
            {},
            optional={
                "bandeja": e.texto,
                "estado": st.one_of(st.sampled_from(ESTADOS), e.texto),
                "canal": e.texto,
                "q": st.one_of(st.sampled_from(["VD-E0000001", "70712345", "4567890", "María"]), e.texto),
            },
        ),
    ),
    ident=st.one_of(st.sampled_from(IDS), e.texto),
)
def test_signed_in_pages_answer_any_filter_and_id_without_writing(mundo, rol, consulta, ident):
    if not mundo.servicios.repo.solicitudes:
        sembrar(mundo)
    cookie, _ = _sesion(mundo, rol)
    for ruta in ("/consola?" + urlencode(consulta), _ruta("/consola/solicitudes/{id}", ident, "")):
        respuesta = mundo.pedir_sin_escribir("GET /consola… (con sesión)", "GET", ruta, headers={"Cookie": cookie})
        assert respuesta.status_code in (200, 303, 400, 404)
