"""``Pendientes`` on the claves table: one item per request with sends waiting for their provider.

- key ``pendientes#<solicitud_id>``; ``fila = envios`` and ``desde`` (when its oldest action was queued) put it on
  the sparse index ``por_fila``, which lists every queue, the one waiting longest first;
- ``datos``: the queued actions in order (each with when it was queued), the staff actions waiting for Smartflex
  (``acciones``, each with when it was asked), the provider and reason of the last failure, the attempts and the
  next one;
- ``version``: every write is conditional on the version read (a stream record queueing an action and the job
  taking one off may meet); a lost race is read again and redone, a few times, then ``ConflictoConcurrente``.

A scheduled email that could not leave is ``programado#<its once-key>`` with ``fila = programados`` (only its own
schedule writes it: a plain upsert).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any, Final

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from chalicelib.adapters.dynamo_tables import ClaveItem, bind, condicion_fallida
from chalicelib.config import Settings
from chalicelib.domain.errors import ConflictoConcurrente
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.pendientes import (
    AccionEnEspera,
    Causa,
    ColaPendiente,
    EnvioProgramado,
    comando_como_dict,
    comando_desde_dict,
)

PREFIJO: Final = "pendientes#"
FILA: Final = "envios"
PREFIJO_PROGRAMADO: Final = "programado#"
FILA_PROGRAMADOS: Final = "programados"
ESTADO: Final = "pendiente"
INTENTOS_ESCRITURA: Final = 5


def _clave(solicitud_id: str) -> str:
    return PREFIJO + solicitud_id


def _cola(item: ClaveItem) -> ColaPendiente:
    datos: dict[str, Any] = item.datos or {}
    return ColaPendiente(
        solicitud_id=str(item.solicitud_id),
        eventos=tuple(AccionAplicada(**e["evento"]) for e in datos.get("eventos", [])),
        desde=str(item.desde),
        proveedor=str(datos.get("proveedor") or ""),
        motivo=str(datos.get("motivo") or ""),
        intentos=int(datos.get("intentos") or 0),
        proximo_intento=str(datos.get("proximo_intento") or item.desde),
        ultimo_intento=datos.get("ultimo_intento"),
        version=int(item.version or 0),
        acciones=tuple(
            AccionEnEspera(comando=comando_desde_dict(a["comando"]), en=str(a["en"])) for a in datos.get("acciones", [])
        ),
    )


class PynamoPendientes:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    def de_solicitud(self, solicitud_id: str) -> ColaPendiente | None:
        item = self._leer(solicitud_id)
        return _cola(item) if item is not None else None

    def encolar(self, evento: AccionAplicada, causa: Causa, en: datetime, proximo: datetime) -> bool:
        entrada = {"evento": asdict(evento), "en": en.isoformat()}

        def cambiar(datos: dict[str, Any]) -> dict[str, Any] | None:
            if any(e["evento"]["cambio_id"] == evento.cambio_id for e in datos.get("eventos", [])):
                return None
            return {**datos, "eventos": [*datos.get("eventos", []), entrada]}

        nuevo = {
            "eventos": [entrada],
            "proveedor": causa.proveedor,
            "motivo": causa.motivo,
            "intentos": 0,
            "proximo_intento": proximo.isoformat(),
            "ultimo_intento": None,
        }
        return self._escribir(evento.solicitud_id, cambiar, nuevo)

    def quitar(self, cola: ColaPendiente, cambio_id: str) -> None:
        def cambiar(datos: dict[str, Any]) -> dict[str, Any] | None:
            eventos = [e for e in datos.get("eventos", []) if e["evento"]["cambio_id"] != cambio_id]
            if len(eventos) == len(datos.get("eventos", [])):
                return None
            return {**datos, "eventos": eventos}

        self._escribir(cola.solicitud_id, cambiar, None)

    def encolar_accion(self, accion: AccionEnEspera, causa: Causa, proximo: datetime) -> bool:
        entrada = {"comando": comando_como_dict(accion.comando), "en": accion.en}

        def cambiar(datos: dict[str, Any]) -> dict[str, Any] | None:
            if any(a["comando"].get("referencia") == accion.referencia for a in datos.get("acciones", [])):
                return None
            return {**datos, "acciones": [*datos.get("acciones", []), entrada]}

        nuevo = {
            "eventos": [],
            "acciones": [entrada],
            "proveedor": causa.proveedor,
            "motivo": causa.motivo,
            "intentos": 0,
            "proximo_intento": proximo.isoformat(),
            "ultimo_intento": None,
        }
        return self._escribir(accion.comando.solicitud_id, cambiar, nuevo)

    def quitar_accion(self, cola: ColaPendiente, referencia: str) -> None:
        def cambiar(datos: dict[str, Any]) -> dict[str, Any] | None:
            acciones = [a for a in datos.get("acciones", []) if a["comando"].get("referencia") != referencia]
            if len(acciones) == len(datos.get("acciones", [])):
                return None
            return {**datos, "acciones": acciones}

        self._escribir(cola.solicitud_id, cambiar, None)

    def fallo(self, cola: ColaPendiente, causa: Causa, en: datetime, proximo: datetime) -> None:
        def cambiar(datos: dict[str, Any]) -> dict[str, Any] | None:
            return {
                **datos,
                "proveedor": causa.proveedor,
                "motivo": causa.motivo,
                "intentos": int(datos.get("intentos") or 0) + 1,
                "ultimo_intento": en.isoformat(),
                "proximo_intento": proximo.isoformat(),
            }

        self._escribir(cola.solicitud_id, cambiar, None)

    def listar(self) -> list[ColaPendiente]:
        return [_cola(item) for item in ClaveItem.por_fila.query(FILA)]

    def anotar_programado(self, clave: str, descripcion: str, causa: Causa, en: datetime, reintento: str) -> None:
        try:
            previo = ClaveItem.get(PREFIJO_PROGRAMADO + clave, consistent_read=True)
            datos = dict(previo.datos or {})
            desde = str(previo.desde)
        except DoesNotExist:
            datos, desde = {}, en.isoformat()
        ClaveItem(
            PREFIJO_PROGRAMADO + clave,
            estado=ESTADO,
            fila=FILA_PROGRAMADOS,
            desde=desde,
            datos={
                "descripcion": descripcion,
                "proveedor": causa.proveedor,
                "motivo": causa.motivo,
                "intentos": int(datos.get("intentos") or 0) + 1,
                "ultimo_intento": en.isoformat(),
                "reintento": reintento,
            },
        ).save()

    def quitar_programado(self, clave: str) -> None:
        ClaveItem(PREFIJO_PROGRAMADO + clave).delete()

    def programados(self) -> list[EnvioProgramado]:
        envios = []
        for item in ClaveItem.por_fila.query(FILA_PROGRAMADOS):
            datos: dict[str, Any] = item.datos or {}
            envios.append(
                EnvioProgramado(
                    clave=item.clave.removeprefix(PREFIJO_PROGRAMADO),
                    descripcion=str(datos.get("descripcion") or ""),
                    desde=str(item.desde),
                    proveedor=str(datos.get("proveedor") or ""),
                    motivo=str(datos.get("motivo") or ""),
                    intentos=int(datos.get("intentos") or 0),
                    ultimo_intento=str(datos.get("ultimo_intento") or item.desde),
                    reintento=str(datos.get("reintento") or ""),
                )
            )
        return envios

    # --- storage ---

    def _leer(self, solicitud_id: str) -> ClaveItem | None:
        try:
            return ClaveItem.get(_clave(solicitud_id), consistent_read=True)
        except DoesNotExist:
            return None

    def _escribir(
        self,
        solicitud_id: str,
        cambiar: Callable[[dict[str, Any]], dict[str, Any] | None],
        nuevo: dict[str, Any] | None,
    ) -> bool:
        """Read, change and write back on the version read; True when something was written. ``nuevo`` is the
        queue to create when there is none (None: nothing to do then)."""
        for _ in range(INTENTOS_ESCRITURA):
            item = self._leer(solicitud_id)
            try:
                if item is None:
                    if nuevo is None:
                        return False
                    self._guardar(solicitud_id, nuevo, 0, ClaveItem.clave.does_not_exist())
                    return True
                datos = cambiar(dict(item.datos or {}))
                if datos is None:
                    return False
                version = int(item.version or 0)
                if not datos.get("eventos") and not datos.get("acciones"):
                    item.delete(condition=ClaveItem.version == version)
                else:
                    self._guardar(solicitud_id, datos, version + 1, ClaveItem.version == version)
                return True
            except (PutError, DeleteError) as exc:
                if not condicion_fallida(exc):
                    raise
        raise ConflictoConcurrente(f"La cola de envíos pendientes de {solicitud_id} cambió mientras se escribía.")

    def _guardar(self, solicitud_id: str, datos: dict[str, Any], version: int, condicion: Any) -> None:
        ClaveItem(
            _clave(solicitud_id),
            estado=ESTADO,
            solicitud_id=solicitud_id,
            fila=FILA,
            desde=min(str(e["en"]) for e in [*datos.get("eventos", []), *datos.get("acciones", [])]),
            version=version,
            datos=datos,
        ).save(condition=condicion)
