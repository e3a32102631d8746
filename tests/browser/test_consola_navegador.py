"""The staff console in headless Chromium: an executive takes a web prospect through the procedure, Help Desk
answers from its own session, the team lead finds unattended work and redigitates a cancelled sale; forged forms
are refused. Screenshots at phone and desktop widths land in test-artifacts/consola/."""

from __future__ import annotations

import re

import pytest
import requests

pytestmark = pytest.mark.navegador

COORDENADAS = {"latitud": "-17.3935", "longitud": "-66.157"}


def test_an_executive_takes_a_web_prospect_through_classification_data_help_desk_offer_and_requirements(
    consola, sistema
):
    pagina = consola.pagina
    # Given a prospect who sent the public web form
    pagina.goto(f"{sistema.url}/solicitud")
    pagina.get_by_label("Nombre completo").fill("Ana Rojas Díaz")
    pagina.get_by_label("Teléfono o celular").fill("70712345")
    pagina.get_by_label("Correo electrónico").fill("ana.rojas@correo.com.bo")
    pagina.get_by_label("Hogar").check()
    pagina.get_by_label("¿En qué podemos ayudarle?").fill("Quiero fibra para teletrabajo.")
    pagina.get_by_label("Autorizo").check()
    pagina.get_by_role("button", name="Enviar solicitud").click()
    codigo = pagina.locator(".codigo").inner_text().strip()
    aviso = next(m for m in sistema.outbox() if "ejecutivos@" in " ".join(m["to"]))
    assert f"/consola/solicitudes/{codigo}" in aviso["text"]

    # When the executive signs in, the request is in their work queue
    consola.ingresar("Eva Ejecutiva")
    assert pagina.get_by_role("link", name=codigo).is_visible()
    consola.capturar("bandeja-ejecutivo")
    # And a search by phone finds it
    pagina.get_by_label("Buscar por nombre, teléfono, CI o código").fill("707 12345")
    pagina.get_by_role("button", name="Buscar").click()
    assert pagina.get_by_role("link", name=codigo).is_visible()
    consola.capturar("busqueda-telefono")
    pagina.get_by_role("link", name=codigo).click()
    pagina.wait_for_url(f"**/consola/solicitudes/{codigo}**")
    assert "Quiero fibra para teletrabajo." in pagina.locator("#t-conversacion + ul").inner_text()
    consola.capturar("solicitud-nueva")

    # Step 2: classification
    consola.aplicar("clasificar_residencial", motivo="Uso en el hogar")
    assert "Clasificar como residencial" in consola.aviso()
    assert consola.estado() == "En registro de datos"
    # Step 3: a wrong CI comes back with the error beside the field and the values kept
    consola.aplicar("registrar_datos", ci="12", direccion="Calle España 250", **COORDENADAS)
    ci = consola.formulario("registrar_datos").get_by_label("Número de CI")
    assert ci.get_attribute("aria-invalid") == "true"
    assert (
        "Debe ser un número de CI"
        in pagina.locator(f"#{ci.get_attribute('aria-describedby').split()[-1]}").inner_text()
    )
    assert (
        consola.formulario("registrar_datos").get_by_label("Dirección de instalación").input_value()
        == "Calle España 250"
    )
    consola.capturar("error-validacion")
    consola.aplicar("registrar_datos", ci="4567890", ci_expedido="CB", direccion="Calle España 250", **COORDENADAS)
    assert "••••7890" in pagina.locator("#t-datos + dl").inner_text()
    # Steps 4-5: qualitative information and coverage
    consola.aplicar("registrar_info_cualitativa", tipo_uso="teletrabajo", horario_navegacion="todo_el_dia")
    consola.aplicar("consultar_cobertura")
    assert "Consultar cobertura" in consola.aviso()
    # Step 6: ask Help Desk
    consola.aplicar("solicitar_confirmacion_hd", velocidad_solicitada_mbps="50", tecnologia="FTTH")
    assert consola.estado() == "Consulta a Help Desk"
    assert any("helpdesk@" in " ".join(m["to"]) for m in sistema.outbox())
    consola.capturar("esperando-help-desk")
    consola.salir()

    # Step 7: Help Desk confirms the capacity from its own session
    consola.ingresar("Hugo Help Desk")
    pagina.get_by_role("link", name=codigo).click()
    pagina.wait_for_url(f"**/consola/solicitudes/{codigo}**")
    assert [f.get_attribute("id") for f in pagina.locator("details.accion").all()] == [
        "accion-confirmar_capacidad",
        "accion-negar_capacidad",
    ]
    consola.aplicar("confirmar_capacidad", velocidad_maxima_mbps="100")
    assert consola.estado() == "En negociación"
    consola.salir()

    # Step 8: the executive sends the offer; the customer accepts
    consola.ingresar("Eva Ejecutiva")
    consola.abrir(codigo)
    plan = consola.formulario("enviar_oferta").locator("[name=plan] option").nth(1)
    consola.aplicar("enviar_oferta", plan=plan.get_attribute("value"))
    assert consola.estado() == "Oferta enviada"
    assert re.search(r"Tarifa mensual\s+Bs \d", pagina.locator("section[aria-labelledby=t-datos]").inner_text())
    consola.aplicar("aceptar_oferta")
    # Step 9: requirements, then they are complete
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        consola.aplicar("registrar_requisito", requisito=requisito, detalle="Recibido por correo")
    consola.capturar("requisitos")
    consola.aplicar("completar_requisitos")

    # Then the request waits for digitation, and the customer got the commercial letter and the requirements
    assert consola.estado() == "Digitación en Smartflex"
    enviados = sistema.outbox()
    al_cliente = [m["subject"] for m in enviados if "ana.rojas@correo.com.bo" in m["to"]]
    assert len(al_cliente) >= 3  # acknowledgement, commercial letter, requirements
    historial = sistema.detalle(codigo)["historial"]
    assert {e["canal"] for e in historial if e["tipo"] == "accion" and e["rol"] == "EJ"} == {"consola"}
    consola.capturar("digitacion")


def _hasta_no_atendida(sistema) -> str:
    solicitud_id = sistema.nueva(nombre="Carlos Quispe", telefono="71234567")
    sistema.aplicar(solicitud_id, "clasificar_residencial")
    sistema.aplicar(
        solicitud_id,
        "registrar_datos",
        ci="5556667",
        direccion="Av. Blanco Galindo km 5",
        latitud=-17.3935,
        longitud=-66.157,
    )
    sistema.aplicar(solicitud_id, "consultar_cobertura")
    sistema.aplicar(solicitud_id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=300)
    sistema.aplicar(solicitud_id, "negar_capacidad", rol="HD", motivo="Nodo saturado")
    return solicitud_id


def _hasta_anulada(sistema) -> str:
    solicitud_id = sistema.nueva(nombre="María Flores", telefono="72223344", email="maria@correo.com.bo")
    sistema.aplicar(solicitud_id, "clasificar_residencial")
    sistema.aplicar(
        solicitud_id, "registrar_datos", ci="7778889", direccion="Calle Jordán 100", latitud=-17.3935, longitud=-66.157
    )
    sistema.aplicar(solicitud_id, "consultar_cobertura")
    sistema.aplicar(solicitud_id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50)
    sistema.aplicar(solicitud_id, "confirmar_capacidad", rol="HD", velocidad_maxima_mbps=100)
    sistema.aplicar(solicitud_id, "enviar_oferta", plan=sistema.primer_plan(solicitud_id))
    sistema.aplicar(solicitud_id, "aceptar_oferta")
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        sistema.aplicar(solicitud_id, "registrar_requisito", requisito=requisito)
    sistema.aplicar(solicitud_id, "completar_requisitos")
    sistema.aplicar(solicitud_id, "digitar_venta")
    sistema.aplicar(solicitud_id, "anular", motivo="Error en el plan digitado", origen_anulacion="smartflex")
    return solicitud_id


def test_the_team_lead_finds_an_unattended_request_and_redigitates_a_cancelled_sale(consola, sistema):
    pagina = consola.pagina
    # Given a request Help Desk could not serve and a sale cancelled in Smartflex
    no_atendida = _hasta_no_atendida(sistema)
    anulada = _hasta_anulada(sistema)
    # When the team lead signs in, both are in their work
    consola.ingresar("Rosa Responsable de Canales")
    for codigo in (no_atendida, anulada):
        assert pagina.get_by_role("link", name=codigo).is_visible()
    consola.capturar("bandeja-responsable")
    # And the unattended tab shows the request with its reason
    pagina.get_by_role("link", name="No atendidas").click()
    assert pagina.get_by_role("link", name="No atendidas").get_attribute("aria-current") == "page"
    pagina.get_by_role("link", name=no_atendida).click()
    pagina.wait_for_url(f"**/consola/solicitudes/{no_atendida}**")
    assert "Nodo saturado" in pagina.locator("main").inner_text()
    assert consola.formulario("reactivar").is_visible()
    consola.capturar("no-atendida")

    # When they redigitate the cancelled sale from the cancelled tab
    pagina.goto(f"{sistema.url}/consola")
    pagina.get_by_role("link", name="Anuladas (por redigitar)").click()
    pagina.get_by_role("link", name=anulada).click()
    pagina.wait_for_url(f"**/consola/solicitudes/{anulada}**")
    consola.aplicar("redigitar", observaciones="Corregir el plan")
    # Then a new linked request starts again in digitation
    nueva = re.search(r"Nueva solicitud: (VD-[0-9A-Z]+)", consola.aviso()).group(1)
    assert consola.estado() == "Anulada y redigitada"
    consola.capturar("redigitada")
    pagina.get_by_role("link", name=nueva).click()
    pagina.wait_for_url(f"**/consola/solicitudes/{nueva}**")
    assert consola.estado() == "Digitación en Smartflex"
    assert pagina.get_by_role("link", name=anulada).is_visible()
    assert any(m["subject"].startswith(f"[{nueva}] Venta redigitada") for m in sistema.outbox())


def test_a_form_without_a_valid_csrf_token_is_refused(consola, sistema, navegador):
    pagina = consola.pagina
    # Given an executive on a new request's page
    solicitud_id = sistema.nueva(nombre="Ana Rojas", telefono="70712345")
    consola.ingresar("Eva Ejecutiva")
    consola.abrir(solicitud_id)
    # When the form's token was tampered with, and when a request is posted with no token at all
    consola.formulario("clasificar_residencial").locator("[name=csrf]").evaluate("e => e.value = 'falso'")
    consola.formulario("clasificar_residencial").locator("button[type=submit]").click()
    assert pagina.get_by_role("heading", name="Formulario no válido").is_visible()
    consola.capturar("csrf-rechazado")
    sin_token = navegador.request.post(
        f"{sistema.url}/consola/solicitudes/{solicitud_id}/acciones/clasificar_residencial",
        form={"version": "1"},
        max_redirects=0,
    )
    # Then both are refused with 403 and the request is unchanged
    assert sin_token.status == 403
    assert sistema.detalle(solicitud_id)["solicitud"]["estado"] == "nueva"


def test_a_role_cannot_see_or_apply_another_roles_actions(consola, sistema, navegador):
    pagina = consola.pagina
    # Given Collections signed in on a new request
    solicitud_id = sistema.nueva(nombre="Ana Rojas", telefono="70712345")
    consola.ingresar("Carla Cobranzas")
    consola.abrir(solicitud_id)
    # Then no action form is rendered
    assert pagina.locator("details.accion, form[action*=acciones]").count() == 0
    assert "Su rol no tiene acciones" in pagina.locator("#t-acciones + p").inner_text()
    consola.capturar("sin-acciones-cobranzas")
    # When Collections forges the executive's form with its own valid session token
    csrf = pagina.locator("header [name=csrf]").input_value()
    forjado = navegador.request.post(
        f"{sistema.url}/consola/solicitudes/{solicitud_id}/acciones/clasificar_residencial",
        form={"csrf": csrf, "version": "1"},
        max_redirects=0,
    )
    # Then the service refuses it with 403 and nothing changes
    assert forjado.status == 403
    assert "corresponde a" in forjado.text()
    assert sistema.detalle(solicitud_id)["solicitud"]["estado"] == "nueva"


def test_the_sign_in_page_and_the_queue_are_readable_without_a_session(consola, sistema):
    # When someone without a session opens the console
    consola.pagina.goto(f"{sistema.url}/consola")
    # Then they get the sign-in page, with one button per role
    assert consola.pagina.url.startswith(f"{sistema.url}/consola/ingresar")
    assert consola.pagina.get_by_role("button").count() == 7
    consola.capturar("ingresar")
    assert requests.get(f"{sistema.url}/consola", allow_redirects=False, timeout=10).status_code == 303
