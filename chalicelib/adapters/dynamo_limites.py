"""``Limites`` on the claves table: one counter item per key and window, ``limite#<clave>#<window number>``.

``contar`` is a single UpdateItem (``ADD contador 1``, ``SET expira``) returning the new value, so two Lambdas
counting at the same instant get 1 and 2, never 1 twice. The item expires (TTL ``expira``) one window after its
own window ends (DynamoDB may delete it up to ~48 h late; a late item is never read again, the key names its
window).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.adapters.dynamo_tables import ClaveItem, bind
from chalicelib.config import Settings

ESTADO_CONTADOR = "contador"


class PynamoLimites:
    """Windowed counters; ``reloj`` gives epoch seconds (injectable for tests)."""

    def __init__(self, settings: Settings, reloj: Callable[[], float] = time.time) -> None:
        bind(settings)
        self._reloj = reloj

    def contar(self, clave: str, ventana_segundos: int) -> int:
        ventana = max(1, int(ventana_segundos))
        numero = int(self._reloj() // ventana)
        expira = datetime.fromtimestamp((numero + 2) * ventana, tz=UTC)
        item = ClaveItem(f"limite#{clave}#{numero}")
        item.update(
            actions=[
                ClaveItem.contador.add(1),
                ClaveItem.estado.set(ESTADO_CONTADOR),
                ClaveItem.expira.set(expira),
            ]
        )
        return int(item.contador or 0)
