"""Payment and approval routes through the Chalice test client, every port a fake: signed callbacks, approval
pages (GET never writes, POST decides once), Facturación's list."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.openapi.pagos import AvisoPagoRecibido, ControlRecurrente
from chalicelib.services.pagos import firmar
from tests.factories import make_entrada, make_solicitud
from tests.fakes_pagos import InMemoryAprobaciones

RUTA = "/webhooks/pagos"


@pytest.fixture
def pagos(servicios):
    servicios.overrides["aprobaciones"] = InMemoryAprobaciones()
    return servicios


@pytest.fixture
def secretos(pagos):
    return pagos.secretos.valores("secreto_pagos")


def _guardar(servicios, **campos):
    base = {
        "estado": "pago_pendiente",
        "oferta": {"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        "digitacion": {"numero_contrato": "SCS-1", "codigo_cliente": "CL-1"},
    }
    s = make_solicitud(**{**base, **campos})
    servicios.repo.crear(s, make_entrada(s))
    return s


def _firmado(servicios, datos, secreto, *, webhook_id="msg_1", desfase=0, cuerpo=None):
    cuerpo = cuerpo if cuerpo is not None else json.dumps(datos).encode()
    marca = int(servicios.clock.ahora().timestamp()) + desfase
    cabeceras = {
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(marca),
        "webhook-signature": firmar(secreto, webhook_id, marca, cuerpo),
    }
    return cabeceras, cuerpo


def _pago(referencia, monto=349.0):
    return {
        "tipo": "pago.aprobado",
        "id_transaccion": "TX-1",
        "referencia": referencia,
        "monto_bs": monto,
        "fecha": "2026-11-30T08:59:00-04:00",
        "medio": "qr",
    }


def _sin_escrituras(servicios, s):
    assert servicios.repo.obtener(s.id).version == s.version
    assert servicios.idempotencia.claves == {}
    assert servicios.mailer.transporte.enviados == []


# --- POST /webhooks/pagos ---------------------------------------------------------------------------------------


def test_a_signed_payment_is_applied_and_answered_with_its_outcome(cliente, pagos, secretos):
    s = _guardar(pagos)
    cabeceras, cuerpo = _firmado(pagos, _pago(s.id), secretos[0])
    respuesta = cliente.http.post(RUTA, headers=cabeceras, body=cuerpo)
    assert respuesta.status_code == 200
    AvisoPagoRecibido.model_validate(respuesta.json_body)
    assert respuesta.json_body["resultado"] == "aplicado"
    assert pagos.repo.obtener(s.id).estado == "validacion_pago_web"


def test_the_previous_secret_still_validates_during_a_rotation(cliente, pagos, secretos):
    s = _guardar(pagos)
    assert len(secretos) == 2
    cabeceras, cuerpo = _firmado(pagos, _pago(s.id), secretos[1])
    assert cliente.http.post(RUTA, headers=cabeceras, body=cuerpo).status_code == 200


def test_a_replay_returns_200_and_changes_nothing(cliente, pagos, secretos):
    s = _guardar(pagos)
    cabeceras, cuerpo = _firmado(pagos, _pago(s.id), secretos[0])
    cliente.http.post(RUTA, headers=cabeceras, body=cuerpo)
    version = pagos.repo.obtener(s.id).version
    segunda = cliente.http.post(RUTA, headers=cabeceras, body=cuerpo)
    assert segunda.status_code == 200 and segunda.json_body["duplicado"] is True
    assert pagos.repo.obtener(s.id).version == version


@pytest.mark.parametrize(
    "caso",
    ["sin_id", "sin_timestamp", "sin_firma", "mal_formada", "otro_secreto", "cuerpo_alterado", "antigua", "futura"],
)
def test_every_bad_signature_is_401_in_spanish_and_writes_nothing(cliente, pagos, secretos, caso):
    # Given a request waiting for its payment and a callback spoiled in one way
    s = _guardar(pagos)
    secreto = "whsec_b3Ryby1zZWNyZXRvLWRlLW90cmEtcGFzYXJlbGE=" if caso == "otro_secreto" else secretos[0]
    desfase = {"antigua": -301, "futura": 301}.get(caso, 0)
    cabeceras, cuerpo = _firmado(pagos, _pago(s.id), secreto, desfase=desfase)
    if caso.startswith("sin_"):
        del cabeceras[
            {"sin_id": "webhook-id", "sin_timestamp": "webhook-timestamp", "sin_firma": "webhook-signature"}[caso]
        ]
    if caso == "mal_formada":
        cabeceras["webhook-signature"] = "sha256=" + "0" * 64
    if caso == "cuerpo_alterado":
        cuerpo = cuerpo.replace(b"349.0", b"34.9")
    # When
    respuesta = cliente.http.post(RUTA, headers=cabeceras, body=cuerpo)
    # Then
    assert respuesta.status_code == 401
    assert respuesta.json_body["codigo"] == "firma_invalida" and respuesta.json_body["mensaje"]
    _sin_escrituras(pagos, s)


def test_a_well_signed_body_that_is_not_json_is_400_and_writes_nothing(cliente, pagos, secretos):
    s = _guardar(pagos)
    cabeceras, cuerpo = _firmado(pagos, None, secretos[0], cuerpo=b'{"tipo": "pago.aprobado",')
    respuesta = cliente.http.post(RUTA, headers=cabeceras, body=cuerpo)
    assert respuesta.status_code == 400 and respuesta.json_body["codigo"] == "entrada_invalida"
    _sin_escrituras(pagos, s)


def test_a_well_signed_payload_with_wrong_fields_is_422_and_writes_nothing(cliente, pagos, secretos):
    s = _guardar(pagos)
    cabeceras, cuerpo = _firmado(pagos, {**_pago(s.id), "monto_bs": "mucho"}, secretos[0])
    respuesta = cliente.http.post(RUTA, headers=cabeceras, body=cuerpo)
    assert respuesta.status_code == 422 and respuesta.json_body["errores"] == {"monto_bs": "Debe ser un número."}
    _sin_escrituras(pagos, s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cuerpo=st.binary(max_size=300),
    cabeceras=st.dictionaries(
        st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "x-otra"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
    ),
)
def test_no_unsigned_input_gets_a_5xx_or_writes_anything(cliente, pagos, cuerpo, cabeceras):
    respuesta = cliente.http.post(RUTA, headers={"Content-Type": "application/json", **cabeceras}, body=cuerpo)
    assert 400 <= respuesta.status_code < 500
    assert pagos.idempotencia.claves == {} and pagos.mailer.transporte.enviados == []


# --- /aprobaciones/{token} ---------------------------------------------------------------------------------------


def _enlace_deposito(pagos, **campos):
    from chalicelib.domain.model import Rol

    s = _guardar(
        pagos,
        estado="validacion_deposito",
        pago={"monto_bs": 349.0, "numero_deposito": "DEP-7", "fecha_deposito": "2026-11-29", "depositante": "María"},
        **campos,
    )
    enlace = pagos.emitir_enlace(s.id, "deposito", Rol.CO, pagos.settings.buzones.cobranzas, ("aprobar", "rechazar"))
    return s, enlace


def _ruta(url):
    return url.split("127.0.0.1:8000", 1)[1]


def _cabeceras_seguras(respuesta):
    assert respuesta.headers["Cache-Control"] == "no-store"
    assert respuesta.headers["Referrer-Policy"] == "no-referrer"


def _formulario(**campos):
    from urllib.parse import urlencode

    return {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(campos).encode()


def test_opening_the_link_shows_a_spanish_confirmation_page_and_writes_nothing(cliente, pagos):
    # Given
    s, enlace = _enlace_deposito(pagos)
    aprobaciones = pagos.aprobaciones
    # When a scanner and the officer open it five times
    respuestas = [cliente.http.get(_ruta(enlace.urls["rechazar"])) for _ in range(5)]
    # Then
    for respuesta in respuestas:
        assert respuesta.status_code == 200
        _cabeceras_seguras(respuesta)
    pagina = respuestas[0].body.decode()
    assert "Validar el depósito" in pagina and "Bs 349,00" in pagina and 'method="post"' in pagina
    assert re.search(r'<textarea id="rechazar-motivo" name="motivo" required', pagina)
    assert "Abrir este enlace no decide nada" in pagina
    assert aprobaciones.escrituras == 1 and pagos.repo.obtener(s.id).version == s.version
    assert enlace.token not in pagina.split("<form", 1)[0]


def test_post_decides_once_and_a_second_post_says_who_decided(cliente, pagos):
    s, enlace = _enlace_deposito(pagos)
    cabeceras, cuerpo = _formulario(decision="aprobar", version=str(s.version), observaciones="Visto")
    primera = cliente.http.post(_ruta(enlace.urls["aprobar"]), headers=cabeceras, body=cuerpo)
    segunda = cliente.http.post(_ruta(enlace.urls["aprobar"]), headers=cabeceras, body=cuerpo)
    assert primera.status_code == 200 and "Decisión registrada" in primera.body.decode()
    assert segunda.status_code == 200 and "Esta decisión ya fue tomada" in segunda.body.decode()
    assert pagos.settings.buzones.cobranzas in segunda.body.decode()
    _cabeceras_seguras(segunda)
    assert [e.accion for e in pagos.repo.historial(s.id)].count("aprobar_deposito") == 1


def test_rejecting_without_a_reason_shows_the_form_again_and_writes_nothing(cliente, pagos):
    s, enlace = _enlace_deposito(pagos)
    cabeceras, cuerpo = _formulario(decision="rechazar", motivo=" ")
    respuesta = cliente.http.post(_ruta(enlace.urls["rechazar"]), headers=cabeceras, body=cuerpo)
    assert respuesta.status_code == 422
    assert "Este campo es obligatorio." in respuesta.body.decode()
    assert pagos.repo.obtener(s.id).version == s.version and pagos.aprobaciones.obtener(enlace.aprobacion_id).pendiente


@pytest.mark.parametrize(
    ("estropear", "status", "titulo"),
    [
        (lambda t: t[:-3] + ("xyz" if not t.endswith("xyz") else "abc"), 403, "Enlace no válido"),
        (lambda t: "token-de-otro-sistema", 403, "Enlace no válido"),
    ],
)
def test_a_tampered_or_foreign_token_is_a_spanish_4xx_page(cliente, pagos, estropear, status, titulo):
    s, enlace = _enlace_deposito(pagos)
    for metodo in ("get", "post"):
        cabeceras, cuerpo = _formulario(decision="aprobar")
        ruta = f"/aprobaciones/{estropear(enlace.token)}"
        respuesta = (
            cliente.http.get(ruta) if metodo == "get" else cliente.http.post(ruta, headers=cabeceras, body=cuerpo)
        )
        assert respuesta.status_code == status and titulo in respuesta.body.decode()
        _cabeceras_seguras(respuesta)
    assert pagos.repo.obtener(s.id).version == s.version


def test_a_token_of_another_purpose_key_is_refused(cliente, pagos):
    from itsdangerous import URLSafeTimedSerializer

    s, enlace = _enlace_deposito(pagos)
    clave = pagos.secretos.valor("clave_enlaces")
    ajeno = URLSafeTimedSerializer(clave, salt="respuesta-correo-v1").dumps(enlace.aprobacion_id)
    respuesta = cliente.http.get(f"/aprobaciones/{ajeno}")
    assert respuesta.status_code == 403 and pagos.repo.obtener(s.id).version == s.version


def test_an_expired_link_is_410(cliente, pagos):
    s, enlace = _enlace_deposito(pagos)
    pagos.clock.avanzar(hours=73)
    cabeceras, cuerpo = _formulario(decision="aprobar")
    assert cliente.http.get(_ruta(enlace.urls["aprobar"])).status_code == 410
    respuesta = cliente.http.post(_ruta(enlace.urls["aprobar"]), headers=cabeceras, body=cuerpo)
    assert respuesta.status_code == 410 and "venció" in respuesta.body.decode()
    assert pagos.repo.obtener(s.id).estado == "validacion_deposito"


def test_a_link_for_a_decision_taken_elsewhere_is_409_and_writes_nothing(cliente, pagos):
    from dataclasses import replace

    s, enlace = _enlace_deposito(pagos)
    movida = replace(pagos.repo.obtener(s.id), estado="facturacion_caja", version=s.version + 1)
    pagos.repo.solicitudes[s.id] = movida
    cabeceras, cuerpo = _formulario(decision="aprobar")
    respuesta = cliente.http.post(_ruta(enlace.urls["aprobar"]), headers=cabeceras, body=cuerpo)
    assert respuesta.status_code == 409 and "ya no espera esta decisión" in respuesta.body.decode()
    assert pagos.aprobaciones.obtener(enlace.aprobacion_id).pendiente


def test_the_cashier_link_shows_the_printable_invoice_data_and_records_it(cliente, pagos):
    from chalicelib.domain.model import Rol

    s = _guardar(pagos, estado="facturacion_caja", pago={"monto_bs": 349.0, "numero_deposito": "DEP-7"})
    enlace = pagos.emitir_enlace(s.id, "impresion", Rol.CA, pagos.settings.buzones.cajas, ("imprimir",))
    pagina = cliente.http.get(_ruta(enlace.urls["imprimir"])).body.decode()
    assert "Datos para la factura" in pagina and "@media print" in pagina
    assert 'name="monto_bs" value="349.00"' in pagina
    cabeceras, cuerpo = _formulario(decision="imprimir", numero_factura="F-001-000123", monto_bs="349,00")
    respuesta = cliente.http.post(_ruta(enlace.urls["imprimir"]), headers=cabeceras, body=cuerpo)
    assert respuesta.status_code == 200
    guardada = pagos.repo.obtener(s.id)
    assert guardada.estado == "factura_impresa" and guardada.factura["numero"] == "F-001-000123"


# --- GET /facturacion/control-recurrente ---------------------------------------------------------------------------


def test_billing_gets_the_recurring_control_list_as_json_and_csv(cliente, pagos, token):
    s = _guardar(pagos, estado="control_facturacion")
    cabeceras = {"Authorization": f"Bearer {token('FA')}"}
    respuesta = cliente.http.get("/facturacion/control-recurrente?mes=2026-11", headers=cabeceras)
    assert respuesta.status_code == 200
    ControlRecurrente.model_validate(respuesta.json_body)
    assert [f["solicitud_id"] for f in respuesta.json_body["solicitudes"]] == [s.id]
    csv = cliente.http.get("/facturacion/control-recurrente?mes=2026-11&formato=csv", headers=cabeceras)
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.body.decode("utf-8").lstrip("\ufeff").startswith("Código;Estado;Cliente")


@pytest.mark.parametrize(
    ("rol", "consulta", "status"), [("EJ", "", 403), ("FA", "?mes=2026-13", 422), ("RC", "?formato=xls", 422)]
)
def test_the_recurring_control_list_refuses_other_roles_and_bad_filters(cliente, pagos, token, rol, consulta, status):
    respuesta = cliente.http.get(
        f"/facturacion/control-recurrente{consulta}", headers={"Authorization": f"Bearer {token(rol)}"}
    )
    assert respuesta.status_code == status


def test_the_recurring_control_list_needs_a_token(cliente, pagos):
    assert cliente.http.get("/facturacion/control-recurrente").status_code == 401
