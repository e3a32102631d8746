"""``Graficos`` on matplotlib (Agg backend): the monthly report's chart as a PNG for an inline email image.

matplotlib is heavy (about a second to import), so it is imported inside the method that draws, never at module
import: the API and stream handlers that share the package do not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

ANCHO_PULGADAS: Final = 4.4
"""Drawn 4.4 in wide at 200 dpi (880 px) and shown at most 552 px wide: sharp on phones, text still legible
when a phone scales it down to about 340 px."""
COLORES: Final = {"APROBADO": "#1e7b34", "OBSERVADO": "#b26a00", "SIN BASE": "#5b6673"}
AZUL: Final = "#0b4f8a"
GRIS: Final = "#9aa5b1"


def _bs(valor: Any) -> str:
    """Bs 1.250,00 without babel (the chart only needs this one format)."""
    numero = Decimal(str(valor)).quantize(Decimal("0.01"))
    entero, _, decimales = f"{numero:,.2f}".partition(".")
    return "Bs " + entero.replace(",", ".") + "," + decimales


def _pct(valor: Any) -> str:
    return f"{Decimal(str(valor)):.2f}".replace(".", ",") + " %"


class MatplotlibGraficos:
    """Two panels: the month's billing against the previous month's with the 98 % threshold, and the funnel."""

    def informe_mensual(self, informe: Mapping[str, Any]) -> bytes:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt

        kpi = informe["kpi"]
        color = COLORES.get(str(kpi["veredicto"]), AZUL)
        anterior = float(kpi["facturacion_anterior_bs"])
        actual = float(kpi["facturacion_bs"])
        umbral = anterior * float(kpi["umbral"]) / 100
        embudo = [(str(p["etiqueta"]).split(" (")[0], int(p["cantidad"])) for p in informe["embudo"]]

        dpi = 200
        figura = plt.figure(figsize=(ANCHO_PULGADAS, 6.0), dpi=dpi)
        barras = figura.add_axes((0.05, 0.55, 0.92, 0.31))
        pasos = figura.add_axes((0.39, 0.04, 0.50, 0.37))
        try:
            figura.patch.set_facecolor("white")
            etiquetas = [str(informe["mes_anterior_etiqueta"]).capitalize(), str(informe["mes_etiqueta"]).capitalize()]
            rects = barras.bar(etiquetas, [anterior, actual], color=[GRIS, color], width=0.55)
            for rect, valor in zip(rects, [kpi["facturacion_anterior_bs"], kpi["facturacion_bs"]], strict=True):
                barras.annotate(
                    _bs(valor),
                    (rect.get_x() + rect.get_width() / 2, rect.get_height()),
                    xytext=(0, 4),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=10,
                    fontweight="bold",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
                    zorder=5,
                )
            if anterior > 0:
                barras.axhline(
                    umbral,
                    color="#c0392b",
                    linestyle="--",
                    linewidth=1.2,
                    label=f"98 % del mes anterior: {_bs(Decimal(str(kpi['facturacion_anterior_bs'])) * Decimal('0.98'))}",
                )
                barras.legend(
                    loc="lower left",
                    bbox_to_anchor=(0.0, 1.0),
                    fontsize=9,
                    frameon=False,
                    handlelength=1.6,
                    borderaxespad=0.2,
                )
            tope = max(anterior, actual, 1.0)
            barras.set_ylim(0, tope * 1.18)
            porcentaje = kpi["porcentaje"]
            titulo = f"KPI {_pct(porcentaje)} · {kpi['veredicto']}" if porcentaje is not None else str(kpi["veredicto"])
            figura.text(0.03, 0.965, f"Facturación — {titulo}", fontsize=12.5, fontweight="bold", color=color, va="top")
            barras.yaxis.set_visible(False)
            for lado in ("top", "right", "left"):
                barras.spines[lado].set_visible(False)
            barras.tick_params(axis="x", labelsize=10)

            nombres = [n for n, _ in embudo][::-1]
            cantidades = [c for _, c in embudo][::-1]
            horizontales = pasos.barh(nombres, cantidades, color=AZUL, height=0.6)
            maximo = max(cantidades + [1])
            for rect, cantidad in zip(horizontales, cantidades, strict=True):
                pasos.annotate(
                    f"{cantidad:,}".replace(",", "."),
                    (rect.get_width(), rect.get_y() + rect.get_height() / 2),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=9.5,
                )
            pasos.set_xlim(0, maximo * 1.18)
            figura.text(
                0.03, 0.47, "Embudo de las solicitudes del mes", fontsize=12, fontweight="bold", color=AZUL, va="top"
            )
            pasos.xaxis.set_visible(False)
            for lado in ("top", "right", "bottom"):
                pasos.spines[lado].set_visible(False)
            pasos.tick_params(axis="y", labelsize=9.5)
            salida = io.BytesIO()
            figura.savefig(salida, format="png", dpi=dpi, facecolor="white")
            return salida.getvalue()
        finally:
            plt.close(figura)
