"""Step 2: a suggested classification (residential or business) with its reason; the executive decides."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

PALABRAS_EMPRESA: Final = (
    "empresa",
    "negocio",
    "oficina",
    "sucursal",
    "corporativo",
    "institucion",
    "s.r.l",
    "srl",
    "ltda",
)
_NIT = re.compile(r"\bnit\b[\s:.#-]*\d{6,}", re.IGNORECASE)


def _plano(texto: str) -> str:
    return unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode().lower()


def sugerir_tipo(datos: Mapping[str, Any], mensaje: str = "") -> tuple[str, str]:
    """('empresarial' | 'residencial', Spanish reason). Business when the prospect chose it, gave a NIT or a
    company name, or wrote words such as empresa, negocio, oficina or sucursal."""
    if str(datos.get("tipo_cliente", "")).lower() in ("empresa", "empresarial", "negocio"):
        return "empresarial", "El prospecto eligió «Empresa o negocio» en el formulario."
    if datos.get("nit"):
        return "empresarial", "El prospecto indicó un NIT."
    if datos.get("razon_social"):
        return "empresarial", "El prospecto indicó una razón social."
    texto = _plano(" ".join(str(datos.get(k, "")) for k in ("nombre", "servicio")) + " " + mensaje)
    if _NIT.search(texto):
        return "empresarial", "El mensaje menciona un NIT."
    for palabra in PALABRAS_EMPRESA:
        if re.search(rf"\b{re.escape(palabra)}\b", texto):
            return "empresarial", f"El mensaje menciona «{palabra}»."
    return "residencial", "Sin indicios de empresa: se sugiere residencial."
