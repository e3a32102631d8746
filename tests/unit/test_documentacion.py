"""The README stays a newcomer's page and every link of the documentation resolves.

README.md keeps the first ten minutes (people and doors, the two commands, the first walk, the architecture map and
the step table); the reference lives in docs/, one file per area. Every relative link of README.md and docs/*.md
must name an existing file, and every ``#anchor`` must be a heading (GitHub's slug) or an explicit HTML anchor of
the target file.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

RAIZ = Path(__file__).resolve().parents[2]
README = RAIZ / "README.md"
DOCUMENTOS = sorted((RAIZ / "docs").glob("*.md"))
MAXIMO_LINEAS_README = 320

_VALLA = re.compile(r"^\s*(```|~~~)")
_TITULO = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CODIGO_EN_LINEA = re.compile(r"(`+)(.+?)\1")
_ENLACE = re.compile(r"!?\[(?P<texto>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<destino><[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_ANCLA_HTML = re.compile(r"<a\s[^>]*\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)


def slug(titulo: str) -> str:
    """GitHub's heading anchor: the rendered text, lowercase, without punctuation (letters, marks, digits, '-' and
    '_' stay, accented letters too), each space a '-'."""
    partes = _CODIGO_EN_LINEA.split(titulo)  # text, fence, code, text, …: tags and link syntax only outside code
    texto = ""
    for i in range(0, len(partes), 3):
        fuera = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", partes[i])  # a link in a heading reads as its text
        texto += re.sub(r"<[^>]+>", "", fuera) + (partes[i + 2] if i + 2 < len(partes) else "")
    texto = texto.strip().lower()
    conservados = (
        c for c in texto if c in " -_" or unicodedata.category(c)[0] in "LMN" or unicodedata.category(c) == "Pc"
    )
    return "".join(conservados).replace(" ", "-")


def _lineas_fuera_de_codigo(texto: str) -> list[str]:
    lineas, en_valla = [], False
    for linea in texto.splitlines():
        if _VALLA.match(linea):
            en_valla = not en_valla
            continue
        if not en_valla:
            lineas.append(linea)
    return lineas


def anclas(ruta: Path) -> set[str]:
    """Every anchor a link may name in the file: headings (repeated ones get -1, -2, … like GitHub) and HTML ids."""
    vistas: dict[str, int] = {}
    resultado: set[str] = set()
    for linea in _lineas_fuera_de_codigo(ruta.read_text(encoding="utf-8")):
        resultado.update(_ANCLA_HTML.findall(linea))
        titulo = _TITULO.match(linea)
        if not titulo:
            continue
        base = slug(titulo.group(2))
        veces = vistas.get(base, 0)
        vistas[base] = veces + 1
        resultado.add(base if veces == 0 else f"{base}-{veces}")
    return resultado


def enlaces(ruta: Path) -> list[str]:
    """The targets of the Markdown links of the file, outside fenced code and inline code."""
    texto = "\n".join(_lineas_fuera_de_codigo(ruta.read_text(encoding="utf-8")))  # a link's text may wrap lines
    sin_codigo = _CODIGO_EN_LINEA.sub("", texto)
    return [m.group("destino").strip("<>") for m in _ENLACE.finditer(sin_codigo)]


def _externo(destino: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", destino, re.IGNORECASE))


def _nombre(ruta: Path) -> str:
    return str(ruta.relative_to(RAIZ)) if ruta.is_relative_to(RAIZ) else str(ruta)


def _problemas(ruta: Path) -> list[str]:
    problemas = []
    for destino in enlaces(ruta):
        if _externo(destino):
            continue
        camino, _, ancla = destino.partition("#")
        objetivo = (ruta.parent / unquote(camino)).resolve() if camino else ruta
        if not objetivo.exists():
            problemas.append(f"{destino}: no such file {_nombre(objetivo)}")
            continue
        if ancla and objetivo.suffix == ".md" and unquote(ancla) not in anclas(objetivo):
            problemas.append(f"{destino}: no heading or anchor #{ancla} in {_nombre(objetivo)}")
    return problemas


@pytest.mark.parametrize("ruta", [README, *DOCUMENTOS], ids=lambda r: str(r.relative_to(RAIZ)))
def test_every_relative_link_and_anchor_resolves(ruta: Path) -> None:
    # Given / When
    problemas = _problemas(ruta)

    # Then
    assert not problemas, "\n".join(problemas)


def test_the_readme_fits_a_newcomers_first_ten_minutes() -> None:
    # Given / When
    lineas = README.read_text(encoding="utf-8").splitlines()

    # Then
    assert len(lineas) <= MAXIMO_LINEAS_README, (
        f"README.md has {len(lineas)} lines (at most {MAXIMO_LINEAS_README}): move reference text into docs/"
    )


def test_the_readme_links_every_document_under_docs() -> None:
    # Given
    enlazados = {(README.parent / d.partition("#")[0]).resolve() for d in enlaces(README) if not _externo(d)}

    # When
    sin_enlace = [str(d.relative_to(RAIZ)) for d in DOCUMENTOS if d.resolve() not in enlazados]

    # Then
    assert not sin_enlace, f"not linked from README.md: {sin_enlace}"


def test_the_readme_keeps_what_a_newcomer_needs() -> None:
    # Given
    titulos = {
        slug(m.group(2))
        for linea in _lineas_fuera_de_codigo(README.read_text(encoding="utf-8"))
        if (m := _TITULO.match(linea))
    }

    # Then
    assert {
        "the-two-commands",
        "a-first-walk-on-the-local-stage",
        "architecture",
        "where-each-step-of-the-procedure-lives",
        "documentation",
    } <= titulos


@pytest.mark.parametrize(
    ("titulo", "esperado"),
    [
        (
            "The customer's own channel (WhatsApp, Messenger, Botmaker)",
            "the-customers-own-channel-whatsapp-messenger-botmaker",
        ),
        (
            "Facturación's list: `GET /facturacion/control-recurrente?mes=AAAA-MM`",
            "facturacións-list-get-facturacioncontrol-recurrentemesaaaa-mm",
        ),
        ("Help Desk loop (steps 6–7)", "help-desk-loop-steps-67"),
        ("Channel policy (reaction × channel)", "channel-policy-reaction--channel"),
        ("Data (`dynamo_tables.py`)", "data-dynamo_tablespy"),
        ("Least privilege (`.chalice/policy-<stage>.json`)", "least-privilege-chalicepolicy-stagejson"),
    ],
)
def test_anchors_are_githubs_slugs(titulo: str, esperado: str) -> None:
    # Given / When / Then
    assert slug(titulo) == esperado


def test_a_broken_anchor_or_file_is_reported(tmp_path: Path) -> None:
    # Given
    (tmp_path / "otro.md").write_text('# Título\n\n## Sección\n\n<a id="explicita"></a>\n', encoding="utf-8")
    documento = tmp_path / "doc.md"
    documento.write_text(
        "# Doc\n\n[bien](otro.md#sección) [html](otro.md#explicita) [aquí](#doc) [externo](https://example.com/x#y)\n"
        "`[código](falta.md)`\n\n```\n[en valla](falta.md)\n```\n\n[mal](otro.md#nada) [en dos\nlíneas](falta.md)\n",
        encoding="utf-8",
    )

    # When
    problemas = _problemas(documento)

    # Then
    assert [p.split(":")[0] for p in problemas] == ["otro.md#nada", "falta.md"]
