"""The dashboard's charts as server-rendered SVG with pygal (issue 20): pure Python (one 130 KB wheel, no numpy),
so the console's function stays lean; matplotlib stays in the report layer, where the monthly email already uses
it. Imported lazily, only by the dashboard page.

Each chart has its numbers in a table beside it on the page (``templates/pages/consola_tablero.html``); the SVG is
decoration for those who can see it (``role="img"`` with a Spanish title). pygal's ``<script>`` (its tooltip
configuration) is removed: the console's CSP runs no script, and the page works without JavaScript.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from chalicelib.adapters.rendering import bs, entero

_SCRIPT: Final = re.compile(r"<script\b.*?</script>", re.S)
_ANCHO, _ALTO = 720, 320
COLORES: Final = ("#0b4f8a", "#9aa5b1", "#c98a00", "#1e7b3c")


def _estilo() -> Any:
    from pygal.style import Style

    return Style(
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#5b6673",
        colors=COLORES,
        label_font_size=16,
        major_label_font_size=16,
        legend_font_size=16,
        value_font_size=15,
        title_font_size=18,
    )


def _opciones(**propias: Any) -> dict[str, Any]:
    """What every chart of the dashboard shares: the console's look, no script, a width the page scales."""
    return {
        "style": _estilo(),
        "js": [],
        "disable_xml_declaration": True,
        "width": _ANCHO,
        "height": _ALTO,
        "explicit_size": False,
        "legend_at_bottom": True,
        "margin": 8,
        **propias,
    }


def _svg(grafico: Any, titulo: str) -> str:
    svg = _SCRIPT.sub("", grafico.render(is_unicode=True))
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_atributo(titulo)}" ', 1)


def _atributo(texto: str) -> str:
    return texto.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


class GraficosTablero:
    """The ``GraficosTablero`` port with pygal."""

    def embudo(self, pasos: Sequence[Mapping[str, Any]], mes: str, anterior: str) -> str:
        """The funnel of the month beside the previous month's, one bar pair per step."""
        import pygal

        grafico = pygal.HorizontalBar(**_opciones(print_values=True, print_zeroes=False, value_formatter=entero))
        grafico.x_labels = [str(p["etiqueta"]).split(" (")[0] for p in reversed(pasos)]
        maximo = max([int(p["cantidad"]) for p in pasos] + [int(p["anterior"]) for p in pasos] + [1])
        paso = max(1, math.ceil(maximo / 5))
        grafico.y_labels = list(range(0, maximo + paso, paso))  # whole requests, never 0.2 of one
        grafico.add(mes, [int(p["cantidad"]) for p in reversed(pasos)])
        grafico.add(anterior, [int(p["anterior"]) for p in reversed(pasos)])
        return _svg(grafico, f"Embudo de {mes} comparado con {anterior}")

    def tendencia(self, dias: Sequence[Mapping[str, Any]], mes: str, anterior: str) -> str:
        """Cumulative billing day by day, this month (up to today) against the previous month."""
        import pygal

        grafico = pygal.Line(
            **_opciones(
                show_dots=False,
                x_labels_major_every=5,
                show_minor_x_labels=False,
                value_formatter=lambda v: bs(Decimal(str(v))) if v is not None else "—",
            )
        )
        grafico.x_labels = [str(d["dia"]) for d in dias]
        grafico.add(mes, [_numero(d["acumulado_bs"]) for d in dias])
        grafico.add(anterior, [_numero(d["acumulado_anterior_bs"]) for d in dias])
        return _svg(grafico, f"Facturación acumulada por día: {mes} comparado con {anterior}")


def _numero(valor: Any) -> float | None:
    return None if valor is None else float(valor)
