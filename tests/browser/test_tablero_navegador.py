"""The dashboard of the month (issue 20) in headless Chromium, against `chalice local` on moto with the stream pump
delivering: the team lead and the division head open it from the console's top bar at desktop and phone widths and
see real figures (a sale invoiced, a request lost, an offer waiting), filter it by month and channel and download
it as CSV; other roles get a Spanish refusal; without a session the sign-in page brings them back to it.
Full-page screenshots land in test-artifacts/tablero/<rol>-<ancho>.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import ESCRITORIO, MOVIL, Consola
from tests.browser.test_consola_navegador import _hasta_no_atendida

pytestmark = pytest.mark.navegador

RAIZ = Path(__file__).resolve().parents[2]
CAPTURAS = RAIZ / "test-artifacts" / "tablero"
LA_PAZ = ZoneInfo("America/La_Paz")
PERSONAS = {
    "RC": "Rosa Responsable de Canales",
    "JD": "Jorge Jefe de División",
    "EJ": "Eva Ejecutiva",
    "HD": "Hugo Help Desk",
    "CO": "Carla Cobranzas",
    "CA": "Carlos Cajero",
    "FA": "Fabiola Facturación",
}
EMBUDO = {
    "Solicitudes recibidas": 3,
    "Visitado (clasificada como residencial)": 3,
    "Informado (oferta enviada)": 2,
    "Pre Venta (oferta aceptada)": 1,
    "Venta (digitada en Smartflex)": 1,
    "Facturada": 1,
    "Atendida / cerrada": 1,
}
"""The month as the tests leave it: a sale invoiced and closed, a request Help Desk could not serve, an offer sent."""


def _meses() -> tuple[str, str, str, str]:
    """The month in course on the server (La Paz) and the previous one: (AAAA-MM, label) each."""
    from chalicelib.domain.seguimiento import mes_anterior, nombre_mes

    mes = datetime.now(LA_PAZ).strftime("%Y-%m")
    anterior = mes_anterior(mes)
    return mes, nombre_mes(mes), anterior, nombre_mes(anterior)


def _hasta_forma_pago(sistema, solicitud_id: str) -> None:
    sistema.aplicar(solicitud_id, "clasificar_residencial")
    sistema.aplicar(
        solicitud_id, "registrar_datos", ci="7778889", direccion="Calle Jordán 100", latitud=-17.3935, longitud=-66.157
    )
    sistema.aplicar(solicitud_id, "consultar_cobertura")
    sistema.aplicar(solicitud_id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50)
    sistema.aplicar(solicitud_id, "confirmar_capacidad", rol="HD", velocidad_maxima_mbps=100)
    sistema.aplicar(solicitud_id, "enviar_oferta", plan=sistema.primer_plan(solicitud_id))


def _mes_con_cifras(sistema) -> dict[str, str]:
    """Through the staff API with the stream pump delivering: one sale invoiced (prepaid, web payment, its first
    payment as Smartflex expects it), one request Help Desk could not serve, one offer waiting for the customer."""
    vendida = sistema.nueva(nombre="María Flores", telefono="72223344", email="maria@correo.com.bo")
    _hasta_forma_pago(sistema, vendida)
    sistema.aplicar(vendida, "aceptar_oferta")
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        sistema.aplicar(vendida, "registrar_requisito", requisito=requisito)
    sistema.aplicar(vendida, "completar_requisitos")
    sistema.aplicar(vendida, "digitar_venta")
    sistema.aplicar(vendida, "elegir_prepago")
    sistema.bombear()
    oferta = sistema.detalle(vendida)["solicitud"]["oferta"]
    monto = round(float(oferta["tarifa_mensual_bs"]) + float(oferta.get("costo_instalacion_bs") or 0), 2)
    sistema.aplicar(vendida, "registrar_pago_web", rol="CO", id_transaccion="TX-77001", monto_bs=monto)
    sistema.aplicar(vendida, "confirmar_pago_web", rol="CO")
    sistema.aplicar(vendida, "enviar_factura", rol="CO", numero_factura="F-001-000901", monto_bs=monto)
    perdida = _hasta_no_atendida(sistema)
    ofertada = sistema.nueva(nombre="Luis Pérez", telefono="73334455", email="luis@correo.com.bo")
    _hasta_forma_pago(sistema, ofertada)
    while sistema.bombear():
        pass
    assert sistema.detalle(vendida)["solicitud"]["estado"] == "cerrada"
    return {"vendida": vendida, "perdida": perdida, "ofertada": ofertada, "monto": f"{float(monto):.2f}"}


def _bs(monto: str) -> str:
    """ "349.00" as the page shows it: "Bs 349,00"."""
    entero, decimales = monto.split(".")
    return f"Bs {int(entero):,}".replace(",", ".") + f",{decimales}"


@pytest.fixture
def personas(chromium, servidor) -> Iterator[Any]:
    """A fresh browser context (no cookies) per person, Spanish (Bolivia), La Paz time; all closed at the end."""
    contextos: list[Any] = []

    def nueva(ancho: dict[str, int] = ESCRITORIO) -> Consola:
        contexto = chromium.new_context(viewport=ancho, locale="es-BO", timezone_id="America/La_Paz")
        contexto.set_default_timeout(15000)
        contextos.append(contexto)
        return Consola(contexto.new_page(), servidor)

    yield nueva
    for contexto in contextos:
        contexto.close()


def _abrir_desde_la_barra(consola: Consola) -> Any:
    pagina = consola.pagina
    pagina.goto(f"{consola.url}/consola")
    enlace = pagina.get_by_role("link", name="Tablero del mes")
    assert enlace.is_visible()
    with pagina.expect_navigation():
        enlace.click()
    assert pagina.url == f"{consola.url}/consola/tablero"
    return pagina


def _tabla(seccion: Any) -> dict[str, list[str]]:
    """A table's rows: the row heading -> its cells' text."""
    filas: dict[str, list[str]] = {}
    for fila in seccion.locator("table.lista tbody tr").all():
        filas[fila.locator("th").inner_text().strip()] = [c.strip() for c in fila.locator("td").all_inner_texts()]
    return filas


def _revisar_tablero(pagina: Any, cifras: dict[str, str], etiqueta: str, anterior: str) -> None:
    assert pagina.evaluate("document.documentElement.lang").split("-")[0] == "es"
    assert pagina.get_by_role("heading", level=1).inner_text() == f"Tablero de {etiqueta} (en curso)"
    # The KPI so far: this month's billing against the previous month's (none: no base)
    kpi = pagina.locator("section[aria-labelledby=titulo-kpi]")
    assert kpi.get_by_role("heading", name="Facturación y KPI hasta hoy").is_visible()
    texto_kpi = kpi.inner_text()
    assert f"Facturación de {etiqueta}\n{_bs(cifras['monto'])}\n1 venta" in texto_kpi
    assert f"Facturación de {anterior}\nBs 0,00\n0 ventas" in texto_kpi
    assert "KPI hasta hoy" in texto_kpi and "SIN BASE" in texto_kpi
    assert "Solicitudes recibidas\n3\n" in texto_kpi
    # The funnel: its chart as inline SVG, and beside it the table of the same numbers
    embudo = pagina.locator("section[aria-labelledby=titulo-embudo]")
    filas = _tabla(embudo)
    assert {paso: int(celdas[0]) for paso, celdas in filas.items()} == EMBUDO
    assert {paso: int(celdas[2]) for paso, celdas in filas.items()} == EMBUDO  # every request came by the web form
    # Every chart is an inline <svg> with a table beside it (the trend's table in a disclosure)
    graficos = pagina.locator("section.panel:has(.grafico svg)")
    assert graficos.count() >= 2  # the funnel and the daily trend (and any chart added since)
    assert pagina.locator("section[aria-labelledby=titulo-tendencia] .grafico > svg").count() == 1
    for indice in range(graficos.count()):
        seccion = graficos.nth(indice)
        svg = seccion.locator(".grafico > svg")
        assert svg.count() == 1 and svg.get_attribute("role") == "img" and svg.get_attribute("aria-label")
        assert svg.is_visible() and svg.bounding_box()["width"] > 200
        assert seccion.locator("table.lista").count() == 1
    # The funnel chart prints the same numbers as its table: each step's label, this month's and last month's bars
    svg = embudo.locator(".grafico > svg")
    etiquetas = svg.evaluate("s => [...s.querySelectorAll('.axis.y text, .axis.x text')].map(t => t.textContent)")
    for paso in EMBUDO:
        assert paso.split(" (")[0] in etiquetas, f"the funnel chart lacks the step {paso}"
    valores = svg.evaluate("s => [...s.querySelectorAll('text.value')].map(t => t.textContent.trim())")
    numeros = [c[0] for c in filas.values()] + [c[1] for c in filas.values()]
    assert sorted(v for v in valores if v) == sorted(n for n in numeros if n != "0")  # a zero bar prints nothing
    # The daily trend: every day of the month, today with the invoice, the days to come empty
    tendencia = pagina.locator("section[aria-labelledby=titulo-tendencia]")
    tendencia.locator("summary").click()
    dias = _tabla(tendencia)
    hoy = str(datetime.now(LA_PAZ).day)
    assert dias[hoy][1] == _bs(cifras["monto"]) and dias[hoy][0] == "3"
    assert "1" in dias and len(dias) >= 28
    # The open pipeline: the offer that waits for the customer, with its amount
    abierto = _tabla(pagina.locator("section[aria-labelledby=titulo-abierto]"))
    assert abierto["Ofertas esperando la aceptación"][0] == "1"
    assert abierto["Ofertas esperando la aceptación"][1] != "Bs 0,00"
    assert abierto["Facturas por emitir"][:2] == ["0", "Bs 0,00"]
    # Losses and why
    perdidas = _tabla(pagina.locator("section[aria-labelledby=titulo-perdidas]"))
    assert perdidas["Help Desk sin capacidad técnica"] == ["1"]


def _sin_desborde(pagina: Any, ancho: int) -> None:
    desborde = pagina.evaluate("document.scrollingElement.scrollWidth")
    assert desborde <= ancho + 1, f"the page scrolls sideways at {ancho} px ({desborde} px wide)"


def test_the_team_lead_and_the_division_head_see_the_month_filter_it_and_download_it(personas, sistema):
    cifras = _mes_con_cifras(sistema)
    mes, etiqueta, anterior, etiqueta_anterior = _meses()
    CAPTURAS.mkdir(parents=True, exist_ok=True)

    for rol in ("RC", "JD"):
        for ancho in (ESCRITORIO, MOVIL):
            # When the team lead (then the division head) opens the dashboard from the console's top bar
            consola = personas(ancho)
            consola.ingresar(PERSONAS[rol])
            pagina = _abrir_desde_la_barra(consola)
            # Then the month's real figures are there, and nothing scrolls sideways on a phone
            _revisar_tablero(pagina, cifras, etiqueta, etiqueta_anterior)
            _sin_desborde(pagina, ancho["width"])
            pagina.screenshot(path=str(CAPTURAS / f"{rol}-{ancho['width']}.png"), full_page=True)

    # When the division head (still signed in, at phone width) chooses the previous month in the form
    pagina.locator("input[type=month]#mes").fill(anterior)
    with pagina.expect_navigation():
        pagina.get_by_role("button", name="Ver").click()
    # Then the URL carries it and the heading is the previous month's, closed and empty
    assert f"mes={anterior}" in pagina.url
    assert pagina.get_by_role("heading", level=1).inner_text() == f"Tablero de {etiqueta_anterior}"
    assert f"Facturación de {etiqueta_anterior}\nBs 0,00" in pagina.locator("#titulo-kpi + .cifras").inner_text()
    _sin_desborde(pagina, MOVIL["width"])

    # When they go back to this month and choose a channel
    pagina.locator("#mes").fill(mes)
    pagina.get_by_label("Canal").select_option(label="Formulario web")
    with pagina.expect_navigation():
        pagina.get_by_role("button", name="Ver").click()
    assert f"mes={mes}" in pagina.url and "canal=web" in pagina.url
    assert pagina.locator("h1 + p.sutil").inner_text().startswith(f"Formulario web · comparado con {etiqueta_anterior}")
    assert _bs(cifras["monto"]) in pagina.locator("#titulo-kpi + .cifras").inner_text()
    pagina.get_by_label("Canal").select_option(label="WhatsApp")
    with pagina.expect_navigation():
        pagina.get_by_role("button", name="Ver").click()
    assert "canal=whatsapp" in pagina.url
    assert f"Facturación de {etiqueta}\nBs 0,00" in pagina.locator("#titulo-kpi + .cifras").inner_text()
    assert _tabla(pagina.locator("section[aria-labelledby=titulo-embudo]"))["Solicitudes recibidas"][0] == "0"

    # And the CSV link of the whole month downloads a file with Spanish headings
    pagina.goto(f"{sistema.url}/consola/tablero")
    with pagina.expect_download() as descarga:
        pagina.get_by_role("link", name="CSV").click()
    assert descarga.value.suggested_filename == f"tablero-{mes}.csv"
    lineas = Path(descarga.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lineas[0] == f"Tablero de {etiqueta} (Todos los canales)"
    assert lineas[1] == f"Indicador;{etiqueta};{etiqueta_anterior}"
    assert lineas[2] == f"Facturación (Bs);{_bs(cifras['monto'])[3:]};0,00"
    assert lineas[3] == "Ventas facturadas;1;0"
    assert "Embudo por canal" in lineas and "Tendencia diaria" in lineas


@pytest.mark.parametrize("rol", ["EJ", "HD", "CO", "CA", "FA"])
def test_other_roles_get_a_spanish_refusal_without_figures(personas, sistema, rol):
    consola = personas()
    consola.ingresar(PERSONAS[rol])
    pagina = consola.pagina
    assert pagina.get_by_role("link", name="Tablero del mes").count() == 0
    respuesta = pagina.goto(f"{sistema.url}/consola/tablero")
    assert respuesta.status == 403
    assert pagina.evaluate("document.documentElement.lang").split("-")[0] == "es"
    assert pagina.get_by_role("heading", level=1).inner_text() == "Página no permitida para su rol"
    texto = pagina.locator("main").inner_text()
    assert "Solo el Responsable de Canales y el Jefe de División pueden ver el tablero del mes." in texto
    assert not re.search(r"Bs \d|Facturación|KPI|Embudo|\d+ %", texto)
    assert pagina.locator("svg[role=img], table").count() == 0


def test_without_a_session_the_dashboard_asks_to_sign_in_and_comes_back(personas, sistema):
    consola = personas()
    pagina = consola.pagina
    pagina.goto(f"{sistema.url}/consola/tablero")
    assert pagina.url.startswith(f"{sistema.url}/consola/ingresar")
    assert "siguiente=%2Fconsola%2Ftablero" in pagina.url
    assert pagina.evaluate("document.documentElement.lang").split("-")[0] == "es"
    with pagina.expect_navigation(url=f"{sistema.url}/consola/tablero"):
        pagina.get_by_role("button", name=PERSONAS["RC"]).click()
    assert pagina.get_by_role("heading", level=1).inner_text().startswith("Tablero de ")


def test_la_proyeccion_se_ve_en_el_tablero(personas, sistema):
    consola = personas()
    consola.ingresar(PERSONAS["RC"])
    consola.pagina.goto(f"{sistema.url}/consola/tablero")
    proyeccion = consola.pagina.locator("#proyeccion")
    assert proyeccion.is_visible()
    assert "Proyección" in proyeccion.inner_text()
