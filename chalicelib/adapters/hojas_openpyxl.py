"""``HojasCalculo`` on openpyxl: report tables as an .xlsx workbook (one sheet per table).

openpyxl is imported inside ``libro`` only (the handlers that never build a workbook do not load it). Amounts and
percentages are real numbers with two decimals (``#,##0.00``), dates real dates (``dd/mm/yyyy hh:mm``), so the
division head can sum and sort; the first row is the title, the second the header (frozen, with a filter).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from chalicelib.domain.ports import Tabla

FORMATO_NUMERO: Final = "#,##0.00"
FORMATO_FECHA: Final = "dd/mm/yyyy hh:mm"
ANCHO_MAXIMO: Final = 60


class OpenpyxlHojas:
    def libro(self, tablas: Sequence[Tabla]) -> bytes:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        libro = Workbook()
        libro.remove(libro.active)
        encabezado = Font(bold=True, color="FFFFFF")
        relleno = PatternFill("solid", fgColor="0B4F8A")
        for tabla in tablas:
            hoja = libro.create_sheet(title=tabla.nombre[:31])
            hoja.append([tabla.titulo])
            hoja["A1"].font = Font(bold=True, size=13, color="0B3C6E")
            hoja.append(list(tabla.columnas))
            for celda in hoja[2]:
                celda.font = encabezado
                celda.fill = relleno
                celda.alignment = Alignment(vertical="center", wrap_text=True)
            anchos = [len(str(c)) for c in tabla.columnas]
            for fila in tabla.filas:
                hoja.append([_valor(v) for v in fila])
                for indice, valor in enumerate(fila):
                    celda = hoja.cell(row=hoja.max_row, column=indice + 1)
                    if isinstance(valor, str) and valor.startswith("="):
                        celda.data_type = "s"  # text from people is never a formula (openpyxl reads "=..." as one)
                    if isinstance(valor, Decimal):
                        celda.number_format = FORMATO_NUMERO
                    elif isinstance(valor, datetime):
                        celda.number_format = FORMATO_FECHA
                    if indice < len(anchos):
                        anchos[indice] = max(anchos[indice], len(_texto(valor)))
            for indice, ancho in enumerate(anchos, start=1):
                hoja.column_dimensions[get_column_letter(indice)].width = min(ANCHO_MAXIMO, ancho + 2)
            hoja.freeze_panes = "A3"
            if tabla.filas:
                hoja.auto_filter.ref = f"A2:{get_column_letter(len(tabla.columnas))}{hoja.max_row}"
        salida = io.BytesIO()
        libro.save(salida)
        return salida.getvalue()


def _valor(valor: Any) -> Any:
    """Decimals as floats (Excel numbers; two decimals are exact enough for a cell), the rest as is."""
    if isinstance(valor, Decimal):
        return float(valor)
    return valor


def _texto(valor: Any) -> str:
    if valor is None:
        return ""
    if isinstance(valor, datetime):
        return "00/00/0000 00:00"
    if isinstance(valor, Decimal):
        return f"{valor:,.2f}"
    return str(valor)
