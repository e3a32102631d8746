"""``EntranteRepository`` on the entrantes table, and ``Salientes`` on the claves table (pynamodb; the models are
in ``dynamo_tables``).

- entrantes: hash ``clave`` = ``f"{canal}#{external_id}"``; stream NEW_IMAGE (INSERTs feed ``on_entrante``); GSI
  ``por_estado`` (estado, recibido_en) for the pending/failed listing; TTL ``expira`` = received + 8 days (longer than
  Meta's 7-day WhatsApp retry window, so a late redelivery still finds its key).
- guardar_entrega: the webhook's one durable write. The delivery's raw body, zlib-compressed (JSON shrinks 5-10x:
  Meta's largest delivery, 1000 changes, fits), in the item itself; a body that still does not fit
  ``MAX_CUERPO_EN_ITEM`` goes to S3 first and the item points to it. Conditional on ``clave`` (the body's SHA-256)
  being new, so the same delivery sent again is recognised there.
- registrar: one conditional PutItem per item (``clave`` absent), 16 in parallel (a 1000-item Meta batch is
  answered within the channel's timeout); a failed condition is a redelivery and changes nothing. Not a
  TransactWriteItems: one duplicate would cancel the other 99 and it costs twice the write units.
- salientes: ``saliente#<canal>#<mensaje_id>`` -> solicitud_id in claves, kept 30 days.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.update import Action

from chalicelib.adapters.dynamo_tables import ClaveItem, EntranteItem, bind, condicion_fallida
from chalicelib.config import Settings
from chalicelib.domain.model import Entrante
from chalicelib.domain.ports import Almacen, SalienteRegistrado

DIAS_ENTRANTE = 8
DIAS_SALIENTE = 30
PARALELO = 16
MAX_CUERPO_EN_ITEM = 100 * 1024
"""Largest compressed body kept in the item (DynamoDB holds 400 KB; the stream's records, batched 25 to a 6 MB
Lambda payload, stay small)."""
NIVEL_ZLIB = 1
"""The fastest level: the answer waits for it, and JSON compresses well even there."""


def item_de_entrante(e: Entrante, expira: datetime) -> EntranteItem:
    return EntranteItem(
        e.clave,
        canal=e.canal,
        tipo=e.tipo,
        payload=e.payload,
        s3_key=e.s3_key or None,
        estado=e.estado,
        intentos=e.intentos,
        error=e.error,
        solicitud_id=e.solicitud_id,
        recibido_en=e.recibido_en,
        expira=expira,
    )


def entrante_de_item(item: EntranteItem) -> Entrante:
    return Entrante(
        clave=item.clave,
        canal=item.canal,
        tipo=item.tipo,
        payload=item.payload,
        recibido_en=item.recibido_en,
        s3_key=item.s3_key or "",
        estado=item.estado,
        intentos=int(item.intentos or 0),
        error=item.error,
        solicitud_id=item.solicitud_id,
    )


def entrante_desde_imagen(imagen: dict[str, object]) -> Entrante:
    """An item from a stream record's typed NewImage."""
    return entrante_de_item(EntranteItem.from_raw_data(imagen))


class PynamoEntrantes:
    """Inbound deliveries and items; oversized delivery bodies in ``crudos`` (S3); ``reloj`` gives epoch seconds
    (injectable for tests)."""

    def __init__(self, settings: Settings, crudos: Almacen, reloj: Callable[[], float] = time.time) -> None:
        bind(settings)
        self._crudos = crudos
        self._reloj = reloj

    def guardar_entrega(self, entrega: Entrante, cuerpo: bytes) -> bool:
        comprimido = zlib.compress(cuerpo, NIVEL_ZLIB)
        item = item_de_entrante(entrega, self._expira())
        if len(comprimido) <= MAX_CUERPO_EN_ITEM:
            item.cuerpo_zlib = comprimido
        else:
            self._crudos.guardar(entrega.s3_key, cuerpo, "application/json")
        return self._poner_item(item)

    def cuerpo_entrega(self, entrega: Entrante) -> bytes:
        item = EntranteItem.get(entrega.clave, consistent_read=True, attributes_to_get=["clave", "cuerpo_zlib"])
        if item.cuerpo_zlib is not None:
            return zlib.decompress(item.cuerpo_zlib)
        return self._crudos.leer(entrega.s3_key)

    def _expira(self) -> datetime:
        return datetime.fromtimestamp(self._reloj(), tz=UTC) + timedelta(days=DIAS_ENTRANTE)

    def registrar(self, entrantes: Sequence[Entrante]) -> list[str]:
        """One conditional put per item (``clave`` absent), ``PARALELO`` at a time; a key already stored is a
        redelivery and is left as it is. Any other failure is raised (the channel retries the whole delivery)."""
        unicos = list({e.clave: e for e in entrantes}.values())
        if not unicos:
            return []
        expira = self._expira()
        # The first put creates the client in this thread (botocore's create_client is not thread-safe).
        nuevos = [self._poner(unicos[0], expira)]
        if len(unicos) > 1:
            with ThreadPoolExecutor(max_workers=min(PARALELO, len(unicos) - 1)) as hilos:
                nuevos += hilos.map(lambda e: self._poner(e, expira), unicos[1:])
        return [e.clave for e, nuevo in zip(unicos, nuevos, strict=True) if nuevo]

    @classmethod
    def _poner(cls, entrante: Entrante, expira: datetime) -> bool:
        return cls._poner_item(item_de_entrante(entrante, expira))

    @staticmethod
    def _poner_item(item: EntranteItem) -> bool:
        try:
            item.save(condition=EntranteItem.clave.does_not_exist())
        except PutError as exc:
            if condicion_fallida(exc):
                return False
            raise
        return True

    def obtener(self, clave: str) -> Entrante | None:
        try:
            return entrante_de_item(EntranteItem.get(clave, consistent_read=True))
        except DoesNotExist:
            return None

    def marcar(
        self,
        clave: str,
        estado: str,
        *,
        error: str | None = None,
        solicitud_id: str | None = None,
        sumar_intento: bool = False,
    ) -> None:
        """SET estado, error (REMOVE when None) and solicitud_id (when given); ADD 1 to intentos if asked."""
        acciones: list[Action] = [
            EntranteItem.estado.set(estado),
            EntranteItem.error.set(error[:1000]) if error else EntranteItem.error.remove(),
        ]
        if solicitud_id:
            acciones.append(EntranteItem.solicitud_id.set(solicitud_id))
        if sumar_intento:
            acciones.append(EntranteItem.intentos.add(1))
        EntranteItem(clave).update(actions=acciones, condition=EntranteItem.clave.exists())

    def listar(self, estado: str, limite: int = 100) -> list[Entrante]:
        consulta = EntranteItem.por_estado.query(estado, scan_index_forward=True, limit=limite)
        return [entrante_de_item(i) for i in consulta]


class PynamoSalientes:
    """Messages this system sent on a channel, so that their delivery statuses can be linked to a request."""

    def __init__(self, settings: Settings, reloj: Callable[[], float] = time.time) -> None:
        bind(settings)
        self._reloj = reloj

    def registrar_saliente(
        self, canal: str, mensaje_id: str, solicitud_id: str, *, entrada_id: str = "", correo_enviado: bool = False
    ) -> None:
        expira = datetime.fromtimestamp(self._reloj(), tz=UTC) + timedelta(days=DIAS_SALIENTE)
        ClaveItem(
            f"saliente#{canal}#{mensaje_id}",
            estado="completo",
            resultado=json.dumps({"entrada_id": entrada_id, "correo_enviado": correo_enviado}),
            solicitud_id=solicitud_id,
            expira=expira,
        ).save()

    def solicitud_de_saliente(self, canal: str, mensaje_id: str) -> str | None:
        registro = self.saliente(canal, mensaje_id)
        return registro.solicitud_id if registro else None

    def saliente(self, canal: str, mensaje_id: str) -> SalienteRegistrado | None:
        try:
            item = ClaveItem.get(f"saliente#{canal}#{mensaje_id}", consistent_read=True)
        except DoesNotExist:
            return None
        try:
            datos = json.loads(item.resultado or "{}")
        except ValueError:
            datos = {}
        datos = datos if isinstance(datos, dict) else {}
        return SalienteRegistrado(
            canal=canal,
            mensaje_id=mensaje_id,
            solicitud_id=str(item.solicitud_id),
            entrada_id=str(datos.get("entrada_id") or ""),
            correo_enviado=bool(datos.get("correo_enviado")),
        )
