"""The CSV writer for the report tables (and any other ``Tabla``): Excel in es-BO, and text that a spreadsheet
never runs as a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from chalicelib.domain.ports import Tabla

_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")


def texto_seguro(valor: str) -> str:
    """Text a spreadsheet will not run as a formula: one that starts like a formula (``=``, ``+``, ``-``, ``@``, tab,
    CR) gets a leading apostrophe, except a plain number such as a phone (+59171234567). Names and reasons come
    from prospects and staff, so a CSV opened in Excel must never evaluate them."""
    if valor.startswith(_FORMULA) and not re.fullmatch(r"[+-]?\d[\d ]*", valor):
        return "'" + valor
    return valor


def _celda_csv(valor: Any) -> str:
    if valor is None:
        return ""
    if isinstance(valor, bool):
        return "Sí" if valor else "No"
    if isinstance(valor, Decimal):
        return format(valor, "f").replace(".", ",")
    if isinstance(valor, datetime):
        return valor.strftime("%d/%m/%Y %H:%M")
    return texto_seguro(str(valor))


def csv_de(tablas: Sequence[Tabla]) -> str:
    """Tables as CSV for Excel in es-BO: UTF-8 with BOM (accents), ``;`` separator, decimal comma, dates
    dd/mm/aaaa hh:mm (La Paz), CRLF. One table: header and rows; several: each under its title, blank line between."""
    salida = io.StringIO()
    escritor = csv.writer(salida, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for indice, tabla in enumerate(tablas):
        if len(tablas) > 1:
            if indice:
                escritor.writerow([])
            escritor.writerow([tabla.titulo])
        escritor.writerow(tabla.columnas)
        for fila in tabla.filas:
            escritor.writerow([_celda_csv(v) for v in fila])
    return "\ufeff" + salida.getvalue()
