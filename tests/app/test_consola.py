"""The staff console through the Chalice test client with fakes: sign-in, session cookie, CSRF, queues, search,
the request page's forms and what a failed action shows. Browser tests (tests/browser) drive the real stack."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from chalicelib.domain.commands import AplicarAccion, CapturarSolicitud
from chalicelib.domain.model import Rol


class Visitante:
    """A browser without JavaScript over the test client: keeps the cookies, submits forms form-encoded."""

    def __init__(self, cliente):
        self.cliente = cliente
        self.cookies: dict[str, str] = {}

    def _cabeceras(self, extra=None):
        cabeceras = dict(extra or {})
        if self.cookies:
            cabeceras["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return cabeceras

    def _guardar(self, respuesta):
        crudas = respuesta.headers.get("Set-Cookie") or respuesta.headers.get("set-cookie") or []
        for cruda in [crudas] if isinstance(crudas, str) else crudas:
            nombre, _, resto = cruda.partition("=")
            valor = resto.split(";", 1)[0]
            if "Max-Age=0" in cruda:
                self.cookies.pop(nombre, None)
            else:
                self.cookies[nombre] = valor
        return respuesta

    def get(self, ruta):
        return self._guardar(self.cliente.http.get(ruta, headers=self._cabeceras()))

    def post(self, ruta, campos):
        cabeceras = self._cabeceras({"Content-Type": "application/x-www-form-urlencoded"})
        return self._guardar(self.cliente.http.post(ruta, headers=cabeceras, body=urlencode(campos).encode()))

    def ingresar(self, rol):
        pagina = self.get("/consola/ingresar")
        respuesta = self.post("/consola/ingresar", {"csrf": csrf_de(pagina), "rol": rol})
        assert respuesta.status_code == 303, respuesta.body
        return respuesta


def html(respuesta) -> str:
    return respuesta.body.decode("utf-8") if isinstance(respuesta.body, bytes) else str(respuesta.body)


def csrf_de(respuesta) -> str:
    encontrado = re.search(r'name="csrf" value="([^"]+)"', html(respuesta))
    assert encontrado, "the page has no CSRF field"
    return encontrado.group(1)


def formularios(respuesta) -> list[str]:
    return re.findall(r'action="/consola/solicitudes/[^/]+/acciones/([a-z_]+)"', html(respuesta))


@pytest.fixture
def visitante(cliente):
    return Visitante(cliente)


@pytest.fixture
def prospecto(servicios):
    return servicios.capturar(
        CapturarSolicitud(
            canal="web",
            datos={"nombre": "Ana Rojas Díaz", "telefono": "+59170712345", "email": "ana@correo.test"},
            mensaje="Quiero internet para mi casa.",
        )
    )


def _aplicar(servicios, solicitud_id, accion, rol="EJ", **campos):
    return servicios.aplicar(
        AplicarAccion(solicitud_id=solicitud_id, accion=accion, campos=campos, actor="prueba", rol=Rol(rol))
    )


# --- sign-in and session ---


def test_without_a_session_every_console_page_redirects_to_the_sign_in_page(visitante, prospecto):
    # When a person without a session opens a request page
    respuesta = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    # Then they are sent to sign in, and back to that page afterwards
    assert respuesta.status_code == 303
    destino = urlparse(respuesta.headers["Location"])
    assert destino.path == "/consola/ingresar"
    assert parse_qs(destino.query)["siguiente"] == [f"/consola/solicitudes/{prospecto.id}"]


def test_the_local_sign_in_page_offers_one_button_per_role(visitante):
    # When the sign-in page of the local stage is opened
    pagina = html(visitante.get("/consola/ingresar"))
    # Then each role of the procedure has its button
    assert re.findall(r'name="rol" value="([A-Z]{2})"', pagina) == ["EJ", "HD", "CO", "CA", "FA", "RC", "JD"]
    assert "Eva Ejecutiva" in pagina and "Rosa Responsable de Canales" in pagina


def test_signing_in_issues_an_http_only_same_site_cookie_limited_to_the_console(visitante):
    # Given the sign-in page
    pagina = visitante.get("/consola/ingresar")
    # When the executive signs in
    respuesta = visitante.post("/consola/ingresar", {"csrf": csrf_de(pagina), "rol": "EJ"})
    # Then the session cookie is HttpOnly, SameSite=Lax, on /consola (no Secure: the local stage is plain http)
    sesion = next(c for c in respuesta.headers["Set-Cookie"] if c.startswith("vd_consola="))
    assert "HttpOnly" in sesion and "SameSite=Lax" in sesion and "Path=/consola" in sesion
    assert "Secure" not in sesion
    assert respuesta.headers["Location"] == "/consola"
    assert "Eva Ejecutiva" in html(visitante.get("/consola"))


def test_signing_in_without_the_forms_token_is_refused(visitante):
    # Given a sign-in page was opened (its cookie is set)
    visitante.get("/consola/ingresar")
    # When the sign-in form is posted without its token
    respuesta = visitante.post("/consola/ingresar", {"rol": "RC"})
    # Then it is refused with a Spanish page and no session
    assert respuesta.status_code == 403
    assert "Formulario no válido" in html(respuesta)
    assert "vd_consola" not in visitante.cookies


def test_after_signing_in_the_person_returns_to_the_page_they_asked_for(visitante, prospecto):
    # Given a person sent to sign in from a request page
    destino = visitante.get(f"/consola/solicitudes/{prospecto.id}").headers["Location"]
    pagina = visitante.get(destino)
    # When they sign in
    respuesta = visitante.post("/consola/ingresar", {"csrf": csrf_de(pagina), "rol": "EJ"})
    # Then they are taken back to it
    assert respuesta.headers["Location"] == f"/consola/solicitudes/{prospecto.id}"


@pytest.mark.parametrize("siguiente", ["https://otro.sitio/robo", "//otro.sitio", "/solicitudes", "/consola/\\evil"])
def test_the_return_address_never_leaves_the_console(visitante, siguiente):
    # Given a sign-in link that tries to send the person elsewhere afterwards
    pagina = visitante.get("/consola/ingresar?" + urlencode({"siguiente": siguiente}))
    # When they sign in
    respuesta = visitante.post("/consola/ingresar", {"csrf": csrf_de(pagina), "rol": "EJ"})
    # Then they land on the console's queue
    assert respuesta.headers["Location"] == "/consola"


def test_a_tampered_session_cookie_counts_as_no_session(visitante):
    # Given a signed-in person whose cookie was altered
    visitante.ingresar("RC")
    visitante.cookies["vd_consola"] = visitante.cookies["vd_consola"][:-3] + "xyz"
    # When they open the queue
    respuesta = visitante.get("/consola")
    # Then they are asked to sign in again
    assert respuesta.status_code == 303 and respuesta.headers["Location"].startswith("/consola/ingresar")


def test_signing_out_clears_the_session(visitante):
    # Given a signed-in executive
    visitante.ingresar("EJ")
    cola = visitante.get("/consola")
    # When they sign out
    respuesta = visitante.post("/consola/salir", {"csrf": csrf_de(cola)})
    # Then the cookie is cleared and the console asks for a sign-in again
    assert respuesta.status_code == 303 and respuesta.headers["Location"] == "/consola/ingresar"
    assert "vd_consola" not in visitante.cookies
    assert visitante.get("/consola").status_code == 303


# --- queue and search ---


def test_my_work_lists_the_states_where_my_role_acts_longest_waiting_first(servicios, visitante, prospecto):
    # Given a second, newer request and one waiting for Help Desk
    servicios.clock.avanzar(minutes=5)
    otra = servicios.capturar(CapturarSolicitud(canal="whatsapp", datos={"nombre": "Luis Paz"}))
    # When the executive opens their work
    visitante.ingresar("EJ")
    pagina = html(visitante.get("/consola"))
    # Then both new requests are listed, the older first
    assert pagina.index(prospecto.id) < pagina.index(otra.id)
    assert 'aria-current="page">Mi trabajo' in pagina


def test_help_desk_sees_in_its_work_only_requests_waiting_for_it(servicios, visitante, prospecto):
    # Given a new request nobody asked Help Desk about
    # When Help Desk opens its work
    visitante.ingresar("HD")
    pagina = html(visitante.get("/consola"))
    # Then the request is not there, but the "new" tab shows it
    assert prospecto.id not in pagina
    assert prospecto.id in html(visitante.get("/consola?bandeja=nuevas"))


def test_searching_a_code_opens_the_request(visitante, prospecto):
    visitante.ingresar("EJ")
    respuesta = visitante.get("/consola?q=" + prospecto.id.lower())
    assert respuesta.status_code == 303 and respuesta.headers["Location"] == f"/consola/solicitudes/{prospecto.id}"


@pytest.mark.parametrize("busqueda", ["70712345", "+591 707 12345", "ana rojas", "ROJAS diaz"])
def test_searching_a_phone_or_a_name_finds_the_request(servicios, visitante, prospecto, busqueda):
    # Given another request that does not match
    servicios.capturar(CapturarSolicitud(canal="web", datos={"nombre": "Pedro Mamani", "telefono": "+59171111111"}))
    # When the executive searches
    visitante.ingresar("EJ")
    pagina = html(visitante.get("/consola?" + urlencode({"bandeja": "todas", "q": busqueda})))
    # Then only the matching request is listed
    assert prospecto.id in pagina and "Pedro Mamani" not in pagina


def test_searching_a_ci_matches_its_keyed_hash_without_decrypting(servicios, visitante, prospecto):
    # Given the request's CI was recorded (kept as a keyed hash and a ciphertext)
    _aplicar(servicios, prospecto.id, "registrar_datos", ci="4567890")
    # When the executive searches that CI
    visitante.ingresar("EJ")
    pagina = html(visitante.get("/consola?" + urlencode({"bandeja": "todas", "q": "4567890"})))
    # Then the request is found
    assert prospecto.id in pagina


def test_an_unknown_tab_is_a_spanish_400_page(visitante):
    visitante.ingresar("EJ")
    respuesta = visitante.get("/consola?bandeja=inventada")
    assert respuesta.status_code == 400 and "Bandeja desconocida" in html(respuesta)


# --- the request page ---


def test_the_request_page_shows_data_conversation_history_and_one_form_per_action(visitante, prospecto):
    # When the executive opens a new request
    visitante.ingresar("EJ")
    respuesta = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    pagina = html(respuesta)
    # Then it shows the data, the prospect's message and the history
    assert respuesta.status_code == 200
    assert "Ana Rojas Díaz" in pagina and "Quiero internet para mi casa." in pagina
    assert "Solicitud recibida por el canal web." in pagina
    # And one form per action the executive may apply now, each with the version and the CSRF token
    assert formularios(respuesta) == [
        "clasificar_residencial",
        "derivar_empresas",
        "registrar_datos",
        "registrar_etapa",
    ]
    assert pagina.count(f'name="version" value="{prospecto.version}"') == 4
    assert pagina.count('name="csrf"') == 5  # four actions + sign out


def test_inputs_follow_the_field_types_with_labels(servicios, visitante, prospecto):
    # Given a request in registration
    _aplicar(servicios, prospecto.id, "clasificar_residencial")
    # When the executive opens it
    visitante.ingresar("EJ")
    pagina = html(visitante.get(f"/consola/solicitudes/{prospecto.id}"))
    # Then every field has a label and the input of its type
    assert '<input type="tel" id="registrar_datos-telefono"' in pagina
    assert '<input type="email" id="registrar_datos-email"' in pagina
    assert '<select id="registrar_datos-ci_expedido"' in pagina
    assert '<input type="checkbox" id="registrar_datos-cliente_existente"' in pagina
    assert re.search(r'<input type="number" id="registrar_datos-latitud"[^>]* min="-90"[^>]* max="90"', pagina)
    assert '<textarea id="registrar_info_cualitativa-historial_cliente"' in pagina
    assert (
        '<input type="number" id="solicitar_confirmacion_hd-velocidad_solicitada_mbps" '
        'name="velocidad_solicitada_mbps" required aria-required="true"' in pagina
    )
    for control in re.findall(r'<(?:input|select|textarea) [^>]*id="([^"]+)"', pagina):
        assert f'for="{control}"' in pagina, f"{control} has no label"
    # And a rule that would refuse an action now is shown as a hint
    assert "Ahora no se puede:" in pagina and "Faltan datos básicos del cliente" in pagina


def test_applying_an_action_redirects_back_with_a_flash_message(servicios, visitante, prospecto):
    # Given the executive on the request page
    visitante.ingresar("EJ")
    pagina = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    # When they classify it as residential
    respuesta = visitante.post(
        f"/consola/solicitudes/{prospecto.id}/acciones/clasificar_residencial",
        {"csrf": csrf_de(pagina), "version": "1", "motivo": "Hogar", "nota": "Llamé al cliente."},
    )
    # Then the state changed through the service, with the executive's identity and the console as channel
    assert respuesta.status_code == 303 and respuesta.headers["Location"] == f"/consola/solicitudes/{prospecto.id}"
    solicitud, historial = servicios.obtener(prospecto.id)
    assert solicitud.estado == "en_registro"
    assert (historial[-1].actor, historial[-1].rol, historial[-1].canal) == (
        "ejecutivos@ventas.comteco.local",
        "EJ",
        "consola",
    )
    assert historial[-1].nota == "Llamé al cliente."
    # And the next page shows the flash message once
    siguiente = html(visitante.get(respuesta.headers["Location"]))
    assert "Listo: «Clasificar como residencial». Estado actual: En registro de datos." in unescape(siguiente)
    assert "Listo:" not in html(visitante.get(respuesta.headers["Location"]))


def test_invalid_fields_show_spanish_errors_beside_them_and_keep_the_values(servicios, visitante, prospecto):
    # Given a request in registration
    _aplicar(servicios, prospecto.id, "clasificar_residencial")
    visitante.ingresar("EJ")
    pagina = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    # When the executive sends a wrong phone and latitude
    respuesta = visitante.post(
        f"/consola/solicitudes/{prospecto.id}/acciones/registrar_datos",
        {"csrf": csrf_de(pagina), "version": "2", "telefono": "12", "latitud": "-95", "direccion": "Calle 1"},
    )
    # Then the page comes back as 422 with each message beside its field, linked from a summary
    texto = html(respuesta)
    assert respuesta.status_code == 422
    assert 'id="registrar_datos-telefono-error">Escriba un teléfono válido' in texto
    assert 'id="registrar_datos-latitud-error">Debe ser como mínimo -90.' in texto
    assert re.search(
        r'<input type="tel" id="registrar_datos-telefono" name="telefono" aria-invalid="true" '
        r'aria-describedby="registrar_datos-telefono-error" value="12"',
        texto,
    )
    assert 'value="Calle 1"' in texto
    assert '<a href="#registrar_datos-telefono">' in texto
    # And nothing was written
    assert servicios.obtener(prospecto.id)[0].version == 2


def test_a_stale_form_gets_409_with_the_reason_at_the_top(servicios, visitante, prospecto):
    # Given the executive opened the page, then someone else classified the request
    visitante.ingresar("EJ")
    pagina = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    _aplicar(servicios, prospecto.id, "registrar_datos", direccion="Calle 2")
    # When the executive sends the form they had open
    respuesta = visitante.post(
        f"/consola/solicitudes/{prospecto.id}/acciones/clasificar_residencial",
        {"csrf": csrf_de(pagina), "version": "1"},
    )
    # Then it is refused with the reason, and the page shows the current version
    texto = html(respuesta)
    assert respuesta.status_code == 409
    assert "No se aplicó «Clasificar como residencial»" in unescape(texto)
    assert "La solicitud cambió desde que la consultó" in texto
    assert 'name="version" value="2"' in texto
    assert servicios.obtener(prospecto.id)[0].estado == "nueva"


def test_a_rule_refusing_an_action_is_shown_at_the_top_as_409(servicios, visitante, prospecto):
    # Given a request in registration without basic data
    _aplicar(servicios, prospecto.id, "clasificar_residencial")
    visitante.ingresar("EJ")
    pagina = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    # When the executive asks Help Desk anyway
    respuesta = visitante.post(
        f"/consola/solicitudes/{prospecto.id}/acciones/solicitar_confirmacion_hd",
        {"csrf": csrf_de(pagina), "version": "2", "velocidad_solicitada_mbps": "50"},
    )
    # Then the guard's reason is at the top and the typed value is kept
    assert respuesta.status_code == 409
    assert "Faltan datos básicos del cliente" in html(respuesta)
    assert 'value="50"' in html(respuesta)
    assert '<details class="accion con-error" id="accion-solicitar_confirmacion_hd" open>' in html(respuesta)


def test_a_form_without_a_valid_csrf_token_is_refused_and_changes_nothing(servicios, visitante, prospecto):
    # Given a signed-in executive
    visitante.ingresar("EJ")
    ruta = f"/consola/solicitudes/{prospecto.id}/acciones/clasificar_residencial"
    # When the form comes without the token, or with another session's token
    sin_token = visitante.post(ruta, {"version": "1"})
    otro = Visitante(visitante.cliente)
    otro.ingresar("EJ")
    ajeno = visitante.post(ruta, {"version": "1", "csrf": csrf_de(otro.get("/consola"))})
    # Then both are refused with a Spanish 403 page and the request is unchanged
    for respuesta in (sin_token, ajeno):
        assert respuesta.status_code == 403 and "Formulario no válido" in html(respuesta)
    assert servicios.obtener(prospecto.id)[0].estado == "nueva"


def test_a_role_cannot_see_or_apply_another_roles_actions(servicios, visitante, prospecto):
    # Given Collections signed in
    visitante.ingresar("CO")
    pagina = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    # Then the page shows the request but no form
    assert formularios(pagina) == []
    assert "Su rol no tiene acciones en el estado «Nueva»" in unescape(html(pagina))
    # When they forge the executive's form with their own valid token
    respuesta = visitante.post(
        f"/consola/solicitudes/{prospecto.id}/acciones/clasificar_residencial",
        {"csrf": csrf_de(pagina), "version": "1"},
    )
    # Then the service refuses it (403) and nothing changes
    assert respuesta.status_code == 403
    assert "corresponde a" in html(respuesta)
    assert servicios.obtener(prospecto.id)[0].estado == "nueva"


def test_an_unknown_action_or_request_is_a_spanish_404_page(visitante, prospecto):
    visitante.ingresar("EJ")
    pagina = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    accion = visitante.post(f"/consola/solicitudes/{prospecto.id}/acciones/inventar", {"csrf": csrf_de(pagina)})
    solicitud = visitante.get("/consola/solicitudes/VD-NOEXISTE")
    assert accion.status_code == 404 and solicitud.status_code == 404
    assert "No existe la solicitud VD-NOEXISTE" in html(solicitud)


def test_console_pages_forbid_scripts_and_foreign_form_targets(visitante):
    respuesta = visitante.get("/consola/ingresar")
    politica = respuesta.headers["Content-Security-Policy"]
    assert "script-src 'none'" in politica and "form-action 'self'" in politica
    assert "frame-ancestors 'none'" in politica
    assert "<script" not in html(respuesta) and not re.search(r"\son[a-z]+=", html(respuesta))


# --- AWS stages: Cognito hosted UI (fakes for the hosted UI and the token verifier) ---


class FakeHostedUi:
    origen = "https://vd.auth.example"

    def __init__(self):
        self.canjes: list[tuple[str, str]] = []
        self.nonce = None

    def url_autorizacion(self, *, estado, nonce, verificador):
        self.nonce = nonce
        return f"{self.origen}/oauth2/authorize?" + urlencode({"state": estado, "nonce": nonce})

    def url_cierre(self):
        return f"{self.origen}/logout"

    def canjear_codigo(self, codigo, verificador):
        self.canjes.append((codigo, verificador))
        return f"id-token-{codigo}"

    def nonce_de(self, token):
        return "nonce-ajeno" if token.endswith("repetido") else self.nonce


class FakeVerificador:
    def verificar(self, token):
        from chalicelib.adapters.auth import TokenInvalido, Usuario

        if not token.startswith("id-token-"):
            raise TokenInvalido("Token inválido o vencido.")
        return Usuario(sub="u-1", nombre="Eva Cognito", email="eva@comteco.bo", roles=frozenset({Rol.EJ}))


@pytest.fixture
def aws(monkeypatch):
    from chalice.test import Client

    from app import app
    from chalicelib import bootstrap
    from localstage.entorno import entorno_local
    from tests.app.conftest import RAIZ
    from tests.entorno_aws import negocio_aws
    from tests.fakes import FakeProtector, InMemorySolicitudRepository
    from tests.fakes_sesiones import InMemorySesionesConsola

    for nombre, valor in entorno_local().items():
        monkeypatch.setenv(nombre, valor)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("VD_CLAVE_LOCAL", raising=False)
    monkeypatch.setenv("VD_STAGE", "dev")
    monkeypatch.setenv("VD_URL_PUBLICA", "https://ventas.example/api")
    monkeypatch.setenv("VD_COGNITO_ISSUER", "https://cognito-idp.us-east-1.amazonaws.com/pool")
    monkeypatch.setenv("VD_COGNITO_CLIENT_ID", "cliente123")
    monkeypatch.setenv("VD_COGNITO_DOMINIO", "vd.auth.example")
    monkeypatch.setenv("VD_SSM_PREFIX", "/ventas-digitales/dev")
    for local in ("VD_GRAPH_URL", "VD_BOTMAKER_URL"):  # the local stand-in's loopback URLs
        monkeypatch.delenv(local, raising=False)
    for nombre, valor in negocio_aws("dev").items():
        if nombre not in ("VD_URL_PUBLICA", "VD_COGNITO_ISSUER", "VD_COGNITO_CLIENT_ID", "VD_COGNITO_DOMINIO"):
            monkeypatch.setenv(nombre, valor)
    hosted = FakeHostedUi()
    bootstrap.override(
        repo=InMemorySolicitudRepository(),
        protector=FakeProtector(),
        clave_consola="clave-aws",
        hosted_ui=hosted,
        verificador=FakeVerificador(),
        sesiones_consola=InMemorySesionesConsola(),
    )
    with Client(app, stage_name="dev", project_dir=str(RAIZ)) as cliente:
        yield Visitante(cliente), hosted
    bootstrap.reset()


def test_in_aws_the_sign_in_goes_to_the_cognito_hosted_ui_with_a_secure_handshake_cookie(aws):
    visitante, _ = aws
    # When a person without a session opens the console in an AWS stage
    respuesta = visitante.get("/consola/ingresar?siguiente=/api/consola/solicitudes/VD-1")
    # Then they are sent to the hosted UI, and the handshake cookie is Secure on the stage's console path
    assert respuesta.status_code == 302
    assert respuesta.headers["Location"].startswith("https://vd.auth.example/oauth2/authorize?")
    cookie = respuesta.headers["Set-Cookie"][0]
    assert cookie.startswith("vd_consola_ingreso=") and "Secure" in cookie and "Path=/api/consola" in cookie
    assert "form-action 'self' https://vd.auth.example" in respuesta.headers["Content-Security-Policy"]


def test_the_callback_exchanges_the_code_and_opens_a_secure_session(aws):
    visitante, hosted = aws
    autorizar = visitante.get("/consola/ingresar?siguiente=/api/consola/solicitudes/VD-1")
    estado = parse_qs(urlparse(autorizar.headers["Location"]).query)["state"][0]
    # When Cognito sends the browser back with a code and the same state
    respuesta = visitante.get(f"/consola/auth/callback?code=abc&state={estado}")
    # Then the code was exchanged with this sign-in's verifier and a Secure session opens on the page asked for
    assert respuesta.status_code == 303 and respuesta.headers["Location"] == "/api/consola/solicitudes/VD-1"
    assert hosted.canjes and hosted.canjes[0][0] == "abc" and len(hosted.canjes[0][1]) >= 43
    sesion = next(c for c in respuesta.headers["Set-Cookie"] if c.startswith("vd_consola="))
    assert "Secure" in sesion and "HttpOnly" in sesion and "SameSite=Lax" in sesion
    assert "Eva Cognito" in html(visitante.get("/consola"))


def test_a_callback_with_another_state_or_without_the_handshake_is_refused(aws):
    visitante, hosted = aws
    visitante.get("/consola/ingresar")
    otro_estado = visitante.get("/consola/auth/callback?code=abc&state=falso")
    visitante.cookies.clear()
    sin_cookie = visitante.get("/consola/auth/callback?code=abc&state=falso")
    for respuesta in (otro_estado, sin_cookie):
        assert respuesta.status_code == 400 and "Inicio de sesión no válido" in html(respuesta)
    assert hosted.canjes == [] and "vd_consola" not in visitante.cookies


def test_an_id_token_issued_for_another_sign_in_is_refused(aws):
    visitante, _ = aws
    autorizar = visitante.get("/consola/ingresar")
    estado = parse_qs(urlparse(autorizar.headers["Location"]).query)["state"][0]
    respuesta = visitante.get(f"/consola/auth/callback?code=repetido&state={estado}")
    assert respuesta.status_code == 400 and "vd_consola" not in visitante.cookies


def test_in_aws_there_is_no_local_persona_sign_in_and_sign_out_leaves_cognito_too(aws):
    visitante, _ = aws
    assert visitante.post("/consola/ingresar", {"rol": "RC"}).status_code == 404
    assert visitante.post("/consola/salir", {}).headers["Location"] == "https://vd.auth.example/logout"


def test_stored_documents_are_short_lived_signed_links(servicios, visitante, prospecto):
    # Given a requirement whose document is kept in the documents bucket
    _aplicar(servicios, prospecto.id, "clasificar_residencial")
    referencia = f"s3://{servicios.settings.bucket_documentos}/canales/whatsapp/w1/ci.jpg"
    servicios.repo.solicitudes[prospecto.id] = servicios.repo.solicitudes[prospecto.id].__class__(
        **{**servicios.repo.solicitudes[prospecto.id].__dict__, "requisitos": {"ci": {"documento": referencia}}}
    )
    # When the executive opens the request
    visitante.ingresar("EJ")
    pagina = unescape(html(visitante.get(f"/consola/solicitudes/{prospecto.id}")))
    # Then the document is a presigned link valid at most 5 minutes
    enlace = re.search(r'<a href="([^"]+)" rel="noreferrer">', pagina).group(1)
    parametros = parse_qs(urlparse(enlace).query)
    assert int(parametros["X-Amz-Expires"][0]) <= 300 and parametros["X-Amz-Signature"]
