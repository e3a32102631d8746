"""The dashboard's aggregates (issue 20): kept on the state-change stream, one request's change at a time, and
rebuilt from the requests on demand (``reconstruir``) to prove they agree.

``contar`` is at-least-once safe: the request's contribution is recorded with its version, and a record whose
version was already counted adds nothing; two deliveries racing lose a conditional write and the loser reads
again. A half-failed batch is retried record by record, so every change is counted exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from chalicelib.domain.errors import ConflictoConcurrente
from chalicelib.domain.model import Solicitud
from chalicelib.domain.ports import Agregados
from chalicelib.domain.tablero import Items, aporte, clave, claves_del_mes, diferencia, sumar

logger = logging.getLogger(__name__)

INTENTOS: Final = 5


def contar(s: Solicitud, *, agregados: Agregados) -> bool:
    """Apply the request's change to the aggregates once; False when this version was already counted."""
    for _ in range(INTENTOS):
        previo = agregados.aporte_de(s.id)
        if previo is not None and previo[0] >= s.version:
            return False
        nuevo = aporte(s)
        cambios = diferencia(nuevo, previo[1] if previo else {})
        try:
            agregados.contar(s.id, s.version, nuevo, previo[0] if previo else None, cambios)
        except ConflictoConcurrente:
            continue
        return True
    raise ConflictoConcurrente(f"No se pudo contar la solicitud {s.id} en el tablero: cambió {INTENTOS} veces.")


@dataclass(frozen=True)
class Comparacion:
    """Stored aggregates against those recomputed from the requests, item by item (only what differs)."""

    diferencias: dict[str, dict[str, tuple[int, int]]]
    """item -> attribute -> (stored, recomputed)."""
    items: int

    @property
    def coinciden(self) -> bool:
        return not self.diferencias


def reconstruir(meses: Iterable[str], solicitudes: Iterable[Solicitud], *, agregados: Agregados) -> Comparacion:
    """Recompute the months' aggregates from ``solicitudes`` (every request created or invoiced in them) and
    compare them with the stored ones; the open pipeline is compared too when ``solicitudes`` holds them all."""
    calculados = sumar([aporte(s) for s in solicitudes])
    claves = [k for mes in meses for k in claves_del_mes(mes)]
    guardados = agregados.leer(claves)
    diferencias: dict[str, dict[str, tuple[int, int]]] = {}
    for item in claves:
        esperado, actual = calculados.get(item, {}), guardados.get(item, {})
        distintos = {
            a: (int(actual.get(a, 0)), int(esperado.get(a, 0)))
            for a in set(esperado) | set(actual)
            if int(actual.get(a, 0)) != int(esperado.get(a, 0))
        }
        if distintos:
            diferencias[item] = distintos
    return Comparacion(diferencias=diferencias, items=len(claves))


def corregir(meses: Iterable[str], solicitudes: Iterable[Solicitud], *, agregados: Agregados) -> Comparacion:
    """Overwrite the months' aggregate items with what the requests add up to; returns what it corrected."""
    lista = list(solicitudes)
    meses = list(meses)
    comparacion = reconstruir(meses, lista, agregados=agregados)
    if comparacion.coinciden:
        return comparacion
    calculados = sumar([aporte(s) for s in lista])
    agregados.reemplazar({item: calculados.get(item, {}) for item in comparacion.diferencias})
    logger.warning("tablero corregido", extra={"items": sorted(comparacion.diferencias)})
    return comparacion


def leer_mes(mes: str, anterior: str, *, agregados: Agregados) -> Items:
    """The items the dashboard of ``mes`` reads: the month, the previous one, and the open pipeline."""
    return agregados.leer([*claves_del_mes(mes), *claves_del_mes(anterior), clave("abierto")])
