"""Every asynchronous door runs its work inside the identity of the delivery it handles (the stream record's
eventID, the schedule event's id, the SES message id), so that a claim taken by an attempt that died is retaken
by that delivery's retry (``services/una_vez.entrega``; the crash column of docs/RELIABILITY.md)."""

from __future__ import annotations

from typing import Any

from chalicelib.services import una_vez


def _registro(event_id: str, secuencia: str) -> dict[str, Any]:
    return {
        "eventID": event_id,
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/vd-solicitudes/stream/2026",
        "dynamodb": {"SequenceNumber": secuencia, "Keys": {"id": {"S": "VD-1"}}, "NewImage": {"id": {"S": "VD-1"}}},
    }


def test_each_stream_record_is_handled_as_its_own_delivery(servicios, monkeypatch):
    from chalicelib.handlers.stream_entrantes import procesar_entrantes
    from chalicelib.handlers.stream_solicitudes import procesar_cambios

    vistas: list[str | None] = []
    monkeypatch.setattr(type(servicios), "evento_desde_registro", lambda self, raw, solicitud=None: _Evento())
    monkeypatch.setattr(type(servicios), "solicitud_desde_registro", lambda self, raw: None)
    monkeypatch.setattr(
        type(servicios), "reaccionar_en_orden", lambda self, evento: vistas.append(una_vez.entrega_actual())
    )
    monkeypatch.setattr(type(servicios), "entrante_desde_registro", lambda self, raw: _Entrante(raw["eventID"]))
    monkeypatch.setattr(type(servicios), "procesar_entrante", lambda self, c: vistas.append(una_vez.entrega_actual()))

    procesar_cambios({"Records": [_registro("ev-a", "1"), _registro("ev-b", "2")]})
    procesar_entrantes({"Records": [_registro("ev-c", "3")]})

    assert vistas == ["ev-a", "ev-b", "ev-c"]
    assert una_vez.entrega_actual() is None


def test_a_schedule_and_an_inbound_mail_are_handled_as_their_delivery(servicios, cliente, monkeypatch):
    vistas: list[str | None] = []

    def ver(*_: Any) -> dict[str, Any]:
        vistas.append(una_vez.entrega_actual())
        return {"enviado": False, "total": 0, "mes": "2026-11"}

    monkeypatch.setattr(type(servicios), "enviar_resumen_no_atendidas", ver)
    evento = cliente.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region="us-east-1"
    )
    evento["id"] = "cw-123"
    cliente.lambda_.invoke("send_unattended_digest", evento)

    from chalicelib.services.correo_entrante.comun import ResultadoCorreo

    def recibir(_self: Any, _cmd: Any) -> ResultadoCorreo:
        vistas.append(una_vez.entrega_actual())
        return ResultadoCorreo("ignorado")

    monkeypatch.setattr(type(servicios), "recibir_correo", recibir)
    ses = {"Records": [{"eventSource": "aws:ses", "ses": {"mail": {"messageId": "ses-9"}, "receipt": {}}}]}
    cliente.lambda_.invoke("on_correo_entrante", ses)

    assert vistas == ["programa#cw-123", "correo#ses-9"]


class _Evento:
    solicitud_id, accion = "VD-1", "clasificar_residencial"


class _Entrante:
    def __init__(self, clave: str) -> None:
        self.clave, self.canal = clave, "meta"
