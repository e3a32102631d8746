"""The inbound-mail authorisation matrix through the SES receipt handler, from raw MIME (the parsing path of
``on_correo_entrante``), for Collections' deposit decision: DMARC PASS / FAIL / GRAY × token valid / unknown /
expired × From the bound mailbox or not. Only PASS ∧ valid ∧ match approves the deposit; every other cell changes
nothing and answers nobody.

Extends ``tests/unit/services/test_correo_entrante.py::test_only_dmarc_pass_with_a_valid_token_from_the_responder_applies``
(the same matrix, plus a used token, for Help Desk's capacity question at the service level, with parsed mail).
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

import pytest

from chalicelib.domain.correo import TokenRespuesta

EVENTO = json.loads((Path(__file__).resolve().parents[1] / "events" / "ses_recepcion.json").read_text(encoding="utf-8"))
CO = "cobranzas@ventas.comteco.local"
REMITENTES = {
    "coincide": CO,
    "coincide_en_mayusculas": "Cobranzas@Ventas.Comteco.Local",
    "no_coincide": "atacante@otro.example",
    "nombre_visible_falso": f'"{CO}" <atacante@otro.example>',
    "otro_buzon_interno": "ejecutivos@ventas.comteco.local",
}
_n = itertools.count(1)


def _correo(remitente: str, para: str, asunto: str, texto: str) -> bytes:
    return (
        f"From: {remitente}\r\nTo: {para}\r\nSubject: {asunto}\r\nMessage-ID: <r{next(_n)}@cliente.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{texto}\r\n"
    ).encode()


@pytest.mark.parametrize("dmarc", ["PASS", "FAIL", "GRAY"])
@pytest.mark.parametrize("token", ["valido", "desconocido", "vencido"])
@pytest.mark.parametrize("remitente", sorted(REMITENTES))
def test_only_dmarc_pass_with_a_valid_token_from_the_bound_mailbox_approves_a_deposit(mundo, dmarc, token, remitente):
    # Given a deposit under validation and Collections' reply token for it
    s = mundo.guardar(
        estado="validacion_deposito",
        oferta={"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        pago={"monto_bs": 349.0, "numero_deposito": "DEP-7", "fecha_deposito": "2026-11-29"},
    )
    expira = "2026-11-29T09:00:00-04:00" if token == "vencido" else "2026-12-03T09:00:00-04:00"
    emitido = mundo.servicios.overrides["tokens_respuesta"].emitir(
        TokenRespuesta("", s.id, "deposito", CO, "CO", "2026-11-26T09:00:00-04:00", expira)
    )
    nombre = emitido.token if token != "desconocido" else "e" * 32
    para = f"ventas-digitales+{nombre}@ventas.comteco.local"
    message_id = f"ses-{next(_n)}"
    mundo.servicios.buzon_entrante.crudos[message_id] = _correo(
        REMITENTES[remitente], para, f"RE: [{s.id}] Validar depósito", "APROBADO\nVisto en el extracto."
    )
    evento = copy.deepcopy(EVENTO)
    evento["Records"][0]["ses"]["mail"]["messageId"] = message_id
    evento["Records"][0]["ses"]["receipt"]["recipients"] = [para]
    evento["Records"][0]["ses"]["receipt"]["dmarcVerdict"]["status"] = dmarc
    enviados = len(mundo.servicios.mailer.transporte.enviados)
    # When SES hands the reply to the handler
    resultado = mundo.cliente.lambda_.invoke("on_correo_entrante", evento).payload["resultados"][0]
    mundo.cifras["on_correo_entrante (matriz)"]["ejemplos"] += 1
    # Then only the authenticated reply of the bound mailbox, with a valid token, approves
    actual = mundo.servicios.repo.obtener(s.id)
    if dmarc == "PASS" and token == "valido" and remitente.startswith("coincide"):
        assert (resultado["estado"], actual.estado) == ("aplicado", "facturacion_caja")
        assert actual.version == s.version + 1
        return
    assert resultado["estado"] == "rechazado", resultado
    assert (actual.estado, actual.version) == (s.estado, s.version)
    assert len(mundo.servicios.mailer.transporte.enviados) == enviados, "no answer to a rejected (maybe forged) mail"
    rechazo = [e for e in mundo.servicios.repo.historial(s.id) if e.tipo == "correo_rechazado"]
    assert len(rechazo) == 1 and rechazo[0].campos["motivo"] == resultado["motivo"]
