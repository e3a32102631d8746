"""``GraphApi`` on Meta's Graph API over HTTPS (stdlib urllib: no extra dependency in the Lambda package).

- lead: ``GET {base}/{leadgen_id}?fields=...`` with the Page token (Bearer) -> the Lead object with ``field_data``.
- medio: ``GET {base}/{media_id}`` (Bearer) -> ``url`` valid 5 minutes; then ``GET url`` (Bearer) -> the bytes.
- timeouts per call; retries with exponential backoff on timeouts, connection errors, 429 and 5xx; a 4xx is final.
- errors become domain errors: ServicioExternoNoDisponible (transient, after the retries) and
  RecursoExternoRechazado (4xx, unusable answer).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from chalicelib.domain.errors import RecursoExternoRechazado, ServicioExternoNoDisponible
from chalicelib.domain.ports import MedioDescargado

logger = logging.getLogger(__name__)

CAMPOS_LEAD = "id,created_time,field_data,form_id,ad_id,ad_name,adset_id,campaign_id,is_organic,platform"
MAX_MEDIO = 100 * 1024 * 1024  # WhatsApp's own limit for documents


class GraphMeta:
    """The Graph API with one bearer token (the system user's token with leads_retrieval and whatsapp_business)."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout: float = 5.0,
        reintentos: int = 3,
        espera: float = 0.5,
        dormir: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._reintentos = reintentos
        self._espera = espera
        self._dormir = dormir

    def lead(self, leadgen_id: str) -> dict[str, Any]:
        cuerpo, _ = self._get(f"{self._base}/{quote(leadgen_id, safe='')}?fields={CAMPOS_LEAD}")
        datos = _json(cuerpo, "el lead")
        if not isinstance(datos.get("field_data"), list):
            raise RecursoExternoRechazado(f"El lead {leadgen_id} llegó sin field_data.")
        return datos

    def medio(self, media_id: str) -> MedioDescargado:
        cuerpo, _ = self._get(f"{self._base}/{quote(media_id, safe='')}")
        meta = _json(cuerpo, "el medio")
        url = meta.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise RecursoExternoRechazado(f"El medio {media_id} llegó sin URL de descarga.")
        contenido, tipo = self._get(url)
        tipo = str(meta.get("mime_type") or tipo or "application/octet-stream")
        huella = hashlib.sha256(contenido).hexdigest()
        esperada = meta.get("sha256")
        if isinstance(esperada, str) and len(esperada) == 64 and esperada.lower() != huella:
            raise RecursoExternoRechazado(f"El medio {media_id} no coincide con su sha256.")
        return MedioDescargado(contenido=contenido, tipo=tipo, sha256=huella)

    def _get(self, url: str) -> tuple[bytes, str]:
        """GET with the bearer token; retried on transient failures (timeouts, 429, 5xx)."""
        ultimo = ""
        for intento in range(self._reintentos + 1):
            if intento:
                self._dormir(self._espera * 2 ** (intento - 1))
            peticion = urllib.request.Request(url, headers={"Authorization": f"Bearer {self._token}"})  # noqa: S310
            try:
                with urllib.request.urlopen(peticion, timeout=self._timeout) as respuesta:  # noqa: S310  # nosec B310
                    contenido = respuesta.read(MAX_MEDIO + 1)
                    if len(contenido) > MAX_MEDIO:
                        raise RecursoExternoRechazado("El archivo supera el tamaño máximo admitido.")
                    return contenido, str(respuesta.headers.get_content_type())
            except urllib.error.HTTPError as exc:
                if exc.code != 429 and exc.code < 500:
                    raise RecursoExternoRechazado(
                        f"La Graph API de Meta rechazó la consulta (HTTP {exc.code}): {_mensaje_error(exc)}"
                    ) from exc
                ultimo = f"HTTP {exc.code}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                ultimo = type(exc).__name__
            logger.warning("graph api transient failure", extra={"intento": intento + 1, "error": ultimo})
        raise ServicioExternoNoDisponible(
            f"La Graph API de Meta no respondió tras {self._reintentos + 1} intentos ({ultimo})."
        )


def _json(cuerpo: bytes, que: str) -> dict[str, Any]:
    try:
        datos = json.loads(cuerpo)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RecursoExternoRechazado(f"La Graph API devolvió {que} en un formato inesperado.") from None
    if not isinstance(datos, dict):
        raise RecursoExternoRechazado(f"La Graph API devolvió {que} en un formato inesperado.")
    return datos


def _mensaje_error(exc: urllib.error.HTTPError) -> str:
    try:
        cuerpo = json.loads(exc.read() or b"{}")
        return str(cuerpo.get("error", {}).get("message", ""))[:200]
    except (ValueError, AttributeError, OSError):
        return ""
