"""Where secrets come from: the local stage's environment, or SSM under VD_SSM_PREFIX in AWS stages."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from chalicelib.adapters.secretos import SecretoNoDisponible, SecretosLocales, SecretosSsm
from chalicelib.bootstrap import Services
from chalicelib.config import ConfiguracionIncompleta, Settings
from localstage.entorno import entorno_local
from tests.entorno_aws import negocio_aws

AWS = {
    **negocio_aws("dev"),
    "VD_STAGE": "dev",
    "VD_TABLA_SOLICITUDES": "t1",
    "VD_TABLA_HISTORIAL": "t2",
    "VD_TABLA_CLAVES": "t3",
    "VD_TABLA_ENTRANTES": "t4",
    "VD_BUCKET_DOCUMENTOS": "b1",
    "VD_BUCKET_ENTRANTES": "b2",
    "VD_COGNITO_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/pool",
    "VD_COGNITO_CLIENT_ID": "cliente",
    "VD_SSM_PREFIX": "/ventas-digitales/dev/",
}


class SecretosFijos:
    def __init__(self, **valores: str) -> None:
        self._valores = valores

    def valor(self, nombre: str) -> str:
        return self._valores[nombre]

    def valores(self, nombre: str) -> tuple[str, ...]:
        return (self._valores[nombre],)


def test_the_local_stage_reads_its_secrets_from_its_environment():
    # Given
    settings = Settings.from_env(entorno_local())
    # When
    secretos = Services(settings).secretos
    # Then
    assert isinstance(secretos, SecretosLocales)
    assert secretos.valor("pepper_ci") == entorno_local()["VD_PEPPER_CI"]
    assert len(secretos.valores("meta_app_secrets")) == len(entorno_local()["VD_META_APP_SECRETS"].split(","))


def test_an_unset_local_secret_is_a_clear_error():
    secretos = SecretosLocales({"pepper_ci": ""})
    with pytest.raises(SecretoNoDisponible, match="VD_PEPPER_CI"):
        secretos.valor("pepper_ci")


def test_an_aws_stage_reads_secrets_from_ssm_under_its_prefix():
    # Given
    settings = Settings.from_env(AWS)
    # When
    secretos = Services(settings).secretos
    # Then
    assert isinstance(secretos, SecretosSsm)
    assert secretos.parametro("pepper_ci") == "/ventas-digitales/dev/pepper_ci"
    assert settings.secretos_locales == {}


def test_an_aws_stage_needs_no_pepper_in_its_environment_but_needs_the_ssm_prefix():
    # Then
    assert Settings.from_env(AWS).pepper_ci == ""
    with pytest.raises(ConfiguracionIncompleta, match="VD_SSM_PREFIX"):
        Settings.from_env({k: v for k, v in AWS.items() if k != "VD_SSM_PREFIX"})


def test_the_local_key_is_refused_outside_the_local_stage():
    with pytest.raises(ConfiguracionIncompleta, match="VD_CLAVE_LOCAL"):
        Settings.from_env({**AWS, "VD_CLAVE_LOCAL": "x"})


def test_the_ci_hash_uses_the_pepper_from_the_secrets_port():
    # Given
    servicios = Services(Settings.from_env(AWS), overrides={"secretos": SecretosFijos(pepper_ci="pimienta")})
    # When
    huella = servicios.protector.huella("1234567")
    # Then
    assert huella == hmac.new(b"pimienta", b"1234567", hashlib.sha256).hexdigest()


def test_a_bad_number_setting_is_named_with_the_others_instead_of_a_bare_valueerror():
    from chalicelib.config import ConfiguracionIncompleta, Settings
    from localstage.entorno import entorno_local

    # Given the local stage with two unreadable number settings
    env = {**entorno_local(), "VD_HORAS_ENLACE": "setenta", "VD_ACUSES_POR_TELEFONO_DIA": "0"}
    # When the settings are read
    with pytest.raises(ConfiguracionIncompleta) as error:
        Settings.from_env(env)
    # Then both are named in one error
    assert "VD_HORAS_ENLACE" in str(error.value) and "VD_ACUSES_POR_TELEFONO_DIA" in str(error.value)
