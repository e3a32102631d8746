"""The demo loader on the local AWS (moto): batch-written through the adapter's mapping, indexed like the app's own
writes, histories readable, and silent on the state-change stream (no email)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import boto3

from chalicelib.adapters.dynamo_solicitudes import PynamoSolicitudRepository
from chalicelib.adapters.stream_solicitudes import evento_desde_registro
from localstage.demo import almacenadas, escribir, generar
from localstage.stream_pump import records_to_lambda_event

HASTA = datetime(2026, 11, 30, 18, 0, tzinfo=ZoneInfo("America/La_Paz"))


def _registros(settings) -> list[dict]:
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    streams = boto3.client("dynamodbstreams", region_name=settings.region)
    arn = dynamodb.describe_table(TableName=settings.tabla_solicitudes)["Table"]["LatestStreamArn"]
    registros = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterador = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        registros += streams.get_records(ShardIterator=iterador["ShardIterator"], Limit=1000)["Records"]
    return registros


def test_the_demo_fills_the_indexes_and_the_histories_without_waking_the_stream(settings):
    # Given two months of demo history
    historias = generar(semilla=11, hasta=HASTA, meses=2, por_mes=15)
    # When it is written to the stage
    solicitudes, entradas = escribir(historias, settings)
    # Then every request and history entry is stored
    assert (solicitudes, entradas) == (len(historias), sum(len(h.entradas) for h in historias))
    repo = PynamoSolicitudRepository(settings)
    por_mes = Counter(h.solicitud.mes for h in historias)
    for mes, cantidad in por_mes.items():
        lectura = repo.del_mes(mes)
        assert (len(lectura.solicitudes), lectura.leidos) == (cantidad, cantidad)
    facturas = Counter(h.solicitud.factura["mes"] for h in historias if h.solicitud.factura)
    assert repo.facturadas_en("2026-11").leidos == facturas["2026-11"]
    una = next(h for h in historias if h.solicitud.estado == "cerrada")
    assert repo.obtener(una.solicitud.id) == next(s for s in almacenadas([una]))
    assert repo.historial(una.solicitud.id) == sorted(una.entradas, key=lambda e: (e.en, e.id))
    # And its stream records carry no applied action: the stream handler sends no email for them
    registros = _registros(settings)
    assert len(registros) == solicitudes
    evento = records_to_lambda_event(registros, "arn:demo")
    assert [evento_desde_registro(r) for r in evento["Records"]] == [None] * solicitudes


def test_running_the_demo_twice_leaves_the_same_items(settings):
    historias = generar(semilla=3, hasta=HASTA, meses=1, por_mes=10)
    escribir(historias, settings)
    escribir(generar(semilla=3, hasta=HASTA, meses=1, por_mes=10), settings)
    repo = PynamoSolicitudRepository(settings)
    assert repo.del_mes("2026-11").leidos == len([h for h in historias if h.solicitud.mes == "2026-11"])
