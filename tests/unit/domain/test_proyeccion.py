"""The month-end projection (issue 20, part 3) on hand-computed aggregates: every term, the checkpoints, a closed
month, a month without history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.adapters.calendario import CalendarioLaboral
from chalicelib.domain.proyeccion import dia_de_control, dias_habiles, proyectar
from chalicelib.domain.seguimiento import Veredicto


def lunes_a_viernes(dia: date) -> bool:
    return dia.weekday() < 5


def noviembre(facturado: int = 100_000) -> dict[str, dict[str, int]]:
    """November 2026 on the 16th and October: the funnels, billing, arrivals and the open pipeline."""
    return {
        "tablero#2026-11#total": {
            "recibidas": 20,
            "informado": 12,
            "pre_venta": 8,
            "venta": 6,
            "facturada": 4,
            "perdida_sin_cobertura": 2,
            "perdida_sin_capacidad": 1,
            "derivadas": 1,
        },
        "tablero#2026-10#total": {"recibidas": 30, "informado": 20, "pre_venta": 14, "venta": 12, "facturada": 10},
        "tablero#2026-11#facturacion": {"ventas": 4, "centavos": facturado, "ciclo_horas": 960},
        "tablero#2026-10#facturacion": {"ventas": 10, "centavos": 250_000, "ciclo_horas": 2_400},
        "tablero#2026-11#dias": {"d03": 10, "d10": 10, "d16": 3},
        "tablero#abierto": {
            "oferta_enviada_cantidad": 2,
            "oferta_enviada_centavos": 50_000,
            "digitacion_cantidad": 1,
            "digitacion_centavos": 30_000,
            "pago_pendiente_cantidad": 1,
            "pago_pendiente_centavos": 20_000,
            "factura_impresa_cantidad": 1,
            "factura_impresa_centavos": 25_000,
        },
    }


def test_each_term_of_the_projection_as_computed_by_hand():
    p = proyectar("2026-11", noviembre(), date(2026, 11, 16), lunes_a_viernes)
    # 21 weekdays in November 2026; the 10 before the 16th are behind
    assert (p.dias_habiles, p.dias_transcurridos, p.dias_restantes) == (21, 10, 11)
    # Of the two months' decided requests: 14 invoices over those that reached the step and are not still open
    assert p.conversion == {
        "recibidas": Decimal(14) / 42,  # 50 received - 4 open in the pipeline - 4 still before their offer
        "informado": Decimal("0.5"),  # 32 offered - 4 open after the offer
        "pre_venta": Decimal("0.7"),  # 22 accepted - 2 open after acceptance
        "venta": Decimal(14) / 17,  # 18 registered - 1 waiting for payment
    }
    assert p.ticket == 25_000 and p.valor_solicitud == 8_333  # Bs 250 a sale, a third of the requests end in one
    # The pipeline: offers at 50 %, a sale in Smartflex at 70 %, a payment at 14/17; the printed invoice is billed
    assert [(e.estado, e.ponderado) for e in p.etapas if e.cantidad] == [
        ("oferta_enviada", 25_000),
        ("digitacion", 21_000),
        ("pago_pendiente", 16_471),
        ("factura_impresa", 0),
    ]
    assert p.en_curso == 62_471
    assert p.solicitudes_sin_oferta == 4 and p.sin_oferta == 33_332  # 20 - 12 offered - 3 lost - 1 derived
    # 10 calendar days from first contact to invoice = 7 business days; 2 arrivals a day before the 16th (the
    # 3 of the 16th itself are not a full day); 11 days left - 7 of cycle = 4 days of arrivals still close in time
    assert p.ciclo_dias == Decimal("7.0") and p.llegadas_por_dia == 2
    assert p.por_llegar == 2 * 4 * 8_333
    assert p.total == 100_000 + 62_471 + 33_332 + 66_664 == 262_467
    assert p.kpi.porcentaje == Decimal("104.98") and p.kpi.veredicto is Veredicto.APROBADO
    assert p.meta == 245_000 and p.faltante == 0


def test_a_month_behind_is_observed_and_says_how_much_is_missing():
    p = proyectar("2026-11", noviembre(facturado=20_000), date(2026, 11, 16), lunes_a_viernes)
    # Less billed this month also lowers the mean invoice (the two months' net billing over their sales)
    assert p.ticket == 270_000 // 14
    assert p.kpi.veredicto is Veredicto.OBSERVADO
    assert p.faltante == p.meta - p.total > 0


def test_a_closed_month_projects_exactly_what_it_billed():
    p = proyectar("2026-11", noviembre(), date(2026, 12, 1), lunes_a_viernes)
    assert p.cerrado and p.dias_restantes == 0
    assert (p.en_curso, p.sin_oferta, p.por_llegar) == (0, 0, 0)
    assert p.total == 100_000 and p.kpi.porcentaje == Decimal("40.00")


def test_on_the_first_business_day_the_pace_is_the_previous_months():
    items = noviembre()
    items["tablero#2026-11#dias"] = {}
    p = proyectar("2026-11", items, date(2026, 11, 2), lunes_a_viernes)
    assert p.dias_transcurridos == 0
    assert p.llegadas_por_dia == Decimal(30) / 22  # October 2026: 30 requests over its 22 weekdays


def test_without_history_nothing_is_assumed_to_close():
    p = proyectar(
        "2026-11",
        {"tablero#2026-11#facturacion": {"ventas": 1, "centavos": 5_000}},
        date(2026, 11, 16),
        lunes_a_viernes,
    )
    assert p.conversion["recibidas"] == 0 and p.total == 5_000
    assert p.kpi.veredicto is Veredicto.SIN_BASE and p.faltante == 0


def test_business_days_leave_out_weekends_and_bolivian_holidays():
    calendario = CalendarioLaboral()
    noviembre_2026 = dias_habiles("2026-11", calendario.es_dia_habil)
    assert date(2026, 11, 2) not in noviembre_2026  # Día de Todos los Difuntos
    assert date(2026, 11, 7) not in noviembre_2026 and len(noviembre_2026) == 20
    assert date(2027, 2, 8) not in dias_habiles("2027-02", calendario.es_dia_habil)  # Carnaval


@pytest.mark.parametrize(
    ("mes", "dia", "esperado"),
    [
        ("2026-11", 10, date(2026, 11, 10)),
        ("2026-12", 20, date(2026, 12, 21)),  # a Sunday: the next business day
        ("2027-02", 10, date(2027, 2, 10)),
        ("2026-10", 31, None),  # Saturday the 31st: no business day left in the month
    ],
)
def test_a_checkpoint_on_a_day_off_moves_to_the_next_business_day(mes, dia, esperado):
    assert dia_de_control(mes, dia, CalendarioLaboral().es_dia_habil) == esperado


def test_late_in_the_month_only_the_share_of_open_sales_with_time_to_close_counts():
    # Given the 25th: 4 weekdays left (25, 26, 27, 30) against a sales cycle of 7 business days
    p = proyectar("2026-11", noviembre(), date(2026, 11, 25), lunes_a_viernes)
    assert (p.dias_restantes, p.ciclo_dias) == (4, Decimal("7.0"))
    assert p.a_tiempo == Decimal(4) / Decimal("7.0")
    # Then each open sale and each request before its offer counts 4/7 of its weight, and no arrival has time
    assert [(e.estado, e.ponderado) for e in p.etapas if e.cantidad and e.ponderado] == [
        ("oferta_enviada", 14_286),  # 50.000 x 0,5 x 4/7
        ("digitacion", 12_000),  # 30.000 x 0,7 x 4/7
        ("pago_pendiente", 9_412),  # 20.000 x 14/17 x 4/7
    ]
    assert p.sin_oferta == 19_047 and p.por_llegar == 0  # 4 x 8.333 x 4/7


def test_a_run_of_the_warning_is_recorded_in_whole_numbers_and_read_back():
    from chalicelib.domain.proyeccion import avisos_registrados, registro_aviso

    p = proyectar("2026-11", noviembre(facturado=20_000), date(2026, 11, 16), lunes_a_viernes)
    registro = registro_aviso("10", date(2026, 11, 16), p, enviado=True) | registro_aviso(
        "manual-2026-11-17", date(2026, 11, 17), p, enviado=False
    )
    assert all(isinstance(v, int) for v in registro.values())
    control, manual = avisos_registrados(registro)
    assert (control.control, control.fecha, control.enviado) == ("10", date(2026, 11, 16), True)
    assert control.porcentaje == p.kpi.porcentaje and control.veredicto == "OBSERVADO"
    assert (control.proyectado, control.faltante) == (p.total, p.faltante)
    assert (manual.control, manual.fecha, manual.enviado) == ("manual", date(2026, 11, 17), False)
