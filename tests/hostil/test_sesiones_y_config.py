"""Issue 16, items 8 and 9.

8. A copied console cookie replayed after sign-out (or after the person's sessions were revoked, or with roles
   that no longer match) reaches nothing: every console route sends it to the sign-in page and nothing is written.
   Before server-side sessions the cookie alone was the session, so the replay got the pages and could post.
9. An AWS stage whose business settings are missing or still the local ones refuses to start, with one error
   naming each of them (before, prod booted and showed customers the local sample bank account).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from chalicelib.config import CUENTA_BANCARIA_LOCAL, ConfiguracionIncompleta, Settings
from tests.entorno_aws import ENTORNO_AWS_MINIMO, completar, negocio_aws
from tests.infra.conftest import ETAPAS_AWS, entorno_etapa

# --- item 8: sign-out signs out -------------------------------------------------------------------------------


class Navegador:
    """A browser without JavaScript: keeps cookies, posts forms; ``copia`` is what an attacker copied."""

    def __init__(self, mundo):
        self.mundo = mundo
        self.cookies: dict[str, str] = {}

    def _cabeceras(self, extra=None, cookies=None):
        cabeceras = dict(extra or {})
        galletas = self.cookies if cookies is None else cookies
        if galletas:
            cabeceras["Cookie"] = "; ".join(f"{k}={v}" for k, v in galletas.items())
        return cabeceras

    def _guardar(self, respuesta):
        crudas = respuesta.headers.get("Set-Cookie") or []
        for cruda in [crudas] if isinstance(crudas, str) else crudas:
            nombre, _, resto = cruda.partition("=")
            if "Max-Age=0" in cruda:
                self.cookies.pop(nombre, None)
            else:
                self.cookies[nombre] = resto.split(";", 1)[0]
        return respuesta

    def get(self, ruta, cookies=None):
        respuesta = self.mundo.pedir(
            "consola (repetición de cookie)", "GET", ruta, headers=self._cabeceras(None, cookies)
        )
        return respuesta if cookies is not None else self._guardar(respuesta)

    def post(self, ruta, campos, cookies=None):
        cabeceras = self._cabeceras({"Content-Type": "application/x-www-form-urlencoded"}, cookies)
        respuesta = self.mundo.pedir(
            "consola (repetición de cookie)", "POST", ruta, headers=cabeceras, body=urlencode(campos).encode()
        )
        return respuesta if cookies is not None else self._guardar(respuesta)

    def ingresar(self, rol: str) -> None:
        pagina = self.get("/consola/ingresar")
        respuesta = self.post("/consola/ingresar", {"csrf": _csrf(pagina), "rol": rol})
        assert respuesta.status_code == 303 and "vd_consola" in self.cookies


def _html(respuesta) -> str:
    return respuesta.body.decode("utf-8") if isinstance(respuesta.body, bytes) else str(respuesta.body)


def _csrf(respuesta) -> str:
    encontrado = re.search(r'name="csrf" value="([^"]+)"', _html(respuesta))
    assert encontrado, "the page has no CSRF field"
    return encontrado.group(1)


def _al_ingreso(respuesta) -> bool:
    """A 303 to the console's sign-in page (with or without the return address), and the cookie deleted."""
    destino = urlparse(respuesta.headers.get("Location", ""))
    borrada = any(c.startswith("vd_consola=;") and "Max-Age=0" in c for c in respuesta.headers.get("Set-Cookie", []))
    return respuesta.status_code == 303 and destino.path == "/consola/ingresar" and borrada


@pytest.fixture
def atacado(mundo):
    """A signed-in executive, a request she may act on, and a copy of her cookies and of a form's CSRF token
    taken while the session was live."""
    from tests.hostil.mundo import sembrar

    sembrar(mundo)
    navegador = Navegador(mundo)
    navegador.ingresar("EJ")
    pagina = navegador.get("/consola/solicitudes/VD-E0000001")
    assert pagina.status_code == 200 and "Eva Ejecutiva" in _html(pagina)
    return navegador, dict(navegador.cookies), _csrf(pagina)


def _nada_alcanzable(mundo, navegador, copia, csrf) -> None:
    """Every console door, replayed with the copied cookie: a redirect to sign in, and nothing written."""
    antes = mundo.huella()
    version = mundo.estado_de("VD-E0000001")[0]
    intentos = [
        navegador.get("/consola", cookies=copia),
        navegador.get("/consola?bandeja=todas&q=Quispe", cookies=copia),
        navegador.get("/consola/solicitudes/VD-E0000001", cookies=copia),
        navegador.post(
            "/consola/solicitudes/VD-E0000001/acciones/clasificar",
            {"csrf": csrf, "version": str(version), "tipo_cliente": "residencial"},
            cookies=copia,
        ),
        navegador.post(
            "/consola/solicitudes/VD-E0000001/mensajes",
            {"csrf": csrf, "texto": "Hola", "referencia": "r" * 20},
            cookies=copia,
        ),
    ]
    for respuesta in intentos:
        assert _al_ingreso(respuesta), (respuesta.status_code, respuesta.headers, _html(respuesta)[:300])
    pagina = parse_qs(urlparse(intentos[2].headers["Location"]).query)
    assert pagina["siguiente"] == ["/consola/solicitudes/VD-E0000001"]
    assert "Eva Ejecutiva" not in "".join(_html(r) for r in intentos)
    assert mundo.huella() == antes and mundo.estado_de("VD-E0000001")[0] == version


def test_a_cookie_copied_before_sign_out_reaches_nothing_after_it(mundo, atacado):
    navegador, copia, csrf = atacado
    # When the person signs out (the browser deletes its cookie) ...
    salida = navegador.post("/consola/salir", {"csrf": csrf})
    assert salida.status_code == 303 and "vd_consola" not in navegador.cookies
    # ... and someone replays the cookie copied while the session was live
    # Then every page and form sends them to the sign-in page, and nothing is written
    _nada_alcanzable(mundo, navegador, copia, csrf)
    assert mundo.servicios.sesiones_consola.de("ejecutivos@ventas.comteco.local") == []


def test_revoking_a_persons_sessions_ends_every_copy_at_once_and_they_can_sign_in_again(mundo, atacado):
    navegador, copia, csrf = atacado
    # When an administrator revokes the person's sessions (a role change, a lost phone)
    mundo.servicios.sesiones_consola.revocar_sesiones("Ejecutivos@Ventas.Comteco.Local")
    # Then the live cookie and its copies reach nothing
    _nada_alcanzable(mundo, navegador, copia, csrf)
    assert _al_ingreso(navegador.get("/consola"))
    # And a new sign-in works at once
    navegador.ingresar("EJ")
    assert navegador.get("/consola").status_code == 200


def test_a_session_whose_recorded_roles_differ_from_the_token_is_closed(mundo, atacado):
    from dataclasses import replace

    navegador, copia, csrf = atacado
    # Given the server's record says the session was opened with other roles (the person's role changed)
    registro = mundo.servicios.sesiones_consola
    (sesion,) = registro.de("ejecutivos@ventas.comteco.local")
    registro.sesiones[sesion.sid] = replace(sesion, roles=("JD",))
    # Then the cookie reaches nothing, and the record is gone
    _nada_alcanzable(mundo, navegador, copia, csrf)
    assert registro.de("ejecutivos@ventas.comteco.local") == []


def test_a_validly_signed_cookie_the_server_never_issued_reaches_nothing(mundo):
    # Given a cookie signed with the console's key for a valid token, but never recorded (a leaked key, or a
    # cookie from before server-side sessions)
    from chalicelib.handlers.consola_sesion import COOKIE_SESION, Sesiones
    from tests.hostil.mundo import sembrar

    sembrar(mundo)
    servicios = mundo.servicios
    solo_cookie = Sesiones(servicios.clave_consola, ruta="/consola", segura=False)
    sesion, cookie = solo_cookie.iniciar(mundo.token("EJ"))
    copia = {COOKIE_SESION: cookie.split(";", 1)[0].split("=", 1)[1]}
    # Then it is no session
    _nada_alcanzable(mundo, Navegador(mundo), copia, solo_cookie.csrf(sesion.sid))


# --- item 9: an AWS stage never boots on local defaults ----------------------------------------------------------

AJUSTES_DE_NEGOCIO = (
    "VD_CUENTA_BANCARIA",
    "VD_URL_PASARELA",
    "VD_URL_PUBLICA",
    "VD_DOMINIO_CORREO",
    "VD_CORREO_REMITENTE",
    "VD_CORREO_EJECUTIVOS",
    "VD_CORREO_HELP_DESK",
    "VD_CORREO_COBRANZAS",
    "VD_CORREO_CAJAS",
    "VD_CORREO_FACTURACION",
    "VD_CORREO_RC",
    "VD_CORREO_JD",
    "VD_CORREO_EMPRESAS",
    "VD_COGNITO_ISSUER",
    "VD_COGNITO_CLIENT_ID",
    "VD_COGNITO_DOMINIO",
    "VD_SSM_PREFIX",
    "VD_KMS_KEY_ID",
)


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_an_aws_stage_on_the_local_defaults_refuses_to_start_naming_every_setting(etapa):
    # Given an AWS stage with nothing but its tables and buckets (every business setting left to its default)
    entorno = {**ENTORNO_AWS_MINIMO, "VD_STAGE": etapa}
    # When the app reads its settings
    with pytest.raises(ConfiguracionIncompleta) as error:
        Settings.from_env(entorno)
    # Then one error names every one of them
    mensaje = str(error.value)
    for variable in AJUSTES_DE_NEGOCIO:
        assert re.search(rf"\b{variable}\b", mensaje), f"{variable} not named in: {mensaje}"
    assert etapa in mensaje


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_an_aws_stage_with_the_local_values_spelled_out_refuses_them_too(etapa):
    # Given the local sample account, the local mailboxes, the loopback URL and the simulated gateway, set
    # explicitly (copied from the local stage)
    entorno = {
        **ENTORNO_AWS_MINIMO,
        **negocio_aws(etapa),
        "VD_STAGE": etapa,
        "VD_CUENTA_BANCARIA": CUENTA_BANCARIA_LOCAL,
        "VD_DOMINIO_CORREO": "ventas.comteco.local",
        "VD_CORREO_CAJAS": "cajas@ventas.comteco.local",
        "VD_CORREO_EJECUTIVOS": "ejecutivos@comteco.com.bo",
        "VD_URL_PUBLICA": "http://127.0.0.1:8000",
        "VD_URL_PASARELA": "http://127.0.0.1:8000/dev/pasarela/{referencia}",
        "VD_COGNITO_CLIENT_ID": "REPLACE_CLIENT_ID",
    }
    # When / Then
    with pytest.raises(ConfiguracionIncompleta) as error:
        Settings.from_env(entorno)
    mensaje = str(error.value)
    for variable in (
        "VD_CUENTA_BANCARIA",
        "VD_DOMINIO_CORREO",
        "VD_CORREO_CAJAS",
        "VD_URL_PUBLICA",
        "VD_URL_PASARELA",
        "VD_COGNITO_CLIENT_ID",
    ):
        assert re.search(rf"\b{variable}\b", mensaje), f"{variable} not named in: {mensaje}"
    # a mailbox set one by one to a real address is not named
    assert "VD_CORREO_EJECUTIVOS" not in mensaje


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_an_aws_stage_with_every_business_setting_declared_boots(etapa):
    # Given the stage's own configuration plus the values a deploy must declare
    entorno = completar({**entorno_etapa(etapa), "AWS_DEFAULT_REGION": "us-east-1"}, etapa)
    # When
    settings = Settings.from_env(entorno)
    # Then it shows customers the declared account and links, never a local one
    assert settings.stage == etapa and not settings.es_local
    assert settings.cuenta_bancaria == entorno["VD_CUENTA_BANCARIA"] != CUENTA_BANCARIA_LOCAL
    assert settings.url_publica.startswith("https://") and "127.0.0.1" not in settings.url_pasarela
    assert all(not b.endswith(".local") for b in vars(settings.buzones).values())


def test_the_local_stage_keeps_its_defaults():
    # Given the local stage's environment (make run, the tests)
    from localstage.entorno import entorno_local

    settings = Settings.from_env(entorno_local())
    # Then the sample account, the local mailboxes and the simulated gateway are still there
    assert settings.cuenta_bancaria == CUENTA_BANCARIA_LOCAL
    assert settings.buzones.ejecutivos == "ejecutivos@ventas.comteco.local"
    assert settings.url_pasarela.endswith("/dev/pasarela/{referencia}")


def test_the_dynamodb_sessions_follow_the_same_rules_on_moto(settings):
    # Given the claves-table adapter on moto, with a clock we move
    from chalicelib.adapters.dynamo_sesiones import PynamoSesionesConsola, clave_sesion
    from chalicelib.adapters.dynamo_tables import ClaveItem
    from chalicelib.domain.ports import SesionConsola

    ahora = [1_800_000_000.0]
    registro = PynamoSesionesConsola(settings, reloj=lambda: ahora[0])

    def abrir(sid: str, identidad: str = "eva@comteco.bo") -> None:
        registro.abrir(SesionConsola(sid, identidad, "sub", ("EJ",), ahora[0], ahora[0] + 12 * 3600))

    abrir("s1")
    abrir("s2")
    abrir("s3", "hugo@comteco.bo")
    # Then: the record is there for its person only, and the sid is stored hashed
    assert registro.vigente("s1", "Eva@Comteco.bo") is not None
    assert registro.vigente("s1", "hugo@comteco.bo") is None
    assert ClaveItem.get(clave_sesion("s1")).datos["roles"] == ["EJ"] and "s1" not in clave_sesion("s1")
    # sign-out ends one session at once (twice is harmless)
    registro.cerrar("s1")
    registro.cerrar("s1")
    assert registro.vigente("s1", "eva@comteco.bo") is None and registro.vigente("s2", "eva@comteco.bo") is not None
    # revocation ends every earlier session of the person, not later ones, not another person's
    ahora[0] += 1
    registro.revocar_sesiones("EVA@comteco.bo")
    ahora[0] += 1
    abrir("s4")
    assert registro.vigente("s2", "eva@comteco.bo") is None and registro.vigente("s4", "eva@comteco.bo") is not None
    assert registro.vigente("s3", "hugo@comteco.bo") is not None
    # and a session past its end is refused before DynamoDB's TTL removes it
    ahora[0] += 12 * 3600
    assert registro.vigente("s4", "eva@comteco.bo") is None
