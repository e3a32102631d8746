"""What the channels "sent" on the local stage (WhatsApp, Messenger, Botmaker), read back from the Graph API
stand-in (`GET /dev/mensajes`).

``localstage.graph_local`` keeps every accepted outbound message and serves them at ``{base}/_local/mensajes`` as
``{"total", "mensajes": [...]}``, oldest first; each message has ``canal``, ``para``, ``cuenta``, ``tipo``,
``texto``, ``documento`` ({nombre, tipo, bytes}), ``botones``, ``plantilla`` ({nombre, idioma, parametros}),
``etiqueta``, ``messaging_type``, ``referencia``, ``enviado_en`` and ``estado`` (the latest status sent back).
"""

from __future__ import annotations

from typing import Any

import requests

from localstage.outbox import escapar, pagina_html

CANALES = {"whatsapp": "WhatsApp", "messenger": "Messenger", "botmaker": "Botmaker"}
TIPOS = {
    "text": "Texto",
    "document": "Documento",
    "image": "Imagen",
    "interactive": "Texto con botones",
    "template": "Plantilla aprobada",
}
ESTADOS = {
    "aceptado": "Aceptado",
    "sent": "Enviado",
    "delivered": "Entregado",
    "read": "Leído",
    "failed": "Fallido",
}


def base_graph_local(graph_url: str) -> str:
    """The stand-in's root from the configured Graph URL (``http://127.0.0.1:4580/v21.0`` -> without ``/v21.0``)."""
    return graph_url.rstrip("/").rsplit("/", 1)[0]


def leer_mensajes(base: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Every message the stand-in accepted, oldest first (raises ``requests.RequestException`` when it is down)."""
    respuesta = requests.get(f"{base.rstrip('/')}/_local/mensajes", timeout=timeout)
    respuesta.raise_for_status()
    mensajes = respuesta.json().get("mensajes", [])
    return [m for m in mensajes if isinstance(m, dict)]


# -- HTML view ------------------------------------------------------------------------------------------------------

_STYLE = """
pre{white-space:pre-wrap;background:#f9fafb;border:1px solid #e5e7eb;padding:.75rem;border-radius:.25rem;margin:0 0 .75rem}
ul.botones{list-style:none;padding:0;margin:0;display:flex;gap:.5rem;flex-wrap:wrap}
ul.botones li{border:1px solid #2563eb;color:#1d4ed8;border-radius:1rem;padding:.2rem .75rem;font-size:.9rem}
.estado{display:inline-block;border-radius:.25rem;padding:0 .4rem;background:#e5e7eb}
.estado-failed{background:#fee2e2;color:#991b1b}
.estado-read,.estado-delivered{background:#dcfce7;color:#166534}
"""


def render_mensajes_html(mensajes: list[dict[str, Any]]) -> str:
    """A self-contained page, newest first; every value is escaped."""
    tarjetas = [_tarjeta(m) for m in reversed(mensajes)]
    contenido = "\n".join(tarjetas) if tarjetas else '<p class="vacio">No se envió ningún mensaje todavía.</p>'
    return pagina_html(
        "Mensajes salientes locales",
        "Mensajes salientes locales (WhatsApp, Messenger, Botmaker)",
        f"{len(mensajes)} mensaje(s) enviado(s)",
        contenido,
        _STYLE,
    )


def _tarjeta(m: dict[str, Any]) -> str:
    e = escapar
    canal = CANALES.get(str(m.get("canal") or ""), str(m.get("canal") or ""))
    tipo = TIPOS.get(str(m.get("tipo") or ""), str(m.get("tipo") or ""))
    estado = str(m.get("estado") or "")
    plantilla = m.get("plantilla") if isinstance(m.get("plantilla"), dict) else None
    filas = [
        ("Canal", canal),
        ("Para", m.get("para") or ""),
        ("Cuenta de envío", m.get("cuenta") or ""),
        ("Tipo", tipo),
        ("Enviado", m.get("enviado_en") or ""),
        ("Documento", _documento(m.get("documento"))),
        ("Plantilla", _plantilla(plantilla) if plantilla else ""),
        ("Etiqueta", m.get("etiqueta") or ""),
        ("Modo Messenger", m.get("messaging_type") or ""),
        ("Referencia", m.get("referencia") or ""),
        ("Identificador", m.get("id") or ""),
    ]
    partes = [
        "<article>",
        f"<h2>{e(canal)} · {e(tipo)} · para {e(m.get('para') or '')}</h2>",
        "<dl>",
        f'<dt>Estado</dt><dd><span class="estado estado-{e(estado)}">{e(ESTADOS.get(estado, estado))}</span></dd>',
        *(f"<dt>{e(etiqueta)}</dt><dd>{e(valor)}</dd>" for etiqueta, valor in filas if valor),
        "</dl>",
    ]
    if m.get("texto"):
        partes.append(f"<pre>{e(m['texto'])}</pre>")
    botones = [str(b) for b in m.get("botones") or []]
    if botones:
        partes.append('<ul class="botones">' + "".join(f"<li>{e(b)}</li>" for b in botones) + "</ul>")
    partes.append("</article>")
    return "\n".join(partes)


def _documento(documento: Any) -> str:
    if not isinstance(documento, dict):
        return ""
    detalles = [str(d) for d in (documento.get("tipo"), _tamano(documento.get("bytes"))) if d]
    if documento.get("url"):
        detalles.append(f"por enlace: {documento['url']}")
    nombre = str(documento.get("nombre") or "(sin nombre)")
    return f"{nombre} ({', '.join(detalles)})" if detalles else nombre


def _tamano(cantidad: Any) -> str:
    if not isinstance(cantidad, int) or isinstance(cantidad, bool):
        return ""
    if cantidad < 1024:
        return f"{cantidad} bytes"
    if cantidad < 1024 * 1024:
        return f"{cantidad / 1024:.1f} KB".replace(".", ",")
    return f"{cantidad / (1024 * 1024):.1f} MB".replace(".", ",")


def _plantilla(plantilla: dict[str, Any]) -> str:
    parametros = ", ".join(str(p) for p in plantilla.get("parametros") or [])
    idioma = f" [{plantilla['idioma']}]" if plantilla.get("idioma") else ""
    return f"{plantilla.get('nombre', '')}{idioma}" + (f" — parámetros: {parametros}" if parametros else "")
