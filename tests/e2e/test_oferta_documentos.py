"""Offer, documents and Smartflex end to end on the local stage, through public interfaces only: the web form,
the staff API, the customer's email reply (local SMTP intake) and signed link, the outbox with its PDF attachments,
presigned document links, the contract PDF and the developer route that cancels a sale in the simulated Smartflex.
"""

from __future__ import annotations

import re
import shutil
import smtplib
import socket
import subprocess
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

pytestmark = pytest.mark.e2e

CLIENTE = "maria.quispe@example.com"
COORDENADAS_CENTRO = {"latitud": -17.3935, "longitud": -66.157}


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(etapa):
    from localstage.smtp import desde_settings

    def invocar(nombre: str, evento: dict[str, Any]) -> Any:
        return etapa.cliente.lambda_.invoke(nombre, evento).payload

    servidor = desde_settings(etapa.settings, invocar, puerto=_puerto_libre()).iniciar()
    yield servidor
    servidor.detener()


def _negociando(etapa, ci: str = "4567890") -> str:
    respuesta = etapa.enviar_formulario(
        nombre="María Quispe Mamani",
        telefono="70712345",
        email=CLIENTE,
        zona="Centro",
        direccion="Calle España 250",
        tipo_cliente="residencial",
        consentimiento="on",
    )
    assert respuesta.status_code == 201, respuesta.body
    solicitud_id = re.search(r"VD-[0-9A-Z]{8}", respuesta.body.decode()).group(0)
    etapa.bombear()
    etapa.aplicar(solicitud_id, "clasificar_residencial")
    etapa.aplicar(solicitud_id, "registrar_datos", ci=ci, ci_expedido="CB", **COORDENADAS_CENTRO)
    etapa.aplicar(solicitud_id, "consultar_cobertura")
    etapa.aplicar(solicitud_id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=100)
    etapa.aplicar(solicitud_id, "confirmar_capacidad", rol="HD", velocidad_maxima_mbps=100, tecnologia="FTTH")
    return solicitud_id


def _correos(etapa, solicitud_id: str, para: str | None = None) -> list[dict[str, Any]]:
    return [m for m in etapa.outbox() if solicitud_id in m["subject"] and (para is None or m["to"] == [para])]


def _pdf(adjuntos: list[dict[str, Any]], nombre: str) -> dict[str, Any]:
    (adjunto,) = [a for a in adjuntos if a["filename"] == nombre]
    assert adjunto["content_type"] == "application/pdf" and adjunto["size"] > 1000
    return adjunto


def _responder(
    smtp, pregunta: dict[str, Any], texto: str, de: str = CLIENTE, adjunto: tuple[str, bytes] | None = None
) -> dict[str, Any]:
    mensaje = EmailMessage()
    mensaje["From"] = de
    mensaje["To"] = pregunta["reply_to"]
    mensaje["Subject"] = "RE: " + pregunta["subject"]
    mensaje["In-Reply-To"] = pregunta["headers"]["Message-ID"]
    mensaje["Message-ID"] = f"<respuesta.{_puerto_libre()}@cliente.example>"
    mensaje.set_content(texto + "\n\nEl lun, 30 nov 2026 a las 10:00, Ventas Digitales escribió:\n> Carta Comercial\n")
    if adjunto is not None:
        mensaje.add_attachment(adjunto[1], maintype="image", subtype="jpeg", filename=adjunto[0])
    with smtplib.SMTP("127.0.0.1", smtp.puerto, timeout=60) as conexion:
        conexion.send_message(mensaje, de, [pregunta["reply_to"]])
    return smtp.entregados[-1]["resultado"]["resultados"][0]


def _texto_pdf(contenido: bytes, tmp_path) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "run scripts/instalar-herramientas.sh (poppler-utils)"
    archivo = tmp_path / "contrato.pdf"
    archivo.write_bytes(contenido)
    salida = subprocess.run([pdftotext, str(archivo), "-"], capture_output=True, check=True, timeout=30).stdout
    return " ".join(salida.decode("utf-8").split())


def test_offer_accepted_by_email_then_documents_contract_and_cancellation_in_smartflex(etapa, smtp, tmp_path):
    # Given a request in negotiation: the plan options are the catalogue plans that fit FTTH at 100 Mbps
    solicitud_id = _negociando(etapa)
    oferta = next(a for a in etapa.detalle(solicitud_id)["acciones_disponibles"] if a["accion"] == "enviar_oferta")
    plan = next(c for c in oferta["campos"] if c["nombre"] == "plan")
    assert [o["valor"] for o in plan["opciones"]] == ["hogar-fibra-50", "hogar-fibra-100"]

    # When the executive sends the offer
    etapa.aplicar(solicitud_id, "enviar_oferta", plan="hogar-fibra-100")

    # Then the customer gets the Carta Comercial with its PDF, a reply address and the accept / reject links
    (carta,) = _correos(etapa, solicitud_id, CLIENTE)[-1:]
    assert "Carta Comercial" in carta["subject"] and carta["cc"] == []  # the executives get a copy, no link
    (copia,) = _correos(etapa, solicitud_id, etapa.settings.buzones.ejecutivos)[-1:]
    assert "Carta Comercial" in copia["subject"] and "/aprobaciones/" not in copia["text"] + copia["html"]
    _pdf(carta["attachments"], f"Carta_Comercial_{solicitud_id}.pdf")
    assert "Hogar Fibra 100" in carta["text"] and "Bs 269,00" in carta["text"] and "Bs 419,00" in carta["text"]
    assert "/aprobaciones/" in carta["text"] and re.search(r"\+[0-9a-f]{32}@", carta["reply_to"])

    # When the customer answers ACEPTO by email
    resultado = _responder(smtp, carta, "ACEPTO")
    etapa.bombear()

    # Then the offer is accepted on the customer's behalf and the requirements email carries the model letter
    assert resultado["estado"] == "aplicado"
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "requisitos"
    aceptacion = next(e for e in detalle["historial"] if e.get("accion") == "aceptar_oferta")
    assert (aceptacion["rol"], aceptacion["canal"]) == ("SISTEMA", "correo")
    requisitos = next(m for m in _correos(etapa, solicitud_id, CLIENTE) if "requisitos" in m["subject"])
    _pdf(requisitos["attachments"], f"Carta_de_Solicitud_{solicitud_id}.pdf")

    # When the documents arrive (the CI photo answered by email: the intake stores it in the documents bucket and
    # registers it as the CI, the only kind of reference a requirement accepts)
    assert _responder(smtp, requisitos, "Adjunto mi carnet", adjunto=("ci.jpg", b"FOTO-CI"))["estado"] == "documentos"
    etapa.aplicar(solicitud_id, "registrar_requisito", requisito="ubicacion", **COORDENADAS_CENTRO)
    etapa.aplicar(solicitud_id, "registrar_requisito", requisito="carta_solicitud", detalle="Firmada, por correo")

    # Then the request shows the document only as a signed link valid at most 300 seconds
    (documento,) = etapa.detalle(solicitud_id, "RC")["documentos"]
    assert "X-Amz-Signature=" in documento["url"] and "X-Amz-Expires=300" in documento["url"]
    assert requests.get(documento["url"], timeout=10).content == b"FOTO-CI"
    assert requests.get(documento["url"].split("?")[0], timeout=10).status_code == 403

    # When the sale is registered in Smartflex
    etapa.aplicar(solicitud_id, "completar_requisitos")
    digitada = etapa.aplicar(solicitud_id, "digitar_venta")["solicitud"]
    numero = digitada["digitacion"]["numero_contrato"]

    # Then the executives get the printable contract, also served to staff with the full CI
    assert re.fullmatch(r"SCS-\d{4}-\d{6}", numero) and digitada["digitacion"]["estado_smartflex"] == "REGISTRADA"
    aviso = next(m for m in _correos(etapa, solicitud_id, etapa.settings.buzones.ejecutivos) if numero in m["text"])
    _pdf(aviso["attachments"], f"Solicitud_Contrato_{numero}.pdf")
    contrato = etapa.cliente.http.get(
        f"/solicitudes/{solicitud_id}/contrato", headers={**etapa.cabeceras("EJ"), "Accept": "application/pdf"}
    )
    assert contrato.status_code == 200 and contrato.headers["Content-Type"] == "application/pdf"
    texto = _texto_pdf(contrato.body, tmp_path)
    for esperado in ("SOLICITUD CONTRATO DE SERVICIOS", numero, "4567890 CB", "María Quispe Mamani", "Hogar Fibra 100"):
        assert esperado in texto, esperado
    assert "Bs 269,00" in texto and "Bs 419,00" in texto
    assert "4567890" not in str(etapa.detalle(solicitud_id)), "the API never shows the full CI"

    # When the sale is cancelled in Smartflex (twice: the notice is at-least-once)
    etapa.aplicar(solicitud_id, "elegir_prepago")
    ruta = f"/dev/smartflex/anular/{numero}?" + urlencode({"motivo": "Dirección errada en Smartflex"})
    primera = etapa.cliente.http.post(ruta)
    etapa.bombear()
    segunda = etapa.cliente.http.post(ruta)
    etapa.bombear()

    # Then the request is cancelled once, by the system, with origin Smartflex, and the team lead is told once
    assert primera.status_code == segunda.status_code == 200
    final = etapa.detalle(solicitud_id, "RC")
    solicitud = final["solicitud"]
    assert solicitud["estado"] == "anulada" and solicitud["anulacion"]["origen_anulacion"] == "smartflex"
    assert solicitud["anulacion"]["motivo"] == "Dirección errada en Smartflex"
    anulacion = [e for e in final["historial"] if e.get("accion") == "anular"]
    assert len(anulacion) == 1 and (anulacion[0]["rol"], anulacion[0]["canal"]) == ("SISTEMA", "smartflex")
    avisos_rc = _correos(etapa, solicitud_id, etapa.settings.buzones.responsable_canales)
    assert len([m for m in avisos_rc if "anulada" in m["subject"].lower()]) == 1
    assert [e["etapa"] for e in solicitud["etapas"]] == ["visitado", "informado", "pre_venta", "venta"]
    assert [a["accion"] for a in final["acciones_disponibles"]] == ["redigitar"]


def test_offer_rejected_with_the_customer_link_closes_the_request_with_the_reason(etapa):
    # Given an offer sent
    solicitud_id = _negociando(etapa)
    etapa.aplicar(solicitud_id, "enviar_oferta", plan="hogar-fibra-50")
    carta = _correos(etapa, solicitud_id, CLIENTE)[-1]
    token = re.search(r"/aprobaciones/([^\s?]+)\?decision=rechazar", carta["text"]).group(1)

    # When the customer opens the link (nothing changes) and then confirms with a reason
    pagina = etapa.cliente.http.get(f"/aprobaciones/{token}?decision=rechazar")
    assert pagina.status_code == 200 and "Hogar Fibra 50" in pagina.body.decode()
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "oferta_enviada"
    respuesta = etapa.cliente.http.post(
        f"/aprobaciones/{token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"decision": "rechazar", "motivo": "Ya contraté otro proveedor"}).encode(),
    )
    etapa.bombear()

    # Then
    assert respuesta.status_code == 200
    detalle = etapa.detalle(solicitud_id, "RC")
    assert detalle["solicitud"]["estado"] == "no_atendida"
    assert detalle["solicitud"]["motivo_cierre"] == "Ya contraté otro proveedor"
    rechazo = next(e for e in detalle["historial"] if e.get("accion") == "rechazar_oferta")
    assert (rechazo["actor"], rechazo["rol"], rechazo["canal"]) == (CLIENTE, "SISTEMA", "enlace")
    assert _correos(etapa, solicitud_id, etapa.settings.buzones.responsable_canales)


def test_smartflex_refuses_an_observed_customer_and_nothing_is_written(etapa):
    # Given a customer whose CI Smartflex has observed
    solicitud_id = _negociando(etapa, ci="1111111")
    etapa.aplicar(solicitud_id, "enviar_oferta", plan="hogar-fibra-50")
    etapa.aplicar(solicitud_id, "aceptar_oferta")
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        etapa.aplicar(solicitud_id, "registrar_requisito", requisito=requisito)
    etapa.aplicar(solicitud_id, "completar_requisitos")
    version = etapa.detalle(solicitud_id)["solicitud"]["version"]

    # When
    respuesta = etapa.accion(solicitud_id, "digitar_venta")
    etapa.bombear()

    # Then
    assert respuesta.status_code == 422 and respuesta.json_body["codigo"] == "smartflex_rechazo"
    assert "deuda pendiente" in respuesta.json_body["mensaje"]
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["version"] == version and detalle["solicitud"]["estado"] == "digitacion"
    assert not [m for m in _correos(etapa, solicitud_id) if "Smartflex" in m["subject"]]


def test_an_existing_customer_is_recognised_when_the_executive_records_the_ci(etapa):
    solicitud_id = _negociando(etapa, ci="3456789")
    datos = etapa.detalle(solicitud_id)["solicitud"]["datos"]
    assert datos["cliente_existente"] is True and datos["codigo_cliente"] == "CL-0051234"


def test_the_requirements_reminder_job_runs_on_demand(etapa):
    respuesta = etapa.cliente.http.post("/dev/jobs/recordatorios_requisitos")
    assert respuesta.status_code == 200 and respuesta.json_body["resultado"] == {"recordadas": []}
