"""The payment emails and pages render what each person needs, in Spanish, with Bolivianos and La Paz dates, with
the contexts the payment services build."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from chalicelib.adapters.rendering import JinjaPlantillas
from chalicelib.services.vistas import vista_solicitud
from tests.factories import make_solicitud

ID = "VD-7F3K9Q2M"
NOTIFICACION = {
    "banco": "Banco Unión S.A.",
    "monto_bs": 349.0,
    "fecha_deposito": "2026-11-30",
    "numero_deposito": "778812",
    "tipo_operacion": "TRANSFERENCIA INTERBANCARIA ACH",
    "depositante": "MARIA QUISPE MAMANI",
    "glosa": f"{ID} pago internet",
    "recibida_en": "2026-11-30T10:16:00-04:00",
}


@pytest.fixture(scope="module")
def plantillas() -> JinjaPlantillas:
    return JinjaPlantillas()


def _vista(**campos: Any) -> dict[str, Any]:
    base = {
        "id": ID,
        "estado": "validacion_deposito",
        "oferta": {"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        "digitacion": {"numero_contrato": "SCS-202611-000123", "codigo_cliente": "CL-0000001"},
        "pago": {
            "monto_bs": 349.0,
            "fecha_deposito": "2026-11-30",
            "numero_deposito": "778812",
            "tipo_operacion": "transferencia",
            "depositante": "María Quispe Mamani",
            "notificacion_banco": NOTIFICACION,
        },
    }
    return vista_solicitud(make_solicitud(**{**base, **campos}))


def _contexto(**extra: Any) -> dict[str, Any]:
    return {
        "solicitud": _vista(),
        "cambio": {"actor": "cobranzas@comteco.example", "en": "2026-11-30T11:00:00-04:00", "campos": {}},
        "buzones": {},
        "url_solicitud": f"https://ventas.example/solicitudes/{ID}",
        "url_formulario": "https://ventas.example/solicitud",
        **extra,
    }


def test_collections_email_has_both_links_the_bank_evidence_and_how_to_reply(plantillas):
    contexto = _contexto(
        url_aprobar="https://ventas.example/aprobaciones/tok?decision=aprobar",
        url_rechazar="https://ventas.example/aprobaciones/tok?decision=rechazar",
        enlace_vence="2026-12-03T11:00:00-04:00",
    )
    correo = plantillas.correo("validar_deposito", contexto)
    for cuerpo in (correo.texto, correo.html):
        assert "https://ventas.example/aprobaciones/tok?decision=aprobar" in cuerpo
        assert "https://ventas.example/aprobaciones/tok?decision=rechazar" in cuerpo
        assert "MARIA QUISPE MAMANI" in cuerpo and "Banco Unión S.A." in cuerpo
        assert "jueves, 3 de diciembre de 2026, 11:00" in cuerpo
        assert "APROBADO" in cuerpo and "RECHAZADO" in cuerpo
    assert "NOTIFICACIÓN DEL BANCO" in correo.texto


def test_payment_instructions_carry_the_pay_link(plantillas):
    contexto = _contexto(
        solicitud=_vista(estado="pago_pendiente", pago=None),
        cuenta_bancaria="Banco Unión S.A. — Cta. Cte. 1-0000000 — COMTECO R.L.",
        url_pago_web=f"https://pagos.example/checkout?ref={ID}",
    )
    correo = plantillas.correo("instrucciones_pago", contexto)
    for cuerpo in (correo.texto, correo.html):
        assert f"https://pagos.example/checkout?ref={ID}" in cuerpo
        assert "Bs 349,00" in cuerpo and "Cta. Cte. 1-0000000" in cuerpo


def test_an_unmatched_payment_without_a_request_names_its_reference(plantillas):
    contexto = {
        "pago": {
            "referencia": "VD-ZZZZZZZZ",
            "id_transaccion": "TX-9",
            "monto_bs": 349.0,
            "fecha": "2026-11-30T10:00:00-04:00",
        },
        "motivo": "No existe ninguna solicitud con la referencia VD-ZZZZZZZZ.",
        "webhook_id": "msg_1",
        "buzones": {},
    }
    correo = plantillas.correo("pago_sin_coincidencia", contexto)
    assert correo.asunto == "[VD-ZZZZZZZZ] Pago web no aplicado de Bs 349,00: revisar"
    assert "No existe ninguna solicitud" in correo.texto and "msg_1" in correo.html


def test_an_unmatched_deposit_shows_the_bank_data(plantillas):
    contexto = {"notificacion": {**NOTIFICACION, "referencia": ID}, "motivo": "El monto no coincide.", "buzones": {}}
    correo = plantillas.correo("deposito_sin_coincidencia", contexto)
    assert correo.asunto == f"[{ID}] Depósito sin coincidencia de Bs 349,00 — Banco Unión S.A."
    assert "778812" in correo.texto and "sábado" not in correo.texto


@pytest.mark.parametrize(
    ("plantilla", "enlace"),
    [("instruccion_cajas", "url_imprimir"), ("entrega_factura", "url_entregar"), ("validar_pago_web", "url_confirmar")],
)
def test_the_cashier_and_web_payment_emails_carry_their_links(plantillas, plantilla, enlace):
    url = "https://ventas.example/aprobaciones/tok"
    correo = plantillas.correo(plantilla, _contexto(**{enlace: url, "enlace_vence": "2026-12-03T11:00:00-04:00"}))
    assert url in correo.texto and url in correo.html


# --- the confirmation page ----------------------------------------------------------------------------------------


class _Controles(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controles: list[dict[str, Any]] = []
        self.etiquetas: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        atributos = dict(attrs)
        if tag in ("input", "textarea", "select"):
            self.controles.append({"tag": tag, **atributos})
        if tag == "label" and atributos.get("for"):
            self.etiquetas.add(str(atributos["for"]))


def _pagina(estado: str, **extra: Any) -> dict[str, Any]:
    return {
        "aprobacion": {
            "id": "ap-1",
            "proposito": "deposito",
            "responsable": "cobranzas@comteco.example",
            "expira_en": "2026-12-03T11:00:00-04:00",
            "decision": "aprobar" if estado.startswith("decidida") else None,
            "decision_etiqueta": "Aprobar el depósito" if estado.startswith("decidida") else None,
            "decidida_por": "cobranzas@comteco.example" if estado.startswith("decidida") else None,
            "decidida_en": "2026-11-30T11:05:00-04:00" if estado.startswith("decidida") else None,
        },
        "titulo": "Validar el depósito",
        "explicacion": "Compare el depósito con el extracto bancario.",
        "ficha": [
            {"etiqueta": "Monto depositado", "valor": 349.0, "formato": "bs"},
            {"etiqueta": "Fecha del depósito", "valor": "2026-11-30", "formato": "fecha"},
            {"etiqueta": "Tipo de operación", "valor": "transferencia", "formato": "operacion"},
        ],
        "notificacion_banco": NOTIFICACION,
        "imprimible": False,
        "solicitud": _vista(),
        "estado_solicitud": "Validación de depósito",
        "estado": estado,
        **extra,
    }


def _formularios() -> list[dict[str, Any]]:
    return [
        {
            "decision": "aprobar",
            "boton": "Aprobar el depósito",
            "campos": [
                {
                    "nombre": "observaciones",
                    "etiqueta": "Observaciones",
                    "tipo": "texto_largo",
                    "requerido": False,
                    "valor": "",
                }
            ],
            "elegida": True,
            "errores": {},
            "version": 7,
        },
        {
            "decision": "rechazar",
            "boton": "Rechazar el depósito",
            "campos": [
                {
                    "nombre": "motivo",
                    "etiqueta": "Motivo",
                    "tipo": "texto_largo",
                    "requerido": True,
                    "valor": "<b>x</b>",
                }
            ],
            "elegida": False,
            "errores": {"motivo": "Este campo es obligatorio."},
            "version": 7,
        },
    ]


def test_the_confirmation_page_has_a_labelled_form_per_decision(plantillas):
    html = plantillas.pagina("aprobacion", _pagina("pendiente", formularios=_formularios()))
    controles = _Controles()
    controles.feed(html)
    visibles = [c for c in controles.controles if c.get("type") != "hidden"]
    assert [c["name"] for c in visibles] == ["observaciones", "motivo"]
    assert all(c["id"] in controles.etiquetas for c in visibles)
    assert {(c["name"], c["value"]) for c in controles.controles if c.get("type") == "hidden"} == {
        ("decision", "aprobar"),
        ("decision", "rechazar"),
        ("version", "7"),
    }
    assert "Bs 349,00" in html and "lunes, 30 de noviembre de 2026" in html and "Transferencia" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "Este campo es obligatorio." in html
    assert "Abrir este enlace no decide nada" in html and "jueves, 3 de diciembre de 2026, 11:00" in html


def test_a_decided_page_says_by_whom_and_when_and_has_no_form(plantillas):
    html = plantillas.pagina("aprobacion", _pagina("decidida"))
    assert "Esta decisión ya fue tomada" in html and "cobranzas@comteco.example" in html
    assert "lunes, 30 de noviembre de 2026, 11:05" in html and "<form" not in html


def test_the_printable_invoice_data_is_shown_for_the_cashier(plantillas):
    html = plantillas.pagina("aprobacion", _pagina("pendiente", imprimible=True, formularios=[]))
    assert "Datos para la factura" in html and "SCS-202611-000123" in html and "@media print" in html


def test_the_simulated_gateway_page_shows_the_amount(plantillas):
    html = plantillas.pagina(
        "pasarela",
        {"solicitud": make_solicitud(id=ID), "monto": 349.0, "medios": (("qr", "QR Simple"),), "resultado": None},
    )
    assert "Bs 349,00" in html and 'value="349.00"' in html and "Pagar" in html
