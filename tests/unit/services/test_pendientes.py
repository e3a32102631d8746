"""services.pendientes: sends wait while their provider is down, in their request's order, and leave once."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import CorreoNoEnviado, MensajeNoEnviado, ServicioExternoNoDisponible
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.pendientes import ESTANCADA_TRAS, causa_no_disponible
from chalicelib.services.pendientes import (
    PuertosPendientes,
    reaccionar_en_orden,
    reintentar,
)
from tests.fakes import FixedClock
from tests.fakes_persistencia import InMemoryIdempotencia, InMemoryPendientes
from tests.unit.services.conftest import BUZONES


def _evento(solicitud_id: str, n: int, accion: str = "capturar") -> AccionAplicada:
    return AccionAplicada(
        solicitud_id=solicitud_id,
        cambio_id=f"ev-{n:012d}",
        accion=accion,
        de="nueva",
        a="nueva",
        rol="SISTEMA",
        actor="formulario",
        en="2026-11-30T09:00:00-04:00",
    )


class Proveedores:
    """The reactions as the providers let them go: each provider is up or down; ``enviadas`` keeps the order."""

    def __init__(self) -> None:
        self.caidos: dict[str, Exception] = {}
        self.enviadas: list[str] = []
        self.intentos: list[str] = []
        self.proveedor_de: dict[str, str] = {}

    def __call__(self, evento: AccionAplicada) -> list[str]:
        self.intentos.append(evento.cambio_id)
        proveedor = self.proveedor_de.get(evento.solicitud_id, "ses")
        if proveedor in self.caidos:
            raise self.caidos[proveedor]
        self.enviadas.append(f"{evento.solicitud_id}:{evento.cambio_id}")
        return [evento.accion]


@pytest.fixture
def mundo():
    proveedores = Proveedores()
    reloj = FixedClock()
    puertos = PuertosPendientes(
        pendientes=InMemoryPendientes(), clock=reloj, reaccionar=proveedores, idempotencia=InMemoryIdempotencia()
    )
    return proveedores, reloj, puertos


SES_CAIDO = CorreoNoEnviado("No se pudo enviar el correo a cliente@example.com.")
WHATSAPP_CAIDO = MensajeNoEnviado("WhatsApp no respondió tras 4 intento(s) (URLError).", fallo="transitorio")


def test_with_every_provider_up_the_reactions_run_now_and_nothing_waits(mundo):
    proveedores, _, puertos = mundo
    assert reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos) == ["capturar"]
    assert proveedores.enviadas == ["VD-1:ev-000000000001"]
    assert puertos.pendientes.listar() == []


def test_a_provider_outage_queues_the_action_with_the_reason_instead_of_failing(mundo):
    proveedores, _, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    # When the stream's reaction finds SES down, Then it does not fail (the stream goes on)
    assert reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos) == []
    cola = puertos.pendientes.de_solicitud("VD-1")
    assert [e.cambio_id for e in cola.eventos] == ["ev-000000000001"]
    assert cola.proveedor == "Correo (SES)" and "cliente@example.com" in cola.motivo


def test_a_failure_that_is_not_an_outage_goes_back_to_the_stream(mundo):
    proveedores, _, puertos = mundo
    proveedores.caidos["ses"] = RuntimeError("un error del programa")
    with pytest.raises(RuntimeError):
        reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos)
    assert puertos.pendientes.listar() == []


def test_a_later_action_of_a_waiting_request_queues_behind_it_even_when_it_could_leave(mundo):
    proveedores, _, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos)
    del proveedores.caidos["ses"]
    # When the next action of the same request comes, Then it waits (the customer gets them in order)
    assert reaccionar_en_orden(_evento("VD-1", 2, "solicitar_confirmacion_hd"), puertos=puertos) == []
    assert proveedores.enviadas == []
    assert [e.cambio_id for e in puertos.pendientes.de_solicitud("VD-1").eventos] == [
        "ev-000000000001",
        "ev-000000000002",
    ]
    # And another request is not held back
    reaccionar_en_orden(_evento("VD-2", 3), puertos=puertos)
    assert proveedores.enviadas == ["VD-2:ev-000000000003"]


def test_a_redelivered_record_of_a_queued_action_neither_sends_nor_queues_again(mundo):
    proveedores, _, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos)
    del proveedores.caidos["ses"]
    reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos)
    assert proveedores.enviadas == []
    assert len(puertos.pendientes.de_solicitud("VD-1").eventos) == 1


def test_when_the_provider_is_back_the_job_sends_everything_once_oldest_first_each_in_order(mundo):
    proveedores, reloj, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    reaccionar_en_orden(_evento("VD-2", 1), puertos=puertos)
    reloj.avanzar(minutes=1)
    reaccionar_en_orden(_evento("VD-1", 2), puertos=puertos)
    reaccionar_en_orden(_evento("VD-2", 3, "solicitar_confirmacion_hd"), puertos=puertos)
    # And an hour of outage: every run fails, the waits grow, nothing is lost
    for _ in range(60):
        reloj.avanzar(minutes=1)
        reintentar(puertos=puertos)
    # (one attempt per run at most while SES fails, and fewer as the waits grow: not one per queue per minute)
    assert proveedores.enviadas == [] and len(proveedores.intentos) - 3 <= 15
    assert {c.solicitud_id for c in puertos.pendientes.listar()} == {"VD-1", "VD-2"}
    # When SES is back and the job's next due run comes
    del proveedores.caidos["ses"]
    reloj.avanzar(minutes=15)
    ronda = reintentar(puertos=puertos)
    # Then every send left once, the longest waiting request first, each request in its order
    assert proveedores.enviadas == ["VD-2:ev-000000000001", "VD-2:ev-000000000003", "VD-1:ev-000000000002"]
    assert ronda.enviadas == ["VD-2:capturar", "VD-2:solicitar_confirmacion_hd", "VD-1:capturar"]
    assert puertos.pendientes.listar() == []
    # And a later run sends nothing again
    reloj.avanzar(minutes=1)
    assert reintentar(puertos=puertos).enviadas == []
    assert len(proveedores.enviadas) == 3


def test_a_queue_not_due_yet_is_left_for_later(mundo):
    proveedores, reloj, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos)
    reintentar(puertos=puertos)  # fails: next attempt in a minute
    del proveedores.caidos["ses"]
    assert reintentar(puertos=puertos).en_espera == 1
    assert proveedores.enviadas == []
    reloj.avanzar(minutes=1)
    assert reintentar(puertos=puertos).enviadas == ["VD-1:capturar"]


def test_after_a_provider_failed_in_a_run_its_other_queues_wait_but_other_providers_go(mundo):
    proveedores, _, puertos = mundo
    proveedores.proveedor_de = {"VD-1": "whatsapp", "VD-2": "whatsapp", "VD-3": "ses"}
    proveedores.caidos["whatsapp"] = WHATSAPP_CAIDO
    for n, solicitud_id in enumerate(["VD-1", "VD-2"], start=1):
        reaccionar_en_orden(_evento(solicitud_id, n), puertos=puertos)
    proveedores.caidos["ses"] = SES_CAIDO
    reaccionar_en_orden(_evento("VD-3", 3), puertos=puertos)
    del proveedores.caidos["ses"]
    # When the job runs with WhatsApp still down
    proveedores.intentos.clear()
    ronda = reintentar(puertos=puertos)
    # Then WhatsApp was tried once (the oldest queue), the other WhatsApp queue waits, and the email left
    assert proveedores.intentos == ["ev-000000000001", "ev-000000000003"]
    assert ronda.fallidas == ["VD-1: WhatsApp"] and ronda.en_espera == 1
    assert ronda.enviadas == ["VD-3:capturar"]
    assert puertos.pendientes.de_solicitud("VD-1").intentos == 1


def test_an_unexpected_error_in_the_job_keeps_the_queue_visible_and_the_others_go(mundo):
    proveedores, _, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos)
    reaccionar_en_orden(_evento("VD-2", 2), puertos=puertos)
    proveedores.caidos["ses"] = RuntimeError("plantilla rota")
    proveedores.proveedor_de["VD-2"] = "whatsapp"
    ronda = reintentar(puertos=puertos)
    cola = puertos.pendientes.de_solicitud("VD-1")
    assert cola.proveedor == "Ventas Digitales" and "RuntimeError" in cola.motivo
    assert "plantilla rota" not in cola.motivo and "Error inesperado del sistema" in cola.motivo  # Spanish only
    assert ronda.enviadas == ["VD-2:capturar"]


def test_a_queue_waiting_for_hours_is_reported_stuck(mundo):
    proveedores, reloj, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos)
    reloj.avanzar(seconds=ESTANCADA_TRAS.total_seconds() - 60)
    assert reintentar(puertos=puertos).estancadas == []
    reloj.avanzar(minutes=1)
    assert reintentar(puertos=puertos).estancadas == ["VD-1"]


@pytest.mark.parametrize(
    ("error", "proveedor"),
    [
        (CorreoNoEnviado("No se pudo enviar el correo a x@example.com."), "Correo (SES)"),
        (MensajeNoEnviado("WhatsApp no respondió tras 4 intento(s).", fallo="transitorio"), "WhatsApp"),
        (MensajeNoEnviado("Messenger rechazó el mensaje (código 613): límite.", fallo="limite"), "Messenger"),
        (MensajeNoEnviado("Botmaker no respondió tras 4 intento(s).", fallo="transitorio"), "Botmaker"),
        (ServicioExternoNoDisponible("S3 no respondió."), "Servicio externo"),
    ],
)
def test_each_provider_outage_is_named(error, proveedor):
    assert causa_no_disponible(error).proveedor == proveedor


@pytest.mark.parametrize(
    "error",
    [
        MensajeNoEnviado("WhatsApp rechazó el mensaje (código 132001): plantilla.", fallo="permanente"),
        RuntimeError("bug"),
        KeyError("x"),
    ],
)
def test_what_is_not_an_outage_is_not_queued(error):
    assert causa_no_disponible(error) is None


def test_runs_never_overlap_and_a_run_frees_the_job_for_the_next(mundo):
    proveedores, _, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos)
    del proveedores.caidos["ses"]
    # Given a run in progress (it holds the job's claim)
    assert puertos.idempotencia.reclamar("trabajo#envios_pendientes", 600)
    # When the schedule fires again meanwhile, Then that run does nothing
    assert reintentar(puertos=puertos).otra_en_curso and proveedores.enviadas == []
    # And once the first run is over, the next one sends
    puertos.idempotencia.liberar("trabajo#envios_pendientes")
    assert reintentar(puertos=puertos).enviadas == ["VD-1:capturar"]


def test_a_run_starts_no_queue_after_its_time_budget(mundo):
    from dataclasses import replace

    proveedores, _, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    for n in range(3):
        reaccionar_en_orden(_evento(f"VD-{n}", n), puertos=puertos)
    del proveedores.caidos["ses"]
    segundos = iter([0.0, 10.0, 130.0, 140.0])
    ronda = reintentar(puertos=replace(puertos, cronometro=lambda: next(segundos)))
    assert ronda.enviadas == ["VD-0:capturar"] and ronda.en_espera == 2
    assert reintentar(puertos=puertos).enviadas == ["VD-1:capturar", "VD-2:capturar"]


def test_an_action_without_sends_neither_waits_nor_reads_the_queue(mundo):
    from dataclasses import replace

    proveedores, _, puertos = mundo
    proveedores.caidos["ses"] = SES_CAIDO
    reaccionar_en_orden(_evento("VD-1", 1), puertos=puertos)
    sin_envios = replace(puertos, con_envios=lambda e: e.accion != "clasificar_residencial")
    assert reaccionar_en_orden(_evento("VD-1", 2, "clasificar_residencial"), puertos=sin_envios) == []
    assert [e.cambio_id for e in puertos.pendientes.de_solicitud("VD-1").eventos] == ["ev-000000000001"]


def test_a_scheduled_email_waiting_for_hours_is_reported_stuck_too(mundo):
    from chalicelib.domain.pendientes import Causa

    _, reloj, puertos = mundo
    causa = Causa("Correo (SES)", "No se pudo enviar el correo.")
    puertos.pendientes.anotar_programado("informe#2026-11", "Informe General", causa, reloj.ahora(), "cada hora")
    assert reintentar(puertos=puertos).estancadas == []
    reloj.avanzar(seconds=ESTANCADA_TRAS.total_seconds())
    assert reintentar(puertos=puertos).estancadas == ["informe#2026-11"]


# --- staff actions that wait for Smartflex ---


class Smartflex:
    """``aplicar`` as Smartflex lets it through: up, down, or refusing for good."""

    def __init__(self) -> None:
        self.caido = False
        self.rechazo: Exception | None = None
        self.aplicados: list[tuple[str, str, str | None]] = []

    def __call__(self, cmd):
        from chalicelib.domain.model import Solicitud

        if self.caido:
            raise ServicioExternoNoDisponible("Smartflex no respondió. Intente nuevamente en unos minutos.")
        if self.rechazo is not None:
            raise self.rechazo
        self.aplicados.append((cmd.solicitud_id, cmd.accion, cmd.referencia))
        return Solicitud.__new__(Solicitud)


def _comando(accion: str = "digitar_venta", solicitud_id: str = "VD-1", version: int | None = 7):
    from chalicelib.domain.commands import AplicarAccion
    from chalicelib.domain.model import Rol

    return AplicarAccion(
        solicitud_id=solicitud_id,
        accion=accion,
        campos={"nota_interna": "x"},
        actor="eva.ejecutiva@ventas.comteco.local",
        rol=Rol.EJ,
        canal="consola",
        version_esperada=version,
    )


@pytest.fixture
def con_smartflex(mundo):
    from dataclasses import replace

    proveedores, reloj, puertos = mundo
    smartflex = Smartflex()
    return proveedores, reloj, replace(puertos, aplicar=smartflex), smartflex


def test_a_smartflex_action_is_applied_at_once_when_smartflex_answers(con_smartflex):
    from chalicelib.services.pendientes import aplicar_o_encolar

    _, _, puertos, smartflex = con_smartflex
    aplicar_o_encolar(_comando(), puertos=puertos)
    assert smartflex.aplicados == [("VD-1", "digitar_venta", None)]
    assert puertos.pendientes.listar() == []


def test_when_smartflex_does_not_answer_the_action_waits_and_the_person_is_told(con_smartflex):
    from chalicelib.domain.errors import AccionEnCola
    from chalicelib.services.pendientes import aplicar_o_encolar

    _, _, puertos, smartflex = con_smartflex
    smartflex.caido = True
    with pytest.raises(AccionEnCola) as aviso:
        aplicar_o_encolar(_comando(), puertos=puertos)
    assert "Smartflex no responde" in aviso.value.mensaje and "«Registrar la venta en Smartflex»" in aviso.value.mensaje
    [espera] = puertos.pendientes.de_solicitud("VD-1").acciones
    assert espera.comando.accion == "digitar_venta" and espera.comando.version_esperada is None
    assert espera.referencia.startswith("espera#")
    assert puertos.pendientes.de_solicitud("VD-1").proveedor == "Smartflex"


def test_no_other_staff_action_is_applied_to_a_request_with_a_waiting_action(con_smartflex):
    from chalicelib.domain.errors import AccionEnCola, AccionRechazada
    from chalicelib.services.pendientes import aplicar_o_encolar

    _, _, puertos, smartflex = con_smartflex
    smartflex.caido = True
    with pytest.raises(AccionEnCola):
        aplicar_o_encolar(_comando(), puertos=puertos)
    smartflex.caido = False
    with pytest.raises(AccionRechazada, match="esperando a que Smartflex responda"):
        aplicar_o_encolar(_comando("elegir_prepago"), puertos=puertos)
    assert smartflex.aplicados == []
    aplicar_o_encolar(_comando("elegir_prepago", "VD-2"), puertos=puertos)  # other requests go on
    assert smartflex.aplicados == [("VD-2", "elegir_prepago", None)]


def test_an_action_that_does_not_go_through_smartflex_is_never_queued(con_smartflex):
    from chalicelib.services.pendientes import aplicar_o_encolar

    _, _, puertos, smartflex = con_smartflex
    smartflex.caido = True
    with pytest.raises(ServicioExternoNoDisponible):
        aplicar_o_encolar(_comando("consultar_cobertura"), puertos=puertos)
    assert puertos.pendientes.listar() == []


def test_the_job_applies_the_waiting_action_once_when_smartflex_is_back_then_the_sends(con_smartflex):
    from chalicelib.domain.errors import AccionEnCola
    from chalicelib.services.pendientes import aplicar_o_encolar

    proveedores, reloj, puertos, smartflex = con_smartflex
    smartflex.caido = True
    with pytest.raises(AccionEnCola):
        aplicar_o_encolar(_comando(), puertos=puertos)
    # While Smartflex is down the job tries, and the action keeps waiting
    for _ in range(5):
        reloj.avanzar(minutes=15)
        assert reintentar(puertos=puertos).fallidas == ["VD-1: Smartflex"]
    assert smartflex.aplicados == []
    # When Smartflex is back
    smartflex.caido = False
    reloj.avanzar(minutes=15)
    ronda = reintentar(puertos=puertos)
    # Then it is applied once, with its own reference (a retry after a lost answer finds it applied)
    [(solicitud_id, accion, referencia)] = smartflex.aplicados
    assert (solicitud_id, accion) == ("VD-1", "digitar_venta") and referencia.startswith("espera#")
    assert ronda.aplicadas == ["VD-1:digitar_venta"]
    assert puertos.pendientes.listar() == []
    reloj.avanzar(minutes=1)
    reintentar(puertos=puertos)
    assert len(smartflex.aplicados) == 1


def test_a_waiting_action_smartflex_refuses_for_good_is_taken_off_recorded_and_mailed(con_smartflex):
    from dataclasses import replace

    from chalicelib.domain.errors import AccionEnCola, SmartflexRechazo
    from chalicelib.services.pendientes import PuertosAviso, aplicar_o_encolar
    from tests.factories import make_entrada, make_solicitud
    from tests.fakes import FakeMailer, FakePlantillas, InMemorySolicitudRepository, con_supresion
    from tests.fakes_persistencia import InMemoryIdempotencia as Idem

    _, reloj, puertos, smartflex = con_smartflex
    repo, transporte = InMemorySolicitudRepository(), FakeMailer()
    solicitud = make_solicitud(id="VD-1", estado="digitacion")
    repo.crear(solicitud, make_entrada(solicitud))
    aviso = PuertosAviso(
        repo=repo,
        mailer=con_supresion(transporte),
        plantillas=FakePlantillas(),
        idempotencia=Idem(),
        buzones=BUZONES,
        url_publica="https://ventas.example",
    )
    puertos = replace(puertos, aviso=aviso)
    smartflex.caido = True
    with pytest.raises(AccionEnCola):
        aplicar_o_encolar(_comando(), puertos=puertos)
    # When Smartflex answers again, but refuses the sale
    smartflex.caido, smartflex.rechazo = False, SmartflexRechazo("El CI tiene deuda pendiente en Smartflex.")
    reloj.avanzar(minutes=2)
    for _ in range(2):  # and the job runs again
        ronda = reintentar(puertos=puertos)
        reloj.avanzar(minutes=2)
    # Then it is no longer waiting, the history says why, and the executives got one email
    assert puertos.pendientes.listar() == []
    assert ronda.no_aplicadas == [] and smartflex.aplicados == []
    [entrada] = [e for e in repo.historial("VD-1") if e.tipo == "accion_no_aplicada"]
    assert "deuda pendiente" in entrada.resumen and "eva.ejecutiva" in entrada.resumen
    [correo] = transporte.enviados
    assert correo.para == (aviso.buzones.ejecutivos,) and correo.cc == ("eva.ejecutiva@ventas.comteco.local",)
