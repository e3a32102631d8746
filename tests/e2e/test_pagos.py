"""Payments and approvals end to end on the local stage, through public interfaces only: the web form, the staff
API, the signed payment callback (sent by the simulated gateway or signed here with the secret of /dev/config),
SMTP (bank notifications and Collections' replies, through the local SMTP intake), the approval links (GET, then
POST) and the outbox. Each path ends closed, with every email in the outbox and every step in the history."""

from __future__ import annotations

import json
import re
import smtplib
import socket
import time
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.services.pagos import firmar
from tests.e2e.test_procedimiento import _hasta_forma_pago, _nueva
from tests.muestras_pagos import aviso_union

pytestmark = pytest.mark.e2e

CLIENTE = "maria.quispe@example.com"
MONTO = "349.00"  # plan hogar-fibra-50: Bs 199 a month + Bs 150 installation
_ENLACE = re.compile(r"http://127\.0\.0\.1:8000(/aprobaciones/[A-Za-z0-9_.\-]+(?:\?decision=[a-z]+)?)")


# --- helpers: the public interfaces ------------------------------------------------------------------------------


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(etapa):
    """The local SMTP intake on a free port, invoking the inbound handler through this test's app client."""
    from localstage.smtp import desde_settings

    def invocar(nombre: str, evento: dict[str, Any]) -> Any:
        return etapa.cliente.lambda_.invoke(nombre, evento).payload

    servidor = desde_settings(etapa.settings, invocar, puerto=_puerto_libre()).iniciar()
    yield servidor
    servidor.detener()


def _enviar_correo(smtp, *, de: str, para: str, asunto: str, texto: str, **cabeceras: str) -> dict[str, Any]:
    mensaje = EmailMessage()
    mensaje["From"], mensaje["To"], mensaje["Subject"] = de, para, asunto
    mensaje["Message-ID"] = f"<{time.time_ns()}@{de.rpartition('@')[2]}>"
    for nombre, valor in cabeceras.items():
        mensaje[nombre.replace("_", "-")] = valor
    mensaje.set_content(texto)
    with smtplib.SMTP("127.0.0.1", smtp.puerto, timeout=60) as conexion:
        conexion.send_message(mensaje)
    return smtp.entregados[-1]["resultado"]["resultados"][0]


def _aviso_del_banco(etapa, smtp, referencia: str, monto: str = "349,00") -> dict[str, Any]:
    """Banco Unión notifies a deposit to the company's mailbox, DKIM-signed by its own domain."""
    return _enviar_correo(
        smtp,
        de="notificaciones@bancounion.com.bo",
        para=etapa.settings.buzones.cobranzas,
        asunto="Abono en cuenta 1-0000000",
        texto=aviso_union(referencia, monto),
        DKIM_Signature="v=1; a=rsa-sha256; d=bancounion.com.bo; s=s1; h=from:subject; bh=x; b=y",
    )


def _correos(etapa, solicitud_id: str, para: str | None = None) -> list[dict[str, Any]]:
    return [m for m in etapa.outbox() if solicitud_id in m["subject"] and (para is None or para in m["to"])]


def _ultimo(etapa, solicitud_id: str, para: str, asunto: str) -> dict[str, Any]:
    correos = [m for m in _correos(etapa, solicitud_id, para) if asunto in m["subject"]]
    assert correos, f"no email «{asunto}» to {para}"
    return correos[-1]


def _enlaces(correo: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(_ENLACE.findall(correo["text"])))


def _abrir(etapa, ruta: str) -> Any:
    respuesta = etapa.cliente.http.get(ruta)
    assert respuesta.headers["Cache-Control"] == "no-store" and respuesta.headers["Referrer-Policy"] == "no-referrer"
    return respuesta


def _decidir(etapa, ruta: str, **campos: Any) -> Any:
    cabeceras = {"Content-Type": "application/x-www-form-urlencoded"}
    respuesta = etapa.cliente.http.post(ruta, headers=cabeceras, body=urlencode(campos).encode())
    assert respuesta.headers["Cache-Control"] == "no-store" and respuesta.headers["Referrer-Policy"] == "no-referrer"
    return respuesta


def _secretos(etapa) -> list[str]:
    return list(etapa.cliente.http.get("/dev/config").json_body["secretos"]["pasarela_pagos"])


def _callback(etapa, datos: dict[str, Any], *, secreto: str | None = None, webhook_id: str | None = None, desfase=0):
    cuerpo = json.dumps(datos).encode()
    identificador = webhook_id or f"msg_{time.time_ns()}"
    marca = int(time.time()) + desfase
    cabeceras = {
        "Content-Type": "application/json",
        "webhook-id": identificador,
        "webhook-timestamp": str(marca),
        "webhook-signature": firmar(secreto or _secretos(etapa)[0], identificador, marca, cuerpo),
    }
    return cabeceras, cuerpo


def _pago(referencia: str, monto: float = 349.0) -> dict[str, Any]:
    return {
        "tipo": "pago.aprobado",
        "id_transaccion": f"TX-{time.time_ns() % 10**8}",
        "referencia": referencia,
        "monto_bs": monto,
        "fecha": "2026-11-30T10:00:00-04:00",
        "medio": "tarjeta",
    }


def _instantanea(etapa, solicitud_id: str) -> tuple[int, int]:
    detalle = etapa.detalle(solicitud_id, "RC")
    return detalle["solicitud"]["version"], len(detalle["historial"])


def _en_pago_pendiente(etapa) -> str:
    solicitud_id = _nueva(etapa)
    _hasta_forma_pago(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "elegir_prepago")
    return solicitud_id


def _comprobante(etapa, solicitud_id: str, numero: str = "778812") -> None:
    etapa.aplicar(
        solicitud_id,
        "registrar_comprobante",
        monto_bs=349,
        fecha_deposito="2026-11-30",
        numero_deposito=numero,
        tipo_operacion="transferencia",
        depositante="María Quispe Mamani",
        banco="Banco Unión",
    )


def _acciones(detalle: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["accion"], e["rol"], e["canal"]) for e in detalle["historial"] if e["tipo"] == "accion"]


def _cerrar_en_cajas(etapa, solicitud_id: str) -> None:
    """Steps 15-17 through the cashier's signed links: print data and registration, then delivery."""
    cajas = etapa.settings.buzones.cajas
    instruccion = _ultimo(etapa, solicitud_id, cajas, "facturar e imprimir")
    assert instruccion["cc"] == []  # the executives get a copy without the link
    copia = _ultimo(etapa, solicitud_id, etapa.settings.buzones.ejecutivos, "facturar e imprimir")
    assert not _enlaces(copia) and "COPIA INFORMATIVA" in copia["text"]
    (imprimir,) = _enlaces(instruccion)
    pagina = _abrir(etapa, imprimir).body.decode()
    assert "Datos para la factura" in pagina and "Bs 349,00" in pagina
    hecho = _decidir(etapa, imprimir, decision="imprimir", numero_factura="F-001-000123", monto_bs="349,00")
    assert hecho.status_code == 200 and "Decisión registrada" in hecho.body.decode()
    etapa.bombear()
    (entregar,) = _enlaces(_ultimo(etapa, solicitud_id, cajas, "archivar y entregar"))
    assert "F-001-000123" in _abrir(etapa, entregar).body.decode()
    assert _decidir(etapa, entregar, decision="entregar", entregada_a="María Quispe Mamani").status_code == 200
    etapa.bombear()


def _cada_correo_en_el_historial(etapa, solicitud_id: str) -> None:
    detalle = etapa.detalle(solicitud_id, "RC")
    enviados = [e for e in detalle["historial"] if e["tipo"] == "correo"]
    assert len(enviados) == len(_correos(etapa, solicitud_id))
    assert all(e["campos"]["ses_message_id"] for e in enviados)


# --- the three paths ---------------------------------------------------------------------------------------------


def test_prepaid_transfer_closes_through_the_bank_evidence_and_the_signed_links(etapa, smtp):
    # Given a sale waiting for its prepaid payment, and the instructions the customer got
    solicitud_id = _en_pago_pendiente(etapa)
    instrucciones = _ultimo(etapa, solicitud_id, CLIENTE, "Instrucciones de pago")
    for texto in ("Bs 349,00", solicitud_id, "Banco Unión S.A. — Cta. Cte. 1-0000000 — COMTECO R.L."):
        assert texto in instrucciones["text"]
    assert f"/dev/pasarela/{solicitud_id}" in instrucciones["text"]

    # When the bank notifies the deposit (evidence only) and the executive records the customer's receipt
    assert _aviso_del_banco(etapa, smtp, solicitud_id)["estado"] == "derivado"
    etapa.bombear()
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "pago_pendiente"
    _comprobante(etapa, solicitud_id)

    # Then Collections gets the deposit, the matched bank notification and the two links
    validar = _ultimo(etapa, solicitud_id, etapa.settings.buzones.cobranzas, "Validar depósito")
    assert "NOTIFICACIÓN DEL BANCO" in validar["text"] and "MARIA QUISPE MAMANI" in validar["text"]
    aprobar, rechazar = _enlaces(validar)
    assert aprobar.endswith("decision=aprobar") and rechazar.endswith("decision=rechazar")

    # When Collections opens the link (five times, as scanners do), then approves, then posts again
    antes = _instantanea(etapa, solicitud_id)
    for _ in range(5):
        pagina = _abrir(etapa, aprobar)
        assert pagina.status_code == 200 and "Banco Unión S.A." in pagina.body.decode()
    assert _instantanea(etapa, solicitud_id) == antes
    primera = _decidir(etapa, aprobar, decision="aprobar", observaciones="Coincide con el extracto")
    segunda = _decidir(etapa, rechazar, decision="rechazar", motivo="Cambié de opinión")
    assert "Decisión registrada" in primera.body.decode()
    assert segunda.status_code == 200 and "Esta decisión ya fue tomada" in segunda.body.decode()
    etapa.bombear()

    # And the cashier prints and delivers through their own links
    _cerrar_en_cajas(etapa, solicitud_id)

    # Then the sale is closed and invoiced, every step is in the history, every email in the outbox
    detalle = etapa.detalle(solicitud_id, "RC")
    solicitud = detalle["solicitud"]
    assert solicitud["estado"] == "cerrada"
    assert (
        solicitud["factura"]["monto_bs"] == 349
        and solicitud["factura"]["mes"] == solicitud["factura"]["emitida_en"][:7]
    )
    assert solicitud["pago"]["notificacion_banco"]["numero_deposito"] == "778812"
    pasos = _acciones(detalle)
    assert ("registrar_notificacion_banco", "SISTEMA", "correo_banco") in pasos
    assert pasos[-4:] == [
        ("registrar_comprobante", "EJ", "api"),
        ("aprobar_deposito", "CO", "enlace"),
        ("marcar_impresa", "CA", "enlace"),
        ("marcar_entregada", "CA", "enlace"),
    ]
    aprobacion = next(e for e in detalle["historial"] if e.get("accion") == "aprobar_deposito")
    assert aprobacion["actor"] == etapa.settings.buzones.cobranzas
    b = etapa.settings.buzones
    para = {m["to"][0] for m in _correos(etapa, solicitud_id)}
    assert {CLIENTE, b.cobranzas, b.cajas, b.ejecutivos} <= para
    _cada_correo_en_el_historial(etapa, solicitud_id)


def test_collections_can_decide_by_replying_rechazado_then_aprobado(etapa, smtp):
    # Given a receipt under validation
    solicitud_id = _en_pago_pendiente(etapa)
    _comprobante(etapa, solicitud_id, numero="111")
    cobranzas = etapa.settings.buzones.cobranzas
    validar = _ultimo(etapa, solicitud_id, cobranzas, "Validar depósito")
    assert validar["reply_to"] and "+" in validar["reply_to"]

    # When Collections answers RECHAZADO with a reason from its mail client
    resultado = _enviar_correo(
        smtp,
        de=cobranzas,
        para=validar["reply_to"],
        asunto="RE: " + validar["subject"],
        texto="RECHAZADO\nMotivo: El depósito 111 no figura en el extracto.\n\n> citado",
        In_Reply_To=validar["headers"]["Message-ID"],
    )
    etapa.bombear()
    # Then the request goes back to pending payment and the executives are told
    assert resultado["estado"] == "aplicado"
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "pago_pendiente"
    assert _ultimo(etapa, solicitud_id, etapa.settings.buzones.ejecutivos, "")  # pago_rechazado

    # When a new receipt arrives and Collections answers APROBADO
    _comprobante(etapa, solicitud_id, numero="222")
    segunda = _ultimo(etapa, solicitud_id, cobranzas, "Validar depósito")
    resultado = _enviar_correo(
        smtp,
        de=cobranzas,
        para=segunda["reply_to"],
        asunto="RE: " + segunda["subject"],
        texto="APROBADO\n",
        In_Reply_To=segunda["headers"]["Message-ID"],
    )
    etapa.bombear()
    # Then the old link of the first email no longer decides anything
    assert resultado["estado"] == "aplicado"
    aprobar_viejo = _enlaces(validar)[0]
    assert "La solicitud ya no espera esta decisión" in _abrir(etapa, aprobar_viejo).body.decode()
    _cerrar_en_cajas(etapa, solicitud_id)
    detalle = etapa.detalle(solicitud_id, "RC")
    assert detalle["solicitud"]["estado"] == "cerrada"
    pasos = _acciones(detalle)
    assert ("rechazar_deposito", "CO", "correo") in pasos and ("aprobar_deposito", "CO", "correo") in pasos
    _cada_correo_en_el_historial(etapa, solicitud_id)


def test_prepaid_web_payment_closes_with_the_invoice_pdf(etapa, monkeypatch):
    # Given a sale waiting for its payment, and the simulated gateway delivering to the app itself
    import localstage.pasarela as pasarela

    solicitud_id = _en_pago_pendiente(etapa)
    entregados: list[tuple[dict[str, str], bytes]] = []

    def entregar(url: str, cabeceras: dict[str, str], cuerpo: bytes) -> tuple[int, str]:
        entregados.append((cabeceras, cuerpo))
        respuesta = etapa.cliente.http.post(url.split("127.0.0.1:8000", 1)[1], headers=cabeceras, body=cuerpo)
        return respuesta.status_code, respuesta.body.decode()

    monkeypatch.setattr(pasarela, "entregar", entregar)

    # When the customer opens the pay link of the instructions and pays
    pagina = etapa.cliente.http.get(f"/dev/pasarela/{solicitud_id}")
    assert pagina.status_code == 200 and "Bs 349,00" in pagina.body.decode()
    pagado = etapa.cliente.http.post(
        f"/dev/pasarela/{solicitud_id}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"monto": MONTO, "medio": "qr"}).encode(),
    )
    assert pagado.status_code == 200 and "aplicado" in pagado.body.decode()
    etapa.bombear()

    # Then Collections gets the payment with its confirm / reject links
    assert etapa.detalle(solicitud_id)["solicitud"]["estado"] == "validacion_pago_web"
    validar = _ultimo(etapa, solicitud_id, etapa.settings.buzones.cobranzas, "Pago web recibido")
    confirmar, _rechazar = _enlaces(validar)

    # And a replay of the gateway's delivery changes nothing
    antes = _instantanea(etapa, solicitud_id)
    cabeceras, cuerpo = entregados[0]
    replay = etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=cuerpo)
    assert replay.status_code == 200 and replay.json_body["duplicado"] is True
    assert _instantanea(etapa, solicitud_id) == antes

    # When Collections confirms (the payment is checked in Smartflex) and sends the invoice with the staff API
    assert "Decisión registrada" in _decidir(etapa, confirmar, decision="confirmar").body.decode()
    etapa.bombear()
    assert _ultimo(etapa, solicitud_id, etapa.settings.buzones.ejecutivos, "Pago web confirmado")
    etapa.aplicar(solicitud_id, "enviar_factura", rol="CO", numero_factura="F-001-000200", monto_bs=349)

    # Then the customer gets the invoice with its PDF and the sale is closed
    factura = _ultimo(etapa, solicitud_id, CLIENTE, "Su factura")
    assert "F-001-000200" in factura["text"]
    assert any(a["content_type"] == "application/pdf" for a in factura["attachments"])
    detalle = etapa.detalle(solicitud_id, "RC")
    solicitud = detalle["solicitud"]
    assert solicitud["estado"] == "cerrada" and solicitud["factura"]["monto_bs"] == 349
    assert solicitud["pago"]["verificacion_smartflex"]["estado"] == "ACTIVA"
    pasos = _acciones(detalle)
    assert pasos[-3:] == [
        ("registrar_pago_web", "SISTEMA", "pasarela"),
        ("confirmar_pago_web", "CO", "enlace"),
        ("enviar_factura", "CO", "api"),
    ]
    _cada_correo_en_el_historial(etapa, solicitud_id)


def test_postpaid_goes_to_billing_appears_in_the_recurring_control_list_and_closes(etapa):
    # Given a postpaid sale
    solicitud_id = _nueva(etapa)
    _hasta_forma_pago(etapa, solicitud_id)
    etapa.aplicar(solicitud_id, "elegir_pospago")
    fa = {"Authorization": f"Bearer {etapa.token('FA')}"}

    # Then Facturación got the sale and sees it waiting in its list
    assert _ultimo(etapa, solicitud_id, etapa.settings.buzones.facturacion, "pospago")
    lista = etapa.cliente.http.get("/facturacion/control-recurrente", headers=fa).json_body
    fila = next(f for f in lista["solicitudes"] if f["solicitud_id"] == solicitud_id)
    assert fila["estado"] == "control_facturacion" and fila["numero_contrato"].startswith("SCS-")

    # When Facturación registers the recurring control
    etapa.aplicar(solicitud_id, "registrar_control_recurrente", rol="FA", dia_facturacion=5, monto_mensual_bs=199)

    # Then the sale is closed, invoiced for the KPI and listed as registered this month (CSV too)
    detalle = etapa.detalle(solicitud_id, "RC")
    assert detalle["solicitud"]["estado"] == "cerrada" and detalle["solicitud"]["factura"]["monto_bs"] == 199
    mes = detalle["solicitud"]["factura"]["mes"]
    lista = etapa.cliente.http.get(f"/facturacion/control-recurrente?mes={mes}", headers=fa).json_body
    fila = next(f for f in lista["solicitudes"] if f["solicitud_id"] == solicitud_id)
    assert fila["estado"] == "cerrada" and fila["dia_facturacion"] == 5
    csv = etapa.cliente.http.get(f"/facturacion/control-recurrente?mes={mes}&formato=csv", headers=fa)
    assert solicitud_id in csv.body.decode("utf-8")
    assert _ultimo(etapa, solicitud_id, etapa.settings.buzones.ejecutivos, "")
    _cada_correo_en_el_historial(etapa, solicitud_id)


# --- the guarantees ------------------------------------------------------------------------------------------------


def test_links_refuse_tampered_expired_and_foreign_tokens_and_write_nothing(etapa, monkeypatch):
    import os

    import itsdangerous.timed
    from itsdangerous import URLSafeTimedSerializer

    # Given a deposit under validation and its approve link
    solicitud_id = _en_pago_pendiente(etapa)
    _comprobante(etapa, solicitud_id)
    aprobar, _ = _enlaces(_ultimo(etapa, solicitud_id, etapa.settings.buzones.cobranzas, "Validar depósito"))
    token = aprobar.split("/aprobaciones/", 1)[1].split("?", 1)[0]
    serializador = URLSafeTimedSerializer(os.environ["VD_CLAVE_ENLACES"], salt="aprobacion-v1")
    aprobacion_id = serializador.loads(token)
    ahora = time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: ahora - 73 * 3600)
    vencido = serializador.dumps(aprobacion_id)
    monkeypatch.undo()
    casos = {
        "alterado": (token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), 403),
        "otra_sal": (URLSafeTimedSerializer(os.environ["VD_CLAVE_ENLACES"], salt="otro-v1").dumps(aprobacion_id), 403),
        "otra_clave": (URLSafeTimedSerializer("clave-ajena", salt="aprobacion-v1").dumps(aprobacion_id), 403),
        "desconocido": (serializador.dumps("no-existe"), 404),
        "vencido": (vencido, 410),
    }
    antes = _instantanea(etapa, solicitud_id)
    # When each bad token is opened and posted
    for nombre, (malo, status) in casos.items():
        assert _abrir(etapa, f"/aprobaciones/{malo}").status_code == status, nombre
        respuesta = _decidir(etapa, f"/aprobaciones/{malo}", decision="aprobar")
        assert respuesta.status_code == status, nombre
        assert "<h1>" in respuesta.body.decode() and "enlace" in respuesta.body.decode().lower()
    # Then nothing changed and the real link still works
    assert _instantanea(etapa, solicitud_id) == antes
    assert _decidir(etapa, aprobar, decision="aprobar").status_code == 200


def test_callbacks_replayed_stale_future_or_badly_signed_are_refused(etapa):
    solicitud_id = _en_pago_pendiente(etapa)
    secreto, anterior = _secretos(etapa)
    antes = _instantanea(etapa, solicitud_id)
    for desfase in (-301, 301):
        cabeceras, cuerpo = _callback(etapa, _pago(solicitud_id), desfase=desfase)
        assert etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=cuerpo).status_code == 401
    cabeceras, cuerpo = _callback(etapa, _pago(solicitud_id), secreto="whsec_Y2xhdmUtYWplbmEtZGUtMjQtYnl0ZXMh")
    assert etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=cuerpo).status_code == 401
    cabeceras, cuerpo = _callback(etapa, _pago(solicitud_id))
    alterado = cuerpo.replace(b"349.0", b"34.9")
    assert etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=alterado).status_code == 401
    assert _instantanea(etapa, solicitud_id) == antes

    # The previous secret still works (rotation); its replay is acknowledged and changes nothing
    cabeceras, cuerpo = _callback(etapa, _pago(solicitud_id), secreto=anterior)
    primera = etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=cuerpo)
    despues = _instantanea(etapa, solicitud_id)
    segunda = etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=cuerpo)
    assert primera.json_body["resultado"] == "aplicado" and segunda.json_body["duplicado"] is True
    assert _instantanea(etapa, solicitud_id) == despues


def test_payments_and_deposits_nobody_expects_are_reported_to_collections(etapa, smtp):
    # Given a sale waiting for Bs 349
    solicitud_id = _en_pago_pendiente(etapa)
    cobranzas = etapa.settings.buzones.cobranzas
    # When the gateway reports a wrong amount and an unknown reference, and the bank an unmatched deposit
    for datos in (_pago(solicitud_id, monto=300), _pago("VD-ZZZZZZZZ")):
        cabeceras, cuerpo = _callback(etapa, datos)
        respuesta = etapa.cliente.http.post("/webhooks/pagos", headers=cabeceras, body=cuerpo)
        assert respuesta.status_code == 200 and respuesta.json_body["resultado"] in (
            "monto_distinto",
            "sin_coincidencia",
        )
    assert _aviso_del_banco(etapa, smtp, "VD-ZZZZZZZZ")["estado"] == "derivado"
    # Then nothing was applied and Collections has the three notices
    detalle = etapa.detalle(solicitud_id)
    assert detalle["solicitud"]["estado"] == "pago_pendiente"
    assert any(e["tipo"] == "pago_observado" for e in detalle["historial"])
    asuntos = [m["subject"] for m in etapa.outbox() if m["to"] == [cobranzas]]
    assert any(a.startswith(f"[{solicitud_id}] Pago web no aplicado de Bs 300,00") for a in asuntos)
    assert any(a.startswith("[VD-ZZZZZZZZ] Pago web no aplicado") for a in asuntos)
    assert any(a.startswith("[VD-ZZZZZZZZ] Depósito sin coincidencia de Bs 349,00") for a in asuntos)


def test_a_forged_bank_notification_changes_nothing(etapa, smtp):
    solicitud_id = _en_pago_pendiente(etapa)
    antes = _instantanea(etapa, solicitud_id)
    resultado = _enviar_correo(
        smtp,
        de="notificaciones@bancounion.com.bo",
        para=etapa.settings.buzones.cobranzas,
        asunto="Abono en cuenta 1-0000000",
        texto=aviso_union(solicitud_id),
        X_Veredicto_Local="dmarc=FAIL",
    )
    assert resultado["estado"] == "derivado" and resultado["motivo"] == "no_autenticado"
    etapa.bombear()
    assert _instantanea(etapa, solicitud_id) == antes
