"""The report emails render (Spanish, KPI and verdict first, phone-width tables, the chart by cid) and, opened in
headless Chromium, show the chart and the verdict. Screenshots: test-artifacts/reportes/*.png."""

from __future__ import annotations

import base64
import shutil
import struct
import subprocess
from datetime import datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.graficos_matplotlib import MatplotlibGraficos
from chalicelib.adapters.rendering import JinjaPlantillas
from chalicelib.services import reportes
from tests.datos_reportes import factura, guardar, noviembre
from tests.fakes import FakeCalendario, InMemorySolicitudRepository

RAIZ = Path(__file__).resolve().parents[2]
ARTEFACTOS = RAIZ / "test-artifacts" / "reportes"
AHORA = datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo("America/La_Paz"))
VERDE = (0x1E, 0x7B, 0x34)
GRIS_BARRA = (0x9A, 0xA5, 0xB1)


def _informe(repo, mes="2026-11"):
    return reportes.construir_informe(
        mes,
        del_mes=repo.del_mes(mes).solicitudes,
        facturadas=repo.facturadas_en(mes).solicitudes,
        facturadas_anterior=repo.facturadas_en(reportes.mes_anterior(mes)).solicitudes,
        ahora=AHORA,
        calendario=FakeCalendario(),
    ) | {"lectura": {"indices": ["por_mes", "por_mes_factura"], "items_leidos": 13, "segundos": 0.01}}


@pytest.fixture(scope="module")
def plantillas():
    return JinjaPlantillas()


@pytest.fixture
def informe():
    repo = InMemorySolicitudRepository()
    noviembre(repo)
    return _informe(repo)


def _contexto(informe, **extra):
    return {
        "informe": informe,
        "cid_grafico": reportes.CID_GRAFICO,
        "reenvio": False,
        "solicitado_por": "programado",
        "url_publica": "https://ventas.example",
        "buzones": {},
    } | extra


def test_the_monthly_email_puts_the_kpi_and_the_verdict_first(plantillas, informe):
    # When the monthly email is rendered
    correo = plantillas.correo("informe_mensual", _contexto(informe))
    # Then the subject and both bodies carry the verdict and the ratio, in Spanish and Bolivianos
    assert correo.asunto == "Informe General de Ventas Digitales — noviembre de 2026: APROBADO (99,80 %)"
    for cuerpo in (correo.texto, correo.html):
        assert "99,80 %" in cuerpo and "APROBADO" in cuerpo
        assert "Bs 998,00" in cuerpo and "Bs 1.000,00" in cuerpo
        assert "None" not in cuerpo and "Undefined" not in cuerpo
        assert "Hogar Fibra 50" in cuerpo and "Facebook Lead Ads" in cuerpo
    assert correo.html.index("APROBADO") < correo.html.index("Embudo de las solicitudes del mes")
    assert f'src="cid:{reportes.CID_GRAFICO}"' in correo.html
    assert "max-width:552px" in correo.html, "the chart scales down to a phone's width"
    assert correo.texto.index("KPI DE FACTURACIÓN: 99,80 % — APROBADO") < correo.texto.index("EMBUDO")


def test_an_observed_month_a_month_without_base_and_a_resend_read_clearly(plantillas, informe):
    observado = informe | {"kpi": informe["kpi"] | {"veredicto": "OBSERVADO", "porcentaje": reportes.Decimal("97.99")}}
    correo = plantillas.correo("informe_mensual", _contexto(observado, reenvio=True, solicitado_por="rosa@comteco.bo"))
    assert correo.asunto.startswith("Reenvío: ") and "OBSERVADO (97,99 %)" in correo.asunto
    assert "Reenvío solicitado por rosa@comteco.bo" in correo.html

    sin_base = informe | {
        "kpi": informe["kpi"] | {"veredicto": "SIN BASE", "porcentaje": None, "motivo": "No hubo facturación."}
    }
    correo = plantillas.correo("informe_mensual", _contexto(sin_base))
    assert correo.asunto.endswith(": SIN BASE")
    assert "sin base" in correo.texto and "No hubo facturación." in correo.html


def test_an_empty_partial_month_still_renders(plantillas):
    vacio = _informe(InMemorySolicitudRepository(), "2026-12")
    correo = plantillas.correo("informe_mensual", _contexto(vacio))
    assert "(parcial)" in correo.asunto and "cifras son parciales" in correo.html
    assert "Sin ventas facturadas en el mes." in correo.html and "None" not in correo.html + correo.texto


def test_the_daily_digest_lists_overdue_and_unattended_requests(plantillas, informe):
    repo = InMemorySolicitudRepository()
    noviembre(repo)
    reporte = reportes.construir_no_atendidas(repo.solicitudes.values(), ahora=AHORA, calendario=FakeCalendario())
    contexto = {
        "reporte": reporte,
        "vencidas": [f for f in reporte["solicitudes"] if f["tipo"] == "vencida"],
        "no_atendidas": [f for f in reporte["solicitudes"] if f["tipo"] == "no_atendida"],
        "max_filas": 30,
        "dia": "2026-12-01",
        "url_reporte": "https://ventas.example/consola?bandeja=no_atendidas",
        "url_publica": "https://ventas.example",
        "buzones": {},
    }
    correo = plantillas.correo("resumen_no_atendidas", contexto)
    assert correo.asunto == "Solicitudes no atendidas al 01/12/2026: 2 con plazo vencido, 1 no atendidas"
    for cuerpo in (correo.texto, correo.html):
        assert "VD-C" in cuerpo and "Le parece caro" in cuerpo and "VD-F" in cuerpo
        assert "Digitación en Smartflex" in cuerpo and "None" not in cuerpo


# --- What a person sees: the email in a real browser ---


def _chromium() -> str:
    ruta = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
    if not Path(ruta).exists():
        pytest.fail("Chromium is missing: run `make navegador` (scripts/instalar-navegador.sh)")
    return ruta


def _captura(html: str, nombre: str, ancho: int, alto: int, tmp_path: Path) -> Path:
    ARTEFACTOS.mkdir(parents=True, exist_ok=True)
    pagina = ARTEFACTOS / f"{nombre}.html"
    pagina.write_text(html, encoding="utf-8")
    png = ARTEFACTOS / f"{nombre}.png"
    png.unlink(missing_ok=True)
    subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / nombre}",
            f"--window-size={ancho},{alto}",
            f"--screenshot={png}",
            pagina.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return png


def _dimensiones(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    ancho, alto = struct.unpack(">II", png[16:24])
    return ancho, alto


def _pixeles_parecidos(png: bytes, color: tuple[int, int, int], tolerancia: int = 12) -> int:
    from PIL import Image

    imagen = Image.open(BytesIO(png)).convert("RGB")
    return sum(
        n
        for n, (r, g, b) in imagen.getcolors(maxcolors=1 << 24)
        if abs(r - color[0]) <= tolerancia and abs(g - color[1]) <= tolerancia and abs(b - color[2]) <= tolerancia
    )


@pytest.mark.parametrize(("nombre", "ancho"), [("informe_mensual_escritorio", 640), ("informe_mensual_movil", 390)])
def test_the_monthly_email_in_chromium_shows_the_chart_and_the_verdict(plantillas, informe, tmp_path, nombre, ancho):
    # Given the email as sent: HTML plus the chart PNG it references by cid
    correo = plantillas.correo("informe_mensual", _contexto(informe))
    grafico = MatplotlibGraficos().informe_mensual(informe)
    assert _dimensiones(grafico)[0] >= 552 * 1.5, "drawn sharper than its display width"
    # When a mail client shows it (the cid resolved to the inline part: here a data: URI)
    html = correo.html.replace(
        f"cid:{reportes.CID_GRAFICO}", "data:image/png;base64," + base64.b64encode(grafico).decode()
    )
    png = _captura(html, nombre, ancho, 3400, tmp_path).read_bytes()
    # Then the screenshot is a real page: full width, and large
    assert _dimensiones(png) == (ancho, 3400)
    assert len(png) > 60_000
    # And it shows the verdict (its green, in the KPI box and the chart) and the chart: the previous month's grey
    # bar, which the same email without its chart does not have (only a little anti-aliased grey text)
    assert _pixeles_parecidos(png, VERDE) > 2_000
    sin_grafico = html.replace("data:image/png;base64," + base64.b64encode(grafico).decode(), "")
    sin = _captura(sin_grafico, nombre + "_sin_grafico", ancho, 3400, tmp_path).read_bytes()
    assert _pixeles_parecidos(png, GRIS_BARRA) - _pixeles_parecidos(sin, GRIS_BARRA) > 8_000


def test_an_observed_month_is_drawn_in_its_warning_colour(informe, tmp_path):
    repo = InMemorySolicitudRepository()
    guardar(
        repo,
        estado="cerrada",
        creada_en="2026-10-02T09:00:00-04:00",
        factura=factura("A", 1000, "2026-10-10T10:00:00-04:00"),
    )
    guardar(
        repo,
        estado="cerrada",
        creada_en="2026-11-02T09:00:00-04:00",
        factura=factura("B", 900, "2026-11-10T10:00:00-04:00"),
    )
    observado = _informe(repo)
    assert observado["kpi"]["veredicto"] == "OBSERVADO"
    grafico = MatplotlibGraficos().informe_mensual(observado)
    (ARTEFACTOS / "grafico_observado.png").parent.mkdir(parents=True, exist_ok=True)
    (ARTEFACTOS / "grafico_observado.png").write_bytes(grafico)
    assert _pixeles_parecidos(grafico, (0xB2, 0x6A, 0x00)) > 2_000
    assert _pixeles_parecidos(grafico, VERDE) == 0
