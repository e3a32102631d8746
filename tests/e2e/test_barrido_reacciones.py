"""The fault sweep of every stream reaction (issue 19): for each action that sends emails or channel messages
(``services.reacciones.REACCIONES``), a request is walked through the staff API to the state before it and the
action is applied; its stream record waits. The flow is the stream delivering that record: every AWS call of the
reaction fails once, and after Lambda's retry of the record (or, when a provider refused, the pending-sends job)
the end state must equal the fault-free run's: each email and message once, nothing lost.

`make test` sweeps the reaction that makes the most kinds of call (the transfer receipt: signed links to
Collections, a copy split off without them, a reply token, the customer's email); `make chaos` sweeps every
reaction with every kind of failure."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.services.reacciones import REACCIONES
from tests.e2e.barrido import TIPOS, Escenario, barrer
from tests.e2e.test_barrido_fallas import _constatar

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

CAOS = os.environ.get("VD_CAOS") == "1"
TIPOS_BARRIDOS = TIPOS if CAOS else ("throttle",)

Paso = tuple[str, str, dict[str, Any]]
"""(action, role, fields) of one staff API call."""

COORDENADAS = {"latitud": -17.3935, "longitud": -66.157}
BASE: list[Paso] = [
    ("clasificar_residencial", "EJ", {}),
    ("registrar_datos", "EJ", {"ci": "4567890", "ci_expedido": "CB", **COORDENADAS}),
    ("consultar_cobertura", "EJ", {}),
]
CONSULTA_HD = [*BASE, ("solicitar_confirmacion_hd", "EJ", {"velocidad_solicitada_mbps": 50})]
NEGOCIACION = [*CONSULTA_HD, ("confirmar_capacidad", "HD", {"velocidad_maxima_mbps": 100, "tecnologia": "FTTH"})]
OFERTA = [*NEGOCIACION, ("enviar_oferta", "EJ", {"plan": "hogar-fibra-50"})]
ACEPTADA = [*OFERTA, ("aceptar_oferta", "EJ", {})]
REQUISITOS = [
    *ACEPTADA,
    *[
        ("registrar_requisito", "EJ", {"requisito": r, "detalle": "recibido"})
        for r in ("ci", "ubicacion", "carta_solicitud")
    ],
    ("completar_requisitos", "EJ", {}),
]
FORMA_PAGO = [*REQUISITOS, ("digitar_venta", "EJ", {})]
PREPAGO = [*FORMA_PAGO, ("elegir_prepago", "EJ", {})]
COMPROBANTE = {
    "monto_bs": 349,
    "fecha_deposito": "2026-11-30",
    "numero_deposito": "DEP-778812",
    "tipo_operacion": "transferencia",
    "depositante": "María Quispe Mamani",
    "banco": "Banco Unión",
}
DEPOSITO = [*PREPAGO, ("registrar_comprobante", "EJ", COMPROBANTE)]
APROBADO = [*DEPOSITO, ("aprobar_deposito", "CO", {})]
IMPRESA = [*APROBADO, ("marcar_impresa", "CA", {"numero_factura": "F-001-000123", "monto_bs": 349})]
PAGO_WEB = [*PREPAGO, ("registrar_pago_web", "CO", {"id_transaccion": "TX-99812", "monto_bs": 349})]
CONFIRMADO = [*PAGO_WEB, ("confirmar_pago_web", "CO", {})]
POSPAGO = [*FORMA_PAGO, ("elegir_pospago", "EJ", {})]
ANULADA = [*PREPAGO, ("anular", "EJ", {"motivo": "Dirección errada en Smartflex"})]

CASOS: dict[str, list[Paso]] = {
    "derivar_empresas": [
        ("derivar_empresas", "EJ", {"razon_social": "Ferretería El Tornillo SRL", "nit": "1023456021"})
    ],
    "solicitar_confirmacion_hd": CONSULTA_HD,
    "confirmar_capacidad": NEGOCIACION,
    "negar_capacidad": [*CONSULTA_HD, ("negar_capacidad", "HD", {"motivo": "Caja terminal saturada"})],
    "enviar_oferta": OFERTA,
    "rechazar_oferta": [*OFERTA, ("rechazar_oferta", "EJ", {"motivo": "Le parece caro"})],
    "aceptar_oferta": ACEPTADA,
    "digitar_venta": FORMA_PAGO,
    "elegir_prepago": PREPAGO,
    "elegir_pospago": POSPAGO,
    "registrar_comprobante": DEPOSITO,
    "registrar_pago_web": PAGO_WEB,
    "aprobar_deposito": APROBADO,
    "rechazar_deposito": [*DEPOSITO, ("rechazar_deposito", "CO", {"motivo": "El monto no coincide"})],
    "marcar_impresa": IMPRESA,
    "marcar_entregada": [*IMPRESA, ("marcar_entregada", "CA", {"entregada_a": "María Quispe Mamani"})],
    "confirmar_pago_web": CONFIRMADO,
    "rechazar_pago_web": [*PAGO_WEB, ("rechazar_pago_web", "CO", {"motivo": "Transacción no encontrada"})],
    "enviar_factura": [*CONFIRMADO, ("enviar_factura", "CO", {"numero_factura": "F-001-000200", "monto_bs": 349})],
    "registrar_control_recurrente": [
        *POSPAGO,
        ("registrar_control_recurrente", "FA", {"dia_facturacion": 5, "monto_mensual_bs": 199}),
    ],
    "anular": ANULADA,
    "crear_redigitacion": [*ANULADA, ("redigitar", "RC", {})],
}
"""The walk to each action, ending with it. The capture's reactions are swept by the web form and Lead Ads flows,
the bank notice's by the bank confirmation flow (tests/e2e/test_barrido_fallas.py)."""
POR_OTROS_FLUJOS = frozenset({"capturar", "registrar_notificacion_banco", "cerrar_sin_cobertura"})
"""``cerrar_sin_cobertura`` sends the same two templates as ``negar_capacidad``'s customer and team-lead emails."""
RAPIDAS = ("registrar_comprobante",)
BARRIDAS = sorted(CASOS) if CAOS else list(RAPIDAS)


def test_every_reaction_is_swept_here_or_by_another_flow():
    assert set(REACCIONES) == set(CASOS) | POR_OTROS_FLUJOS


@pytest.fixture(params=TIPOS_BARRIDOS)
def tipo(request) -> str:
    return str(request.param)


def _caminar(etapa, pasos: list[Paso]) -> Callable[[], str]:
    def preparar() -> str:
        from tests.e2e.test_procedimiento import _nueva

        solicitud_id = _nueva(etapa)
        *antes, (accion, rol, campos) = pasos
        for paso, rol_paso, campos_paso in antes:
            etapa.aplicar(solicitud_id, paso, rol_paso, **campos_paso)
        respuesta = etapa.accion(solicitud_id, accion, rol, **campos)  # its stream record waits
        assert respuesta.status_code == 200, respuesta.body
        return solicitud_id

    return preparar


@pytest.mark.parametrize("accion", BARRIDAS)
def test_the_reaction_survives_a_failure_of_each_aws_call(etapa, moto_endpoint, tipo, accion):
    escenario = Escenario(etapa=etapa, moto_endpoint=moto_endpoint)
    resultado = barrer(escenario, lambda _: None, preparar=_caminar(etapa, CASOS[accion]), tipo=tipo, drenar=False)
    _constatar(f"reacción {accion}", tipo, resultado, minimo=3)
