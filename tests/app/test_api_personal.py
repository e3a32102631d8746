"""The staff API: authentication, roles, the action door and its error codes."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.commands import CapturarSolicitud
from chalicelib.openapi import AccionAplicadaRespuesta, DetalleSolicitud, Error, ListaSolicitudes


@pytest.fixture
def solicitud(servicios):
    return servicios.capturar(CapturarSolicitud(canal="web", datos={"nombre": "Ana Rojas", "telefono": "+59170712345"}))


def _h(token):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _accion(cliente, token, solicitud_id, accion, **extra):
    return cliente.http.post(
        f"/solicitudes/{solicitud_id}/acciones", headers=_h(token), body=json.dumps({"accion": accion, **extra})
    )


def test_without_a_token_the_api_answers_401_in_spanish(cliente, solicitud):
    respuesta = cliente.http.get(f"/solicitudes/{solicitud.id}")
    assert respuesta.status_code == 401 and respuesta.json_body["codigo"] == "no_autenticado"
    Error.model_validate(respuesta.json_body)


def test_a_forged_token_is_401(cliente, solicitud):
    import jwt

    falso = jwt.encode({"sub": "x", "roles": ["RC"]}, "otra-clave", algorithm="HS256")
    assert cliente.http.get(f"/solicitudes/{solicitud.id}", headers=_h(falso)).status_code == 401


def test_the_detail_shows_history_and_the_actions_of_the_callers_role(cliente, token, solicitud):
    ej = cliente.http.get(f"/solicitudes/{solicitud.id}", headers=_h(token("EJ"))).json_body
    co = cliente.http.get(f"/solicitudes/{solicitud.id}", headers=_h(token("CO"))).json_body
    DetalleSolicitud.model_validate(ej)
    assert [a["accion"] for a in ej["acciones_disponibles"]] == [
        "clasificar_residencial",
        "derivar_empresas",
        "registrar_datos",
        "registrar_etapa",
    ]
    assert co["acciones_disponibles"] == []
    assert ej["historial"][0]["accion"] == "capturar"


def test_applying_an_action_returns_the_new_state(cliente, token, solicitud):
    respuesta = _accion(cliente, token("EJ"), solicitud.id, "clasificar_residencial", version=1)
    assert respuesta.status_code == 200
    AccionAplicadaRespuesta.model_validate(respuesta.json_body)
    assert respuesta.json_body["solicitud"]["estado"] == "en_registro"


@pytest.mark.parametrize(
    ("rol", "accion", "cuerpo_extra", "status", "codigo"),
    [
        ("CO", "clasificar_residencial", {}, 403, "rol_no_autorizado"),
        ("EJ", "aceptar_oferta", {}, 409, "estado_invalido"),
        ("EJ", "clasificar_residencial", {"version": 5}, 409, "conflicto_concurrente"),
        ("EJ", "registrar_datos", {"campos": {"telefono": "1"}}, 422, "datos_invalidos"),
        ("EJ", "volar", {}, 422, "accion_desconocida"),
        ("EJ", "clasificar_residencial", {"campos": []}, 422, "datos_invalidos"),
        ("EJ", "clasificar_residencial", {"extra": 1}, 422, "datos_invalidos"),
    ],
)
def test_errors_have_a_stable_code_and_a_spanish_message(
    cliente, token, solicitud, servicios, rol, accion, cuerpo_extra, status, codigo
):
    respuesta = _accion(cliente, token(rol), solicitud.id, accion, **cuerpo_extra)
    assert respuesta.status_code == status, respuesta.body
    assert respuesta.json_body["codigo"] == codigo and respuesta.json_body["mensaje"]
    assert servicios.repo.obtener(solicitud.id).version == 1


def test_unknown_request_is_404(cliente, token):
    respuesta = cliente.http.get("/solicitudes/VD-NOEXISTE", headers=_h(token("EJ")))
    assert respuesta.status_code == 404 and respuesta.json_body["codigo"] == "no_encontrada"


def test_malformed_action_body_is_400(cliente, token, solicitud):
    respuesta = cliente.http.post(f"/solicitudes/{solicitud.id}/acciones", headers=_h(token("EJ")), body=b"{")
    assert respuesta.status_code == 400


def test_listing_by_state_and_month(cliente, token, solicitud):
    por_estado = cliente.http.get("/solicitudes?estado=nueva", headers=_h(token("RC"))).json_body
    ListaSolicitudes.model_validate(por_estado)
    assert [s["id"] for s in por_estado["solicitudes"]] == [solicitud.id]
    por_mes = cliente.http.get("/solicitudes?mes=2026-11", headers=_h(token("RC"))).json_body
    assert [s["id"] for s in por_mes["solicitudes"]] == [solicitud.id]
    malo = cliente.http.get("/solicitudes?estado=volando", headers=_h(token("RC")))
    assert malo.status_code == 422


def test_health_has_no_secrets(cliente):
    respuesta = cliente.http.get("/health")
    assert respuesta.status_code == 200 and respuesta.json_body == {"estado": "ok", "servicio": "ventas-digitales"}
