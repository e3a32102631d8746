"""Follow-up rules: the allowed time per state, the follow-up index key, months and the monthly KPI."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.model import Cambio, Rol
from chalicelib.domain.seguimiento import (
    PLAZOS,
    SIN_SEGUIMIENTO,
    Plazo,
    Veredicto,
    calcular_kpi,
    causa_no_atendida,
    centavos,
    ejecutivo_de,
    mes_anterior,
    mes_valido,
    nombre_mes,
    vence_en_indice,
)
from chalicelib.domain.states import Estado
from tests.factories import make_solicitud


def test_every_state_is_either_timed_unattended_or_out_of_follow_up():
    # Given the allowed-time table and the states without follow-up
    cubiertos = set(PLAZOS) | SIN_SEGUIMIENTO | {Estado.NO_ATENDIDA}
    # Then every state of the procedure is in exactly one of them
    assert cubiertos == set(Estado)
    assert not set(PLAZOS) & SIN_SEGUIMIENTO and Estado.NO_ATENDIDA not in PLAZOS


def test_help_desk_collections_and_cashiers_own_the_waits_of_their_steps():
    assert PLAZOS[Estado.CONSULTA_HELP_DESK].pendiente_de is Rol.HD
    assert PLAZOS[Estado.VALIDACION_DEPOSITO].pendiente_de is Rol.CO
    assert PLAZOS[Estado.FACTURACION_CAJA].pendiente_de is Rol.CA
    assert PLAZOS[Estado.CONTROL_FACTURACION].pendiente_de is Rol.FA
    assert PLAZOS[Estado.NUEVA] == Plazo(60, True, Rol.EJ)


@pytest.mark.parametrize(
    ("plazo", "etiqueta"),
    [
        (Plazo(60, True, Rol.EJ), "1 hora hábil"),
        (Plazo(240, True, Rol.HD), "4 horas hábiles"),
        (Plazo(480, True, Rol.CO), "1 día hábil"),
        (Plazo(960, True, Rol.CA), "2 días hábiles"),
        (Plazo(3 * 1440, False, Rol.EJ), "3 días"),
        (Plazo(1440, False, Rol.EJ), "1 día"),
        (Plazo(90, False, Rol.EJ), "90 minutos"),
    ],
)
def test_allowed_times_read_in_spanish(plazo, etiqueta):
    assert plazo.etiqueta == etiqueta


def test_a_new_request_is_due_one_hour_after_it_arrived_in_utc():
    # Given a request that arrived at 09:15 La Paz (13:15 UTC)
    s = make_solicitud(creada_en="2026-11-30T09:15:00-04:00")
    # When its follow-up key is computed, Then it is 14:15 UTC
    assert vence_en_indice(s) == "2026-11-30T14:15:00Z"


def test_an_offer_waits_three_calendar_days():
    s = make_solicitud(estado="oferta_enviada", estado_desde="2026-11-27T18:00:00-04:00")
    assert vence_en_indice(s) == "2026-11-30T22:00:00Z"


def test_an_unattended_request_is_due_from_the_moment_it_fell_through():
    s = make_solicitud(estado="no_atendida", estado_desde="2026-11-30T10:00:00-04:00")
    assert vence_en_indice(s) == "2026-11-30T14:00:00Z"


@pytest.mark.parametrize("estado", ["cerrada", "derivada_empresas", "anulada", "redigitada"])
def test_closed_handed_over_and_cancelled_requests_leave_the_follow_up_index(estado):
    assert vence_en_indice(make_solicitud(estado=estado)) is None


def test_a_naive_timestamp_is_read_as_la_paz_time():
    s = make_solicitud(estado="no_atendida", estado_desde="2026-11-30T10:00:00")
    assert vence_en_indice(s) == "2026-11-30T14:00:00Z"


def test_the_executive_is_the_recorded_one_else_the_executive_of_the_last_change_else_unassigned():
    cambio_ej = Cambio("c1", "VD-1", "2026-11-30T10:00:00-04:00", "eva@comteco.bo", "EJ", "api", "x", "a", "b")
    cambio_co = Cambio("c2", "VD-1", "2026-11-30T10:00:00-04:00", "carla@comteco.bo", "CO", "api", "x", "a", "b")
    assert ejecutivo_de(make_solicitud(ejecutivo="ana@comteco.bo", ultimo_cambio=cambio_ej)) == "ana@comteco.bo"
    assert ejecutivo_de(make_solicitud(ultimo_cambio=cambio_ej)) == "eva@comteco.bo"
    assert ejecutivo_de(make_solicitud(ultimo_cambio=cambio_co)) == "Sin asignar"
    assert ejecutivo_de(make_solicitud(ultimo_cambio=None)) == "Sin asignar"


def test_why_a_request_fell_through_is_read_from_the_record():
    assert causa_no_atendida(make_solicitud(oferta={"rechazada_en": "x"})) == "Oferta rechazada por el cliente"
    assert causa_no_atendida(make_solicitud(capacidad={"confirmada": False})) == "Help Desk sin capacidad técnica"
    assert causa_no_atendida(make_solicitud(cobertura={"disponible": False})) == "Sin cobertura técnica en la ubicación"
    assert causa_no_atendida(make_solicitud()) == "Cerrada como no atendida"


@pytest.mark.parametrize(
    ("mes", "anterior"),
    [("2027-01", "2026-12"), ("2026-12", "2026-11"), ("2026-03", "2026-02"), ("2000-01", "1999-12")],
)
def test_the_previous_month_of_january_is_december_of_the_year_before(mes, anterior):
    assert mes_anterior(mes) == anterior


@pytest.mark.parametrize(
    ("mes", "valido"), [("2026-11", True), ("2026-13", False), ("2026-00", False), ("26-11", False)]
)
def test_months_are_aaaa_mm(mes, valido):
    assert mes_valido(mes) is valido


def test_month_names_are_spanish():
    assert nombre_mes("2027-01") == "enero de 2027"
    assert nombre_mes("2026-09") == "septiembre de 2026"


@pytest.mark.parametrize(
    ("monto", "cents"),
    [
        (199, 19900),
        (249.5, 24950),
        ("349.99", 34999),
        (0.1 + 0.2, 30),
        ("1.005", 101),
        (None, 0),
        ("abc", 0),
        (True, 0),
    ],
)
def test_amounts_become_whole_cents_without_float_drift(monto, cents):
    assert centavos(monto) == cents


# --- KPI: hand-computed edge months ---


def test_exactly_98_percent_is_approved():
    # Given December 2026 billed Bs 800,00 and January 2027 Bs 784,00 (784 / 800 = 98 %)
    kpi = calcular_kpi("2027-01", 78400, 80000)
    # Then the ratio is 98,00 % and the verdict APROBADO, against the previous year's December
    assert (kpi.porcentaje, kpi.veredicto, kpi.mes_anterior) == (Decimal("98.00"), Veredicto.APROBADO, "2026-12")


def test_97_99_percent_is_observed():
    kpi = calcular_kpi("2026-11", 979900, 1000000)
    assert (kpi.porcentaje, kpi.veredicto) == (Decimal("97.99"), Veredicto.OBSERVADO)


def test_a_ratio_just_under_98_is_shown_truncated_so_it_never_reads_98():
    # Given 97.99999 % (Bs 97.999,99 against Bs 100.000,00)
    kpi = calcular_kpi("2026-11", 9799999, 10000000)
    # Then it is shown as 97,99 % (not rounded up to 98,00 %) and OBSERVADO
    assert (kpi.porcentaje, kpi.veredicto) == (Decimal("97.99"), Veredicto.OBSERVADO)


def test_growth_is_approved_with_its_ratio():
    kpi = calcular_kpi("2026-11", 120050, 100000)
    assert (kpi.porcentaje, kpi.veredicto) == (Decimal("120.05"), Veredicto.APROBADO)


def test_a_month_without_sales_is_observed_at_zero():
    kpi = calcular_kpi("2026-11", 0, 100000)
    assert (kpi.porcentaje, kpi.veredicto) == (Decimal("0.00"), Veredicto.OBSERVADO)


def test_a_previous_month_without_billing_has_no_base():
    # Given no billing in October and Bs 500,00 in November
    kpi = calcular_kpi("2026-11", 50000, 0)
    # Then there is no ratio, the verdict is SIN BASE and the reason says why
    assert (kpi.porcentaje, kpi.veredicto) == (None, Veredicto.SIN_BASE)
    assert "octubre de 2026" in kpi.motivo and "división entre cero" in kpi.motivo


def test_two_months_without_billing_have_no_base_either():
    kpi = calcular_kpi("2026-11", 0, 0)
    assert (kpi.porcentaje, kpi.veredicto) == (None, Veredicto.SIN_BASE)
    assert "ni en noviembre de 2026" in kpi.motivo
