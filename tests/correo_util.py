"""Raw MIME replies for the email tests: the fixtures of tests/events/correo_*.eml with their placeholders filled."""

from __future__ import annotations

import itertools
from email.header import Header
from pathlib import Path
from string import Template

EVENTOS = Path(__file__).resolve().parent / "events"
REMITENTE_SISTEMA = "ventas-digitales@ventas.comteco.local"
_n = itertools.count(1)

FORMAS = ("correo_gmail_si.eml", "correo_outlook_no.eml", "correo_iphone.eml", "correo_solo_html.eml")


def eml(
    nombre: str,
    *,
    de: str,
    para: str,
    asunto: str,
    en_respuesta_a: str = "<sin-referencia@ejemplo.bo>",
    id_mensaje: str | None = None,
    fecha: str = "Mon, 30 Nov 2026 09:41:07 -0400",
    para_cita: str = REMITENTE_SISTEMA,
    cabeceras_extra: str = "",
) -> bytes:
    """The fixture as bytes with CRLF line ends; a non-ASCII subject is RFC 2047-encoded like mail clients do.
    ``cabeceras_extra`` (e.g. ``"X-Veredicto-Local: dmarc=FAIL"``) is added before the other headers."""
    texto = (EVENTOS / nombre).read_text(encoding="utf-8")
    valores = {
        "de": de,
        "para": para,
        "asunto": asunto if asunto.isascii() else Header(asunto, "utf-8").encode(),
        "en_respuesta_a": en_respuesta_a,
        "id": id_mensaje or f"<respuesta.{next(_n)}@cliente-correo.example>",
        "fecha": fecha,
        "para_cita": para_cita,
    }
    crudo = Template(texto).substitute(valores)
    if cabeceras_extra:
        crudo = cabeceras_extra.rstrip("\n") + "\n" + crudo
    return crudo.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
