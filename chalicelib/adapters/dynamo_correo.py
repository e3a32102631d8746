"""Email records on the claves table: reply tokens, the sent Message-ID registry and the suppression list.

Keys (hash key ``clave``; ``estado`` says what the item is; ``expira`` is the table's TTL):
- ``respuesta#<token>``: a reply token (random 128 bits, ``secrets.token_hex(16)``); ``datos`` holds what never
  changes (request, purpose, responder, role, issue and expiry); ``usado_en``/``usado_por``/``decision`` are set once
  (condition: the key exists and ``usado_en`` does not). TTL: expiry + 30 days, so a late reply still finds it and
  is told it expired.
- ``pregunta#<solicitud>#<proposito>``: the current token of a request's question (overwritten by each new token).
- ``mensaje#<local part of the Message-ID>``: request and token of a sent email (ours and SES's id). TTL 90 days.
- ``supresion#<address>``: an address that hard-bounced or complained; no TTL.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist

from chalicelib.adapters.dynamo_tables import ClaveItem, actualizar_si, bind, condicion_fallida
from chalicelib.config import Settings
from chalicelib.domain.correo import MensajeEnviado, TokenRespuesta, clave_mensaje

TOKEN = "respuesta#"
PREGUNTA = "pregunta#"
MENSAJE = "mensaje#"
SUPRESION = "supresion#"
DIAS_AUDITORIA = 30
DIAS_MENSAJE = 90


def _get(clave: str) -> ClaveItem | None:
    try:
        return ClaveItem.get(clave, consistent_read=True)
    except DoesNotExist:
        return None


class PynamoTokensRespuesta:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    def emitir(self, datos: TokenRespuesta) -> TokenRespuesta:
        token = secrets.token_hex(16)
        vence = datetime.fromisoformat(datos.expira_en)
        item = ClaveItem(
            TOKEN + token,
            estado="token",
            solicitud_id=datos.solicitud_id,
            datos={
                "proposito": datos.proposito,
                "responsable": datos.responsable.lower(),
                "rol": datos.rol,
                "emitido_en": datos.emitido_en,
                "expira_en": datos.expira_en,
            },
            expira=vence + timedelta(days=DIAS_AUDITORIA),
        )
        item.save(condition=ClaveItem.clave.does_not_exist())
        ClaveItem(
            f"{PREGUNTA}{datos.solicitud_id}#{datos.proposito}",
            estado="pregunta",
            solicitud_id=datos.solicitud_id,
            datos={"token": token},
            expira=vence + timedelta(days=DIAS_AUDITORIA),
        ).save()
        return _token(token, item)

    def obtener(self, token: str) -> TokenRespuesta | None:
        nombre = token.strip().lower()
        if not nombre or len(nombre) > 64:
            return None
        item = _get(TOKEN + nombre)
        return _token(nombre, item) if item is not None and item.estado == "token" else None

    def vigente(self, solicitud_id: str, proposito: str) -> TokenRespuesta | None:
        item = _get(f"{PREGUNTA}{solicitud_id}#{proposito}")
        if item is None or not isinstance(item.datos, dict):
            return None
        return self.obtener(str(item.datos.get("token", "")))

    def marcar_usado(self, token: str, *, en: str, por: str, decision: str) -> bool:
        condicion = ClaveItem.clave.exists() & ClaveItem.usado_en.does_not_exist()
        acciones = [ClaveItem.usado_en.set(en), ClaveItem.usado_por.set(por), ClaveItem.decision.set(decision)]
        return actualizar_si(ClaveItem(TOKEN + token.lower()), acciones, condicion)

    def revocar(self, token: str) -> None:
        try:
            ClaveItem(TOKEN + token.lower()).delete()
        except DeleteError as exc:
            if not condicion_fallida(exc):
                raise

    def registrar_mensaje(self, mensaje: MensajeEnviado) -> None:
        ClaveItem(
            MENSAJE + clave_mensaje(mensaje.message_id),
            estado="mensaje",
            solicitud_id=mensaje.solicitud_id,
            datos={"token": mensaje.token} if mensaje.token else {},
            expira=datetime.now(UTC) + timedelta(days=DIAS_MENSAJE),
        ).save()

    def mensaje(self, message_id: str) -> MensajeEnviado | None:
        clave = clave_mensaje(message_id)
        if not clave or len(clave) > 200:
            return None
        item = _get(MENSAJE + clave)
        if item is None or item.estado != "mensaje" or not item.solicitud_id:
            return None
        datos: dict[str, Any] = item.datos if isinstance(item.datos, dict) else {}
        return MensajeEnviado(message_id=clave, solicitud_id=item.solicitud_id, token=datos.get("token"))


class PynamoSupresiones:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    def suprimir(self, direccion: str, *, motivo: str, en: str, solicitud_id: str | None = None) -> None:
        ClaveItem(
            SUPRESION + direccion.strip().lower(),
            estado="supresion",
            solicitud_id=solicitud_id,
            datos={"motivo": motivo, "en": en},
        ).save()

    def reactivar(self, direccion: str) -> None:
        ClaveItem(SUPRESION + direccion.strip().lower()).delete()

    def suprimidas(self, direcciones: Sequence[str]) -> set[str]:
        claves = sorted({SUPRESION + d.strip().lower() for d in direcciones if d.strip()})
        if not claves:
            return set()
        return {
            item.clave.removeprefix(SUPRESION)
            for item in ClaveItem.batch_get(claves, consistent_read=True)
            if item.estado == "supresion"
        }


def _token(token: str, item: ClaveItem) -> TokenRespuesta:
    d: dict[str, Any] = item.datos if isinstance(item.datos, dict) else {}
    return TokenRespuesta(
        token=token,
        solicitud_id=str(item.solicitud_id),
        proposito=str(d.get("proposito", "")),
        responsable=str(d.get("responsable", "")),
        rol=str(d.get("rol", "")),
        emitido_en=str(d.get("emitido_en", "")),
        expira_en=str(d.get("expira_en", "")),
        usado_en=item.usado_en,
        usado_por=item.usado_por,
        decision=item.decision,
    )
