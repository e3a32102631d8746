"""The staff directory: the local stage's fixed list, and the Cognito user pool's role groups on moto."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest
import requests

from chalicelib.adapters.directorio import DirectorioCognito, DirectorioLocal
from chalicelib.bootstrap import Services
from chalicelib.config import Settings
from chalicelib.domain.errors import ServicioExternoNoDisponible
from chalicelib.domain.model import Buzones, Rol
from chalicelib.domain.ports import PersonaPersonal

REGION = "us-east-1"

BUZONES = Buzones(
    remitente="ventas@ventas.comteco.local",
    ejecutivos="ejecutivos@ventas.comteco.local",
    help_desk="helpdesk@ventas.comteco.local",
    cobranzas="cobranzas@ventas.comteco.local",
    cajas="cajas@ventas.comteco.local",
    facturacion="facturacion@ventas.comteco.local",
    responsable_canales="canales@ventas.comteco.local",
    jefe_division="jefe@ventas.comteco.local",
    empresas="empresas@ventas.comteco.local",
)


def test_the_local_directory_has_one_person_per_role_with_the_role_mailboxes():
    # When
    personas = DirectorioLocal(BUZONES).personas()
    # Then
    assert [p.rol for p in personas] == [r for r in Rol if r is not Rol.SISTEMA]
    assert {p.rol: p.email for p in personas} == {
        Rol.EJ: BUZONES.ejecutivos,
        Rol.HD: BUZONES.help_desk,
        Rol.CO: BUZONES.cobranzas,
        Rol.CA: BUZONES.cajas,
        Rol.FA: BUZONES.facturacion,
        Rol.RC: BUZONES.responsable_canales,
        Rol.JD: BUZONES.jefe_division,
    }
    assert personas[0] == PersonaPersonal(Rol.EJ, BUZONES.ejecutivos, "Eva Ejecutiva")
    assert all(p.nombre for p in personas)


@pytest.fixture
def cognito(moto_endpoint):
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    return boto3.client("cognito-idp", region_name=REGION)


def _pool(cognito, *grupos: str) -> str:
    pool_id = str(cognito.create_user_pool(PoolName="ventas-digitales-staff")["UserPool"]["Id"])
    for grupo in grupos:
        cognito.create_group(UserPoolId=pool_id, GroupName=grupo)
    return pool_id


def _usuario(cognito, pool_id: str, usuario: str, grupo: str | None, **atributos: str) -> None:
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=usuario,
        UserAttributes=[{"Name": nombre, "Value": valor} for nombre, valor in atributos.items()],
        MessageAction="SUPPRESS",
    )
    if grupo:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=usuario, GroupName=grupo)


def test_cognito_role_groups_give_their_users_as_staff(cognito):
    # Given
    pool_id = _pool(cognito, "EJ", "HD", "administradores")
    _usuario(cognito, pool_id, "eva", "EJ", email="eva.quispe@comteco.example", name="Eva Quispe")
    _usuario(cognito, pool_id, "hugo", "HD", email="hugo.mamani@comteco.example", name="Hugo Mamani")
    _usuario(cognito, pool_id, "sin-nombre", "HD", email="soporte@comteco.example")
    _usuario(cognito, pool_id, "admin", "administradores", email="admin@comteco.example", name="Admin")
    _usuario(cognito, pool_id, "sin-grupo", None, email="nadie@comteco.example", name="Nadie")
    # When
    personas = DirectorioCognito(user_pool_id=pool_id, region=REGION).personas()
    # Then: only role groups, in role order; the email stands in for a missing name
    assert personas == [
        PersonaPersonal(Rol.EJ, "eva.quispe@comteco.example", "Eva Quispe"),
        PersonaPersonal(Rol.HD, "hugo.mamani@comteco.example", "Hugo Mamani"),
        PersonaPersonal(Rol.HD, "soporte@comteco.example", "soporte@comteco.example"),
    ]


def test_disabled_users_and_users_without_email_cannot_sign_in_and_are_left_out(cognito):
    # Given
    pool_id = _pool(cognito, "CO")
    _usuario(cognito, pool_id, "carla", "CO", email="carla@comteco.example", name="Carla")
    _usuario(cognito, pool_id, "baja", "CO", email="baja@comteco.example", name="De baja")
    cognito.admin_disable_user(UserPoolId=pool_id, Username="baja")
    _usuario(cognito, pool_id, "sin-correo", "CO", name="Sin correo")
    # When
    personas = DirectorioCognito(user_pool_id=pool_id, region=REGION).personas()
    # Then
    assert personas == [PersonaPersonal(Rol.CO, "carla@comteco.example", "Carla")]


def test_a_user_in_two_role_groups_is_listed_once_per_role(cognito):
    # Given
    pool_id = _pool(cognito, "RC", "JD")
    _usuario(cognito, pool_id, "rosa", "RC", email="rosa@comteco.example", name="Rosa")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="rosa", GroupName="JD")
    # When
    personas = DirectorioCognito(user_pool_id=pool_id, region=REGION).personas()
    # Then
    assert [(p.rol, p.email) for p in personas] == [
        (Rol.RC, "rosa@comteco.example"),
        (Rol.JD, "rosa@comteco.example"),
    ]


def test_a_group_larger_than_one_page_is_read_whole(cognito):
    # Given: more members than ListUsersInGroup returns in one page (60)
    pool_id = _pool(cognito, "EJ")
    for i in range(65):
        _usuario(cognito, pool_id, f"ej{i:02d}", "EJ", email=f"ej{i:02d}@comteco.example", name=f"Ejecutivo {i:02d}")
    # When
    personas = DirectorioCognito(user_pool_id=pool_id, region=REGION).personas()
    # Then
    assert len(personas) == 65
    assert {p.email for p in personas} == {f"ej{i:02d}@comteco.example" for i in range(65)}


def test_a_missing_user_pool_is_an_external_service_error(cognito):
    # Given
    directorio = DirectorioCognito(user_pool_id=f"{REGION}_NoExiste1", region=REGION)
    # When / Then
    with pytest.raises(ServicioExternoNoDisponible) as error:
        directorio.personas()
    assert error.value.__cause__ is not None


def test_the_composition_root_reads_the_pool_and_region_from_the_issuer(settings: Settings):
    # Given: an AWS stage
    aws = replace(
        settings,
        stage="dev",
        region="us-east-1",
        cognito_issuer="https://cognito-idp.sa-east-1.amazonaws.com/sa-east-1_AbC123xyZ",
        cognito_client_id="cliente",
    )
    # When
    directorio = Services(aws).directorio
    # Then
    assert isinstance(directorio, DirectorioCognito)
    assert (directorio._user_pool_id, directorio._region) == ("sa-east-1_AbC123xyZ", "sa-east-1")


def test_the_local_stage_composes_the_local_directory(settings: Settings):
    # When
    directorio = Services(settings).directorio
    # Then
    assert isinstance(directorio, DirectorioLocal)
    assert [p.email for p in directorio.personas()][:2] == [settings.buzones.ejecutivos, settings.buzones.help_desk]
