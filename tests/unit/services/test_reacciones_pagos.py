"""Payment emails carry what each person needs: the amount and account, the signed links, the bank evidence."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.ports import CorreoRenderizado
from chalicelib.services import reacciones
from chalicelib.services.pagos import ConfigPagos
from tests.factories import make_entrada, make_solicitud
from tests.fakes_pagos import InMemoryAprobaciones
from tests.unit.services.enlaces_util import puertos_enlaces


class PlantillasRegistradas:
    def __init__(self) -> None:
        self.contextos: dict[str, dict] = {}
        self.copias: dict[str, dict] = {}

    def correo(self, nombre, contexto):
        (self.copias if contexto.get("copia") else self.contextos)[nombre] = dict(contexto)
        return CorreoRenderizado(asunto=nombre, texto=nombre, html="<p></p>")


@pytest.fixture
def aprobaciones():
    return InMemoryAprobaciones()


@pytest.fixture
def plantillas():
    return PlantillasRegistradas()


@pytest.fixture
def puertos_reaccion_pagos(puertos_reaccion, aprobaciones, clock, plantillas):
    enlaces = puertos_enlaces(aprobaciones, clock)
    configuracion = ConfigPagos(
        "Banco Unión S.A. — Cta. Cte. 1-0000000 — COMTECO R.L.", "http://vd.test/pagar/{referencia}?m={monto}"
    )
    return replace(puertos_reaccion, plantillas=plantillas, enlaces=enlaces, pagos=configuracion)


def _evento(s, accion):
    return AccionAplicada(
        solicitud_id=s.id,
        cambio_id=f"c-{accion}",
        accion=accion,
        de="x",
        a=s.estado,
        rol="EJ",
        actor="ej",
        en=s.actualizada_en,
    )


def _guardada(repo, **campos):
    s = make_solicitud(
        oferta={"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        **campos,
    )
    repo.crear(s, make_entrada(s))
    return s


def test_payment_instructions_carry_amount_reference_account_and_pay_link(repo, puertos_reaccion_pagos, plantillas):
    s = _guardada(repo, estado="pago_pendiente")
    reacciones.reaccionar(_evento(s, "elegir_prepago"), puertos=puertos_reaccion_pagos)
    contexto = plantillas.contextos["instrucciones_pago"]
    assert contexto["monto_total"] == 349.0 and contexto["referencia"] == s.id
    assert contexto["cuenta_bancaria"].startswith("Banco Unión S.A.")
    assert contexto["url_pago_web"] == f"http://vd.test/pagar/{s.id}?m=349.00"


def test_collections_gets_approve_and_reject_links_bound_to_its_mailbox(
    repo, puertos_reaccion_pagos, plantillas, aprobaciones
):
    s = _guardada(repo, estado="validacion_deposito", pago={"monto_bs": 349.0})
    reacciones.reaccionar(_evento(s, "registrar_comprobante"), puertos=puertos_reaccion_pagos)
    contexto = plantillas.contextos["validar_deposito"]
    assert contexto["url_aprobar"].endswith("?decision=aprobar") and contexto["url_rechazar"].endswith(
        "?decision=rechazar"
    )
    (registro,) = aprobaciones.registros.values()
    assert (registro.solicitud_id, registro.proposito, registro.rol, registro.responsable) == (
        s.id,
        "deposito",
        "CO",
        "cobranzas@ventas.test",
    )


def test_a_redelivered_change_issues_no_second_link(repo, puertos_reaccion_pagos, aprobaciones):
    s = _guardada(repo, estado="validacion_deposito", pago={"monto_bs": 349.0})
    reacciones.reaccionar(_evento(s, "registrar_comprobante"), puertos=puertos_reaccion_pagos)
    reacciones.reaccionar(_evento(s, "registrar_comprobante"), puertos=puertos_reaccion_pagos)
    assert len(aprobaciones.registros) == 1


def test_the_bank_evidence_reaches_collections_only_while_it_validates_the_deposit(
    repo, puertos_reaccion_pagos, mailer
):
    evidencia = {"notificacion_banco": {"banco": "Banco Unión S.A.", "monto_bs": 349.0}}
    antes = _guardada(repo, estado="pago_pendiente", pago=evidencia)
    durante = _guardada(repo, estado="validacion_deposito", pago={"monto_bs": 349.0, **evidencia})
    assert reacciones.reaccionar(_evento(antes, "registrar_notificacion_banco"), puertos=puertos_reaccion_pagos) == []
    enviadas = reacciones.reaccionar(_evento(durante, "registrar_notificacion_banco"), puertos=puertos_reaccion_pagos)
    assert enviadas == ["notificacion_banco"] and mailer.enviados[-1].para == ("cobranzas@ventas.test",)


def test_cajas_gets_the_print_link_then_the_delivery_link(repo, puertos_reaccion_pagos, plantillas, aprobaciones):
    s = _guardada(repo, estado="facturacion_caja", pago={"monto_bs": 349.0})
    reacciones.reaccionar(_evento(s, "aprobar_deposito"), puertos=puertos_reaccion_pagos)
    impresa = _guardada(repo, estado="factura_impresa", factura={"numero": "F-1", "monto_bs": 349.0})
    reacciones.reaccionar(_evento(impresa, "marcar_impresa"), puertos=puertos_reaccion_pagos)
    assert "url_imprimir" in plantillas.contextos["instruccion_cajas"]
    assert "url_entregar" in plantillas.contextos["entrega_factura"]
    assert sorted((a.proposito, a.rol, a.responsable) for a in aprobaciones.registros.values()) == [
        ("entrega", "CA", "cajas@ventas.test"),
        ("impresion", "CA", "cajas@ventas.test"),
    ]


def test_without_link_ports_the_emails_still_go_without_links(repo, puertos_reaccion, mailer):
    s = _guardada(repo, estado="validacion_deposito", pago={"monto_bs": 349.0})
    enviadas = reacciones.reaccionar(_evento(s, "registrar_comprobante"), puertos=puertos_reaccion)
    assert enviadas == ["validar_deposito", "comprobante_recibido"]
