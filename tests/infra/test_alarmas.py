"""The alarms an on-call person needs (issue 19): nothing fails silently.

Each alarm of ``infra/template.json`` publishes to the alarm topic (on alarm and back to OK), watches a function or
the API the stack really deploys (the logical ids chalice generates for the app's handlers; on the packaged template
too), and says in Spanish what it means, pointing to ``docs/runbook.md``, where it has its entry.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from chalice.app import DynamoDBEventConfig, ScheduledEventConfig
from chalice.utils import to_cfn_resource_name

from tests.infra.conftest import ETAPAS_AWS, RAIZ, config_chalice, plantilla_merge, recursos_de_tipo, resolver

ALARMAS = {
    "StreamsDlqAlarm": "streams-dlq-con-mensajes",
    "CorreoEntranteErroresAlarm": "correo-entrante-con-errores",
    "FlujoAtrasadoAlarm": "flujo-atrasado",
    "ApiErrores5xxAlarm": "api-errores-5xx",
    "FuncionesProgramadasErroresAlarm": "funciones-con-errores",
    "EnviosPendientesEstancadosAlarm": "envios-pendientes-estancados",
}
"""Logical id -> the alarm's name after ``vd-<stage>-``."""
TOPICO = [{"Ref": "AlarmasTopic"}]
RUNBOOK = "docs/runbook.md"
MAX_DESCRIPCION = 1024  # CloudWatch's limit for AlarmDescription
FUNCION_CORREO = "on_correo_entrante"

_PALABRAS = re.compile(r"[a-záéíóúñü]+")
_ESPANOL = {"el", "la", "los", "las", "de", "del", "que", "un", "una", "en", "con", "se", "y", "o", "su", "está"}
_INGLES = {"the", "and", "is", "of", "with", "when", "its", "see", "failed", "has", "are", "to"}


def _alarmas() -> dict[str, dict[str, Any]]:
    return {n: r["Properties"] for n, r in recursos_de_tipo(plantilla_merge(), "AWS::CloudWatch::Alarm").items()}


def _descripcion(alarma: dict[str, Any], etapa: str) -> str:
    texto = resolver(alarma["AlarmDescription"], etapa, plantilla_merge())
    assert isinstance(texto, str), alarma["AlarmDescription"]
    return texto


def _metricas_lambda(alarma: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Function logical id -> its metric, whether the alarm watches one metric or a metric math expression."""
    if "Metrics" not in alarma:
        assert alarma["Namespace"] == "AWS/Lambda"
        metricas = [{**alarma, "Stat": alarma["Statistic"]}]
    else:
        metricas = [
            {**q["MetricStat"]["Metric"], "Stat": q["MetricStat"]["Stat"], "Period": q["MetricStat"]["Period"]}
            for q in alarma["Metrics"]
            if "MetricStat" in q
        ]
    resultado = {}
    for m in metricas:
        assert m["Namespace"] == "AWS/Lambda"
        [dimension] = m["Dimensions"]
        assert dimension["Name"] == "FunctionName" and set(dimension["Value"]) == {"Ref"}, dimension
        resultado[dimension["Value"]["Ref"]] = m
    return resultado


def _funciones_de_la_app() -> dict[str, set[str]]:
    """The app's handlers by kind (chalice names each function's resource ``to_cfn_resource_name(name)``)."""
    from app import app

    fuentes = app.event_sources
    return {
        "programadas": {f.name for f in fuentes if isinstance(f, ScheduledEventConfig)},
        "streams": {f.name for f in fuentes if isinstance(f, DynamoDBEventConfig)},
        "puras": {f.name for f in app.pure_lambda_functions},
    }


def _ids(nombres: set[str]) -> set[str]:
    return {to_cfn_resource_name(n) for n in nombres}


def _seccion(texto: str, titulo: str) -> str:
    inicio = texto.index(f"\n## {titulo}\n")
    fin = texto.find("\n## ", inicio + 1)
    return texto[inicio : fin if fin != -1 else len(texto)]


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_template_has_exactly_the_on_call_alarms_named_for_the_stage(etapa):
    # Given
    alarmas = _alarmas()
    # Then
    assert set(alarmas) == set(ALARMAS)
    for nombre, sufijo in ALARMAS.items():
        assert resolver(alarmas[nombre]["AlarmName"], etapa, plantilla_merge()) == f"vd-{etapa}-{sufijo}"


def test_every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_clears():
    recursos = plantilla_merge()["Resources"]
    # Then
    assert recursos["AlarmasTopic"]["Type"] == "AWS::SNS::Topic"
    for nombre, alarma in _alarmas().items():
        assert alarma["AlarmActions"] == TOPICO, nombre
        assert alarma["OKActions"] == TOPICO, nombre
        assert alarma["TreatMissingData"] == "notBreaching", nombre
        assert alarma.get("ActionsEnabled", True) is True, nombre


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_every_alarm_says_in_spanish_what_it_means_and_points_to_the_runbook(etapa):
    for nombre, alarma in _alarmas().items():
        # Given
        texto = _descripcion(alarma, etapa)
        palabras = set(_PALABRAS.findall(texto.lower()))
        # Then
        assert RUNBOOK in texto, nombre
        assert len(texto) <= MAX_DESCRIPCION, nombre
        assert "${" not in texto, nombre
        assert len(palabras & _ESPANOL) >= 4, f"{nombre}: not Spanish? {texto}"
        assert not palabras & _INGLES, f"{nombre}: English words {palabras & _INGLES}"


def test_the_runbook_has_an_entry_for_every_alarm():
    runbook = (RAIZ / RUNBOOK).read_text(encoding="utf-8")
    # Then
    for sufijo in ALARMAS.values():
        assert f"`vd-<stage>-{sufijo}`" in runbook, sufijo


def test_the_deploy_document_has_one_row_per_alarm_in_a_table_that_links_the_runbook():
    seccion = _seccion((RAIZ / "docs" / "deploy.md").read_text(encoding="utf-8"), "Logs, alarms, metrics")
    lineas = seccion.splitlines()
    # Then
    [cabecera] = [linea for linea in lineas if linea.startswith("| Alarm |")]
    assert "(runbook.md#alarms)" in cabecera
    filas = [re.match(r"\| `vd-<stage>-([a-z0-9-]+)` \|", linea) for linea in lineas if linea.startswith("| `vd-")]
    assert sorted(f.group(1) for f in filas if f) == sorted(ALARMAS.values())


def test_a_failed_inbound_mail_fires_within_5_minutes():
    # Given
    alarma = _alarmas()["CorreoEntranteErroresAlarm"]
    funciones = _funciones_de_la_app()
    # Then: the function chalice generates for the inbound mail handler
    assert FUNCION_CORREO in funciones["puras"]
    assert set(_metricas_lambda(alarma)) == _ids({FUNCION_CORREO})
    assert (alarma["MetricName"], alarma["Statistic"], alarma["Period"]) == ("Errors", "Sum", 300)
    assert alarma["EvaluationPeriods"] == 1
    assert (alarma["ComparisonOperator"], alarma["Threshold"]) == ("GreaterThanThreshold", 0)


def _expresion(alarma: dict[str, Any]) -> tuple[str, set[str]]:
    """The one expression the alarm evaluates, and the ids of the metrics it may read."""
    [expresion] = [q for q in alarma["Metrics"] if "Expression" in q]
    assert expresion["ReturnData"] is True
    consultas = {q["Id"] for q in alarma["Metrics"] if "MetricStat" in q}
    assert all(q["ReturnData"] is False for q in alarma["Metrics"] if "MetricStat" in q)
    return expresion["Expression"], consultas


def test_a_stream_function_15_minutes_behind_for_3_minutes_fires():
    # Given
    alarma = _alarmas()["FlujoAtrasadoAlarm"]
    funciones = _funciones_de_la_app()
    metricas = _metricas_lambda(alarma)
    expresion, consultas = _expresion(alarma)
    # Then: every stream function, its oldest record, each minute
    assert funciones["streams"] >= {"on_solicitud_change", "on_entrante"}
    assert set(metricas) == _ids(funciones["streams"])
    for m in metricas.values():
        assert (m["MetricName"], m["Stat"], m["Period"]) == ("IteratorAge", "Maximum", 60)
    assert expresion.startswith("MAX([") and set(re.findall(r"\w+", expresion.removeprefix("MAX"))) == consultas
    assert alarma["EvaluationPeriods"] == alarma["DatapointsToAlarm"] == 3
    assert (alarma["ComparisonOperator"], alarma["Threshold"]) == ("GreaterThanThreshold", 15 * 60 * 1000)


def test_five_api_5xx_answers_in_5_minutes_fire_on_the_api_chalice_deploys():
    # Given
    alarma = _alarmas()["ApiErrores5xxAlarm"]
    config = config_chalice()
    # Then: REST API metrics are named by the API's name (the swagger title chalice writes: the app name) and stage
    assert (alarma["Namespace"], alarma["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    for etapa in ETAPAS_AWS:
        assert alarma["Dimensions"] == [
            {"Name": "ApiName", "Value": config["app_name"]},
            {"Name": "Stage", "Value": config["stages"][etapa]["api_gateway_stage"]},
        ]
    assert (alarma["Statistic"], alarma["Period"], alarma["EvaluationPeriods"]) == ("Sum", 300, 1)
    assert (alarma["ComparisonOperator"], alarma["Threshold"]) == ("GreaterThanOrEqualToThreshold", 5)


def test_a_failed_scheduled_run_of_any_schedule_fires_within_15_minutes():
    # Given
    alarma = _alarmas()["FuncionesProgramadasErroresAlarm"]
    funciones = _funciones_de_la_app()
    metricas = _metricas_lambda(alarma)
    expresion, consultas = _expresion(alarma)
    # Then: every schedule of the app (a new one must be added here), summed
    assert funciones["programadas"] >= {
        "remind_help_desk",
        "escalate_unattended",
        "remind_requirements",
        "send_unattended_digest",
        "send_monthly_report",
        "warn_projection",
        "retry_pending_sends",
    }
    assert set(metricas) == _ids(funciones["programadas"])
    for m in metricas.values():
        assert (m["MetricName"], m["Stat"], m["Period"]) == ("Errors", "Sum", 900)
    assert expresion.startswith("SUM([") and set(re.findall(r"\w+", expresion.removeprefix("SUM"))) == consultas
    assert alarma["EvaluationPeriods"] == 1
    assert (alarma["ComparisonOperator"], alarma["Threshold"]) == ("GreaterThanThreshold", 0)


def test_sends_pending_for_hours_fire_from_the_job_log_within_15_minutes():
    # Given the alarm, the metric filter that feeds it and the log group it reads
    plantilla = plantilla_merge()
    alarma = _alarmas()["EnviosPendientesEstancadosAlarm"]
    [filtro] = recursos_de_tipo(plantilla, "AWS::Logs::MetricFilter").values()
    grupo = plantilla["Resources"]["EnviosPendientesLogs"]["Properties"]
    [metrica] = filtro["Properties"]["MetricTransformations"]
    # Then the filter reads the pending-sends job's log (the function chalice generates for the schedule)
    assert "retry_pending_sends" in _funciones_de_la_app()["programadas"]
    assert grupo["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${" + to_cfn_resource_name("retry_pending_sends") + "}"}
    assert filtro["Properties"]["LogGroupName"] == {"Ref": "EnviosPendientesLogs"}
    # And it matches the message the job logs for a queue waiting longer than ESTANCADA_TRAS
    fuente = (RAIZ / "chalicelib" / "handlers" / "stream_solicitudes.py").read_text(encoding="utf-8")
    mensaje = re.search(r'\$\.message = "([^"]+)"', filtro["Properties"]["FilterPattern"]).group(1)
    assert f'logger.error("{mensaje}"' in fuente
    # And the alarm fires on the first such run within 15 minutes
    assert (alarma["Namespace"], alarma["MetricName"]) == (metrica["MetricNamespace"], metrica["MetricName"])
    assert (alarma["Statistic"], alarma["Period"], alarma["EvaluationPeriods"]) == ("Sum", 900, 1)
    assert (alarma["ComparisonOperator"], alarma["Threshold"]) == ("GreaterThanThreshold", 0)


@pytest.mark.despliegue
@pytest.mark.timeout(900)  # the first test to ask for the package builds it
@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_every_alarm_watches_a_function_or_the_api_of_the_packaged_stack(etapa, sam):
    # Given
    plantilla = sam[etapa]
    recursos = plantilla["Resources"]
    alarmas = {n: r["Properties"] for n, r in recursos_de_tipo(plantilla, "AWS::CloudWatch::Alarm").items()}
    api = recursos["RestAPI"]
    # Then
    assert set(alarmas) == set(ALARMAS)
    for nombre, alarma in alarmas.items():
        if alarma.get("Namespace") == "AWS/ApiGateway":
            assert api["Type"] == "AWS::Serverless::Api"
            assert alarma["Dimensions"] == [
                {"Name": "ApiName", "Value": api["Properties"]["DefinitionBody"]["info"]["title"]},
                {"Name": "Stage", "Value": api["Properties"]["StageName"]},
            ], nombre
        elif alarma.get("Namespace") == "AWS/SQS" or nombre == "StreamsDlqAlarm":
            continue  # checked with the stream mappings (test_plantilla)
        elif alarma.get("Namespace") == "VentasDigitales":
            grupo = recursos["EnviosPendientesLogs"]["Properties"]["LogGroupName"]
            assert grupo == {"Fn::Sub": "/aws/lambda/${RetryPendingSends}"}, nombre
            assert recursos["RetryPendingSends"]["Type"] == "AWS::Serverless::Function", nombre
        else:
            for funcion in _metricas_lambda(alarma):
                assert recursos[funcion]["Type"] == "AWS::Serverless::Function", f"{nombre}: {funcion}"
        assert alarma["AlarmActions"] == alarma["OKActions"] == TOPICO, nombre
