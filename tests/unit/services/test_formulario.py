"""The web form's validation (step 1)."""

from __future__ import annotations

import pytest

from chalicelib.adapters.contacto import NORMALIZADORES
from chalicelib.domain.errors import DatosInvalidos
from chalicelib.services.formulario import es_trampa, validar_formulario

VALIDO = {
    "nombre": "  Juan   Pérez ",
    "telefono": "707 12345",
    "email": "Juan.Perez@Gmail.com",
    "zona": "Cala Cala",
    "tipo_cliente": "residencial",
    "consentimiento": "on",
    "envio_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    "utm_source": "facebook",
}


def test_a_valid_submission_becomes_a_web_capture():
    cmd = validar_formulario(VALIDO, NORMALIZADORES)
    assert cmd.canal == "web"
    assert cmd.datos["nombre"] == "Juan Pérez"
    assert cmd.datos["telefono"] == "+59170712345"
    assert cmd.datos["email"] == "juan.perez@gmail.com"
    assert cmd.origen["utm_source"] == "facebook"
    assert cmd.clave_envio == "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert cmd.tipo_cliente_sugerido == "residencial"


def test_missing_name_phone_and_consent_are_reported_per_field():
    with pytest.raises(DatosInvalidos) as exc:
        validar_formulario({"email": "x"}, NORMALIZADORES)
    assert {"nombre", "telefono", "consentimiento", "email"} <= set(exc.value.errores)


@pytest.mark.parametrize("telefono", ["123", "abc", "+1 555", "9" * 40])
def test_bad_phones_are_rejected(telefono):
    with pytest.raises(DatosInvalidos) as exc:
        validar_formulario({**VALIDO, "telefono": telefono}, NORMALIZADORES)
    assert "telefono" in exc.value.errores


def test_business_words_suggest_enterprise_with_a_reason():
    cmd = validar_formulario({**VALIDO, "mensaje": "Necesito internet para mi oficina"}, NORMALIZADORES)
    assert cmd.tipo_cliente_sugerido == "empresarial" and "oficina" in cmd.motivo_clasificacion


def test_honeypot_marks_bots():
    assert es_trampa({"sitio_web": "http://spam"}) and not es_trampa({"sitio_web": ""})


def test_non_text_values_are_rejected():
    with pytest.raises(DatosInvalidos):
        validar_formulario({**VALIDO, "nombre": ["a"]}, NORMALIZADORES)
