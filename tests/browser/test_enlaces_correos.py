"""Every link in every email, clicked like a person in headless Chromium (issue 17).

Each test walks one branch of the procedure on the local stage (``chalice local`` over HTTP, moto, the stream
pump): web form to closed sale with a prepaid transfer, postpaid, business prospect handed to enterprise sales,
Help Desk says NO, the customer rejects the offer, and the reports (the daily unattended digest and
``POST /dev/jobs/informe_mensual``). After every step it reads the new emails in ``/dev/outbox``, takes every
http(s) link of their text and HTML, and opens each as its recipients would:

* staff (a role mailbox): in a browser signed in to the console with that role; a mailbox without a console role
  (enterprise sales) opens it without a session, lands on the sign-in page and comes back to the same page after
  signing in;
* customers: in a browser without any session.

Every link must answer an HTML page in Spanish (``<html lang="es…">``), status 200, never JSON, 401, 403 or 404
(the printable contract answers its PDF). Approval links are only opened with GET, and opening every link changes
no request (its version stays the same). Identical links for the same reader are opened once.

A new email template (or context) with a link to the JSON staff API, to a route that does not exist, or to a page
the reader cannot open makes this test fail: nothing here lists the templates, it reads what was sent.
``test_a_planted_link_to_the_staff_api_fails_the_check`` shows the check refusing such a link.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
import requests

pytestmark = pytest.mark.navegador

COORDENADAS = {"latitud": -17.3935, "longitud": -66.157}
OFERTA = {"plan": "hogar-fibra-50"}
CLIENTE = "cliente"
SIN_ROL = "sin_rol"
ROL_DE_BUZON = {
    "ejecutivos": "EJ",
    "help_desk": "HD",
    "cobranzas": "CO",
    "cajas": "CA",
    "facturacion": "FA",
    "responsable_canales": "RC",
    "jefe_division": "JD",
    "empresas": SIN_ROL,
}
_ENLACE = re.compile(r"https?://[^\s\"'<>]+")
_PUNTUACION_FINAL = ".,;:!?)]}»"


def enlaces_de(correo: dict[str, Any]) -> set[str]:
    """Every http(s) link of an email: the ``href`` of its HTML and the bare URLs of its text and HTML."""
    cuerpo = (correo.get("text") or "") + "\n" + html.unescape(correo.get("html") or "")
    return {m.group(0).rstrip(_PUNTUACION_FINAL) for m in _ENLACE.finditer(cuerpo)}


@dataclass
class Lector:
    """Opens links as the people who receive the emails: one browser context per role, one for customers."""

    url: str
    navegador: Any
    buzones: dict[str, str]
    contextos: dict[str, Any] = field(default_factory=dict)
    abiertos: set[tuple[str, str]] = field(default_factory=set)
    visitados: list[str] = field(default_factory=list)

    def lector(self, direccion: str) -> str:
        for nombre, buzon in self.buzones.items():
            if buzon == direccion and nombre in ROL_DE_BUZON:
                return ROL_DE_BUZON[nombre]
        return CLIENTE

    def contexto(self, quien: str) -> Any:
        if quien not in self.contextos:
            contexto = self.navegador.new_context(locale="es-BO", timezone_id="America/La_Paz")
            contexto.set_default_timeout(15000)
            if quien not in (CLIENTE, SIN_ROL):
                pagina = contexto.new_page()
                pagina.goto(f"{self.url}/consola/ingresar")
                pagina.locator(f"button[name=rol][value={quien}]").click()
                pagina.wait_for_url(f"{self.url}/consola**")
                pagina.close()
            self.contextos[quien] = contexto
        return self.contextos[quien]

    def leer(self, correo: dict[str, Any]) -> None:
        for direccion in [*correo.get("to", []), *correo.get("cc", [])]:
            quien = self.lector(direccion)
            for enlace in sorted(enlaces_de(correo)):
                if (enlace, quien) not in self.abiertos:
                    self.abiertos.add((enlace, quien))
                    self.abrir(enlace, quien, correo["subject"])

    def abrir(self, enlace: str, quien: str, asunto: str) -> None:
        donde = f"«{asunto}» → {enlace} (abierto por {quien})"
        if urlparse(enlace).netloc == "www.google.com":  # the map of the Help Desk emails: outside, not followed
            assert enlace.startswith("https://www.google.com/maps?q=-"), donde
            return
        assert enlace.startswith(self.url + "/"), f"{donde}: the link leaves the system"
        self.visitados.append(enlace)
        contexto = self.contexto(quien)
        if enlace.endswith("/contrato"):
            respuesta = contexto.request.get(enlace, max_redirects=0)
            assert respuesta.status == 200, f"{donde}: {respuesta.status} {respuesta.text()[:200]}"
            assert respuesta.headers["content-type"] == "application/pdf" and respuesta.body().startswith(b"%PDF-")
            return
        pagina = contexto.new_page()
        fallidas: list[str] = []
        pagina.on("response", lambda r: fallidas.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        pagina.on("requestfailed", lambda r: fallidas.append(f"{r.failure} {r.url}"))
        try:
            respuesta = pagina.goto(enlace)
            assert respuesta is not None, donde
            if quien == SIN_ROL:
                assert "/consola/ingresar" in pagina.url, f"{donde}: without a session it must ask to sign in"
                self._pagina_html(pagina, respuesta, donde)
                pagina.locator("button[name=rol][value=EJ]").click()
                pagina.wait_for_load_state()
                respuesta = None
                assert pagina.url == enlace, f"{donde}: after signing in it went to {pagina.url}"
            else:
                assert "/consola/ingresar" not in pagina.url, f"{donde}: the signed-in reader was asked to sign in"
            self._pagina_html(pagina, respuesta, donde)
            pagina.wait_for_load_state("load")
            assert not fallidas, f"{donde}: resources that did not load: {fallidas}"
        finally:
            pagina.close()

    @staticmethod
    def _pagina_html(pagina: Any, respuesta: Any, donde: str) -> None:
        if respuesta is not None:
            tipo = respuesta.headers.get("content-type", "")
            assert respuesta.status == 200, f"{donde}: answered {respuesta.status} {respuesta.text()[:200]}"
            assert tipo.startswith("text/html"), f"{donde}: answered {tipo}, not a page"
        idioma = pagina.evaluate("document.documentElement.lang")
        assert idioma.startswith("es"), f"{donde}: <html lang={idioma!r}>"
        titulo = pagina.locator("h1").first.inner_text()
        for error in ("No encontrado", "no permitida", "Error", "Missing Authentication Token", "Unauthorized"):
            assert error not in titulo, f"{donde}: the page says {titulo!r}"

    def cerrar(self) -> None:
        for contexto in self.contextos.values():
            contexto.close()


class Recorrido:
    """One branch of the procedure through the public doors, reading the new emails' links after every step."""

    def __init__(self, sistema: Any, lector: Lector) -> None:
        self.sistema = sistema
        self.lector = lector
        self.leidos = 0
        self.solicitudes: set[str] = set()

    def versiones(self) -> dict[str, int]:
        return {s: int(self.sistema.detalle(s, "RC")["solicitud"]["version"]) for s in sorted(self.solicitudes)}

    def revisar(self) -> None:
        correos = self.sistema.outbox()
        nuevos, self.leidos = correos[self.leidos :], len(correos)
        if not nuevos:
            return
        antes = self.versiones()
        for correo in nuevos:
            self.lector.leer(correo)
        assert self.versiones() == antes, "opening the links of the emails changed a request"

    def formulario(self, **campos: str) -> str:
        datos = {
            "nombre": "María Quispe Mamani",
            "telefono": "70712345",
            "email": "maria.quispe@example.com",
            "zona": "Centro",
            "direccion": "Calle España 250",
            "tipo_cliente": "residencial",
            "mensaje": "Quiero internet para mi casa",
            "consentimiento": "on",
            **campos,
        }
        respuesta = requests.post(f"{self.sistema.url}/solicitud", data=datos, timeout=10)
        assert respuesta.status_code == 201, respuesta.text
        codigo = re.search(r"VD-[0-9A-Z]{8}", respuesta.text)
        assert codigo, "the confirmation page shows the request code"
        self.solicitudes.add(codigo.group(0))
        self.revisar()
        return codigo.group(0)

    def paso(self, solicitud_id: str, accion: str, rol: str = "EJ", **campos: Any) -> None:
        self.sistema.aplicar(solicitud_id, accion, rol, **campos)
        self.revisar()

    def hasta_negociacion(self, solicitud_id: str) -> None:
        self.paso(solicitud_id, "clasificar_residencial")
        self.paso(solicitud_id, "registrar_datos", ci="4567890", ci_expedido="CB", **COORDENADAS)
        self.paso(solicitud_id, "registrar_info_cualitativa", tipo_uso="teletrabajo", horario_navegacion="noche")
        self.paso(solicitud_id, "consultar_cobertura")
        self.paso(
            solicitud_id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50, telefono_referencia="44221234"
        )
        self.paso(solicitud_id, "confirmar_capacidad", rol="HD", velocidad_maxima_mbps=100, tecnologia="FTTH")

    def hasta_forma_pago(self, solicitud_id: str) -> None:
        self.hasta_negociacion(solicitud_id)
        self.paso(solicitud_id, "enviar_oferta", **OFERTA)
        self.paso(solicitud_id, "aceptar_oferta")
        for requisito in ("ci", "ubicacion", "carta_solicitud"):
            self.paso(solicitud_id, "registrar_requisito", requisito=requisito, detalle="recibido por correo")
        self.paso(solicitud_id, "completar_requisitos")
        self.paso(solicitud_id, "digitar_venta")

    def trabajo(self, nombre: str, **parametros: str) -> None:
        respuesta = requests.post(f"{self.sistema.url}/dev/jobs/{nombre}", params=parametros, timeout=30)
        assert respuesta.status_code == 200, respuesta.text
        self.revisar()


@pytest.fixture
def recorrido(sistema, chromium) -> Iterator[Recorrido]:
    buzones = requests.get(f"{sistema.url}/dev/config", timeout=10).json()["buzones"]
    lector = Lector(sistema.url, chromium, buzones)
    try:
        yield Recorrido(sistema, lector)
    finally:
        lector.cerrar()


def _visitadas(recorrido: Recorrido, fragmento: str) -> list[str]:
    return [u for u in recorrido.lector.visitados if fragmento in u]


def test_links_of_a_prepaid_transfer_from_the_web_form_to_the_closed_sale(recorrido):
    solicitud_id = recorrido.formulario()
    recorrido.hasta_forma_pago(solicitud_id)
    recorrido.paso(solicitud_id, "elegir_prepago")
    recorrido.paso(
        solicitud_id,
        "registrar_comprobante",
        monto_bs=349,
        fecha_deposito="2026-11-30",
        numero_deposito="DEP-778812",
        tipo_operacion="transferencia",
        depositante="María Quispe Mamani",
        banco="Banco Unión",
    )
    recorrido.paso(solicitud_id, "aprobar_deposito", rol="CO")
    recorrido.paso(solicitud_id, "marcar_impresa", rol="CA", numero_factura="F-001-000123", monto_bs=349)
    recorrido.paso(solicitud_id, "marcar_entregada", rol="CA", entregada_a="María Quispe Mamani")
    assert _visitadas(recorrido, f"/consola/solicitudes/{solicitud_id}/contrato"), "the contract link was opened"
    assert _visitadas(recorrido, "/aprobaciones/"), "the offer's approval links were opened"


def test_links_of_a_postpaid_sale(recorrido):
    solicitud_id = recorrido.formulario()
    recorrido.hasta_forma_pago(solicitud_id)
    recorrido.paso(solicitud_id, "elegir_pospago")
    recorrido.paso(solicitud_id, "registrar_control_recurrente", rol="FA", dia_facturacion=5, monto_mensual_bs=199)
    assert _visitadas(recorrido, f"/consola/solicitudes/{solicitud_id}")


def test_links_of_a_business_prospect_handed_to_enterprise_sales(recorrido):
    solicitud_id = recorrido.formulario(
        nombre="Ferretería El Tornillo SRL",
        telefono="44251234",
        email="gerencia@eltornillo.bo",
        tipo_cliente="empresa",
        mensaje="Necesitamos internet para la oficina y dos sucursales",
    )
    recorrido.paso(solicitud_id, "derivar_empresas", razon_social="Ferretería El Tornillo SRL", nit="1023456021")
    assert (f"{recorrido.sistema.url}/consola/solicitudes/{solicitud_id}", SIN_ROL) in recorrido.lector.abiertos


def test_links_when_help_desk_says_no_and_when_the_offer_is_rejected_and_of_the_reports(recorrido):
    sin_capacidad = recorrido.formulario()
    recorrido.paso(sin_capacidad, "clasificar_residencial")
    recorrido.paso(sin_capacidad, "registrar_datos", ci="4567890", **COORDENADAS)
    recorrido.paso(sin_capacidad, "consultar_cobertura")
    recorrido.paso(sin_capacidad, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=200)
    recorrido.paso(sin_capacidad, "negar_capacidad", rol="HD", motivo="Caja terminal saturada en la cuadra")

    rechazada = recorrido.formulario(nombre="Juan Pérez Flores", telefono="70798765", email="juan.perez@example.com")
    recorrido.hasta_negociacion(rechazada)
    recorrido.paso(rechazada, "enviar_oferta", **OFERTA)
    recorrido.paso(rechazada, "rechazar_oferta", motivo="Le parece caro")

    mes = datetime.now(ZoneInfo("America/La_Paz")).strftime("%Y-%m")
    recorrido.trabajo("resumen_no_atendidas")
    recorrido.trabajo("informe_mensual", mes=mes)
    assert _visitadas(recorrido, "/consola?bandeja=no_atendidas"), "the digest links to the console queue"


def test_a_planted_link_to_the_staff_api_fails_the_check(recorrido):
    """A template that linked the JSON staff API (or a route that does not exist) would fail the walk above."""
    url = recorrido.sistema.url
    for enlace in (f"{url}/solicitudes/VD-00000000", f"{url}/consola/no-existe"):
        correo = {"subject": "Plantilla nueva", "to": ["maria.quispe@example.com"], "text": f"Abrir: {enlace}."}
        assert enlaces_de(correo) == {enlace}
        with pytest.raises(AssertionError):
            recorrido.lector.leer(correo)
