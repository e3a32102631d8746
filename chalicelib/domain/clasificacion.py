"""Step 2: a suggested classification (residential or business) with its reason; the executive decides.

The rules, first match wins (the reason is recorded as ``motivo_clasificacion``):
1. the prospect's own answer: the web form's «Empresa o negocio» or a Lead Ads ``tipo_de_cliente`` answer
   (empresa/negocio/... → business; residencial/hogar/casa/... → residential);
2. a NIT (a ``nit`` field, or "NIT" followed by 6+ digits in the name or message);
3. a company name: a ``razon_social`` field, or a legal-form suffix in the name or message (S.R.L., SRL, S.A.,
   Ltda., S.A.S., Cía.) or a trade word that names a business (importadora, distribuidora, ...);
4. business words in the message (empresa, negocio, oficina, sucursal, ...);
otherwise residential.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

EMPRESARIAL: Final = "empresarial"
RESIDENCIAL: Final = "residencial"

RESPUESTAS_EMPRESA: Final = frozenset(
    {"empresa", "empresarial", "negocio", "empresa o negocio", "corporativo", "pyme", "comercial", "institucion"}
)
RESPUESTAS_HOGAR: Final = frozenset({"residencial", "hogar", "casa", "domicilio", "particular", "familia", "personal"})

PALABRAS_EMPRESA: Final = (
    "empresa",
    "empresarial",
    "negocio",
    "oficina",
    "oficinas",
    "sucursal",
    "sucursales",
    "corporativo",
    "corporativa",
    "institucion",
    "local comercial",
    "mi tienda",
    "consultorio",
    "clinica",
    "colegio",
    "restaurante",
    "hotel",
    "factura con nit",
)
_FORMAS_JURIDICAS: Final = (
    ("S.R.L.", re.compile(r"\bs\.?\s?r\.?\s?l\b\.?")),
    ("Ltda.", re.compile(r"\bltda\b\.?")),
    ("S.A.S.", re.compile(r"\bs\.a\.s\b\.?")),
    ("S.A.", re.compile(r"\bs\.\s?a\.(?=\s|$|,)|\bs\.?a\.?$")),
    ("Cía.", re.compile(r"\bcia\.?\s|&\s?cia\b")),
)
_RUBROS: Final = ("importadora", "distribuidora", "constructora", "ferreteria", "farmacia", "inmobiliaria")
_NIT = re.compile(r"\bnit\b[\s:.#-]*\d{6,}", re.IGNORECASE)


def _plano(texto: str) -> str:
    return unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode().lower().strip()


def _respuesta(datos: Mapping[str, Any]) -> tuple[str, str] | None:
    formulario = _plano(str(datos.get("tipo_cliente") or ""))
    if formulario in ("empresa", "empresarial", "negocio"):
        return EMPRESARIAL, "El prospecto eligió «Empresa o negocio» en el formulario."
    lead_ads = _plano(str(datos.get("tipo_de_cliente") or ""))
    if lead_ads in RESPUESTAS_EMPRESA:
        return EMPRESARIAL, f"En el formulario de Facebook respondió «{datos['tipo_de_cliente']}» como tipo de cliente."
    if lead_ads in RESPUESTAS_HOGAR:
        return RESIDENCIAL, f"En el formulario de Facebook respondió «{datos['tipo_de_cliente']}» como tipo de cliente."
    return None


def _razon_social(texto: str) -> str | None:
    for etiqueta, patron in _FORMAS_JURIDICAS:
        if patron.search(texto):
            return etiqueta
    return next((rubro for rubro in _RUBROS if re.search(rf"\b{rubro}\b", texto)), None)


def sugerir_tipo(datos: Mapping[str, Any], mensaje: str = "") -> tuple[str, str]:
    """('empresarial' | 'residencial', Spanish reason). Business when the prospect said so (web form or Lead Ads
    answer), gave a NIT or a company name (legal form such as S.R.L., S.A., Ltda.), or wrote business words such as
    empresa, negocio, oficina or sucursal; residential when the Lead Ads answer says so or nothing points to a
    business."""
    respuesta = _respuesta(datos)
    if respuesta is not None:
        return respuesta
    if datos.get("nit"):
        return EMPRESARIAL, "El prospecto indicó un NIT."
    if datos.get("razon_social"):
        return EMPRESARIAL, "El prospecto indicó una razón social."
    nombre = _plano(str(datos.get("nombre") or ""))
    texto = _plano(" ".join(str(datos.get(k, "")) for k in ("nombre", "servicio", "empresa")) + " " + mensaje)
    if _NIT.search(texto):
        return EMPRESARIAL, "El mensaje menciona un NIT."
    forma = _razon_social(nombre) or _razon_social(_plano(mensaje))
    if forma:
        return EMPRESARIAL, f"El nombre o el mensaje corresponde a una empresa («{forma}»)."
    for palabra in PALABRAS_EMPRESA:
        if re.search(rf"\b{re.escape(palabra)}\b", texto):
            return EMPRESARIAL, f"El mensaje menciona «{palabra}»."
    return RESIDENCIAL, "Sin indicios de empresa: se sugiere residencial."
