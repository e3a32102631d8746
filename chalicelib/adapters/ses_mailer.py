"""SesMailer: sends raw MIME through SES v2 so that both bodies and attachments survive."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cached_property
from typing import Any

from chalicelib.domain.errors import CorreoNoEnviado
from chalicelib.domain.ports import CorreoSaliente


def construir_mime(correo: CorreoSaliente, remitente: str) -> EmailMessage:
    """The MIME message: multipart/alternative (text, html) plus attachments, UTF-8 headers."""
    mensaje = EmailMessage()
    mensaje["From"] = remitente
    mensaje["To"] = ", ".join(correo.para)
    if correo.cc:
        mensaje["Cc"] = ", ".join(correo.cc)
    if correo.responder_a:
        mensaje["Reply-To"] = correo.responder_a
    mensaje["Subject"] = correo.asunto
    mensaje["Date"] = formatdate(localtime=False)
    mensaje["Message-ID"] = make_msgid(domain=remitente.split("@", 1)[1])
    for nombre, valor in correo.cabeceras.items():
        mensaje[nombre] = valor
    mensaje.set_content(correo.texto)
    mensaje.add_alternative(correo.html, subtype="html")
    for adjunto in correo.adjuntos:
        principal, _, secundario = adjunto.tipo.partition("/")
        mensaje.add_attachment(
            adjunto.contenido, maintype=principal, subtype=secundario or "octet-stream", filename=adjunto.nombre
        )
    return mensaje


class SesMailer:
    def __init__(self, *, remitente: str, region: str, configuracion: str = "") -> None:
        self._remitente = remitente
        self._region = region
        self._configuracion = configuracion

    @cached_property
    def _ses(self) -> Any:
        import boto3

        return boto3.client("sesv2", region_name=self._region)

    def enviar(self, correo: CorreoSaliente) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        mime = construir_mime(correo, self._remitente)
        destinos = list(dict.fromkeys([*correo.para, *correo.cc]))
        peticion: dict[str, Any] = {
            "FromEmailAddress": self._remitente,
            "Destination": {"ToAddresses": list(correo.para), "CcAddresses": list(correo.cc)},
            "Content": {"Raw": {"Data": mime.as_bytes()}},
        }
        if self._configuracion:
            peticion["ConfigurationSetName"] = self._configuracion
        try:
            respuesta = self._ses.send_email(**peticion)
        except (ClientError, BotoCoreError) as exc:
            raise CorreoNoEnviado(f"No se pudo enviar el correo a {', '.join(destinos)}.") from exc
        return str(respuesta["MessageId"])
