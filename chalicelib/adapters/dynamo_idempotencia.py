"""``Idempotencia`` on the claves table: one item per side-effect key.

- reclamar: put ``estado=en_curso`` with a random ``titular`` where the key is absent OR (estado == en_curso AND
  en_curso_hasta < now) OR (estado == en_curso AND ``entrega`` is the delivery being handled now). A failed
  condition whose stored ``titular`` is this claim's is the client's retry of a put that was applied but whose
  answer was lost (a read timeout): the claim is ours, not someone else's. A put that got no answer at all (the
  timeout reached the caller) is read back the same way: applied and ours, the claim is held; otherwise it raises.
  ``entrega`` (given by ``entrega_actual``, see ``services/una_vez.entrega``) is the stream record, scheduled event
  or inbound mail being handled. Lambda never runs one delivery twice at once, so a claim held by the delivery now
  being retried was taken by an attempt that died (a timeout, out of memory): waiting out its lease would lose the
  effect, because the retries would all find it held and skip it (issue 19, the crash sweep).
- completar: set ``estado=completo``, ``resultado`` and ``expira`` = now + 8 days (upsert); ``permanente`` removes
  ``expira`` instead (kept for good).
- liberar: delete where estado == en_curso (a completed key is never given back).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from chalicelib.adapters.dynamo_tables import ClaveItem, bind, codigo_aws, condicion_fallida
from chalicelib.config import Settings

EN_CURSO = "en_curso"
COMPLETO = "completo"
DIAS_RETENCION = 8


class PynamoIdempotencia:
    """Claims on side-effect keys; ``reloj`` gives epoch seconds (injectable for tests)."""

    def __init__(
        self,
        settings: Settings,
        reloj: Callable[[], float] = time.time,
        entrega_actual: Callable[[], str | None] = lambda: None,
    ) -> None:
        bind(settings)
        self._reloj = reloj
        self._entrega_actual = entrega_actual

    def reclamar(self, clave: str, segundos_en_curso: int = 300) -> bool:
        """True if this caller now holds the key; False if it is completed or held by an unexpired claim."""
        ahora = self._reloj()
        titular = uuid.uuid4().hex
        entrega = self._entrega_actual()
        item = ClaveItem(
            clave,
            estado=EN_CURSO,
            en_curso_hasta=ahora + segundos_en_curso,
            expira=self._expira(ahora),
            titular=titular,
            entrega=entrega,
        )
        libre = ClaveItem.clave.does_not_exist() | ((ClaveItem.estado == EN_CURSO) & (ClaveItem.en_curso_hasta < ahora))
        if entrega:
            libre = libre | ((ClaveItem.estado == EN_CURSO) & (ClaveItem.entrega == entrega))
        try:
            item.save(condition=libre)
        except PutError as exc:
            if condicion_fallida(exc):
                return self._es_titular(clave, titular)
            if codigo_aws(exc) is None and self._es_titular_o_nada(clave, titular):
                return True  # no answer (a timeout), but the put was applied: the claim is ours
            raise
        return True

    @classmethod
    def _es_titular_o_nada(cls, clave: str, titular: str) -> bool:
        """After a put that got no answer: whether it was applied, or False when even that cannot be read."""
        try:
            return cls._es_titular(clave, titular)
        except Exception:
            return False

    @staticmethod
    def _es_titular(clave: str, titular: str) -> bool:
        try:
            actual = ClaveItem.get(clave, consistent_read=True)
        except DoesNotExist:
            return False
        return actual.estado == EN_CURSO and actual.titular == titular

    def completar(self, clave: str, resultado: str = "", permanente: bool = False) -> None:
        """Mark the key done with its result; kept 8 days so late duplicates still find it (for good, without
        TTL, when ``permanente``: the monthly report's key)."""
        expira = ClaveItem.expira.remove() if permanente else ClaveItem.expira.set(self._expira(self._reloj()))
        ClaveItem(clave).update(
            actions=[
                ClaveItem.estado.set(COMPLETO),
                ClaveItem.resultado.set(resultado),
                expira,
                ClaveItem.en_curso_hasta.remove(),
                ClaveItem.titular.remove(),
                ClaveItem.entrega.remove(),
            ]
        )

    def liberar(self, clave: str) -> None:
        """Delete the key only while it is in progress, so a retry runs the effect again."""
        try:
            ClaveItem(clave).delete(condition=ClaveItem.estado == EN_CURSO)
        except DeleteError as exc:
            if not condicion_fallida(exc):
                raise

    def resultado(self, clave: str) -> str | None:
        try:
            item = ClaveItem.get(clave, consistent_read=True)
        except DoesNotExist:
            return None
        return item.resultado if item.estado == COMPLETO else None

    @staticmethod
    def _expira(ahora: float) -> datetime:
        return datetime.fromtimestamp(ahora, tz=UTC) + timedelta(days=DIAS_RETENCION)
