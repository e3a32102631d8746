"""A suppressed address (hard bounce or complaint) receives nothing from any sender, and a person can see why.

The suppression list is applied by the ``Mailer`` port itself (``bootstrap`` puts the provider behind it), so each
sender is driven through the app's own services with the hostile suite's fakes: the provider fake
(``overrides["mailer"]``) must never be asked to send to the suppressed address, and the skipped recipient is
recorded in the request's history (``correo_no_enviado`` or the entry's ``suprimidas``) or, for sends without a
request, in the job's result and a log line.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.events import AccionAplicada
from chalicelib.services import mensajeria

CLIENTE = "maria.quispe@example.com"


def _suprimir(mundo: Any, direccion: str) -> None:
    mundo.servicios.overrides["supresiones"].suprimir(
        direccion, motivo="rebote", en=mundo.servicios.clock.ahora().isoformat()
    )


def _enviados(mundo: Any) -> list[Any]:
    return list(mundo.servicios.overrides["mailer"].enviados)


def _nada_para(mundo: Any, direccion: str) -> None:
    destinos = [d.lower() for c in _enviados(mundo) for d in (*c.para, *c.cc)]
    assert direccion.lower() not in destinos, f"{direccion} is suppressed but an email went to it"


def _anotada(mundo: Any, solicitud_id: str, direccion: str) -> None:
    historial = mundo.servicios.repo.historial(solicitud_id)
    registradas = [
        d
        for e in historial
        if e.tipo == "correo_no_enviado" or "suprimidas" in e.campos
        for d in e.campos.get("suprimidas", [])
    ]
    assert direccion.lower() in registradas, [(e.tipo, e.resumen) for e in historial]


def _buzones(mundo: Any) -> Any:
    return mundo.servicios.settings.buzones


def _hace(mundo: Any, **delta: float) -> str:
    return (mundo.servicios.clock.ahora() - timedelta(**delta)).isoformat()


def test_the_capture_reaction_skips_a_suppressed_customer_and_records_it(mundo):
    _suprimir(mundo, CLIENTE)
    s = mundo.guardar()
    evento = AccionAplicada(
        solicitud_id=s.id,
        cambio_id=s.ultimo_cambio.id,
        accion="capturar",
        de="",
        a="nueva",
        rol="SISTEMA",
        actor="prospecto:web",
        en=s.creada_en,
    )

    mundo.servicios.reaccionar(evento)

    _nada_para(mundo, CLIENTE)
    assert _enviados(mundo), "the executives' notice still goes"
    _anotada(mundo, s.id, CLIENTE)


def test_the_requirements_reminder_skips_a_suppressed_customer_and_records_it(mundo):
    _suprimir(mundo, CLIENTE)
    hace = _hace(mundo, days=5)
    s = mundo.guardar(estado="requisitos", estado_desde=hace)

    mundo.servicios.recordar_requisitos()

    _nada_para(mundo, CLIENTE)
    _anotada(mundo, s.id, CLIENTE)


def test_the_help_desk_reminder_and_escalation_skip_suppressed_mailboxes_and_record_them(mundo):
    buzones = _buzones(mundo)
    _suprimir(mundo, buzones.help_desk)
    _suprimir(mundo, buzones.responsable_canales)
    s = mundo.guardar(estado="consulta_help_desk", estado_desde=_hace(mundo, days=3), capacidad={"solicitud": {}})

    resultado = mundo.servicios.recordar_help_desk()

    assert resultado == {"recordadas": [s.id], "escaladas": [s.id]}
    _nada_para(mundo, buzones.help_desk)
    _nada_para(mundo, buzones.responsable_canales)
    _anotada(mundo, s.id, buzones.help_desk)
    _anotada(mundo, s.id, buzones.responsable_canales)


def test_the_speed_to_lead_escalation_skips_a_suppressed_team_lead_and_records_it(mundo):
    rc = _buzones(mundo).responsable_canales
    _suprimir(mundo, rc)
    hace = _hace(mundo, hours=3)
    s = mundo.guardar(creada_en=hace)

    escaladas = mundo.servicios.escalar_sin_atencion()

    assert escaladas == [s.id], "escalated once (not retried every run), even though the email could not go"
    _nada_para(mundo, rc)
    _anotada(mundo, s.id, rc)
    assert mundo.servicios.escalar_sin_atencion() == []


def test_the_unattended_digest_is_not_sent_to_a_suppressed_team_lead_and_says_why(mundo, caplog):
    rc = _buzones(mundo).responsable_canales
    _suprimir(mundo, rc)
    mundo.guardar(creada_en=_hace(mundo, days=3))

    with caplog.at_level(logging.INFO):
        resultado = mundo.servicios.enviar_resumen_no_atendidas()

    assert resultado["total"] >= 1
    assert resultado["enviado"] is False and resultado["motivo"] == "destinatarios_suprimidos"
    assert resultado["suprimidas"] == [rc.lower()]
    _nada_para(mundo, rc)
    assert any(getattr(r, "suprimidas", None) == [rc.lower()] for r in caplog.records)
    assert mundo.servicios.enviar_resumen_no_atendidas()["motivo"] == "ya_enviado", "the day's run is recorded"


def test_the_monthly_report_is_not_sent_to_a_suppressed_division_head_and_says_why(mundo, caplog):
    buzones = _buzones(mundo)
    _suprimir(mundo, buzones.jefe_division)

    with caplog.at_level(logging.INFO):
        resultado = mundo.servicios.enviar_informe_mensual(EnviarInformeMensual())

    assert resultado["enviado"] is False and resultado["motivo"] == "destinatarios_suprimidos"
    assert _enviados(mundo) == [], "with no main recipient left, the copy does not go either"
    assert any(getattr(r, "suprimidas", None) == [buzones.jefe_division.lower()] for r in caplog.records)


def test_the_monthly_report_still_reaches_the_division_head_when_only_the_copy_is_suppressed(mundo, caplog):
    buzones = _buzones(mundo)
    _suprimir(mundo, buzones.responsable_canales)

    with caplog.at_level(logging.INFO):
        resultado = mundo.servicios.enviar_informe_mensual(EnviarInformeMensual())

    assert resultado["enviado"] is True
    (correo,) = _enviados(mundo)
    assert correo.para == (buzones.jefe_division,) and correo.cc == ()
    assert any(getattr(r, "suprimidas", None) == [buzones.responsable_canales.lower()] for r in caplog.records)


def test_a_payment_notice_to_a_suppressed_collections_mailbox_is_not_sent_and_is_recorded(mundo):
    cobranzas = _buzones(mundo).cobranzas
    _suprimir(mundo, cobranzas)
    s = mundo.guardar()
    pago = {
        "tipo": "pago.aprobado",
        "id_transaccion": "TX-1",
        "referencia": s.id,
        "monto_bs": 349.0,
        "fecha": mundo.servicios.clock.ahora().isoformat(),
        "medio": "tarjeta",
    }
    cuerpo = json.dumps(pago).encode()

    respuesta = mundo.pedir(
        "POST /webhooks/pagos (suprimida)", "POST", "/webhooks/pagos", headers=mundo.cabeceras_pago(cuerpo), body=cuerpo
    )

    assert respuesta.status_code == 200
    _nada_para(mundo, cobranzas)
    _anotada(mundo, s.id, cobranzas)


def test_the_email_fallback_of_a_channel_message_skips_a_suppressed_customer_and_records_it(mundo):
    _suprimir(mundo, CLIENTE)
    s = mundo.guardar(canal="whatsapp")
    en = mundo.servicios.clock.ahora().isoformat()

    enviado = mensajeria.enviar_respaldo_correo(
        s,
        "whatsapp",
        "Su oferta está lista.",
        (),
        clave="whatsapp.wamid-1",
        en=en,
        puertos=mundo.servicios._puertos_mensajeria,
    )

    assert enviado is False
    _nada_para(mundo, CLIENTE)
    _anotada(mundo, s.id, CLIENTE)


@pytest.mark.parametrize("direccion", [CLIENTE, "MARIA.QUISPE@EXAMPLE.COM"])
def test_the_mailer_port_wired_by_the_app_drops_a_suppressed_address_whatever_its_case(mundo, direccion):
    from chalicelib.domain.ports import CorreoSaliente

    _suprimir(mundo, direccion)
    entrega = mundo.servicios.mailer.enviar(
        CorreoSaliente(para=(CLIENTE.upper(),), cc=("otro@example.com",), asunto="a", texto="b", html="<p>b</p>")
    )

    assert entrega.message_id is None and entrega.suprimidas == (CLIENTE,)
    assert _enviados(mundo) == []
