"""Signed one-time links: opening never writes, deciding happens once, refusals write nothing."""

from __future__ import annotations

import threading

import pytest

from chalicelib.domain.enlaces import DecisionNoPermitida, EnlaceInvalido, EnlaceNoEncontrado, EnlaceVencido
from chalicelib.domain.errors import DatosInvalidos, EstadoInvalido
from chalicelib.domain.model import Rol
from chalicelib.services import enlaces
from chalicelib.services.enlaces import DecidirEnlace, PuertosEnlaces
from tests.factories import make_entrada, make_solicitud
from tests.fakes import SequentialIds
from tests.fakes_pagos import FakeFirmaEnlaces, InMemoryAprobaciones

COBRANZAS = "cobranzas@ventas.test"


@pytest.fixture
def aprobaciones():
    return InMemoryAprobaciones()


@pytest.fixture
def firma():
    return FakeFirmaEnlaces()


@pytest.fixture
def puertos_enlaces(aprobaciones, firma, clock):
    return PuertosEnlaces(
        aprobaciones=aprobaciones, firma=firma, clock=clock, ids=SequentialIds(), url_publica="http://vd.test"
    )


def _en_validacion(repo, **extra):
    s = make_solicitud(
        estado="validacion_deposito",
        oferta={"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        digitacion={"numero_contrato": "SCS-1", "codigo_cliente": "CL-1"},
        pago={"monto_bs": 349.0, "numero_deposito": "DEP-1", "medio": "transferencia", "estado": "por_validar"},
        **extra,
    )
    repo.crear(s, make_entrada(s))
    return s


def _enlace_deposito(s, puertos_enlaces):
    return enlaces.emitir(s.id, "deposito", Rol.CO, COBRANZAS, ("aprobar", "rechazar"), puertos=puertos_enlaces)


def test_issuing_a_link_records_a_pending_approval_bound_to_the_officer(repo, puertos_enlaces, aprobaciones):
    # Given
    s = _en_validacion(repo)
    # When
    enlace = _enlace_deposito(s, puertos_enlaces)
    # Then
    registro = aprobaciones.obtener(enlace.aprobacion_id)
    assert registro.pendiente and registro.responsable == COBRANZAS and registro.rol == "CO"
    assert registro.decisiones == ("aprobar", "rechazar")
    assert enlace.urls == {
        "aprobar": f"http://vd.test/aprobaciones/{enlace.token}?decision=aprobar",
        "rechazar": f"http://vd.test/aprobaciones/{enlace.token}?decision=rechazar",
    }
    assert registro.expira_en == "2026-12-03T09:00:00-04:00"  # 72 hours


def test_a_purpose_only_issues_its_own_decisions(repo, puertos_enlaces):
    s = _en_validacion(repo)
    with pytest.raises(ValueError):
        enlaces.emitir(s.id, "deposito", Rol.CO, COBRANZAS, ("imprimir",), puertos=puertos_enlaces)


def test_opening_a_link_five_times_writes_nothing(repo, puertos, puertos_enlaces, aprobaciones):
    # Given
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    escrituras, version = aprobaciones.escrituras, repo.obtener(s.id).version
    # When
    vistas = [
        enlaces.ver(enlace.token, "rechazar", puertos=puertos_enlaces, puertos_solicitudes=puertos) for _ in range(5)
    ]
    # Then
    assert aprobaciones.escrituras == escrituras
    assert repo.obtener(s.id).version == version
    assert all(v["estado"] == "pendiente" for v in vistas)
    formularios = vistas[0]["formularios"]
    assert [(f["decision"], f["elegida"]) for f in formularios] == [("aprobar", False), ("rechazar", True)]
    motivo = next(c for c in formularios[1]["campos"] if c["nombre"] == "motivo")
    assert motivo["requerido"] is True and motivo["tipo"] == "texto_largo"
    assert {"etiqueta": "Monto esperado", "valor": 349.0, "formato": "bs"} in vistas[0]["ficha"]


def test_deciding_applies_the_action_through_the_link_door(repo, puertos, puertos_enlaces):
    # Given
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    # When
    vista = enlaces.decidir(
        DecidirEnlace(enlace.token, "aprobar", {"observaciones": "Visto en extracto"}),
        puertos=puertos_enlaces,
        puertos_solicitudes=puertos,
    )
    # Then
    assert vista["estado"] == "decidida_ahora"
    assert repo.obtener(s.id).estado == "facturacion_caja"
    cambio = next(e for e in repo.historial(s.id) if e.accion == "aprobar_deposito")
    assert (cambio.accion, cambio.canal, cambio.rol, cambio.actor) == ("aprobar_deposito", "enlace", "CO", COBRANZAS)
    assert cambio.campos == {"observaciones": "Visto en extracto"}
    assert enlace.aprobacion_id in cambio.nota


def test_a_second_post_shows_the_first_decision_and_changes_nothing(repo, puertos, puertos_enlaces):
    # Given a decided link
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    enlaces.decidir(DecidirEnlace(enlace.token, "aprobar"), puertos=puertos_enlaces, puertos_solicitudes=puertos)
    version = repo.obtener(s.id).version
    # When the officer (or a scanner) posts again, even the other decision
    vista = enlaces.decidir(
        DecidirEnlace(enlace.token, "rechazar", {"motivo": "Otro"}),
        puertos=puertos_enlaces,
        puertos_solicitudes=puertos,
    )
    # Then
    assert vista["estado"] == "decidida"
    assert vista["aprobacion"]["decidida_por"] == COBRANZAS
    assert vista["aprobacion"]["decision_etiqueta"] == "Aprobar el depósito"
    assert repo.obtener(s.id).version == version


def test_concurrent_posts_decide_exactly_once(repo, puertos, puertos_enlaces):
    # Given
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    resultados: list[str] = []

    # When eight POSTs race
    def decidir():
        vista = enlaces.decidir(
            DecidirEnlace(enlace.token, "aprobar"), puertos=puertos_enlaces, puertos_solicitudes=puertos
        )
        resultados.append(vista["estado"])

    hilos = [threading.Thread(target=decidir) for _ in range(8)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join()
    # Then
    assert sorted(resultados) == ["decidida"] * 7 + ["decidida_ahora"]
    assert [e.accion for e in repo.historial(s.id)].count("aprobar_deposito") == 1


def test_rejecting_without_a_reason_writes_nothing_and_keeps_the_link_usable(
    repo, puertos, puertos_enlaces, aprobaciones
):
    # Given
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    escrituras = aprobaciones.escrituras
    # When
    with pytest.raises(DatosInvalidos) as error:
        enlaces.decidir(
            DecidirEnlace(enlace.token, "rechazar", {"motivo": "  "}),
            puertos=puertos_enlaces,
            puertos_solicitudes=puertos,
        )
    # Then
    assert error.value.errores == {"motivo": "Este campo es obligatorio."}
    assert aprobaciones.escrituras == escrituras
    assert aprobaciones.obtener(enlace.aprobacion_id).pendiente
    assert repo.obtener(s.id).estado == "validacion_deposito"


def test_the_form_comes_back_with_what_was_typed_and_the_errors(repo, puertos, puertos_enlaces):
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    cmd = DecidirEnlace(enlace.token, "rechazar", {"motivo": ""})
    vista = enlaces.formulario_con_errores(
        cmd, {"motivo": "Este campo es obligatorio."}, puertos=puertos_enlaces, puertos_solicitudes=puertos
    )
    rechazo = next(f for f in vista["formularios"] if f["decision"] == "rechazar")
    assert rechazo["elegida"] and rechazo["errores"] == {"motivo": "Este campo es obligatorio."}


def test_a_decision_the_link_does_not_allow_is_refused(repo, puertos, puertos_enlaces):
    s = _en_validacion(repo)
    enlace = enlaces.emitir(s.id, "deposito", Rol.CO, COBRANZAS, ("aprobar",), puertos=puertos_enlaces)
    with pytest.raises(DecisionNoPermitida):
        enlaces.decidir(
            DecidirEnlace(enlace.token, "rechazar", {"motivo": "x"}),
            puertos=puertos_enlaces,
            puertos_solicitudes=puertos,
        )


def test_when_another_door_decided_first_the_link_says_so_and_writes_nothing(
    repo, puertos, puertos_enlaces, aprobaciones
):
    # Given a deposit approved through the staff API while the link was pending
    from chalicelib.domain.commands import AplicarAccion
    from chalicelib.services import solicitudes

    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    solicitudes.aplicar(
        AplicarAccion(solicitud_id=s.id, accion="aprobar_deposito", campos={}, actor="co@x", rol=Rol.CO),
        puertos=puertos,
    )
    # When
    vista = enlaces.ver(enlace.token, None, puertos=puertos_enlaces, puertos_solicitudes=puertos)
    with pytest.raises(EstadoInvalido):
        enlaces.decidir(
            DecidirEnlace(enlace.token, "rechazar", {"motivo": "x"}),
            puertos=puertos_enlaces,
            puertos_solicitudes=puertos,
        )
    # Then
    assert vista["estado"] == "no_vigente" and "Facturación en Cajas" in vista["aviso"]
    assert aprobaciones.obtener(enlace.aprobacion_id).pendiente


def test_a_refused_action_reopens_the_link(repo, puertos, puertos_enlaces, aprobaciones, smartflex):
    # Given a web payment that Smartflex does not show as paid
    s = make_solicitud(
        estado="validacion_pago_web",
        digitacion={"numero_contrato": "SCS-2"},
        pago={"monto_bs": 349.0, "id_transaccion": "TX-1", "medio": "web"},
    )
    repo.crear(s, make_entrada(s))
    smartflex.pago_verificado = False
    enlace = enlaces.emitir(s.id, "pago_web", Rol.CO, COBRANZAS, ("confirmar", "rechazar"), puertos=puertos_enlaces)
    # When
    from chalicelib.domain.errors import SmartflexRechazo

    with pytest.raises(SmartflexRechazo):
        enlaces.decidir(DecidirEnlace(enlace.token, "confirmar"), puertos=puertos_enlaces, puertos_solicitudes=puertos)
    # Then the link can still be used once Smartflex shows the payment
    assert aprobaciones.obtener(enlace.aprobacion_id).pendiente
    smartflex.pago_verificado = True
    vista = enlaces.decidir(
        DecidirEnlace(enlace.token, "confirmar"), puertos=puertos_enlaces, puertos_solicitudes=puertos
    )
    assert vista["estado"] == "decidida_ahora"
    assert repo.obtener(s.id).estado == "factura_pendiente"
    assert repo.obtener(s.id).pago["verificacion_smartflex"]["estado"] == "ACTIVA"


def test_a_stale_version_on_the_form_is_refused_and_reopens_the_link(repo, puertos, puertos_enlaces, aprobaciones):
    from chalicelib.domain.errors import ConflictoConcurrente

    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    with pytest.raises(ConflictoConcurrente):
        enlaces.decidir(
            DecidirEnlace(enlace.token, "aprobar", version=s.version - 1),
            puertos=puertos_enlaces,
            puertos_solicitudes=puertos,
        )
    assert aprobaciones.obtener(enlace.aprobacion_id).pendiente


@pytest.mark.parametrize("token", ["", "otro.valor", "firmado."])
def test_a_tampered_or_foreign_token_is_refused(repo, puertos, puertos_enlaces, token):
    with pytest.raises(EnlaceInvalido):
        enlaces.ver(token, None, puertos=puertos_enlaces, puertos_solicitudes=puertos)


def test_a_well_signed_token_without_record_is_not_found(puertos, puertos_enlaces):
    with pytest.raises(EnlaceNoEncontrado):
        enlaces.ver("firmado.inexistente", None, puertos=puertos_enlaces, puertos_solicitudes=puertos)


def test_an_expired_record_refuses_both_reading_and_deciding(repo, puertos, puertos_enlaces, clock, aprobaciones):
    # Given a link 73 hours old
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    clock.avanzar(hours=73)
    # When / Then
    with pytest.raises(EnlaceVencido):
        enlaces.ver(enlace.token, None, puertos=puertos_enlaces, puertos_solicitudes=puertos)
    with pytest.raises(EnlaceVencido):
        enlaces.decidir(DecidirEnlace(enlace.token, "aprobar"), puertos=puertos_enlaces, puertos_solicitudes=puertos)
    assert aprobaciones.obtener(enlace.aprobacion_id).pendiente
    assert repo.obtener(s.id).estado == "validacion_deposito"


def test_an_expired_signature_is_refused(repo, puertos, puertos_enlaces, firma):
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    firma.vencer()
    with pytest.raises(EnlaceVencido):
        enlaces.ver(enlace.token, None, puertos=puertos_enlaces, puertos_solicitudes=puertos)


def test_a_purpose_registered_elsewhere_decides_its_own_action(repo, puertos, puertos_enlaces):
    # Given another module's purpose (e.g. the customer's acceptance of the offer)
    from chalicelib.domain.states import Accion

    enlaces.registrar_proposito(
        enlaces.Proposito(
            nombre="prueba_entrega",
            titulo="Entrega",
            rol=Rol.CA,
            acciones={"entregar": Accion.MARCAR_ENTREGADA},
            botones={"entregar": "Entregar"},
        )
    )
    s = make_solicitud(estado="factura_impresa", factura={"numero": "F-1", "monto_bs": 349.0})
    repo.crear(s, make_entrada(s))
    enlace = enlaces.emitir(s.id, "prueba_entrega", Rol.CA, "cajas@ventas.test", ("entregar",), puertos=puertos_enlaces)
    # When
    enlaces.decidir(DecidirEnlace(enlace.token, "entregar"), puertos=puertos_enlaces, puertos_solicitudes=puertos)
    # Then
    assert enlace.urls == {"entregar": f"http://vd.test/aprobaciones/{enlace.token}"}
    assert repo.obtener(s.id).estado == "cerrada"
    enlaces.PROPOSITOS.pop("prueba_entrega")


class _RespuestaPerdida(Exception):
    """A write that was applied but whose answer never came back (a read timeout)."""


def _aplicada_sin_respuesta(monkeypatch, objeto, nombre: str) -> None:
    """The next call of ``objeto.nombre`` is applied, then raises as if its answer was lost; later calls work."""
    original = getattr(objeto, nombre)

    def una_vez(*args, **kwargs):
        monkeypatch.setattr(objeto, nombre, original)
        original(*args, **kwargs)
        raise _RespuestaPerdida()

    monkeypatch.setattr(objeto, nombre, una_vez)


def test_a_decision_write_applied_with_its_answer_lost_is_given_back_and_the_next_click_decides(
    repo, puertos, puertos_enlaces, aprobaciones, monkeypatch
):
    # Given a link whose decision write is applied, then times out once
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    _aplicada_sin_respuesta(monkeypatch, aprobaciones, "decidir")
    cmd = DecidirEnlace(enlace.token, "aprobar", {"observaciones": "Conforme"})
    with pytest.raises(_RespuestaPerdida):
        enlaces.decidir(cmd, puertos=puertos_enlaces, puertos_solicitudes=puertos)

    # Then the decision was given back, so clicking again applies it, once
    assert aprobaciones.obtener(enlace.aprobacion_id).pendiente
    vista = enlaces.decidir(cmd, puertos=puertos_enlaces, puertos_solicitudes=puertos)
    assert vista["estado"] == "decidida_ahora" and repo.obtener(s.id).estado == "facturacion_caja"
    assert [e.accion for e in repo.historial(s.id)].count("aprobar_deposito") == 1


def test_an_action_applied_with_its_answer_lost_is_recognised_on_the_next_click(
    repo, puertos, puertos_enlaces, aprobaciones, monkeypatch
):
    # Given a link whose action is saved, then the save times out (the link is given back)
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    _aplicada_sin_respuesta(monkeypatch, repo, "guardar_cambio")
    cmd = DecidirEnlace(enlace.token, "aprobar", {"observaciones": "Conforme"})
    with pytest.raises(_RespuestaPerdida):
        enlaces.decidir(cmd, puertos=puertos_enlaces, puertos_solicitudes=puertos)
    assert repo.obtener(s.id).estado == "facturacion_caja"

    # When Collections clicks again
    vista = enlaces.decidir(cmd, puertos=puertos_enlaces, puertos_solicitudes=puertos)

    # Then the page shows the decision as made by this link, recorded on the link, and nothing is applied twice
    assert vista["estado"] == "decidida" and vista["aprobacion"]["decidida_por"] == COBRANZAS
    assert not aprobaciones.obtener(enlace.aprobacion_id).pendiente
    assert [e.accion for e in repo.historial(s.id)].count("aprobar_deposito") == 1


def test_a_link_whose_request_another_door_moved_is_not_taken_for_its_own_decision(repo, puertos, puertos_enlaces):
    # Given a request approved through the staff API, not the link
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    from chalicelib.domain.commands import AplicarAccion
    from chalicelib.services import solicitudes

    solicitudes.aplicar(
        AplicarAccion(solicitud_id=s.id, accion="aprobar_deposito", campos={}, actor=COBRANZAS, rol=Rol.CO),
        puertos=puertos,
    )
    # When the link is clicked, Then it says the request no longer awaits the decision
    with pytest.raises(EstadoInvalido):
        enlaces.decidir(DecidirEnlace(enlace.token, "aprobar"), puertos=puertos_enlaces, puertos_solicitudes=puertos)


def test_a_decision_recorded_by_an_attempt_that_died_before_applying_it_is_applied_on_the_next_click(
    repo, puertos, puertos_enlaces, aprobaciones
):
    # Given a link whose decision was recorded, and the function died before applying the action
    s = _en_validacion(repo)
    enlace = _enlace_deposito(s, puertos_enlaces)
    aprobaciones.decidir(enlace.aprobacion_id, decision="aprobar", por=COBRANZAS, en="2026-11-30T09:05:00-04:00")
    assert repo.obtener(s.id).estado == "validacion_deposito"

    # When Collections clicks again, Then the recorded decision is applied, once
    cmd = DecidirEnlace(enlace.token, "aprobar", {"observaciones": "Conforme"})
    vista = enlaces.decidir(cmd, puertos=puertos_enlaces, puertos_solicitudes=puertos)
    assert vista["estado"] == "decidida_ahora" and repo.obtener(s.id).estado == "facturacion_caja"
    again = enlaces.decidir(cmd, puertos=puertos_enlaces, puertos_solicitudes=puertos)
    assert again["estado"] == "decidida"
    assert [e.accion for e in repo.historial(s.id)].count("aprobar_deposito") == 1
