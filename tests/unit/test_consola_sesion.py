"""The console's cookies (session, CSRF, sign-in handshake, flash) and the Cognito hosted UI URLs. The token
exchange itself needs a real Cognito domain and is not exercised here (README "Staff console")."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest

from chalicelib.adapters.cognito_hosted_ui import CognitoHostedUi, desafio_pkce
from chalicelib.handlers.consola_sesion import (
    COOKIE_AVISO,
    COOKIE_INGRESO,
    COOKIE_SESION,
    CsrfInvalido,
    Ingreso,
    Sesiones,
    leer_cookies,
)


def _sesiones(segura: bool = True, clave: str = "clave-de-prueba") -> Sesiones:
    return Sesiones(clave, ruta="/api/consola", segura=segura)


def _valor(cookie: str) -> str:
    return cookie.split(";", 1)[0].split("=", 1)[1]


def test_a_session_cookie_reads_back_the_token_it_was_issued_with():
    # Given a session issued for a token
    sesiones = _sesiones()
    sesion, cookie = sesiones.iniciar("token-jwt")
    # When the browser sends the cookie back
    leida = sesiones.sesion({COOKIE_SESION: _valor(cookie)})
    # Then it is the same session
    assert leida == sesion and leida.token == "token-jwt"


def test_the_session_cookie_is_http_only_same_site_secure_and_scoped_to_the_console():
    _, cookie = _sesiones().iniciar("t")
    atributos = cookie.split("; ")[1:]
    assert atributos == ["Path=/api/consola", "Max-Age=43200", "HttpOnly", "SameSite=Lax", "Secure"]


def test_only_the_local_stage_over_http_omits_secure():
    _, cookie = _sesiones(segura=False).iniciar("t")
    assert "Secure" not in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize(
    "alterar",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),
        lambda v: "x" + v,
        lambda v: "",
    ],
    ids=["signature", "payload", "empty"],
)
def test_a_tampered_session_cookie_is_no_session(alterar):
    sesiones = _sesiones()
    _, cookie = sesiones.iniciar("t")
    assert sesiones.sesion({COOKIE_SESION: alterar(_valor(cookie))}) is None


def test_a_cookie_signed_with_another_key_is_no_session():
    _, cookie = _sesiones(clave="otra-clave").iniciar("t")
    assert _sesiones().sesion({COOKIE_SESION: _valor(cookie)}) is None


def test_a_sign_in_cookie_cannot_stand_in_for_a_session():
    sesiones = _sesiones()
    _, cookie = sesiones.iniciar_ingreso("/api/consola")
    assert sesiones.sesion({COOKIE_SESION: _valor(cookie)}) is None


def test_an_expired_session_is_no_session(monkeypatch):
    # Given a session issued 13 hours ago
    sesiones = _sesiones()
    ahora = time.time()
    monkeypatch.setattr(time, "time", lambda: ahora - 13 * 3600)
    _, cookie = sesiones.iniciar("t")
    monkeypatch.setattr(time, "time", lambda: ahora)
    # Then it is no longer accepted
    assert sesiones.sesion({COOKIE_SESION: _valor(cookie)}) is None


def test_the_csrf_token_belongs_to_one_session_and_one_purpose():
    # Given two sessions
    sesiones = _sesiones()
    una, _ = sesiones.iniciar("t")
    otra, _ = sesiones.iniciar("t")
    token = sesiones.csrf(una.sid)
    # Then the token is accepted for its session only, and not for the sign-in form
    sesiones.verificar_csrf(una.sid, token)
    for sid, enviado, proposito in ((otra.sid, token, "sesion"), (una.sid, token, "ingreso"), (una.sid, "", "sesion")):
        with pytest.raises(CsrfInvalido):
            sesiones.verificar_csrf(sid, enviado, proposito)
    with pytest.raises(CsrfInvalido):
        sesiones.verificar_csrf(None, token)


def test_the_sign_in_handshake_keeps_state_nonce_verifier_and_return_address():
    sesiones = _sesiones()
    ingreso, cookie = sesiones.iniciar_ingreso("/api/consola/solicitudes/VD-1", oidc=True)
    leido = sesiones.ingreso({COOKIE_INGRESO: _valor(cookie)})
    assert leido == ingreso
    assert len(ingreso.estado) >= 32 and len(ingreso.nonce) >= 32 and len(ingreso.verificador) >= 43
    assert "Max-Age=600" in cookie


def test_the_callback_state_must_be_the_one_this_browser_sent():
    ingreso = Ingreso(sid="s", estado="estado-enviado", nonce="nonce-enviado")
    assert Sesiones.estado_valido(ingreso, "estado-enviado")
    assert not Sesiones.estado_valido(ingreso, "estado-de-otro")
    assert not Sesiones.estado_valido(ingreso, None)
    assert not Sesiones.estado_valido(None, "estado-enviado")
    assert not Sesiones.estado_valido(Ingreso(sid="s"), "")


def test_the_id_token_nonce_must_be_the_one_this_sign_in_sent():
    ingreso = Ingreso(sid="s", estado="e", nonce="nonce-enviado")
    assert Sesiones.nonce_valido(ingreso, "nonce-enviado")
    assert not Sesiones.nonce_valido(ingreso, "nonce-repetido")
    assert not Sesiones.nonce_valido(ingreso, None)
    assert not Sesiones.nonce_valido(Ingreso(sid="s"), "")


def test_a_flash_message_reads_back_once_issued():
    sesiones = _sesiones()
    cookie = sesiones.aviso("Listo: «Clasificar como residencial».")
    assert sesiones.leer_aviso({COOKIE_AVISO: _valor(cookie)}) == "Listo: «Clasificar como residencial»."
    assert "Max-Age=0" in sesiones.borrar(COOKIE_AVISO)


def test_cookies_are_read_from_the_header_and_a_broken_header_is_no_cookies():
    assert leer_cookies("a=1; vd_consola=abc.def-ghi_") == {"a": "1", "vd_consola": "abc.def-ghi_"}
    assert leer_cookies("") == {}


# --- Cognito hosted UI ---


def _hosted() -> CognitoHostedUi:
    return CognitoHostedUi(
        dominio="vd-dev.auth.us-east-1.amazoncognito.com",
        client_id="cliente123",
        url_retorno="https://ventas.example/api/consola/auth/callback",
        url_salida="https://ventas.example/api/consola/ingresar",
    )


def test_pkce_challenge_matches_rfc_7636_appendix_b():
    assert desafio_pkce("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_authorize_url_asks_for_a_code_with_state_nonce_and_pkce():
    url = urlparse(_hosted().url_autorizacion(estado="st", nonce="no", verificador="ve" * 30))
    parametros = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "vd-dev.auth.us-east-1.amazoncognito.com",
        "/oauth2/authorize",
    )
    assert parametros == {
        "response_type": "code",
        "client_id": "cliente123",
        "redirect_uri": "https://ventas.example/api/consola/auth/callback",
        "scope": "openid email profile",
        "state": "st",
        "nonce": "no",
        "code_challenge": desafio_pkce("ve" * 30),
        "code_challenge_method": "S256",
    }


def test_the_logout_url_returns_to_the_console_sign_in():
    url = urlparse(_hosted().url_cierre())
    assert url.path == "/logout"
    assert parse_qs(url.query) == {
        "client_id": ["cliente123"],
        "logout_uri": ["https://ventas.example/api/consola/ingresar"],
    }
    assert _hosted().origen == "https://vd-dev.auth.us-east-1.amazoncognito.com"


def test_the_nonce_is_read_from_an_id_token():
    token = jwt.encode({"sub": "u", "nonce": "n-1"}, "clave-de-prueba-de-32-bytes-o-mas!!", algorithm="HS256")
    assert CognitoHostedUi.nonce_de(token) == "n-1"
    assert (
        CognitoHostedUi.nonce_de(jwt.encode({"sub": "u"}, "clave-de-prueba-de-32-bytes-o-mas!!", algorithm="HS256"))
        is None
    )
    assert CognitoHostedUi.nonce_de("no-es-un-jwt") is None
