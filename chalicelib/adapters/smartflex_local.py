"""Smartflex (the billing/CRM system) as seen from Ventas Digitales.

SIMULATED in every stage for now: no Smartflex API is reachable from here. ``SmartflexLocal`` behaves like the
registration call (idempotent per request: the same request always gets the same customer and contract
numbers). A real adapter implements the same ``Smartflex`` port (chalicelib/domain/ports.py).
"""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.domain.model import Solicitud


class SmartflexLocal:
    def registrar_venta(self, solicitud: Solicitud, ci: str) -> dict[str, Any]:
        semilla = hashlib.sha256(f"{solicitud.id}|{ci}".encode()).hexdigest()
        cliente = solicitud.datos.get("codigo_cliente") or f"CL-{int(semilla[:10], 16) % 10**7:07d}"
        contrato = f"SCS-{solicitud.mes.replace('-', '')}-{int(semilla[10:20], 16) % 10**6:06d}"
        return {"numero_contrato": contrato, "codigo_cliente": cliente, "sistema": "smartflex-local"}
