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


SEGUNDOS_RECLAMO_CONTACTO: Final = 15 * 60
"""How long a new request's contact claims hold. They only guard the race between two first contacts of one person
processed at the same instant (the contact indexes are eventually consistent); by the end of the window the indexes
are long consistent, and a closed request stops no one for longer than that."""
_NOMBRE_RECLAMO: Final = {"telefono": "telefono", "email": "email", "ci_huella": "ci", "id_canal": "canal"}


def claves_de_reclamo(s: Solicitud) -> list[str]:
    """The claim keys a new request takes on its contact keys, written with it in one transaction:
    ``contacto#telefono#<E.164>``, ``contacto#email#<email>``, ``contacto#ci#<huella>``, ``contacto#canal#<id>``."""
    return [f"contacto#{_NOMBRE_RECLAMO[clave]}#{valor}" for clave, valor in claves_de_contacto(s).items()]


def esta_abierta(s: Solicitud) -> bool:
    """A request is open while it is not in a terminal state: new contacts of the same person join it."""
    return Estado(s.estado) not in TERMINALES
