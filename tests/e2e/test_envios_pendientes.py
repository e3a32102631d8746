"""A provider down for an hour (issue 19, part 4), through the public doors: web forms, the staff API, a signed
WhatsApp webhook, the state-change stream, the pending-sends schedule and the outbox.

While SES (or WhatsApp) does not answer, the doors keep working, nothing leaves, nothing is dead-lettered, and the
console lists what waits and why. When the provider is back the next runs of the job send everything once, the
request waiting longest first and each request in the order its actions were applied; runs after that and
redelivered stream batches send nothing again.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.e2e.barrido import evento_programado

pytestmark = pytest.mark.e2e

LA_PAZ = ZoneInfo("America/La_Paz")


@contextmanager
def ses_caido() -> Iterator[list[str]]:
    """Every SendEmail answers 503 ServiceUnavailable (after botocore's own retries), as SES does in an outage."""
    original = BaseClient._make_api_call
    rechazados: list[str] = []

    def llamar(cliente: Any, operacion: str, parametros: dict[str, Any]) -> Any:
        if cliente.meta.service_model.service_name == "sesv2" and operacion == "SendEmail":
            rechazados.append(str(parametros.get("Content", {}).get("Simple", {}).get("Subject", {}).get("Data", "")))
            error = {"Code": "ServiceUnavailable", "Message": "Service is unavailable. Try again later."}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 503}}, operacion)
        return original(cliente, operacion, parametros)

    BaseClient._make_api_call = llamar  # type: ignore[method-assign]
    try:
        yield rechazados
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _programado(etapa, funcion: str, identidad: str) -> dict[str, Any]:
    """One run of a schedule, with its own EventBridge event."""
    return dict(etapa.cliente.lambda_.invoke(funcion, evento_programado(etapa, identidad)).payload)


_corridas = itertools.count(1)


def _programa(etapa) -> dict[str, Any]:
    """One run of the pending-sends job, as EventBridge fires it every minute."""
    return _programado(etapa, "retry_pending_sends", f"pendientes-{next(_corridas)}")


def _formulario(etapa, nombre: str, telefono: str, email: str) -> str:
    respuesta = etapa.enviar_formulario(
        nombre=nombre,
        telefono=telefono,
        email=email,
        zona="Centro",
        direccion="Calle España 250",
        tipo_cliente="residencial",
        consentimiento="on",
    )
    assert respuesta.status_code == 201, respuesta.body
    etapa.bombear()
    return re.search(r"VD-[0-9A-Z]{8}", respuesta.body.decode()).group(0)


def _pendientes() -> dict[str, list[str]]:
    from chalicelib.bootstrap import get_services

    return {c.solicitud_id: [e.accion for e in c.eventos] for c in get_services().envios_pendientes()}


def _consola_pendientes(etapa) -> str:
    from tests.app.test_consola import Visitante, html

    visitante = Visitante(etapa.cliente)
    visitante.ingresar("RC")
    respuesta = visitante.get("/consola/pendientes")
    assert respuesta.status_code == 200, respuesta.body
    return html(respuesta)


def _correos(etapa, solicitud_id: str) -> list[tuple[str, str]]:
    """(first recipient, subject) of every email about the request, in the order they were sent."""
    return [(m["to"][0], m["subject"]) for m in etapa.outbox() if solicitud_id in m["subject"]]


def test_an_hour_without_ses_loses_nothing_and_then_sends_everything_once_in_order(etapa, reloj):
    buzones = etapa.settings.buzones
    with ses_caido() as rechazados:
        # Given SES down while two people write through the web form and an executive works the first request
        maria = _formulario(etapa, "María Quispe Mamani", "70712345", "maria.quispe@example.com")
        reloj.avanzar(minutes=1)
        juan = _formulario(etapa, "Juan Mamani Flores", "70712399", "juan.mamani@example.com")
        etapa.aplicar(maria, "clasificar_residencial")
        etapa.aplicar(maria, "registrar_datos", ci="4567890", ci_expedido="CB", latitud=-17.3935, longitud=-66.157)
        etapa.aplicar(maria, "consultar_cobertura")
        etapa.aplicar(maria, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50, telefono_referencia="44221234")
        # Then the doors worked, SES was asked and refused, nothing left, and nothing went to the dead letters
        assert etapa.detalle(maria)["solicitud"]["estado"] == "consulta_help_desk"
        assert rechazados and etapa.outbox() == []
        assert etapa.bomba.dead_letters == []
        # And what waits is listed per request, in order (actions without emails do not wait)
        assert _pendientes() == {maria: ["capturar", "solicitar_confirmacion_hd"], juan: ["capturar"]}
        # When the job runs through an hour while SES is still down (every 5 minutes here: the runs in between
        # find nothing due, the waits being 1, 2, 5, 10, then 15 minutes)
        for _ in range(12):
            reloj.avanzar(minutes=5)
            _programa(etapa)
        # Then still nothing left and nothing was dropped; the reason is recorded
        assert etapa.outbox() == []
        from chalicelib.bootstrap import get_services

        cola = get_services().pendientes.de_solicitud(maria)
        assert cola.proveedor == "Correo (SES)" and cola.intentos >= 5
        assert "ServiceUnavailable" in cola.motivo
        # And the team lead sees both requests in the console, with the provider and the reason
        pagina = _consola_pendientes(etapa)
        assert maria in pagina and juan in pagina
        assert "Correo (SES)" in pagina and "ServiceUnavailable" in pagina
        assert pagina.index(maria) < pagina.index(juan)
    # When SES is back and the job's next due run comes
    reloj.avanzar(minutes=15)
    ronda = _programa(etapa)
    # Then every email left once: the request waiting longest first, each in the order of its actions
    assert ronda["enviadas"] == [f"{maria}:capturar", f"{maria}:solicitar_confirmacion_hd", f"{juan}:capturar"]
    de_maria = _correos(etapa, maria)
    assert sorted(de_maria) == sorted(
        [
            ("maria.quispe@example.com", de_maria[0][1]),
            (buzones.ejecutivos, next(a for p, a in de_maria if p == buzones.ejecutivos)),
            (buzones.help_desk, next(a for p, a in de_maria if p == buzones.help_desk)),
        ]
    )
    assert [p for p, _ in de_maria].index(buzones.help_desk) == 2  # the consult after the acknowledgements
    assert sorted(p for p, _ in _correos(etapa, juan)) == sorted(["juan.mamani@example.com", buzones.ejecutivos])
    todos = [m["subject"] for m in etapa.outbox()]
    assert max(todos.index(a) for _, a in de_maria) < min(todos.index(a) for _, a in _correos(etapa, juan))
    # And each email is in its request's history once
    tipos = [e["tipo"] for e in etapa.detalle(maria)["historial"]]
    assert tipos.count("correo") == 3
    # And nothing waits; later runs and redelivered stream batches send nothing again
    assert _pendientes() == {}
    antes = len(etapa.outbox())
    reloj.avanzar(minutes=1)
    assert _programa(etapa)["enviadas"] == []
    for evento in list(etapa.entregados):
        assert etapa.cliente.lambda_.invoke("on_solicitud_change", evento).payload == {"batchItemFailures": []}
    assert len(etapa.outbox()) == antes


def test_a_whatsapp_outage_keeps_the_customer_reply_waiting_and_sends_it_once_when_back(etapa, reloj):
    from tests.e2e.test_mensajeria import TELEFONO, _cliente, _mensajes, _solicitud_unica

    # Given WhatsApp's send API answering 503 ("service temporarily unavailable", code 2) for an hour
    etapa.graph.fallar_envio(TELEFONO, codigo=2, veces=10_000, http=503)
    # When a prospect writes on WhatsApp
    _cliente(etapa, "whatsapp").escribir("Hola, quiero internet para mi casa")
    solicitud_id = _solicitud_unica(etapa)
    # Then the request exists, the acknowledgement waits for WhatsApp with the reason, and nothing was sent
    assert _pendientes() == {solicitud_id: ["capturar"]}
    from chalicelib.bootstrap import get_services

    cola = get_services().pendientes.de_solicitud(solicitud_id)
    assert cola.proveedor == "WhatsApp" and "WhatsApp" in cola.motivo
    assert _mensajes(etapa, TELEFONO) == []
    for _ in range(10):
        reloj.avanzar(minutes=6)
        _programa(etapa)
    assert _mensajes(etapa, TELEFONO) == []
    # When WhatsApp is back
    etapa.graph.fallos_envio.clear()
    reloj.avanzar(minutes=15)
    _programa(etapa)
    # Then the acknowledgement went once, and is in the history once
    enviados = _mensajes(etapa, TELEFONO)
    assert len(enviados) == 1
    historial = etapa.detalle(solicitud_id)["historial"]
    assert [e["tipo"] for e in historial].count("mensaje_saliente") == 1
    assert _pendientes() == {}
    reloj.avanzar(minutes=1)
    _programa(etapa)
    assert len(_mensajes(etapa, TELEFONO)) == 1


def test_the_monthly_report_waits_for_ses_and_leaves_once_on_a_later_hourly_run(etapa, reloj):
    from chalicelib.bootstrap import get_services

    jefe = etapa.settings.buzones.jefe_division
    reloj.momento = datetime(2026, 12, 1, 8, 0, tzinfo=LA_PAZ)
    with ses_caido():
        # Given SES down at 08:00 on the 1st and at the 09:00 run
        for hora in ("08", "09"):
            resultado = _programado(etapa, "send_monthly_report", f"informe-{hora}")
            # Then the run does not fail (no alarm for an outage), and says why nothing left
            assert (resultado["enviado"], resultado["motivo"]) == (False, "proveedor_no_disponible")
            reloj.avanzar(hours=1)
        [envio] = get_services().envios_programados_pendientes()
        assert (envio.clave, envio.intentos, envio.proveedor) == ("informe#2026-11", 2, "Correo (SES)")
        # And the division head sees it in the console
        from tests.app.test_consola import Visitante, html

        visitante = Visitante(etapa.cliente)
        visitante.ingresar("JD")
        pagina = html(visitante.get("/consola/pendientes"))
        assert "Informe General de noviembre de 2026 al Jefe de División" in pagina
    # When SES is back for the 10:00 run
    resultado = _programado(etapa, "send_monthly_report", "informe-10")
    # Then the report left once, and nothing is waiting any more
    assert resultado["enviado"] is True
    assert [m["to"] for m in etapa.outbox()] == [[jefe]]
    assert get_services().envios_programados_pendientes() == []
    # And the later hourly runs send nothing again
    reloj.avanzar(hours=1)
    assert _programado(etapa, "send_monthly_report", "informe-11")["motivo"] == "ya_enviado"
    assert len(etapa.outbox()) == 1


class SmartflexCaido:
    """The simulated Smartflex behind a switch: while ``caido`` every call times out, as a real adapter reports."""

    def __init__(self, real: Any) -> None:
        self.real, self.caido = real, False

    def __getattr__(self, nombre: str) -> Any:
        metodo = getattr(self.real, nombre)

        def llamar(*args: Any, **kwargs: Any) -> Any:
            if self.caido:
                from chalicelib.domain.errors import ServicioExternoNoDisponible

                raise ServicioExternoNoDisponible("Smartflex no respondió. Intente nuevamente en unos minutos.")
            return metodo(*args, **kwargs)

        return llamar


def test_a_sale_registered_while_smartflex_is_down_waits_and_is_registered_once_when_back(etapa, reloj):
    from chalicelib.bootstrap import get_services
    from tests.app.test_consola import Visitante, html
    from tests.e2e.test_barrido_reacciones import FORMA_PAGO
    from tests.e2e.test_procedimiento import _nueva

    servicios = get_services()
    smartflex = SmartflexCaido(servicios.smartflex)
    servicios.__dict__["smartflex"] = smartflex  # the port is built once: replace it, and what was built with it
    servicios.__dict__.pop("_puertos", None)
    solicitud_id = _nueva(etapa)
    *antes, (digitar, rol, campos) = FORMA_PAGO
    for accion, rol_paso, campos_paso in antes:
        etapa.aplicar(solicitud_id, accion, rol_paso, **campos_paso)
    # Given Smartflex not answering
    smartflex.caido = True
    # When the executive registers the sale
    respuesta = etapa.accion(solicitud_id, digitar, rol, **campos)
    # Then the door says it waits (202), and nothing changed yet
    assert respuesta.status_code == 202, respuesta.body
    assert respuesta.json_body["codigo"] == "en_cola" and "Smartflex no responde" in respuesta.json_body["mensaje"]
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "digitacion"
    # And no other staff action is applied to the request meanwhile
    otra = etapa.accion(solicitud_id, "anular", "EJ", motivo="El cliente desistió")
    assert otra.status_code == 409 and "esperando a que Smartflex responda" in otra.json_body["mensaje"]
    # And the executive's page and the team lead's list say what waits and why
    visitante = Visitante(etapa.cliente)
    visitante.ingresar("EJ")
    assert "Acción en espera de Smartflex" in html(visitante.get(f"/consola/solicitudes/{solicitud_id}"))
    lider = Visitante(etapa.cliente)
    lider.ingresar("RC")
    lista = html(lider.get("/consola/pendientes"))
    assert solicitud_id in lista and "Smartflex" in lista and "(espera a Smartflex)" in lista
    # When the job runs for an hour with Smartflex still down
    for _ in range(12):
        reloj.avanzar(minutes=5)
        _programa(etapa)
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "digitacion"
    # When Smartflex is back
    smartflex.caido = False
    reloj.avanzar(minutes=15)
    ronda = _programa(etapa)
    etapa.bombear()
    _programa(etapa)
    # Then the sale was registered once, as the executive asked, and its email went once
    assert ronda["aplicadas"] == [f"{solicitud_id}:digitar_venta"]
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "forma_pago"
    assert detalle["solicitud"]["digitacion"]["numero_contrato"].startswith("SCS-")
    acciones = [e.get("accion") for e in detalle["historial"] if e["tipo"] == "accion"]
    assert acciones.count("digitar_venta") == 1
    digitadas = [m for m in etapa.outbox() if solicitud_id in m["subject"] and "Venta registrada" in m["subject"]]
    assert len(digitadas) == 1
    assert _pendientes() == {}
    # And later runs apply nothing again
    reloj.avanzar(minutes=1)
    assert _programa(etapa)["aplicadas"] == []
