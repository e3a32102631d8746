"""``BuzonEntrante`` on S3: the raw MIME the SES receipt rule's S3 action stored, parsed with stdlib ``email``.

The receipt rule writes each message to ``s3://<bucket entrantes>/<prefix><SES messageId>`` (prefix ``correo/``)
before its Lambda action runs, so the handler loads it by the id the event carries. Parsing uses
``email.policy.default``; addresses are lower-cased, bodies get ``\\n`` line ends, inline images that the HTML
shows (``multipart/related`` parts with a Content-ID) are not attachments.

Anyone can write to any address of the domain, so a message is bounded before the parser sees it (issue 16): its
size (``ContentLength`` of the object, before its body is read), and its part count and nesting depth from a cheap
pre-scan of the raw bytes (``examinar``: regular expressions over the bytes, no email parser). A message over a
limit, one the parser fails on (``RecursionError`` included), or one whose author is not exactly one mailbox (one
From header holding one mailbox, at most one Sender: RFC 5322 §3.6.2, RFC 7489 §6.6.1) comes back as a
``CorreoEntrante`` with ``rechazo`` set, which the inbound use case records and refuses; nothing raises.
"""

from __future__ import annotations

import re
from email import policy
from email.errors import InvalidHeaderDefect
from email.headerregistry import AddressHeader
from email.message import EmailMessage, Message
from email.parser import BytesParser
from functools import cached_property
from typing import Any

from chalicelib.adapters.clientes_aws import cliente
from chalicelib.domain.correo import (
    MAX_BYTES_CORREO,
    MAX_LINEAS,
    MAX_PARTES,
    MAX_PROFUNDIDAD,
    AdjuntoEntrante,
    CorreoEntrante,
    CorreoNoDisponible,
    ids_de_mensaje,
)
from chalicelib.domain.errors import ServicioExternoNoDisponible

_ID_VALIDO = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_DIRECCION = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w.-]{1,255}")
"""An address in an unstructured header, bounded and anchored at a word start (the unbounded form took
quadratic time on a long run of word characters without an "@": a 100 kB Delivered-To header took ~40 s)."""
_DKIM_D = re.compile(r"(?:^|;)\s*d=([^;\s]+)")
_PRECEDENCIA_AUTOMATICA = frozenset({"bulk", "junk", "list", "auto_reply"})

_DECLARACION = re.compile(rb"(?<![^\r\n])content-type[ \t]*+:((?:[^\r\n]|\r\n[ \t]|\r[ \t]|\n[ \t])*+)", re.IGNORECASE)
"""A Content-Type header at a line start, with its folded continuation lines (possessive: linear)."""
_CONTENEDOR = re.compile(rb"^\s*+(?:multipart|message)\s*+/", re.IGNORECASE)


class S3BuzonEntrante:
    def __init__(self, *, bucket: str, prefijo: str, region: str) -> None:
        self.bucket = bucket
        self.prefijo = prefijo
        self._region = region

    @cached_property
    def _s3(self) -> Any:
        return cliente("s3", self._region)

    def cargar(self, message_id: str) -> CorreoEntrante:
        from botocore.exceptions import BotoCoreError, ClientError

        if not _ID_VALIDO.match(message_id):
            raise CorreoNoDisponible(f"Identificador de correo inválido: {message_id[:60]!r}.")
        clave = self.prefijo + message_id
        try:
            objeto = self._s3.get_object(Bucket=self.bucket, Key=clave)
            if int(objeto.get("ContentLength") or 0) > MAX_BYTES_CORREO:
                objeto["Body"].close()  # refused unread: the object stays in the bucket for review
                return CorreoEntrante(message_id=message_id, remitente="", rechazo="correo_demasiado_grande")
            crudo = objeto["Body"].read(MAX_BYTES_CORREO + 1)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise CorreoNoDisponible(f"El correo {message_id} no está en s3://{self.bucket}/{clave}.") from exc
            raise ServicioExternoNoDisponible(f"No se pudo leer el correo {message_id} de S3.") from exc
        except BotoCoreError as exc:
            raise ServicioExternoNoDisponible(f"No se pudo leer el correo {message_id} de S3.") from exc
        return parsear_mime(message_id, crudo)


def parsear_mime(message_id: str, crudo: bytes) -> CorreoEntrante:
    """A raw RFC 5322 message as the domain's ``CorreoEntrante``; never raises: a message over the limits, that the
    parser fails on, or without exactly one author comes back with ``rechazo`` set (a key of ``domain.correo.INADMISIBLES``)."""
    motivo = examinar(crudo)
    if motivo is not None:
        return CorreoEntrante(message_id=message_id, remitente="", rechazo=motivo)
    try:
        return _leer(message_id, BytesParser(policy=policy.default).parsebytes(crudo))
    except Exception:  # RecursionError, or any parser defect that escapes the policy: refused, never retried
        return CorreoEntrante(message_id=message_id, remitente="", rechazo="correo_ilegible")


def examinar(crudo: bytes) -> str | None:
    """The reason to refuse a raw message unparsed (a key of ``domain.correo.INADMISIBLES``), or None: its size and
    line count, then its MIME parts and nesting counted from the bytes alone, the way the parser would find them,
    and over-counted when unsure.

    Each Content-Type of a multipart or message type opens a container (its boundary read with ``email``'s own
    parameter parsing, on that one header); a line ``--<boundary>`` of an open container starts a part and closes
    what was opened inside it, ``--<boundary>--`` closes it. Linear: two regular-expression scans of the bytes and
    a Python step per declaration or delimiter, stopping at the first limit passed."""
    if len(crudo) > MAX_BYTES_CORREO:
        return "correo_demasiado_grande"
    if crudo.count(b"\n") + crudo.count(b"\r") - crudo.count(b"\r\n") > MAX_LINEAS:  # the parser's line ends
        return "demasiadas_lineas"
    declaraciones: list[tuple[int, bytes | None]] = []
    corte = len(crudo)  # past MAX_PARTES declarations only the bytes before the next one are scanned, for depth
    for coincidencia in _DECLARACION.finditer(crudo):
        valor = coincidencia.group(1)
        if not _CONTENEDOR.match(valor):
            continue
        if len(declaraciones) >= MAX_PARTES:
            corte = coincidencia.start()
            break
        declaraciones.append((coincidencia.start(), _frontera(valor)))
    if not declaraciones:
        return None
    fronteras = {f for _, f in declaraciones if f is not None}
    eventos: list[tuple[int, int, bytes | None, bool]] = [(p, 0, f, False) for p, f in declaraciones]
    if fronteras:
        alternativas = b"|".join(re.escape(f) for f in sorted(fronteras, key=len, reverse=True))
        delimitador = re.compile(rb"(?<![^\r\n])--(" + alternativas + rb")(--)?[ \t]*+(?=[\r\n]|\Z)")
        for coincidencia in delimitador.finditer(crudo, 0, corte):
            if len(eventos) > len(declaraciones) + 3 * MAX_PARTES:  # parts, closes and stray look-alikes
                return "demasiadas_partes"
            eventos.append((coincidencia.start(), 1, coincidencia.group(1), coincidencia.group(2) is not None))
    eventos.sort(key=lambda x: (x[0], x[1]))
    abiertos: list[bytes | None] = []  # boundaries of the open containers (None: an enclosed message)
    partes = 0
    for _, tipo, frontera, cierre in eventos:
        if tipo == 0:
            abiertos.append(frontera)
            if len(abiertos) > MAX_PROFUNDIDAD:
                return "anidamiento_excesivo"
            continue
        nivel = next((i for i in range(len(abiertos) - 1, -1, -1) if abiertos[i] == frontera), None)
        if nivel is None:
            continue  # a line that looks like a delimiter of a container not open here: body text
        del abiertos[nivel if cierre else nivel + 1 :]
        if not cierre:
            partes += 1
            if partes > MAX_PARTES:
                return "demasiadas_partes"
    return "demasiadas_partes" if corte < len(crudo) else None


def _frontera(valor: bytes) -> bytes | None:
    """The boundary of a multipart Content-Type value as ``email`` reads it (None for message/* or without one)."""
    cabecera = Message()
    cabecera["Content-Type"] = re.sub(rb"\r\n|\r|\n", b"", valor).decode("ascii", "surrogateescape").strip()
    if cabecera.get_content_maintype() != "multipart":
        return None
    frontera = cabecera.get_boundary()
    return frontera.encode("ascii", "surrogateescape") if frontera is not None else None


def _leer(message_id: str, mensaje: Any) -> CorreoEntrante:
    assert isinstance(mensaje, EmailMessage)
    remitente, rechazo = _autor(mensaje)
    destinatarios = [
        d for nombre in ("To", "Cc", "Delivered-To", "X-Original-To") for d in _direcciones(mensaje, nombre)
    ]
    referencias = ids_de_mensaje(_cabecera(mensaje, "In-Reply-To"))
    referencias += [r for r in reversed(ids_de_mensaje(_cabecera(mensaje, "References"))) if r not in referencias]
    return CorreoEntrante(
        message_id=message_id,
        remitente=remitente,
        rechazo=rechazo,
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


def _autor(mensaje: EmailMessage) -> tuple[str, str | None]:
    """The author (lower case) and None, or "" and the reason to refuse the message.

    Exactly one From header holding exactly one mailbox (RFC 7489 §6.6.1: DMARC binds one author domain, so a
    message with several is rejected; a second mailbox the header parser drops as invalid counts too). The Sender
    header names the agent that transmitted it (RFC 5322 §3.6.2): it never replaces the author, whom
    authorisation checks; more than one Sender, or one with several mailboxes, is malformed."""
    try:
        autores = mensaje.get_all("From") or []
        agentes = mensaje.get_all("Sender") or []
    except (ValueError, IndexError, TypeError):
        return "", "remitente_ambiguo"
    if len(agentes) > 1 or any(_buzon_unico(a) is None for a in agentes):
        return "", "sender_multiple"
    autor = _buzon_unico(autores[0]) if len(autores) == 1 else None
    return (autor, None) if autor else ("", "remitente_ambiguo")


def _buzon_unico(cabecera: Any) -> str | None:
    """The one mailbox of an address header, lower case; None if it holds none, several, a group or an invalid one."""
    if not isinstance(cabecera, AddressHeader):
        return None
    if any(isinstance(d, InvalidHeaderDefect) for d in getattr(cabecera, "defects", ())):  # a dropped mailbox
        return None
    if len(cabecera.addresses) != 1 or any(g.display_name is not None for g in cabecera.groups):
        return None
    direccion = cabecera.addresses[0].addr_spec
    local, arroba, dominio = direccion.rpartition("@")
    return direccion.lower() if local and arroba and dominio else None


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
