"""The AWS stages in .chalice/config.json: names agree with the template, no secret in the environment, one
documented deploy command (fast: no package is built)."""

from __future__ import annotations

import re
import subprocess

import pytest

from chalicelib.adapters.secretos import SECRETOS
from chalicelib.config import ConfiguracionIncompleta, Settings
from tests.entorno_aws import completar
from tests.infra.conftest import ETAPAS_AWS, RAIZ, config_chalice, entorno_etapa, plantilla_merge

# template mapping key -> the environment variable the app reads it from
NOMBRE_A_VARIABLE = {
    "TablaSolicitudes": "VD_TABLA_SOLICITUDES",
    "TablaHistorial": "VD_TABLA_HISTORIAL",
    "TablaClaves": "VD_TABLA_CLAVES",
    "TablaEntrantes": "VD_TABLA_ENTRANTES",
    "BucketDocumentos": "VD_BUCKET_DOCUMENTOS",
    "BucketEntrantes": "VD_BUCKET_ENTRANTES",
    "AliasClave": "VD_KMS_KEY_ID",
    "PrefijoSsm": "VD_SSM_PREFIX",
    "ConfiguracionSes": "VD_SES_CONFIGURATION_SET",
    "DominioCorreo": "VD_DOMINIO_CORREO",
}


def test_both_aws_stages_exist_with_their_own_least_privilege_policy_file():
    config = config_chalice()
    # Then
    assert config["autogen_policy"] is False
    for etapa in ETAPAS_AWS:
        escenario = config["stages"][etapa]
        assert escenario.get("autogen_policy", False) is False
        assert escenario["iam_policy_file"] == f"policy-{etapa}.json"
        assert (RAIZ / ".chalice" / escenario["iam_policy_file"]).is_file()
        assert escenario["environment_variables"]["VD_STAGE"] == etapa


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_template_creates_exactly_the_names_the_stage_configures(etapa):
    # Given
    nombres = plantilla_merge()["Mappings"]["Etapas"][etapa]
    entorno = entorno_etapa(etapa)
    # Then
    assert set(nombres) - {"ConjuntoReglas"} == set(NOMBRE_A_VARIABLE)
    for clave, variable in NOMBRE_A_VARIABLE.items():
        assert entorno[variable] == nombres[clave], f"{variable} of stage {etapa} differs from Mappings.Etapas.{clave}"


def test_stages_share_no_table_bucket_key_or_secret_path():
    nombres = plantilla_merge()["Mappings"]["Etapas"]
    # Then
    for clave in NOMBRE_A_VARIABLE:
        assert nombres["dev"][clave] != nombres["prod"][clave], clave


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_local_key_is_never_set_in_an_aws_stage(etapa):
    config = config_chalice()
    # Then
    assert "VD_CLAVE_LOCAL" not in config.get("environment_variables", {})
    assert "VD_CLAVE_LOCAL" not in entorno_etapa(etapa)


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_no_secret_travels_in_an_aws_stage_environment(etapa):
    # Given
    entorno = entorno_etapa(etapa)
    # Then: secrets come from SSM under the stage's own path
    assert not set(SECRETOS.values()) & set(entorno), "secrets belong in SSM Parameter Store, not in config.json"
    assert entorno["VD_SSM_PREFIX"] == f"/ventas-digitales/{etapa}"


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_an_aws_stage_as_declared_starts_or_names_exactly_the_settings_it_still_lacks(etapa):
    # Given the stage's environment as .chalice/config.json declares it, and what it lacks for a deploy (a
    # business setting not declared, or declared as a REPLACE_ placeholder)
    entorno = {**entorno_etapa(etapa), "AWS_DEFAULT_REGION": "us-east-1"}
    pendientes = {n for n, v in completar(entorno, etapa).items() if entorno.get(n) != v}
    if not pendientes:
        assert not Settings.from_env(entorno).es_local
        return
    # When the app reads its settings, Then one error names each of them, and nothing the stage declares
    with pytest.raises(ConfiguracionIncompleta) as error:
        Settings.from_env(entorno)
    nombrados = set(re.findall(r"\b(VD_[A-Z_]+) \(", str(error.value)))
    assert nombrados == pendientes, str(error.value)


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_an_aws_stage_settings_build_without_local_secrets(etapa):
    # Given the stage's environment, with the business settings a deploy must declare
    entorno = completar({**entorno_etapa(etapa), "AWS_DEFAULT_REGION": "us-east-1"}, etapa)
    # When
    settings = Settings.from_env(entorno)
    # Then
    assert not settings.es_local
    assert settings.ssm_prefijo == f"/ventas-digitales/{etapa}"
    assert settings.secretos_locales == {}
    assert settings.clave_local == ""


def test_the_only_placeholders_left_are_the_documented_ones():
    # Given: values a person fills in before the first deploy (docs/deploy.md), checked by make deploy
    documentados = {
        "REPLACE_USER_POOL_ID",
        "REPLACE_CLIENT_ID",
        "REPLACE_PUBLIC_HOST",
        "REPLACE_AT_PACKAGE",
        "REPLACE_BANK_ACCOUNT",
        "REPLACE_GATEWAY_HOST",
    }
    # When
    encontrados = set(re.findall(r"REPLACE_[A-Z_]+", (RAIZ / ".chalice" / "config.json").read_text()))
    # Then
    assert encontrados <= documentados


def test_the_deploy_document_shows_the_exact_commands_make_deploy_runs():
    # Given
    proceso = subprocess.run(
        ["make", "-n", "--no-print-directory", "deploy", "STAGE=dev", "BUCKET_ARTEFACTOS=mi-bucket-artefactos"],
        cwd=RAIZ,
        capture_output=True,
        text=True,
        check=True,
    )
    comandos = [linea.strip() for linea in proceso.stdout.splitlines() if linea.strip().startswith("aws ")]
    documento = (RAIZ / "docs" / "deploy.md").read_text(encoding="utf-8")
    # Then
    assert [c.split()[:3] for c in comandos] == [
        ["aws", "cloudformation", "package"],
        ["aws", "cloudformation", "deploy"],
    ]
    for comando in comandos:
        assert comando in documento, f"docs/deploy.md must show: {comando}"


def test_secrets_are_read_through_the_secrets_port_never_from_settings():
    # Given: in AWS stages Settings holds no secret (they live in SSM); only the Secretos port has them
    import ast
    from dataclasses import fields

    secretos_en_settings = set(SECRETOS) & {f.name for f in fields(Settings)}
    ignorados = {RAIZ / "chalicelib" / "config.py", RAIZ / "chalicelib" / "adapters" / "secretos.py"}
    lecturas = []
    for ruta in sorted((RAIZ / "chalicelib").rglob("*.py")):
        if ruta in ignorados:
            continue
        for nodo in ast.walk(ast.parse(ruta.read_text(encoding="utf-8"))):
            if isinstance(nodo, ast.Attribute) and nodo.attr in secretos_en_settings:
                lecturas.append(f"{ruta.relative_to(RAIZ)}:{nodo.lineno} .{nodo.attr}")
    # Then: use get_services().secretos.valor(<name>) / .valores(<name>)
    assert not lecturas, lecturas
