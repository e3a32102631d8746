"""Email handlers through the Chalice test client, with fakes: the SES receipt event, the SNS bounce notice and the
Help Desk schedule are parsed into commands and handled by one service call each."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from chalicelib.domain.correo import TokenRespuesta
from tests.correo_util import eml
from tests.factories import make_entrada, make_solicitud
from tests.fakes_correo import FakeBuzon, InMemoryAlmacen, InMemorySupresiones, InMemoryTokensRespuesta

EVENTOS = Path(__file__).resolve().parents[1] / "events"
RAIZ = Path(__file__).resolve().parents[2]
HD = "helpdesk@ventas.comteco.local"


@pytest.fixture
def correo(servicios):
    """The email ports of ``servicios`` replaced by fakes (before anything builds them)."""
    fakes = {
        "tokens_respuesta": InMemoryTokensRespuesta(),
        "supresiones": InMemorySupresiones(),
        "buzon_entrante": FakeBuzon(),
        "documentos": InMemoryAlmacen(),
        "reglas_bancos": (),
    }
    servicios.overrides.update(fakes)
    return fakes


def _pregunta(servicios, correo) -> tuple[str, TokenRespuesta]:
    capacidad = {"solicitud": {"velocidad_solicitada_mbps": 50.0}}
    s = make_solicitud(id="VD-00000001", estado="consulta_help_desk", capacidad=capacidad)
    servicios.repo.crear(s, make_entrada(s))
    token = correo["tokens_respuesta"].emitir(
        TokenRespuesta("", s.id, "capacidad", HD, "HD", "2026-11-30T09:00:00-04:00", "2026-12-10T09:00:00-04:00")
    )
    return s.id, token


def _evento_ses(token: str, **veredictos: str) -> dict:
    evento = json.loads((EVENTOS / "ses_recepcion.json").read_text(encoding="utf-8").replace("TOKEN", token))
    for nombre, estado in veredictos.items():
        evento["Records"][0]["ses"]["receipt"][f"{nombre}Verdict"]["status"] = estado
    return evento


def test_the_ses_receipt_event_applies_the_stored_reply(cliente, servicios, correo):
    # Given a question and the reply SES stored in S3 under its message id
    solicitud_id, token = _pregunta(servicios, correo)
    evento = _evento_ses(token.token)
    para = evento["Records"][0]["ses"]["receipt"]["recipients"][0]
    crudo = eml("correo_gmail_si.eml", de=HD, para=para, asunto="RE: [VD-00000001] Confirmar capacidad")
    correo["buzon_entrante"].guardar_crudo("o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1", crudo)
    # When the Lambda action is delivered twice
    primera = cliente.lambda_.invoke("on_correo_entrante", evento).payload
    segunda = cliente.lambda_.invoke("on_correo_entrante", evento).payload
    # Then
    assert primera["disposition"] == "CONTINUE"
    assert primera["resultados"][0]["estado"] == "aplicado"
    assert segunda["resultados"][0]["estado"] == "duplicado"
    assert servicios.repo.obtener(solicitud_id).estado == "negociacion"


def test_a_forged_reply_changes_nothing(cliente, servicios, correo):
    # Given
    solicitud_id, token = _pregunta(servicios, correo)
    evento = _evento_ses(token.token, dmarc="FAIL", spf="FAIL")
    crudo = eml("correo_gmail_si.eml", de=HD, para="x@ventas.comteco.local", asunto="RE: x")
    correo["buzon_entrante"].guardar_crudo("o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1", crudo)
    # When
    resultado = cliente.lambda_.invoke("on_correo_entrante", evento).payload["resultados"][0]
    # Then
    assert (resultado["estado"], resultado["motivo"]) == ("rechazado", "veredictos")
    assert servicios.repo.obtener(solicitud_id).estado == "consulta_help_desk"
    assert servicios.mailer.transporte.enviados == []


def test_records_that_are_not_ses_mail_are_ignored(cliente, correo):
    # When
    respuesta = cliente.lambda_.invoke("on_correo_entrante", {"Records": [{"eventSource": "aws:s3"}]}).payload
    # Then
    assert respuesta == {"disposition": "CONTINUE", "resultados": []}


def test_a_bounce_notice_suppresses_the_address(cliente, servicios, correo):
    # Given
    s = make_solicitud(id="VD-00000001")
    servicios.repo.crear(s, make_entrada(s))
    mensaje = (EVENTOS / "ses_rebote.json").read_text(encoding="utf-8")
    evento = cliente.events.generate_sns_event(message=mensaje)
    # When
    respuesta = cliente.lambda_.invoke("on_notificacion_ses", evento).payload
    # Then
    assert respuesta == {"suprimidas": ["maria.quispe@example.com"]}
    assert correo["supresiones"].suprimidas(["maria.quispe@example.com"]) == {"maria.quispe@example.com"}
    rebote = [e for e in servicios.repo.historial(s.id) if e.tipo == "correo_rebotado"]
    assert len(rebote) == 1 and "550 5.1.1" in rebote[0].resumen


@pytest.mark.parametrize("mensaje", ["no es json", json.dumps({"notificationType": "Delivery", "mail": {}})])
def test_other_sns_messages_change_nothing(cliente, correo, mensaje):
    # When
    respuesta = cliente.lambda_.invoke("on_notificacion_ses", cliente.events.generate_sns_event(message=mensaje))
    # Then
    assert respuesta.payload == {"suprimidas": []} and correo["supresiones"].direcciones == {}


def test_the_help_desk_schedule_runs_the_follow_up(cliente, servicios, correo):
    # Given a question asked long ago
    s = make_solicitud(estado="consulta_help_desk", estado_desde="2026-11-30T03:00:00-04:00")
    servicios.repo.crear(s, make_entrada(s))
    evento = cliente.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region="us-east-1"
    )
    # When
    respuesta = cliente.lambda_.invoke("remind_help_desk", evento).payload
    # Then
    assert respuesta == {"recordadas": [s.id], "escaladas": [s.id]}
    asuntos = [c.asunto for c in servicios.mailer.transporte.enviados]
    assert any("Recordatorio" in a for a in asuntos) and any("no respondió" in a for a in asuntos)


def test_the_email_blueprint_imports_nothing_from_aws_or_the_adapters():
    # Given
    arbol = ast.parse((RAIZ / "chalicelib" / "handlers" / "correo.py").read_text(encoding="utf-8"))
    # When
    modulos = {n.module for n in ast.walk(arbol) if isinstance(n, ast.ImportFrom) and n.module}
    modulos |= {a.name for n in ast.walk(arbol) if isinstance(n, ast.Import) for a in n.names}
    # Then
    assert not [m for m in modulos if m.split(".")[0] in ("boto3", "pynamodb") or m.startswith("chalicelib.adapters")]
