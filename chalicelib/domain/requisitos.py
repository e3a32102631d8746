"""Step 9: the requirements checklist as people read it (pure).

The registered requirements are ``ci`` (photo of the CI), ``ubicacion`` (installation location) and
``carta_solicitud`` (the signed request letter); each entry may carry ``documento``, the key of the stored file
(S3, documents bucket), set by the executive or by the email/WhatsApp intake. The CI number and the address come
from the basic data (step 3); the checklist shows them as their own lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from chalicelib.domain.model import Solicitud


@dataclass(frozen=True)
class ItemRequisito:
    clave: str
    etiqueta: str
    para_el_cliente: str
    registrado: bool
    """True when it is a registered requirement (``registrar_requisito``), False when it comes from the data."""


ITEMS: Final[tuple[ItemRequisito, ...]] = (
    ItemRequisito("ci_numero", "Número de CI", "Su número de cédula de identidad (CI).", registrado=False),
    ItemRequisito("ci", "Fotografía del CI", "Fotografía de su cédula de identidad (CI), de ambos lados.", True),
    ItemRequisito(
        "ubicacion",
        "Ubicación de instalación (dirección y coordenadas)",
        "Ubicación del lugar de instalación: dirección completa y su ubicación compartida desde el celular.",
        True,
    ),
    ItemRequisito(
        "carta_solicitud",
        "Carta de solicitud firmada",
        "Carta de solicitud de servicio firmada por el titular (le adjuntamos el modelo).",
        True,
    ),
)
REGISTRADOS: Final[tuple[str, ...]] = tuple(i.clave for i in ITEMS if i.registrado)


def _presente(s: Solicitud, item: ItemRequisito) -> bool:
    if item.clave == "ci_numero":
        return bool(s.datos.get("ci_huella"))
    return item.clave in s.requisitos


def checklist(s: Solicitud) -> list[dict[str, Any]]:
    """Each item with whether it is present and, for registered ones, when and with which document."""
    filas = []
    for item in ITEMS:
        entrada = s.requisitos.get(item.clave) if item.registrado else None
        filas.append(
            {
                "clave": item.clave,
                "etiqueta": item.etiqueta,
                "para_el_cliente": item.para_el_cliente,
                "presente": _presente(s, item),
                "documento": isinstance(entrada, Mapping) and bool(entrada.get("documento")),
            }
        )
    return filas


def faltantes(s: Solicitud) -> list[ItemRequisito]:
    """The items still missing, in checklist order."""
    return [item for item in ITEMS if not _presente(s, item)]


def datos_de_instalacion(s: Solicitud, _: Mapping[str, Any]) -> str | None:
    """Guard of ``completar_requisitos``: besides the registered items, the CI number and the address exist."""
    faltan = []
    if not s.datos.get("ci_huella"):
        faltan.append("número de CI")
    if not s.datos.get("direccion"):
        faltan.append("dirección de instalación")
    if faltan:
        return "Faltan datos del cliente: " + ", ".join(faltan) + " (regístrelos en los datos básicos)."
    return None
