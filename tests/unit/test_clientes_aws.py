"""Clients configured for failure (issue 19): every AWS client retries in standard mode with short timeouts, and
every function's timeout in .chalice/config.json is above the worst case those figures allow."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from chalicelib.adapters import clientes_aws
from chalicelib.adapters.clientes_aws import (
    CONEXION_SEGUNDOS,
    FUNCIONES,
    INTENTOS,
    LIMITE_API_GATEWAY,
    PUERTAS,
    cliente,
    lectura,
    peor_caso_llamada,
    preparado,
)
from localstage.entorno import entorno_local

RAIZ = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ETAPAS_AWS = ("dev", "prod")


def _clientes_de_los_adaptadores() -> dict[str, object]:
    from chalicelib.adapters.despacho_informes import LambdaDespachoInformes
    from chalicelib.adapters.directorio import DirectorioCognito
    from chalicelib.adapters.kms_protector import KmsProtectorDatos
    from chalicelib.adapters.s3_almacen import S3Almacen
    from chalicelib.adapters.s3_buzon import S3BuzonEntrante
    from chalicelib.adapters.s3_documentos import S3Documentos
    from chalicelib.adapters.ses_mailer import SesMailer

    return {
        "S3BuzonEntrante": S3BuzonEntrante(bucket="b", prefijo="correo/", region=REGION)._s3,
        "SesMailer": SesMailer(remitente="a@example.com", region=REGION)._ses,
        "DirectorioCognito": DirectorioCognito("us-east-1_x", REGION)._cognito,
        "S3Documentos": S3Documentos(bucket_documentos="d", region=REGION)._s3,
        "KmsProtectorDatos": KmsProtectorDatos(kms_key_id="alias/k", pepper="p", region=REGION)._kms,
        "LambdaDespachoInformes": LambdaDespachoInformes(funcion="f", region=REGION)._lambda,
        "S3Almacen": S3Almacen(bucket="b", kms_key_id="", region=REGION)._s3,
    }


@pytest.fixture
def entorno_aws(monkeypatch):
    for nombre, valor in entorno_local().items():
        monkeypatch.setenv(nombre, valor)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_every_adapter_client_retries_in_standard_mode_with_short_timeouts(entorno_aws):
    for adaptador, client in _clientes_de_los_adaptadores().items():
        config = client.meta.config
        servicio = client.meta.service_model.service_name
        # Then
        assert config.retries == {"mode": "standard", "total_max_attempts": INTENTOS}, adaptador
        assert config.connect_timeout == CONEXION_SEGUNDOS, adaptador
        assert config.read_timeout == lectura(servicio) <= 3.0, adaptador
        assert preparado(client), adaptador


def test_presigned_links_keep_signature_v4(entorno_aws):
    from chalicelib.adapters.s3_documentos import S3Documentos

    client = S3Documentos(bucket_documentos="d", region=REGION)._s3
    # Then
    assert client.meta.config.signature_version == "s3v4" and preparado(client)


def test_the_ssm_secrets_go_through_a_prepared_powertools_provider(entorno_aws, monkeypatch):
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    from chalicelib.adapters import secretos

    monkeypatch.delitem(DEFAULT_PROVIDERS, "ssm", raising=False)
    # When
    secretos._proveedor_preparado(REGION)
    # Then: get_parameter and clear_caches use this provider
    assert preparado(DEFAULT_PROVIDERS["ssm"].client)
    anterior = DEFAULT_PROVIDERS["ssm"]
    secretos._proveedor_preparado(REGION)
    assert DEFAULT_PROVIDERS["ssm"] is anterior  # installed once: its cache survives
    monkeypatch.delitem(DEFAULT_PROVIDERS, "ssm")


def test_pynamodb_models_and_transactions_get_the_same_timeouts_after_bind(entorno_aws):
    from chalicelib.adapters.dynamo_tables import MODELOS, bind, conexion
    from chalicelib.config import Settings

    settings = Settings.from_env()
    # When
    bind(settings)
    clientes = {m.__name__: m._get_connection().connection.client for m in MODELOS}
    clientes["TransactWrite"] = conexion(settings).client
    # Then
    for modelo in MODELOS:
        assert modelo.Meta.connect_timeout_seconds == CONEXION_SEGUNDOS
        assert modelo.Meta.read_timeout_seconds == lectura("dynamodb")
        assert modelo.Meta.max_retry_attempts == INTENTOS - 1  # pynamodb counts retries
    for nombre, client in clientes.items():
        assert client.meta.config.connect_timeout == CONEXION_SEGUNDOS, nombre
        assert client.meta.config.read_timeout == lectura("dynamodb"), nombre
        assert client.meta.config.retries == {"total_max_attempts": INTENTOS, "mode": "standard"}, nombre


def test_one_call_costs_at_most_its_attempts_timeouts_and_one_backoff():
    # Then: 2 × (0.5 s + 1 s) + 1 s; SES reads 3 s
    assert peor_caso_llamada() == 4.0
    assert peor_caso_llamada("sesv2") == 8.0


def test_a_stalled_backend_makes_every_http_door_answer_within_10_seconds():
    for puerta, funcion in PUERTAS.items():
        print(f"{puerta}: {funcion.peor_caso_en_falla():.1f} s atascado, {funcion.peor_caso():.1f} s lento")
        # Then
        assert funcion.peor_caso_en_falla() < 10, puerta
        assert funcion.peor_caso() < LIMITE_API_GATEWAY, puerta
    assert PUERTAS["POST /solicitud"].peor_caso() < 10


def _funciones_de_la_app() -> set[str]:
    from app import app

    nombres = {"api_handler"}
    nombres |= {f.name for f in app.pure_lambda_functions}
    nombres |= {f.name for f in app.event_sources}
    return nombres


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_every_function_timeout_is_above_its_worst_case_and_the_api_under_api_gateway(etapa):
    from chalice.config import Config

    disco = json.loads((RAIZ / ".chalice" / "config.json").read_text(encoding="utf-8"))
    funciones = _funciones_de_la_app()
    # Then
    assert funciones == set(FUNCIONES), "add the function to clientes_aws.FUNCIONES and its lambda_timeout"
    for nombre in sorted(funciones):
        limite = Config(chalice_stage=etapa, function_name=nombre, config_from_disk=disco).lambda_timeout
        peor = FUNCIONES[nombre].peor_caso()
        print(f"{etapa} {nombre}: timeout {limite} s, peor caso {peor:.0f} s")
        assert peor < limite <= 900, nombre
    api = Config(chalice_stage=etapa, function_name="api_handler", config_from_disk=disco).lambda_timeout
    assert max(p.peor_caso() for p in PUERTAS.values()) < api < LIMITE_API_GATEWAY


def _llamadas_prohibidas(arbol: ast.AST) -> list[str]:
    """Imports of boto3 and calls that build a client or session (``client(``, ``resource(``, ``create_client(``,
    ``Session(``) by attribute, whatever the receiver."""
    halladas = []
    for nodo in ast.walk(arbol):
        if isinstance(nodo, ast.Import) and any(a.name.split(".")[0] == "boto3" for a in nodo.names):
            halladas.append(f"import boto3 (line {nodo.lineno})")
        elif isinstance(nodo, ast.ImportFrom) and (nodo.module or "").split(".")[0] == "boto3":
            halladas.append(f"from boto3 import (line {nodo.lineno})")
        elif (
            isinstance(nodo, ast.Call)
            and isinstance(nodo.func, ast.Attribute)
            and nodo.func.attr in ("client", "resource", "create_client", "Session")
        ):
            halladas.append(f".{nodo.func.attr}( (line {nodo.lineno})")
    return halladas


def test_no_aws_client_is_built_outside_the_one_builder():
    permitido = Path(clientes_aws.__file__).resolve()
    fuentes = [RAIZ / "app.py", *sorted((RAIZ / "chalicelib").rglob("*.py"))]
    # When
    infracciones = {
        str(p.relative_to(RAIZ)): halladas
        for p in fuentes
        if p.resolve() != permitido and (halladas := _llamadas_prohibidas(ast.parse(p.read_text(encoding="utf-8"))))
    }
    # Then
    assert infracciones == {}, "build AWS clients with chalicelib.adapters.clientes_aws.cliente"


def test_the_guard_sees_a_client_built_by_hand():
    codigo = "import boto3\n\ndef f():\n    return boto3.client('s3')\n"
    assert len(_llamadas_prohibidas(ast.parse(codigo))) == 2


def test_the_builder_passes_extra_options_through(entorno_aws):
    client = cliente("s3", REGION, signature_version="s3v4")
    assert client.meta.config.signature_version == "s3v4" and preparado(client)


def _encadenado(exterior: Exception, interior: Exception) -> Exception:
    try:
        try:
            raise interior
        except Exception as exc:
            raise exterior from exc
    except Exception as exc:
        return exc


def test_a_timeout_however_wrapped_is_recognised_at_the_edge():
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
    from pynamodb.exceptions import PutError

    from chalicelib.adapters.secretos import SecretoNoDisponible
    from chalicelib.handlers.http import aws_no_responde

    lectura_agotada = ReadTimeoutError(endpoint_url="http://127.0.0.1:1")
    put = _encadenado(PutError("Failed to put item", lectura_agotada), lectura_agotada)
    # Then: pynamodb's PutError, its AttributeError on cause_response_code, a secret that could not be read
    assert aws_no_responde(put) is lectura_agotada
    assert isinstance(aws_no_responde(_encadenado(AttributeError("x"), put)), ReadTimeoutError)
    conexion = ConnectTimeoutError(endpoint_url="http://127.0.0.1:1")
    assert aws_no_responde(_encadenado(SecretoNoDisponible("ssm"), conexion)) is conexion
    assert aws_no_responde(EndpointConnectionError(endpoint_url="http://x")) is not None
    assert aws_no_responde(_encadenado(RuntimeError("otro"), ValueError("x"))) is None
