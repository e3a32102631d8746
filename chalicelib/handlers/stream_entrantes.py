"""Stream handler of the entrantes table: enrich and merge each stored webhook item (lead, message, status)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.bootstrap import get_services
from chalicelib.config import stream_arn_entrantes
from chalicelib.observability import logger
from chalicelib.services.una_vez import entrega

eventos_canales = Blueprint(__name__)


@eventos_canales.on_dynamodb_record(stream_arn=stream_arn_entrantes(), batch_size=25, starting_position="TRIM_HORIZON")
def on_entrante(event: DynamoDBEvent) -> dict[str, Any]:
    """Each INSERTed item is processed once; a failed one is marked ``fallido`` and reported alone
    (ReportBatchItemFailures), so the stream retries it without redoing the rest of the batch."""
    return procesar_entrantes(event.to_dict())


def procesar_entrantes(evento_lambda: dict[str, Any]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    servicios = get_services()

    def manejar(record: DynamoDBRecord) -> None:
        entrante = servicios.entrante_desde_registro(record.raw_event)
        if entrante is None:
            return
        logger.append_keys(entrante=entrante.clave, canal=entrante.canal)
        with entrega(record.event_id):
            estado = servicios.procesar_entrante(entrante.clave)
        logger.info("entrante atendido", extra={"estado": estado})

    procesador = BatchProcessor(event_type=EventType.DynamoDBStreams)
    respuesta: dict[str, Any] = dict(
        process_partial_response(event=evento_lambda, record_handler=manejar, processor=procesador)
    )
    fallidos = len(respuesta.get("batchItemFailures") or [])
    if fallidos:
        logger.warning("entrantes fallidos en el lote", extra={"entrantes_fallidos": fallidos})
    return respuesta
