"""Offer, documents and Smartflex in the services: the catalogue behind enviar_oferta, the existing-customer
lookup, the customer's own answer, PDF attachments, document links, the contract download, the cancellation made
in Smartflex and the requirements reminders."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.commands import AplicarAccion, CapturarSolicitud
from chalicelib.domain.correo import TokenRespuesta
from chalicelib.domain.errors import (
    AccionRechazada,
    DatosInvalidos,
    EstadoInvalido,
    RolNoAutorizado,
    ServicioExternoNoDisponible,
    SolicitudNoEncontrada,
)
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.model import Rol
from chalicelib.services import canales, documentos, reacciones, recordatorios, smartflex, solicitudes
from chalicelib.services.correo_saliente import SalidaCorreo
from tests.fakes import FakeCalendario, FakePlantillas, FakeProtector, con_supresion
from tests.fakes_correo import InMemoryTokensRespuesta
from tests.unit.services.conftest import BUZONES


class FakePdf:
    """Records what each document was built from."""

    def __init__(self) -> None:
        self.llamadas: list[tuple[str, dict[str, Any], str | None]] = []

    def _pdf(self, nombre: str, vista: Any, ci: str | None = None) -> bytes:
        self.llamadas.append((nombre, dict(vista), ci))
        return b"%PDF-1.4 " + nombre.encode()

    def carta_comercial(self, vista: Any) -> bytes:
        return self._pdf("carta_comercial", vista)

    def carta_solicitud(self, vista: Any) -> bytes:
        return self._pdf("carta_solicitud", vista)

    def contrato(self, vista: Any, ci: str) -> bytes:
        return self._pdf("contrato", vista, ci)

    def factura(self, vista: Any) -> bytes:
        return self._pdf("factura", vista)


class FakeEnlaces:
    def __init__(self) -> None:
        self.pedidos: list[tuple[str, int]] = []

    def enlace(self, referencia: str, segundos: int = 300) -> str | None:
        self.pedidos.append((referencia, segundos))
        if referencia.startswith("s3://vd-documentos/"):
            return f"https://s3.test/{referencia[5:]}?X-Amz-Expires={segundos}&X-Amz-Signature=abc"
        return None


def _aplicar(puertos, solicitud_id, accion, rol=Rol.EJ, **campos):
    cmd = AplicarAccion(
        solicitud_id=solicitud_id, accion=accion, campos=campos, actor=f"{rol.value.lower()}@ventas.test", rol=rol
    )
    return solicitudes.aplicar(cmd, puertos=puertos)


def _foto_por_whatsapp(puertos, clave):
    """The customer sends a photo on WhatsApp: the intake stores it (``clave`` in the documents bucket) and the
    message joins the request with its attachment in the history."""
    cmd = CapturarSolicitud(
        canal="whatsapp",
        datos={"telefono": "+59171234567"},
        adjuntos=({"nombre": "ci.jpg", "tipo": "image/jpeg", "s3_key": clave},),
        clave_envio=f"wamid.{clave}",
        tipo_contacto="mensaje",
    )
    return canales.recibir_contacto(cmd, puertos=puertos)


def _negociando(puertos, **datos):
    s = solicitudes.capturar(
        CapturarSolicitud(
            canal="web", datos={"nombre": "María Quispe", "telefono": "+59171234567", "email": "maria@example.com"}
        ),
        puertos=puertos,
    )
    _aplicar(puertos, s.id, "clasificar_residencial")
    campos = {"ci": "1234567", "direccion": "Av. Heroínas 123", "latitud": -17.39, "longitud": -66.157, **datos}
    _aplicar(puertos, s.id, "registrar_datos", **campos)
    _aplicar(puertos, s.id, "consultar_cobertura")
    _aplicar(puertos, s.id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50)
    return _aplicar(puertos, s.id, "confirmar_capacidad", rol=Rol.HD, velocidad_maxima_mbps=100)


def _digitada(puertos):
    s = _negociando(puertos)
    _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")
    _aplicar(puertos, s.id, "aceptar_oferta")
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        _aplicar(puertos, s.id, "registrar_requisito", requisito=requisito)
    _aplicar(puertos, s.id, "completar_requisitos")
    return _aplicar(puertos, s.id, "digitar_venta")


def _evento(s) -> AccionAplicada:
    c = s.ultimo_cambio
    return AccionAplicada(s.id, c.id, c.accion, c.de, c.a, c.rol, c.actor, c.en, dict(c.campos))


# --- Offer (step 8) ---------------------------------------------------------------------------------------------


def test_the_offered_plan_is_filled_from_the_catalogue_and_valid_for_fifteen_days(puertos, repo):
    # Given
    s = _negociando(puertos)

    # When
    ofertada = _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-100", observaciones="Instalación en 48 h")

    # Then
    oferta = ofertada.oferta
    assert ofertada.estado == "oferta_enviada"
    assert (oferta["plan_id"], oferta["plan"], oferta["tecnologia"]) == ("hogar-fibra-100", "Hogar Fibra 100", "FTTH")
    assert (oferta["velocidad_mbps"], oferta["tarifa_mensual_bs"], oferta["costo_instalacion_bs"]) == (100, 269, 150)
    assert oferta["modalidades"] == ["prepago", "pospago"] and oferta["valida_hasta"] == "2026-12-15"
    assert oferta["observaciones"] == "Instalación en 48 h"
    assert repo.historial(s.id)[-1].campos["plan"] == "Hogar Fibra 100"


@pytest.mark.parametrize("plan", ["plan-inexistente", "hogar-fibra-40"], ids=["unknown", "retired"])
def test_a_plan_outside_the_current_catalogue_is_422_and_writes_nothing(puertos, repo, plan):
    # Given
    s = _negociando(puertos)

    # When / Then
    with pytest.raises(DatosInvalidos) as error:
        _aplicar(puertos, s.id, "enviar_oferta", plan=plan)
    assert error.value.errores == {"plan": "No es un plan vigente del catálogo."}
    assert repo.obtener(s.id).version == s.version


def test_a_plan_above_the_confirmed_capacity_is_refused_and_writes_nothing(puertos, repo):
    # Given Help Desk confirmed 100 Mbps
    s = _negociando(puertos)

    # When / Then
    with pytest.raises(AccionRechazada, match="supera la capacidad confirmada por Help Desk"):
        _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-300")
    assert repo.obtener(s.id).version == s.version


def test_the_plan_field_lists_only_the_eligible_plans(puertos):
    # Given
    s = _negociando(puertos)
    planes = puertos.catalogo.planes()

    # When
    ej = {a["accion"]: a for a in solicitudes.acciones_disponibles(s, Rol.EJ, planes=planes)}

    # Then
    campo = next(c for c in ej["enviar_oferta"]["campos"] if c["nombre"] == "plan")
    assert campo["tipo"] == "opcion"
    assert campo["opciones"] == [
        {"valor": "hogar-fibra-50", "etiqueta": "Hogar Fibra 50 — 50 Mbps — Bs 199,00/mes"},
        {"valor": "hogar-fibra-100", "etiqueta": "Hogar Fibra 100 — 100 Mbps — Bs 269,00/mes"},
    ]
    assert "bloqueada_por" not in ej["enviar_oferta"]


def test_the_offer_is_blocked_with_a_reason_when_no_plan_fits(puertos):
    # Given a request whose zone only offers a technology the catalogue does not sell
    s = replace(_negociando(puertos), cobertura={"disponible": True, "tecnologia": "ADSL", "velocidad_maxima_mbps": 20})

    # When
    ej = {a["accion"]: a for a in solicitudes.acciones_disponibles(s, Rol.EJ, planes=puertos.catalogo.planes())}

    # Then
    assert ej["enviar_oferta"]["bloqueada_por"].startswith("Ningún plan vigente del catálogo cabe")
    assert next(c for c in ej["enviar_oferta"]["campos"] if c["nombre"] == "plan")["opciones"] == []


def test_the_customer_answer_is_applied_by_the_system_and_is_not_a_staff_response(puertos):
    # Given an offer sent
    s = _negociando(puertos)
    _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")

    # When the customer accepts (email reply or link)
    cmd = AplicarAccion(s.id, "aceptar_oferta", {}, actor="cliente:maria@example.com", rol=Rol.SISTEMA, canal="correo")
    aceptada = solicitudes.aplicar(cmd, puertos=puertos)

    # Then
    assert aceptada.estado == "requisitos" and aceptada.ultimo_cambio.rol == "SISTEMA"
    assert "pre_venta" in aceptada.etapas


def test_the_customer_rejection_closes_the_request_with_the_reason(puertos):
    s = _negociando(puertos)
    _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")
    cmd = AplicarAccion(s.id, "rechazar_oferta", {"motivo": "Me parece caro"}, actor="cliente:m", rol=Rol.SISTEMA)
    rechazada = solicitudes.aplicar(cmd, puertos=puertos)
    assert rechazada.estado == "no_atendida" and rechazada.motivo_cierre == "Me parece caro"


# --- Existing customer (step 3) ---------------------------------------------------------------------------------


def test_recording_a_ci_of_an_existing_customer_records_the_smartflex_customer_code(puertos, smartflex):
    # Given Smartflex knows the CI
    smartflex.clientes = {"1234567": {"codigo_cliente": "CL-0051234", "nombre": "María Quispe"}}

    # When
    s = _negociando(puertos)

    # Then
    assert s.datos["cliente_existente"] is True and s.datos["codigo_cliente"] == "CL-0051234"


def test_a_new_person_is_recorded_as_not_an_existing_customer(puertos):
    s = _negociando(puertos)
    assert s.datos["cliente_existente"] is False and "codigo_cliente" not in s.datos


def test_what_the_executive_typed_wins_over_the_lookup(puertos, smartflex):
    smartflex.clientes = {"1234567": {"codigo_cliente": "CL-0051234"}}
    s = _negociando(puertos, codigo_cliente="CL-0000099")
    assert s.datos["codigo_cliente"] == "CL-0000099" and s.datos["cliente_existente"] is True


def test_smartflex_down_never_blocks_recording_the_basic_data(puertos, smartflex, monkeypatch):
    # Given
    def caido(**_: Any) -> None:
        raise ServicioExternoNoDisponible("Smartflex no respondió.")

    monkeypatch.setattr(smartflex, "buscar_cliente", caido)

    # When
    s = _negociando(puertos)

    # Then
    assert s.datos["direccion"] == "Av. Heroínas 123" and "cliente_existente" not in s.datos


# --- Cancellation (steps 20, 25) ----------------------------------------------------------------------------------


def test_an_executive_cancellation_is_also_made_in_smartflex(puertos, smartflex):
    s = _digitada(puertos)
    _aplicar(puertos, s.id, "anular", motivo="El cliente desistió")
    assert smartflex.anulados == [(f"SCS-{s.id}", "El cliente desistió")]


def test_a_cancellation_in_smartflex_cancels_the_request_once_as_the_system(puertos, smartflex, repo):
    # Given a registered sale
    s = _digitada(puertos)

    # When Smartflex reports it cancelled, twice
    anulada = smartflex_servicio_anular(puertos, f"SCS-{s.id}", "Dirección errada")
    otra_vez = smartflex_servicio_anular(puertos, f"SCS-{s.id}", "Dirección errada")

    # Then
    assert anulada.estado == "anulada" and anulada.anulacion["origen_anulacion"] == "smartflex"
    assert anulada.anulacion["motivo"] == "Dirección errada"
    assert otra_vez.version == anulada.version
    ultima = repo.historial(s.id)[-1]
    assert (ultima.accion, ultima.rol, ultima.actor, ultima.canal) == ("anular", "SISTEMA", "smartflex", "smartflex")
    assert smartflex.anulados == [(f"SCS-{s.id}", "Dirección errada")]


def smartflex_servicio_anular(puertos, numero, motivo):
    return smartflex.anular_desde_smartflex(numero, motivo, puertos=puertos)


def test_an_unknown_contract_is_404(puertos):
    with pytest.raises(SolicitudNoEncontrada, match="No existe el contrato SCS-X"):
        smartflex.anular_desde_smartflex("SCS-X", "", puertos=puertos)


# --- PDFs attached to the emails ---------------------------------------------------------------------------------


@pytest.fixture
def pdf():
    return FakePdf()


@pytest.fixture
def con_pdf(puertos_reaccion, pdf):
    return replace(puertos_reaccion, pdf=pdf, protector=FakeProtector())


def test_the_carta_comercial_goes_to_the_customer_with_its_pdf(puertos, con_pdf, mailer, pdf):
    # Given
    s = _negociando(puertos)
    ofertada = _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")

    # When
    reacciones.reaccionar(_evento(ofertada), puertos=con_pdf)

    # Then
    (correo,) = [c for c in mailer.enviados if c.para == ("maria@example.com",)]
    (adjunto,) = correo.adjuntos
    assert (adjunto.nombre, adjunto.tipo) == (f"Carta_Comercial_{s.id}.pdf", "application/pdf")
    assert adjunto.contenido.startswith(b"%PDF")
    assert pdf.llamadas[0][1]["oferta"]["plan"] == "Hogar Fibra 50"


def test_the_requirements_email_carries_the_model_request_letter(puertos, con_pdf, mailer):
    s = _negociando(puertos)
    _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")
    aceptada = _aplicar(puertos, s.id, "aceptar_oferta")
    reacciones.reaccionar(_evento(aceptada), puertos=con_pdf)
    (correo,) = mailer.enviados
    assert [a.nombre for a in correo.adjuntos] == [f"Carta_de_Solicitud_{s.id}.pdf"]


def test_the_contract_attached_to_the_digitation_email_has_the_clear_ci_and_nothing_else_sees_it(
    puertos, con_pdf, mailer, pdf
):
    # Given
    digitada = _digitada(puertos)

    # When
    reacciones.reaccionar(_evento(digitada), puertos=con_pdf)

    # Then: only the PDF builder received the decrypted CI
    (correo,) = mailer.enviados
    assert [a.nombre for a in correo.adjuntos] == [f"Solicitud_Contrato_SCS-{digitada.id}.pdf"]
    (nombre, vista, ci) = pdf.llamadas[-1]
    assert (nombre, ci) == ("contrato", "1234567")
    assert vista["datos"]["ci"] == "••••4567" and not {"ci_cifrado", "ci_huella"} & set(vista["datos"])


def test_the_invoice_email_carries_the_invoice_pdf(puertos, con_pdf, mailer):
    # Given a web payment confirmed
    digitada = _digitada(puertos)
    _aplicar(puertos, digitada.id, "elegir_prepago")
    _aplicar(puertos, digitada.id, "registrar_pago_web", rol=Rol.CO, id_transaccion="TX-1", monto_bs=349)
    _aplicar(puertos, digitada.id, "confirmar_pago_web", rol=Rol.CO)

    # When
    facturada = _aplicar(puertos, digitada.id, "enviar_factura", rol=Rol.CO, numero_factura="F-001-9", monto_bs=349)
    reacciones.reaccionar(_evento(facturada), puertos=con_pdf)

    # Then
    correo = next(c for c in mailer.enviados if c.para == ("maria@example.com",))
    assert [a.nombre for a in correo.adjuntos] == ["Factura_F-001-9.pdf"]


def test_without_a_pdf_generator_the_emails_go_without_attachments(puertos, puertos_reaccion, mailer):
    s = _negociando(puertos)
    ofertada = _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")
    reacciones.reaccionar(_evento(ofertada), puertos=puertos_reaccion)
    assert all(c.adjuntos == () for c in mailer.enviados)


# --- Contract download and document links ------------------------------------------------------------------------


def test_executives_and_the_team_lead_download_the_contract_once_the_sale_is_registered(puertos, repo, pdf, clock):
    digitada = _digitada(puertos)
    for rol in (Rol.EJ, Rol.RC):
        adjunto = documentos.contrato_pdf(
            digitada.id, {rol}, repo=repo, pdf=pdf, protector=FakeProtector(), clock=clock
        )
        assert adjunto.tipo == "application/pdf" and adjunto.nombre == f"Solicitud_Contrato_SCS-{digitada.id}.pdf"


def test_other_roles_cannot_download_the_contract(puertos, repo, pdf, clock):
    digitada = _digitada(puertos)
    with pytest.raises(RolNoAutorizado):
        documentos.contrato_pdf(digitada.id, {Rol.CO}, repo=repo, pdf=pdf, protector=FakeProtector(), clock=clock)


def test_there_is_no_contract_before_the_sale_is_registered(puertos, repo, pdf, clock):
    s = _negociando(puertos)
    with pytest.raises(EstadoInvalido, match="aún no está registrada en Smartflex"):
        documentos.contrato_pdf(s.id, {Rol.EJ}, repo=repo, pdf=pdf, protector=FakeProtector(), clock=clock)


def test_stored_documents_are_shown_only_as_links_valid_300_seconds(puertos, repo, clock):
    # Given a requirement whose document the WhatsApp intake stored for this request, and one without a document
    s = _negociando(puertos)
    _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")
    _aplicar(puertos, s.id, "aceptar_oferta")
    _foto_por_whatsapp(puertos, "canales/ci.jpg")
    _aplicar(puertos, s.id, "registrar_requisito", requisito="ci", documento="s3://vd-documentos/canales/ci.jpg")
    _aplicar(puertos, s.id, "registrar_requisito", requisito="ubicacion")
    s = repo.obtener(s.id)
    enlazador = FakeEnlaces()

    # When
    enlaces = documentos.enlaces_documentos(s, repo.historial(s.id), documentos=enlazador, clock=clock)

    # Then
    assert enlaces == [
        {
            "origen": "requisito",
            "requisito": "ci",
            "nombre": "Fotografía del CI",
            "url": "https://s3.test/vd-documentos/canales/ci.jpg?X-Amz-Expires=300&X-Amz-Signature=abc",
            "expira_en": (clock.ahora() + timedelta(seconds=300)).isoformat(),
        }
    ]
    assert all(segundos <= 300 for _, segundos in enlazador.pedidos)


# --- Reminders (step 9) ------------------------------------------------------------------------------------------


@pytest.fixture
def puertos_recordatorio(repo, clock, mailer, idempotencia, pdf):
    return recordatorios.PuertosRecordatorio(
        repo=repo,
        clock=clock,
        calendario=FakeCalendario(),
        mailer=con_supresion(mailer),
        plantillas=FakePlantillas(),
        idempotencia=idempotencia,
        buzones=BUZONES,
        url_publica="http://vd.test",
        pdf=pdf,
        dias_habiles=2,
    )


def _en_requisitos(puertos):
    s = _negociando(puertos)
    _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")
    return _aplicar(puertos, s.id, "aceptar_oferta")


def test_no_reminder_before_the_business_days_pass(puertos, puertos_recordatorio, clock, mailer):
    _en_requisitos(puertos)
    clock.avanzar(days=1)
    assert recordatorios.recordar_requisitos(puertos=puertos_recordatorio) == []
    assert mailer.enviados == []


def test_a_late_customer_gets_one_reminder_a_day_with_the_model_letter(
    puertos, puertos_recordatorio, clock, mailer, repo
):
    # Given requirements pending for more than two business days
    s = _en_requisitos(puertos)
    _aplicar(puertos, s.id, "registrar_requisito", requisito="ci")
    clock.avanzar(days=2, minutes=1)

    # When the job runs twice the same day and once the next day
    primera = recordatorios.recordar_requisitos(puertos=puertos_recordatorio)
    segunda = recordatorios.recordar_requisitos(puertos=puertos_recordatorio)
    clock.avanzar(days=1)
    tercera = recordatorios.recordar_requisitos(puertos=puertos_recordatorio)

    # Then
    assert (primera, segunda, tercera) == ([s.id], [], [s.id])
    correo = mailer.enviados[0]
    assert correo.para == ("maria@example.com",) and correo.cc == (BUZONES.ejecutivos,)
    assert [a.nombre for a in correo.adjuntos] == [f"Carta_de_Solicitud_{s.id}.pdf"]
    recordatorios_historial = [e for e in repo.historial(s.id) if e.tipo == "recordatorio"]
    assert len(recordatorios_historial) == 2
    assert recordatorios_historial[0].campos["faltantes"] == ["ubicacion", "carta_solicitud"]


def test_no_reminder_once_every_requirement_arrived(puertos, puertos_recordatorio, clock, mailer):
    s = _en_requisitos(puertos)
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        _aplicar(puertos, s.id, "registrar_requisito", requisito=requisito)
    clock.avanzar(days=3)
    assert recordatorios.recordar_requisitos(puertos=puertos_recordatorio) == []


def test_a_failed_send_is_retried_by_the_next_run(puertos, puertos_recordatorio, clock, mailer):
    s = _en_requisitos(puertos)
    clock.avanzar(days=3)
    mailer.fallar = True
    with pytest.raises(Exception, match="fallo simulado"):
        recordatorios.recordar_requisitos(puertos=puertos_recordatorio)
    mailer.fallar = False
    assert recordatorios.recordar_requisitos(puertos=puertos_recordatorio) == [s.id]


def test_the_reminder_carries_the_open_requirements_reply_token(puertos, puertos_recordatorio, clock, mailer):
    # Given the requirements question already has an open reply token
    tokens = InMemoryTokensRespuesta()
    s = _en_requisitos(puertos)
    abierto = tokens.emitir(
        TokenRespuesta("", s.id, "requisitos", "maria@example.com", "SISTEMA", clock.ahora().isoformat(), "2027-01-01")
    )
    salida = SalidaCorreo(tokens=tokens, remitente="ventas@ventas.test")
    clock.avanzar(days=3)

    # When
    recordatorios.recordar_requisitos(puertos=replace(puertos_recordatorio, salida=salida))

    # Then: replies with documents reach the same open question
    (correo,) = mailer.enviados
    assert correo.responder_a == f"ventas+{abierto.token}@ventas.test"
