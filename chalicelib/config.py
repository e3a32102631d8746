"""Settings: one typed object, read once from the environment. The only module that reads ``os.environ``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from chalicelib.adapters.secretos import SECRETOS
from chalicelib.domain.model import Buzones

LOCAL_STAGE = "local"
APP_NAME = "ventas-digitales"
"""The Chalice ``app_name``: deployed functions are named ``<app_name>-<stage>-<function>``."""
FUNCION_REENVIO_INFORME = "reenviar_informe_mensual"
"""The pure Lambda function that draws and resends the monthly report (chalicelib/handlers/reportes.py)."""
CUENTA_BANCARIA_LOCAL = "Banco Unión S.A. — Cta. Cte. 1-0000000 — COMTECO R.L."
"""Sample account shown in payment instructions when ``VD_CUENTA_BANCARIA`` is not set (local stage only)."""
DOMINIO_CORREO_LOCAL = "ventas.comteco.local"
"""Mail domain of the local stage's mailboxes (``VD_DOMINIO_CORREO`` default); never valid outside it."""
URL_PUBLICA_LOCAL = "http://127.0.0.1:8000"
MARCADOR = "REPLACE_"
"""How the placeholders of ``.chalice/config.json`` begin (a value a person fills in before deploying)."""
CORREOS: tuple[tuple[str, str, str], ...] = (
    ("remitente", "VD_CORREO_REMITENTE", "ventas-digitales"),
    ("ejecutivos", "VD_CORREO_EJECUTIVOS", "ejecutivos"),
    ("help_desk", "VD_CORREO_HELP_DESK", "helpdesk"),
    ("cobranzas", "VD_CORREO_COBRANZAS", "cobranzas"),
    ("cajas", "VD_CORREO_CAJAS", "cajas"),
    ("facturacion", "VD_CORREO_FACTURACION", "facturacion"),
    ("responsable_canales", "VD_CORREO_RC", "responsable.canales"),
    ("jefe_division", "VD_CORREO_JD", "jefe.ventas"),
    ("empresas", "VD_CORREO_EMPRESAS", "ventas.empresas"),
)
"""Each mailbox of ``Buzones``: its variable, and its local part under ``VD_DOMINIO_CORREO`` when not set."""
FUNCION_LAMBDA = r"(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}"
"""A Lambda function name, or its ARN (what ``lambda:Invoke`` accepts as ``FunctionName``)."""


class ConfiguracionIncompleta(RuntimeError):
    """A required environment variable is missing, or outside the local stage still holds a local default or a
    placeholder (fail fast at cold start, one error naming every such variable)."""


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
    acuses_por_direccion_dia: int = 3
    """Web form: acknowledgements a day to one email address (more submissions are recorded, not acknowledged)."""
    acuses_por_telefono_dia: int = 3
    """Web form: acknowledgements a day for submissions with one phone number."""
    funcion_reenvio_informe: str = ""
    """Name or ARN of the function ``POST /reportes/mensual/envio`` invokes (``VD_FUNCION_REENVIO_INFORME``;
    by default ``ventas-digitales-<stage>-reenviar_informe_mensual``). Unused on the local stage."""
    dias_aviso_proyeccion: tuple[int, ...] = (10, 20)
    """Days of the month whose business day (that day, or the next one) runs the projection's early warning
    (``VD_DIAS_AVISO_PROYECCION``, e.g. "10,20")."""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def es_local(self) -> bool:
        return self.stage == LOCAL_STAGE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        faltan: list[str] = []

        def req(nombre: str) -> str:
            valor = env.get(nombre, "").strip()
            if not valor:
                faltan.append(f"{nombre} (missing)")
            return valor

        def entero(nombre: str, defecto: int) -> int:
            """A whole, positive number setting; a bad value is named with the other problems."""
            texto = env.get(nombre, "").strip() or str(defecto)
            if not texto.isdecimal() or int(texto) <= 0:
                faltan.append(f"{nombre} (must be a whole number above 0, not {texto!r})")
                return defecto
            return int(texto)

        def dias_del_mes(nombre: str, defecto: tuple[int, ...]) -> tuple[int, ...]:
            """Comma-separated days of the month (1-31); a bad value is named with the other problems."""
            texto = env.get(nombre, "").strip()
            if not texto:
                return defecto
            partes = [p.strip() for p in texto.split(",")]
            if not all(p.isdecimal() and 1 <= int(p) <= 31 for p in partes):
                faltan.append(f"{nombre} (must be days of the month 1-31 separated by commas, not {texto!r})")
                return defecto
            return tuple(sorted({int(p) for p in partes}))

        stage = env.get("VD_STAGE", LOCAL_STAGE)
        dominio = env.get("VD_DOMINIO_CORREO", DOMINIO_CORREO_LOCAL)
        buzones = Buzones(
            **{atributo: env.get(variable, f"{local}@{dominio}") for atributo, variable, local in CORREOS}
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
            minutos_recordatorio_hd=entero("VD_MINUTOS_RECORDATORIO_HD", 120),
            minutos_escalamiento_hd=entero("VD_MINUTOS_ESCALAMIENTO_HD", 240),
            prefijo_correo_entrante=env.get("VD_PREFIJO_CORREO_ENTRANTE", "correo/"),
            buzones_autorizados=buzones_autorizados(env, buzones),
            minutos_primera_respuesta=entero("VD_MINUTOS_PRIMERA_RESPUESTA", 60),
            dias_recordatorio_requisitos=entero("VD_DIAS_RECORDATORIO_REQUISITOS", 2),
            dias_aviso_proyeccion=dias_del_mes("VD_DIAS_AVISO_PROYECCION", (10, 20)),
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
            horas_enlace=entero("VD_HORAS_ENLACE", 72),
            acuses_por_direccion_dia=entero("VD_ACUSES_POR_DIRECCION_DIA", 3),
            acuses_por_telefono_dia=entero("VD_ACUSES_POR_TELEFONO_DIA", 3),
            funcion_reenvio_informe=env.get("VD_FUNCION_REENVIO_INFORME", "").strip()
            or f"{APP_NAME}-{stage}-{FUNCION_REENVIO_INFORME}",
        )
        if settings.es_local:
            if not settings.clave_local:
                faltan.append("VD_CLAVE_LOCAL (missing: the local stage's signing key)")
            if not settings.pepper_ci:
                faltan.append("VD_PEPPER_CI (missing)")
        else:
            faltan += fuera_de_local(env)
        if faltan:
            raise ConfiguracionIncompleta(
                f"Stage {stage!r} cannot start; set these environment variables: " + "; ".join(faltan)
            )
        return settings


def fuera_de_local(env: Mapping[str, str]) -> list[str]:
    """What an AWS stage lacks: every setting that is missing, still a local default (the sample bank account,
    the ``ventas.comteco.local`` mailboxes, the loopback URL, the simulated gateway), a placeholder of
    ``.chalice/config.json`` (``REPLACE_…``), or a local-only key. One entry per variable, with the reason."""
    problemas: list[str] = []

    def valor(nombre: str) -> str:
        return env.get(nombre, "").strip()

    def exigir(nombre: str, motivo: str = "") -> str:
        texto = valor(nombre)
        if not texto:
            problemas.append(f"{nombre} (missing{': ' + motivo if motivo else ''})")
        elif MARCADOR in texto:
            problemas.append(f"{nombre} (still the placeholder {texto!r})")
        return texto

    if valor("VD_CLAVE_LOCAL"):
        problemas.append("VD_CLAVE_LOCAL (the local stage's key; it must never be set in AWS)")
    exigir("VD_COGNITO_ISSUER", "staff tokens")
    exigir("VD_COGNITO_CLIENT_ID", "staff tokens")
    exigir("VD_COGNITO_DOMINIO", "the console's sign-in")
    exigir("VD_SSM_PREFIX", "SSM path of the stage's secrets")
    exigir("VD_KMS_KEY_ID", "the data key")

    cuenta = exigir("VD_CUENTA_BANCARIA", "the payment instructions would show the local sample account")
    if cuenta == CUENTA_BANCARIA_LOCAL:
        problemas.append("VD_CUENTA_BANCARIA (is the local sample account; customers would pay into it)")

    publica = exigir("VD_URL_PUBLICA", f"the default {URL_PUBLICA_LOCAL} is the local stage's")
    if publica and MARCADOR not in publica and not _url_publica_valida(publica):
        problemas.append(f"VD_URL_PUBLICA ({publica!r} is not the stage's public https address)")

    pasarela = exigir("VD_URL_PASARELA", "the payment gateway's checkout URL with {referencia} and {monto}")
    if pasarela and MARCADOR not in pasarela:
        if not _url_publica_valida(pasarela) or "/dev/pasarela" in pasarela:
            problemas.append(f"VD_URL_PASARELA ({pasarela!r} is the simulated or a local gateway)")
        elif "{referencia}" not in pasarela:
            problemas.append("VD_URL_PASARELA (has no {referencia}: a payment could not be matched to its request)")

    dominio = valor("VD_DOMINIO_CORREO")
    derivados = [variable for _, variable, _ in CORREOS if not valor(variable)]
    if derivados and (not dominio or _dominio_local(dominio) or MARCADOR in dominio):
        estado = "missing" if not dominio else f"{dominio!r} is the local mail domain"
        problemas.append(f"VD_DOMINIO_CORREO ({estado}; the mailboxes not set one by one derive from it)")
    for _, variable, local in CORREOS:
        direccion = valor(variable) or f"{local}@{dominio or DOMINIO_CORREO_LOCAL}"
        if MARCADOR in direccion or _dominio_local(direccion.rpartition("@")[2]):
            problemas.append(f"{variable} ({direccion!r} is a local mailbox; set it or VD_DOMINIO_CORREO)")

    funcion = valor("VD_FUNCION_REENVIO_INFORME")
    if MARCADOR in funcion:
        problemas.append(f"VD_FUNCION_REENVIO_INFORME (still the placeholder {funcion!r})")
    elif funcion and not re.fullmatch(FUNCION_LAMBDA, funcion):
        problemas.append(f"VD_FUNCION_REENVIO_INFORME ({funcion!r} is not a Lambda function name or ARN)")

    for nombre in ("VD_GRAPH_URL", "VD_BOTMAKER_URL"):
        if valor(nombre) and not _url_publica_valida(valor(nombre)):
            problemas.append(f"{nombre} ({valor(nombre)!r} is the local stand-in; leave it unset or use https)")
    return problemas


def _dominio_local(dominio: str) -> bool:
    dominio = dominio.strip().lower().rstrip(".")
    return not dominio or dominio == DOMINIO_CORREO_LOCAL or dominio.endswith((".local", ".localhost", ".test"))


def _url_publica_valida(url: str) -> bool:
    """An https URL whose host is a public name (not loopback, not a local name)."""
    try:
        partes = urlsplit(url)
        anfitrion = (partes.hostname or "").lower()
    except ValueError:
        return False
    return (
        partes.scheme == "https"
        and bool(anfitrion)
        and anfitrion not in ("localhost", "::1")
        and not anfitrion.startswith(("127.", "0."))
        and not _dominio_local(anfitrion)
    )


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
