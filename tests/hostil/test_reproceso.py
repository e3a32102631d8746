"""Poison records and re-drive (issue 19, part 5), on the local stage: moto's stream and SQS, the pump with
Lambda's on-failure destination, the app through its test client, and ``scripts.reprocesar`` run in-process.

A stream record that fails every time ends in the on-failure queue with Lambda's message shape and does not hold
back the rest of its batch; once the cause is fixed ``flujo`` re-drives it, its emails go out exactly once, and
running it again (or re-delivering the same message) sends nothing. An inbound mail whose processing failed stays
in S3; ``correo`` re-drives it once and skips it afterwards.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from scripts import reprocesar
from tests.correo_util import eml
from tests.hostil.test_lote_a_medias import MailerQueFalla, seis_solicitudes

pytestmark = pytest.mark.e2e

# The example of the AWS Lambda guide ("Retaining discarded records for a DynamoDB event source"), as Lambda sends
# it to an on-failure destination: where the batch is, none of its data.
EJEMPLO_AWS = {
    "requestContext": {
        "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
        "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 1,
    },
    "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
    "version": "1.0",
    "timestamp": "2019-11-14T00:13:49.717Z",
    "DDBStreamBatchInfo": {
        "shardId": "shardId-00000001573689847184-864758bb",
        "startSequenceNumber": "800000000003126276362",
        "endSequenceNumber": "800000000003126276362",
        "approximateArrivalOfFirstRecord": "2019-11-14T00:13:19Z",
        "approximateArrivalOfLastRecord": "2019-11-14T00:13:19Z",
        "batchSize": 1,
        "streamArn": "arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388",
    },
}


def _forma(valor: Any) -> Any:
    if isinstance(valor, dict):
        return {k: _forma(v) for k, v in valor.items()}
    return type(valor).__name__


def _mensajes_cola(settings) -> list[dict[str, Any]]:
    from localstage.provision import cola_fallos

    sqs = boto3.client("sqs", region_name=settings.region)
    url = cola_fallos(settings)
    recibidos = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [json.loads(m["Body"]) for m in recibidos.get("Messages", [])]


def _correr(etapa, *argv: str) -> tuple[reprocesar.Resumen, str]:
    salida = io.StringIO()
    args = reprocesar.argumentos(list(argv))
    entorno = reprocesar.entorno_de("local")
    invocar = reprocesar.invocador_cliente(etapa.cliente)
    if args.orden == "flujo":
        resumen = reprocesar.flujo(args, entorno, invocar, salida)
    else:
        resumen = reprocesar.reprocesar_correo(
            entorno=entorno,
            invocar=invocar,
            funcion="on_correo_entrante",
            desde=reprocesar._fecha(args.desde) if args.desde else None,
            uno=args.uno,
            simular=args.simular,
            salida=salida,
        )
    return resumen, salida.getvalue()


@pytest.fixture
def flujo_envenenado(etapa):
    """Six web-form requests waiting in the stream, a mailer that always fails for the third, and a pump whose
    on-failure destination is the local DLQ."""
    from chalicelib.adapters.ses_mailer import SesMailer
    from chalicelib.bootstrap import get_services
    from localstage.provision import arn_funcion_local, cola_fallos
    from localstage.stream_pump import StreamPump, sqs_on_failure

    s = etapa.settings
    mailer = MailerQueFalla(SesMailer(remitente=s.buzones.remitente, region=s.region, configuracion=""), veces=-1)
    get_services().overrides["mailer"] = mailer
    ids = seis_solicitudes(etapa)
    mailer.solicitud_id = ids[2]
    bomba = StreamPump(
        table_name=s.tabla_solicitudes,
        handler=lambda evento: etapa.cliente.lambda_.invoke("on_solicitud_change", evento).payload,
        max_retries=5,
        on_failure=sqs_on_failure(cola_fallos(s), s.region),
        function_arn=arn_funcion_local(s, "on_solicitud_change"),
    )
    return ids, mailer, bomba


def _correos(etapa, ids: list[str]) -> dict[str, int]:
    outbox = etapa.outbox()
    return {i: sum(1 for m in outbox if i in m["subject"]) for i in ids}


def test_a_poison_record_reaches_the_dlq_in_lambdas_shape_without_holding_back_its_batch(etapa, flujo_envenenado):
    # Given the emails of the third request failing every time
    ids, _, bomba = flujo_envenenado
    # When the pump gives up on it
    bomba.drain()
    # Then the other five sent their two emails, and the third none
    assert _correos(etapa, ids) == {i: (0 if i == ids[2] else 2) for i in ids}
    # And the DLQ holds one message shaped like Lambda's on-failure record, naming the function and the batch
    (mensaje,) = _mensajes_cola(etapa.settings)
    esperado = json.loads(json.dumps(EJEMPLO_AWS))
    del esperado["responseContext"]["functionError"]  # the handler reported the item; it did not raise
    assert _forma(mensaje) == _forma(esperado)
    from aws_lambda_powertools.utilities.parser.models.dynamodb import (
        DynamoDBStreamLambdaOnFailureDestinationModel,
    )

    modelo = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(mensaje)
    assert modelo.request_context.function_arn.endswith(":function:ventas-digitales-local-on_solicitud_change")
    info = mensaje["DDBStreamBatchInfo"]
    assert (
        info["startSequenceNumber"]
        == info["endSequenceNumber"]
        == bomba.dead_letters[0]["record"]["dynamodb"]["SequenceNumber"]
    )
    assert info["batchSize"] == 1 and mensaje["requestContext"]["approximateInvokeCount"] == 5


def test_flujo_redrives_a_dead_lettered_batch_once_the_cause_is_fixed_and_only_once(etapa, flujo_envenenado, tmp_path):
    # Given a record in the DLQ
    ids, mailer, bomba = flujo_envenenado
    bomba.drain()
    (mensaje,) = _mensajes_cola(etapa.settings)
    antes = _correos(etapa, ids)
    # When the operator simulates: nothing is sent and the message stays
    resumen, texto = _correr(etapa, "flujo", "--simular")
    assert resumen.cuentas == {"re-enviados": 1}
    assert "se re-enviarían 1 registros" in texto and "simulación" in texto
    assert _correos(etapa, ids) == antes and len(_mensajes_cola(etapa.settings)) == 1
    # When it re-drives before fixing the cause: it fails again and the message stays
    resumen, texto = _correr(etapa, "flujo")
    assert resumen.cuentas == {"fallidos otra vez": 1}
    assert "FALLÓ OTRA VEZ" in texto and len(_mensajes_cola(etapa.settings)) == 1
    # When the mail service is fixed and it re-drives
    mailer.solicitud_id = ""
    resumen, texto = _correr(etapa, "flujo")
    # Then the record's two emails went out, the message is gone, and the summary says so
    assert resumen.cuentas == {"re-enviados": 1}
    assert "re-enviados 1 registros; mensaje borrado" in texto
    assert "Flujo: 1 re-enviados, 0 ya procesados, 0 fallidos otra vez, 0 vencidos en el flujo" in texto
    assert _correos(etapa, ids) == dict.fromkeys(ids, 2)
    assert _mensajes_cola(etapa.settings) == []
    # When it runs again, and when the same message is re-delivered from a file twice
    resumen, texto = _correr(etapa, "flujo")
    assert "0 mensajes" in texto and resumen.cuentas == {}
    archivo = tmp_path / "mensaje.json"
    archivo.write_text(json.dumps(mensaje), encoding="utf-8")
    for _ in range(2):
        resumen, _ = _correr(etapa, "flujo", "--archivo", str(archivo))
        assert resumen.cuentas == {"re-enviados": 1}
    # Then nothing was sent again: each record's reactions are claimed once
    assert _correos(etapa, ids) == dict.fromkeys(ids, 2)
    assert all(veces == 1 for veces in mailer.enviados.values())


def test_flujo_filters_by_time_and_by_message_and_reports_expired_batches(etapa, flujo_envenenado):
    # Given a record in the DLQ, and a message whose batch the stream no longer has
    from localstage.provision import cola_fallos

    ids, mailer, bomba = flujo_envenenado
    bomba.drain()
    (mensaje,) = _mensajes_cola(etapa.settings)
    vencido = json.loads(json.dumps(mensaje))
    mas_alla = str(int(vencido["DDBStreamBatchInfo"]["endSequenceNumber"]) + 10_000)
    vencido["DDBStreamBatchInfo"].update(startSequenceNumber=mas_alla, endSequenceNumber=mas_alla)
    sqs = boto3.client("sqs", region_name=etapa.settings.region)
    url = cola_fallos(etapa.settings)
    id_vencido = sqs.send_message(QueueUrl=url, MessageBody=json.dumps(vencido))["MessageId"]
    mailer.solicitud_id = ""
    # When only batches that arrived from tomorrow on are asked for: nothing is touched
    manana = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    resumen, _ = _correr(etapa, "flujo", "--desde", manana)
    assert resumen.cuentas == {"omitidos": 2}
    # When only the expired message is asked for: it is reported and left in the queue
    resumen, texto = _correr(etapa, "flujo", "--uno", id_vencido)
    assert resumen.cuentas == {"vencidos en el flujo": 1}
    assert "VENCIDO" in texto and "24 h" in texto
    assert len(_mensajes_cola(etapa.settings)) == 2
    assert _correos(etapa, ids)[ids[2]] == 0


@dataclass
class BuzonQueFalla:
    """The real inbound mailbox, failing its first ``veces`` reads (S3 unavailable)."""

    real: Any
    veces: int = 1
    fallos: int = 0

    def cargar(self, message_id: str) -> Any:
        if self.fallos < self.veces:
            self.fallos += 1
            raise ConnectionError("S3 no respondió (fallo inyectado)")
        return self.real.cargar(message_id)

    def __getattr__(self, nombre: str) -> Any:
        return getattr(self.real, nombre)


def test_correo_redrives_a_mail_whose_processing_failed_once_and_then_skips_it(etapa):
    # Given an inbound mail whose processing failed (the mailbox read raised)
    from chalicelib.adapters.s3_buzon import S3BuzonEntrante
    from chalicelib.bootstrap import get_services
    from localstage.smtp import desde_settings

    s = etapa.settings
    buzon = BuzonQueFalla(
        S3BuzonEntrante(bucket=s.bucket_entrantes, prefijo=s.prefijo_correo_entrante, region=s.region)
    )
    get_services().overrides["buzon_entrante"] = buzon
    entrada = desde_settings(s, lambda nombre, evento: etapa.cliente.lambda_.invoke(nombre, evento).payload)
    crudo = eml(
        "correo_gmail_si.eml",
        de="helpdesk@ventas.comteco.local",
        para="ventas-digitales+0123456789abcdef0123456789abcdef@ventas.comteco.local",
        asunto="RE: [VD-00000001] Confirmar capacidad técnica",
    )
    with pytest.raises(Exception, match="fallo inyectado"):
        entrada.entregar("helpdesk@ventas.comteco.local", ["ventas-digitales+x@ventas.comteco.local"], crudo)
    s3 = boto3.client("s3", region_name=s.region)
    (objeto,) = s3.list_objects_v2(Bucket=s.bucket_entrantes, Prefix="correo/")["Contents"]
    message_id = objeto["Key"].removeprefix("correo/")
    hace_una_hora = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    # When the operator simulates: it would be re-driven, nothing changes
    resumen, texto = _correr(etapa, "correo", "--desde", hace_una_hora, "--simular")
    assert resumen.cuentas == {"re-enviados": 1} and "se re-enviaría" in texto
    assert buzon.fallos == 1
    # When it re-drives the mails since an hour ago
    resumen, texto = _correr(etapa, "correo", "--desde", hace_una_hora)
    # Then the mail was processed this time (refused here: its reply token is unknown) and recorded as done
    assert resumen.cuentas == {"re-enviados": 1}
    assert f"- {message_id}: re-enviado (rechazado" in texto
    assert "Correo: 1 re-enviados, 0 ya procesados" in texto
    # When it runs again, by time and by id
    resumen, texto = _correr(etapa, "correo", "--desde", hace_una_hora)
    assert resumen.cuentas == {"ya procesados": 1} and f"- {message_id}: ya procesado (rechazado" in texto
    resumen, _ = _correr(etapa, "correo", "--uno", message_id)
    assert resumen.cuentas == {"ya procesados": 1}
    # Then the mail is still in S3
    assert s3.head_object(Bucket=s.bucket_entrantes, Key=objeto["Key"])


def test_correo_refuses_a_window_older_than_the_processed_record_is_kept(etapa):
    hace_diez_dias = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    with pytest.raises(SystemExit, match="8 días"):
        _correr(etapa, "correo", "--desde", hace_diez_dias)


CORREO_GUARDADO_POR_SES = (
    b"Return-Path: <prvs=144d0cba7=helpdesk@ventas.comteco.com.bo>\r\n"
    b"Received: from mail.ventas.comteco.com.bo [203.0.113.7]) by inbound-smtp.us-east-1.amazonaws.com with SMTP id"
    b" o3vrnil0e2ic28trm7dfhrc2v0 for ventas-digitales+abc@ventas.comteco.com.bo; Mon, 30 Nov 2026 13:41:09 +0000\r\n"
    b"X-SES-Spam-Verdict: PASS\r\n"
    b"X-SES-Virus-Verdict: PASS\r\n"
    b"Received-SPF: pass (spfCheck: domain of ventas.comteco.com.bo designates 203.0.113.7 as permitted sender)\r\n"
    b"Authentication-Results: amazonses.com;\r\n spf=pass (spfCheck: ...) client-ip=203.0.113.7;\r\n"
    b" dkim=pass header.i=@ventas.comteco.com.bo;\r\n dmarc=pass header.from=ventas.comteco.com.bo;\r\n"
    b"X-SES-Spam-Verdict: FAIL\r\n"
    b"Authentication-Results: forjado.example; dmarc=pass\r\n"
    b"From: Help Desk <helpdesk@ventas.comteco.com.bo>\r\n"
    b"To: Ventas <ventas-digitales+otro@ventas.comteco.com.bo>\r\n"
    b"Subject: RE: algo\r\n\r\nSi.\r\n"
)


def test_a_stored_mails_verdicts_come_from_the_headers_ses_put_on_top():
    # Given a mail as SES stores it in S3 (its headers first), with forged verdict headers below them
    # When the re-drive rebuilds its SES event for an AWS stage
    evento = reprocesar.evento_correo("abc", CORREO_GUARDADO_POR_SES, datetime(2026, 11, 30, tzinfo=UTC), local=False)
    ses = evento["Records"][0]["ses"]
    # Then the verdicts are SES's, the envelope sender and recipient too
    assert {k: v["status"] for k, v in ses["receipt"].items() if k.endswith("Verdict")} == {
        "spfVerdict": "PASS",
        "dkimVerdict": "PASS",
        "dmarcVerdict": "PASS",
        "spamVerdict": "PASS",
        "virusVerdict": "PASS",
    }
    assert ses["mail"]["source"] == "prvs=144d0cba7=helpdesk@ventas.comteco.com.bo"
    assert ses["receipt"]["recipients"][0] == "ventas-digitales+abc@ventas.comteco.com.bo"
    assert ses["mail"]["messageId"] == "abc"


def test_a_stored_mail_without_ses_verdicts_is_not_trusted():
    crudo = b"From: a@b.example\r\nTo: c@d.example\r\nAuthentication-Results: otro.example; dmarc=pass\r\n\r\nx"
    assert set(reprocesar.veredictos_guardados(crudo, local=False).values()) == {"GRAY"}
