"""The one place AWS clients are built: every client fails fast and retries once (issue 19).

boto3's defaults (60 s connect, 60 s read, "legacy" mode with 5 attempts) let a stalled endpoint hold a request for
minutes, past API Gateway's 29 s; the caller then sees a 504 and cannot tell what was written. Here every client has
a short connect and read timeout and botocore's "standard" retry mode with two attempts (one retry, jittered backoff
of at most 1 s), so one call costs at most ``peor_caso_llamada()`` and a door answers 503 well within 10 s. The
pynamodb models and the transactions' connection get the same figures (``dynamo_tables.bind``), and the function
timeouts in ``.chalice/config.json`` are derived from them (``FUNCIONES``, checked by tests/unit/test_clientes_aws.py).

Why these numbers: TCP and TLS to an in-region endpoint take tens of milliseconds, so an unfinished connect after
0.5 s is a dead endpoint and the retry may reach another address; DynamoDB, S3, KMS and SSM answer small requests in
tens of milliseconds (p99 well under 1 s), so a read that waits 1 s is a stall, not a slow answer. SES v2 gets a
longer read (3 s): sending is not idempotent, and a retry after a timeout may send the message twice.
Timeouts bound each socket wait, not the whole call: a backend that trickles bytes can take longer, and the Lambda
timeout is the last bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

MODO_REINTENTOS: Final = "standard"
INTENTOS: Final = 2
"""Total attempts per call (the first plus one retry): the callers (Meta, Botmaker, the gateway, the form) retry too."""
CONEXION_SEGUNDOS: Final = 0.5
LECTURA_SEGUNDOS: Final = 1.0
ESPERA_BASE_SEGUNDOS: Final = 1.0
"""botocore's standard mode waits ``random() * base * 2 ** i`` s before retry ``i + 1``; ``base`` is 1 s after a
throttling error (50 ms otherwise, 25 ms for DynamoDB), so at most 1 s before the second attempt. Not counted: a
server-sent ``x-amz-retry-after`` (at most 5 s more), which comes with an answer, never with a stall."""

LECTURA_POR_SERVICIO: Final[dict[str, float]] = {"sesv2": 3.0}
"""Read timeout overrides: sending mail is not idempotent, so wait longer rather than retry."""


LIMITE_API_GATEWAY: Final = 29.0
"""API Gateway's integration timeout: past it the caller gets a 504 while the function may still be writing."""


def lectura(servicio: str) -> float:
    return LECTURA_POR_SERVICIO.get(servicio, LECTURA_SEGUNDOS)


def peor_caso_llamada(servicio: str = "dynamodb") -> float:
    """Seconds one call can take at most: every attempt waits the whole connect and read timeouts, plus backoffs."""
    esperas = sum(min(ESPERA_BASE_SEGUNDOS * 2.0**i, 20.0) for i in range(INTENTOS - 1))
    return INTENTOS * (CONEXION_SEGUNDOS + lectura(servicio)) + esperas


@dataclass(frozen=True)
class Funcion:
    """A function's or door's worst cases: ``llamadas`` AWS calls in series plus ``correos`` SES sends when every call
    succeeds at its last moment; with a stalled backend the first call fails, then ``limpieza`` calls of its error
    path (releasing a claim) fail too before the error is answered."""

    llamadas: int
    correos: int = 0
    limpieza: int = 0
    motivo: str = ""

    def peor_caso(self) -> float:
        return self.llamadas * peor_caso_llamada() + self.correos * peor_caso_llamada("sesv2")

    def peor_caso_en_falla(self) -> float:
        return (1 + self.limpieza) * peor_caso_llamada()


PUERTAS: Final[dict[str, Funcion]] = {
    "POST /solicitud": Funcion(2, motivo="conditional put of the submission; a repeated one reads the first receipt"),
    "POST /webhooks/meta": Funcion(3, motivo="SSM secret (cold, cached 5 min), S3 raw body (only >100 KB), put"),
    "POST /webhooks/botmaker": Funcion(3, motivo="same as Meta's"),
    "POST /webhooks/pagos": Funcion(6, limpieza=1, motivo="SSM, claim, read, read+transaction, complete; release"),
}
"""HTTP doors: AWS calls made in series before they answer (services/webhooks, formulario, pagos). With a stalled
backend each answers 503 after ``peor_caso_en_falla()`` (under 10 s); ``peor_caso()`` bounds the API's timeout."""

FUNCIONES: Final[dict[str, Funcion]] = {
    "api_handler": max(PUERTAS.values(), key=Funcion.peor_caso),
    "on_entrante": Funcion(25 * 4, motivo="batch 25: read, S3 raw body, items put 16 at a time, mark"),
    "on_solicitud_change": Funcion(
        25 * 4, 25, motivo="batch 25: dashboard read + transaction, idempotency claim and completion, one email"
    ),
    "on_correo_entrante": Funcion(12, 2, motivo="S3 MIME, attachments to S3, request write, reply"),
    "on_notificacion_ses": Funcion(10, motivo="suppression puts for the bounced recipients"),
    "remind_help_desk": Funcion(60, 20, motivo="follow-up query and reminders, bounded per run"),
    "escalate_unattended": Funcion(60, 20, motivo="unattended query and escalations"),
    "remind_requirements": Funcion(60, 20, motivo="pending-requirements query and reminders"),
    "send_unattended_digest": Funcion(20, 2, motivo="queries and one digest"),
    "send_monthly_report": Funcion(40, 2, motivo="month queries, chart, report mail"),
    "warn_projection": Funcion(20, 2, motivo="37 aggregate items, the open sales per state, one warning mail"),
    "reenviar_informe_mensual": Funcion(40, 2, motivo="same as the monthly report"),
    "retry_pending_sends": Funcion(60, 20, motivo="pending queues until its 120 s budget, then the last one"),
}
"""Every function's worst case; its ``lambda_timeout`` in .chalice/config.json is above it (the API's under 29 s)."""


def configuracion(servicio: str, **config_extra: Any) -> Any:
    """The botocore ``Config`` of ``servicio``'s clients (``config_extra`` adds options, e.g. ``signature_version``)."""
    from botocore.config import Config

    return Config(
        connect_timeout=CONEXION_SEGUNDOS,
        read_timeout=lectura(servicio),
        retries={"mode": MODO_REINTENTOS, "total_max_attempts": INTENTOS},
        **config_extra,
    )


def cliente(servicio: str, region: str | None, **config_extra: Any) -> Any:
    """A boto3 client of ``servicio`` with the failure-ready configuration (endpoint from the environment:
    ``AWS_ENDPOINT_URL`` points the local stage at moto). ``region`` None is boto3's default region."""
    import boto3

    return boto3.client(servicio, region_name=region, config=configuracion(servicio, **config_extra))


def preparado(client: Any) -> bool:
    """Whether a botocore client has this module's retries and timeouts (tests and the SSM provider check it)."""
    config = client.meta.config
    servicio = client.meta.service_model.service_name
    reintentos = config.retries or {}
    return bool(
        reintentos.get("mode") == MODO_REINTENTOS
        and reintentos.get("total_max_attempts") == INTENTOS
        and config.connect_timeout == CONEXION_SEGUNDOS
        and config.read_timeout == lectura(servicio)
    )
