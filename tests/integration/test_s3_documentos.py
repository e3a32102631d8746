"""Stored documents are reachable only through SigV4 presigned links of at most 300 seconds, never public URLs."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests

from chalicelib.adapters.s3_documentos import MAX_SEGUNDOS, S3Documentos

CLAVE = "canales/whatsapp/wamid-1/ci.jpg"


@pytest.fixture
def documentos(settings):
    boto3.client("s3", region_name=settings.region).put_object(
        Bucket=settings.bucket_documentos, Key=CLAVE, Body=b"JPEG-CI", ServerSideEncryption="aws:kms"
    )
    return S3Documentos(
        bucket_documentos=settings.bucket_documentos, otros_buckets=(settings.bucket_entrantes,), region=settings.region
    )


@pytest.mark.parametrize("forma", ["clave", "s3"])
def test_a_document_link_is_signed_expires_within_300_seconds_and_opens_the_file(documentos, settings, forma):
    # Given
    referencia = CLAVE if forma == "clave" else f"s3://{settings.bucket_documentos}/{CLAVE}"

    # When
    url = documentos.enlace(referencia)

    # Then
    parametros = parse_qs(urlparse(url).query)
    assert parametros["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and parametros["X-Amz-Signature"]
    assert int(parametros["X-Amz-Expires"][0]) <= MAX_SEGUNDOS == 300
    respuesta = requests.get(url, timeout=10)
    assert respuesta.status_code == 200 and respuesta.content == b"JPEG-CI"
    assert respuesta.headers["content-disposition"] == 'inline; filename="ci.jpg"'


def test_a_longer_validity_is_capped_at_300_seconds(documentos):
    url = documentos.enlace(CLAVE, segundos=86400)
    assert parse_qs(urlparse(url).query)["X-Amz-Expires"] == ["300"]


def test_the_object_is_not_public(documentos, settings):
    # Given the same URL without its signature
    url = documentos.enlace(CLAVE).split("?", 1)[0]

    # When / Then
    assert requests.get(url, timeout=10).status_code == 403


@pytest.mark.parametrize(
    "referencia",
    ["s3://otro-bucket/ci.jpg", "https://example.com/ci.jpg", "recibido por correo", "", "s3://vd-documentos/"],
)
def test_references_that_are_not_our_documents_get_no_link(documentos, referencia):
    assert documentos.enlace(referencia) is None
