"""The console's cookies (session, CSRF, sign-in handshake, flash) and the Cognito hosted UI URLs. The token
exchange itself needs a real Cognito domain and is not exercised here (docs/console.md)."""

from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import parse_qs, urlparse

import jwt
import pytest

from chalicelib.adapters.cognito_hosted_ui import CognitoHostedUi, desafio_pkce
from chalicelib.domain.errors import NoAutenticado
from chalicelib.handlers.consola_sesion import (
    COOKIE_AVISO,
    COOKIE_INGRESO,
    COOKIE_SESION,
    CsrfInvalido,
    Ingreso,
    Sesion,
    Sesiones,
    leer_cookies,
)
from tests.fakes_sesiones import InMemorySesionesConsola


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


# --- server-side sessions ---


class VerificadorFalso:
    """Tokens ``<email>|<roles comma-separated>`` (any other is invalid), as the staff token verifier reads them."""

    def verificar(self, token: str):
        from chalicelib.adapters.auth import TokenInvalido, Usuario
        from chalicelib.domain.model import Rol

        email, _, roles = token.partition("|")
        if not email or not roles:
            raise TokenInvalido("Token inválido o vencido.")
        return Usuario(sub=f"sub-{email}", nombre=email, email=email, roles=frozenset(Rol(r) for r in roles.split(",")))


def _servidor(registro=None) -> tuple[Sesiones, InMemorySesionesConsola]:
    registro = registro or InMemorySesionesConsola()
    sesiones = Sesiones("clave", ruta="/consola", segura=True, registro=registro, verificador=VerificadorFalso())
    return sesiones, registro


def _leida(sesiones: Sesiones, cookie: str):
    return sesiones.sesion({COOKIE_SESION: _valor(cookie)})


def test_signing_in_records_the_session_with_the_person_and_roles_of_the_token():
    sesiones, registro = _servidor()
    # When a person signs in
    sesion, cookie = sesiones.iniciar("Eva@Comteco.bo|EJ,RC")
    # Then the server keeps who, with which roles and until when; the cookie carries the token and the id
    (guardada,) = registro.sesiones.values()
    assert (
        guardada.sid == sesion.sid and guardada.identidad == "eva@comteco.bo" and guardada.sub == "sub-Eva@Comteco.bo"
    )
    assert guardada.roles == ("EJ", "RC") and guardada.vence_en - guardada.creada_en == 12 * 3600
    assert sesiones.usuario(_leida(sesiones, cookie)).email == "Eva@Comteco.bo"


def test_after_sign_out_the_same_cookie_is_refused():
    sesiones, registro = _servidor()
    sesion, cookie = sesiones.iniciar("eva@comteco.bo|EJ")
    # When the session is closed
    sesiones.cerrar(sesion)
    # Then the (still validly signed) cookie is no session any more
    assert _leida(sesiones, cookie) == sesion
    with pytest.raises(NoAutenticado):
        sesiones.usuario(_leida(sesiones, cookie))
    assert registro.sesiones == {}


def test_revoking_a_person_ends_all_their_sessions_and_no_one_elses():
    sesiones, registro = _servidor()
    _, movil = sesiones.iniciar("eva@comteco.bo|EJ")
    _, escritorio = sesiones.iniciar("eva@comteco.bo|EJ")
    _, de_otro = sesiones.iniciar("hugo@comteco.bo|HD")
    # When Eva's sessions are revoked (her role changed)
    registro.revocar_sesiones("EVA@comteco.bo")
    # Then both of hers are refused, Hugo's is not, and a new sign-in of hers works
    for cookie in (movil, escritorio):
        with pytest.raises(NoAutenticado):
            sesiones.usuario(_leida(sesiones, cookie))
    assert sesiones.usuario(_leida(sesiones, de_otro)).email == "hugo@comteco.bo"
    _, nueva = sesiones.iniciar("eva@comteco.bo|EJ,JD")
    assert {r.value for r in sesiones.usuario(_leida(sesiones, nueva)).roles} == {"EJ", "JD"}


def test_a_session_whose_roles_differ_from_the_tokens_is_refused_and_closed():
    sesiones, registro = _servidor()
    sesion, cookie = sesiones.iniciar("eva@comteco.bo|EJ")
    registro.sesiones[sesion.sid] = replace(registro.sesiones[sesion.sid], roles=("EJ", "JD"))
    with pytest.raises(NoAutenticado):
        sesiones.usuario(_leida(sesiones, cookie))
    assert registro.sesiones == {}


def test_a_recorded_session_of_another_person_does_not_open_for_this_token():
    # Given a cookie forged with the key: Hugo's token on Eva's session id
    sesiones, _ = _servidor()
    eva, _ = sesiones.iniciar("eva@comteco.bo|EJ")
    falsa = Sesion(token="hugo@comteco.bo|HD", sid=eva.sid)
    # Then it is no session
    with pytest.raises(NoAutenticado):
        sesiones.usuario(falsa)


def test_an_expired_record_is_no_session_even_with_a_fresh_cookie():
    ahora = [1_000_000.0]
    sesiones, registro = _servidor(InMemorySesionesConsola(reloj=lambda: ahora[0]))
    sesion, cookie = sesiones.iniciar("eva@comteco.bo|EJ")
    registro.sesiones[sesion.sid] = replace(registro.sesiones[sesion.sid], vence_en=ahora[0] - 1)
    with pytest.raises(NoAutenticado):
        sesiones.usuario(_leida(sesiones, cookie))


def test_without_a_registry_or_a_verifier_no_cookie_is_a_session():
    # Given cookie-only sessions (how the console worked before): they are never accepted as signed in
    solo_cookie = _sesiones()
    sesion, cookie = solo_cookie.iniciar("eva@comteco.bo|EJ")
    with pytest.raises(NoAutenticado):
        solo_cookie.usuario(solo_cookie.sesion({COOKIE_SESION: _valor(cookie)}))
    with pytest.raises(NoAutenticado):
        Sesiones("clave", ruta="/c", segura=True, verificador=VerificadorFalso()).usuario(sesion)
    with pytest.raises(NoAutenticado):
        _servidor()[0].usuario(None)


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
