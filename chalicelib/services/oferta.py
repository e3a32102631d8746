"""Step 8, the customer's own answer to the Carta Comercial: by email reply or by a signed link.

- Email: the carta carries a reply token of purpose ``oferta`` (``correo_entrante.PROPOSITOS``): ACEPTO / SI
  accept, NO / RECHAZO reject with the reason.
- Link: the carta carries signed, expiring links of purpose ``oferta`` (``enlaces.registrar_proposito``) bound to
  the customer's address; "aceptar" and "rechazar" open a confirmation page and decide once.

Both doors apply ``aceptar_oferta`` / ``rechazar_oferta`` through ``solicitudes.aplicar`` as the system on the
customer's behalf (role SISTEMA, actor the customer's address); the executive can still record it by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.model import Rol, Solicitud
from chalicelib.domain.states import Accion
from chalicelib.services import enlaces

if TYPE_CHECKING:
    from chalicelib.services.reacciones import PuertosReaccion

PROPOSITO: Final = "oferta"
DECISIONES: Final = ("aceptar", "rechazar")


def _ficha_oferta(s: Solicitud) -> list[enlaces.Fila]:
    oferta = s.oferta or {}
    return [
        ("Código", s.id, "texto"),
        ("Cliente", s.nombre, "texto"),
        ("Plan", oferta.get("plan"), "texto"),
        ("Velocidad", oferta.get("velocidad_mbps"), "mbps"),
        ("Tarifa mensual", oferta.get("tarifa_mensual_bs"), "bs"),
        ("Instalación", oferta.get("costo_instalacion_bs"), "bs"),
        ("Válida hasta", oferta.get("valida_hasta"), "fecha"),
    ]


enlaces.registrar_proposito(
    enlaces.Proposito(
        nombre=PROPOSITO,
        titulo="Su propuesta de COMTECO",
        rol=Rol.SISTEMA,
        acciones={"aceptar": Accion.ACEPTAR_OFERTA, "rechazar": Accion.RECHAZAR_OFERTA},
        botones={"aceptar": "Acepto la propuesta", "rechazar": "No me interesa"},
        explicacion=(
            "Revise la propuesta de la Carta Comercial. Si la acepta, le pediremos los requisitos para la "
            "instalación; si no le interesa, cuéntenos el motivo."
        ),
        ficha=_ficha_oferta,
    )
)


def contexto_carta_comercial(s: Solicitud, _: AccionAplicada, puertos: PuertosReaccion) -> dict[str, Any]:
    """The customer's accept / reject links for the offer just sent (none without an email or link ports)."""
    if puertos.enlaces is None or not s.email:
        return {}
    enlace = enlaces.emitir(s.id, PROPOSITO, Rol.SISTEMA, s.email, DECISIONES, puertos=puertos.enlaces)
    return {f"url_{d}": url for d, url in enlace.urls.items()} | {"enlace_vence": enlace.expira_en}
