"""Smartflex as a source of events: a sale cancelled in Smartflex is cancelled here too (steps 20, 25)."""

from __future__ import annotations

import logging
from typing import Final

from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.errors import SolicitudNoEncontrada
from chalicelib.domain.model import Rol, Solicitud
from chalicelib.domain.states import Accion, Estado
from chalicelib.services.solicitudes import Puertos, aplicar

logger = logging.getLogger(__name__)

MOTIVO_POR_DEFECTO: Final = "Venta anulada en Smartflex."
ANULADA_EN_SMARTFLEX: Final = "ANULADA"


def anular_desde_smartflex(numero_contrato: str, motivo: str, *, puertos: Puertos) -> Solicitud:
    """A contract cancelled in Smartflex cancels its request here with ``origen_anulacion = smartflex``, applied
    by the system through the same ``aplicar`` as every decision; doing it again changes nothing.

    On the local stage this also performs the cancellation in the simulated Smartflex first (idempotent there)."""
    contrato = puertos.smartflex.consultar_contrato(numero_contrato)
    if contrato is None:
        raise SolicitudNoEncontrada(f"No existe el contrato {numero_contrato} en Smartflex.")
    if contrato.get("estado") != ANULADA_EN_SMARTFLEX:
        contrato = puertos.smartflex.anular(numero_contrato, motivo.strip() or MOTIVO_POR_DEFECTO)
    solicitud = puertos.repo.obtener(str(contrato["solicitud_id"]))
    if solicitud.estado in (Estado.ANULADA.value, Estado.REDIGITADA.value):
        return solicitud
    motivo_final = motivo.strip() or str(contrato.get("motivo_anulacion") or "") or MOTIVO_POR_DEFECTO
    logger.info("anulacion desde smartflex", extra={"solicitud_id": solicitud.id, "contrato": numero_contrato})
    return aplicar(
        AplicarAccion(
            solicitud_id=solicitud.id,
            accion=Accion.ANULAR.value,
            campos={"motivo": motivo_final, "origen_anulacion": "smartflex"},
            actor="smartflex",
            rol=Rol.SISTEMA,
            canal="smartflex",
            nota=f"Contrato {numero_contrato} anulado en Smartflex.",
        ),
        puertos=puertos,
    )
