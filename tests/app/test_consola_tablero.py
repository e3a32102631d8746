"""The live dashboard in the console (issue 20) through the Chalice test client with fakes: who may see it, what
it shows for the hand-computed November (the same figures as the Informe General), its filters and exports."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.app.test_consola import Visitante, html
from tests.datos_reportes import noviembre


@pytest.fixture
def visitante(cliente):
    return Visitante(cliente)


@pytest.fixture
def mes(servicios):
    """November as the stream would have counted it (the app tests have no stream: each request is counted)."""
    for s in noviembre(servicios.repo).values():
        servicios.contar_en_tablero(s)
    return "2026-11"


@pytest.mark.parametrize("rol", ["RC", "JD"])
def test_the_team_lead_and_the_division_head_see_the_month_beside_the_previous_one(visitante, mes, rol):
    visitante.ingresar(rol)
    respuesta = visitante.get("/consola/tablero")
    assert respuesta.status_code == 200
    pagina = html(respuesta)
    # The month in course (the clock is on 30 November) against October, with the KPI so far
    assert "Tablero de noviembre de 2026 (en curso)" in pagina
    assert "Bs 998,00" in pagina and "Bs 1.000,00" in pagina
    assert "99,80 %" in pagina and "APROBADO" in pagina
    # Every chart is SVG drawn on the server, with no script, and its numbers are in a table
    assert pagina.count('<svg role="img"') == 2 and "<script" not in pagina
    for titulo in (
        "Embudo por etapa",
        "Tendencia diaria",
        "Velocidad de la primera respuesta",
        "Solicitudes perdidas",
        "Lo que aún puede cerrar este mes",
    ):
        assert titulo in pagina
    assert "Solicitudes recibidas" in pagina and "Formulario web" in pagina


@pytest.mark.parametrize("rol", ["EJ", "HD", "CO", "CA", "FA"])
def test_other_roles_get_a_refusal_page(visitante, mes, rol):
    visitante.ingresar(rol)
    respuesta = visitante.get("/consola/tablero")
    assert respuesta.status_code == 403
    assert "Solo el Responsable de Canales y el Jefe de División" in html(respuesta)


def test_without_a_session_it_asks_to_sign_in_and_comes_back(visitante):
    respuesta = visitante.get("/consola/tablero?mes=2026-11")
    assert respuesta.status_code == 303
    destino = urlparse(respuesta.headers["Location"])
    assert destino.path == "/consola/ingresar"
    assert parse_qs(destino.query)["siguiente"] == ["/consola/tablero?mes=2026-11"]


def test_the_month_and_the_channel_come_from_the_url(visitante, mes):
    visitante.ingresar("RC")
    octubre = html(visitante.get("/consola/tablero?mes=2026-10"))
    assert "Tablero de octubre de 2026</h1>" in octubre and "Bs 1.000,00" in octubre
    web = html(visitante.get("/consola/tablero?mes=2026-11&canal=web"))
    assert "Formulario web · comparado con octubre de 2026" in web
    assert "Bs 649,00" in web  # A and I, the web form's invoices of November


@pytest.mark.parametrize("consulta", ["mes=2026-13", "mes=2027-01", "mes=noviembre", "canal=fax"])
def test_a_wrong_filter_gets_a_spanish_page_and_reads_nothing(visitante, mes, consulta):
    visitante.ingresar("RC")
    respuesta = visitante.get(f"/consola/tablero?{consulta}")
    assert respuesta.status_code == 400
    assert "Filtros no válidos" in html(respuesta)


def test_what_is_shown_downloads_as_csv_and_xlsx(visitante, mes):
    visitante.ingresar("JD")
    csv = visitante.get("/consola/tablero?mes=2026-11&formato=csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert 'filename="tablero-2026-11.csv"' in csv.headers["Content-Disposition"]
    texto = csv.body.decode("utf-8-sig") if isinstance(csv.body, bytes) else csv.body.lstrip("\ufeff")
    assert "Facturación (Bs);998,00;1000,00" in texto and "KPI hasta hoy (%);99,80;" in texto
    assert "Embudo por canal" in texto and "Tendencia diaria" in texto
    navegador = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what a browser asks for
    xlsx = visitante.cliente.http.get(
        "/consola/tablero?mes=2026-11&canal=web&formato=xlsx", headers=visitante._cabeceras({"Accept": navegador})
    )
    assert xlsx.status_code == 200 and xlsx.body[:2] == b"PK"
    assert 'filename="tablero-2026-11-web.xlsx"' in xlsx.headers["Content-Disposition"]


def test_the_top_bar_links_the_dashboard_for_rc_and_jd_only(visitante, mes):
    visitante.ingresar("RC")
    assert '<a href="/consola/tablero">Tablero del mes</a>' in html(visitante.get("/consola"))
    otro = Visitante(visitante.cliente)
    otro.ingresar("EJ")
    assert "/consola/tablero" not in html(otro.get("/consola"))


def seccion(pagina: str, ident: str) -> str:
    inicio = pagina.index(f'id="{ident}"')
    return pagina[inicio : pagina.index("</section>", inicio)]


def test_the_month_in_course_shows_its_projection_and_how_it_is_made(visitante, mes):
    visitante.ingresar("RC")
    pagina = html(visitante.get("/consola/tablero"))
    proyeccion = seccion(pagina, "proyeccion")
    # On the 30th (the app tests' clock) with Bs 998 billed: the projection, its verdict, the target and each term
    assert "Proyección al cierre del mes" in proyeccion
    assert (
        "Facturación proyectada al cierre" in proyeccion and "meta: Bs 980,00 (98 % de octubre de 2026)" in proyeccion
    )
    assert "Facturado hasta hoy" in proyeccion and "Bs 998,00" in proyeccion
    for concepto in ("Ventas en curso × probabilidad de facturar", "aún sin oferta", "Solicitudes por llegar"):
        assert concepto in proyeccion
    assert "APROBADO" in proyeccion and "Días hábiles: lunes a viernes sin feriados nacionales" in proyeccion
    # The open pipeline's table says what each state adds to it
    assert "Probabilidad de facturar" in pagina and "Aporte a la proyección" in pagina


def test_a_closed_month_says_its_final_figure_and_a_channel_points_to_all_channels(visitante, mes):
    visitante.ingresar("JD")
    octubre = seccion(html(visitante.get("/consola/tablero?mes=2026-10")), "proyeccion")
    assert "octubre de 2026 ya cerró: su facturación final es Bs 1.000,00" in octubre
    web = seccion(html(visitante.get("/consola/tablero?mes=2026-11&canal=web")), "proyeccion")
    assert "se calcula para todos los canales juntos" in web


def test_the_export_has_the_projection(visitante, mes):
    visitante.ingresar("RC")
    texto = visitante.get("/consola/tablero?formato=csv").body.decode("utf-8-sig")
    assert "Proyección al cierre de noviembre de 2026" in texto and "Meta (98 % del mes anterior)" in texto
