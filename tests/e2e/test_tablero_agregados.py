"""The dashboard's aggregates on the local stage (issue 20): kept by the state-change stream as requests walk the
procedure through the public doors, unchanged by a redelivered batch, right after a half-failed one, and equal to
what the rebuild recomputes from the requests (``POST /reportes/tablero/verificacion``)."""

from __future__ import annotations

import pytest

from tests.e2e.test_procedimiento import _hasta_forma_pago, _nueva

pytestmark = pytest.mark.e2e


def _verificar(etapa, mes: str, corregir: bool = False) -> dict:
    ruta = f"/reportes/tablero/verificacion?mes={mes}" + ("&corregir=1" if corregir else "")
    respuesta = etapa.cliente.http.post(ruta, headers=etapa.cabeceras("RC"), body=b"")
    assert respuesta.status_code == 200, respuesta.body
    return dict(respuesta.json_body)


def _leer(mes: str) -> dict:
    from chalicelib.bootstrap import get_services
    from chalicelib.domain.tablero import claves_del_mes

    return get_services().agregados.leer(claves_del_mes(mes))


def _mundo(etapa) -> str:
    """Three requests: one sold and invoiced (prepaid, web payment), one waiting for Help Desk, one new."""
    vendida = _nueva(etapa)
    _hasta_forma_pago(etapa, vendida)
    etapa.aplicar(vendida, "elegir_prepago")
    etapa.aplicar(vendida, "registrar_pago_web", rol="CO", id_transaccion="TX-99812", monto_bs=349)
    etapa.aplicar(vendida, "confirmar_pago_web", rol="CO")
    etapa.aplicar(vendida, "enviar_factura", rol="CO", numero_factura="F-001-000200", monto_bs=349)
    otra = _nueva(etapa, envio_id="0f2c6f0e-8d1a-4b5e-9c7d-2a1b3c4d5e61")
    etapa.aplicar(otra, "clasificar_residencial")
    return str(etapa.detalle(vendida)["solicitud"]["mes"])


def test_the_stream_keeps_the_aggregates_equal_to_the_rebuild_and_a_redelivered_batch_changes_nothing(etapa):
    mes = _mundo(etapa)
    from chalicelib.domain.tablero import cifras_del_mes

    cifras = cifras_del_mes(mes, _leer(mes))
    assert cifras.ventas == 1 and cifras.centavos == 34900
    assert cifras.embudo["facturada"] == 1 and cifras.embudo["cerrada"] == 1
    assert _verificar(etapa, mes)["coinciden"] is True
    # When Lambda delivers every state-change batch again
    antes = _leer(mes)
    for evento in list(etapa.entregados):
        assert etapa.cliente.lambda_.invoke("on_solicitud_change", evento).payload == {"batchItemFailures": []}
    # Then nothing was counted twice
    assert _leer(mes) == antes
    assert _verificar(etapa, mes)["coinciden"] is True
    # And when a counter drifts (a bug, a hand edit), the rebuild reports it and corrects it
    from chalicelib.bootstrap import get_services

    get_services().agregados.reemplazar({f"tablero#{mes}#total": {"recibidas": 40}})
    informe = _verificar(etapa, mes)
    assert informe["coinciden"] is False
    assert informe["diferencias"][f"tablero#{mes}#total"]["recibidas"] == {"guardado": 40, "calculado": 2}
    corregido = _verificar(etapa, mes, corregir=True)
    assert corregido["corregidos"] == [f"tablero#{mes}#total"]
    assert _verificar(etapa, mes)["coinciden"] is True


def test_a_record_that_failed_half_way_is_counted_once_when_retried(etapa, monkeypatch):
    from chalicelib.adapters.dynamo_tablero import PynamoAgregados

    original = PynamoAgregados.contar
    fallos: list[str] = []

    def contar_con_un_fallo(self, solicitud_id, version, aporte, previa, cambios):
        if not fallos:
            fallos.append(solicitud_id)
            raise RuntimeError("DynamoDB no respondió (inyectado)")
        return original(self, solicitud_id, version, aporte, previa, cambios)

    monkeypatch.setattr(PynamoAgregados, "contar", contar_con_un_fallo)
    mes = _mundo(etapa)
    assert fallos, "the injected failure happened"
    assert _verificar(etapa, mes)["coinciden"] is True


def test_only_the_team_lead_and_the_division_head_run_the_rebuild(etapa):
    respuesta = etapa.cliente.http.post(
        "/reportes/tablero/verificacion?mes=2026-12", headers=etapa.cabeceras("EJ"), body=b""
    )
    assert respuesta.status_code == 403
    sin_mes = etapa.cliente.http.post("/reportes/tablero/verificacion", headers=etapa.cabeceras("JD"), body=b"")
    assert sin_mes.status_code == 422
