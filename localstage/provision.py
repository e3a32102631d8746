"""Create the local stage's AWS resources on moto: tables, buckets, the data key, SES identities and the streams'
on-failure queue.

In AWS the same resources come from infra/ (CloudFormation); here they are created by code so that
`make run` and the tests start from nothing.
"""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo_tables import crear_tablas
from chalicelib.config import Settings

CUENTA_LOCAL = "123456789012"  # moto's default account


def nombre_cola_fallos(stage: str) -> str:
    """The stream mappings' on-failure queue (infra/template.json ``StreamsDlq``), same name on every stage."""
    return f"vd-{stage}-streams-dlq"


def arn_funcion_local(settings: Settings, handler: str) -> str:
    """The ARN a local stream "mapping" names in its on-failure messages; its last part is the chalice handler."""
    return f"arn:aws:lambda:{settings.region}:{CUENTA_LOCAL}:function:ventas-digitales-{settings.stage}-{handler}"


def cola_fallos(settings: Settings) -> str:
    """URL of the local on-failure queue (created if missing, 14 days like the stack's)."""
    sqs = boto3.client("sqs", region_name=settings.region)
    nombre = nombre_cola_fallos(settings.stage)
    return str(sqs.create_queue(QueueName=nombre, Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"])


def provisionar(settings: Settings) -> None:
    """Idempotent: existing resources are left as they are."""
    crear_tablas(settings)
    _clave_kms(settings)
    cola_fallos(settings)
    s3 = boto3.client("s3", region_name=settings.region)
    for bucket in (settings.bucket_documentos, settings.bucket_entrantes):
        try:
            s3.create_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": settings.kms_key_id,
                        }
                    }
                ]
            },
        )
    ses = boto3.client("ses", region_name=settings.region)
    dominio = settings.buzones.remitente.split("@", 1)[1]
    ses.verify_domain_identity(Domain=dominio)
    for correo in set(settings.buzones.como_dict().values()):
        ses.verify_email_identity(EmailAddress=correo)


def _clave_kms(settings: Settings) -> None:
    if not settings.kms_key_id.startswith("alias/"):
        return
    kms = boto3.client("kms", region_name=settings.region)
    alias = settings.kms_key_id
    existentes = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    if alias in existentes:
        return
    clave = kms.create_key(Description="Ventas Digitales: datos personales (local)")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=clave)
