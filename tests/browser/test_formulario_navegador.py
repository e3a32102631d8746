"""The public web form in headless Chromium (Playwright), against the real app served by `chalice local` on moto:
a prospect on a phone (375 px) and on a desktop fills it in and sees the Spanish confirmation with the request
code; a bad submit shows the Spanish field errors with the values kept. Screenshots: test-artifacts/formulario/.
Fixtures (Chromium, `chalice local`, a fresh moto per test) come from tests/browser/conftest.py."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ESCRITORIO, MOVIL, RAIZ

pytestmark = pytest.mark.navegador

ARTEFACTOS = RAIZ / "test-artifacts" / "formulario"
PANTALLAS = {"movil": MOVIL, "escritorio": ESCRITORIO}


def _captura(pagina, nombre: str) -> None:
    ARTEFACTOS.mkdir(parents=True, exist_ok=True)
    pagina.screenshot(path=str(ARTEFACTOS / f"{nombre}.png"), full_page=True)
    ancho = pagina.evaluate("document.documentElement.scrollWidth")
    assert ancho <= pagina.viewport_size["width"], f"{nombre}: the page scrolls sideways ({ancho} px)"


@pytest.mark.parametrize("pantalla", list(PANTALLAS))
def test_a_prospect_sends_the_form_and_sees_the_request_code(navegador, sistema, pantalla):
    # Given the form on a phone or a desktop
    pagina = navegador.new_page()
    pagina.set_viewport_size(PANTALLAS[pantalla])
    pagina.goto(f"{sistema.url}/solicitud?utm_source=facebook")
    # When the prospect fills it in by its labels and sends it
    pagina.get_by_label("Nombre completo").fill("María Quispe Mamani")
    pagina.get_by_label("Teléfono o celular").fill("70712345")
    pagina.get_by_label("Correo electrónico").fill(f"maria.{pantalla}@example.com")
    pagina.get_by_label("Hogar").check()
    pagina.get_by_label("¿En qué podemos ayudarle?").fill("Quiero internet para mi casa.")
    pagina.get_by_label("Autorizo").check()
    _captura(pagina, f"formulario-{pantalla}")
    pagina.get_by_role("button", name="Enviar solicitud").click()
    pagina.wait_for_load_state()
    # Then the Spanish confirmation shows the request code, which the staff API knows
    assert "Recibimos su solicitud" in pagina.inner_text("h1")
    codigo = pagina.locator(".codigo").inner_text().strip()
    assert re.fullmatch(r"VD-[0-9A-Z]{8}", codigo)
    assert sistema.detalle(codigo)["solicitud"]["datos"]["telefono"] == "+59170712345"
    _captura(pagina, f"confirmacion-{pantalla}")


@pytest.mark.parametrize("pantalla", list(PANTALLAS))
def test_a_bad_submit_shows_spanish_field_errors_and_keeps_the_values(navegador, sistema, pantalla):
    pagina = navegador.new_page()
    pagina.set_viewport_size(PANTALLAS[pantalla])
    pagina.goto(f"{sistema.url}/solicitud")
    pagina.get_by_label("Nombre completo").fill("Jo")
    pagina.get_by_label("Teléfono o celular").fill("12345")
    pagina.get_by_label("¿En qué podemos ayudarle?").fill("Internet para la casa")
    pagina.get_by_label("Autorizo").check()
    pagina.get_by_role("button", name="Enviar solicitud").click()
    pagina.wait_for_load_state()
    assert pagina.locator("#nombre-error").inner_text() == "Escriba su nombre completo."
    assert "teléfono válido" in pagina.locator("#telefono-error").inner_text()
    assert pagina.get_by_label("Teléfono o celular").input_value() == "12345"
    assert pagina.get_by_label("¿En qué podemos ayudarle?").input_value() == "Internet para la casa"
    assert pagina.get_by_label("Teléfono o celular").get_attribute("aria-invalid") == "true"
    _captura(pagina, f"errores-{pantalla}")
