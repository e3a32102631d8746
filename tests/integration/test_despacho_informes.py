"""``DespachoInformes``: the AWS adapter invokes the resend function asynchronously with the stage's function name
(botocore Stubber on a real client: moto has no Lambda here), the composition root picks it in AWS stages and the
in-process one locally, and the setting is validated like the other AWS settings."""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters.despacho_informes import DespachoInformesLocal, LambdaDespachoInformes, carga_reenvio
from chalicelib.bootstrap import Services
from chalicelib.config import ConfiguracionIncompleta, Settings
from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.errors import ServicioExternoNoDisponible
from chalicelib.domain.model import Rol
from localstage.entorno import entorno_local
from tests.entorno_aws import ENTORNO_AWS_MINIMO, negocio_aws

CMD = EnviarInformeMensual(mes="2026-11", reenviar=True, solicitado_por="rc@comteco.bo")
FUNCION = "ventas-digitales-prod-reenviar_informe_mensual"


@pytest.fixture
def credenciales(monkeypatch):
    for nombre, valor in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(nombre, valor)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def _stubbed(adaptador: LambdaDespachoInformes):
    from botocore.stub import Stubber

    stubber = Stubber(adaptador._lambda)
    stubber.activate()
    return stubber


def test_the_aws_adapter_invokes_the_function_asynchronously_with_the_job(credenciales, sin_red):
    # Given the adapter of the prod stage, its Lambda client not created yet
    adaptador = LambdaDespachoInformes(funcion=FUNCION, region="us-east-1")
    assert "_lambda" not in vars(adaptador), "the client is created on first use"
    stubber = _stubbed(adaptador)
    esperado = {"mes": "2026-11", "solicitado_por": "rc@comteco.bo", "roles": ["JD", "RC"]}
    stubber.add_response(
        "invoke",
        {"StatusCode": 202},
        {"FunctionName": FUNCION, "InvocationType": "Event", "Payload": json.dumps(esperado).encode()},
    )
    # When the route hands over the team lead's and division head's request
    adaptador.reenviar_informe_mensual(CMD, frozenset({Rol.RC, Rol.JD}))
    # Then exactly one Event invocation of that function carried the job
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("fallo", ["TooManyRequestsException", "AccessDeniedException", "ResourceNotFoundException"])
def test_an_invocation_lambda_refuses_is_a_spanish_service_unavailable(credenciales, sin_red, fallo):
    adaptador = LambdaDespachoInformes(funcion=FUNCION, region="us-east-1")
    _stubbed(adaptador).add_client_error("invoke", service_error_code=fallo, http_status_code=429)
    with pytest.raises(ServicioExternoNoDisponible) as error:
        adaptador.reenviar_informe_mensual(CMD, frozenset({Rol.RC}))
    assert "No se pudo iniciar el envío del informe mensual" in error.value.mensaje


def test_an_invocation_not_queued_is_a_service_unavailable(credenciales, sin_red):
    adaptador = LambdaDespachoInformes(funcion=FUNCION, region="us-east-1")
    _stubbed(adaptador).add_response("invoke", {"StatusCode": 200})
    with pytest.raises(ServicioExternoNoDisponible):
        adaptador.reenviar_informe_mensual(CMD, frozenset({Rol.RC}))


def test_the_job_always_carries_a_resolved_month():
    with pytest.raises(ValueError):
        carga_reenvio(EnviarInformeMensual(mes=None), frozenset({Rol.RC}))


def test_the_local_dispatcher_runs_the_job_before_returning_and_only_logs_its_failure(caplog):
    hechos = []
    DespachoInformesLocal(lambda cmd, roles: hechos.append((cmd, roles))).reenviar_informe_mensual(
        CMD, frozenset({Rol.RC})
    )
    assert hechos == [(CMD, frozenset({Rol.RC}))]

    def falla(cmd, roles):
        raise RuntimeError("SES caído")

    DespachoInformesLocal(falla).reenviar_informe_mensual(CMD, frozenset({Rol.RC}))
    assert "reenvío local del informe mensual fallido" in caplog.text


@pytest.mark.parametrize("etapa", ["dev", "prod"])
def test_aws_stages_dispatch_to_their_own_function_and_the_local_stage_in_process(etapa):
    # Given an AWS stage's settings without the variable, and with it
    base = {**ENTORNO_AWS_MINIMO, **negocio_aws(etapa), "VD_STAGE": etapa}
    por_omision = Services(Settings.from_env(base)).despacho_informes
    declarada = Services(Settings.from_env({**base, "VD_FUNCION_REENVIO_INFORME": "otra-funcion"})).despacho_informes
    # Then chalice's name of the function is the default, and the variable wins
    assert isinstance(por_omision, LambdaDespachoInformes)
    assert por_omision.funcion == f"ventas-digitales-{etapa}-reenviar_informe_mensual"
    assert declarada.funcion == "otra-funcion"
    # And the local stage runs the job in this process
    assert isinstance(Services(Settings.from_env(entorno_local())).despacho_informes, DespachoInformesLocal)


@pytest.mark.parametrize(
    "valor", ["REPLACE_FUNCTION", "funcion con espacios", "a" * 65, "arn:aws:s3:::bucket", "x;rm -rf"]
)
def test_an_aws_stage_refuses_a_function_that_is_not_a_lambda_name_or_arn(valor):
    entorno = {**ENTORNO_AWS_MINIMO, **negocio_aws("prod"), "VD_STAGE": "prod", "VD_FUNCION_REENVIO_INFORME": valor}
    with pytest.raises(ConfiguracionIncompleta, match="VD_FUNCION_REENVIO_INFORME"):
        Settings.from_env(entorno)


def test_an_aws_stage_accepts_a_function_arn():
    arn = "arn:aws:lambda:us-east-1:123456789012:function:ventas-digitales-prod-reenviar_informe_mensual"
    entorno = {**ENTORNO_AWS_MINIMO, **negocio_aws("prod"), "VD_STAGE": "prod", "VD_FUNCION_REENVIO_INFORME": arn}
    assert Settings.from_env(entorno).funcion_reenvio_informe == arn
