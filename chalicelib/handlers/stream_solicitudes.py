"""Event handlers: the state-change stream (side effects of every action) and the schedules."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, DynamoDBEvent, Rate

from chalicelib.bootstrap import get_services
from chalicelib.config import stream_arn_solicitudes
from chalicelib.observability import logger
from chalicelib.services.una_vez import entrega

eventos = Blueprint(__name__)


@eventos.on_dynamodb_record(stream_arn=stream_arn_solicitudes(), batch_size=25, starting_position="TRIM_HORIZON")
def on_solicitud_change(event: DynamoDBEvent) -> dict[str, Any]:
    """Every applied action (one stream record each) runs its reactions, or queues them while their provider is
    down or their request has sends waiting (``services.pendientes``); failed records are reported individually
    (ReportBatchItemFailures) so the rest of the batch is not redone."""
    return procesar_cambios(event.to_dict())


def procesar_cambios(evento_lambda: dict[str, Any]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    servicios = get_services()

    def manejar(record: DynamoDBRecord) -> None:
        solicitud = servicios.solicitud_desde_registro(record.raw_event)
        if solicitud is not None:  # the dashboard's aggregates: every change, counted once
            servicios.contar_en_tablero(solicitud)
        evento = servicios.evento_desde_registro(record.raw_event, solicitud)
        if evento is None:
            return
        logger.append_keys(solicitud_id=evento.solicitud_id, accion=evento.accion)
        with entrega(record.event_id):
            enviadas = servicios.reaccionar_en_orden(evento)
        logger.info("reacciones ejecutadas", extra={"reacciones": enviadas})

    procesador = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return dict(process_partial_response(event=evento_lambda, record_handler=manejar, processor=procesador))


@eventos.schedule(Rate(15, unit=Rate.MINUTES))
def escalate_unattended(event: CloudWatchEvent) -> dict[str, Any]:
    """Speed to lead: new requests untouched within their first business hour go to the team lead."""
    with entrega(f"programa#{event.event_id}"):
        escaladas = get_services().escalar_sin_atencion()
    return {"escaladas": escaladas}


@eventos.schedule(Rate(1, unit=Rate.MINUTES))
def retry_pending_sends(event: CloudWatchEvent) -> dict[str, Any]:
    """Sends that waited for their provider leave when it is back: the due queues, oldest first, each in order."""
    with entrega(f"programa#{event.event_id}"):
        ronda = get_services().reintentar_pendientes()
    if ronda.estancadas:  # the metric filter of the alarm vd-<stage>-envios-pendientes-estancados
        logger.error("envios pendientes estancados", extra={"solicitudes": ronda.estancadas[:50]})
    if ronda.enviadas or ronda.fallidas:
        logger.info("envios pendientes", extra=ronda.como_dict())
    return ronda.como_dict()
