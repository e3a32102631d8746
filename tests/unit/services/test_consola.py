"""The console's reads: whose work is in which state, the queue and its search, the conversation, the documents."""

from __future__ import annotations

import pytest

from chalicelib.adapters.contacto import NORMALIZADORES
from chalicelib.domain.commands import AplicarAccion, CapturarSolicitud
from chalicelib.domain.errors import DatosInvalidos
from chalicelib.domain.model import EntradaHistorial, Rol
from chalicelib.domain.states import Estado
from chalicelib.services import solicitudes
from chalicelib.services.consola import (
    MI_TRABAJO,
    PuertosConsola,
    bandejas_para,
    cola,
    estados_de_trabajo,
    hilo_conversacion,
)
from tests.fakes import FakeProtector

E = Estado


@pytest.fixture
def puertos_consola(repo):
    return PuertosConsola(repo=repo, normalizadores=NORMALIZADORES, huella_ci=FakeProtector().huella)


def _capturar(puertos, nombre, telefono, **extra):
    return solicitudes.capturar(
        CapturarSolicitud(canal="web", datos={"nombre": nombre, "telefono": telefono, **extra}), puertos=puertos
    )


def _aplicar(puertos, solicitud_id, accion, rol=Rol.EJ, **campos):
    return solicitudes.aplicar(
        AplicarAccion(solicitud_id=solicitud_id, accion=accion, campos=campos, actor="prueba", rol=rol),
        puertos=puertos,
    )


@pytest.mark.parametrize(
    ("rol", "esperados"),
    [
        (Rol.HD, {E.CONSULTA_HELP_DESK}),
        (Rol.CA, {E.FACTURACION_CAJA, E.FACTURA_IMPRESA}),
        (Rol.FA, {E.CONTROL_FACTURACION}),
    ],
)
def test_a_roles_work_is_the_states_where_the_procedure_waits_for_it(rol, esperados):
    assert set(estados_de_trabajo([rol])) == esperados


def test_the_executives_work_runs_from_new_to_payment_and_the_team_leads_includes_the_unattended_and_cancelled():
    ejecutivo = set(estados_de_trabajo([Rol.EJ]))
    responsable = set(estados_de_trabajo([Rol.RC]))
    assert {E.NUEVA, E.EN_REGISTRO, E.NEGOCIACION, E.OFERTA_ENVIADA, E.REQUISITOS, E.DIGITACION} <= ejecutivo
    assert E.CONSULTA_HELP_DESK not in ejecutivo and E.CERRADA not in ejecutivo
    assert {E.NO_ATENDIDA, E.ANULADA} <= responsable


def test_every_person_sees_their_work_first_and_all_states_last():
    claves = [b.clave for b in bandejas_para([Rol.EJ])]
    assert claves[0] == MI_TRABAJO and claves[-1] == "todas"
    assert {"help_desk", "pago", "no_atendidas", "anuladas"} <= set(claves)


def test_the_queue_lists_the_longest_waiting_first(puertos, puertos_consola, clock):
    # Given two new requests, five minutes apart
    primera = _capturar(puertos, "Ana Rojas", "70712345")
    clock.avanzar(minutes=5)
    segunda = _capturar(puertos, "Luis Paz", "71234567")
    # When the executive's work is listed
    resultado = cola([Rol.EJ], puertos=puertos_consola)
    # Then the older comes first
    assert [s.id for s in resultado.solicitudes] == [primera.id, segunda.id]


def test_a_search_by_code_is_a_direct_lookup(puertos, puertos_consola):
    solicitud = _capturar(puertos, "Ana Rojas", "70712345")
    resultado = cola([Rol.EJ], puertos=puertos_consola, busqueda=f" {solicitud.id.lower()} ")
    assert resultado.encontrada == solicitud.id and resultado.tipo_busqueda == "codigo"
    assert cola([Rol.EJ], puertos=puertos_consola, busqueda="VD-ZZZZZZZZ").solicitudes == []


@pytest.mark.parametrize("busqueda", ["70712345", "+591 70712345", "707-12-345"])
def test_a_phone_is_normalised_like_the_stored_one(puertos, puertos_consola, busqueda):
    buscada = _capturar(puertos, "Ana Rojas", "+59170712345")
    _capturar(puertos, "Luis Paz", "+59171234567")
    resultado = cola([Rol.EJ], puertos=puertos_consola, bandeja="todas", busqueda=busqueda)
    assert [s.id for s in resultado.solicitudes] == [buscada.id]


def test_a_ci_is_found_by_its_keyed_hash(puertos, puertos_consola):
    buscada = _capturar(puertos, "Ana Rojas", "+59170712345")
    _aplicar(puertos, buscada.id, "registrar_datos", ci="4567890")
    _capturar(puertos, "Luis Paz", "+59171234567")
    resultado = cola([Rol.EJ], puertos=puertos_consola, bandeja="todas", busqueda="4567890")
    assert [s.id for s in resultado.solicitudes] == [buscada.id]
    assert "4567890" not in str(resultado.solicitudes[0].datos.get("ci"))


def test_a_name_matches_every_word_ignoring_accents_and_case(puertos, puertos_consola):
    buscada = _capturar(puertos, "José Pérez Mamani", "+59170712345")
    _capturar(puertos, "José Quispe", "+59171234567")
    resultado = cola([Rol.EJ], puertos=puertos_consola, bandeja="todas", busqueda="jose PEREZ")
    assert [s.id for s in resultado.solicitudes] == [buscada.id] and resultado.tipo_busqueda == "nombre"


def test_the_search_stays_within_the_chosen_tab(puertos, puertos_consola):
    # Given a request in registration
    solicitud = _capturar(puertos, "Ana Rojas", "+59170712345")
    _aplicar(puertos, solicitud.id, "clasificar_residencial")
    # Then it is found in its tab and in all, not among the new ones
    assert cola([Rol.EJ], puertos=puertos_consola, bandeja="registro", busqueda="Ana").solicitudes
    assert not cola([Rol.EJ], puertos=puertos_consola, bandeja="nuevas", busqueda="Ana").solicitudes


def test_a_state_outside_the_tab_or_an_unknown_tab_is_refused(puertos_consola):
    with pytest.raises(DatosInvalidos):
        cola([Rol.EJ], puertos=puertos_consola, bandeja="nuevas", estado="cerrada")
    with pytest.raises(DatosInvalidos):
        cola([Rol.EJ], puertos=puertos_consola, bandeja="inventada")


def test_the_conversation_gathers_the_first_message_messages_received_and_emails_to_the_customer(puertos, repo):
    # Given a request from the web form with a message, a WhatsApp message later and two emails
    solicitud = solicitudes.capturar(
        CapturarSolicitud(
            canal="web", datos={"nombre": "Ana", "email": "ana@correo.bo"}, mensaje="¿Tienen fibra en Sarco?"
        ),
        puertos=puertos,
    )
    base = {"solicitud_id": solicitud.id, "en": "2026-11-30T10:00:00-04:00"}
    repo.agregar_historial(
        EntradaHistorial(**base, id="m1", tipo="mensaje", resumen="Mensaje", canal="whatsapp", campos={"texto": "Hola"})
    )
    repo.agregar_historial(
        EntradaHistorial(
            **{**base, "id": "c1", "en": "2026-11-30T10:05:00-04:00"},
            tipo="correo",
            resumen="Carta",
            campos={"para": ["ana@correo.bo"]},
        )
    )
    repo.agregar_historial(
        EntradaHistorial(**{**base, "id": "c2"}, tipo="correo", resumen="Aviso", campos={"para": ["ej@x.bo"]})
    )
    # When the conversation is read
    lineas = hilo_conversacion(solicitud, repo.historial(solicitud.id))
    # Then it has the first message, the WhatsApp message and the email to the customer, not the staff's
    assert [(linea["direccion"], linea["texto"]) for linea in lineas] == [
        ("entrante", "¿Tienen fibra en Sarco?"),
        ("entrante", "Hola"),
        ("saliente", "Carta"),
    ]
