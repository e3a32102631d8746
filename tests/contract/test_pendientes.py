"""Contract of Pendientes: the in-memory fake and the DynamoDB adapter (on moto, index ``por_fila``) obey the same
rules: a queue per request in the order its actions were queued, nothing queued twice, a failure counted."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.pendientes import Causa
from tests.fakes_persistencia import InMemoryPendientes

LA_PAZ = ZoneInfo("America/La_Paz")
AHORA = datetime(2026, 12, 5, 9, 0, tzinfo=LA_PAZ)
SES_CAIDO = Causa("Correo (SES)", "No se pudo enviar el correo a cliente@example.com.")


def _evento(solicitud_id: str, n: int, accion: str = "capturar") -> AccionAplicada:
    return AccionAplicada(
        solicitud_id=solicitud_id,
        cambio_id=f"{1796040000000 + n:013d}-{n:016x}",
        accion=accion,
        de="nueva" if n else "",
        a="nueva",
        rol="SISTEMA",
        actor="formulario",
        en=(AHORA + timedelta(seconds=n)).isoformat(),
        campos={"nota": f"acción {n}", "monto_bs": 149.5},
        canal="web",
    )


@pytest.fixture(params=["memoria", "dynamodb"])
def pendientes(request):
    if request.param == "memoria":
        return InMemoryPendientes()
    from chalicelib.adapters.dynamo_pendientes import PynamoPendientes

    return PynamoPendientes(request.getfixturevalue("settings"))


def test_a_request_without_pending_sends_has_no_queue(pendientes):
    assert pendientes.de_solicitud("VD-00000001") is None
    assert pendientes.listar() == []


def test_actions_queue_in_order_and_come_back_whole(pendientes):
    # Given two actions of one request queued while SES is down
    primero, segundo = _evento("VD-00000001", 0), _evento("VD-00000001", 1, "solicitar_confirmacion_hd")
    assert pendientes.encolar(primero, SES_CAIDO, AHORA, AHORA) is True
    assert pendientes.encolar(segundo, SES_CAIDO, AHORA + timedelta(minutes=1), AHORA) is True
    # Then the queue holds both, in order, as they were, with the reason
    cola = pendientes.de_solicitud("VD-00000001")
    assert cola.eventos == (primero, segundo)
    assert (cola.proveedor, cola.motivo, cola.intentos) == (SES_CAIDO.proveedor, SES_CAIDO.motivo, 0)
    assert cola.desde == AHORA.isoformat() and cola.vence(AHORA)


def test_an_action_queued_again_is_not_queued_twice(pendientes):
    # Given an action queued (a stream record), When the record is delivered again
    evento = _evento("VD-00000001", 0)
    pendientes.encolar(evento, SES_CAIDO, AHORA, AHORA)
    assert pendientes.encolar(evento, SES_CAIDO, AHORA, AHORA) is False
    # Then it is there once
    assert pendientes.de_solicitud("VD-00000001").eventos == (evento,)


def test_taking_off_the_last_action_removes_the_queue(pendientes):
    # Given a queue of two
    primero, segundo = _evento("VD-00000001", 0), _evento("VD-00000001", 1)
    pendientes.encolar(primero, SES_CAIDO, AHORA, AHORA)
    pendientes.encolar(segundo, SES_CAIDO, AHORA + timedelta(minutes=3), AHORA)
    # When the first leaves, Then the second waits, queued since its own time
    pendientes.quitar(pendientes.de_solicitud("VD-00000001"), primero.cambio_id)
    cola = pendientes.de_solicitud("VD-00000001")
    assert cola.eventos == (segundo,) and cola.desde == (AHORA + timedelta(minutes=3)).isoformat()
    # When the second leaves, Then nothing of the request is pending
    pendientes.quitar(cola, segundo.cambio_id)
    assert pendientes.de_solicitud("VD-00000001") is None
    assert pendientes.listar() == []


def test_a_stale_copy_of_the_queue_takes_off_only_its_action(pendientes):
    # Given the job read a queue of one, and then the stream queued a second action behind it
    primero, segundo = _evento("VD-00000001", 0), _evento("VD-00000001", 1)
    pendientes.encolar(primero, SES_CAIDO, AHORA, AHORA)
    leida = pendientes.de_solicitud("VD-00000001")
    pendientes.encolar(segundo, SES_CAIDO, AHORA, AHORA)
    # When the job takes the first off with its stale copy
    pendientes.quitar(leida, primero.cambio_id)
    # Then the second is still queued (the queue was not deleted under it)
    assert pendientes.de_solicitud("VD-00000001").eventos == (segundo,)


def test_a_failed_attempt_is_counted_with_its_reason_and_next_time(pendientes):
    # Given a queued action
    pendientes.encolar(_evento("VD-00000001", 0), SES_CAIDO, AHORA, AHORA)
    # When an attempt fails because WhatsApp is down
    whatsapp = Causa("WhatsApp", "WhatsApp no respondió tras 4 intento(s) (URLError).")
    proximo = AHORA + timedelta(minutes=2)
    pendientes.fallo(pendientes.de_solicitud("VD-00000001"), whatsapp, AHORA + timedelta(minutes=1), proximo)
    # Then the queue says so and is not due until then
    cola = pendientes.de_solicitud("VD-00000001")
    assert (cola.proveedor, cola.motivo, cola.intentos) == ("WhatsApp", whatsapp.motivo, 1)
    assert cola.ultimo_intento == (AHORA + timedelta(minutes=1)).isoformat()
    assert not cola.vence(AHORA + timedelta(minutes=1)) and cola.vence(proximo)


def test_every_queue_is_listed_the_longest_waiting_first(pendientes):
    # Given three requests queued at different moments
    for n, solicitud_id in enumerate(["VD-00000003", "VD-00000001", "VD-00000002"]):
        pendientes.encolar(_evento(solicitud_id, n), SES_CAIDO, AHORA + timedelta(minutes=n), AHORA)
    # Then the list has them in the order they began to wait
    assert [c.solicitud_id for c in pendientes.listar()] == ["VD-00000003", "VD-00000001", "VD-00000002"]


def test_a_scheduled_email_that_could_not_leave_is_recorded_counted_and_forgotten_once_sent(pendientes):
    # Given the monthly report refused by SES twice, an hour apart
    for n in range(2):
        pendientes.anotar_programado(
            "informe#2026-11", "Informe General de 2026-11", SES_CAIDO, AHORA + timedelta(hours=n), "cada hora"
        )
    # Then it is listed once, since the first failure, with two attempts
    [envio] = pendientes.programados()
    assert (envio.clave, envio.descripcion, envio.intentos) == ("informe#2026-11", "Informe General de 2026-11", 2)
    assert envio.desde == AHORA.isoformat() and envio.ultimo_intento == (AHORA + timedelta(hours=1)).isoformat()
    assert (envio.proveedor, envio.reintento) == (SES_CAIDO.proveedor, "cada hora")
    # And the requests' queues do not see it
    assert pendientes.listar() == []
    # When it finally leaves, Then it is forgotten (and forgetting again is harmless)
    pendientes.quitar_programado("informe#2026-11")
    pendientes.quitar_programado("informe#2026-11")
    assert pendientes.programados() == []


def _espera(solicitud_id: str, referencia: str, minutos: int = 0):
    from chalicelib.domain.commands import AplicarAccion
    from chalicelib.domain.model import Rol
    from chalicelib.domain.pendientes import AccionEnEspera

    comando = AplicarAccion(
        solicitud_id=solicitud_id,
        accion="digitar_venta",
        campos={"observacion": "cliente apurado", "monto_bs": 149.5},
        actor="eva.ejecutiva@ventas.comteco.local",
        rol=Rol.EJ,
        canal="consola",
        nota="Registrar hoy",
        referencia=referencia,
    )
    return AccionEnEspera(comando=comando, en=(AHORA + timedelta(minutes=minutos)).isoformat())


def test_a_staff_action_waiting_for_smartflex_comes_back_whole_once_and_leaves(pendientes):
    smartflex = Causa("Smartflex", "Smartflex no respondió. Respuesta del proveedor: ReadTimeoutError.")
    espera = _espera("VD-00000001", "espera#a1")
    # Given a sale registration that Smartflex did not answer, asked twice (a resubmitted form)
    assert pendientes.encolar_accion(espera, smartflex, AHORA) is True
    assert pendientes.encolar_accion(espera, smartflex, AHORA) is False
    # And the reactions of an earlier action waiting too
    evento = _evento("VD-00000001", 0)
    pendientes.encolar(evento, SES_CAIDO, AHORA + timedelta(minutes=1), AHORA)
    # Then the queue has the action once, exactly as asked, and the sends
    cola = pendientes.de_solicitud("VD-00000001")
    assert cola.acciones == (espera,) and cola.eventos == (evento,)
    assert cola.proveedor == "Smartflex" and cola.desde == AHORA.isoformat()
    # When it is applied, Then only the sends wait
    pendientes.quitar_accion(cola, "espera#a1")
    cola = pendientes.de_solicitud("VD-00000001")
    assert cola.acciones == () and cola.eventos == (evento,)
    pendientes.quitar(cola, evento.cambio_id)
    assert pendientes.de_solicitud("VD-00000001") is None
