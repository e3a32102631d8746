"""GET/POST /solicitud through the Chalice test client."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from tests.app.conftest import atender_entrantes

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
VALIDO = {
    "nombre": "Juan Pérez",
    "telefono": "70712345",
    "email": "juan@example.com",
    "consentimiento": "on",
    "envio_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
}


def test_the_form_page_is_spanish_and_works_without_javascript(cliente):
    respuesta = cliente.http.get("/solicitud?utm_source=facebook")
    cuerpo = respuesta.body.decode()
    assert respuesta.status_code == 200 and respuesta.headers["Content-Type"].startswith("text/html")
    assert 'lang="es' in cuerpo and "<form" in cuerpo and 'method="post"' in cuerpo.lower()
    assert "<script" not in cuerpo.lower()
    assert 'name="sitio_web"' in cuerpo and 'value="facebook"' in cuerpo


def test_a_valid_form_is_answered_after_one_write_and_becomes_a_request_with_its_code(cliente, servicios):
    respuesta = cliente.http.post("/solicitud", headers=FORM, body=urlencode(VALIDO).encode())
    assert respuesta.status_code == 201
    assert "VD-00000001" in respuesta.body.decode()
    # the door stored the submission alone; the entrantes stream captures it under the code the page showed
    assert list(servicios.entrantes.items) == [f"web#{VALIDO['envio_id']}"] and servicios.repo.solicitudes == {}
    assert atender_entrantes(servicios) == 1
    solicitud = servicios.repo.obtener("VD-00000001")
    assert solicitud.canal == "web" and solicitud.datos["telefono"] == "+59170712345"


def test_a_resubmitted_form_does_not_create_a_second_request(cliente, servicios):
    cliente.http.post("/solicitud", headers=FORM, body=urlencode(VALIDO).encode())
    atender_entrantes(servicios)
    otra = cliente.http.post("/solicitud", headers=FORM, body=urlencode(VALIDO).encode())
    atender_entrantes(servicios)
    # the same answer as the first time: 201 and the receipt it got then (here the code of the request it created)
    assert otra.status_code == 201 and "VD-00000001" in otra.body.decode()
    assert len(servicios.repo.listar(mes="2026-11").solicitudes) == 1


def test_a_bad_form_is_shown_again_with_errors_and_values_and_writes_nothing(cliente, servicios):
    datos = {**VALIDO, "telefono": "12", "consentimiento": ""}
    respuesta = cliente.http.post("/solicitud", headers=FORM, body=urlencode(datos).encode())
    cuerpo = respuesta.body.decode()
    assert respuesta.status_code == 422 and servicios.entrantes.items == {}
    assert "Juan Pérez" in cuerpo and "teléfono válido" in cuerpo and "autorización" in cuerpo
    assert servicios.repo.listar(mes="2026-11").solicitudes == []


def test_json_submit_gets_json_errors(cliente, servicios):
    respuesta = cliente.http.post(
        "/solicitud", headers={"Content-Type": "application/json"}, body=json.dumps({"nombre": "A"})
    )
    assert respuesta.status_code == 422
    assert respuesta.json_body["codigo"] == "datos_invalidos"
    assert {"nombre", "telefono", "consentimiento"} <= set(respuesta.json_body["errores"])


def test_json_submit_creates_the_request(cliente):
    respuesta = cliente.http.post("/solicitud", headers={"Content-Type": "application/json"}, body=json.dumps(VALIDO))
    assert respuesta.status_code == 201 and respuesta.json_body["recibo"] == "VD-00000001"
    assert set(respuesta.json_body) == {"recibo", "estado", "mensaje"}


def test_the_honeypot_pretends_success_and_writes_nothing(cliente, servicios):
    respuesta = cliente.http.post(
        "/solicitud", headers=FORM, body=urlencode({**VALIDO, "sitio_web": "http://spam.example"}).encode()
    )
    assert respuesta.status_code == 201 and servicios.entrantes.items == {}
    assert servicios.repo.listar(mes="2026-11").solicitudes == []


def test_malformed_bodies_get_400(cliente):
    for cuerpo in (b"{no json", b"[1,2]", b"\xff\xfe"):
        respuesta = cliente.http.post("/solicitud", headers={"Content-Type": "application/json"}, body=cuerpo)
        assert respuesta.status_code == 400, cuerpo
        assert respuesta.json_body["codigo"] == "entrada_invalida"
