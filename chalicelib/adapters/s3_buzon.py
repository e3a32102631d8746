"""``BuzonEntrante`` on S3: the raw MIME the SES receipt rule's S3 action stored, parsed with stdlib ``email``.

The receipt rule writes each message to ``s3://<bucket entrantes>/<prefix><SES messageId>`` (prefix ``correo/``)
before its Lambda action runs, so the handler loads it by the id the event carries. Parsing uses
``email.policy.default``; addresses are lower-cased, bodies get ``\\n`` line ends, inline images that the HTML
shows (``multipart/related`` parts with a Content-ID) are not attachments.
"""

from __future__ import annotations

import re
from email import policy
from email.headerregistry import AddressHeader
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from typing import Any

from chalicelib.domain.correo import AdjuntoEntrante, CorreoEntrante, CorreoNoDisponible, ids_de_mensaje
from chalicelib.domain.errors import ServicioExternoNoDisponible

_ID_VALIDO = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_DIRECCION = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w.-]{1,255}")
"""An address in an unstructured header, bounded and anchored at a word start (the unbounded form took
quadratic time on a long run of word characters without an "@": a 100 kB Delivered-To header took ~40 s)."""
_DKIM_D = re.compile(r"(?:^|;)\s*d=([^;\s]+)")
_PRECEDENCIA_AUTOMATICA = frozenset({"bulk", "junk", "list", "auto_reply"})


class S3BuzonEntrante:
    def __init__(self, *, bucket: str, prefijo: str, region: str) -> None:
        self.bucket = bucket
        self.prefijo = prefijo
        self._region = region

    @cached_property
    def _s3(self) -> Any:
        import boto3

        return boto3.client("s3", region_name=self._region)

    def cargar(self, message_id: str) -> CorreoEntrante:
        from botocore.exceptions import BotoCoreError, ClientError

        if not _ID_VALIDO.match(message_id):
            raise CorreoNoDisponible(f"Identificador de correo inválido: {message_id[:60]!r}.")
        clave = self.prefijo + message_id
        try:
            crudo = self._s3.get_object(Bucket=self.bucket, Key=clave)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise CorreoNoDisponible(f"El correo {message_id} no está en s3://{self.bucket}/{clave}.") from exc
            raise ServicioExternoNoDisponible(f"No se pudo leer el correo {message_id} de S3.") from exc
        except BotoCoreError as exc:
            raise ServicioExternoNoDisponible(f"No se pudo leer el correo {message_id} de S3.") from exc
        return parsear_mime(message_id, crudo)


def parsear_mime(message_id: str, crudo: bytes) -> CorreoEntrante:
    """A raw RFC 5322 message as the domain's ``CorreoEntrante``."""
    mensaje = BytesParser(policy=policy.default).parsebytes(crudo)
    assert isinstance(mensaje, EmailMessage)
    remitentes = _direcciones(mensaje, "From")
    destinatarios = [
        d for nombre in ("To", "Cc", "Delivered-To", "X-Original-To") for d in _direcciones(mensaje, nombre)
    ]
    referencias = ids_de_mensaje(_cabecera(mensaje, "In-Reply-To"))
    referencias += [r for r in reversed(ids_de_mensaje(_cabecera(mensaje, "References"))) if r not in referencias]
    return CorreoEntrante(
        message_id=message_id,
        remitente=remitentes[0] if remitentes else "",
        destinatarios=tuple(dict.fromkeys(destinatarios)),
        asunto=" ".join(_cabecera(mensaje, "Subject").split()),
        cabecera_message_id=_cabecera(mensaje, "Message-ID").strip(),
        referencias=tuple(referencias),
        texto=_cuerpo(mensaje, "plain"),
        html=_cuerpo(mensaje, "html"),
        adjuntos=tuple(_adjuntos(mensaje)),
        automatico=_automatico(mensaje),
        firmas_dkim=tuple(
            dict.fromkeys(
                m.lower() for firma in mensaje.get_all("DKIM-Signature") or [] for m in _DKIM_D.findall(str(firma))
            )
        ),
    )


def _cabecera(mensaje: EmailMessage, nombre: str) -> str:
    try:
        valor = mensaje[nombre]
    except (ValueError, IndexError, TypeError):  # a header the policy cannot parse
        return ""
    return str(valor or "")


def _direcciones(mensaje: EmailMessage, nombre: str) -> list[str]:
    try:
        cabeceras = mensaje.get_all(nombre) or []
    except (ValueError, IndexError, TypeError):
        return []
    direcciones = []
    for cabecera in cabeceras:
        if isinstance(cabecera, AddressHeader):
            direcciones += [a.addr_spec.lower() for a in cabecera.addresses if a.addr_spec and "@" in a.addr_spec]
        else:
            direcciones += [m.lower() for m in _DIRECCION.findall(str(cabecera))]
    return direcciones


def _contenido(parte: EmailMessage) -> str:
    try:
        contenido = parte.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset or broken encoding
        crudo = parte.get_payload(decode=True)
        contenido = crudo.decode("utf-8", "replace") if isinstance(crudo, bytes) else str(crudo or "")
    if isinstance(contenido, bytes):
        contenido = contenido.decode("utf-8", "replace")
    return str(contenido).replace("\r\n", "\n").replace("\r", "\n")


def _cuerpo(mensaje: EmailMessage, subtipo: str) -> str:
    parte = mensaje.get_body(preferencelist=(subtipo,))
    if parte is None or parte.get_content_type() != f"text/{subtipo}":
        return ""
    assert isinstance(parte, EmailMessage)
    return _contenido(parte)


def _adjuntos(mensaje: EmailMessage, relacionado: bool = False) -> list[AdjuntoEntrante]:
    if mensaje.is_multipart():
        relacionado = relacionado or mensaje.get_content_type() == "multipart/related"
        encontrados = []
        for parte in mensaje.iter_parts():
            assert isinstance(parte, EmailMessage)
            encontrados += _adjuntos(parte, relacionado)
        return encontrados
    nombre = mensaje.get_filename()
    disposicion = mensaje.get_content_disposition()
    if not nombre and disposicion != "attachment":
        return []
    if relacionado and mensaje["Content-ID"] and disposicion != "attachment":
        return []  # an image the HTML body shows (signature logo), not a document
    crudo = mensaje.get_payload(decode=True)
    contenido = crudo if isinstance(crudo, bytes) else b""
    return [AdjuntoEntrante(nombre=nombre or "adjunto", tipo=mensaje.get_content_type(), contenido=contenido)]


def _automatico(mensaje: EmailMessage) -> bool:
    """RFC 3834 and the usual auto-responder marks: such a message is never answered nor taken as a decision."""
    auto = _cabecera(mensaje, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return True
    if any(_cabecera(mensaje, n) for n in ("X-Autoreply", "X-Autorespond", "X-Auto-Response")):
        return True
    return _cabecera(mensaje, "Precedence").strip().lower() in _PRECEDENCIA_AUTOMATICA
