"""The README's state diagram, generated from ``TRANSITIONS`` so that the table and the documentation cannot drift.

``python -m chalicelib.domain.diagram`` prints the Mermaid source; ``--write`` replaces the block between the
README markers; ``--check`` exits with 1 when the README is out of date.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from chalicelib.domain.states import ESTADO_INICIAL, TERMINALES, TRANSITIONS, Accion, Estado

MARCA_INICIO: Final = "<!-- estados:inicio -->"
MARCA_FIN: Final = "<!-- estados:fin -->"
README: Final = Path(__file__).resolve().parents[2] / "docs" / "states-and-data.md"  # where the diagram lives
_VALLA_INICIO: Final = "```mermaid"
_VALLA_FIN: Final = "```"


def _orden_estado(estado: Estado) -> int:
    return list(Estado).index(estado)


def mermaid() -> str:
    """The state machine as a Mermaid ``stateDiagram-v2``: one edge per state-changing transition, in table order
    grouped by origin state; actions that keep the state are listed as comments; states with no way out end."""
    orden_accion = {accion: i for i, (_, accion) in enumerate(TRANSITIONS)}
    transiciones = sorted(TRANSITIONS.items(), key=lambda item: (_orden_estado(item[0][0]), orden_accion[item[0][1]]))
    lineas = ["stateDiagram-v2", f"    [*] --> {ESTADO_INICIAL.value}"]
    propias: dict[Estado, list[Accion]] = {}
    for (origen, accion), destino in transiciones:
        if origen is destino:
            propias.setdefault(origen, []).append(accion)
        else:
            lineas.append(f"    {origen.value} --> {destino.value} : {accion.value}")
    con_salida = {origen for (origen, _), destino in TRANSITIONS.items() if origen is not destino}
    for estado in sorted(TERMINALES - con_salida, key=_orden_estado):
        lineas.append(f"    {estado.value} --> [*]")
    for estado in sorted(propias, key=_orden_estado):
        acciones = ", ".join(a.value for a in propias[estado])
        lineas.append(f"    %% {estado.value} (sin cambio de estado): {acciones}")
    return "\n".join(lineas) + "\n"


def bloque() -> str:
    """The fenced Mermaid block that belongs between the README markers."""
    return f"{_VALLA_INICIO}\n{mermaid()}{_VALLA_FIN}\n"


def _limites(texto: str) -> tuple[int, int]:
    inicio = texto.find(MARCA_INICIO)
    fin = texto.find(MARCA_FIN, inicio + 1)
    if inicio < 0 or fin < 0:
        raise ValueError(f"README without the markers {MARCA_INICIO} and {MARCA_FIN}.")
    return inicio + len(MARCA_INICIO), fin


def extraer(texto: str) -> str:
    """The Mermaid source held between the README markers (without the fence)."""
    inicio, fin = _limites(texto)
    contenido = texto[inicio:fin].strip("\n")
    if contenido.startswith(_VALLA_INICIO + "\n"):
        contenido = contenido[len(_VALLA_INICIO) + 1 :]
    if contenido.endswith("\n" + _VALLA_FIN):
        contenido = contenido[: -len(_VALLA_FIN)]
    return contenido


def reemplazar(texto: str) -> str:
    """The README text with the block between the markers replaced by the current diagram; nothing else changes."""
    inicio, fin = _limites(texto)
    return texto[:inicio] + "\n" + bloque() + texto[fin:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mermaid state diagram generated from TRANSITIONS.")
    accion = parser.add_mutually_exclusive_group()
    accion.add_argument("--write", action="store_true", help="replace the diagram block in the README")
    accion.add_argument("--check", action="store_true", help="exit 1 when the README's diagram is out of date")
    parser.add_argument("--readme", type=Path, default=README, help="document path (default: docs/states-and-data.md)")
    args = parser.parse_args(argv)
    ruta: Path = args.readme
    if args.write:
        actual = ruta.read_text(encoding="utf-8")
        nuevo = reemplazar(actual)
        if nuevo != actual:
            ruta.write_text(nuevo, encoding="utf-8")
        return 0
    if args.check:
        if extraer(ruta.read_text(encoding="utf-8")) != mermaid():
            print(f"{ruta}: the state diagram is out of date; run python -m chalicelib.domain.diagram --write")
            return 1
        return 0
    sys.stdout.write(mermaid())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
