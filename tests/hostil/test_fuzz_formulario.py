"""Fuzzing the public web form and the health check: whatever a browser, a bot or an attacker sends, the answer is
never a 5xx, every refusal is in Spanish, and a refused or trapped submission writes nothing."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.services.formulario import CAMPOS
from tests.hostil import estrategias as e
from tests.hostil.conftest import PERFIL

VALIDO = {
    "nombre": "María Quispe Mamani",
    "telefono": "70712345",
    "email": "maria@example.com",
    "ciudad": "Cochabamba",
    "zona": "Centro",
    "direccion": "Calle España 250",
    "tipo_cliente": "residencial",
    "servicio": "internet_hogar",
    "mensaje": "Quiero internet",
    "consentimiento": "on",
}
TIPOS = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/json",
    "application/json; charset=utf-16",
    "multipart/form-data; boundary=x",
    "text/plain",
    "",
    "*/*",
    "application/xml",
]


def _sin_escritura_si_rechazo_o_trampa(mundo, respuesta, antes, campos):
    trampa = isinstance(campos, dict) and str(campos.get("sitio_web") or "").strip()
    if respuesta.status_code >= 400 or trampa:
        assert mundo.huella() == antes, f"{respuesta.status_code} wrote something"


@settings(settings.get_profile(PERFIL), max_examples=150)
@given(consulta=e.consulta, cabeceras=st.dictionaries(e.texto_cabecera, e.texto_cabecera, max_size=3))
def test_health_answers_ok_whatever_the_query(mundo, consulta, cabeceras):
    respuesta = mundo.pedir("GET /health", "GET", "/health?" + urlencode(consulta), headers=cabeceras)
    assert respuesta.status_code == 200


@settings(settings.get_profile(PERFIL), max_examples=300)
@given(consulta=st.one_of(e.consulta, st.dictionaries(st.sampled_from(["utm_source", "utm_x", "envio_id"]), e.texto)))
def test_the_form_page_renders_whatever_the_query(mundo, consulta):
    # Given any query string (campaign tags, injection attempts, 70 kB values)
    # When the form is opened
    respuesta = mundo.pedir_sin_escribir("GET /solicitud", "GET", "/solicitud?" + urlencode(consulta))
    # Then it is the Spanish page, escaped
    assert respuesta.status_code == 200
    assert "<script>alert(1)" not in respuesta.body.decode()


@settings(settings.get_profile(PERFIL), max_examples=500)
@given(
    campos=st.one_of(
        e.mutar(VALIDO).map(lambda d: {str(k): str(v) if not isinstance(v, str) else v for k, v in d.items()}),
        st.dictionaries(st.sampled_from(CAMPOS), e.texto, max_size=12),
    ),
    envio=st.one_of(st.none(), st.uuids().map(str), e.texto),
)
def test_any_form_encoded_submission_is_accepted_or_refused_in_spanish(mundo, campos, envio):
    # Given a form-encoded submission with any values (the honeypot too)
    if envio is not None:
        campos["envio_id"] = envio
    antes = mundo.huella()
    # When it is posted
    respuesta = mundo.pedir(
        "POST /solicitud (formulario)",
        "POST",
        "/solicitud",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(campos).encode(),
    )
    # Then 201/200 with a request, or a Spanish refusal that wrote nothing
    assert respuesta.status_code in (200, 201, 400, 422)
    _sin_escritura_si_rechazo_o_trampa(mundo, respuesta, antes, campos)


@settings(settings.get_profile(PERFIL), max_examples=500)
@given(cuerpo=st.one_of(e.mutar({**VALIDO, "consentimiento": True}), e.json_valor))
def test_any_json_submission_is_accepted_or_refused_in_spanish(mundo, cuerpo):
    antes = mundo.huella()
    respuesta = mundo.pedir(
        "POST /solicitud (JSON)",
        "POST",
        "/solicitud",
        headers={"Content-Type": "application/json"},
        body=json.dumps(cuerpo).encode(),
    )
    assert respuesta.status_code in (200, 201, 400, 422)
    _sin_escritura_si_rechazo_o_trampa(mundo, respuesta, antes, cuerpo)


@settings(settings.get_profile(PERFIL), max_examples=400)
@given(cuerpo=st.one_of(e.cuerpo_crudo, e.truncado(VALIDO)), tipo=st.sampled_from(TIPOS))
def test_raw_bodies_of_any_type_and_size_never_break_the_form(mundo, cuerpo, tipo):
    # Given random bytes, invalid UTF-8, deep or truncated JSON, up to 1 MB, under any content type
    antes = mundo.huella()
    # When they are posted
    respuesta = mundo.pedir(
        "POST /solicitud (crudo)", "POST", "/solicitud", headers={"Content-Type": tipo} if tipo else {}, body=cuerpo
    )
    # Then nothing is written unless it was a valid submission
    if respuesta.status_code >= 400:
        assert mundo.huella() == antes


def test_the_same_envio_id_twice_is_one_request(mundo):
    # Given a submission with its client-generated id
    campos = {**VALIDO, "envio_id": str(uuid.uuid4())}
    cabeceras = {"Content-Type": "application/x-www-form-urlencoded"}
    primera = mundo.pedir(
        "POST /solicitud (formulario)", "POST", "/solicitud", headers=cabeceras, body=urlencode(campos).encode()
    )
    mundo.atender_entrantes()
    huella = mundo.huella()
    # When the browser resubmits it (and the entrantes stream runs)
    segunda = mundo.pedir(
        "POST /solicitud (formulario)", "POST", "/solicitud", headers=cabeceras, body=urlencode(campos).encode()
    )
    assert mundo.atender_entrantes() == []
    # Then the same answer (201, the same receipt) and nothing new is written
    assert (primera.status_code, segunda.status_code) == (201, 201) and primera.body == segunda.body
    assert len(mundo.servicios.repo.solicitudes) == 1 and mundo.huella() == huella
