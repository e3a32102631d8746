"""The inbound mailbox: raw MIME from the SES S3 action, parsed with stdlib email (default policy)."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.adapters.s3_buzon import S3BuzonEntrante, parsear_mime
from chalicelib.domain.correo import CorreoNoDisponible
from tests.correo_util import eml

PARA = "ventas-digitales+0123456789abcdef0123456789abcdef@ventas.comteco.local"
ORIGINAL = "<ev-1.consulta_help_desk@ventas.comteco.local>"


def _crudo(nombre: str, **extra: str) -> bytes:
    return eml(
        nombre,
        de="Hugo.Mamani@ComTeco.example",
        para=PARA,
        asunto="RE: [VD-7F3K9Q2M] Confirmar capacidad técnica: 50 Mbps",
        en_respuesta_a=ORIGINAL,
        **extra,
    )


def test_a_gmail_reply_is_parsed_with_both_bodies_and_its_threading_headers():
    # When
    correo = parsear_mime("ses-1", _crudo("correo_gmail_si.eml"))
    # Then
    assert correo.remitente == "hugo.mamani@comteco.example"
    assert PARA in correo.destinatarios
    assert correo.referencias == (ORIGINAL,)
    assert correo.asunto == "RE: [VD-7F3K9Q2M] Confirmar capacidad técnica: 50 Mbps"
    assert correo.solicitud_en_asunto == "VD-7F3K9Q2M"
    assert correo.texto.startswith("Sí.\nVelocidad máxima: 40 Mbps") and "\r" not in correo.texto
    assert "gmail_quote" in correo.html
    assert correo.adjuntos == () and not correo.es_automatico


def test_an_outlook_reply_in_latin_1_is_decoded():
    # When
    correo = parsear_mime("ses-2", _crudo("correo_outlook_no.eml"))
    # Then
    assert "la ampliación está prevista para febrero" in correo.texto


def test_an_html_only_reply_has_no_text_body():
    # When
    correo = parsear_mime("ses-3", _crudo("correo_solo_html.eml"))
    # Then
    assert correo.texto == "" and "<b>NO</b>" in correo.html


def test_attachments_keep_their_names_types_and_bytes():
    # When
    correo = parsear_mime("ses-4", _crudo("correo_documentos.eml"))
    # Then
    assert correo.remitente == "hugo.mamani@comteco.example"
    assert [(a.nombre, a.tipo) for a in correo.adjuntos] == [
        ("CI_anverso.jpg", "image/jpeg"),
        ("carta_solicitud_firmada.pdf", "application/pdf"),
        ("IMG_20261130_1502.png", "image/png"),
        ("ver_fotos.exe", "application/x-msdownload"),
    ]
    assert correo.adjuntos[1].contenido.startswith(b"%PDF-1.4")


@pytest.mark.parametrize(
    "cabecera",
    ["Auto-Submitted: auto-replied", "X-Autoreply: yes", "Precedence: bulk", "Auto-Submitted: auto-generated"],
)
def test_auto_replies_are_recognised(cabecera):
    # When
    correo = parsear_mime("ses-5", _crudo("correo_iphone.eml", cabeceras_extra=cabecera))
    # Then
    assert correo.es_automatico


def test_dkim_signing_domains_are_read():
    # When
    correo = parsear_mime(
        "ses-6",
        _crudo(
            "correo_iphone.eml",
            cabeceras_extra="DKIM-Signature: v=1; a=rsa-sha256; d=ComTeco.example; s=sel; b=abc",
        ),
    )
    # Then
    assert correo.firmas_dkim == ("comteco.example",)


def test_the_mailbox_loads_the_message_the_receipt_rule_stored(settings):
    # Given
    s3 = boto3.client("s3", region_name=settings.region)
    s3.put_object(Bucket=settings.bucket_entrantes, Key="correo/abc123", Body=_crudo("correo_iphone.eml"))
    buzon = S3BuzonEntrante(bucket=settings.bucket_entrantes, prefijo="correo/", region=settings.region)
    # When
    correo = buzon.cargar("abc123")
    # Then
    assert correo.message_id == "abc123" and correo.texto.startswith("Si, hasta 30 megas")


@pytest.mark.parametrize("message_id", ["no-existe", "../otro/objeto"])
def test_a_missing_or_malformed_message_is_correo_no_disponible(settings, message_id):
    # Given
    buzon = S3BuzonEntrante(bucket=settings.bucket_entrantes, prefijo="correo/", region=settings.region)
    # When / Then
    with pytest.raises(CorreoNoDisponible):
        buzon.cargar(message_id)
