"""Step 8: the plan catalogue and which plans a request may be offered (pure).

A plan is eligible when the location has coverage, the plan's technology is the one available there (and the one
Help Desk confirmed, if it named one), and its speed fits both the zone's maximum and the confirmed capacity.
The same rule feeds the options of ``enviar_oferta`` and the guard that refuses an ineligible offer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from chalicelib.domain.model import Solicitud

MODALIDADES: Final[Mapping[str, str]] = {"prepago": "Prepago", "pospago": "Pospago"}
VALIDEZ_OFERTA_DIAS: Final = 15
"""Days a Carta Comercial stays valid."""


@dataclass(frozen=True)
class Plan:
    """A residential plan of the catalogue (tariffs in Bolivianos)."""

    id: str
    nombre: str
    tecnologia: str
    velocidad_mbps: float
    tarifa_mensual_bs: float
    costo_instalacion_bs: float
    modalidades: tuple[str, ...] = ("prepago", "pospago")
    vigente: bool = True

    @classmethod
    def desde_dict(cls, datos: Mapping[str, Any]) -> Plan:
        """A plan from its catalogue entry; ValueError if a field is missing or out of range."""
        try:
            plan = cls(
                id=str(datos["id"]),
                nombre=str(datos["nombre"]),
                tecnologia=str(datos["tecnologia"]),
                velocidad_mbps=float(datos["velocidad_mbps"]),
                tarifa_mensual_bs=float(datos["tarifa_mensual_bs"]),
                costo_instalacion_bs=float(datos.get("costo_instalacion_bs", 0)),
                modalidades=tuple(str(m) for m in datos.get("modalidades", ("prepago", "pospago"))),
                vigente=bool(datos.get("vigente", True)),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"invalid plan entry: {datos!r}") from exc
        if plan.velocidad_mbps <= 0 or plan.tarifa_mensual_bs < 0 or plan.costo_instalacion_bs < 0:
            raise ValueError(f"plan {plan.id}: speed must be positive and amounts non-negative")
        if not plan.modalidades or set(plan.modalidades) - set(MODALIDADES):
            raise ValueError(f"plan {plan.id}: modalidades must be a non-empty subset of {sorted(MODALIDADES)}")
        return plan

    def campos_oferta(self) -> dict[str, Any]:
        """The offer fields this plan fills in (``plan`` is the name people read, ``plan_id`` the key)."""
        return {
            "plan_id": self.id,
            "plan": self.nombre,
            "tecnologia": self.tecnologia,
            "velocidad_mbps": self.velocidad_mbps,
            "tarifa_mensual_bs": self.tarifa_mensual_bs,
            "costo_instalacion_bs": self.costo_instalacion_bs,
            "modalidades": list(self.modalidades),
        }

    @property
    def etiqueta(self) -> str:
        """How the plan reads in a list of options, e.g. "Hogar Fibra 50 — 50 Mbps — Bs 199,00/mes"."""
        return f"{self.nombre} — {self.velocidad_mbps:g} Mbps — {formato_bs(self.tarifa_mensual_bs)}/mes"


def formato_bs(monto: float) -> str:
    """1250.5 -> "Bs 1.250,50" (Bolivian grouping, two decimals)."""
    texto = f"{monto:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"Bs {texto}"


def motivo_no_elegible(s: Solicitud, tecnologia: Any, velocidad_mbps: Any) -> str | None:
    """Why an offer of this technology and speed does not fit the request's coverage and confirmed capacity."""
    cobertura = s.cobertura or {}
    if not cobertura:
        return "Primero consulte la cobertura técnica de la ubicación (paso 5)."
    if not cobertura.get("disponible"):
        return "La ubicación no tiene cobertura; no se le puede ofertar un plan."
    disponible = cobertura.get("tecnologia")
    if disponible and tecnologia and str(tecnologia) != str(disponible):
        return f"La tecnología del plan ({tecnologia}) no es la disponible en la ubicación ({disponible})."
    confirmada = (s.capacidad or {}).get("tecnologia")
    if confirmada and tecnologia and str(tecnologia) != str(confirmada):
        return f"La tecnología del plan ({tecnologia}) no es la que confirmó Help Desk ({confirmada})."
    if velocidad_mbps is None:
        return None
    velocidad = float(velocidad_mbps)
    maxima_zona = cobertura.get("velocidad_maxima_mbps")
    if maxima_zona is not None and velocidad > float(maxima_zona):
        return f"La velocidad del plan ({velocidad:g} Mbps) supera la máxima de la zona ({float(maxima_zona):g} Mbps)."
    maxima_hd = (s.capacidad or {}).get("velocidad_maxima_mbps")
    if maxima_hd is not None and velocidad > float(maxima_hd):
        return (
            f"La velocidad del plan ({velocidad:g} Mbps) supera la capacidad confirmada por Help Desk "
            f"({float(maxima_hd):g} Mbps)."
        )
    return None


def planes_elegibles(planes: Iterable[Plan], s: Solicitud) -> list[Plan]:
    """The current plans that fit the request's coverage and Help Desk's confirmed capacity, cheapest first."""
    elegibles = [p for p in planes if p.vigente and motivo_no_elegible(s, p.tecnologia, p.velocidad_mbps) is None]
    return sorted(elegibles, key=lambda p: (p.tarifa_mensual_bs, p.velocidad_mbps, p.id))


def plan_ofertado_elegible(s: Solicitud, campos: Mapping[str, Any]) -> str | None:
    """Guard of ``enviar_oferta``: the offered plan fits the coverage and the confirmed capacity."""
    return motivo_no_elegible(s, campos.get("tecnologia"), campos.get("velocidad_mbps"))


def modalidad_del_plan(modalidad: str) -> Callable[[Solicitud, Mapping[str, Any]], str | None]:
    """Guard of ``elegir_prepago`` / ``elegir_pospago``: the offered plan is sold in that payment form."""

    def guard(s: Solicitud, _: Mapping[str, Any]) -> str | None:
        permitidas = (s.oferta or {}).get("modalidades")
        if permitidas and modalidad not in permitidas:
            nombre = (s.oferta or {}).get("plan") or "ofertado"
            etiquetas = ", ".join(MODALIDADES.get(m, m).lower() for m in permitidas)
            return f"El plan {nombre} solo se vende en modalidad {etiquetas}."
        return None

    return guard
