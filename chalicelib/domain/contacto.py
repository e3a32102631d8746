"""Contact keys of a request: how the channels recognise the same person (dedupe and merge, step 1)."""

from __future__ import annotations

from typing import Final

from chalicelib.domain.model import Solicitud
from chalicelib.domain.states import TERMINALES, Estado

CLAVES_CONTACTO: Final = ("telefono", "email", "ci_huella", "id_canal")
"""Phone in E.164, lowercased email, keyed hash of the CI, and the channel's own user id where the channel gives
no phone (Messenger PSID, a Botmaker web-chat contact), as ``"<canal>:<id>"``."""


def claves_de_contacto(s: Solicitud) -> dict[str, str]:
    """The request's contact keys that are present (each one indexed for lookups)."""
    return {clave: str(s.datos[clave]) for clave in CLAVES_CONTACTO if s.datos.get(clave)}


def esta_abierta(s: Solicitud) -> bool:
    """A request is open while it is not in a terminal state: new contacts of the same person join it."""
    return Estado(s.estado) not in TERMINALES
