"""In-memory ``Limites``: windowed counters keyed like PynamoLimites (``<clave>#<window number>``)."""

from __future__ import annotations

import time
from collections.abc import Callable


class LimitesEnMemoria:
    def __init__(self, reloj: Callable[[], float] = time.time) -> None:
        self.contadores: dict[str, int] = {}
        self._reloj = reloj

    def contar(self, clave: str, ventana_segundos: int) -> int:
        numero = int(self._reloj() // max(1, int(ventana_segundos)))
        llave = f"{clave}#{numero}"
        self.contadores[llave] = self.contadores.get(llave, 0) + 1
        return self.contadores[llave]
