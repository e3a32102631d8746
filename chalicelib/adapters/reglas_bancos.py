"""The banks whose deposit notifications are read, and how: ``chalicelib/data/bancos.json`` (rules as data).

Adding a bank is adding an entry there: its sending domains, a subject pattern and one regular expression per
field (see README, "Payments and approvals"). The file is read and validated once per process.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Final

from chalicelib.domain.pagos import ReglaBanco

ARCHIVO: Final = Path(__file__).resolve().parent.parent / "data" / "bancos.json"


@lru_cache(maxsize=4)
def cargar_reglas(archivo: Path = ARCHIVO) -> tuple[ReglaBanco, ...]:
    """Every bank rule of ``archivo``; ValueError naming the bank if one is invalid (fail at cold start)."""
    datos = json.loads(archivo.read_text(encoding="utf-8"))
    return tuple(ReglaBanco.desde_dict(banco) for banco in datos["bancos"])
