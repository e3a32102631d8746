"""A requirement's ``documento`` is accepted only when it is a file the system stored for that request (issue 16,
item 7): the service every door calls refuses anything else with a 422 on ``documento``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.errors import DatosInvalidos
from chalicelib.domain.model import EntradaHistorial, Rol
from chalicelib.domain.requisitos import DOCUMENTO_AJENO, documentos_guardados, leer_referencia
from chalicelib.services import solicitudes
from tests.factories import make_entrada, make_solicitud

DOCS, ENTRANTES = "vd-documentos", "vd-entrantes"
CLAVE_WA = "canales/whatsapp/wamid.1/ci.jpg"


def _en_requisitos(repo):
    s = make_solicitud(estado="requisitos")
    repo.crear(s, make_entrada(s))
    return s


def _entrada(s, id_, tipo, **campos):
    return EntradaHistorial(solicitud_id=s.id, id=id_, en=s.actualizada_en, tipo=tipo, resumen="x", campos=campos)


def _con_adjuntos(repo, s):
    """What the intakes record: a WhatsApp photo (bare key), an email's stored attachment, an unclassified one."""
    correo = f"s3://{DOCS}/correo/{s.id}/ses-1/1-carta.pdf"
    suelto = f"s3://{DOCS}/correo/{s.id}/ses-1/2-foto.jpg"
    repo.agregar_historial(_entrada(s, "m1", "mensaje", adjuntos=[{"nombre": "ci.jpg", "s3_key": CLAVE_WA}]))
    repo.agregar_historial(
        _entrada(s, "correo#ses-1", "correo_recibido", ses_message_id="ses-1", adjuntos=[{"documento": correo}])
    )
    repo.agregar_historial(_entrada(s, "correo#ses-1#documento2", "documento_recibido", documento=suelto))
    return correo, suelto


def _aplicar(puertos, s, documento, rol=Rol.EJ, canal="api"):
    cmd = AplicarAccion(
        solicitud_id=s.id,
        accion="registrar_requisito",
        campos={"requisito": "ci", "documento": documento},
        actor="ej@ventas.test",
        rol=rol,
        canal=canal,
    )
    return solicitudes.aplicar(cmd, puertos=puertos)


@pytest.mark.parametrize("con_bucket", [True, False])
def test_the_files_the_intakes_stored_are_accepted_in_either_form(repo, puertos, con_bucket):
    puertos = replace(puertos, bucket_documentos=DOCS if con_bucket else None)
    s = _en_requisitos(repo)
    correo, suelto = _con_adjuntos(repo, s)
    for referencia in (CLAVE_WA, f"s3://{DOCS}/{CLAVE_WA}", correo, suelto, correo.removeprefix(f"s3://{DOCS}/")):
        assert _aplicar(puertos, s, referencia).requisitos["ci"]["documento"] == referencia
        s = repo.obtener(s.id)


@pytest.mark.parametrize(
    "referencia",
    [
        "correo/ses-1",  # the raw inbound mail's key (bare: the documents bucket)
        f"s3://{ENTRANTES}/correo/ses-1",  # the raw inbound mail itself
        f"s3://{ENTRANTES}/{CLAVE_WA}",  # a stored key, in another bucket
        f"s3://{DOCS}/canales/whatsapp/wamid.2/ci.jpg",  # a file never received for this request
        f"s3://{DOCS}/correo/VD-OTRA0001/ses-9/1-ci.jpg",  # another request's email attachment
        f"s3://{DOCS}/canales/whatsapp/wamid.1/../wamid.1/ci.jpg",
        "https://example.com/ci.jpg",
        "recibido por correo",
    ],
)
def test_anything_else_is_refused_with_a_field_error_and_nothing_written(repo, puertos, referencia):
    puertos = replace(puertos, bucket_documentos=DOCS)
    s = _en_requisitos(repo)
    _con_adjuntos(repo, s)
    antes = (repo.obtener(s.id), len(repo.historial(s.id)))
    with pytest.raises(DatosInvalidos) as error:
        _aplicar(puertos, s, referencia)
    assert error.value.errores == {"documento": DOCUMENTO_AJENO}
    assert (repo.obtener(s.id), len(repo.historial(s.id))) == antes


def test_a_reference_an_executive_typed_earlier_does_not_make_itself_trusted(repo, puertos):
    # registrar_requisito's own history entries (typed fields) never count as stored files
    s = _en_requisitos(repo)
    repo.agregar_historial(replace(_entrada(s, "a1", "accion", documento="correo/ses-1"), accion="registrar_requisito"))
    with pytest.raises(DatosInvalidos):
        _aplicar(puertos, s, "correo/ses-1")


def test_the_email_intake_registers_the_attachment_it_has_just_stored_for_this_request(repo, puertos):
    # The email intake stores the file under correo/<id>/ and registers it before it records the email
    puertos = replace(puertos, bucket_documentos=DOCS)
    s = _en_requisitos(repo)
    recien = f"s3://{DOCS}/correo/{s.id}/ses-2/1-ci.jpg"
    assert _aplicar(puertos, s, recien, rol=Rol.SISTEMA, canal="correo").requisitos["ci"]["documento"] == recien
    # but no other door, and never another request's prefix or another bucket
    s = repo.obtener(s.id)
    with pytest.raises(DatosInvalidos):
        _aplicar(puertos, s, f"s3://{DOCS}/correo/{s.id}/ses-3/1-ci.jpg")
    with pytest.raises(DatosInvalidos):
        _aplicar(puertos, s, f"s3://{ENTRANTES}/correo/{s.id}/ses-2/1-ci.jpg", rol=Rol.SISTEMA, canal="correo")
    with pytest.raises(DatosInvalidos):
        _aplicar(puertos, s, f"s3://{DOCS}/correo/VD-OTRA0001/ses-2/1-ci.jpg", rol=Rol.SISTEMA, canal="correo")


def test_an_unverified_contact_or_a_link_by_url_adds_no_stored_file():
    s = make_solicitud()
    guardados = documentos_guardados(
        [
            _entrada(s, "m1", "mensaje", verificado=False, adjuntos=[{"s3_key": "canales/web/x.jpg"}]),
            _entrada(s, "m2", "mensaje", adjuntos=[{"tipo": "image", "url": "https://cdn.example/x.jpg"}]),
            _entrada(s, "m3", "mensaje", adjuntos=[{"s3_key": f"s3://{ENTRANTES}/correo/ses-1"}]),
        ]
    )
    assert guardados.claves == frozenset()


@pytest.mark.parametrize("texto", ["", " ", "s3://", "s3:///x", "a b", "x/../y", "./x", "a//b", "http://x/y", 7])
def test_unreadable_references(texto):
    assert leer_referencia(texto) is None
