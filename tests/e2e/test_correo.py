"""Email end to end on the local stage: the executive asks Help Desk through the staff API, the question is in the
outbox with a tokenised Reply-To, and a reply sent with ``smtplib`` to the local SMTP intake (the same inbound path
as SES) moves the request; forged, expired and wrong-sender replies change nothing; the Help Desk follow-up fires
on the schedule runner; a bounce suppresses later sends."""

from __future__ import annotations

import json
import re
import smtplib
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.correo_util import eml

pytestmark = pytest.mark.e2e

COORDENADAS_CENTRO = {"latitud": -17.3935, "longitud": -66.157}
HD = "helpdesk@ventas.comteco.local"


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(etapa):
    """The local SMTP intake on a free port, invoking the handler through this test's app client."""
    from localstage.smtp import desde_settings

    def invocar(nombre: str, evento: dict[str, Any]) -> Any:
        return etapa.cliente.lambda_.invoke(nombre, evento).payload

    servidor = desde_settings(etapa.settings, invocar, puerto=_puerto_libre()).iniciar()
    yield servidor
    servidor.detener()


def _en_consulta_hd(etapa) -> tuple[str, dict[str, Any]]:
    """A request the executive sent to Help Desk (step 6), and the question in the outbox."""
    respuesta = etapa.enviar_formulario(
        nombre="María Quispe Mamani",
        telefono="70712345",
        email="maria.quispe@example.com",
        zona="Centro",
        direccion="Calle España 250",
        tipo_cliente="residencial",
        consentimiento="on",
    )
    assert respuesta.status_code == 201, respuesta.body
    solicitud_id = re.search(r"VD-[0-9A-Z]{8}", respuesta.body.decode()).group(0)
    etapa.bombear()
    etapa.aplicar(solicitud_id, "clasificar_residencial")
    etapa.aplicar(solicitud_id, "registrar_datos", ci="4567890", ci_expedido="CB", **COORDENADAS_CENTRO)
    etapa.aplicar(solicitud_id, "consultar_cobertura")
    etapa.aplicar(
        solicitud_id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50, telefono_referencia="44221234"
    )
    pregunta = next(m for m in etapa.outbox() if m["to"] == [HD] and solicitud_id in m["subject"])
    return solicitud_id, pregunta


def _enviar(smtp, crudo: bytes, de: str, para: str) -> dict[str, Any]:
    with smtplib.SMTP("127.0.0.1", smtp.puerto, timeout=60) as conexion:
        conexion.sendmail(de, [para], crudo)
    return smtp.entregados[-1]["resultado"]["resultados"][0]


def _responder(smtp, pregunta: dict[str, Any], forma: str, de: str = HD, **extra: Any) -> dict[str, Any]:
    para = extra.pop("para", pregunta["reply_to"])
    crudo = eml(
        forma,
        de=de,
        para=para,
        asunto="RE: " + pregunta["subject"],
        en_respuesta_a=pregunta["headers"]["Message-ID"],
        **extra,
    )
    return _enviar(smtp, crudo, de, para)


def _tipos(detalle: dict[str, Any]) -> list[str]:
    return [e["tipo"] for e in detalle["historial"]]


def test_the_help_desk_question_is_sent_with_a_tokenised_reply_address(etapa):
    # When
    solicitud_id, pregunta = _en_consulta_hd(etapa)
    # Then
    assert re.fullmatch(r"ventas-digitales\+[0-9a-f]{32}@ventas\.comteco\.local", pregunta["reply_to"])
    assert pregunta["subject"].startswith(f"[{solicitud_id}] Confirmar capacidad técnica")
    assert re.fullmatch(r"<vd\.[0-9a-f]{32}@ventas\.comteco\.local>", pregunta["headers"]["Message-ID"])
    assert "Velocidad máxima: 40 Mbps" in pregunta["text"] and "44221234" in pregunta["text"]


@pytest.mark.parametrize(
    ("forma", "estado", "velocidad", "motivo"),
    [
        ("correo_gmail_si.eml", "negociacion", 40, None),
        ("correo_outlook_no.eml", "no_atendida", None, "No hay puertos libres en la caja terminal del sector"),
        ("correo_iphone.eml", "negociacion", 30, None),
        ("correo_solo_html.eml", "no_atendida", None, "zona saturada"),
    ],
    ids=["gmail", "outlook", "iphone", "solo-html"],
)
def test_a_reply_by_smtp_moves_the_request(etapa, smtp, forma, estado, velocidad, motivo):
    # Given
    solicitud_id, pregunta = _en_consulta_hd(etapa)
    # When Help Desk replies from its mail client
    resultado = _responder(smtp, pregunta, forma)
    etapa.bombear()
    # Then
    assert resultado["estado"] == "aplicado"
    detalle = etapa.detalle(solicitud_id)
    solicitud = detalle["solicitud"]
    assert solicitud["estado"] == estado
    if velocidad:
        assert solicitud["capacidad"]["velocidad_maxima_mbps"] == velocidad
    else:
        assert motivo in solicitud["motivo_cierre"]
    recibido = next(e for e in detalle["historial"] if e["tipo"] == "correo_recibido")
    assert recibido["actor"] == HD and recibido["canal"] == "correo"
    accion = next(e for e in detalle["historial"] if e.get("accion") in ("confirmar_capacidad", "negar_capacidad"))
    assert (accion["rol"], accion["canal"]) == ("HD", "correo")
    aviso = [m for m in etapa.outbox() if solicitud_id in m["subject"] and "Help Desk" in m["subject"]]
    assert aviso and aviso[-1]["to"] == [etapa.settings.buzones.ejecutivos]


def test_the_executive_s_mailbox_may_not_answer_for_help_desk(etapa, smtp):
    # Given
    solicitud_id, pregunta = _en_consulta_hd(etapa)
    # When
    resultado = _responder(smtp, pregunta, "correo_gmail_si.eml", de=etapa.settings.buzones.ejecutivos)
    # Then
    assert (resultado["estado"], resultado["motivo"]) == ("rechazado", "remitente_no_autorizado")
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "consulta_help_desk" and "correo_rechazado" in _tipos(detalle)


def test_a_forged_reply_changes_nothing_and_gets_no_answer(etapa, smtp):
    # Given
    solicitud_id, pregunta = _en_consulta_hd(etapa)
    enviados = len(etapa.outbox())
    # When a mail claiming to be Help Desk fails DMARC
    resultado = _responder(smtp, pregunta, "correo_gmail_si.eml", cabeceras_extra="X-Veredicto-Local: dmarc=FAIL")
    # Then
    assert (resultado["estado"], resultado["motivo"]) == ("rechazado", "veredictos")
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "consulta_help_desk"
    rechazo = next(e for e in detalle["historial"] if e["tipo"] == "correo_rechazado")
    assert rechazo["campos"]["veredictos"]["dmarc"] == "FAIL"
    assert len(etapa.outbox()) == enviados


def test_a_wrong_token_changes_nothing(etapa, smtp):
    # Given
    solicitud_id, pregunta = _en_consulta_hd(etapa)
    # When
    resultado = _responder(
        smtp, pregunta, "correo_gmail_si.eml", para="ventas-digitales+" + "a" * 32 + "@ventas.comteco.local"
    )
    # Then
    assert (resultado["estado"], resultado["motivo"]) == ("rechazado", "token_desconocido")
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "consulta_help_desk"


def test_an_expired_token_changes_nothing(etapa, smtp):
    # Given a question whose reply token expired
    from chalicelib.adapters.dynamo_tables import ClaveItem

    solicitud_id, pregunta = _en_consulta_hd(etapa)
    token = re.search(r"\+([0-9a-f]{32})@", pregunta["reply_to"]).group(1)
    item = ClaveItem.get(f"respuesta#{token}")
    item.update(actions=[ClaveItem.datos.set({**item.datos, "expira_en": "2026-01-01T00:00:00-04:00"})])
    # When
    resultado = _responder(smtp, pregunta, "correo_gmail_si.eml")
    # Then
    assert (resultado["estado"], resultado["motivo"]) == ("rechazado", "token_vencido")
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "consulta_help_desk"


def test_the_same_reply_delivered_twice_is_applied_once(etapa, smtp):
    # Given a reply SES delivered (stored and invoked)
    solicitud_id, pregunta = _en_consulta_hd(etapa)
    _responder(smtp, pregunta, "correo_gmail_si.eml")
    evento = smtp.entregados[-1]["evento"]
    # When the Lambda action is delivered again
    otra = etapa.cliente.lambda_.invoke("on_correo_entrante", evento).payload
    # Then
    assert otra["resultados"][0]["estado"] == "duplicado"
    acciones = [e for e in etapa.detalle(solicitud_id)["historial"] if e.get("accion") == "confirmar_capacidad"]
    assert len(acciones) == 1


def test_a_si_only_in_the_quote_gets_an_explanation_and_a_second_reply_after_a_decision_is_told_so(etapa, smtp):
    # Given
    solicitud_id, pregunta = _en_consulta_hd(etapa)
    # When Help Desk sends only the quoted question, then a real NO, then a late SI
    vacia = _responder(smtp, pregunta, "correo_solo_cita.eml")
    explicacion = etapa.outbox()[-1]
    decidida = _responder(smtp, pregunta, "correo_outlook_no.eml")
    tardia = _responder(smtp, pregunta, "correo_gmail_si.eml")
    # Then
    assert (vacia["estado"], decidida["estado"], tardia["estado"]) == ("no_entendido", "aplicado", "ya_decidido")
    assert explicacion["to"] == [HD] and explicacion["reply_to"] == pregunta["reply_to"]
    assert "No pudimos interpretar su respuesta" in explicacion["subject"]
    assert "SI" in explicacion["text"] and "Velocidad máxima: 40 Mbps" in explicacion["text"]
    ya = etapa.outbox()[-1]
    assert "ya fue resuelta" in ya["subject"] and HD in ya["text"]
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "no_atendida"


def test_the_reminder_and_the_escalation_fire_on_the_schedule_runner(etapa, smtp):
    # Given a question asked two weeks ago that nobody answered
    from app import app
    from chalicelib.adapters.dynamo_tables import SolicitudItem
    from localstage.run import _eventos_programados
    from localstage.scheduler import Scheduler

    solicitud_id, pregunta = _en_consulta_hd(etapa)
    hace = datetime.fromisoformat(etapa.detalle(solicitud_id)["solicitud"]["estado_desde"]) - timedelta(days=14)
    SolicitudItem(solicitud_id).update(actions=[SolicitudItem.estado_desde.set(hace.isoformat())])
    evento = etapa.cliente.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region="us-east-1"
    )
    trabajos = {
        nombre: (expresion, lambda n=nombre: etapa.cliente.lambda_.invoke(n, evento).payload)
        for nombre, expresion in _eventos_programados(app)
        if nombre == "remind_help_desk"
    }
    agenda = Scheduler(trabajos)
    # When the runner ticks past the next 15-minute slot, twice
    ahora = datetime.now(UTC)
    primera = agenda.tick(ahora + timedelta(minutes=16))
    segunda = agenda.tick(ahora + timedelta(minutes=32))
    # Then one reminder (same reply address) and one escalation, both in the history
    assert primera == segunda == ["remind_help_desk"]
    correos = [m for m in etapa.outbox() if solicitud_id in m["subject"]]
    recordatorios = [m for m in correos if "Recordatorio" in m["subject"]]
    escalamientos = [m for m in correos if "no respondió" in m["subject"]]
    assert len(recordatorios) == 1 and recordatorios[0]["to"] == [HD]
    assert recordatorios[0]["reply_to"] == pregunta["reply_to"]
    assert len(escalamientos) == 1 and escalamientos[0]["to"] == [etapa.settings.buzones.responsable_canales]
    tipos = _tipos(etapa.detalle(solicitud_id))
    assert tipos.count("recordatorio") == 1 and tipos.count("escalamiento") == 1
    # And Help Desk can still answer the reminder
    resultado = _responder(smtp, recordatorios[0], "correo_iphone.eml", para=recordatorios[0]["reply_to"])
    assert resultado["estado"] == "aplicado"


def test_the_dev_job_runs_the_help_desk_follow_up(etapa):
    # When
    respuesta = etapa.cliente.http.post("/dev/jobs/recordatorios_hd")
    # Then
    assert respuesta.status_code == 200
    assert respuesta.json_body["resultado"] == {"recordadas": [], "escaladas": []}


def test_a_bounce_suppresses_later_emails_to_that_address(etapa):
    # Given a request whose customer address hard-bounced
    solicitud_id, _ = _en_consulta_hd(etapa)
    cliente = "maria.quispe@example.com"
    notificacion = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": cliente, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2026-11-30T14:59:38.237Z",
            "feedbackId": "feedback-1",
        },
        "mail": {"messageId": "x", "headers": [{"name": "X-VD-Solicitud", "value": solicitud_id}]},
    }
    evento = etapa.cliente.events.generate_sns_event(message=json.dumps(notificacion))
    assert etapa.cliente.lambda_.invoke("on_notificacion_ses", evento).payload == {"suprimidas": [cliente]}
    antes = len(etapa.outbox())
    # When the process reaches a step that emails the customer
    etapa.aplicar(solicitud_id, "confirmar_capacidad", rol="HD", velocidad_maxima_mbps=100, tecnologia="FTTH")
    etapa.aplicar(solicitud_id, "enviar_oferta", plan="hogar-fibra-50")
    # Then nothing is sent to that address, and the history says why
    nuevos = etapa.outbox()[antes:]
    assert nuevos and all(cliente not in m["to"] + m["cc"] for m in nuevos)
    tipos = _tipos(etapa.detalle(solicitud_id))
    assert "correo_rebotado" in tipos and "correo_no_enviado" in tipos
