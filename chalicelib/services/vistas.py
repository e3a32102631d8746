"""Plain views of the aggregate for templates and the API (no storage items, no protected fields)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalicelib.domain.effects import CAMPOS_PROTEGIDOS
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.model import EntradaHistorial, Etapa, Solicitud
from chalicelib.domain.states import ETIQUETA_ESTADO, RESULTADO_FINAL, Estado


def vista_solicitud(s: Solicitud) -> dict[str, Any]:
    """The request as people and clients see it: protected CI fields removed, labels added."""
    datos = {k: v for k, v in s.datos.items() if k not in CAMPOS_PROTEGIDOS}
    vista = asdict(s)
    vista.pop("ultimo_cambio", None)
    vista["datos"] = datos
    estado = Estado(s.estado)
    vista["estado_etiqueta"] = ETIQUETA_ESTADO[estado]
    vista["resultado"] = RESULTADO_FINAL.get(estado)
    vista["etapas"] = [
        {"etapa": e.value, "etiqueta": e.etiqueta, "en": s.etapas[e.value]} for e in Etapa if e.value in s.etapas
    ]
    vista["primera_respuesta_minutos"] = minutos_entre(s.creada_en, s.primera_respuesta_en)
    return vista


def vista_cambio(evento: AccionAplicada) -> dict[str, Any]:
    return asdict(evento)


def vista_historial(entrada: EntradaHistorial) -> dict[str, Any]:
    vista = asdict(entrada)
    for campo in ("de", "a"):
        valor = entrada.__getattribute__(campo)
        vista[f"{campo}_etiqueta"] = ETIQUETA_ESTADO[Estado(valor)] if valor else None
    return vista


def url_consola(url_publica: str, solicitud_id: str, *partes: str) -> str:
    """Where a staff member opens a request from an email: its page in the staff console, or a page under it
    (``url_consola(u, id, "contrato")``: the printable contract). The only builder of staff links in emails: never
    the JSON staff API (``/solicitudes/{id}``). Without a session the console sends the person to sign in and back
    here (``siguiente``, kept through the local sign-in and the Cognito hosted UI)."""
    return "/".join((f"{url_publica}/consola/solicitudes/{solicitud_id}", *partes))


def url_bandeja_consola(url_publica: str, bandeja: str) -> str:
    """A queue of the staff console (``services.consola.BANDEJAS``), for staff emails that point to many requests."""
    return f"{url_publica}/consola?bandeja={bandeja}"


def minutos_entre(desde_iso: str, hasta_iso: str | None) -> float | None:
    """Whole-minute difference between two ISO timestamps (None if the second is missing)."""
    if not hasta_iso:
        return None
    from datetime import datetime

    delta = datetime.fromisoformat(hasta_iso) - datetime.fromisoformat(desde_iso)
    return round(delta.total_seconds() / 60, 1)
