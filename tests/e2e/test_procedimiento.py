"""The procedure end to end through the public interfaces, with the stream reactions running.

Each scenario submits the web form, walks the request with the staff API (one role per step, as in SPEC),
pumps the state-change stream into the stream handler, and reads the history and the local outbox.
"""

from __future__ import annotations

import re

import pytest

from chalicelib.openapi import AccionAplicadaRespuesta, DetalleSolicitud

pytestmark = pytest.mark.e2e

COORDENADAS_CENTRO = {"latitud": -17.3935, "longitud": -66.157}
OFERTA = {"plan": "hogar-fibra-50"}  # Hogar Fibra 50: FTTH, 50 Mbps, Bs 199 a month, installation Bs 150


def _nueva(etapa, **extra) -> str:
    respuesta = etapa.enviar_formulario(
        nombre="María Quispe Mamani",
        telefono="70712345",
        email="maria.quispe@example.com",
        zona="Centro",
        direccion="Calle España 250",
        tipo_cliente="residencial",
        mensaje="Quiero internet para mi casa",
        consentimiento="on",
        **extra,
    )
    assert respuesta.status_code == 201, respuesta.body
    codigo = re.search(r"VD-[0-9A-Z]{8}", respuesta.body.decode())
    assert codigo, "the confirmation page shows the request code"
    etapa.bombear()
    return codigo.group(0)


def _hasta_negociacion(etapa, solicitud_id: str) -> None:
    etapa.aplicar(solicitud_id, "clasificar_residencial")
    etapa.aplicar(solicitud_id, "registrar_datos", ci="4567890", ci_expedido="CB", **COORDENADAS_CENTRO)
    etapa.aplicar(solicitud_id, "registrar_info_cualitativa", tipo_uso="teletrabajo", horario_navegacion="noche")
    etapa.aplicar(solicitud_id, "consultar_cobertura")
    etapa.aplicar(
        solicitud_id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50, telefono_referencia="44221234"
    )
    etapa.aplicar(solicitud_id, "confirmar_capacidad", rol="HD", velocidad_maxima_mbps=100, tecnologia="FTTH")


def _hasta_forma_pago(etapa, solicitud_id: str) -> None:
    _hasta_negociacion(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "enviar_oferta", **OFERTA)
    etapa.aplicar(solicitud_id, "aceptar_oferta")
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        etapa.aplicar(solicitud_id, "registrar_requisito", requisito=requisito, detalle="recibido por correo")
    etapa.aplicar(solicitud_id, "completar_requisitos")
    etapa.aplicar(solicitud_id, "digitar_venta")


def _correos_de(etapa, solicitud_id: str) -> list[dict]:
    return [m for m in etapa.outbox() if solicitud_id in m["subject"]]


def _acciones(detalle: dict) -> list[str]:
    return [e["accion"] for e in detalle["historial"] if e["tipo"] == "accion"]


def test_prepaid_transfer_from_web_form_to_closed_sale(etapa):
    # Given a prospect who submits the web form
    solicitud_id = _nueva(etapa)
    acuse, aviso = _correos_de(etapa, solicitud_id)
    assert acuse["to"] == ["maria.quispe@example.com"] and "Recibimos" in acuse["subject"] + acuse["text"]
    assert aviso["to"] == [etapa.settings.buzones.ejecutivos]

    # When every role does its step (2-12, 15-17, 21-24)
    _hasta_forma_pago(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "elegir_prepago")
    etapa.aplicar(
        solicitud_id,
        "registrar_comprobante",
        monto_bs=349,
        fecha_deposito="2026-11-30",
        numero_deposito="DEP-778812",
        tipo_operacion="transferencia",
        depositante="María Quispe Mamani",
        banco="Banco Unión",
    )
    etapa.aplicar(solicitud_id, "aprobar_deposito", rol="CO")
    etapa.aplicar(solicitud_id, "marcar_impresa", rol="CA", numero_factura="F-001-000123", monto_bs=349)
    final = etapa.aplicar(solicitud_id, "marcar_entregada", rol="CA", entregada_a="María Quispe Mamani")

    # Then the request is closed, invoiced, with the whole chronology and history
    AccionAplicadaRespuesta.model_validate(final)
    detalle = etapa.detalle(solicitud_id, "RC")
    DetalleSolicitud.model_validate(detalle)
    solicitud = detalle["solicitud"]
    assert solicitud["estado"] == "cerrada" and solicitud["resultado"] == "ATENDIDO/CERRADA"
    assert solicitud["factura"]["monto_bs"] == 349 and solicitud["factura"]["mes"] == solicitud["mes"]
    assert [e["etapa"] for e in solicitud["etapas"]] == ["visitado", "informado", "pre_venta", "venta"]
    assert solicitud["datos"]["ci"] == "••••7890" and "4567890" not in str(detalle)
    assert solicitud["primera_respuesta_minutos"] is not None
    assert _acciones(detalle) == [
        "capturar",
        "clasificar_residencial",
        "registrar_datos",
        "registrar_info_cualitativa",
        "consultar_cobertura",
        "solicitar_confirmacion_hd",
        "confirmar_capacidad",
        "enviar_oferta",
        "aceptar_oferta",
        "registrar_requisito",
        "registrar_requisito",
        "registrar_requisito",
        "completar_requisitos",
        "digitar_venta",
        "elegir_prepago",
        "registrar_comprobante",
        "aprobar_deposito",
        "marcar_impresa",
        "marcar_entregada",
    ]
    roles = {e["accion"]: e["rol"] for e in detalle["historial"] if e["tipo"] == "accion"}
    assert (
        roles["confirmar_capacidad"] == "HD" and roles["aprobar_deposito"] == "CO" and roles["marcar_impresa"] == "CA"
    )
    assert solicitud["cobertura"]["disponible"] is True and solicitud["cobertura"]["tecnologia"] == "FTTH"
    assert solicitud["digitacion"]["numero_contrato"].startswith("SCS-")
    assert detalle["acciones_disponibles"] == [] or all(
        a["accion"] == "anular" for a in detalle["acciones_disponibles"]
    )

    # And every hand-off was an email, each recorded in the history with its SES message id
    para = {m["to"][0] for m in _correos_de(etapa, solicitud_id)}
    b = etapa.settings.buzones
    assert {b.help_desk, b.cobranzas, b.cajas, b.ejecutivos, "maria.quispe@example.com"} <= para
    correos = [e for e in detalle["historial"] if e["tipo"] == "correo"]
    assert len(correos) == len(_correos_de(etapa, solicitud_id))
    assert all(e["campos"]["ses_message_id"] for e in correos)


def test_web_payment_path_closes_with_the_invoice_email(etapa):
    solicitud_id = _nueva(etapa)
    _hasta_forma_pago(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "elegir_prepago")
    etapa.aplicar(solicitud_id, "registrar_pago_web", rol="CO", id_transaccion="TX-99812", monto_bs=349)
    etapa.aplicar(solicitud_id, "confirmar_pago_web", rol="CO")
    etapa.aplicar(solicitud_id, "enviar_factura", rol="CO", numero_factura="F-001-000200", monto_bs=349)
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "cerrada"
    factura = [m for m in _correos_de(etapa, solicitud_id) if m["to"] == ["maria.quispe@example.com"]][-1]
    assert "F-001-000200" in factura["text"]


def test_postpaid_path_goes_to_billing_control_and_closes(etapa):
    solicitud_id = _nueva(etapa)
    _hasta_forma_pago(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "elegir_pospago")
    assert any(m["to"] == [etapa.settings.buzones.facturacion] for m in _correos_de(etapa, solicitud_id))
    etapa.aplicar(solicitud_id, "registrar_control_recurrente", rol="FA", dia_facturacion=5, monto_mensual_bs=199)
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "cerrada"
    assert detalle["solicitud"]["modalidad_pago"] == "pospago"
    assert detalle["solicitud"]["factura"]["monto_bs"] == 199


def test_no_capacity_ends_as_no_atendida_and_tells_the_team_lead(etapa):
    solicitud_id = _nueva(etapa)
    etapa.aplicar(solicitud_id, "clasificar_residencial")
    etapa.aplicar(solicitud_id, "registrar_datos", ci="4567890", **COORDENADAS_CENTRO)
    etapa.aplicar(solicitud_id, "consultar_cobertura")
    etapa.aplicar(solicitud_id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=200)
    etapa.aplicar(solicitud_id, "negar_capacidad", rol="HD", motivo="Caja terminal saturada en la cuadra")
    detalle = etapa.detalle(solicitud_id, "RC")
    assert detalle["solicitud"]["estado"] == "no_atendida"
    assert detalle["solicitud"]["motivo_cierre"] == "Caja terminal saturada en la cuadra"
    copias = [m for m in _correos_de(etapa, solicitud_id) if etapa.settings.buzones.responsable_canales in m["cc"]]
    assert copias, "the team lead is copied on the Help Desk's refusal"
    assert [a["accion"] for a in detalle["acciones_disponibles"]] == ["reactivar"]


def test_rejected_offer_ends_as_no_atendida(etapa):
    solicitud_id = _nueva(etapa)
    _hasta_negociacion(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "enviar_oferta", **OFERTA)
    carta = [m for m in _correos_de(etapa, solicitud_id) if m["to"] == ["maria.quispe@example.com"]][-1]
    assert "Hogar Fibra 50" in carta["text"]
    etapa.aplicar(solicitud_id, "rechazar_oferta", motivo="Le parece caro")
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "no_atendida"
    assert any(m["to"] == [etapa.settings.buzones.responsable_canales] for m in _correos_de(etapa, solicitud_id))


def test_business_prospect_is_handed_over_to_enterprise_sales(etapa):
    respuesta = etapa.enviar_formulario(
        nombre="Ferretería El Tornillo SRL",
        telefono="44251234",
        email="gerencia@eltornillo.bo",
        tipo_cliente="empresa",
        mensaje="Necesitamos internet para la oficina y dos sucursales",
        consentimiento="on",
    )
    solicitud_id = re.search(r"VD-[0-9A-Z]{8}", respuesta.body.decode()).group(0)
    etapa.bombear()
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["tipo_cliente_sugerido"] == "empresarial"
    etapa.aplicar(solicitud_id, "derivar_empresas", razon_social="Ferretería El Tornillo SRL", nit="1023456021")
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "derivada_empresas"
    traspaso = [m for m in _correos_de(etapa, solicitud_id) if m["to"] == [etapa.settings.buzones.empresas]]
    assert traspaso and "1023456021" in traspaso[0]["text"] and etapa.settings.buzones.ejecutivos in traspaso[0]["cc"]
    assert detalle["acciones_disponibles"] == []


def test_cancelled_sale_is_redigitated_linked_to_the_original(etapa):
    solicitud_id = _nueva(etapa)
    _hasta_forma_pago(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "elegir_prepago")
    etapa.aplicar(solicitud_id, "anular", motivo="Dirección errada en Smartflex", origen_anulacion="smartflex")
    original = etapa.aplicar(solicitud_id, "redigitar", rol="RC")["solicitud"]
    nueva_id = original["redigitada_como"]
    assert original["estado"] == "redigitada"
    nueva = etapa.detalle(nueva_id)
    assert nueva["solicitud"]["estado"] == "digitacion" and nueva["solicitud"]["redigitacion_de"] == solicitud_id
    assert [a["accion"] for a in nueva["acciones_disponibles"]] == ["digitar_venta", "registrar_etapa"]
    etapa.aplicar(nueva_id, "digitar_venta")
    etapa.aplicar(nueva_id, "elegir_pospago")
    etapa.aplicar(nueva_id, "registrar_control_recurrente", rol="FA", dia_facturacion=10, monto_mensual_bs=199)
    assert etapa.detalle(nueva_id)["solicitud"]["estado"] == "cerrada"
    historial_original = _acciones(etapa.detalle(solicitud_id))
    assert historial_original[-2:] == ["anular", "redigitar"]
    assert any(m["to"] == [etapa.settings.buzones.responsable_canales] for m in _correos_de(etapa, solicitud_id))
    assert _correos_de(etapa, nueva_id), "the executives are told about the new digitation"


def test_wrong_state_action_gets_409_with_a_reason_and_changes_nothing(etapa):
    solicitud_id = _nueva(etapa)
    respuesta = etapa.accion(solicitud_id, "aprobar_deposito", rol="CO")
    assert respuesta.status_code == 409
    assert respuesta.json_body["codigo"] == "estado_invalido" and "Nueva" in respuesta.json_body["mensaje"]
    assert etapa.detalle(solicitud_id)["solicitud"]["version"] == 1


def test_a_duplicated_stream_record_sends_one_email(etapa):
    # Given a captured request whose stream record was already handled once
    solicitud_id = _nueva(etapa)
    antes = len(_correos_de(etapa, solicitud_id))
    assert etapa.entregados
    # When Lambda delivers the same batches again
    for evento in list(etapa.entregados):
        resultado = etapa.cliente.lambda_.invoke("on_solicitud_change", evento).payload
        assert resultado == {"batchItemFailures": []}
    # Then no email is sent twice
    assert antes == 2 and len(_correos_de(etapa, solicitud_id)) == 2


def test_two_actions_from_the_same_read_exactly_one_wins(etapa):
    # Given two executives who read the request at version 1
    solicitud_id = _nueva(etapa)
    version = etapa.detalle(solicitud_id)["solicitud"]["version"]
    # When both apply an action based on that read
    primera = etapa.accion(solicitud_id, "clasificar_residencial", version=version)
    segunda = etapa.accion(solicitud_id, "derivar_empresas", version=version, motivo="NIT en el mensaje")
    # Then the first wins and the second gets 409 and changes nothing
    assert primera.status_code == 200
    assert segunda.status_code == 409 and segunda.json_body["codigo"] == "conflicto_concurrente"
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "en_registro"
    assert _acciones(detalle) == ["capturar", "clasificar_residencial"]
