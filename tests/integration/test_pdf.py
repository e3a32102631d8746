"""The printable documents open as PDFs and their text (pdftotext, poppler-utils) shows the customer, the plan and
the amounts, in Spanish, with the date in La Paz."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib.adapters.pdf import NOTA_FACTURA, Fpdf2GeneradorPdf, fecha_larga

VISTA = {
    "id": "VD-7F3K9Q2M",
    "datos": {
        "nombre": "María Fernanda Quispe Ñusta",
        "telefono": "+59170712345",
        "email": "maria.quispe@example.com",
        "ci": "••••7890",
        "ci_expedido": "CB",
        "direccion": "Calle España 250",
        "zona": "Centro",
        "latitud": -17.3935,
        "longitud": -66.157,
        "cliente_existente": False,
    },
    "cobertura": {"disponible": True, "tecnologia": "FTTH", "zona_cobertura": "Centro (Casco Viejo)"},
    "oferta": {
        "plan_id": "hogar-fibra-50",
        "plan": "Hogar Fibra 50",
        "tecnologia": "FTTH",
        "velocidad_mbps": 50.0,
        "tarifa_mensual_bs": 199.0,
        "costo_instalacion_bs": 150.0,
        "modalidades": ["prepago", "pospago"],
        "enviada_en": "2026-11-30T23:30:00-04:00",
        "valida_hasta": "2026-12-15",
    },
    "digitacion": {
        "numero_contrato": "SCS-2026-000123",
        "codigo_cliente": "CL-0104501",
        "digitada_en": "2026-12-02T10:00:00-04:00",
    },
    "modalidad_pago": "prepago",
    "factura": {"numero": "F-001-000123", "monto_bs": 349.0, "emitida_en": "2026-12-03T12:00:00-04:00"},
}


@pytest.fixture(scope="module")
def pdftotext() -> str:
    ruta = shutil.which("pdftotext")
    if ruta is None:
        pytest.fail("pdftotext is missing: run scripts/instalar-herramientas.sh (Debian poppler-utils)")
    return ruta


def _texto(pdftotext: str, contenido: bytes, tmp_path: Path) -> str:
    archivo = tmp_path / "documento.pdf"
    archivo.write_bytes(contenido)
    resultado = subprocess.run([pdftotext, "-layout", str(archivo), "-"], capture_output=True, check=True, timeout=30)
    return " ".join(resultado.stdout.decode("utf-8").split())  # justified lines may break anywhere


@pytest.fixture(scope="module")
def generador() -> Fpdf2GeneradorPdf:
    return Fpdf2GeneradorPdf()


def test_the_carta_comercial_shows_customer_plan_amounts_validity_and_how_to_accept(generador, pdftotext, tmp_path):
    # Given / When
    contenido = generador.carta_comercial(VISTA)
    texto = _texto(pdftotext, contenido, tmp_path)

    # Then
    assert contenido.startswith(b"%PDF-")
    for esperado in (
        "COMTECO R.L.",
        "Cochabamba, 30 de noviembre de 2026",  # La Paz date of the sending
        "María Fernanda Quispe Ñusta",
        "Calle España 250, Centro",
        "Hogar Fibra 50",
        "50 Mbps",
        "Bs 199,00",
        "Bs 150,00",
        "Bs 349,00",
        "15 de diciembre de 2026",
        "ACEPTO",
        "VD-7F3K9Q2M",
    ):
        assert esperado in texto, esperado


def test_the_model_request_letter_leaves_the_ci_for_the_customer_to_write(generador, pdftotext, tmp_path):
    texto = _texto(pdftotext, generador.carta_solicitud(VISTA), tmp_path)
    assert "CARTA DE SOLICITUD DE SERVICIO" in texto
    assert "María Fernanda Quispe Ñusta" in texto and "Hogar Fibra 50" in texto and "Bs 199,00" in texto
    assert "Firma del titular" in texto and "7890" not in texto


def test_the_contract_form_carries_the_full_ci_contract_number_plan_and_signatures(generador, pdftotext, tmp_path):
    texto = _texto(pdftotext, generador.contrato(VISTA, "4567890"), tmp_path)
    for esperado in (
        "SOLICITUD CONTRATO DE SERVICIOS",
        "SCS-2026-000123",
        "CL-0104501",
        "4567890 CB",
        "María Fernanda Quispe Ñusta",
        "Calle España 250, Centro",
        "-17.39350, -66.15700",
        "Hogar Fibra 50",
        "Bs 199,00",
        "Bs 349,00",
        "Prepago",
        "Firma del titular",
        "Por COMTECO R.L.",
    ):
        assert esperado in texto, esperado


def test_the_invoice_splits_installation_and_first_month_and_says_it_is_a_demonstration(generador, pdftotext, tmp_path):
    texto = _texto(pdftotext, generador.factura(VISTA), tmp_path)
    for esperado in (
        "FACTURA",
        "F-001-000123",
        "03/12/2026",
        "María Fernanda Quispe Ñusta",
        "••••7890",
        "TOTAL: Bs 349,00",
    ):
        assert esperado in texto, esperado
    assert "Instalación del servicio Hogar Fibra 50" in texto and "primer mes" in texto
    assert "SIN VALOR FISCAL" in texto and "las facturas reales las emite Smartflex" in texto
    assert NOTA_FACTURA.startswith("Documento de demostración generado localmente")


def test_an_amount_that_is_not_installation_plus_tariff_is_one_service_line(generador, pdftotext, tmp_path):
    vista = {**VISTA, "factura": {"numero": "F-9", "monto_bs": 1250.5, "emitida_en": "2026-12-03"}}
    texto = _texto(pdftotext, generador.factura(vista), tmp_path)
    assert "Servicio de Internet Hogar Fibra 50" in texto and "TOTAL: Bs 1.250,50" in texto


def test_characters_outside_the_pdf_font_never_break_a_document(generador, pdftotext, tmp_path):
    vista = {**VISTA, "datos": {**VISTA["datos"], "nombre": "Ana 🌟 Ꮚ Quispe"}}
    texto = _texto(pdftotext, generador.carta_comercial(vista), tmp_path)
    assert "Ana ? ? Quispe" in texto


def test_a_request_with_almost_nothing_still_renders_every_document(generador, pdftotext, tmp_path):
    minima = {"id": "VD-00000001"}
    for contenido in (
        generador.carta_comercial(minima),
        generador.carta_solicitud(minima),
        generador.contrato(minima, ""),
        generador.factura(minima),
    ):
        assert "VD-00000001" in _texto(pdftotext, contenido, tmp_path)


def test_dates_are_written_in_spanish_in_la_paz_time() -> None:
    assert fecha_larga("2026-12-01T02:00:00+00:00") == "30 de noviembre de 2026"
    assert fecha_larga("2026-12-15") == "15 de diciembre de 2026"
    assert fecha_larga(None) == "—"
