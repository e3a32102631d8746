"""``SesionesConsola`` on the claves table: the console's server-side sessions and their revocations.

Keys (hash key ``clave``; ``estado`` says what the item is; ``expira`` is the table's TTL):
- ``sesion#<sha256 of the sid>``: one signed-in session; ``datos`` holds the person (``identidad``, ``sub``), the
  ``roles`` it was opened with and ``creada_en``; ``vence`` is its end (epoch seconds), also its TTL. The sid is
  stored hashed, so reading the table gives no live session id. Sign-out deletes the item.
- ``revocacion#<identidad>``: ``vence`` is the moment of the person's last revocation; every session of theirs
  opened before it is void. TTL two days (no session outlives 12 hours, so an older cut-off voids nothing).

Every read is strongly consistent (one BatchGetItem of both keys), so a sign-out or a revocation is seen by the
very next request, whichever Lambda container serves it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DeleteError

from chalicelib.adapters.dynamo_tables import ClaveItem, bind, condicion_fallida
from chalicelib.config import Settings
from chalicelib.domain.ports import SesionConsola

SESION = "sesion#"
REVOCACION = "revocacion#"
RETENCION_REVOCACION = timedelta(days=2)


def clave_sesion(sid: str) -> str:
    return SESION + hashlib.sha256(sid.encode()).hexdigest()


def clave_revocacion(identidad: str) -> str:
    return REVOCACION + identidad.strip().lower()


class PynamoSesionesConsola:
    """Console sessions; ``reloj`` gives epoch seconds (injectable for tests)."""

    def __init__(self, settings: Settings, reloj: Callable[[], float] = time.time) -> None:
        bind(settings)
        self._reloj = reloj

    def abrir(self, sesion: SesionConsola) -> None:
        ClaveItem(
            clave_sesion(sesion.sid),
            estado="sesion",
            datos={
                "identidad": sesion.identidad.strip().lower(),
                "sub": sesion.sub,
                "roles": sorted(sesion.roles),
                "creada_en": sesion.creada_en,
            },
            vence=sesion.vence_en,
            expira=datetime.fromtimestamp(sesion.vence_en, tz=UTC),
        ).save(condition=ClaveItem.clave.does_not_exist())

    def vigente(self, sid: str, identidad: str) -> SesionConsola | None:
        if not sid or not identidad:
            return None
        claves = [clave_sesion(sid), clave_revocacion(identidad)]
        items = {i.clave: i for i in ClaveItem.batch_get(claves, consistent_read=True)}
        item = items.get(claves[0])
        if item is None or item.estado != "sesion" or not isinstance(item.datos, dict):
            return None
        datos = item.datos
        sesion = SesionConsola(
            sid=sid,
            identidad=str(datos.get("identidad", "")),
            sub=str(datos.get("sub", "")),
            roles=tuple(str(r) for r in datos.get("roles") or ()),
            creada_en=float(datos.get("creada_en") or 0),
            vence_en=float(item.vence or 0),
        )
        if sesion.identidad != identidad.strip().lower() or sesion.vence_en <= self._reloj():
            return None
        revocacion = items.get(claves[1])
        if revocacion is not None and sesion.creada_en <= float(revocacion.vence or 0):
            return None
        return sesion

    def cerrar(self, sid: str) -> None:
        try:
            ClaveItem(clave_sesion(sid)).delete(condition=ClaveItem.estado == "sesion")
        except DeleteError as exc:
            if not condicion_fallida(exc):
                raise

    def revocar_sesiones(self, identidad: str) -> None:
        ahora = self._reloj()
        ClaveItem(
            clave_revocacion(identidad),
            estado="revocacion",
            vence=ahora,
            expira=datetime.fromtimestamp(ahora, tz=UTC) + RETENCION_REVOCACION,
        ).save()
