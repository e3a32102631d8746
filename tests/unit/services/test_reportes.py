"""Reports with fakes: hand-computed fixtures for the KPI and every count, sending once, roles, CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.errors import DatosInvalidos, RolNoAutorizado
from chalicelib.domain.model import Cambio, Rol
from chalicelib.domain.ports import CorreoRenderizado, Tabla
from chalicelib.services import reportes
from tests.datos_reportes import factura as _factura
from tests.datos_reportes import guardar as _guardar
from tests.datos_reportes import noviembre
from tests.factories import make_solicitud
from tests.fakes import FakeCalendario, FixedClock, con_supresion
from tests.unit.services.conftest import BUZONES

LA_PAZ = ZoneInfo("America/La_Paz")
RC = {Rol.RC}


class PlantillasDeReporte:
    """Records the context of each report email and renders a recognisable subject."""

    def __init__(self) -> None:
        self.contextos: list[tuple[str, dict[str, Any]]] = []

    def correo(self, nombre: str, contexto: dict[str, Any]) -> CorreoRenderizado:
        self.contextos.append((nombre, contexto))
        return CorreoRenderizado(asunto=f"[{nombre}]", texto=nombre, html=f"<p>{nombre}</p>")


@dataclass
class FakeGraficos:
    dibujados: list[dict[str, Any]] = field(default_factory=list)

    def informe_mensual(self, informe):
        self.dibujados.append(informe)
        return b"\x89PNG-fake"


@dataclass
class FakeHojas:
    libros: list[list[Tabla]] = field(default_factory=list)

    def libro(self, tablas):
        self.libros.append(list(tablas))
        return b"PK-fake"


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 12, 1, 8, 0, tzinfo=LA_PAZ))


@pytest.fixture
def plantillas():
    return PlantillasDeReporte()


@pytest.fixture
def graficos():
    return FakeGraficos()


@pytest.fixture
def hojas():
    return FakeHojas()


@pytest.fixture
def puertos(repo, clock, mailer, idempotencia, plantillas, graficos, hojas):
    return reportes.PuertosReportes(
        repo=repo,
        clock=clock,
        calendario=FakeCalendario(),
        mailer=con_supresion(mailer),
        plantillas=plantillas,
        idempotencia=idempotencia,
        graficos=graficos,
        hojas=hojas,
        buzones=BUZONES,
        url_publica="http://vd.test",
    )


# --- The monthly report: hand-computed fixture ---


def test_the_monthly_kpi_compares_net_billing_with_the_previous_month(repo, puertos):
    # Given the hand-computed November
    noviembre(repo)
    # When the report of the month that just ended is built
    informe = reportes.informe_mensual(None, roles={Rol.JD}, puertos=puertos)
    # Then November is compared with October, without the cancelled sale's invoice
    assert (informe["mes"], informe["mes_anterior"]) == ("2026-11", "2026-10")
    assert informe["kpi"] == {
        "facturacion_bs": Decimal("998.00"),
        "facturacion_anterior_bs": Decimal("1000.00"),
        "porcentaje": Decimal("99.80"),
        "umbral": Decimal("98"),
        "veredicto": "APROBADO",
        "motivo": "La facturación alcanzó al menos el 98 % de la de octubre de 2026.",
        "facturas": 3,
        "facturas_anterior": 1,
    }
    ventas = informe["ventas"]
    assert (ventas["cantidad"], ventas["monto_bs"], ventas["ticket_promedio_bs"]) == (
        3,
        Decimal("998.00"),
        Decimal("332.66"),
    )
    assert (ventas["prepago"], ventas["pospago"]) == (2, 1)
    assert (ventas["anuladas_facturadas"], ventas["anuladas_facturadas_bs"]) == (1, Decimal("249.50"))
    assert [v["id"] for v in ventas["detalle"]] == ["VD-I", "VD-A", "VD-B"]
    assert informe["parcial"] is False


def test_the_funnel_counts_how_many_of_the_months_prospects_reached_each_step(repo, puertos):
    noviembre(repo)
    informe = reportes.informe_mensual("2026-11", roles=RC, puertos=puertos)
    # Then the redigitation (F) is not a new prospect: 7 prospects
    assert [(p["paso"], p["cantidad"], p["porcentaje"]) for p in informe["embudo"]] == [
        ("recibidas", 7, Decimal("100.00")),
        ("visitado", 5, Decimal("71.42")),
        ("informado", 5, Decimal("71.42")),
        ("pre_venta", 4, Decimal("57.14")),
        ("venta", 4, Decimal("57.14")),
        ("facturada", 3, Decimal("42.85")),
        ("cerrada", 2, Decimal("28.57")),
    ]
    assert [p["del_paso_anterior"] for p in informe["embudo"]][-3:] == [
        Decimal("100.00"),
        Decimal("75.00"),
        Decimal("66.66"),
    ]


def test_sales_are_grouped_by_channel_plan_and_executive(repo, puertos):
    noviembre(repo)
    informe = reportes.informe_mensual("2026-11", roles=RC, puertos=puertos)
    canales = {
        c["canal"]: (c["solicitudes"], c["ventas"], c["monto_bs"], c["participacion"]) for c in informe["por_canal"]
    }
    assert canales == {
        "web": (4, 2, Decimal("649.00"), Decimal("65.03")),
        "facebook": (1, 1, Decimal("349.00"), Decimal("34.96")),
        "whatsapp": (1, 0, Decimal("0.00"), Decimal("0.00")),
        "botmaker": (1, 0, Decimal("0.00"), Decimal("0.00")),
        "messenger": (1, 0, Decimal("0.00"), Decimal("0.00")),
    }
    assert [c["canal"] for c in informe["por_canal"]][:2] == ["web", "facebook"]
    assert [(p["plan"], p["ventas"], p["monto_bs"]) for p in informe["por_plan"]] == [
        ("Hogar Fibra 50", 2, Decimal("649.00")),
        ("Hogar Fibra 100", 1, Decimal("349.00")),
    ]
    assert [
        (e["ejecutivo"], e["solicitudes"], e["ventas"], e["monto_bs"], e["no_atendidas"], e["anuladas"])
        for e in informe["por_ejecutivo"]
    ] == [
        ("carla", 0, 1, Decimal("450.00"), 0, 0),
        ("luis", 2, 1, Decimal("349.00"), 0, 1),
        ("ana", 5, 1, Decimal("199.00"), 1, 1),
        ("Sin asignar", 1, 0, Decimal("0.00"), 0, 0),
    ]


def test_unattended_cancelled_and_redigitated_counts_of_the_month(repo, puertos):
    noviembre(repo)
    informe = reportes.informe_mensual("2026-11", roles=RC, puertos=puertos)
    # Then G (new since Nov 30 07:00) and F (in digitation since Nov 20) are overdue on Dec 1
    assert informe["seguimiento"] == {
        "recibidas": 8,
        "prospectos": 7,
        "no_atendidas": 1,
        "vencidas": 2,
        "anuladas": 1,
        "redigitadas": 1,
        "redigitaciones": 1,
        "derivadas": 1,
    }
    assert [f["id"] for f in informe["no_atendidas"]] == ["VD-C"]
    assert [(a["id"], a["resultado"], a["redigitada_como"]) for a in informe["anuladas"]] == [
        ("VD-D", "ANULADA", None),
        ("VD-E", "ANULADA (REDIGITADA)", "VD-F"),
    ]
    assert {e["estado"]: e["cantidad"] for e in informe["estados"]} == {
        "nueva": 1,
        "digitacion": 1,
        "cerrada": 2,
        "no_atendida": 1,
        "derivada_empresas": 1,
        "anulada": 1,
        "redigitada": 1,
    }
    assert informe["primera_respuesta"] == {
        "con_respuesta": 3,
        "mediana_minutos": 30,
        "dentro_de_60_min": Decimal("66.66"),
    }


def test_the_monthly_report_reads_only_the_month_and_the_invoices_of_both_months(repo, puertos):
    noviembre(repo)
    informe = reportes.informe_mensual("2026-11", roles=RC, puertos=puertos)
    lectura = {k: v for k, v in informe["lectura"].items() if k != "segundos"}
    assert lectura == {
        "indices": ["por_mes", "por_mes_factura"],
        "solicitudes_del_mes": 8,
        "facturas_del_mes": 4,
        "facturas_mes_anterior": 1,
        "items_leidos": 13,
    }


@pytest.mark.parametrize(
    ("anterior", "actual", "porcentaje", "veredicto"),
    [
        ([199, "249.50", "351.50"], [400, 384], Decimal("98.00"), "APROBADO"),
        ([10000], ["9799.00"], Decimal("97.99"), "OBSERVADO"),
        ([], [500], None, "SIN BASE"),
        ([1000], [], Decimal("0.00"), "OBSERVADO"),
        ([], [], None, "SIN BASE"),
    ],
    ids=["exactly-98", "97.99", "previous-zero", "no-sales", "both-zero"],
)
def test_january_against_the_previous_years_december(repo, puertos, clock, anterior, actual, porcentaje, veredicto):
    # Given December 2026 and January 2027 invoices (and a closed sale in another year that must not count)
    clock.momento = datetime(2027, 2, 1, 8, 0, tzinfo=LA_PAZ)
    for i, monto in enumerate(anterior):
        _guardar(
            repo,
            estado="cerrada",
            creada_en="2026-12-02T09:00:00-04:00",
            factura=_factura(f"D{i}", monto, "2026-12-10T10:00:00-04:00"),
        )
    for i, monto in enumerate(actual):
        _guardar(
            repo,
            estado="cerrada",
            creada_en="2027-01-02T09:00:00-04:00",
            factura=_factura(f"E{i}", monto, "2027-01-10T10:00:00-04:00"),
        )
    _guardar(
        repo,
        estado="cerrada",
        creada_en="2025-12-02T09:00:00-04:00",
        factura=_factura("X", 777, "2025-12-10T10:00:00-04:00"),
    )
    # When the report of the month that just ended runs
    informe = reportes.informe_mensual(None, roles=RC, puertos=puertos)
    # Then January is compared with December 2026
    assert (informe["mes"], informe["mes_anterior"]) == ("2027-01", "2026-12")
    assert (informe["kpi"]["porcentaje"], informe["kpi"]["veredicto"]) == (porcentaje, veredicto)


def test_a_month_with_no_requests_at_all_still_reports(repo, puertos):
    informe = reportes.informe_mensual("2026-11", roles=RC, puertos=puertos)
    assert informe["kpi"]["veredicto"] == "SIN BASE"
    assert [p["cantidad"] for p in informe["embudo"]] == [0] * 7
    assert informe["embudo"][0]["porcentaje"] is None
    assert informe["ventas"]["ticket_promedio_bs"] == Decimal("0.00")
    assert informe["lectura"]["items_leidos"] == 0


def test_the_current_month_is_partial(repo, puertos):
    assert reportes.informe_mensual("2026-12", roles=RC, puertos=puertos)["parcial"] is True


@pytest.mark.parametrize("mes", ["2026-13", "noviembre", "2026-1", "2027-01"])
def test_a_malformed_or_future_month_is_refused_in_spanish(repo, puertos, mes):
    with pytest.raises(DatosInvalidos) as error:
        reportes.informe_mensual(mes, roles=RC, puertos=puertos)
    assert "mes" in error.value.errores


@pytest.mark.parametrize("rol", [Rol.EJ, Rol.HD, Rol.CO, Rol.CA, Rol.FA])
def test_only_the_team_lead_and_the_division_head_read_the_reports(repo, puertos, rol):
    for leer in (
        lambda: reportes.informe_mensual("2026-11", roles={rol}, puertos=puertos),
        lambda: reportes.reporte_no_atendidas(roles={rol}, puertos=puertos),
        lambda: reportes.reporte_seguimiento(None, roles={rol}, puertos=puertos),
        lambda: reportes.reenviar_informe_mensual(EnviarInformeMensual(), roles={rol}, puertos=puertos),
    ):
        with pytest.raises(RolNoAutorizado):
            leer()


# --- Sending the monthly report once ---


def test_the_monthly_job_run_twice_sends_one_email(repo, puertos, mailer, graficos, hojas):
    # Given November's data
    noviembre(repo)
    # When the schedule fires twice
    primera = reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=puertos)
    segunda = reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=puertos)
    # Then one email went to the division head (cc the team lead), with the chart inline and the spreadsheet
    assert (primera["enviado"], segunda["enviado"], segunda["motivo"]) == (True, False, "ya_enviado")
    assert segunda["message_id"] == primera["message_id"]
    assert len(mailer.enviados) == 1
    correo = mailer.enviados[0]
    assert (correo.para, correo.cc) == ((BUZONES.jefe_division,), (BUZONES.responsable_canales,))
    grafico, libro = correo.adjuntos
    assert (grafico.tipo, grafico.content_id, grafico.contenido) == ("image/png", reportes.CID_GRAFICO, b"\x89PNG-fake")
    assert (libro.nombre, libro.content_id) == ("informe-ventas-digitales-2026-11.xlsx", None)
    assert [t.nombre for t in hojas.libros[0]] == [
        "Resumen KPI",
        "Ventas",
        "Embudo",
        "Por canal",
        "Por plan",
        "Por ejecutivo",
        "No atendidas",
        "Anuladas",
    ]
    assert len(graficos.dibujados) == 1


def test_the_monthly_report_can_be_sent_again_on_purpose(repo, puertos, mailer, plantillas):
    noviembre(repo)
    reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=puertos)
    again = reportes.reenviar_informe_mensual(
        EnviarInformeMensual(mes="2026-11", solicitado_por="rosa@comteco.bo"), roles={Rol.RC}, puertos=puertos
    )
    assert again["enviado"] is True and again["reenvio"] is True
    assert len(mailer.enviados) == 2
    nombre, contexto = plantillas.contextos[-1]
    assert (nombre, contexto["reenvio"], contexto["solicitado_por"]) == ("informe_mensual", True, "rosa@comteco.bo")
    # And the schedule firing afterwards still sends nothing
    assert reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=puertos)["enviado"] is False


def test_a_failed_send_releases_the_month_so_the_next_run_sends_it(repo, puertos, mailer, idempotencia):
    noviembre(repo)
    mailer.fallar = True
    with pytest.raises(Exception):  # noqa: B017 - the mailer's own error
        reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=puertos)
    mailer.fallar = False
    assert reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=puertos)["enviado"] is True
    assert idempotencia.claves["informe#2026-11"].expira is None, "the monthly key is kept for good"


def test_a_report_ses_refused_waits_listed_and_leaves_on_a_later_run(repo, puertos, mailer, clock):
    from dataclasses import replace

    from tests.fakes_persistencia import InMemoryPendientes

    noviembre(repo)
    pendientes = InMemoryPendientes()
    con_pendientes = replace(puertos, pendientes=pendientes)
    # Given SES refusing the 08:00 and the 09:00 runs
    mailer.fallar = True
    for _ in range(2):
        resultado = reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=con_pendientes)
        # Then the run does not fail: it says why and records the report for the console
        assert (resultado["enviado"], resultado["motivo"]) == (False, "proveedor_no_disponible")
        clock.avanzar(hours=1)
    [envio] = pendientes.programados()
    assert (envio.clave, envio.intentos, envio.proveedor) == ("informe#2026-11", 2, "Correo (SES)")
    assert "noviembre de 2026" in envio.descripcion and "cada hora" in envio.reintento
    # When a later run finds SES back, Then it is sent once and no longer listed
    mailer.fallar = False
    assert reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=con_pendientes)["enviado"] is True
    assert pendientes.programados() == [] and len(mailer.enviados) == 1


def test_a_resend_on_purpose_that_ses_refused_fails_for_the_person_to_ask_again(repo, puertos, mailer):
    from dataclasses import replace

    from tests.fakes_persistencia import InMemoryPendientes

    noviembre(repo)
    pendientes = InMemoryPendientes()
    mailer.fallar = True
    with pytest.raises(Exception):  # noqa: B017 - the mailer's own error
        reportes.enviar_informe_mensual(
            EnviarInformeMensual(mes="2026-11", reenviar=True), puertos=replace(puertos, pendientes=pendientes)
        )
    assert pendientes.programados() == []


def test_a_digest_ses_refused_waits_listed_and_leaves_on_a_later_run(repo, puertos, mailer):
    from dataclasses import replace

    from tests.fakes_persistencia import InMemoryPendientes

    noviembre(repo)
    pendientes = InMemoryPendientes()
    con_pendientes = replace(puertos, pendientes=pendientes)
    mailer.fallar = True
    resultado = reportes.enviar_resumen_no_atendidas(puertos=con_pendientes)
    assert (resultado["enviado"], resultado["motivo"]) == (False, "proveedor_no_disponible")
    [envio] = pendientes.programados()
    assert envio.clave == "resumen#2026-12-01" and "Resumen diario" in envio.descripcion
    mailer.fallar = False
    assert reportes.enviar_resumen_no_atendidas(puertos=con_pendientes)["enviado"] is True
    assert reportes.enviar_resumen_no_atendidas(puertos=con_pendientes)["motivo"] == "ya_enviado"
    assert pendientes.programados() == [] and len(mailer.enviados) == 1


def test_each_month_is_sent_once_independently(repo, puertos, mailer, clock):
    reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=puertos)
    clock.momento = datetime(2027, 1, 1, 8, 0, tzinfo=LA_PAZ)
    reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=puertos)
    reportes.enviar_informe_mensual(EnviarInformeMensual(), puertos=puertos)
    assert [c.cabeceras["X-VD-Informe"] for c in mailer.enviados] == ["2026-11", "2026-12"]


# --- Step 19: unattended requests ---


def test_the_unattended_report_lists_who_why_and_for_how_long(repo, puertos):
    # Given November's data (C fell through; G and F are overdue on Dec 1 08:00)
    noviembre(repo)
    # When the team lead asks for the unattended requests
    reporte = reportes.reporte_no_atendidas(roles=RC, puertos=puertos)
    # Then overdue ones come first (longest overdue first), then the unattended ones
    filas = {f["id"]: f for f in reporte["solicitudes"]}
    assert [f["id"] for f in reporte["solicitudes"]] == ["VD-F", "VD-G", "VD-C"]
    assert (reporte["total"], reporte["vencidas"], reporte["no_atendidas"]) == (3, 2, 1)
    c = filas["VD-C"]
    assert (c["tipo"], c["ejecutivo"], c["motivo"], c["causa"], c["pendiente_de"]) == (
        "no_atendida",
        "ana",
        "Le parece caro",
        "Oferta rechazada por el cliente",
        "RC",
    )
    assert (c["espera_minutos"], c["espera"]) == (25 * 24 * 60 - 60, "24 d 23 h")
    g = filas["VD-G"]
    assert (g["tipo"], g["ejecutivo"], g["pendiente_de"], g["plazo"], g["atraso_minutos"]) == (
        "vencida",
        "Sin asignar",
        "EJ",
        "1 hora hábil",
        24 * 60,
    )
    assert g["motivo"] == "Superó el plazo de 1 hora hábil en «Nueva»."
    f = filas["VD-F"]
    assert (f["estado_etiqueta"], f["plazo"], f["espera"]) == ("Digitación en Smartflex", "1 día hábil", "10 d 21 h")
    assert reporte["por_pendiente_de"] == [{"rol": "EJ", "etiqueta": "Ejecutivo de Ventas Digitales", "vencidas": 2}]
    assert reporte["por_ejecutivo"][0] == {"ejecutivo": "ana", "vencidas": 1, "no_atendidas": 1, "total": 2}


def test_the_unattended_report_reads_only_the_follow_up_index(repo, puertos):
    noviembre(repo)
    reporte = reportes.reporte_no_atendidas(roles=RC, puertos=puertos)
    # Then it read the 3 index items due by now (C, F, G) and not K (new, not yet due) nor closed ones
    assert reporte["lectura"]["items_leidos"] == 3
    assert reporte["lectura"]["indices"] == ["por_atencion"]


@dataclass
class CalendarioLento:
    """Business time that runs slower than wall time: every business deadline is 3 days later."""

    def vencimiento(self, desde, minutos_habiles):
        return desde + timedelta(days=3, minutes=minutos_habiles)


def test_a_business_hour_deadline_that_has_not_passed_is_left_out(repo, puertos):
    # Given a request new since 07:00 of the previous day (due by wall clock, not by business hours)
    _guardar(repo, id="VD-N", creada_en="2026-11-30T07:00:00-04:00")
    _guardar(repo, id="VD-O", estado="oferta_enviada", estado_desde="2026-11-27T07:00:00-04:00")
    # When the report runs with a calendar whose business deadlines are later
    lento = reportes.PuertosReportes(**{**puertos.__dict__, "calendario": CalendarioLento()})
    reporte = reportes.reporte_no_atendidas(roles=RC, puertos=lento)
    # Then the business-hour one is read from the index but not reported; the calendar-day one is
    assert [f["id"] for f in reporte["solicitudes"]] == ["VD-O"]
    assert reporte["lectura"]["items_leidos"] == 2


def test_the_daily_digest_goes_once_a_day_to_the_team_lead_with_the_list_as_csv(repo, puertos, mailer, plantillas):
    noviembre(repo)
    primera = reportes.enviar_resumen_no_atendidas(puertos=puertos)
    segunda = reportes.enviar_resumen_no_atendidas(puertos=puertos)
    assert (primera["enviado"], segunda["enviado"], segunda["motivo"]) == (True, False, "ya_enviado")
    (correo,) = mailer.enviados
    assert correo.para == (BUZONES.responsable_canales,)
    (adjunto,) = correo.adjuntos
    assert (adjunto.nombre, adjunto.tipo) == ("no-atendidas-2026-12-01.csv", "text/csv")
    filas = list(csv.reader(io.StringIO(adjunto.contenido.decode("utf-8-sig")), delimiter=";"))
    assert filas[0][:3] == ["Código", "Cliente", "Teléfono"]
    assert [f[0] for f in filas[1:]] == ["VD-F", "VD-G", "VD-C"]
    nombre, contexto = plantillas.contextos[0]
    assert nombre == "resumen_no_atendidas" and [f["id"] for f in contexto["vencidas"]] == ["VD-F", "VD-G"]


def test_no_digest_is_sent_when_nothing_is_pending(repo, puertos, mailer):
    resultado = reportes.enviar_resumen_no_atendidas(puertos=puertos)
    assert (resultado["enviado"], resultado["motivo"]) == (False, "sin_pendientes")
    assert mailer.enviados == []


# --- Steps 20 and 25: follow-up ---


def test_the_follow_up_report_shows_closed_against_cancelled_by_executive_and_channel(repo, puertos):
    noviembre(repo)
    reporte = reportes.reporte_seguimiento("2026-11", roles=RC, puertos=puertos)
    assert reporte["resumen"] == {
        "recibidas": 8,
        "cerradas": 2,
        "anuladas": 1,
        "redigitadas": 1,
        "no_atendidas": 1,
        "derivadas": 1,
        "en_curso": 2,
        "redigitaciones": 1,
    }
    por_ejecutivo = {
        f["ejecutivo"]: (f["recibidas"], f["cerradas"], f["anuladas"], f["redigitadas"])
        for f in reporte["por_ejecutivo"]
    }
    assert por_ejecutivo == {"ana": (5, 1, 0, 1), "luis": (2, 1, 1, 0), "Sin asignar": (1, 0, 0, 0)}
    por_canal = {f["canal"]: (f["recibidas"], f["cerradas"], f["anuladas"]) for f in reporte["por_canal"]}
    assert por_canal["web"] == (4, 1, 1) and por_canal["facebook"] == (1, 1, 0)


def test_both_sides_of_a_redigitation_are_linked_in_the_follow_up(repo, puertos):
    noviembre(repo)
    reporte = reportes.reporte_seguimiento("2026-11", roles=RC, puertos=puertos)
    anuladas = {a["id"]: a for a in reporte["anuladas"]}
    assert (anuladas["VD-E"]["redigitada_como"], anuladas["VD-E"]["redigitacion_estado"]) == ("VD-F", "digitacion")
    assert anuladas["VD-E"]["redigitable"] is False and anuladas["VD-D"]["redigitable"] is True
    assert [(r["id"], r["redigitacion_de"], r["original_motivo"]) for r in reporte["redigitaciones"]] == [
        ("VD-F", "VD-E", "Cliente duplicado")
    ]
    assert [r["id"] for r in reporte["redigitables"]] == ["VD-D"]


def test_a_cancelled_sale_of_an_earlier_month_is_still_redigitable_and_its_link_is_read(repo, puertos):
    # Given a sale cancelled in October, and an October redigitation of an older original
    _guardar(
        repo,
        id="VD-Q",
        creada_en="2026-10-02T09:00:00-04:00",
        estado="anulada",
        estado_desde="2026-10-09T09:00:00-04:00",
    )
    _guardar(repo, id="VD-R", creada_en="2026-09-02T09:00:00-04:00", estado="redigitada", redigitada_como="VD-S")
    _guardar(repo, id="VD-S", creada_en="2026-11-02T09:00:00-04:00", estado="digitacion", redigitacion_de="VD-R")
    # When November's follow-up is read
    reporte = reportes.reporte_seguimiento("2026-11", roles=RC, puertos=puertos)
    # Then October's cancellation is redigitable, and the original of S (September) was read one by one
    assert [r["id"] for r in reporte["redigitables"]] == ["VD-Q"]
    assert reporte["redigitaciones"][0]["redigitacion_de"] == "VD-R"
    assert reporte["lectura"]["items_leidos"] == 1 + 1 + 1


def test_the_follow_up_defaults_to_the_current_month(repo, puertos):
    assert reportes.reporte_seguimiento(None, roles=RC, puertos=puertos)["mes"] == "2026-12"


# --- CSV and spreadsheet tables ---


def test_csv_is_for_excel_in_bolivia(repo, puertos):
    noviembre(repo)
    informe = reportes.informe_mensual("2026-11", roles=RC, puertos=puertos)
    texto = reportes.csv_de([t for t in reportes.tablas_informe(informe) if t.nombre == "Ventas"])
    assert texto.startswith("\ufeffFecha;Factura;Solicitud;")
    assert "\r\n" in texto
    filas = list(csv.reader(io.StringIO(texto.lstrip("\ufeff")), delimiter=";"))
    assert filas[1] == [
        "02/11/2026 10:00",
        "F-I",
        "VD-I",
        "María Quispe Mamani",
        "Formulario web",
        "Hogar Fibra 50",
        "Prepago",
        "carla",
        "450,00",
    ]


def test_several_tables_in_one_csv_go_under_their_titles(repo, puertos):
    noviembre(repo)
    reporte = reportes.reporte_seguimiento("2026-11", roles=RC, puertos=puertos)
    lineas = reportes.csv_de(reportes.tablas_seguimiento(reporte)).lstrip("\ufeff").split("\r\n")
    assert lineas[0] == "Seguimiento de noviembre de 2026 por ejecutivo"
    assert "" in lineas and "Ventas anuladas pendientes de redigitación" in lineas


def test_the_spreadsheet_has_every_sheet_with_exact_amounts(repo, puertos):
    noviembre(repo)
    informe = reportes.informe_mensual("2026-11", roles=RC, puertos=puertos)
    tablas = {t.nombre: t for t in reportes.tablas_informe(informe)}
    resumen = dict(tablas["Resumen KPI"].filas)
    assert resumen["KPI (%)"] == Decimal("99.80") and resumen["Resultado"] == "APROBADO"
    assert resumen["Facturación de noviembre de 2026 (Bs)"] == Decimal("998.00")
    assert [f[-1] for f in tablas["Ventas"].filas] == [Decimal("450.00"), Decimal("199.00"), Decimal("349.00")]


def test_durations_read_in_short_spanish():
    assert [reportes.duracion(m) for m in (0, 45, 60, 200, 1440, 1500, 3000)] == [
        "0 min",
        "45 min",
        "1 h",
        "3 h 20 min",
        "1 d",
        "1 d 1 h",
        "2 d 2 h",
    ]


def test_an_executive_action_records_who_the_executive_is():
    # Given a new request
    from chalicelib.domain.states import Accion, transition

    s = make_solicitud()
    ahora = datetime(2026, 11, 30, 10, 0, tzinfo=LA_PAZ)
    # When an executive classifies it, and later Help Desk answers
    clasificada, _ = transition(
        s,
        Accion.CLASIFICAR_RESIDENCIAL,
        campos={},
        actor="eva@comteco.bo",
        rol=Rol.EJ,
        canal="api",
        ahora=ahora,
        cambio_id="c1",
    )
    # Then the executive is recorded and other roles do not replace it
    assert clasificada.ejecutivo == "eva@comteco.bo"
    otra = make_solicitud(estado="consulta_help_desk", ejecutivo="eva@comteco.bo")
    respondida, _ = transition(
        otra,
        Accion.CONFIRMAR_CAPACIDAD,
        campos={"velocidad_maxima_mbps": 100},
        actor="hugo@comteco.bo",
        rol=Rol.HD,
        canal="api",
        ahora=ahora,
        cambio_id="c2",
    )
    assert respondida.ejecutivo == "eva@comteco.bo"
    assert isinstance(respondida.ultimo_cambio, Cambio)


def test_text_that_looks_like_a_formula_is_neutralised_in_csv(repo, puertos):
    # Given a prospect whose name is a spreadsheet formula
    _guardar(repo, id="VD-X", creada_en="2026-11-30T07:00:00-04:00", datos={"nombre": '=HYPERLINK("http://x","Ver")'})
    # When the unattended report is exported as CSV
    reporte = reportes.reporte_no_atendidas(roles=RC, puertos=puertos)
    filas = list(
        csv.reader(io.StringIO(reportes.csv_de([reportes.tabla_no_atendidas(reporte["solicitudes"])])), delimiter=";")
    )
    # Then Excel shows it as text, while phone numbers stay numbers
    assert filas[1][1] == '\'=HYPERLINK("http://x","Ver")'
    assert (
        reportes.texto_seguro("+59171234567") == "+59171234567" and reportes.texto_seguro("@SUMA(A1)") == "'@SUMA(A1)"
    )
