"""Secrets from SSM Parameter Store (SecureString, KMS) through Powertools parameters, on moto."""

from __future__ import annotations

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities import parameters

from chalicelib.adapters.secretos import SECRETOS, SecretoNoDisponible, SecretosSsm

PREFIJO = "/ventas-digitales/dev"


@pytest.fixture
def ssm(moto_endpoint):
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    parameters.clear_caches()
    cliente = boto3.client("ssm", region_name="us-east-1")
    clave = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]

    def guardar(nombre: str, valor: str) -> None:
        cliente.put_parameter(Name=f"{PREFIJO}/{nombre}", Value=valor, Type="SecureString", KeyId=clave, Overwrite=True)

    yield guardar
    parameters.clear_caches()


def test_a_secret_is_read_decrypted_from_the_stage_path(ssm):
    # Given
    ssm("botmaker_token", "token-real")
    # When
    valor = SecretosSsm(PREFIJO).valor("botmaker_token")
    # Then
    assert valor == "token-real"


def test_during_a_rotation_both_meta_secrets_are_accepted_current_first(ssm):
    # Given
    ssm("meta_app_secrets", "secreto-nuevo, secreto-anterior")
    # When
    valores = SecretosSsm(PREFIJO).valores("meta_app_secrets")
    # Then
    assert valores == ("secreto-nuevo", "secreto-anterior")


def test_a_read_secret_is_cached_until_max_age(ssm):
    # Given
    ssm("secreto_pagos", "v1")
    secretos = SecretosSsm(PREFIJO, max_age=300)
    assert secretos.valor("secreto_pagos") == "v1"
    # When: rotated in SSM
    ssm("secreto_pagos", "v2")
    # Then: a warm container keeps v1 until its cache expires (max_age), a new one reads v2
    assert secretos.valor("secreto_pagos") == "v1"
    parameters.clear_caches()
    assert secretos.valor("secreto_pagos") == "v2"


def test_a_missing_parameter_is_a_clear_error(ssm):
    with pytest.raises(SecretoNoDisponible, match=f"{PREFIJO}/clave_enlaces"):
        SecretosSsm(PREFIJO).valor("clave_enlaces")


def test_an_unknown_secret_name_is_refused_before_calling_aws(ssm):
    with pytest.raises(SecretoNoDisponible, match="Unknown secret"):
        SecretosSsm(PREFIJO).valor("otro")


def test_every_secret_has_a_parameter_name_under_the_stage_prefix():
    secretos = SecretosSsm(PREFIJO + "/")
    # Then
    assert [secretos.parametro(n) for n in SECRETOS] == [f"{PREFIJO}/{n}" for n in SECRETOS]
