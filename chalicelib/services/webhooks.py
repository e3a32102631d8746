"""Webhook intake ("answer fast, enrich later"): verify, store the delivery once, split it on the stream.

Meta (Lead Ads, Messenger, WhatsApp Cloud API) signs the raw body: ``X-Hub-Signature-256: sha256=<hex>`` =
HMAC-SHA256(app secret, body). Botmaker sends a shared token in a header (``auth-bm-token``). Both are compared in
constant time, before the body is parsed. The door then does one durable write, whatever the delivery's size: the
delivery as it came, under ``entrega#<door>#<sha256 of the body>`` (``recibir``). Its INSERT on the entrantes stream
splits it (``dividir``): the raw body to S3, and each item (``Entrante``) written once under
``f"{canal}#{external_id}"``, whose own INSERTs are then processed one by one (``services.canales``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from chalicelib.domain.commands import RecibirWebhook
from chalicelib.domain.errors import DomainError, FirmaInvalida
from chalicelib.domain.model import Canal, Entrante, EstadoEntrante, TipoEntrante
from chalicelib.domain.ports import Almacen, Clock, EntranteRepository

logger = logging.getLogger(__name__)

PREFIJO_FIRMA: Final = "sha256="
MENSAJES_WHATSAPP: Final = frozenset(
    {"text", "image", "document", "audio", "video", "sticker", "location", "contacts", "button", "interactive"}
)
"""WhatsApp message types that carry something the prospect said or sent; others (reaction, unsupported, system,
...) are recorded as ``ignorado``."""
MEDIOS_WHATSAPP: Final = frozenset({"image", "document", "audio", "video", "sticker"})
REMITENTES_BOT: Final = frozenset({"bot", "operator", "operador", "agent", "agente"})
MAX_REFERENCIA: Final = 512
"""Longest external id used as is in an item key (DynamoDB keys hold 2048 bytes; real ids are under 100)."""
MAX_PAYLOAD: Final = 100 * 1024
"""Largest item payload recorded for processing (an item holds 400 KB; channel messages are a few kB). Beyond
either limit the item is recorded ``ignorado`` under a hashed key, and the delivery stays raw in S3."""


def firma_meta_valida(cuerpo: bytes, cabecera: str | None, secretos: Sequence[str]) -> bool:
    """True if ``cabecera`` is ``sha256=<64 hex>`` and equals HMAC-SHA256 of the raw body under one of the active
    app secrets (two during a rotation). Empty bodies and empty secrets never validate."""
    if not cuerpo or not cabecera or not cabecera.startswith(PREFIJO_FIRMA):
        return False
    recibida = cabecera[len(PREFIJO_FIRMA) :].strip().lower()
    if len(recibida) != 64 or any(c not in "0123456789abcdef" for c in recibida):
        return False
    valida = False
    for secreto in secretos:
        if not secreto:
            continue
        esperada = hmac.new(secreto.encode(), cuerpo, hashlib.sha256).hexdigest()
        valida |= hmac.compare_digest(esperada, recibida)
    return valida


def token_valido(recibido: str | None, esperado: str) -> bool:
    """Constant-time comparison of a shared token; an empty expected token never validates."""
    if not esperado or not recibido:
        return False
    return hmac.compare_digest(recibido.encode(), esperado.encode())


def verificar_meta(cuerpo: bytes, cabecera: str | None, secretos: Sequence[str]) -> None:
    """FirmaInvalida unless the Meta signature is valid."""
    if not firma_meta_valida(cuerpo, cabecera, secretos):
        raise FirmaInvalida("Firma X-Hub-Signature-256 ausente o inválida.")


def verificar_botmaker(cuerpo: bytes, token: str | None, esperado: str) -> None:
    """FirmaInvalida unless the body is not empty and the Botmaker token matches."""
    if not cuerpo or not token_valido(token, esperado):
        raise FirmaInvalida("Token de Botmaker ausente o inválido.")


@dataclass(frozen=True)
class PuertosWebhook:
    entrantes: EntranteRepository
    crudos: Almacen
    clock: Clock


@dataclass(frozen=True)
class ResultadoWebhook:
    entrega: str
    """The delivery's id: the SHA-256 of its body."""
    duplicada: bool
    """The same body was already stored (the channel sent it again): nothing new was written."""


PREFIJO_ENTREGA: Final = "entrega#"


def es_entrega(clave: str) -> bool:
    return clave.startswith(PREFIJO_ENTREGA)


def recibir(cmd: RecibirWebhook, *, puertos: PuertosWebhook) -> ResultadoWebhook:
    """The door's whole work after verification: one durable write of the delivery as it came, whatever its size;
    the same body sent again is recognised at that write. Splitting into items, their dedupe by external id and
    the merge into requests happen on the entrantes stream (``dividir``, then ``canales.procesar_entrante``)."""
    ahora = puertos.clock.ahora()
    huella = hashlib.sha256(cmd.cuerpo).hexdigest()
    entrega = Entrante(
        clave=f"{PREFIJO_ENTREGA}{cmd.canal}#{huella}",
        canal=cmd.canal,
        tipo=TipoEntrante.ENTREGA.value,
        payload={},
        recibido_en=ahora.isoformat(),
        s3_key=f"webhooks/{cmd.canal}/{ahora:%Y/%m/%d}/{huella}.json",
    )
    nueva = puertos.entrantes.guardar_entrega(entrega, cmd.cuerpo)
    logger.info(
        "webhook recibido",
        extra={"canal": cmd.canal, "entrega": huella, "bytes": len(cmd.cuerpo), "duplicada": not nueva},
    )
    return ResultadoWebhook(entrega=huella, duplicada=not nueva)


Atencion = tuple[EstadoEntrante, str | None, str | None]
"""What processing one entrantes item gave: its new state, the request it reached, the reason (ignored/failed)."""


def atender(clave: str, entrantes: EntranteRepository, procesar: Callable[[Entrante], Atencion]) -> str:
    """One INSERT of the entrantes stream, at-least-once safe: an item already ``procesado`` or ``ignorado`` is
    left alone; otherwise ``procesar`` runs and the item gets its new state. On any failure the item is marked
    ``fallido`` with the error and the attempt counted, and the error is raised (the stream retries the record;
    after the last retry the item stays ``fallido``; ``entrantes_fallidos`` feeds the alarm)."""
    entrante = entrantes.obtener(clave)
    if entrante is None or entrante.estado in (EstadoEntrante.PROCESADO, EstadoEntrante.IGNORADO):
        return entrante.estado if entrante else EstadoEntrante.IGNORADO.value
    try:
        estado, solicitud_id, motivo = procesar(entrante)
    except Exception as exc:
        mensaje = exc.mensaje if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        entrantes.marcar(clave, EstadoEntrante.FALLIDO.value, error=mensaje, sumar_intento=True)
        logger.warning(
            "entrante fallido",
            extra={"clave": clave, "intentos": entrante.intentos + 1, "error": mensaje, "entrantes_fallidos": 1},
        )
        raise
    entrantes.marcar(clave, estado.value, error=motivo, solicitud_id=solicitud_id, sumar_intento=True)
    logger.info("entrante atendido", extra={"clave": clave, "estado": estado.value, "solicitud_id": solicitud_id})
    return estado.value


def dividir(clave: str, *, puertos: PuertosWebhook) -> str:
    """Split one stored delivery (an INSERT on the entrantes stream): keep its raw body in S3 (SSE-KMS, 90 days,
    for investigation), then record each item once under its external id. At-least-once safe: items already
    recorded are left as they are, so a retry after a failure half way records only what is missing. Returns the
    delivery's new state (``atender``)."""

    def partir(entrega: Entrante) -> Atencion:
        recibidos, nuevos, motivo = _dividir(entrega, puertos)
        logger.info("entrega dividida", extra={"clave": clave, "items": recibidos, "nuevos": nuevos})
        return (EstadoEntrante.IGNORADO if motivo else EstadoEntrante.PROCESADO), None, motivo

    return atender(clave, puertos.entrantes, partir)


def _dividir(entrega: Entrante, puertos: PuertosWebhook) -> tuple[int, int, str | None]:
    """(items, new items, why the delivery was not split at all)."""
    cuerpo = puertos.entrantes.cuerpo_entrega(entrega)
    clave_s3 = puertos.crudos.guardar(entrega.s3_key, cuerpo, "application/json")  # the same object if oversized
    try:
        datos = json.loads(cuerpo)
    except (ValueError, RecursionError):  # the door checks the shape only; also ints over 4300 digits
        return 0, 0, "El cuerpo no es JSON válido; queda guardado tal como llegó."
    if not isinstance(datos, dict):
        return 0, 0, "El cuerpo no es un objeto JSON; queda guardado tal como llegó."
    extraer = extraer_meta if entrega.canal == "meta" else extraer_botmaker
    items = list(extraer(datos, recibido_en=entrega.recibido_en, s3_key=clave_s3))
    nuevos = puertos.entrantes.registrar(items) if items else []
    return len(items), len(nuevos), None


def _entrante(
    canal: Canal, referencia: str, tipo: TipoEntrante, payload: dict[str, Any], *, recibido_en: str, s3_key: str
) -> Entrante:
    tamano = len(json.dumps(payload, ensure_ascii=False).encode())
    if len(referencia.encode()) > MAX_REFERENCIA or tamano > MAX_PAYLOAD:
        logger.warning(
            "item de webhook fuera de limites",
            extra={"canal": canal.value, "largo_referencia": len(referencia), "bytes": tamano, "s3_key": s3_key},
        )
        if len(referencia.encode()) > MAX_REFERENCIA:
            referencia = "sha256:" + hashlib.sha256(referencia.encode()).hexdigest()
        tipo, payload = TipoEntrante.OTRO, {"omitido": "fuera de limites", "bytes": tamano, "s3_key": s3_key}
    estado = EstadoEntrante.IGNORADO if tipo is TipoEntrante.OTRO else EstadoEntrante.PENDIENTE
    return Entrante(
        clave=f"{canal.value}#{referencia}",
        canal=canal.value,
        tipo=tipo.value,
        payload=payload,
        recibido_en=recibido_en,
        s3_key=s3_key,
        estado=estado.value,
    )


def _lista(valor: Any) -> list[dict[str, Any]]:
    return [v for v in valor if isinstance(v, dict)] if isinstance(valor, list) else []


def extraer_meta(datos: Mapping[str, Any], *, recibido_en: str, s3_key: str) -> Iterable[Entrante]:
    """Items of a Meta delivery: ``page`` objects (Lead Ads ``leadgen`` changes, Messenger ``messaging`` events)
    and ``whatsapp_business_account`` objects (``messages`` changes: messages and statuses). Every entry and change
    of a batch is visited; anything else is logged and skipped."""
    objeto = datos.get("object")
    kw = {"recibido_en": recibido_en, "s3_key": s3_key}
    if objeto not in ("page", "whatsapp_business_account"):
        logger.warning("webhook de meta con objeto desconocido", extra={"object": str(objeto)[:50]})
        return
    for entrada in _lista(datos.get("entry")):
        for cambio in _lista(entrada.get("changes")):
            campo, valor = cambio.get("field"), cambio.get("value")
            if not isinstance(valor, dict):
                continue
            if objeto == "page" and campo == "leadgen" and valor.get("leadgen_id"):
                yield _entrante(Canal.FACEBOOK, str(valor["leadgen_id"]), TipoEntrante.LEAD, dict(valor), **kw)
            elif objeto == "whatsapp_business_account" and campo == "messages":
                yield from _whatsapp(valor, **kw)
            else:
                logger.warning("webhook de meta con campo desconocido", extra={"object": objeto, "field": campo})
        if objeto == "page":
            for evento in _lista(entrada.get("messaging")):
                yield from _messenger(evento, str(entrada.get("id", "")), **kw)


def _messenger(evento: dict[str, Any], pagina: str, *, recibido_en: str, s3_key: str) -> Iterable[Entrante]:
    mensaje = evento.get("message")
    remitente: dict[str, Any] = evento["sender"] if isinstance(evento.get("sender"), dict) else {}
    for tipo in ("delivery", "read"):
        cuerpo: dict[str, Any] = evento[tipo] if isinstance(evento.get(tipo), dict) else {}
        marca = cuerpo.get("watermark")
        if marca is not None and remitente.get("id"):
            referencia = f"{tipo}#{remitente['id']}#{marca}"
            payload = {"evento": evento, "pagina": pagina}
            yield _entrante(
                Canal.MESSENGER, referencia, TipoEntrante.ESTADO, payload, recibido_en=recibido_en, s3_key=s3_key
            )
            return
    if not isinstance(mensaje, dict) or not mensaje.get("mid"):
        logger.info("evento de messenger sin mensaje", extra={"claves": sorted(evento)[:10]})
        return
    tipo = TipoEntrante.OTRO if mensaje.get("is_echo") else TipoEntrante.MENSAJE
    payload = {"evento": evento, "pagina": pagina}
    yield _entrante(Canal.MESSENGER, str(mensaje["mid"]), tipo, payload, recibido_en=recibido_en, s3_key=s3_key)


def _whatsapp(valor: dict[str, Any], *, recibido_en: str, s3_key: str) -> Iterable[Entrante]:
    contactos = {str(c.get("wa_id")): c for c in _lista(valor.get("contacts"))}
    metadata = valor.get("metadata") if isinstance(valor.get("metadata"), dict) else {}
    for mensaje in _lista(valor.get("messages")):
        if not mensaje.get("id"):
            continue
        tipo = TipoEntrante.MENSAJE if str(mensaje.get("type")) in MENSAJES_WHATSAPP else TipoEntrante.OTRO
        payload = {"mensaje": mensaje, "contacto": contactos.get(str(mensaje.get("from")), {}), "metadata": metadata}
        yield _entrante(Canal.WHATSAPP, str(mensaje["id"]), tipo, payload, recibido_en=recibido_en, s3_key=s3_key)
    for estado in _lista(valor.get("statuses")):
        if not estado.get("id") or not estado.get("status"):
            continue
        referencia = f"{estado['id']}#{estado['status']}"
        payload = {"estado": estado, "metadata": metadata}
        yield _entrante(
            Canal.WHATSAPP, referencia, TipoEntrante.ESTADO, payload, recibido_en=recibido_en, s3_key=s3_key
        )


def extraer_botmaker(datos: Mapping[str, Any], *, recibido_en: str, s3_key: str) -> Iterable[Entrante]:
    """Items of a Botmaker notification: one per ``messages[]`` entry with an ``_id``; messages written by the bot
    or an operator are recorded as ``ignorado``. Other notification types are logged and skipped."""
    if datos.get("type", "message") != "message":
        logger.warning("webhook de botmaker de tipo desconocido", extra={"type": str(datos.get("type"))[:50]})
        return
    contacto = {k: v for k, v in datos.items() if k != "messages"}
    for mensaje in _lista(datos.get("messages")):
        if not mensaje.get("_id"):
            continue
        del_bot = str(mensaje.get("from", "")).lower() in REMITENTES_BOT or mensaje.get("fromName") == "Bot"
        tipo = TipoEntrante.OTRO if del_bot else TipoEntrante.MENSAJE
        payload = {"mensaje": mensaje, "contacto": contacto}
        yield _entrante(Canal.BOTMAKER, str(mensaje["_id"]), tipo, payload, recibido_en=recibido_en, s3_key=s3_key)
