"""Local SMTP intake: the stand-in for the SES receipt rule on the local stage (aiosmtpd on 127.0.0.1:2525).

For each message accepted for the system's mail domain it does what the receipt rule does in AWS: stores the raw
MIME in the inbound bucket under ``correo/<messageId>`` (S3 action), then invokes ``on_correo_entrante`` with an
SES-shaped event (Lambda action: ``Records[].eventSource = "aws:ses"``, ``ses.mail`` with the headers, and
``ses.receipt`` with the recipients and the verdicts). The SMTP answer waits for the handler, so when ``smtplib``
returns the reply has been applied.

Verdicts are all PASS unless the message carries the test-only header ``X-Veredicto-Local`` (e.g.
``X-Veredicto-Local: dmarc=FAIL`` or ``spf=FAIL, virus=FAIL``): that is how a person simulates a forged or infected
mail here. The header means nothing in AWS, where SES computes the verdicts.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import Any

logger = logging.getLogger(__name__)

VEREDICTOS = ("spf", "dkim", "dmarc", "spam", "virus")
CABECERA_VEREDICTO = "X-Veredicto-Local"
_PAR = re.compile(r"(spf|dkim|dmarc|spam|virus)\s*[=:]\s*([A-Za-z_]+)", re.IGNORECASE)

Invocador = Callable[[str, dict[str, Any]], Any]


def veredictos_locales(mensaje: Any) -> dict[str, str]:
    """PASS for every verdict, except those the ``X-Veredicto-Local`` header overrides."""
    veredictos = dict.fromkeys(VEREDICTOS, "PASS")
    for valor in mensaje.get_all(CABECERA_VEREDICTO) or []:
        for nombre, estado in _PAR.findall(str(valor)):
            veredictos[nombre.lower()] = estado.upper()
    return veredictos


def evento_ses(
    message_id: str, remitente_sobre: str, destinatarios: list[str], crudo: bytes, ahora: datetime
) -> dict[str, Any]:
    """The SES receipt rule's Lambda-action event for a message (shape of the AWS documentation)."""
    mensaje = BytesParser(policy=policy.compat32).parsebytes(crudo, headersonly=True)
    veredictos = veredictos_locales(mensaje)
    marca = ahora.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def lista(nombre: str) -> list[str]:
        return [str(v) for v in mensaje.get_all(nombre) or []]

    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": marca,
                        "source": remitente_sobre,
                        "messageId": message_id,
                        "destination": destinatarios,
                        "headersTruncated": False,
                        "headers": [{"name": k, "value": str(v)} for k, v in mensaje.items()],
                        "commonHeaders": {
                            "returnPath": remitente_sobre,
                            "from": lista("From"),
                            "date": str(mensaje.get("Date", "")),
                            "to": lista("To"),
                            "cc": lista("Cc"),
                            "messageId": str(mensaje.get("Message-ID", "")),
                            "subject": str(mensaje.get("Subject", "")),
                        },
                    },
                    "receipt": {
                        "timestamp": marca,
                        "processingTimeMillis": 1,
                        "recipients": destinatarios,
                        **{f"{v}Verdict": {"status": veredictos[v]} for v in VEREDICTOS},
                        "dmarcPolicy": "reject",
                        "action": {
                            "type": "Lambda",
                            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:on_correo_entrante",
                            "invocationType": "Event",
                        },
                    },
                },
            }
        ]
    }


class _Manejador:
    def __init__(self, servidor: ServidorSmtpLocal) -> None:
        self._servidor = servidor

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.rpartition("@")[2].lower() != self._servidor.dominio:
            return f"550 5.1.1 Solo se recibe correo para @{self._servidor.dominio}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        crudo = envelope.original_content or envelope.content
        if isinstance(crudo, str):
            crudo = crudo.encode("utf-8", "surrogateescape")
        bucle = asyncio.get_running_loop()
        try:
            await bucle.run_in_executor(
                None, self._servidor.entregar, str(envelope.mail_from or ""), list(envelope.rcpt_tos), crudo
            )
        except Exception:
            logger.exception("no se pudo procesar el correo entrante local")
            return "451 4.3.0 Error procesando el correo; intente de nuevo"
        return "250 2.0.0 Mensaje aceptado"


class ServidorSmtpLocal:
    """aiosmtpd Controller that hands each accepted message to the inbound handler, like SES does."""

    def __init__(
        self,
        *,
        bucket: str,
        prefijo: str,
        dominio: str,
        invocar: Invocador,
        region: str = "us-east-1",
        host: str = "127.0.0.1",
        puerto: int = 2525,
    ) -> None:
        self.bucket = bucket
        self.prefijo = prefijo
        self.dominio = dominio.lower()
        self.host = host
        self.puerto = puerto
        self._invocar = invocar
        self._region = region
        self._controlador: Any = None
        self.entregados: list[dict[str, Any]] = []

    def entregar(self, remitente_sobre: str, destinatarios: list[str], crudo: bytes) -> Any:
        """Store the raw message (S3 action) and invoke the handler with the SES event (Lambda action)."""
        import boto3

        message_id = secrets.token_hex(20)
        boto3.client("s3", region_name=self._region).put_object(
            Bucket=self.bucket, Key=self.prefijo + message_id, Body=crudo, ContentType="message/rfc822"
        )
        evento = evento_ses(message_id, remitente_sobre, destinatarios, crudo, datetime.now(UTC))
        resultado = self._invocar("on_correo_entrante", evento)
        self.entregados.append({"message_id": message_id, "evento": evento, "resultado": resultado})
        logger.info("correo entrante local", extra={"ses_message_id": message_id, "resultado": resultado})
        return resultado

    def iniciar(self) -> ServidorSmtpLocal:
        from aiosmtpd.controller import Controller

        self._controlador = Controller(
            _Manejador(self), hostname=self.host, port=self.puerto, data_size_limit=40 * 1024 * 1024
        )
        self._controlador.start()
        return self

    def detener(self) -> None:
        if self._controlador is not None:
            self._controlador.stop()
            self._controlador = None

    def __enter__(self) -> ServidorSmtpLocal:
        return self.iniciar()

    def __exit__(self, *_: object) -> None:
        self.detener()


def desde_settings(
    settings: Any, invocar: Invocador, *, puerto: int = 2525, host: str = "127.0.0.1"
) -> ServidorSmtpLocal:
    """The local SMTP intake wired to the stage's inbound bucket and mail domain."""
    return ServidorSmtpLocal(
        bucket=settings.bucket_entrantes,
        prefijo=settings.prefijo_correo_entrante,
        dominio=settings.buzones.remitente.rpartition("@")[2],
        invocar=invocar,
        region=settings.region,
        host=host,
        puerto=puerto,
    )
