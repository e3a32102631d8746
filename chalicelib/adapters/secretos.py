"""Secrets at run time: SSM Parameter Store SecureString in AWS stages, the stage's environment locally.

Parameter names are ``<VD_SSM_PREFIX>/<name>`` (e.g. ``/ventas-digitales/dev/meta_app_secrets``), one
SecureString each, encrypted with the stage's data key. Values are read with Powertools parameters
(``decrypt=True``) and cached in memory for ``max_age`` seconds, so a rotated value is seen by every warm
container within five minutes and a warm request costs no SSM call. A value may hold several secrets
separated by commas (``valores``): during a rotation both the new and the previous one are accepted.

The local stage reads the same names from its environment variables (``SECRETOS`` maps each name to its
variable); AWS stages never carry a secret in an environment variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Protocol

from chalicelib.adapters.clientes_aws import cliente, preparado

SECRETOS: Final[Mapping[str, str]] = {
    "pepper_ci": "VD_PEPPER_CI",
    "meta_app_secrets": "VD_META_APP_SECRETS",
    "meta_verify_token": "VD_META_VERIFY_TOKEN",
    "graph_token": "VD_GRAPH_TOKEN",
    "botmaker_token": "VD_BOTMAKER_TOKEN",
    "whatsapp_token": "VD_WHATSAPP_TOKEN",
    "messenger_token": "VD_MESSENGER_TOKEN",
    "botmaker_api_token": "VD_BOTMAKER_API_TOKEN",
    "clave_enlaces": "VD_CLAVE_ENLACES",
    "secreto_pagos": "VD_SECRETO_PAGOS",
    "clave_consola": "VD_CLAVE_CONSOLA",
}
"""Every secret the app reads: parameter name (under the stage prefix) -> local-stage environment variable."""

MAX_AGE_SEGUNDOS: Final = 300


class SecretoNoDisponible(RuntimeError):
    """A secret is unknown, missing or unreadable (the parameter does not exist or cannot be decrypted)."""


class Secretos(Protocol):
    def valor(self, nombre: str) -> str:
        """The secret's current value."""
        ...

    def valores(self, nombre: str) -> tuple[str, ...]:
        """The secret's accepted values, current first (comma-separated in the stored value)."""
        ...


def _lista(valor: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in valor.split(",") if v.strip())


def _conocido(nombre: str) -> str:
    if nombre not in SECRETOS:
        raise SecretoNoDisponible(f"Unknown secret {nombre!r} (add it to SECRETOS)")
    return nombre


class SecretosSsm:
    """AWS stages: ``ssm:GetParameter`` with decryption through Powertools, cached ``max_age`` seconds."""

    def __init__(self, prefijo: str, *, max_age: int = MAX_AGE_SEGUNDOS, region: str | None = None) -> None:
        self._prefijo = prefijo.rstrip("/")
        self._max_age = max_age
        self._region = region

    def parametro(self, nombre: str) -> str:
        return f"{self._prefijo}/{_conocido(nombre)}"

    def valor(self, nombre: str) -> str:
        from aws_lambda_powertools.utilities.parameters import get_parameter
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        parametro = self.parametro(nombre)
        _proveedor_preparado(self._region)
        try:
            valor = get_parameter(parametro, decrypt=True, max_age=self._max_age)
        except GetParameterError as exc:
            raise SecretoNoDisponible(f"Cannot read SSM parameter {parametro}") from exc
        if not isinstance(valor, str) or not valor.strip():
            raise SecretoNoDisponible(f"SSM parameter {parametro} is empty")
        return valor.strip()

    def valores(self, nombre: str) -> tuple[str, ...]:
        return _lista(self.valor(nombre))


def _proveedor_preparado(region: str | None) -> None:
    """Powertools' default SSM provider (the one ``get_parameter`` and ``clear_caches`` use), on a client with
    ``clientes_aws``' timeouts and retries instead of boto3's defaults; installed once, its cache kept."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    actual = DEFAULT_PROVIDERS.get("ssm")
    if actual is None or not preparado(actual.client):
        DEFAULT_PROVIDERS["ssm"] = SSMProvider(boto3_client=cliente("ssm", region))


class SecretosLocales:
    """Local stage: the values of the stage's environment variables (read once by ``Settings``)."""

    def __init__(self, valores: Mapping[str, str]) -> None:
        self._valores = dict(valores)

    def valor(self, nombre: str) -> str:
        valor = self._valores.get(_conocido(nombre), "").strip()
        if not valor:
            raise SecretoNoDisponible(f"Secret {nombre!r} is not set ({SECRETOS[nombre]})")
        return valor

    def valores(self, nombre: str) -> tuple[str, ...]:
        return _lista(self.valor(nombre))
