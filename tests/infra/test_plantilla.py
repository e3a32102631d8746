"""Every setting that protects data or delivery, asserted on the packaged (merged) template of each AWS stage."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import ETAPAS_AWS, RAIZ, politica, recursos_de_tipo, resolver

pytestmark = [pytest.mark.despliegue, pytest.mark.timeout(900)]  # the first test builds the package

# cfn-lint findings accepted on purpose (code -> why); every other warning or error fails.
AVISOS_ACEPTADOS: dict[str, str] = {}
MAX_REINTENTOS = 10
MAX_EDAD_REGISTRO = 86400


def _getatt(valor: Any) -> tuple[str, str] | None:
    if isinstance(valor, dict) and "Fn::GetAtt" in valor:
        recurso, atributo = valor["Fn::GetAtt"]
        return recurso, atributo
    return None


def _funciones(plantilla: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return recursos_de_tipo(plantilla, "AWS::Serverless::Function")


def _eventos(plantilla: dict[str, Any], tipo: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (funcion, evento["Properties"])
        for funcion, recurso in _funciones(plantilla).items()
        for evento in recurso["Properties"].get("Events", {}).values()
        if evento["Type"] == tipo
    ]


def _cfn_lint(plantilla: Path) -> tuple[int, list[dict[str, Any]]]:
    proceso = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "json", str(plantilla)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proceso.stdout.strip(), f"cfn-lint printed no report: {proceso.stderr[-2000:]}"
    return proceso.returncode, json.loads(proceso.stdout)


def test_cfn_lint_really_lints_sam_templates(tmp_path):
    # Given: a SAM function with a property that does not exist
    malo = tmp_path / "malo.json"
    malo.write_text(
        json.dumps(
            {
                "Transform": "AWS::Serverless-2016-10-31",
                "Resources": {
                    "F": {
                        "Type": "AWS::Serverless::Function",
                        "Properties": {"Runtime": "python3.11", "Handler": "a.b", "CodeUri": ".", "Inventada": 1},
                    }
                },
            }
        )
    )
    # When
    codigo, hallazgos = _cfn_lint(malo)
    # Then
    assert codigo & 2 and any(h["Level"] == "Error" for h in hallazgos)


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_cfn_lint_reports_no_error_and_only_accepted_warnings(etapa, directorio_paquetes):
    # When
    codigo, hallazgos = _cfn_lint(directorio_paquetes / etapa / "sam.json")
    # Then
    inesperados = [h for h in hallazgos if h["Rule"]["Id"] not in AVISOS_ACEPTADOS]
    assert not inesperados, json.dumps(inesperados, indent=2)[:4000]
    assert codigo & 2 == 0


def _intrinsecas_mezcladas(valor: Any, ruta: str = "") -> Iterator[str]:
    if isinstance(valor, dict):
        funciones = [k for k in valor if k == "Ref" or k.startswith("Fn::") or k == "Condition"]
        if funciones and len(valor) > 1 and funciones != ["Condition"]:
            yield f"{ruta}: {sorted(valor)}"
        for clave, hijo in valor.items():
            yield from _intrinsecas_mezcladas(hijo, f"{ruta}/{clave}")
    elif isinstance(valor, list):
        for i, hijo in enumerate(valor):
            yield from _intrinsecas_mezcladas(hijo, f"{ruta}/{i}")


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_merge_never_leaves_two_intrinsic_functions_in_one_value(etapa, sam):
    # Given: chalice merges dictionaries key by key, so overriding {"Fn::Sub": ...} with {"Ref": ...} keeps both
    mezcladas = list(_intrinsecas_mezcladas(sam[etapa]["Resources"], "Resources"))
    # Then
    assert not mezcladas, mezcladas


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_tables_are_on_demand_recoverable_encrypted_and_protected_in_prod(etapa, sam):
    plantilla = sam[etapa]
    tablas = recursos_de_tipo(plantilla, "AWS::DynamoDB::Table")
    assert tablas
    assert plantilla["Conditions"]["EsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    for nombre, tabla in tablas.items():
        p = tabla["Properties"]
        # Then
        assert p["BillingMode"] == "PAY_PER_REQUEST", nombre
        assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, nombre
        assert p["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "DatosKey"}}
        assert p["DeletionProtectionEnabled"] == {"Fn::If": ["EsProd", True, False]}, nombre
        assert tabla["DeletionPolicy"] == tabla["UpdateReplacePolicy"] == "Retain", nombre


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_streams_with_new_and_old_images_and_ttl_where_used(etapa, sam):
    tablas = recursos_de_tipo(sam[etapa], "AWS::DynamoDB::Table")
    # Then
    assert tablas["SolicitudesTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    for nombre in ("ClavesTable", "EntrantesTable"):
        assert tablas[nombre]["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expira", "Enabled": True}


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_every_stream_mapping_reports_partial_failures_retries_boundedly_and_keeps_what_fails(etapa, sam):
    # Given
    plantilla = sam[etapa]
    mapeos = _eventos(plantilla, "DynamoDB")
    tablas = recursos_de_tipo(plantilla, "AWS::DynamoDB::Table")
    colas = recursos_de_tipo(plantilla, "AWS::SQS::Queue")
    alarmas = recursos_de_tipo(plantilla, "AWS::CloudWatch::Alarm").values()
    assert {f for f, _ in mapeos} >= {"OnSolicitudChange"}
    for funcion, p in mapeos:
        # Then: the event source is the table's stream (chalice copies the ARN verbatim; the template overrides it)
        origen = _getatt(p["Stream"])
        assert origen and origen[1] == "StreamArn" and origen[0] in tablas, f"{funcion}: {p['Stream']}"
        assert "StreamSpecification" in tablas[origen[0]]["Properties"]
        assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"], funcion
        assert p["BisectBatchOnFunctionError"] is True, funcion
        assert 1 <= p["MaximumRetryAttempts"] <= MAX_REINTENTOS, funcion
        assert 60 <= p["MaximumRecordAgeInSeconds"] <= MAX_EDAD_REGISTRO, funcion
        destino = _getatt(p["DestinationConfig"]["OnFailure"]["Destination"])
        assert destino and destino[0] in colas and destino[1] == "Arn", funcion
        alarma = [
            a["Properties"]
            for a in alarmas
            if a["Properties"].get("Dimensions")  # (metric math alarms have none)
            == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [destino[0], "QueueName"]}}]
        ]
        assert alarma, f"no alarm on {destino[0]}"
        assert alarma[0]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarma[0]["Namespace"] == "AWS/SQS"
        assert alarma[0]["ComparisonOperator"] == "GreaterThanThreshold" and alarma[0]["Threshold"] == 0
        assert alarma[0]["AlarmActions"], "the alarm notifies someone"


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_customer_managed_key_rotates_and_has_the_stage_alias(etapa, sam):
    plantilla = sam[etapa]
    clave = plantilla["Resources"]["DatosKey"]
    alias = plantilla["Resources"]["DatosKeyAlias"]["Properties"]
    # Then
    assert clave["Type"] == "AWS::KMS::Key"
    assert clave["Properties"]["EnableKeyRotation"] is True
    assert alias["TargetKeyId"] == {"Ref": "DatosKey"}
    assert resolver(alias["AliasName"], etapa, plantilla) == f"alias/vd-{etapa}-datos"
    servicios = {
        d["Principal"].get("Service")
        for d in clave["Properties"]["KeyPolicy"]["Statement"]
        if "Service" in d["Principal"]
    }
    assert servicios == {"ses.amazonaws.com", "cloudwatch.amazonaws.com"}
    for declaracion in clave["Properties"]["KeyPolicy"]["Statement"]:
        if "Service" in declaracion["Principal"]:
            assert declaracion["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_buckets_are_kms_encrypted_private_tls_only_and_expire(etapa, sam):
    plantilla = sam[etapa]
    buckets = recursos_de_tipo(plantilla, "AWS::S3::Bucket")
    politicas = {
        r["Properties"]["Bucket"]["Ref"]: r["Properties"]
        for r in recursos_de_tipo(plantilla, "AWS::S3::BucketPolicy").values()
    }
    assert set(buckets) == {"EntrantesBucket", "DocumentosBucket"}
    for nombre, bucket in buckets.items():
        p = bucket["Properties"]
        cifrado = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        # Then
        assert cifrado["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": ["DatosKey", "Arn"]},
        }
        assert cifrado["BucketKeyEnabled"] is True
        assert p["PublicAccessBlockConfiguration"] == dict.fromkeys(
            ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
        )
        reglas = p["LifecycleConfiguration"]["Rules"]
        assert reglas and all(r["Status"] == "Enabled" and "ExpirationInDays" in r for r in reglas), nombre
        negaciones = [d for d in politicas[nombre]["PolicyDocument"]["Statement"] if d["Effect"] == "Deny"]
        assert any(
            d["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            and d["Action"] == "s3:*"
            and d["Principal"] == "*"
            for d in negaciones
        ), f"{nombre} accepts plain HTTP"
    assert plantilla["Parameters"]["RetencionEntrantesDias"]["Default"] == 90
    assert plantilla["Parameters"]["RetencionDocumentosDias"]["Default"] == 365


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_ses_may_write_only_inbound_mail_into_the_inbound_bucket_of_this_account(etapa, sam):
    politica_bucket = sam[etapa]["Resources"]["EntrantesBucketPolicy"]["Properties"]["PolicyDocument"]
    permisos = [d for d in politica_bucket["Statement"] if d["Effect"] == "Allow"]
    # Then
    assert len(permisos) == 1
    assert permisos[0]["Principal"] == {"Service": "ses.amazonaws.com"}
    assert permisos[0]["Action"] == "s3:PutObject"
    assert permisos[0]["Resource"] == {"Fn::Sub": "${EntrantesBucket.Arn}/correo/*"}
    assert permisos[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_receipt_rule_stores_the_raw_mail_then_invokes_the_inbound_function(etapa, sam):
    # Given
    plantilla = sam[etapa]
    regla = recursos_de_tipo(plantilla, "AWS::SES::ReceiptRule")
    assert len(regla) == 1
    nombre, recurso = next(iter(regla.items()))
    r = recurso["Properties"]["Rule"]
    # Then
    assert recurso["Properties"]["RuleSetName"] == {"Ref": "ReglasEntrada"}
    assert r["Enabled"] is True and r["ScanEnabled"] is True and r["TlsPolicy"] == "Require"
    assert [resolver(x, etapa, plantilla) for x in r["Recipients"]] == [
        plantilla["Mappings"]["Etapas"][etapa]["DominioCorreo"]
    ]
    primera = r["Actions"][0]["S3Action"]
    assert primera["BucketName"] == {"Ref": "EntrantesBucket"} and primera["ObjectKeyPrefix"] == "correo/"
    assert "EntrantesBucketPolicy" in recurso["DependsOn"]
    if "OnCorreoEntrante" in _funciones(plantilla):  # the inbound mail handler (issue 4)
        assert len(r["Actions"]) == 2
        lambda_ = r["Actions"][1]["LambdaAction"]
        assert lambda_ == {"FunctionArn": {"Fn::GetAtt": ["OnCorreoEntrante", "Arn"]}, "InvocationType": "Event"}
        permisos = [
            p["Properties"]
            for p in recursos_de_tipo(plantilla, "AWS::Lambda::Permission").values()
            if p["Properties"]["Principal"] == "ses.amazonaws.com"
        ]
        assert permisos and permisos[0]["FunctionName"] == {"Fn::GetAtt": ["OnCorreoEntrante", "Arn"]}
        assert permisos[0]["SourceAccount"] == {"Ref": "AWS::AccountId"}
    else:
        assert len(r["Actions"]) == 1, f"{nombre}: a Lambda action without its function"


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_bounces_and_complaints_reach_their_encrypted_topics(etapa, sam):
    plantilla = sam[etapa]
    destinos = {
        tuple(d["Properties"]["EventDestination"]["MatchingEventTypes"]): d["Properties"]
        for d in recursos_de_tipo(plantilla, "AWS::SES::ConfigurationSetEventDestination").values()
    }
    topicos = recursos_de_tipo(plantilla, "AWS::SNS::Topic")
    # Then
    assert destinos[("bounce",)]["EventDestination"]["SnsDestination"] == {"TopicARN": {"Ref": "RebotesTopic"}}
    assert destinos[("complaint",)]["EventDestination"]["SnsDestination"] == {"TopicARN": {"Ref": "QuejasTopic"}}
    for destino in destinos.values():
        assert destino["ConfigurationSetName"] == {"Ref": "ConfiguracionEnvios"}
        assert destino["EventDestination"]["Enabled"] is True
    for nombre, topico in topicos.items():
        assert topico["Properties"]["KmsMasterKeyId"] == {"Ref": "DatosKey"}, nombre
    for funcion, evento in _eventos(plantilla, "SNS"):
        # (chalice writes {"Fn::Sub": <arn>}; the merge can only replace that key, so the ARN is "${Topic}")
        assert evento["Topic"] in ({"Fn::Sub": "${RebotesTopic}"}, {"Fn::Sub": "${QuejasTopic}"}), (
            f"{funcion}: {evento}"
        )
    suscritos = {json.dumps(e["Topic"]) for _, e in _eventos(plantilla, "SNS")}
    if "OnNotificacionSes" in _funciones(plantilla):  # the bounce/complaint handler (issue 4) hears both topics
        assert suscritos == {json.dumps({"Fn::Sub": "${RebotesTopic}"}), json.dumps({"Fn::Sub": "${QuejasTopic}"})}


def test_the_app_handlers_are_the_template_functions_and_every_schedule_is_deployed(sam, app_empaquetada):
    # Given: what the packaged app registers, and what the template deploys
    plantilla = sam["prod"]
    funciones = _funciones(plantilla)
    manejadores = {p["Properties"]["Handler"]: n for n, p in funciones.items()}
    # Then
    for fuente in app_empaquetada["fuentes"] + app_empaquetada["funciones"]:
        assert fuente["handler"] in manejadores, f"{fuente['handler']} is not deployed"
    programadas = {
        f["handler"]: f["expresion"] for f in app_empaquetada["fuentes"] if f["tipo"] == "ScheduledEventConfig"
    }
    assert programadas, "the app has schedules"
    for manejador, expresion in programadas.items():
        eventos = funciones[manejadores[manejador]]["Properties"]["Events"].values()
        assert [e["Properties"]["Schedule"] for e in eventos if e["Type"] == "Schedule"] == [expresion]


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_every_function_role_has_exactly_the_stage_policy_file(etapa, sam):
    plantilla = sam[etapa]
    roles = recursos_de_tipo(plantilla, "AWS::IAM::Role")
    esperada = politica(etapa)
    assert roles
    for nombre, rol in roles.items():
        # Then
        assert [p["PolicyDocument"] for p in rol["Properties"]["Policies"]] == [esperada], nombre
        assert "ManagedPolicyArns" not in rol["Properties"], nombre
    for nombre, funcion in _funciones(plantilla).items():
        assert _getatt(funcion["Properties"]["Role"]) == (f"{nombre}Role", "Arn") or nombre == "APIHandler"
        assert funcion["Properties"]["Runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_stage_parameter_has_no_default_so_a_deploy_names_its_stage(etapa, sam):
    parametro = sam[etapa]["Parameters"]["Stage"]
    # Then
    assert "Default" not in parametro and parametro["AllowedValues"] == list(ETAPAS_AWS)
    assert (RAIZ / "infra" / "template.json").is_file()


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_a_requested_report_resend_is_not_retried_by_lambda(etapa, sam):
    # Given the function the API hands a resend to (asynchronous invoke; sending the report is not once-only)
    funcion = sam[etapa]["Resources"]["ReenviarInformeMensual"]["Properties"]
    # Then a failure is not retried twice behind the person's back (who asks again, as the 202 told them)
    assert funcion["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
