"""Step 8, the customer's own answer to the Carta Comercial: by email reply or by a signed link.

- Email: the carta carries a reply token of purpose ``oferta`` (``correo_entrante.PROPOSITOS``): ACEPTO / SI
  accept, NO / RECHAZO reject with the reason.
- Link: the carta carries signed, expiring links of purpose ``oferta`` (``enlaces.registrar_proposito``) bound to
  the customer's address; "aceptar" and "rechazar" open a confirmation page and decide once.

Both doors apply ``aceptar_oferta`` / ``rechazar_oferta`` through ``solicitudes.aplicar`` as the system on the
customer's behalf (role SISTEMA, actor the customer's address); the executive can still record it by hand.
"""

from __future__ import annotations

from typing import Final

from chalicelib.domain.model import Rol, Solicitud
from chalicelib.domain.states import Accion
from chalicelib.services import enlaces

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
