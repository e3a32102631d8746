"""Issue 16, items 3 and 7: a signed link reaches only the person it binds, and a requirement's document is only ever
a file the system stored for that request.

* Item 3 (moto, the local stage): the cashier's "factura impresa" link and the customer's accept / reject links
  used to be CC'd to the executives' mailbox, so an executive could record the invoice (or accept the offer) and the
  history blamed ``cajas@`` or the customer. Now the bound person's email carries the links and nobody else is on
  it; the executives get a separate copy with the same information and no link (and no reply token).
* Item 7 (every port faked): an executive set ``registrar_requisito``'s ``documento`` to ``correo/<ses-id>`` (the
  raw inbound mail, whose ids the history shows) and every staff role got a presigned link to it, spoofed and
  infected mail included. Now every door refuses it with a Spanish 422 on ``documento`` and writes nothing, and the
  presigned-link adapter never signs a key outside the documents bucket.

Before the fixes, each test below passed the attack (it found a link in the executives' mail; the reference was
applied with a 200 and linked).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from chalicelib.adapters.s3_documentos import S3Documentos
from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.errors import DatosInvalidos
from chalicelib.domain.model import EntradaHistorial, Rol
from chalicelib.domain.requisitos import DOCUMENTO_AJENO
from chalicelib.services import solicitudes
from tests.e2e.test_pagos import CLIENTE, _comprobante, _decidir, _en_pago_pendiente
from tests.hostil.mundo import sembrar, solicitud_en
from tests.hostil.test_fuzz_consola import _sesion

_APROBACION = re.compile(r"/aprobaciones/[A-Za-z0-9_.\-]+")
_TOKEN_RESPUESTA = re.compile(r"\+[0-9a-f]{32}@")
SES_ID = "0100019a7b3c4d5e-1f2a3b4c-5d6e-7f80-91a2-b3c4d5e6f708-000000"


# --- item 3: signed links --------------------------------------------------------------------------------------


def _enlaces(correo: dict) -> list[str]:
    return _APROBACION.findall((correo.get("text") or "") + (correo.get("html") or ""))


@pytest.mark.e2e
def test_signed_links_reach_only_the_person_they_bind_and_the_copies_carry_none(etapa):
    # Given a sale whose offer was sent and whose deposit Collections approved (the cashier's print link issued)
    buzones = etapa.settings.buzones
    solicitud_id = _en_pago_pendiente(etapa)
    _comprobante(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "aprobar_deposito", rol="CO")
    etapa.bombear()
    correos = [m for m in etapa.outbox() if solicitud_id in m["subject"]]

    # Then every email with a signed link goes to exactly the person the link binds, with nobody on copy
    con_enlaces = [m for m in correos if _enlaces(m)]
    destinos = sorted(tuple(m["to"]) for m in con_enlaces)
    assert destinos == [(buzones.cajas,), (buzones.cobranzas,), (CLIENTE,)]
    assert all(m["cc"] == [] for m in con_enlaces)

    # And the executives still get the Carta Comercial and the cashier's instruction, as copies without any link
    # or reply token (the attack: an executive opens what reached their mailbox and decides in someone's name)
    al_ejecutivo = [m for m in correos if buzones.ejecutivos in m["to"] + m["cc"]]
    carta = next(m for m in al_ejecutivo if "Carta Comercial" in m["subject"])
    cajas = next(m for m in al_ejecutivo if "facturar e imprimir" in m["subject"])
    assert [_enlaces(m) for m in al_ejecutivo] == [[] for _ in al_ejecutivo]
    assert "COPIA INFORMATIVA" in carta["text"] and CLIENTE in carta["text"] and "Hogar Fibra 50" in carta["text"]
    assert "COPIA INFORMATIVA" in cajas["text"] and buzones.cajas in cajas["text"] and "Bs 349,00" in cajas["text"]
    assert not _TOKEN_RESPUESTA.search(carta["reply_to"] or "") and carta["to"] == [buzones.ejecutivos]

    # And the bound people's emails are unchanged: the customer's carries the links and its reply token
    (al_cliente,) = [m for m in con_enlaces if m["to"] == [CLIENTE]]
    assert len(_enlaces(al_cliente)) >= 2 and _TOKEN_RESPUESTA.search(al_cliente["reply_to"])

    # And the history shows each email once: the main one to the bound person, the copy marked as such
    historial = etapa.detalle(solicitud_id, "RC")["historial"]
    copias = [e for e in historial if e["tipo"] == "correo" and e["campos"].get("copia_sin_enlaces")]
    assert sorted(e["campos"]["plantilla"] for e in copias) == ["carta_comercial", "instruccion_cajas"]
    assert all(e["campos"]["para"] == [buzones.ejecutivos] for e in copias)

    # And the cashier's own link still records the printed invoice, as Cajas
    (imprimir,) = dict.fromkeys(_enlaces(next(m for m in con_enlaces if m["to"] == [buzones.cajas])))
    hecho = _decidir(etapa, imprimir, decision="imprimir", numero_factura="F-001-000777", monto_bs="349,00")
    assert hecho.status_code == 200
    impresa = next(e for e in etapa.detalle(solicitud_id, "RC")["historial"] if e.get("accion") == "marcar_impresa")
    assert (impresa["rol"], impresa["actor"]) == ("CA", buzones.cajas)


# --- item 7: documents -----------------------------------------------------------------------------------------


def _con_correo_recibido(mundo) -> str:
    """A request waiting for requirements whose history shows a received email's SES id (as every staff role sees)."""
    if not mundo.servicios.repo.solicitudes:
        sembrar(mundo)
    solicitud_id = solicitud_en(mundo, "requisitos")
    mundo.servicios.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=solicitud_id,
            id=f"correo#{SES_ID}",
            en="2026-11-30T09:00:00-04:00",
            tipo="correo_no_autorizado",
            resumen="Correo rechazado: suplantación (DMARC FAIL).",
            canal="correo",
            campos={"ses_message_id": SES_ID, "de": "cliente@example.com"},
        )
    )
    return solicitud_id


def _ajenas(mundo) -> list[str]:
    entrantes = mundo.servicios.settings.bucket_entrantes
    documentos = mundo.servicios.settings.bucket_documentos
    return [
        f"correo/{SES_ID}",
        f"s3://{entrantes}/correo/{SES_ID}",
        f"s3://{documentos}/correo/{SES_ID}",
        f"s3://{documentos}/canales/whatsapp/otra-solicitud/ci.jpg",
        "https://example.com/ci.jpg",
    ]


def test_the_staff_api_refuses_any_reference_that_is_not_a_file_stored_for_the_request(mundo):
    # Given a request waiting for requirements and the raw inbound mail's id visible in its history
    solicitud_id = _con_correo_recibido(mundo)
    for referencia in _ajenas(mundo):
        # When an executive registers the CI photo with that reference
        cuerpo = {"accion": "registrar_requisito", "campos": {"requisito": "ci", "documento": referencia}}
        respuesta = mundo.pedir_sin_escribir(
            "POST /solicitudes/{id}/acciones (documento ajeno)",
            "POST",
            f"/solicitudes/{solicitud_id}/acciones",
            headers=mundo.bearer("EJ", **{"Content-Type": "application/json"}),
            body=json.dumps(cuerpo).encode(),
        )
        # Then 422 with the Spanish field error, nothing written, and no link for anyone
        assert respuesta.status_code == 422, (referencia, respuesta.body)
        assert respuesta.json_body["errores"] == {"documento": DOCUMENTO_AJENO}
    for rol in ("EJ", "RC", "CO", "CA", "HD", "FA", "JD"):
        detalle = mundo.pedir("GET /solicitudes/{id}", "GET", f"/solicitudes/{solicitud_id}", headers=mundo.bearer(rol))
        assert detalle.status_code != 200 or detalle.json_body.get("documentos", []) == []


def test_the_console_refuses_it_too(mundo):
    # Given the same request and a signed-in executive
    solicitud_id = _con_correo_recibido(mundo)
    cookie, csrf = _sesion(mundo, "EJ")
    for referencia in _ajenas(mundo):
        # When the console's form registers the requirement with that reference
        respuesta = mundo.pedir_sin_escribir(
            "POST /consola/solicitudes/{id}/acciones/{accion} (documento ajeno)",
            "POST",
            f"/consola/solicitudes/{solicitud_id}/acciones/registrar_requisito",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
            body=urlencode({"requisito": "ci", "documento": referencia, "csrf": csrf}).encode(),
        )
        # Then a Spanish 422 page with the field error, and nothing written
        assert respuesta.status_code == 422, referencia
        assert DOCUMENTO_AJENO in respuesta.body.decode()


@pytest.mark.parametrize("canal", ["correo", "whatsapp", "enlace"])
def test_the_system_doors_refuse_it_as_well(mundo, canal):
    # Given the request, and the service every door calls (the email and channel intakes apply as SISTEMA)
    solicitud_id = _con_correo_recibido(mundo)
    antes = mundo.huella()
    for referencia in _ajenas(mundo):
        comando = AplicarAccion(
            solicitud_id=solicitud_id,
            accion="registrar_requisito",
            campos={"requisito": "ci", "documento": referencia},
            actor="cliente@example.com",
            rol=Rol.SISTEMA,
            canal=canal,
        )
        # When / Then
        with pytest.raises(DatosInvalidos) as error:
            solicitudes.aplicar(comando, puertos=mundo.servicios._puertos)
        assert error.value.errores == {"documento": DOCUMENTO_AJENO}
    assert mundo.huella() == antes


def test_a_file_the_intake_stored_for_the_request_is_still_accepted_and_linked(mundo):
    # Given a CI photo the WhatsApp intake stored for this request (its key in the message's attachments)
    solicitud_id = _con_correo_recibido(mundo)
    clave = f"canales/whatsapp/wamid-{solicitud_id}/ci.jpg"
    mundo.servicios.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=solicitud_id,
            id=f"contacto#whatsapp#wamid-{solicitud_id}",
            en="2026-11-30T09:05:00-04:00",
            tipo="mensaje",
            resumen="Mensaje recibido por WhatsApp. Adjuntos: 1.",
            actor="prospecto:whatsapp",
            canal="whatsapp",
            campos={"adjuntos": [{"nombre": "ci.jpg", "tipo": "image/jpeg", "s3_key": clave}]},
        )
    )
    referencia = f"s3://{mundo.servicios.settings.bucket_documentos}/{clave}"

    # When the executive registers it
    cuerpo = {"accion": "registrar_requisito", "campos": {"requisito": "ci", "documento": referencia}}
    respuesta = mundo.pedir(
        "POST /solicitudes/{id}/acciones (documento propio)",
        "POST",
        f"/solicitudes/{solicitud_id}/acciones",
        headers=mundo.bearer("EJ", **{"Content-Type": "application/json"}),
        body=json.dumps(cuerpo).encode(),
    )

    # Then it is applied and shown as a link
    assert respuesta.status_code == 200, respuesta.body
    detalle = mundo.pedir("GET /solicitudes/{id}", "GET", f"/solicitudes/{solicitud_id}", headers=mundo.bearer("RC"))
    assert any(d["requisito"] == "ci" for d in detalle.json_body["documentos"])


def test_the_presigned_link_adapter_never_signs_raw_inbound_mail(mundo):
    # Given the adapter as the composition root builds it (the inbound bucket among the system's buckets)
    settings = mundo.servicios.settings
    adaptador = S3Documentos(
        bucket_documentos=settings.bucket_documentos, otros_buckets=(settings.bucket_entrantes,), region=settings.region
    )

    # When / Then: raw inbound mail, webhook deliveries, path tricks and other buckets get no link (no AWS call)
    for referencia in (
        f"s3://{settings.bucket_entrantes}/correo/{SES_ID}",
        f"s3://{settings.bucket_entrantes}/webhooks/meta/2026/11/30/x.json",
        f"s3://{settings.bucket_documentos}/correo/../../{settings.bucket_entrantes}/correo/{SES_ID}",
        "s3://otro-bucket/ci.jpg",
    ):
        assert adaptador.ubicar(referencia) is None, referencia
    assert adaptador.ubicar(f"s3://{settings.bucket_documentos}/canales/whatsapp/w1/ci.jpg") == (
        settings.bucket_documentos,
        "canales/whatsapp/w1/ci.jpg",
    )
