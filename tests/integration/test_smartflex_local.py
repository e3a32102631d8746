"""The simulated Smartflex on moto (claves table): numbers, statuses, idempotence, refusals, cancellation, payment
check and customer lookup, persisted across instances (restarts of the local stage)."""

from __future__ import annotations

import re

import pytest

from chalicelib.adapters.smartflex_local import SmartflexLocal
from chalicelib.domain.errors import SmartflexRechazo
from tests.factories import make_solicitud

OFERTA = {
    "plan_id": "hogar-fibra-50",
    "plan": "Hogar Fibra 50",
    "tarifa_mensual_bs": 199.0,
    "costo_instalacion_bs": 150.0,
}
DATOS = {"nombre": "María Quispe", "telefono": "+59170712345", "direccion": "Calle España 250"}


def _solicitud(**overrides):
    return make_solicitud(
        estado="digitacion", datos={**DATOS, **overrides.pop("datos", {})}, oferta=OFERTA, **overrides
    )


@pytest.fixture
def smartflex(settings):
    return SmartflexLocal(settings)


def test_a_sale_gets_realistic_customer_and_contract_numbers(smartflex):
    # Given / When
    registro = smartflex.registrar_venta(_solicitud(), "4567890")

    # Then
    assert re.fullmatch(r"SCS-\d{4}-\d{6}", registro["numero_contrato"])
    assert re.fullmatch(r"CL-\d{7}", registro["codigo_cliente"])
    assert registro["estado_smartflex"] == "REGISTRADA" and registro["sistema"] == "smartflex-local"


def test_registering_the_same_request_twice_returns_the_same_numbers(smartflex, settings):
    # Given
    s = _solicitud()
    primera = smartflex.registrar_venta(s, "4567890")

    # When: again, and from a new instance (the local stage restarted)
    segunda = smartflex.registrar_venta(s, "4567890")
    tercera = SmartflexLocal(settings).registrar_venta(s, "4567890")

    # Then
    assert primera == segunda == tercera


def test_two_requests_get_consecutive_contracts_and_one_customer_keeps_one_code(smartflex):
    uno = smartflex.registrar_venta(_solicitud(), "4567890")
    dos = smartflex.registrar_venta(_solicitud(), "4567890")
    assert int(dos["numero_contrato"][-6:]) == int(uno["numero_contrato"][-6:]) + 1
    assert dos["codigo_cliente"] == uno["codigo_cliente"]


def test_a_registered_customer_is_found_later_by_ci_or_phone(smartflex):
    registro = smartflex.registrar_venta(_solicitud(), "4567890")
    assert smartflex.buscar_cliente(ci="4567890")["codigo_cliente"] == registro["codigo_cliente"]
    assert smartflex.buscar_cliente(telefono="+59170712345")["codigo_cliente"] == registro["codigo_cliente"]
    assert smartflex.buscar_cliente(ci="9999999", telefono="+59170000000") is None


def test_a_seeded_existing_customer_is_found_and_reused(smartflex):
    assert smartflex.buscar_cliente(ci="3456789") == {
        "codigo_cliente": "CL-0051234",
        "nombre": "Juan Carlos Pérez Rocha",
    }
    registro = smartflex.registrar_venta(_solicitud(), "3456789")
    assert registro["codigo_cliente"] == "CL-0051234"


@pytest.mark.parametrize(
    ("ci", "datos", "motivo"),
    [
        ("1111111", {}, "tiene una deuda pendiente con COMTECO"),
        ("4567890", {"direccion": "Calle Los Pinos S/N"}, "no encuentra un punto de servicio"),
        ("", {}, "exige el número de CI del titular"),
    ],
    ids=["observed-ci", "address-without-number", "no-ci"],
)
def test_a_refusal_has_a_spanish_reason_and_registers_nothing(smartflex, ci, datos, motivo):
    # Given
    s = _solicitud(datos=datos)

    # When / Then
    with pytest.raises(SmartflexRechazo, match=motivo):
        smartflex.registrar_venta(s, ci)
    assert smartflex.buscar_cliente(ci=ci or None, telefono="+59170712345") is None
    corregida = _solicitud(id=s.id, datos={"direccion": "Calle Los Pinos 12"})
    assert smartflex.registrar_venta(corregida, "4567890")["numero_contrato"]


def test_a_cancelled_contract_stays_cancelled_and_cancelling_again_changes_nothing(smartflex):
    # Given
    s = _solicitud()
    numero = smartflex.registrar_venta(s, "4567890")["numero_contrato"]

    # When
    primera = smartflex.anular(numero, "Dirección errada")
    segunda = smartflex.anular(numero, "Otro motivo")

    # Then
    assert primera["estado"] == segunda["estado"] == "ANULADA"
    assert segunda["motivo_anulacion"] == "Dirección errada" and segunda["solicitud_id"] == s.id
    assert smartflex.consultar_contrato(numero)["estado"] == "ANULADA"


def test_cancelling_an_unknown_contract_is_refused(smartflex):
    with pytest.raises(SmartflexRechazo, match="No existe el contrato SCS-2026-999999"):
        smartflex.anular("SCS-2026-999999", "x")


def test_the_payment_check_compares_the_amount_due_and_activates_the_contract(smartflex):
    # Given a contract due Bs 349 (first month + installation)
    numero = smartflex.registrar_venta(_solicitud(), "4567890")["numero_contrato"]

    # When / Then
    incorrecto = smartflex.verificar_pago(numero, 199)
    assert not incorrecto["verificado"] and "no coincide con el esperado (Bs 349,00)" in incorrecto["motivo"]
    correcto = smartflex.verificar_pago(numero, 349)
    assert correcto["verificado"] and correcto["estado"] == "ACTIVA"
    assert smartflex.consultar_contrato(numero)["estado"] == "ACTIVA"


def test_no_payment_is_verified_on_a_cancelled_or_unknown_contract(smartflex):
    numero = smartflex.registrar_venta(_solicitud(), "4567890")["numero_contrato"]
    smartflex.anular(numero, "Desistió")
    assert smartflex.verificar_pago(numero, 349)["verificado"] is False
    assert smartflex.verificar_pago("SCS-0000-000000", 349)["verificado"] is False
