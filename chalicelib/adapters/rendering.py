"""JinjaPlantillas: the ``Plantillas`` port on jinja2 (emails as subject/text/html triples, chat messages, and web
pages).

Templates live in ``templates/`` at the top level of the repository; in the Lambda zip the packaging copies them
beside ``app.py``, so the same relative path works in both places. ``.html`` is autoescaped; ``.txt`` and
``.subject.txt`` are not (they are plain text, never parsed as HTML). ``StrictUndefined`` makes a missing value an
error, so templates read optional data with ``.get()`` or ``{% if %}``.

``templates/mensaje/<nombre>.txt`` are the chat variants of the customer emails (WhatsApp, Messenger, Botmaker):
plain text in the same environment (same filters and globals), short, never a link to a document (a PDF goes as a
separate file before the text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from chalicelib.domain.model import ETIQUETA_CANAL
from chalicelib.domain.ports import CorreoRenderizado

DIRECTORIO_PLANTILLAS: Final = Path(__file__).resolve().parent.parent.parent / "templates"
ZONA_HORARIA: Final = ZoneInfo("America/La_Paz")
LOCALE: Final = "es_BO"
VACIO: Final = "—"

ETIQUETA_TECNOLOGIA: Final[Mapping[str, str]] = {
    "FTTH": "Fibra óptica (FTTH)",
    "HFC": "Cable (HFC)",
    "ADSL": "ADSL",
    "INALAMBRICO": "Inalámbrico",
}
ETIQUETA_SERVICIO: Final[Mapping[str, str]] = {
    "internet_hogar": "Internet para el hogar",
    "internet_tv": "Internet + TV",
    "telefonia": "Telefonía fija",
    "otro": "Otro",
}
ETIQUETA_TIPO_OPERACION: Final[Mapping[str, str]] = {"deposito": "Depósito", "transferencia": "Transferencia"}
ETIQUETA_ORIGEN_ANULACION: Final[Mapping[str, str]] = {
    "ejecutivo": "Por el ejecutivo",
    "smartflex": "En Smartflex",
}


def _vacio(valor: Any) -> bool:
    return valor is None or (isinstance(valor, str) and not valor.strip())


def _momento(valor: Any) -> datetime | date | None:
    """A La Paz datetime (naive values are taken as La Paz time), a plain date, or None if unreadable."""
    if isinstance(valor, datetime):
        return valor if valor.tzinfo else valor.replace(tzinfo=ZONA_HORARIA)
    if isinstance(valor, date):
        return valor
    texto = str(valor).strip()
    try:
        if len(texto) == 10:
            return date.fromisoformat(texto)
        momento = datetime.fromisoformat(texto.replace("Z", "+00:00"))
    except ValueError:
        return None
    return momento if momento.tzinfo else momento.replace(tzinfo=ZONA_HORARIA)


def fecha(valor: Any) -> str:
    """ISO-8601 text or datetime -> "lunes, 30 de noviembre de 2026, 09:15" (La Paz time)."""
    if _vacio(valor):
        return VACIO
    momento = _momento(valor)
    if momento is None:
        return str(valor)
    if isinstance(momento, datetime):
        return format_datetime(momento, "EEEE, d 'de' MMMM 'de' y, HH:mm", tzinfo=ZONA_HORARIA, locale=LOCALE)
    return format_date(momento, "EEEE, d 'de' MMMM 'de' y", locale=LOCALE)


def fecha_corta(valor: Any) -> str:
    """ISO-8601 text or datetime -> "30/11/2026 09:15" (La Paz time); a plain date -> "30/11/2026"."""
    if _vacio(valor):
        return VACIO
    momento = _momento(valor)
    if momento is None:
        return str(valor)
    if isinstance(momento, datetime):
        return format_datetime(momento, "dd/MM/y HH:mm", tzinfo=ZONA_HORARIA, locale=LOCALE)
    return format_date(momento, "dd/MM/y", locale=LOCALE)


def _decimal(valor: Any) -> Decimal | None:
    if isinstance(valor, bool):
        return None
    try:
        numero = Decimal(str(valor).strip())
    except (InvalidOperation, ValueError):
        return None
    return numero if numero.is_finite() else None


def bs(valor: Any) -> str:
    """A number -> "Bs 1.250,00" (Bolivian grouping, always two decimals)."""
    if _vacio(valor):
        return VACIO
    numero = _decimal(valor)
    if numero is None:
        return str(valor)
    return "Bs " + format_decimal(numero, format="#,##0.00", locale=LOCALE)


def mbps(valor: Any) -> str:
    """A number -> "40 Mbps" (no trailing ",0"; "7,5 Mbps" for fractions)."""
    if _vacio(valor):
        return VACIO
    numero = _decimal(valor)
    if numero is None:
        return str(valor)
    return format_decimal(numero, format="#,##0.##", locale=LOCALE) + " Mbps"


def porcentaje(valor: Any) -> str:
    """A number -> "98,50 %" (two decimals, as given: no further rounding of an exact Decimal)."""
    if _vacio(valor):
        return VACIO
    numero = _decimal(valor)
    if numero is None:
        return str(valor)
    return format_decimal(numero, format="#,##0.00", locale=LOCALE, decimal_quantization=False) + " %"


def entero(valor: Any) -> str:
    """A whole number with Bolivian grouping: 12345 -> "12.345"."""
    if _vacio(valor):
        return VACIO
    numero = _decimal(valor)
    if numero is None:
        return str(valor)
    return format_decimal(numero, format="#,##0", locale=LOCALE)


def decimal(valor: Any) -> str:
    """A number with Bolivian separators and the decimals it has: Decimal("6.5") -> "6,5"; 1234 -> "1.234"."""
    if _vacio(valor):
        return VACIO
    numero = _decimal(valor)
    if numero is None:
        return str(valor)
    return format_decimal(numero, format="#,##0.###", locale=LOCALE, decimal_quantization=False)


def saltos(valor: Any) -> Markup:
    """HTML only: escape a free text and keep its line breaks as <br>."""
    if _vacio(valor):
        return Markup(VACIO)  # nosec B704
    lineas = str(valor).strip().splitlines()
    return Markup("<br>\n").join(escape(linea) for linea in lineas)


def _un_renglon(texto: str) -> str:
    return " ".join(texto.split())


_ESPACIO_FINAL: Final = re.compile(r"[ \t]+$", re.MULTILINE)
_LINEAS_VACIAS: Final = re.compile(r"\n{3,}")


def _mensaje_limpio(texto: str) -> str:
    """A chat message: no trailing spaces, at most one blank line in a row, no blank edges."""
    return _LINEAS_VACIAS.sub("\n\n", _ESPACIO_FINAL.sub("", texto)).strip()


class JinjaPlantillas:
    """Renders ``templates/email/<nombre>.{subject.txt,txt,html}``, ``templates/mensaje/<nombre>.txt`` and
    ``templates/pages/<nombre>.html``."""

    def __init__(self, directorio: Path | str | None = None) -> None:
        self._directorio = Path(directorio) if directorio else DIRECTORIO_PLANTILLAS
        self._entorno: jinja2.Environment | None = None

    @property
    def entorno(self) -> jinja2.Environment:
        """The one jinja2 Environment, built on first use (templates are compiled once per process)."""
        if self._entorno is None:
            self._entorno = self._crear_entorno()
        return self._entorno

    def _crear_entorno(self) -> jinja2.Environment:
        entorno = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self._directorio)),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        entorno.filters.update({"fecha": fecha, "fecha_corta": fecha_corta, "bs": bs, "mbps": mbps, "saltos": saltos})
        entorno.filters.update({"porcentaje": porcentaje, "entero": entero, "decimal": decimal})
        entorno.globals.update(
            {
                "etiqueta_canal": dict(ETIQUETA_CANAL),
                "etiqueta_tecnologia": dict(ETIQUETA_TECNOLOGIA),
                "etiqueta_servicio": dict(ETIQUETA_SERVICIO),
                "etiqueta_tipo_operacion": dict(ETIQUETA_TIPO_OPERACION),
                "etiqueta_origen_anulacion": dict(ETIQUETA_ORIGEN_ANULACION),
            }
        )
        return entorno

    def correo(self, nombre: str, contexto: Mapping[str, Any]) -> CorreoRenderizado:
        """The email ``nombre`` rendered with ``contexto``; the subject is collapsed to one line."""
        datos = dict(contexto)
        asunto = self.entorno.get_template(f"email/{nombre}.subject.txt").render(datos)
        texto = self.entorno.get_template(f"email/{nombre}.txt").render(datos)
        html = self.entorno.get_template(f"email/{nombre}.html").render(datos)
        return CorreoRenderizado(asunto=_un_renglon(asunto), texto=texto.strip() + "\n", html=html)

    def mensaje(self, nombre: str, contexto: Mapping[str, Any]) -> str:
        """The chat message ``templates/mensaje/<nombre>.txt`` rendered with ``contexto`` (plain text, not escaped),
        stripped, with runs of blank lines collapsed to one."""
        return _mensaje_limpio(self.entorno.get_template(f"mensaje/{nombre}.txt").render(dict(contexto)))

    def pagina(self, nombre: str, contexto: Mapping[str, Any]) -> str:
        """The web page ``templates/pages/<nombre>.html`` rendered with ``contexto``."""
        return self.entorno.get_template(f"pages/{nombre}.html").render(dict(contexto))
