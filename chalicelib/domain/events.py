"""Domain events: facts that already happened, read back from the state-change stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

ACCION_CAPTURA: Final = "capturar"
ACCION_REDIGITACION: Final = "crear_redigitacion"


@dataclass(frozen=True)
class AccionAplicada:
    """An action changed a request (capture included, with ``accion == 'capturar'``)."""

    solicitud_id: str
    cambio_id: str
    accion: str
    de: str
    a: str
    rol: str
    actor: str
    en: str
    campos: dict[str, Any] = field(default_factory=dict)
    canal: str = ""
    """The door the action came through (``whatsapp`` when the customer's own message applied it)."""

    @property
    def cambio_estado(self) -> bool:
        return self.de != self.a
