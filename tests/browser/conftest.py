"""The staff console in a real browser: headless Debian Chromium driven by Playwright, against the real app served
by `chalice local` on a free port, with moto as AWS (one server per test worker, emptied per test) and the
stream pump delivering the state-change records, so the emails of each step land in the outbox."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from localstage.entorno import entorno_local

RAIZ = Path(__file__).resolve().parents[2]
ARTEFACTOS = RAIZ / "test-artifacts" / "consola"
CHROMIUM = "/usr/bin/chromium"
ARGUMENTOS_CHROMIUM = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ESCRITORIO = {"width": 1280, "height": 800}
MOVIL = {"width": 375, "height": 812}


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def servidor(moto_endpoint) -> Iterator[str]:
    """`chalice local --stage local` on a free port, pointed at this worker's moto."""
    puerto = _puerto_libre()
    url = f"http://127.0.0.1:{puerto}"
    ARTEFACTOS.mkdir(parents=True, exist_ok=True)
    registro = open(ARTEFACTOS / f"chalice-local-{puerto}.log", "wb")  # noqa: SIM115 (closed below)
    chalice = str(Path(sys.executable).parent / "chalice")
    proceso = subprocess.Popen(
        [chalice, "local", "--no-autoreload", "--host", "127.0.0.1", "--port", str(puerto), "--stage", "local"],
        cwd=RAIZ,
        env={**os.environ, **entorno_local(moto_endpoint), "VD_URL_PUBLICA": url},
        stdout=registro,
        stderr=subprocess.STDOUT,
    )
    try:
        limite = time.monotonic() + 90
        while True:
            if proceso.poll() is not None:
                raise RuntimeError(f"chalice local terminó (ver {registro.name})")
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > limite:
                raise RuntimeError("chalice local no respondió en 90 s")
            time.sleep(0.2)
        yield url
    finally:
        proceso.terminate()
        try:
            proceso.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proceso.kill()
        registro.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Falta Chromium: ejecute scripts/instalar-navegador.sh (make test lo hace).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        navegador = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGUMENTOS_CHROMIUM)
        yield navegador
        navegador.close()


@dataclass
class Sistema:
    """The running local stage as the tests see it: its URL, the staff API with local tokens, the stream pump."""

    url: str
    bomba: Any
    bomba_entrantes: Any = None
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, rol: str) -> str:
        if not self.tokens:
            self.tokens = requests.get(f"{self.url}/dev/tokens", timeout=10).json()["tokens"]
        return self.tokens[rol]

    def detalle(self, solicitud_id: str, rol: str = "RC") -> dict[str, Any]:
        self.capturar()
        respuesta = requests.get(
            f"{self.url}/solicitudes/{solicitud_id}", headers={"Authorization": f"Bearer {self.token(rol)}"}, timeout=10
        )
        assert respuesta.status_code == 200, respuesta.text
        return dict(respuesta.json())

    def aplicar(self, solicitud_id: str, accion: str, rol: str = "EJ", **campos: Any) -> dict[str, Any]:
        respuesta = requests.post(
            f"{self.url}/solicitudes/{solicitud_id}/acciones",
            headers={"Authorization": f"Bearer {self.token(rol)}"},
            json={"accion": accion, "campos": campos},
            timeout=10,
        )
        assert respuesta.status_code == 200, respuesta.text
        return dict(respuesta.json())

    def primer_plan(self, solicitud_id: str) -> str:
        """The first plan of the catalogue eligible for the request (the options of ``enviar_oferta``)."""
        acciones = self.detalle(solicitud_id, "EJ")["acciones_disponibles"]
        oferta = next(a for a in acciones if a["accion"] == "enviar_oferta")
        campo = next(c for c in oferta["campos"] if c["nombre"] == "plan")
        return str(campo["opciones"][0]["valor"])

    def nueva(self, **datos: str) -> str:
        respuesta = requests.post(f"{self.url}/solicitud", json={"consentimiento": "si", **datos}, timeout=10)
        assert respuesta.status_code == 201, respuesta.text
        self.capturar()
        return str(respuesta.json()["recibo"])  # a new request's receipt is its code

    def capturar(self) -> int:
        """The entrantes stream: form submissions (and channel deliveries) become requests."""
        return int(self.bomba_entrantes.drain()) if self.bomba_entrantes is not None else 0

    def bombear(self) -> int:
        return self.capturar() + int(self.bomba.drain())

    def outbox(self) -> list[dict[str, Any]]:
        self.bombear()
        return list(requests.get(f"{self.url}/dev/outbox", timeout=10).json()["mensajes"])


@pytest.fixture
def sistema(settings, servidor, monkeypatch) -> Iterator[Sistema]:
    """A fresh stage per test (moto emptied and provisioned by ``settings``) and a pump for its stream; the
    reactions the pump runs in this process build their links on the served URL, as the server's own do."""
    from chalice.test import Client

    from chalicelib import bootstrap
    from chalicelib.config import get_settings

    monkeypatch.setenv("VD_URL_PUBLICA", servidor)
    get_settings.cache_clear()
    from localstage.stream_pump import StreamPump

    bootstrap.reset()
    from app import app

    with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
        bomba = StreamPump(
            table_name=settings.tabla_solicitudes,
            handler=lambda evento: cliente.lambda_.invoke("on_solicitud_change", evento).payload,
        )
        bomba_entrantes = StreamPump(
            table_name=settings.tabla_entrantes,
            handler=lambda evento: cliente.lambda_.invoke("on_entrante", evento).payload,
        )
        yield Sistema(url=servidor, bomba=bomba, bomba_entrantes=bomba_entrantes)
    bootstrap.reset()


class Consola:
    """One person in the browser: signs in, moves through the console, fills action forms by their labels."""

    def __init__(self, pagina: Any, url: str) -> None:
        self.pagina = pagina
        self.url = url
        self._documento: Any = None
        pagina.on("response", self._anotar)

    def _anotar(self, respuesta: Any) -> None:
        if respuesta.request.resource_type == "document" and respuesta.frame == self.pagina.main_frame:
            self._documento = respuesta

    def ingresar(self, nombre: str) -> None:
        self.pagina.goto(f"{self.url}/consola/ingresar")
        self.pagina.get_by_role("button", name=nombre).click()
        self.pagina.wait_for_url(f"{self.url}/consola**")

    def salir(self) -> None:
        self.pagina.get_by_role("button", name="Salir").click()
        self.pagina.wait_for_url(f"{self.url}/consola/ingresar**")

    def abrir(self, solicitud_id: str) -> None:
        self.pagina.goto(f"{self.url}/consola/solicitudes/{solicitud_id}")

    def formulario(self, accion: str) -> Any:
        """The action's form, its disclosure opened (each action is a <details> holding one form)."""
        detalle = self.pagina.locator(f"details#accion-{accion}")
        if detalle.get_attribute("open") is None:
            detalle.locator("summary").first.click()
        return detalle.locator("form")

    def aplicar(self, accion: str, **campos: Any) -> None:
        """Fill the action's form (text, number, date, select, checkbox) and send it."""
        formulario = self.formulario(accion)
        for nombre, valor in campos.items():
            control = formulario.locator(f"[name={nombre}]")
            etiqueta = control.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
            if etiqueta.startswith("select"):
                control.select_option(str(valor))
            elif etiqueta == "input:checkbox":
                control.set_checked(bool(valor))
            else:
                control.fill(str(valor))
        formulario.locator("button[type=submit]").click()
        self.pagina.wait_for_load_state()

    def aviso(self) -> str:
        return str(self.pagina.locator(".aviso").inner_text())

    def estado(self) -> str:
        return str(self.pagina.locator("h1 + p .insignia").first.inner_text())

    def capturar(self, nombre: str) -> None:
        """Screenshots at desktop and phone widths, and the page's HTML size, under test-artifacts/consola/."""
        ARTEFACTOS.mkdir(parents=True, exist_ok=True)
        tamano = len(self._documento.body()) if self._documento is not None else len(self.pagina.content().encode())
        self.pagina.screenshot(path=str(ARTEFACTOS / f"{nombre}-escritorio.png"), full_page=True)
        self.pagina.set_viewport_size(MOVIL)
        self.pagina.screenshot(path=str(ARTEFACTOS / f"{nombre}-movil.png"), full_page=True)
        self.pagina.screenshot(path=str(ARTEFACTOS / f"{nombre}-movil-pantalla.png"))
        ancho = self.pagina.evaluate("document.documentElement.scrollWidth")
        self.pagina.set_viewport_size(ESCRITORIO)
        assert ancho <= MOVIL["width"], f"{nombre}: the page scrolls sideways on a phone ({ancho} px)"
        with open(ARTEFACTOS / "tamanos.tsv", "a", encoding="utf-8") as salida:
            salida.write(f"{nombre}\t{self.pagina.url.replace(self.url, '')}\t{tamano}\n")


@pytest.fixture
def navegador(chromium, servidor) -> Iterator[Any]:
    """A fresh browser context (no cookies) at desktop size, Spanish (Bolivia), La Paz time."""
    contexto = chromium.new_context(viewport=ESCRITORIO, locale="es-BO", timezone_id="America/La_Paz")
    contexto.set_default_timeout(15000)
    try:
        yield contexto
    finally:
        contexto.close()


@pytest.fixture
def consola(navegador, servidor) -> Consola:
    return Consola(navegador.new_page(), servidor)
