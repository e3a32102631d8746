"""The state diagram in docs/states-and-data.md (linked from the README) is generated from TRANSITIONS and kept
equal to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.domain import diagram
from chalicelib.domain.states import TERMINALES, TRANSITIONS, Estado

DOCUMENTO = Path(__file__).resolve().parents[3] / "docs" / "states-and-data.md"


def _aristas() -> set[str]:
    return {linea.strip() for linea in diagram.mermaid().splitlines() if "-->" in linea}


def test_the_states_document_holds_exactly_the_diagram_generated_from_the_table() -> None:
    # Given
    texto = DOCUMENTO.read_text(encoding="utf-8")

    # When
    en_readme = diagram.extraer(texto)

    # Then
    assert en_readme == diagram.mermaid(), "run: python -m chalicelib.domain.diagram --write"
    assert f"{diagram.MARCA_INICIO}\n```mermaid\n" in texto
    assert f"```\n{diagram.MARCA_FIN}" in texto


@pytest.mark.parametrize(
    ("origen", "accion", "destino"),
    [pytest.param(o, a, d, id=f"{o.value}-{a.value}") for (o, a), d in TRANSITIONS.items() if o is not d],
)
def test_every_state_changing_transition_is_an_edge(origen, accion, destino) -> None:
    # Given / When
    aristas = _aristas()

    # Then
    assert f"{origen.value} --> {destino.value} : {accion.value}" in aristas


def test_transitions_that_keep_the_state_are_not_drawn_as_edges() -> None:
    # Given
    propias = [(o, a) for (o, a), d in TRANSITIONS.items() if o is d]

    # When
    aristas = _aristas()

    # Then
    assert propias
    for origen, accion in propias:
        assert f"{origen.value} --> {origen.value} : {accion.value}" not in aristas
    assert len([a for a in aristas if not a.startswith("[*]") and not a.endswith("[*]")]) == len(TRANSITIONS) - len(
        propias
    )


def test_the_diagram_starts_at_nueva_and_ends_at_the_terminal_states_with_no_way_out() -> None:
    # Given
    con_salida = {o for (o, _), d in TRANSITIONS.items() if o is not d}

    # When
    lineas = diagram.mermaid().splitlines()

    # Then
    assert lineas[0] == "stateDiagram-v2"
    assert lineas[1].strip() == "[*] --> nueva"
    finales = {linea.strip().removesuffix(" --> [*]") for linea in lineas if linea.strip().endswith("--> [*]")}
    assert finales == {e.value for e in TERMINALES - con_salida}
    assert finales == {Estado.DERIVADA_EMPRESAS.value, Estado.REDIGITADA.value}


def test_the_diagram_is_deterministic() -> None:
    # Given / When / Then
    assert diagram.mermaid() == diagram.mermaid()


def test_writing_the_diagram_only_replaces_the_block_between_the_markers() -> None:
    # Given
    texto = f"# Título\n\nantes\n{diagram.MARCA_INICIO}\nviejo\n{diagram.MARCA_FIN}\ndespués\n"

    # When
    nuevo = diagram.reemplazar(texto)

    # Then
    assert nuevo.startswith(f"# Título\n\nantes\n{diagram.MARCA_INICIO}\n```mermaid\nstateDiagram-v2\n")
    assert nuevo.endswith(f"```\n{diagram.MARCA_FIN}\ndespués\n")
    assert "viejo" not in nuevo
    assert diagram.extraer(nuevo) == diagram.mermaid()
    assert diagram.reemplazar(nuevo) == nuevo


def test_the_cli_writes_and_then_checks_a_readme(tmp_path: Path) -> None:
    # Given
    readme = tmp_path / "README.md"
    readme.write_text(f"x\n{diagram.MARCA_INICIO}\n{diagram.MARCA_FIN}\ny\n", encoding="utf-8")
    antes = diagram.main(["--check", "--readme", str(readme)])

    # When
    escrito = diagram.main(["--write", "--readme", str(readme)])

    # Then
    assert (antes, escrito) == (1, 0)
    assert diagram.main(["--check", "--readme", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8").startswith("x\n") and readme.read_text(encoding="utf-8").endswith("y\n")


def test_a_readme_without_the_markers_is_refused() -> None:
    # Given / When / Then
    with pytest.raises(ValueError):
        diagram.reemplazar("# README sin marcas\n")
