"""What SES "sent" on the local stage, read back from moto (`GET /dev/outbox`).

moto keeps every sent email in memory and exposes it at ``{endpoint}/moto-api/data.json``:
- ``ses.RawMessage[]`` (sesv2 ``Raw`` and ``send_raw_email``): ``id``, ``source``, ``destinations``, ``raw_data``
  (the MIME text, decoded from UTF-8);
- ``ses.Message[]`` (sesv2 ``Simple`` and ``send_email``): ``id``, ``source``, ``subject``, ``body`` (only one body:
  the HTML one when both were given), ``destinations`` ({"ToAddresses", "CcAddresses", "BccAddresses"}).
Each list is in sending order, but the two lists are separate: raw messages (the app's only kind) come first.
"""

from __future__ import annotations

import html
from email import policy
from email.headerregistry import AddressHeader
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import requests

_HEADERS_KEPT = ("Message-ID", "In-Reply-To", "X-VD-Solicitud", "X-VD-Reaccion")


def leer_outbox(endpoint: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Every email moto accepted, oldest first, as plain dicts (addresses without display names)."""
    response = requests.get(f"{endpoint.rstrip('/')}/moto-api/data.json", timeout=timeout)
    response.raise_for_status()
    ses = response.json().get("ses", {})
    messages = [_from_raw(item) for item in ses.get("RawMessage", [])]
    messages += [_from_simple(item) for item in ses.get("Message", [])]
    return messages


def _from_raw(item: dict[str, Any]) -> dict[str, Any]:
    raw = item.get("raw_data") or ""
    parsed = BytesParser(policy=policy.default).parsebytes(raw.encode("utf-8", "surrogateescape"))
    to = _addresses(parsed, "To")
    cc = _addresses(parsed, "Cc")
    if not to and not cc:
        to = list(dict.fromkeys(str(d) for d in item.get("destinations", [])))
    sender = _addresses(parsed, "From")
    reply_to = _addresses(parsed, "Reply-To")
    text, body_html = _bodies(parsed)
    return {
        "to": to,
        "cc": cc,
        "from": sender[0] if sender else str(item.get("source") or ""),
        "reply_to": ", ".join(reply_to) if reply_to else None,
        "subject": str(parsed.get("Subject", "")),
        "text": text,
        "html": body_html,
        "attachments": _attachments(parsed),
        "sent_at": _date(parsed),
        "message_id": str(item.get("id", "")),
        "headers": {name: str(parsed[name]) for name in _HEADERS_KEPT if parsed[name] is not None},
    }


def _from_simple(item: dict[str, Any]) -> dict[str, Any]:
    destinations = item.get("destinations") or {}
    body = str(item.get("body") or "")
    looks_html = body.lstrip().startswith("<")
    return {
        "to": list(destinations.get("ToAddresses", [])),
        "cc": list(destinations.get("CcAddresses", [])),
        "from": str(item.get("source") or ""),
        "reply_to": None,
        "subject": str(item.get("subject") or ""),
        "text": "" if looks_html else body,
        "html": body if looks_html else "",
        "attachments": [],
        "sent_at": None,
        "message_id": str(item.get("id", "")),
        "headers": {},
    }


def _addresses(message: EmailMessage, name: str) -> list[str]:
    header = message[name]
    if header is None:
        return []
    if isinstance(header, AddressHeader):
        return [address.addr_spec for address in header.addresses]
    return [part.strip() for part in str(header).split(",") if part.strip()]


def _bodies(message: EmailMessage) -> tuple[str, str]:
    found = []
    for kind in ("plain", "html"):
        part = message.get_body(preferencelist=(kind,))
        content = part.get_content() if part is not None and part.get_content_subtype() == kind else ""
        found.append(str(content).replace("\r\n", "\n"))
    return found[0], found[1]


def _attachments(message: EmailMessage) -> list[dict[str, Any]]:
    out = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if part.get_content_disposition() != "attachment" and not filename:
            continue
        payload = part.get_payload(decode=True)
        out.append(
            {
                "filename": filename or "",
                "content_type": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return out


def _date(message: EmailMessage) -> str | None:
    header = message["Date"]
    moment = getattr(header, "datetime", None)
    return moment.isoformat() if moment is not None else None


# -- HTML view ------------------------------------------------------------------------------------------------------

ESTILO_PAGINA = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f3f4f6;color:#111827}
header{background:#1f2937;color:#fff;padding:1rem 1.5rem}
header h1{margin:0;font-size:1.25rem}
main{max-width:60rem;margin:0 auto;padding:1rem}
article{background:#fff;border:1px solid #d1d5db;border-radius:.5rem;margin:0 0 1rem;padding:1rem 1.25rem}
article h2{margin:0 0 .5rem;font-size:1.1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .75rem;margin:0 0 .75rem;font-size:.9rem}
dt{font-weight:600;color:#374151}
dd{margin:0;word-break:break-all}
.vacio{color:#6b7280}
"""
"""The styles every local-stage page shares (this outbox, ``localstage.mensajes``)."""

_STYLE = """
pre{white-space:pre-wrap;background:#f9fafb;border:1px solid #e5e7eb;padding:.75rem;border-radius:.25rem}
iframe{width:100%;height:24rem;border:1px solid #e5e7eb;border-radius:.25rem;background:#fff}
"""


def pagina_html(titulo: str, encabezado: str, resumen: str, contenido: str, estilo: str = "") -> str:
    """A self-contained local-stage page (Spanish): the arguments are HTML already escaped by the caller."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="es">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{titulo}</title>\n"
        f"<style>{ESTILO_PAGINA}{estilo}</style>\n</head>\n<body>\n"
        f"<header><h1>{encabezado}</h1><p>{resumen}</p></header>\n"
        f"<main>\n{contenido}\n</main>\n</body>\n</html>\n"
    )


def render_outbox_html(mensajes: list[dict[str, Any]]) -> str:
    """A self-contained page, newest first; every value is escaped and HTML bodies run in a sandboxed iframe."""
    cards = [_card(m) for m in reversed(mensajes)]
    content = "\n".join(cards) if cards else '<p class="vacio">No se envió ningún correo todavía.</p>'
    return pagina_html(
        "Bandeja de salida local", "Bandeja de salida local", f"{len(mensajes)} correo(s) enviado(s)", content, _STYLE
    )


def _card(m: dict[str, Any]) -> str:
    e = escapar
    rows = [
        ("Para", ", ".join(m.get("to") or [])),
        ("CC", ", ".join(m.get("cc") or [])),
        ("De", m.get("from") or ""),
        ("Responder a", m.get("reply_to") or ""),
        ("Enviado", m.get("sent_at") or ""),
        (
            "Adjuntos",
            ", ".join(f"{a['filename']} ({a['content_type']}, {a['size']} bytes)" for a in m.get("attachments") or []),
        ),
    ]
    parts = [
        "<article>",
        f"<h2>{e(m.get('subject') or '(sin asunto)')}</h2>",
        "<dl>",
        f"<dt>Asunto</dt><dd>{e(m.get('subject') or '')}</dd>",
        *(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" for label, value in rows if value),
        "</dl>",
    ]
    if m.get("text"):
        parts.append(f"<pre>{e(m['text'])}</pre>")
    if m.get("html"):
        parts.append(f'<iframe sandbox srcdoc="{e(m["html"])}" title="Cuerpo HTML"></iframe>')
    parts.append("</article>")
    return "\n".join(parts)


def escapar(value: object) -> str:
    return html.escape(str(value), quote=True)
