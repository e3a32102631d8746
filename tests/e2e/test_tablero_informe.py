"""The dashboard and the Informe General agree (issue 20): requests walked through the public doors (web form,
Botmaker and WhatsApp webhooks, the staff API, the state-change stream) with the clock in November 2026, one sale
invoiced in October as the KPI's base, then the clock moved into December so November is closed. The dashboard of
November (the console page and its CSV export, as RC) shows the same figures as ``GET /reportes/mensual?mes=2026-11``,
and both equal the hand-computed ones."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_procedimiento import COORDENADAS_CENTRO, OFERTA, _hasta_forma_pago, _hasta_negociacion

pytestmark = pytest.mark.e2e

LA_PAZ = ZoneInfo("America/La_Paz")
EVENTOS = Path(__file__).resolve().parents[1] / "events"
MES = "2026-11"
PRIMER_PAGO = 349  # Hogar Fibra 50: Bs 199 a month + Bs 150 installation, what a prepaid sale pays first
FUERA_DE_COBERTURA = {"latitud": -16.5, "longitud": -68.15}  # La Paz: no zone of the local coverage map

PASOS = ("recibidas", "visitado", "informado", "pre_venta", "venta", "facturada", "cerrada")
EMBUDO = dict(zip(PASOS, (6, 6, 5, 3, 3, 3, 2), strict=True))
"""B, C, D, E, F, G received and classified; offer to B, C, D, F, G; B, C, D accepted, digitated, invoiced; D then
cancelled, so B and C closed."""
EMBUDO_POR_CANAL = {
    "web": dict(zip(PASOS, (4, 4, 3, 2, 2, 2, 1), strict=True)),  # B, D, E, F
    "botmaker": dict(zip(PASOS, (1, 1, 1, 1, 1, 1, 1), strict=True)),  # C
    "whatsapp": dict(zip(PASOS, (1, 1, 1, 0, 0, 0, 0), strict=True)),  # G
}
MINUTOS = {"B": 5, "C": 12, "D": 3, "E": 20, "F": 8, "G": 30}
"""Minutes from first contact to the first staff action: low median of 3 5 8 12 20 30 is 8."""


def _formulario(etapa, nombre: str, telefono: str, **extra: str) -> str:
    respuesta = etapa.enviar_formulario(
        nombre=nombre,
        telefono=telefono,
        email=f"{nombre.split()[0].lower()}.{telefono}@example.com",
        direccion="Calle España 250",
        tipo_cliente="residencial",
        consentimiento="on",
        envio_id=str(uuid.uuid4()),
        **extra,
    )
    assert respuesta.status_code == 201, respuesta.body
    etapa.bombear()
    codigo = re.search(r"VD-[0-9A-Z]{8}", respuesta.body.decode())
    assert codigo, "the confirmation page shows the request code"
    return codigo.group(0)


def _por_webhook(etapa, evento: str, enviar) -> str:
    antes = {s["id"] for s in _solicitudes(etapa)}
    assert enviar((EVENTOS / evento).read_bytes()).status_code == 200
    etapa.bombear()
    (nueva,) = [s["id"] for s in _solicitudes(etapa) if s["id"] not in antes]
    return str(nueva)


def _solicitudes(etapa) -> list[dict[str, Any]]:
    respuesta = etapa.cliente.http.get("/solicitudes?limite=200", headers=etapa.cabeceras("EJ"))
    assert respuesta.status_code == 200, respuesta.body
    return list(respuesta.json_body["solicitudes"])


def _prepago_facturado(etapa, solicitud_id: str, numero: str) -> None:
    """From the payment form to the invoice emailed by Collections (prepaid, web payment of the offer's first
    payment, Bs 349: Smartflex checks it): closed."""
    monto = PRIMER_PAGO
    etapa.aplicar(solicitud_id, "elegir_prepago")
    etapa.aplicar(solicitud_id, "registrar_pago_web", rol="CO", id_transaccion=f"TX-{numero}", monto_bs=monto)
    etapa.aplicar(solicitud_id, "confirmar_pago_web", rol="CO")
    etapa.aplicar(solicitud_id, "enviar_factura", rol="CO", numero_factura=numero, monto_bs=monto)


def _primera_respuesta(etapa, reloj, solicitud_id: str, letra: str, coordenadas=COORDENADAS_CENTRO) -> None:
    """The first staff action (the executive records the contact data) ``MINUTOS[letra]`` after the contact."""
    reloj.avanzar(minutes=MINUTOS[letra])
    etapa.aplicar(
        solicitud_id, "registrar_datos", ci="5556667", ci_expedido="CB", direccion="Calle Sucre 120", **coordenadas
    )
    reloj.avanzar(minutes=1)


def _mundo(etapa, reloj) -> dict[str, str]:
    """October: A invoiced (Bs 349). November, from 3 November: B web, sold and invoiced (Bs 349, prepaid); C by
    Botmaker, sold postpaid (Bs 199); D web, invoiced (Bs 349) then cancelled; E web, closed for no coverage; F web,
    offer rejected; G by WhatsApp, offer sent and open. Then the clock moves to 2 December."""
    reloj.momento = datetime(2026, 10, 20, 9, 0, tzinfo=LA_PAZ)
    a = _formulario(etapa, "Andrés Vargas", "71100001", zona="Centro")
    reloj.avanzar(minutes=4)
    _hasta_forma_pago(etapa, a)
    _prepago_facturado(etapa, a, "F-001-000100")

    reloj.momento = datetime(2026, 11, 3, 9, 0, tzinfo=LA_PAZ)
    b = _formulario(etapa, "Beatriz Rojas", "71100002", zona="Centro")
    _primera_respuesta(etapa, reloj, b, "B")
    _hasta_forma_pago(etapa, b)
    _prepago_facturado(etapa, b, "F-001-000201")

    reloj.avanzar(hours=2)
    c = _por_webhook(etapa, "botmaker_mensaje.json", etapa.webhook_botmaker)
    _primera_respuesta(etapa, reloj, c, "C")
    _hasta_forma_pago(etapa, c)
    etapa.aplicar(c, "elegir_pospago")
    etapa.aplicar(c, "registrar_control_recurrente", rol="FA", dia_facturacion=5, monto_mensual_bs=199)

    reloj.momento = datetime(2026, 11, 10, 10, 0, tzinfo=LA_PAZ)
    d = _formulario(etapa, "Daniel Flores", "71100004", zona="Centro")
    _primera_respuesta(etapa, reloj, d, "D")
    _hasta_forma_pago(etapa, d)
    _prepago_facturado(etapa, d, "F-001-000202")
    reloj.avanzar(days=1)
    etapa.aplicar(d, "anular", motivo="Plan equivocado en Smartflex", origen_anulacion="smartflex")

    e = _formulario(etapa, "Elena Choque", "71100005")
    _primera_respuesta(etapa, reloj, e, "E", FUERA_DE_COBERTURA)
    etapa.aplicar(e, "clasificar_residencial")
    etapa.aplicar(e, "consultar_cobertura")
    etapa.aplicar(e, "cerrar_sin_cobertura", motivo="Sin red en la zona")

    reloj.momento = datetime(2026, 11, 20, 15, 0, tzinfo=LA_PAZ)
    f = _formulario(etapa, "Fernando Mamani", "71100006", zona="Centro")
    _primera_respuesta(etapa, reloj, f, "F")
    _hasta_negociacion(etapa, f)
    etapa.aplicar(f, "enviar_oferta", **OFERTA)
    etapa.aplicar(f, "rechazar_oferta", motivo="Le pareció caro")

    g = _por_webhook(etapa, "meta_whatsapp_texto.json", etapa.webhook_meta)
    _primera_respuesta(etapa, reloj, g, "G")
    _hasta_negociacion(etapa, g)
    etapa.aplicar(g, "enviar_oferta", **OFERTA)

    reloj.momento = datetime(2026, 12, 2, 9, 0, tzinfo=LA_PAZ)
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g}


def _informe(etapa, rol: str) -> dict[str, Any]:
    respuesta = etapa.cliente.http.get(f"/reportes/mensual?mes={MES}", headers=etapa.cabeceras(rol))
    assert respuesta.status_code == 200, respuesta.body
    return dict(respuesta.json_body)


def _texto(respuesta) -> str:
    cuerpo = respuesta.body
    return cuerpo.decode("utf-8") if isinstance(cuerpo, bytes) else str(cuerpo)


def _csv(visitante, consulta: str) -> dict[str, list[list[str]]]:
    """The dashboard's CSV export as its tables: title -> rows (the header row first)."""
    respuesta = visitante.get(f"/consola/tablero?{consulta}&formato=csv")
    assert respuesta.status_code == 200, respuesta.body
    assert respuesta.headers["Content-Type"].startswith("text/csv")
    filas = list(csv.reader(io.StringIO(_texto(respuesta).lstrip("\ufeff")), delimiter=";"))
    tablas: dict[str, list[list[str]]] = {}
    actual: list[list[str]] | None = None
    for fila in filas:
        if not fila:
            actual = None
        elif actual is None:
            actual = tablas.setdefault(fila[0], [])
        else:
            actual.append(fila)
    return tablas


def _bs(texto: str) -> Decimal:
    """A CSV amount in es-BO ("1.234,50") as a Decimal."""
    return Decimal(texto.replace(".", "").replace(",", "."))


def _resumen(tablas: dict[str, list[list[str]]]) -> dict[str, list[str]]:
    (titulo,) = [t for t in tablas if t.startswith("Tablero de ")]
    return {fila[0]: fila[1:] for fila in tablas[titulo][1:]}


def test_the_dashboard_of_a_closed_month_shows_the_figures_of_the_informe_general(etapa, reloj):
    from tests.app.test_consola import Visitante, html

    _mundo(etapa, reloj)

    # The Informe General of November, read by the division head and by the team lead
    informe = _informe(etapa, "JD")
    assert _informe(etapa, "RC")["kpi"] == informe["kpi"]
    assert informe["parcial"] is False
    kpi = informe["kpi"]
    assert (kpi["facturacion_bs"], kpi["facturacion_anterior_bs"]) == ("548.00", "349.00")
    assert (kpi["porcentaje"], kpi["veredicto"]) == ("157.02", "APROBADO")
    assert (kpi["facturas"], kpi["facturas_anterior"], informe["ventas"]["cantidad"]) == (2, 1, 2)
    assert (informe["ventas"]["anuladas_facturadas"], informe["ventas"]["anuladas_facturadas_bs"]) == (1, "349.00")
    assert {p["paso"]: p["cantidad"] for p in informe["embudo"]} == EMBUDO
    canales_informe = {
        c["canal"]: (c["solicitudes"], c["ventas"], Decimal(c["monto_bs"])) for c in informe["por_canal"]
    }
    assert canales_informe == {
        "web": (4, 1, Decimal("349.00")),
        "botmaker": (1, 1, Decimal("199.00")),
        "whatsapp": (1, 0, Decimal("0.00")),
    }
    assert informe["primera_respuesta"]["con_respuesta"] == 6
    assert informe["primera_respuesta"]["mediana_minutos"] == 8
    assert (informe["seguimiento"]["recibidas"], informe["seguimiento"]["no_atendidas"]) == (6, 2)
    assert informe["seguimiento"]["anuladas"] == 1

    # The dashboard of the same month, signed in as the team lead
    visitante = Visitante(etapa.cliente)
    visitante.ingresar("RC")
    pagina = visitante.get(f"/consola/tablero?mes={MES}")
    assert pagina.status_code == 200, pagina.body
    texto = html(pagina)
    assert "Tablero de noviembre de 2026</h1>" in texto  # closed: not "(en curso)"
    assert "Bs 548,00" in texto and "Bs 349,00" in texto
    assert "157,02 %" in texto and "APROBADO" in texto
    assert "Mediana de todos los canales: 8 min" in texto

    tablas = _csv(visitante, f"mes={MES}")
    resumen = _resumen(tablas)
    embudo = {fila[0]: fila[1:] for fila in tablas["Embudo por canal"]}
    cabecera = embudo.pop("Paso")
    perdidas = {fila[0]: fila[1] for fila in tablas["Solicitudes perdidas y por qué"][1:]}
    respuesta = {fila[0]: fila[1:] for fila in tablas["Minutos hasta la primera respuesta, por canal"][1:]}

    # Billing of the month and of the previous one, invoiced sales, the KPI and its verdict
    assert cabecera[:2] == ["noviembre de 2026", "octubre de 2026"]
    facturacion = [_bs(v) for v in resumen["Facturación (Bs)"]]
    assert facturacion == [Decimal(kpi["facturacion_bs"]), Decimal(kpi["facturacion_anterior_bs"])]
    assert facturacion == [Decimal("548.00"), Decimal("349.00")]
    assert resumen["Ventas facturadas"] == [str(informe["ventas"]["cantidad"]), str(kpi["facturas_anterior"])]
    assert resumen["Ventas facturadas"] == ["2", "1"]
    assert _bs(resumen["KPI hasta hoy (%)"][0]) == Decimal(kpi["porcentaje"]) == Decimal("157.02")
    assert resumen["Resultado"][0] == kpi["veredicto"] == "APROBADO"
    assert resumen["Solicitudes recibidas"][0] == str(informe["seguimiento"]["recibidas"]) == "6"

    # Each funnel step, overall and per channel
    etiquetas = {p["etiqueta"]: p["paso"] for p in informe["embudo"]}
    assert set(embudo) == set(etiquetas)
    assert {etiquetas[e]: int(v[0]) for e, v in embudo.items()} == {p["paso"]: p["cantidad"] for p in informe["embudo"]}
    assert {etiquetas[e]: int(v[0]) for e, v in embudo.items()} == EMBUDO
    columnas = {nombre: i for i, nombre in enumerate(cabecera)}
    etiquetas_canal = {c["canal"]: c["canal_etiqueta"] for c in informe["por_canal"]}
    for canal, esperado in EMBUDO_POR_CANAL.items():
        columna = columnas[etiquetas_canal[canal]]
        assert {etiquetas[e]: int(v[columna]) for e, v in embudo.items()} == esperado, canal
        # The Informe has each channel's received requests: the funnel's first step of that channel
        assert esperado["recibidas"] == canales_informe[canal][0]

    # Speed to lead: the same low median
    todos = [int(v[0]) for v in respuesta.values()]
    assert sum(todos) == informe["primera_respuesta"]["con_respuesta"] == 6
    assert f"Mediana de todos los canales: {informe['primera_respuesta']['mediana_minutos']} min" in texto

    # Losses: the Informe's unattended (no coverage, offer rejected) and cancelled
    assert perdidas["Sin cobertura en la zona"] == "1"
    assert perdidas["El cliente rechazó la oferta"] == "1"
    assert perdidas["Venta anulada"] == "1" == str(informe["seguimiento"]["anuladas"])
    assert int(perdidas["Sin cobertura en la zona"]) + int(perdidas["El cliente rechazó la oferta"]) == len(
        informe["no_atendidas"]
    )

    # Per channel, the dashboard filtered by channel bills what the Informe's sales by channel do
    for canal, (_, ventas, monto) in canales_informe.items():
        por_canal = _resumen(_csv(visitante, f"mes={MES}&canal={canal}"))
        assert _bs(por_canal["Facturación (Bs)"][0]) == monto, canal
        assert por_canal["Ventas facturadas"][0] == str(ventas), canal
        assert por_canal["Solicitudes recibidas"][0] == str(EMBUDO_POR_CANAL[canal]["recibidas"]), canal
