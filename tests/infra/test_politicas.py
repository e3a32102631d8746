"""The IAM policy files (.chalice/policy-<stage>.json): least privilege, each action on the stage's own resources.

Resources are CloudFormation expressions (``Fn::Sub`` with the stage's literal names, ``Fn::GetAtt`` of template
resources): chalice copies the file into every function role of the packaged template, where they resolve.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import ETAPAS_AWS, RAIZ, entorno_etapa, plantilla_merge, politica

PREFIJO = "arn:${AWS::Partition}:"
CUENTA = "${AWS::Region}:${AWS::AccountId}"

# Every action the app may use, and on what. Anything else (Scan, DeleteTable, s3:DeleteObject, kms:*, ...) fails.
PERMITIDAS = {
    "logs": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
    "dynamodb": {
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    },
    "s3": {"s3:GetObject", "s3:PutObject", "s3:ListBucket"},
    "kms": {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"},
    "ses": {"ses:SendEmail", "ses:SendRawEmail"},
    "ssm": {"ssm:GetParameter", "ssm:GetParameters"},
    "sqs": {"sqs:SendMessage"},
    "lambda": {"lambda:InvokeFunction"},  # the API hands the monthly report's resend to its own function
}

# What the code calls -> the action it needs (a guard against a policy narrower than the code).
USOS_EN_CODIGO = {
    r"\.batch_get\(": "dynamodb:BatchGetItem",
    r"\.batch_write\(": "dynamodb:BatchWriteItem",
    r"\.scan\(": "dynamodb:Scan",
    r"TransactWrite": "dynamodb:ConditionCheckItem",
    r"\.query\(": "dynamodb:Query",
    r"delete_object\(": "s3:DeleteObject",
    r"put_object\(|generate_presigned_post\(": "s3:PutObject",
    r"get_object\(|generate_presigned_url\(": "s3:GetObject",
    r"\.encrypt\(": "kms:Encrypt",
    r"\.decrypt\(": "kms:Decrypt",
    r"\.send_email\(": "ses:SendEmail",
    r"\.send_raw_email\(": "ses:SendRawEmail",
    r"get_parameter\(": "ssm:GetParameter",
    r"sns\"\)|\.publish\(": "sns:Publish",
    r"client[e]?\(\"lambda\"|\.invoke\(FunctionName": "lambda:InvokeFunction",
}


def _declaraciones(etapa: str) -> list[dict[str, Any]]:
    return list(politica(etapa)["Statement"])


def _lista(valor: Any) -> list[Any]:
    return valor if isinstance(valor, list) else [valor]


def _recursos(declaracion: dict[str, Any]) -> Iterator[str]:
    """Each resource as a comparable string: Fn::Sub text, or ``GetAtt:<Resource>.<Attribute>``."""
    for recurso in _lista(declaracion["Resource"]):
        if isinstance(recurso, str):
            yield recurso
        elif "Fn::Sub" in recurso:
            yield recurso["Fn::Sub"]
        elif "Fn::GetAtt" in recurso:
            yield "GetAtt:" + ".".join(recurso["Fn::GetAtt"])
        else:
            raise AssertionError(f"unexpected resource expression {recurso}")


def _acciones(etapa: str) -> set[str]:
    return {a for d in _declaraciones(etapa) for a in _lista(d["Action"])}


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_no_wildcard_action_and_no_wildcard_resource(etapa):
    for declaracion in _declaraciones(etapa):
        # Then
        assert declaracion["Effect"] == "Allow"
        for accion in _lista(declaracion["Action"]):
            assert "*" not in accion, f"{declaracion['Sid']}: wildcard action {accion}"
        for recurso in _recursos(declaracion):
            assert recurso != "*", f"{declaracion['Sid']}: Resource '*'"
            assert not recurso.endswith(":*:*"), recurso


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_only_the_actions_the_app_needs(etapa):
    for accion in _acciones(etapa):
        servicio = accion.split(":")[0]
        # Then
        assert accion in PERMITIDAS.get(servicio, set()), f"{accion} is not on the reviewed list"


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_each_action_reaches_only_the_stage_own_resources(etapa):
    # Given
    entorno = entorno_etapa(etapa)
    tablas = [
        entorno[v] for v in ("VD_TABLA_SOLICITUDES", "VD_TABLA_HISTORIAL", "VD_TABLA_CLAVES", "VD_TABLA_ENTRANTES")
    ]
    buckets = [entorno["VD_BUCKET_DOCUMENTOS"], entorno["VD_BUCKET_ENTRANTES"]]
    permitidos = {
        "logs": {
            f"{PREFIJO}logs:{CUENTA}:log-group:/aws/lambda/${{AWS::StackName}}-*",
            f"{PREFIJO}logs:{CUENTA}:log-group:/aws/lambda/${{AWS::StackName}}-*:log-stream:*",
        },
        "dynamodb": {f"{PREFIJO}dynamodb:{CUENTA}:table/{t}{s}" for t in tablas for s in ("", "/index/*", "/stream/*")},
        "s3": {f"{PREFIJO}s3:::{b}{s}" for b in buckets for s in ("", "/*")},
        "kms": {"GetAtt:DatosKey.Arn"},
        "ses": {
            f"{PREFIJO}ses:{CUENTA}:identity/{entorno['VD_DOMINIO_CORREO']}",
            f"{PREFIJO}ses:{CUENTA}:configuration-set/{entorno['VD_SES_CONFIGURATION_SET']}",
        },
        "ssm": {f"{PREFIJO}ssm:{CUENTA}:parameter{entorno['VD_SSM_PREFIX']}/*"},
        "sqs": {"GetAtt:StreamsDlq.Arn"},
        "lambda": {f"{PREFIJO}lambda:{CUENTA}:function:{entorno['VD_FUNCION_REENVIO_INFORME']}"},
    }
    for declaracion in _declaraciones(etapa):
        servicios = {a.split(":")[0] for a in _lista(declaracion["Action"])}
        assert len(servicios) == 1, f"{declaracion['Sid']}: one service per statement"
        servicio = servicios.pop()
        for recurso in _recursos(declaracion):
            # Then
            assert recurso in permitidos[servicio], f"{declaracion['Sid']}: {recurso} is not a {etapa} resource"


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_policy_names_only_resources_the_template_defines(etapa):
    recursos = plantilla_merge()["Resources"]
    for declaracion in _declaraciones(etapa):
        for recurso in _recursos(declaracion):
            nombres = re.findall(r"GetAtt:(\w+)\.", recurso) + re.findall(r"\$\{(\w+)\.\w+\}", recurso)
            for nombre in nombres:
                # Then
                assert nombre in recursos, f"{nombre} is not in infra/template.json"


def test_the_policy_grants_every_action_the_code_calls():
    # Given
    codigo = "\n".join(p.read_text(encoding="utf-8") for p in sorted(Path(RAIZ / "chalicelib").rglob("*.py")))
    for etapa in ETAPAS_AWS:
        acciones = _acciones(etapa)
        for patron, accion in USOS_EN_CODIGO.items():
            if re.search(patron, codigo):
                # Then
                assert accion in acciones, f"chalicelib calls {patron!r}: policy-{etapa}.json needs {accion}"
