"""The staff API for the offer, the documents and Smartflex: plan options, offer errors, document links, the
contract PDF and Smartflex refusals (handlers with fakes)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.domain.commands import CapturarSolicitud
from chalicelib.domain.errors import SmartflexRechazo
from chalicelib.openapi import DetalleSolicitud, Error


def _h(token, **extra):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **extra}


@pytest.fixture
def api(cliente, token):
    def accion(solicitud_id, nombre, rol="EJ", **campos):
        return cliente.http.post(
            f"/solicitudes/{solicitud_id}/acciones",
            headers=_h(token(rol)),
            body=json.dumps({"accion": nombre, "campos": campos}),
        )

    return accion


@pytest.fixture
def negociando(servicios, api):
    s = servicios.capturar(
        CapturarSolicitud(canal="web", datos={"nombre": "Ana Rojas", "telefono": "+59170712345", "email": "a@x.bo"})
    )
    pasos = [
        ("clasificar_residencial", "EJ", {}),
        (
            "registrar_datos",
            "EJ",
            {"ci": "4567890", "direccion": "Calle España 250", "latitud": -17.39, "longitud": -66.157},
        ),
        ("consultar_cobertura", "EJ", {}),
        ("solicitar_confirmacion_hd", "EJ", {"velocidad_solicitada_mbps": 50}),
        ("confirmar_capacidad", "HD", {"velocidad_maxima_mbps": 100}),
    ]
    for nombre, rol, campos in pasos:
        assert api(s.id, nombre, rol, **campos).status_code == 200
    return s.id


def _digitar(api, solicitud_id, documento=None):
    assert api(solicitud_id, "enviar_oferta", plan="hogar-fibra-50").status_code == 200
    assert api(solicitud_id, "aceptar_oferta").status_code == 200
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        campos = {"documento": documento} if documento and requisito == "ci" else {}
        assert api(solicitud_id, "registrar_requisito", requisito=requisito, **campos).status_code == 200
    assert api(solicitud_id, "completar_requisitos").status_code == 200
    return api(solicitud_id, "digitar_venta")


def test_the_offer_action_lists_the_eligible_catalogue_plans(cliente, token, negociando):
    # Given a FTTH location where Help Desk confirmed 100 Mbps
    # When
    detalle = cliente.http.get(f"/solicitudes/{negociando}", headers=_h(token("EJ"))).json_body

    # Then
    DetalleSolicitud.model_validate(detalle)
    oferta = next(a for a in detalle["acciones_disponibles"] if a["accion"] == "enviar_oferta")
    plan = next(c for c in oferta["campos"] if c["nombre"] == "plan")
    assert plan["tipo"] == "opcion" and [o["valor"] for o in plan["opciones"]] == ["hogar-fibra-50", "hogar-fibra-100"]


def test_an_offer_with_an_unknown_plan_or_typed_tariffs_is_422_and_changes_nothing(cliente, token, api, negociando):
    # Given
    version = cliente.http.get(f"/solicitudes/{negociando}", headers=_h(token("EJ"))).json_body["solicitud"]["version"]

    # When
    desconocido = api(negociando, "enviar_oferta", plan="fibra-mil")
    tecleado = api(negociando, "enviar_oferta", plan="hogar-fibra-50", tarifa_mensual_bs=1)

    # Then
    assert desconocido.status_code == 422 and desconocido.json_body["errores"] == {
        "plan": "No es un plan vigente del catálogo."
    }
    assert tecleado.status_code == 422 and tecleado.json_body["errores"] == {
        "tarifa_mensual_bs": "Campo no admitido para esta acción."
    }
    Error.model_validate(desconocido.json_body)
    detalle = cliente.http.get(f"/solicitudes/{negociando}", headers=_h(token("EJ"))).json_body
    assert detalle["solicitud"]["version"] == version


def test_an_offer_above_the_confirmed_capacity_is_409_with_the_reason(api, negociando):
    respuesta = api(negociando, "enviar_oferta", plan="hogar-fibra-200")
    assert respuesta.status_code == 409 and respuesta.json_body["codigo"] == "accion_rechazada"
    assert "supera la capacidad confirmada por Help Desk" in respuesta.json_body["mensaje"]


def test_stored_documents_appear_only_as_short_lived_signed_links(cliente, token, api, negociando, servicios):
    # Given the CI photo stored by the WhatsApp intake (the customer's message joins the request with it)
    clave = f"s3://{servicios.settings.bucket_documentos}/canales/whatsapp/w1/ci.jpg"
    api(negociando, "enviar_oferta", plan="hogar-fibra-50")
    api(negociando, "aceptar_oferta")
    adjunto = {"nombre": "ci.jpg", "tipo": "image/jpeg", "s3_key": "canales/whatsapp/w1/ci.jpg"}
    foto = CapturarSolicitud(
        canal="whatsapp",
        datos={"telefono": "+59170712345"},
        adjuntos=(adjunto,),
        clave_envio="w1",
        tipo_contacto="mensaje",
    )
    assert servicios.recibir_contacto(foto).solicitud_id == negociando
    api(negociando, "registrar_requisito", requisito="ci", documento=clave)

    # When
    detalle = cliente.http.get(f"/solicitudes/{negociando}", headers=_h(token("RC"))).json_body

    # Then
    DetalleSolicitud.model_validate(detalle)
    (documento,) = detalle["documentos"]
    assert (documento["origen"], documento["requisito"], documento["nombre"]) == (
        "requisito",
        "ci",
        "Fotografía del CI",
    )
    parametros = parse_qs(urlparse(documento["url"]).query)
    assert int(parametros["X-Amz-Expires"][0]) <= 300 and parametros["X-Amz-Signature"]


def test_the_contract_pdf_is_served_to_the_executive_once_the_sale_is_registered(cliente, token, api, negociando):
    # Given
    antes = cliente.http.get(f"/solicitudes/{negociando}/contrato", headers=_h(token("EJ")))
    assert antes.status_code == 409 and "aún no está registrada en Smartflex" in antes.json_body["mensaje"]
    assert _digitar(api, negociando).status_code == 200

    # When
    respuesta = cliente.http.get(
        f"/solicitudes/{negociando}/contrato", headers=_h(token("EJ"), Accept="application/pdf")
    )

    # Then
    assert respuesta.status_code == 200 and respuesta.headers["Content-Type"] == "application/pdf"
    assert respuesta.body.startswith(b"%PDF-")
    assert respuesta.headers["Content-Disposition"] == f'inline; filename="Solicitud_Contrato_SCS-{negociando}.pdf"'


@pytest.mark.parametrize(("rol", "status"), [("CO", 403), ("CA", 403), (None, 401)])
def test_only_executives_and_the_team_lead_get_the_contract(cliente, token, api, negociando, rol, status):
    _digitar(api, negociando)
    cabeceras = _h(token(rol)) if rol else {}
    assert cliente.http.get(f"/solicitudes/{negociando}/contrato", headers=cabeceras).status_code == status


def test_the_contract_of_an_unknown_request_is_404(cliente, token):
    assert cliente.http.get("/solicitudes/VD-NOEXISTE/contrato", headers=_h(token("RC"))).status_code == 404


def test_a_smartflex_refusal_is_422_with_its_reason_and_writes_nothing(cliente, token, api, negociando, servicios):
    # Given Smartflex refuses this customer
    def rechazar(solicitud, ci):
        raise SmartflexRechazo("Smartflex rechazó el registro: el titular tiene una deuda pendiente con COMTECO.")

    servicios.smartflex.registrar_venta = rechazar

    # When
    respuesta = _digitar(api, negociando)

    # Then
    assert respuesta.status_code == 422 and respuesta.json_body["codigo"] == "smartflex_rechazo"
    assert "deuda pendiente" in respuesta.json_body["mensaje"]
    detalle = cliente.http.get(f"/solicitudes/{negociando}", headers=_h(token("EJ"))).json_body
    assert detalle["solicitud"]["estado"] == "digitacion" and detalle["solicitud"]["digitacion"] is None


def test_registering_the_sale_while_smartflex_is_down_answers_202_and_the_job_registers_it(
    cliente, servicios, api, negociando
):
    # Given Smartflex not answering
    servicios.smartflex.caido = True
    # When the executive registers the sale through the staff API
    respuesta = _digitar(api, negociando)
    # Then the answer says it waits, in Spanish, and nothing was registered or changed
    assert respuesta.status_code == 202
    assert respuesta.json_body["codigo"] == "en_cola"
    assert "se aplicará sola cuando Smartflex vuelva a responder" in respuesta.json_body["mensaje"]
    assert servicios.smartflex.registros == []
    assert servicios.obtener(negociando)[0].estado == "digitacion"
    # And asking again while it waits is refused with the reason (nothing is applied twice)
    otra = api(negociando, "digitar_venta")
    assert otra.status_code == 409 and "esperando a que Smartflex responda" in otra.json_body["mensaje"]
    # When Smartflex is back and the job runs
    servicios.smartflex.caido = False
    servicios.clock.avanzar(minutes=2)
    evento = cliente.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region="us-east-1"
    )
    ronda = cliente.lambda_.invoke("retry_pending_sends", evento).payload
    # Then the sale is registered once, as the executive asked
    assert ronda["aplicadas"] == [f"{negociando}:digitar_venta"]
    assert [s for s, _ in servicios.smartflex.registros] == [negociando]
    solicitud, historial = servicios.obtener(negociando)
    assert solicitud.estado == "forma_pago"
    assert [e.actor for e in historial if e.accion == "digitar_venta"] == ["ej@ventas.test"]
