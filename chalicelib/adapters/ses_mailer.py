"""SesMailer: sends raw MIME through SES v2 so that both bodies and attachments survive."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cached_property
from typing import Any

from chalicelib.adapters.clientes_aws import cliente
from chalicelib.domain.errors import CorreoNoEnviado
from chalicelib.domain.ports import CorreoSaliente


def construir_mime(correo: CorreoSaliente, remitente: str) -> EmailMessage:
    """The MIME message: multipart/alternative (text, html, the html inside multipart/related with its inline
    images when there are any) plus attachments, UTF-8 headers."""
    mensaje = EmailMessage()
    mensaje["From"] = remitente
    mensaje["To"] = ", ".join(correo.para)
    if correo.cc:
        mensaje["Cc"] = ", ".join(correo.cc)
    if correo.responder_a:
        mensaje["Reply-To"] = correo.responder_a
    mensaje["Subject"] = correo.asunto
    mensaje["Date"] = formatdate(localtime=False)
    mensaje["Message-ID"] = correo.message_id or make_msgid(domain=remitente.split("@", 1)[1])
    for nombre, valor in correo.cabeceras.items():
        mensaje[nombre] = valor
    mensaje.set_content(correo.texto)
    mensaje.add_alternative(correo.html, subtype="html")
    en_linea = [a for a in correo.adjuntos if a.content_id]
    if en_linea:  # the HTML part becomes multipart/related: the images it shows as cid:<content_id>
        parte_html = mensaje.get_body(preferencelist=("html",))
        assert isinstance(parte_html, EmailMessage)
        for adjunto in en_linea:
            principal, _, secundario = adjunto.tipo.partition("/")
            parte_html.add_related(
                adjunto.contenido,
                maintype=principal,
                subtype=secundario or "octet-stream",
                cid=f"<{adjunto.content_id}>",
                filename=adjunto.nombre,
                disposition="inline",
            )
    for adjunto in correo.adjuntos:
        if adjunto.content_id:
            continue
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
        return cliente("sesv2", self._region)

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
