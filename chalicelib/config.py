"""Settings: one typed object, read once from the environment. The only module that reads ``os.environ``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from chalicelib.adapters.secretos import SECRETOS
from chalicelib.domain.model import Buzones

LOCAL_STAGE = "local"
CUENTA_BANCARIA_LOCAL = "Banco Unión S.A. — Cta. Cte. 1-0000000 — COMTECO R.L."
"""Sample account shown in payment instructions when ``VD_CUENTA_BANCARIA`` is not set."""


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
    cognito_dominio: str = ""
    pepper_ci: str = ""
    kms_key_id: str = ""
    configuracion_ses: str = ""
    minutos_recordatorio_hd: int = 120
    minutos_escalamiento_hd: int = 240
    prefijo_correo_entrante: str = "correo/"
    buzones_autorizados: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    minutos_primera_respuesta: int = 60
    dias_recordatorio_requisitos: int = 2
    dynamodb_host: str | None = None
    meta_app_secrets: tuple[str, ...] = ()
    meta_verify_token: str = ""
    graph_url: str = "https://graph.facebook.com/v21.0"
    graph_token: str = ""
    botmaker_token: str = ""
    botmaker_cabecera: str = "auth-bm-token"
    botmaker_url: str = "https://api.botmaker.com/v2.0"
    ssm_prefijo: str = ""
    secretos_locales: Mapping[str, str] = field(default_factory=dict)
    cuenta_bancaria: str = CUENTA_BANCARIA_LOCAL
    url_pasarela: str = ""
    horas_enlace: int = 72
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
            cognito_dominio=env.get("VD_COGNITO_DOMINIO", "").strip(),
            pepper_ci=env.get("VD_PEPPER_CI", ""),
            kms_key_id=env.get("VD_KMS_KEY_ID", ""),
            configuracion_ses=env.get("VD_SES_CONFIGURATION_SET", ""),
            minutos_recordatorio_hd=int(env.get("VD_MINUTOS_RECORDATORIO_HD", "120")),
            minutos_escalamiento_hd=int(env.get("VD_MINUTOS_ESCALAMIENTO_HD", "240")),
            prefijo_correo_entrante=env.get("VD_PREFIJO_CORREO_ENTRANTE", "correo/"),
            buzones_autorizados=buzones_autorizados(env, buzones),
            minutos_primera_respuesta=int(env.get("VD_MINUTOS_PRIMERA_RESPUESTA", "60")),
            dias_recordatorio_requisitos=int(env.get("VD_DIAS_RECORDATORIO_REQUISITOS", "2")),
            dynamodb_host=env.get("AWS_ENDPOINT_URL") or None,
            meta_app_secrets=tuple(s.strip() for s in env.get("VD_META_APP_SECRETS", "").split(",") if s.strip()),
            meta_verify_token=env.get("VD_META_VERIFY_TOKEN", ""),
            graph_url=env.get("VD_GRAPH_URL", "https://graph.facebook.com/v21.0").rstrip("/"),
            graph_token=env.get("VD_GRAPH_TOKEN", ""),
            botmaker_token=env.get("VD_BOTMAKER_TOKEN", ""),
            botmaker_url=env.get("VD_BOTMAKER_URL", "https://api.botmaker.com/v2.0").rstrip("/"),
            botmaker_cabecera=env.get("VD_BOTMAKER_CABECERA", "auth-bm-token").strip().lower() or "auth-bm-token",
            ssm_prefijo=env.get("VD_SSM_PREFIX", "").strip().rstrip("/"),
            secretos_locales={n: env.get(v, "") for n, v in SECRETOS.items()} if stage == LOCAL_STAGE else {},
            cuenta_bancaria=env.get("VD_CUENTA_BANCARIA", "").strip() or CUENTA_BANCARIA_LOCAL,
            url_pasarela=_url_pasarela(env, stage),
            horas_enlace=int(env.get("VD_HORAS_ENLACE", "72")),
        )
        if settings.es_local and not settings.clave_local:
            raise ConfiguracionIncompleta("Missing environment variable VD_CLAVE_LOCAL (local stage signing key)")
        if not settings.es_local and settings.clave_local:
            raise ConfiguracionIncompleta("VD_CLAVE_LOCAL is the local stage's key and must never be set in AWS")
        if not settings.es_local and not (settings.cognito_issuer and settings.cognito_client_id):
            raise ConfiguracionIncompleta("Missing VD_COGNITO_ISSUER / VD_COGNITO_CLIENT_ID outside the local stage")
        if not settings.es_local and not settings.ssm_prefijo:
            raise ConfiguracionIncompleta("Missing VD_SSM_PREFIX (SSM path of the stage's secrets) outside local")
        if settings.es_local and not settings.pepper_ci:
            raise ConfiguracionIncompleta("Missing environment variable VD_PEPPER_CI")
        return settings


def _url_pasarela(env: Mapping[str, str], stage: str) -> str:
    """The payment gateway's checkout URL (``{referencia}``, ``{monto}``); locally the simulated gateway."""
    configurada = env.get("VD_URL_PASARELA", "").strip()
    if configurada or stage != LOCAL_STAGE:
        return configurada
    return env.get("VD_URL_PUBLICA", "http://127.0.0.1:8000").rstrip("/") + "/dev/pasarela/{referencia}"


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


def topico_notificaciones_ses() -> str:
    """The SNS topic SES publishes bounces and complaints to (event source of ``on_notificacion_ses``)."""
    return os.environ.get("VD_TOPICO_NOTIFICACIONES_SES", "vd-notificaciones-ses")


BUZON_DE_ROL = {
    "EJ": "ejecutivos",
    "HD": "help_desk",
    "CO": "cobranzas",
    "CA": "cajas",
    "FA": "facturacion",
    "RC": "responsable_canales",
    "JD": "jefe_division",
}


def buzones_autorizados(env: Mapping[str, str], buzones: Buzones) -> dict[str, tuple[str, ...]]:
    """Who may answer a role's questions by email: ``VD_BUZONES_<ROL>`` (comma-separated addresses), else the
    role's mailbox. Lower case."""
    autorizados = {}
    for rol, atributo in BUZON_DE_ROL.items():
        lista = env.get(f"VD_BUZONES_{rol}", "") or getattr(buzones, atributo)
        autorizados[rol] = tuple(dict.fromkeys(d.strip().lower() for d in lista.split(",") if d.strip()))
    return autorizados
