"""The projection's early warning on the local stage (issue 20, part 4), through the public doors: requests walked
with the web form and the staff API, the stream counting them, the ``warn_projection`` schedule fired as
EventBridge fires it, and the outbox read. Below 98 % on the 10th: one email to RC and JD with the open sale to push;
on track on the 20th: none, the run recorded."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.barrido import evento_programado
from tests.e2e.test_procedimiento import OFERTA, _hasta_forma_pago, _hasta_negociacion, _nueva

pytestmark = pytest.mark.e2e

LA_PAZ = ZoneInfo("America/La_Paz")
RC_Y_JD = ["responsable.canales@ventas.comteco.local", "jefe.ventas@ventas.comteco.local"]


def _avisos(etapa) -> list[dict]:
    return [m for m in etapa.outbox() if m["subject"].startswith("Aviso: ")]


def _vender(etapa, solicitud_id: str, numero: str, monto: int) -> None:
    etapa.aplicar(solicitud_id, "elegir_prepago")
    etapa.aplicar(solicitud_id, "registrar_pago_web", rol="CO", id_transaccion=f"TX-{numero}", monto_bs=monto)
    etapa.aplicar(solicitud_id, "confirmar_pago_web", rol="CO")
    etapa.aplicar(solicitud_id, "enviar_factura", rol="CO", numero_factura=f"F-001-{numero}", monto_bs=monto)


def test_below_98_percent_rc_and_jd_are_warned_once_and_on_track_nothing_is_sent(etapa, reloj):
    # Given November 2026: one sale invoiced (Bs 349) and another prospect left with the offer sent
    reloj.momento = datetime(2026, 11, 16, 10, 0, tzinfo=LA_PAZ)
    vendida = _nueva(etapa)
    _hasta_forma_pago(etapa, vendida)
    _vender(etapa, vendida, "000301", 349)
    abierta = _nueva(etapa, envio_id="5a1c9e2f-7b3d-4c8e-9f0a-1b2c3d4e5f60")
    _hasta_negociacion(etapa, abierta)
    etapa.aplicar(abierta, "enviar_oferta", **OFERTA)
    # When the schedule fires at 09:00 on Thursday 10 December, nothing billed yet, and EventBridge delivers it twice
    reloj.momento = datetime(2026, 12, 10, 9, 0, tzinfo=LA_PAZ)
    antes = len(etapa.outbox())
    resultados = [
        dict(etapa.cliente.lambda_.invoke("warn_projection", evento_programado(etapa, "aviso-10")).payload)
        for _ in range(2)
    ]
    etapa.bombear()
    # Then one warning left, to the team lead and the division head, with the open offer as the sale to push
    assert [(r["control"], r["enviado"]) for r in resultados] == [("10", True), ("10", False)]
    assert resultados[0]["veredicto"] == "OBSERVADO" and resultados[0]["palancas"] == [abierta]
    [aviso] = _avisos(etapa)
    assert len(etapa.outbox()) == antes + 1
    assert sorted(aviso["to"]) == sorted(RC_Y_JD)
    assert aviso["subject"].startswith("Aviso: diciembre de 2026 se proyecta en ")
    assert "Meta (98 % de noviembre de 2026): Bs 342,02" in aviso["text"]
    assert f"1. {abierta} · María Quispe Mamani · Bs 199,00 · Ofertas esperando la aceptación" in aviso["text"]
    assert f"/consola/solicitudes/{abierta}" in aviso["text"]

    # Given the open offer accepted and invoiced on the 15th (Bs 349: the month now above its target of Bs 342,02)
    reloj.momento = datetime(2026, 12, 15, 11, 0, tzinfo=LA_PAZ)
    etapa.aplicar(abierta, "aceptar_oferta")
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        etapa.aplicar(abierta, "registrar_requisito", requisito=requisito, detalle="recibido por correo")
    etapa.aplicar(abierta, "completar_requisitos")
    etapa.aplicar(abierta, "digitar_venta")
    _vender(etapa, abierta, "000302", 349)
    # When the checkpoint of the 20th (a Sunday) runs on Monday the 21st
    reloj.momento = datetime(2026, 12, 21, 9, 0, tzinfo=LA_PAZ)
    en_camino = dict(etapa.cliente.lambda_.invoke("warn_projection", evento_programado(etapa, "aviso-20")).payload)
    etapa.bombear()
    # Then no email, but the run is recorded with its projection
    assert (en_camino["control"], en_camino["enviado"], en_camino["motivo"]) == ("20", False, "en_camino")
    assert en_camino["veredicto"] == "APROBADO" and len(_avisos(etapa)) == 1
    from chalicelib.bootstrap import get_services

    registro = json.loads(get_services().idempotencia.resultado("aviso_proyeccion#2026-12#20") or "{}")
    assert registro["enviado"] is False and registro["veredicto"] == "APROBADO"
