"""Step 8: which plans a request may be offered, the offer guard and the payment form of the offered plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.errors import AccionRechazada
from chalicelib.domain.model import Rol, Solicitud
from chalicelib.domain.planes import Plan, formato_bs, motivo_no_elegible, planes_elegibles
from chalicelib.domain.states import Accion, Estado, transition
from tests.factories import make_solicitud

AHORA = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("America/La_Paz"))


def _plan(id: str, tecnologia: str = "FTTH", mbps: float = 50, tarifa: float = 199, **extra: Any) -> Plan:
    return Plan(id, f"Plan {id}", tecnologia, mbps, tarifa, 150, **extra)


CATALOGO = [
    _plan("fibra-100", mbps=100, tarifa=269),
    _plan("fibra-50", mbps=50, tarifa=199),
    _plan("fibra-300", mbps=300, tarifa=449),
    _plan("cable-50", "HFC", 50, 219),
    _plan("fibra-40", mbps=40, tarifa=179, vigente=False),
]


def _negociando(**overrides: Any) -> Solicitud:
    base = make_solicitud(
        estado=Estado.NEGOCIACION.value,
        cobertura={"disponible": True, "tecnologia": "FTTH", "velocidad_maxima_mbps": 200},
        capacidad={"velocidad_maxima_mbps": 100, "confirmada": True},
    )
    return replace(base, **overrides)


def _ofertar(s: Solicitud, plan: Plan) -> Solicitud:
    nueva, _ = transition(
        s,
        Accion.ENVIAR_OFERTA,
        campos=plan.campos_oferta(),
        actor="ej@comteco.test",
        rol=Rol.EJ,
        canal="api",
        ahora=AHORA,
        cambio_id="CAM-1",
    )
    return nueva


def test_eligible_plans_fit_the_zone_technology_and_the_confirmed_capacity_cheapest_first() -> None:
    # Given a FTTH zone up to 200 Mbps where Help Desk confirmed 100 Mbps
    s = _negociando()

    # When
    elegibles = planes_elegibles(CATALOGO, s)

    # Then: no HFC plan, nothing above 100 Mbps, no retired plan
    assert [p.id for p in elegibles] == ["fibra-50", "fibra-100"]


def test_a_zone_maximum_below_the_confirmed_capacity_still_limits_the_plans() -> None:
    # Given
    s = _negociando(
        cobertura={"disponible": True, "tecnologia": "FTTH", "velocidad_maxima_mbps": 60},
        capacidad={"velocidad_maxima_mbps": 300, "confirmada": True},
    )

    # When / Then
    assert [p.id for p in planes_elegibles(CATALOGO, s)] == ["fibra-50"]


def test_the_technology_help_desk_confirmed_must_match_the_plan() -> None:
    # Given
    s = _negociando(capacidad={"velocidad_maxima_mbps": 100, "tecnologia": "HFC", "confirmada": True})

    # When / Then
    assert planes_elegibles(CATALOGO, s) == []
    assert motivo_no_elegible(s, "FTTH", 50) == "La tecnología del plan (FTTH) no es la que confirmó Help Desk (HFC)."


@pytest.mark.parametrize(
    ("cobertura", "motivo"),
    [
        (None, "Primero consulte la cobertura técnica de la ubicación (paso 5)."),
        ({"disponible": False}, "La ubicación no tiene cobertura; no se le puede ofertar un plan."),
    ],
)
def test_nothing_is_eligible_without_coverage(cobertura: dict[str, Any] | None, motivo: str) -> None:
    # Given
    s = _negociando(cobertura=cobertura)

    # When / Then
    assert planes_elegibles(CATALOGO, s) == []
    assert motivo_no_elegible(s, "FTTH", 50) == motivo


def test_offering_a_plan_of_another_technology_is_refused_with_the_reason() -> None:
    # Given
    s = _negociando()

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _ofertar(s, CATALOGO[3])
    assert error.value.mensaje == "La tecnología del plan (HFC) no es la disponible en la ubicación (FTTH)."


def test_offering_more_than_the_zone_maximum_is_refused() -> None:
    # Given
    s = _negociando(capacidad=None)

    # When / Then
    with pytest.raises(AccionRechazada, match=r"supera la máxima de la zona \(200 Mbps\)"):
        _ofertar(s, CATALOGO[2])


def test_an_eligible_plan_becomes_the_offer_with_its_catalogue_data() -> None:
    # Given
    s = _negociando()

    # When
    nueva = _ofertar(s, CATALOGO[1])

    # Then
    assert nueva.estado == Estado.OFERTA_ENVIADA.value
    assert nueva.oferta is not None
    assert {k: nueva.oferta[k] for k in ("plan_id", "plan", "tecnologia", "velocidad_mbps", "tarifa_mensual_bs")} == {
        "plan_id": "fibra-50",
        "plan": "Plan fibra-50",
        "tecnologia": "FTTH",
        "velocidad_mbps": 50,
        "tarifa_mensual_bs": 199,
    }
    assert nueva.oferta["costo_instalacion_bs"] == 150 and nueva.oferta["modalidades"] == ["prepago", "pospago"]


@pytest.mark.parametrize(("accion", "permitida"), [(Accion.ELEGIR_PREPAGO, False), (Accion.ELEGIR_POSPAGO, True)])
def test_the_payment_form_must_be_one_the_offered_plan_is_sold_in(accion: Accion, permitida: bool) -> None:
    # Given a sale of a postpaid-only plan
    s = make_solicitud(estado=Estado.FORMA_PAGO.value, oferta={"plan": "Hogar Fibra 300", "modalidades": ["pospago"]})

    # When / Then
    if permitida:
        nueva, _ = transition(s, accion, campos={}, actor="ej", rol=Rol.EJ, canal="api", ahora=AHORA, cambio_id="CAM-2")
        assert nueva.modalidad_pago == "pospago"
    else:
        with pytest.raises(AccionRechazada) as error:
            transition(s, accion, campos={}, actor="ej", rol=Rol.EJ, canal="api", ahora=AHORA, cambio_id="CAM-2")
        assert error.value.mensaje == "El plan Hogar Fibra 300 solo se vende en modalidad pospago."


def test_an_offer_without_payment_forms_allows_both() -> None:
    # Given an offer recorded before the catalogue carried payment forms
    s = make_solicitud(estado=Estado.FORMA_PAGO.value, oferta={"plan": "Hogar 50"})

    # When
    nueva, _ = transition(
        s, Accion.ELEGIR_PREPAGO, campos={}, actor="ej", rol=Rol.EJ, canal="api", ahora=AHORA, cambio_id="C"
    )

    # Then
    assert nueva.modalidad_pago == "prepago"


@pytest.mark.parametrize(
    "entrada",
    [
        {"id": "x", "nombre": "X", "tecnologia": "FTTH", "velocidad_mbps": 0, "tarifa_mensual_bs": 1},
        {"id": "x", "nombre": "X", "tecnologia": "FTTH", "velocidad_mbps": 10, "tarifa_mensual_bs": -1},
        {"id": "x", "nombre": "X", "tecnologia": "FTTH", "velocidad_mbps": 10},
        {
            "id": "x",
            "nombre": "X",
            "tecnologia": "FTTH",
            "velocidad_mbps": 10,
            "tarifa_mensual_bs": 1,
            "modalidades": [],
        },
        {
            "id": "x",
            "nombre": "X",
            "tecnologia": "FTTH",
            "velocidad_mbps": 10,
            "tarifa_mensual_bs": 1,
            "modalidades": ["credito"],
        },
    ],
    ids=["zero-speed", "negative-tariff", "missing-tariff", "no-payment-form", "unknown-payment-form"],
)
def test_a_malformed_catalogue_entry_is_an_error_not_a_silent_plan(entrada: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Plan.desde_dict(entrada)


@pytest.mark.parametrize(("monto", "texto"), [(199, "Bs 199,00"), (1250.5, "Bs 1.250,50"), (0, "Bs 0,00")])
def test_amounts_read_in_bolivianos(monto: float, texto: str) -> None:
    assert formato_bs(monto) == texto


def test_a_plan_reads_with_its_speed_and_monthly_tariff() -> None:
    assert CATALOGO[0].etiqueta == "Plan fibra-100 — 100 Mbps — Bs 269,00/mes"
