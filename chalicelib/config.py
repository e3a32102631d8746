"""Settings: one typed object, read once from the environment. The only module that reads ``os.environ``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from chalicelib.domain.model import Buzones

LOCAL_STAGE = "local"


class ConfiguracionIncompleta(RuntimeError):
    """A required environment variable is missing (fail fast at cold start)."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    tabla_solicitudes: str
    tabla_historial: str
    tabla_claves: str
    tabla_entrantes: str
    bucket_documentos: str
    bucket_entrantes: str
    buzones: Buzones
    url_publica: str
    zona_horaria: str = "America/La_Paz"
    clave_local: str = ""
    cognito_issuer: str = ""
    cognito_client_id: str = ""
    pepper_ci: str = ""
    kms_key_id: str = ""
    configuracion_ses: str = ""
    minutos_primera_respuesta: int = 60
    dynamodb_host: str | None = None
    meta_app_secrets: tuple[str, ...] = ()
    meta_verify_token: str = ""
    graph_url: str = "https://graph.facebook.com/v21.0"
    graph_token: str = ""
    botmaker_token: str = ""
    botmaker_cabecera: str = "auth-bm-token"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def es_local(self) -> bool:
        return self.stage == LOCAL_STAGE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def req(nombre: str) -> str:
            valor = env.get(nombre, "").strip()
            if not valor:
                raise ConfiguracionIncompleta(f"Missing environment variable {nombre}")
            return valor

        stage = env.get("VD_STAGE", LOCAL_STAGE)
        dominio = env.get("VD_DOMINIO_CORREO", "ventas.comteco.local")
        buzones = Buzones(
            remitente=env.get("VD_CORREO_REMITENTE", f"ventas-digitales@{dominio}"),
            ejecutivos=env.get("VD_CORREO_EJECUTIVOS", f"ejecutivos@{dominio}"),
            help_desk=env.get("VD_CORREO_HELP_DESK", f"helpdesk@{dominio}"),
            cobranzas=env.get("VD_CORREO_COBRANZAS", f"cobranzas@{dominio}"),
            cajas=env.get("VD_CORREO_CAJAS", f"cajas@{dominio}"),
            facturacion=env.get("VD_CORREO_FACTURACION", f"facturacion@{dominio}"),
            responsable_canales=env.get("VD_CORREO_RC", f"responsable.canales@{dominio}"),
            jefe_division=env.get("VD_CORREO_JD", f"jefe.ventas@{dominio}"),
            empresas=env.get("VD_CORREO_EMPRESAS", f"ventas.empresas@{dominio}"),
        )
        settings = cls(
            stage=stage,
            region=env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "us-east-1",
            tabla_solicitudes=req("VD_TABLA_SOLICITUDES"),
            tabla_historial=req("VD_TABLA_HISTORIAL"),
            tabla_claves=req("VD_TABLA_CLAVES"),
            tabla_entrantes=req("VD_TABLA_ENTRANTES"),
            bucket_documentos=req("VD_BUCKET_DOCUMENTOS"),
            bucket_entrantes=req("VD_BUCKET_ENTRANTES"),
            buzones=buzones,
            url_publica=env.get("VD_URL_PUBLICA", "http://127.0.0.1:8000").rstrip("/"),
            clave_local=env.get("VD_CLAVE_LOCAL", ""),
            cognito_issuer=env.get("VD_COGNITO_ISSUER", ""),
            cognito_client_id=env.get("VD_COGNITO_CLIENT_ID", ""),
            pepper_ci=env.get("VD_PEPPER_CI", ""),
            kms_key_id=env.get("VD_KMS_KEY_ID", ""),
            configuracion_ses=env.get("VD_SES_CONFIGURATION_SET", ""),
            minutos_primera_respuesta=int(env.get("VD_MINUTOS_PRIMERA_RESPUESTA", "60")),
            dynamodb_host=env.get("AWS_ENDPOINT_URL") or None,
            meta_app_secrets=tuple(s.strip() for s in env.get("VD_META_APP_SECRETS", "").split(",") if s.strip()),
            meta_verify_token=env.get("VD_META_VERIFY_TOKEN", ""),
            graph_url=env.get("VD_GRAPH_URL", "https://graph.facebook.com/v21.0").rstrip("/"),
            graph_token=env.get("VD_GRAPH_TOKEN", ""),
            botmaker_token=env.get("VD_BOTMAKER_TOKEN", ""),
            botmaker_cabecera=env.get("VD_BOTMAKER_CABECERA", "auth-bm-token").strip().lower() or "auth-bm-token",
        )
        if settings.es_local and not settings.clave_local:
            raise ConfiguracionIncompleta("Missing environment variable VD_CLAVE_LOCAL (local stage signing key)")
        if not settings.es_local and not (settings.cognito_issuer and settings.cognito_client_id):
            raise ConfiguracionIncompleta("Missing VD_COGNITO_ISSUER / VD_COGNITO_CLIENT_ID outside the local stage")
        if not settings.pepper_ci:
            raise ConfiguracionIncompleta("Missing environment variable VD_PEPPER_CI")
        return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def stage_name() -> str:
    """The stage, readable at import time without validating the rest (used to register local-only routes)."""
    return os.environ.get("VD_STAGE", LOCAL_STAGE)


def stream_arn_entrantes() -> str:
    """The inbound table's stream ARN (event source of ``on_entrante``), needed at import time."""
    return os.environ.get(
        "VD_ENTRANTES_STREAM_ARN",
        "arn:aws:dynamodb:us-east-1:123456789012:table/vd-entrantes/stream/local",
    )


def stream_arn_solicitudes() -> str:
    """The requests table's stream ARN, needed when the app module is imported (decorator argument)."""
    return os.environ.get(
        "VD_SOLICITUDES_STREAM_ARN",
        "arn:aws:dynamodb:us-east-1:123456789012:table/vd-solicitudes/stream/local",
    )
