"""``GeneradorPdf`` on fpdf2: the printable documents of the sale, in Spanish, from plain views.

- Carta Comercial (step 8): the offered plan, tariff and installation in Bs, validity and how to accept.
- Carta de solicitud de servicio (step 9): the model letter the customer prints, signs and sends back.
- Solicitud Contrato de Servicios (steps 21-23): the form filled from the request, with the full CI (decrypted by
  the caller only to render it) and the signatures area.
- Factura (step 14): a demonstration invoice generated locally; real invoices come from Smartflex.

fpdf2 is imported inside ``_Documento`` (only the functions that build a PDF pay for it). The built-in Helvetica
covers Spanish with the windows-1252 encoding; characters outside it are replaced, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

from babel.dates import format_date

from chalicelib.adapters.rendering import ETIQUETA_TECNOLOGIA, LOCALE, ZONA_HORARIA, bs, fecha_corta, mbps

AZUL: Final = (11, 79, 138)
GRIS: Final = (91, 102, 115)
CODIFICACION: Final = "windows-1252"
MEMBRETE: Final = "COMTECO R.L."
SUBMEMBRETE: Final = "Cooperativa de Telecomunicaciones Cochabamba"
PIE: Final = "COMTECO R.L. · Cochabamba, Bolivia · Ventas Digitales"
NOTA_FACTURA: Final = (
    "Documento de demostración generado localmente por el sistema de Ventas Digitales. No es una factura fiscal: "
    "las facturas reales las emite Smartflex."
)
ETIQUETA_MODALIDAD: Final = {"prepago": "Prepago", "pospago": "Pospago"}
VACIO: Final = "—"


def _texto(valor: Any) -> str:
    """Any value as text the built-in font can draw (unsupported characters become "?")."""
    if valor is None or (isinstance(valor, str) and not valor.strip()):
        return VACIO
    return str(valor).encode(CODIFICACION, "replace").decode(CODIFICACION)


def _momento(valor: Any) -> date | None:
    if isinstance(valor, datetime):
        return valor.astimezone(ZONA_HORARIA).date() if valor.tzinfo else valor.date()
    if isinstance(valor, date):
        return valor
    try:
        texto = str(valor or "").strip()
        if len(texto) == 10:
            return date.fromisoformat(texto)
        momento = datetime.fromisoformat(texto.replace("Z", "+00:00"))
    except ValueError:
        return None
    return momento.astimezone(ZONA_HORARIA).date() if momento.tzinfo else momento.date()


def fecha_larga(valor: Any) -> str:
    """ISO text or date -> "30 de noviembre de 2026" (La Paz date)."""
    dia = _momento(valor)
    return format_date(dia, "d 'de' MMMM 'de' y", locale=LOCALE) if dia else VACIO


def _tecnologia(valor: Any) -> str:
    return ETIQUETA_TECNOLOGIA.get(str(valor), str(valor)) if valor else VACIO


def _direccion(datos: Mapping[str, Any]) -> str:
    partes = [str(datos[k]) for k in ("direccion", "zona", "ciudad") if datos.get(k)]
    return ", ".join(partes) if partes else VACIO


def _coordenadas(datos: Mapping[str, Any]) -> str:
    if datos.get("latitud") is None or datos.get("longitud") is None:
        return VACIO
    return f"{float(datos['latitud']):.5f}, {float(datos['longitud']):.5f}"


def _modalidades(oferta: Mapping[str, Any]) -> str:
    modalidades = oferta.get("modalidades") or []
    return " / ".join(ETIQUETA_MODALIDAD.get(m, m) for m in modalidades) if modalidades else VACIO


def _primer_pago(oferta: Mapping[str, Any]) -> float | None:
    if oferta.get("tarifa_mensual_bs") is None:
        return None
    return round(float(oferta["tarifa_mensual_bs"]) + float(oferta.get("costo_instalacion_bs") or 0), 2)


class _Documento:
    """A one-column A4 document with the COMTECO letterhead and a numbered footer."""

    def __init__(self, titulo: str, referencia: str) -> None:
        from fpdf import FPDF

        documento = self

        class _Pdf(FPDF):
            def header(self) -> None:
                documento._membrete()

            def footer(self) -> None:
                documento._pie()

        self.pdf = _Pdf(format="A4", unit="mm")
        self.pdf.core_fonts_encoding = CODIFICACION
        self.pdf.set_title(_texto(titulo))
        self.pdf.set_author(MEMBRETE)
        self.pdf.set_creator("Ventas Digitales")
        self.pdf.set_margins(20, 20, 20)
        self.pdf.set_auto_page_break(auto=True, margin=22)
        self._referencia = referencia
        self.pdf.add_page()

    def _membrete(self) -> None:
        pdf = self.pdf
        pdf.set_fill_color(*AZUL)
        pdf.rect(0, 0, 210, 6, style="F")
        pdf.set_xy(20, 10)
        pdf.set_text_color(*AZUL)
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 7, MEMBRETE, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.set_text_color(*GRIS)
        pdf.cell(0, 5, _texto(f"{SUBMEMBRETE} · Ventas Digitales"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*AZUL)
        pdf.line(20, pdf.get_y() + 2, 190, pdf.get_y() + 2)
        pdf.set_y(pdf.get_y() + 7)
        pdf.set_text_color(0, 0, 0)

    def _pie(self) -> None:
        pdf = self.pdf
        pdf.set_y(-15)
        pdf.set_font("Helvetica", "", 8)
        pdf.set_text_color(*GRIS)
        pdf.cell(0, 5, _texto(f"{PIE} · {self._referencia}"), align="L")
        pdf.cell(0, 5, f"Página {pdf.page_no()}/{{nb}}", align="R")
        pdf.set_text_color(0, 0, 0)

    def titulo(self, texto: str) -> None:
        self.pdf.set_font("Helvetica", "B", 14)
        self.pdf.set_text_color(*AZUL)
        self.pdf.multi_cell(0, 7, _texto(texto), align="C", new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.ln(3)

    def subtitulo(self, texto: str) -> None:
        self.pdf.ln(2)
        self.pdf.set_font("Helvetica", "B", 11)
        self.pdf.set_text_color(*AZUL)
        self.pdf.cell(0, 6, _texto(texto), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)

    def parrafo(self, texto: str, *, negrita: bool = False, tamano: float = 10.5, alinear: str = "J") -> None:
        self.pdf.set_font("Helvetica", "B" if negrita else "", tamano)
        self.pdf.multi_cell(0, 5.5, _texto(texto), align=alinear, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)

    def ficha(self, filas: Sequence[tuple[str, Any]]) -> None:
        """Label / value rows."""
        pdf = self.pdf
        pdf.set_font("Helvetica", "", 10)
        with pdf.table(col_widths=(35, 65), first_row_as_headings=False, line_height=6) as tabla:
            for etiqueta, valor in filas:
                fila = tabla.row()
                pdf.set_font("Helvetica", "B", 10)
                fila.cell(_texto(etiqueta))
                pdf.set_font("Helvetica", "", 10)
                fila.cell(_texto(valor))
        pdf.ln(2)

    def tabla(self, columnas: Sequence[str], filas: Sequence[Sequence[Any]], anchos: Sequence[int]) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", "", 9.5)
        with pdf.table(col_widths=tuple(anchos), line_height=6, text_align="LEFT") as tabla:
            encabezado = tabla.row()
            for columna in columnas:
                encabezado.cell(_texto(columna))
            for valores in filas:
                fila = tabla.row()
                for valor in valores:
                    fila.cell(_texto(valor))
        pdf.ln(3)

    def recuadro(self, texto: str) -> None:
        pdf = self.pdf
        pdf.set_fill_color(238, 244, 251)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5.5, _texto(texto), fill=True, border="L", padding=3, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    def firmas(self, *etiquetas: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > 235:
            pdf.add_page()
        pdf.ln(18)
        ancho = 170 / len(etiquetas)
        y = pdf.get_y()
        for i, _ in enumerate(etiquetas):
            x = 20 + i * ancho
            pdf.line(x + 8, y, x + ancho - 8, y)
        pdf.set_font("Helvetica", "", 9.5)
        for i, etiqueta in enumerate(etiquetas):
            pdf.set_xy(20 + i * ancho, y + 1)
            pdf.multi_cell(ancho, 5, _texto(etiqueta), align="C")
        pdf.set_y(y + 14)

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())


class Fpdf2GeneradorPdf:
    """Builds each document from ``vistas.vista_solicitud`` (plus ``emitida_en`` where a date is printed)."""

    def carta_comercial(self, vista: Mapping[str, Any]) -> bytes:
        datos, oferta = vista.get("datos") or {}, vista.get("oferta") or {}
        emitida = oferta.get("enviada_en") or vista.get("emitida_en")
        doc = _Documento("Carta Comercial", f"Solicitud {vista['id']}")
        doc.parrafo(f"Cochabamba, {fecha_larga(emitida)}", alinear="R")
        doc.parrafo(f"Cite: VD/CC/{vista['id']}", tamano=9.5, alinear="L")
        doc.parrafo(f"Señor(a):\n{_texto(datos.get('nombre'))}\n{_direccion(datos)}\nPresente.-", alinear="L")
        doc.parrafo("Ref.: CARTA COMERCIAL — SERVICIO DE INTERNET RESIDENCIAL", negrita=True, alinear="L")
        doc.parrafo(
            "De nuestra consideración:\n\nAgradecemos su interés en los servicios de COMTECO R.L. De acuerdo con la "
            "cobertura técnica de su domicilio y la capacidad confirmada por nuestro equipo técnico, le presentamos "
            "la siguiente propuesta:"
        )
        doc.tabla(
            ("Plan", "Tecnología", "Velocidad", "Tarifa mensual", "Instalación", "Modalidad"),
            [
                (
                    oferta.get("plan"),
                    _tecnologia(oferta.get("tecnologia")),
                    mbps(oferta.get("velocidad_mbps")),
                    bs(oferta.get("tarifa_mensual_bs")),
                    "Sin costo"
                    if float(oferta.get("costo_instalacion_bs") or 0) == 0
                    else bs(oferta.get("costo_instalacion_bs")),
                    _modalidades(oferta),
                )
            ],
            anchos=(34, 30, 22, 28, 26, 30),
        )
        primer_pago = _primer_pago(oferta)
        if primer_pago is not None:
            doc.parrafo(
                f"Primer pago (instalación más el primer mes de servicio): {bs(primer_pago)}. "
                "Las tarifas están expresadas en bolivianos e incluyen impuestos de ley.",
                tamano=10,
            )
        if oferta.get("observaciones"):
            doc.parrafo(f"Observaciones: {oferta['observaciones']}", tamano=10)
        doc.parrafo(
            f"Esta propuesta es válida hasta el {fecha_larga(oferta.get('valida_hasta'))}.", negrita=True, tamano=10
        )
        doc.subtitulo("Cómo aceptar")
        doc.recuadro(
            "Responda al correo con el que recibió esta carta con la palabra ACEPTO, o comuníqueselo a su ejecutivo "
            "de Ventas Digitales. Si no le interesa, responda NO y, si desea, el motivo. Después le pediremos los "
            f"requisitos para la instalación. Mencione su código de solicitud: {vista['id']}."
        )
        doc.parrafo("Sin otro particular, le saludamos atentamente.")
        doc.firmas("Equipo de Ventas Digitales\nCOMTECO R.L.")
        return doc.bytes()

    def carta_solicitud(self, vista: Mapping[str, Any]) -> bytes:
        datos, oferta = vista.get("datos") or {}, vista.get("oferta") or {}
        doc = _Documento("Carta de solicitud de servicio", f"Solicitud {vista['id']}")
        doc.parrafo("Cochabamba, ______ de ____________________ de 20____", alinear="R")
        doc.parrafo("Señores\nCOMTECO R.L.\nPresente.-", alinear="L")
        doc.parrafo(
            f"Ref.: CARTA DE SOLICITUD DE SERVICIO DE INTERNET RESIDENCIAL — Solicitud {vista['id']}",
            negrita=True,
            alinear="L",
        )
        plan = oferta.get("plan")
        servicio = (
            f"del servicio de Internet {plan} ({mbps(oferta.get('velocidad_mbps'))}, "
            f"{_tecnologia(oferta.get('tecnologia'))}) con una tarifa mensual de {bs(oferta.get('tarifa_mensual_bs'))}"
            if plan
            else "del servicio de Internet residencial ofertado"
        )
        doc.parrafo(
            f"Yo, {_texto(datos.get('nombre'))}, con cédula de identidad N.º ____________________ expedida en "
            f"______________, con domicilio en {_direccion(datos)}, solicito a COMTECO R.L. la instalación "
            f"{servicio}, en el domicilio indicado, de acuerdo con la Carta Comercial que recibí."
        )
        doc.parrafo(
            "Declaro que los datos proporcionados son verdaderos, que soy titular o cuento con la autorización del "
            "propietario del inmueble para la instalación, y acepto las condiciones del servicio y de pago "
            "informadas por COMTECO R.L."
        )
        doc.ficha(
            [
                ("Teléfono de contacto", datos.get("telefono")),
                ("Correo electrónico", datos.get("email")),
                ("Código de solicitud", vista["id"]),
            ]
        )
        doc.firmas("Firma del titular\nNombre: ____________________\nC.I.: ____________________")
        doc.recuadro(
            "Imprima esta carta, complétela, fírmela y envíenos una fotografía o un escaneo legible respondiendo al "
            "correo o por WhatsApp a su ejecutivo de Ventas Digitales, junto con la fotografía de su cédula de "
            "identidad (ambos lados)."
        )
        return doc.bytes()

    def contrato(self, vista: Mapping[str, Any], ci: str) -> bytes:
        datos, oferta = vista.get("datos") or {}, vista.get("oferta") or {}
        digitacion, cobertura = vista.get("digitacion") or {}, vista.get("cobertura") or {}
        numero = digitacion.get("numero_contrato")
        doc = _Documento("Solicitud Contrato de Servicios", f"Contrato {numero or VACIO} · Solicitud {vista['id']}")
        doc.titulo("SOLICITUD CONTRATO DE SERVICIOS")
        doc.ficha(
            [
                ("N.º de contrato (Smartflex)", numero),
                ("Código de cliente", digitacion.get("codigo_cliente") or datos.get("codigo_cliente")),
                ("Fecha de registro", fecha_corta(digitacion.get("digitada_en") or vista.get("emitida_en"))),
                ("Código de solicitud", vista["id"]),
            ]
        )
        expedido = f" {datos['ci_expedido']}" if datos.get("ci_expedido") else ""
        doc.subtitulo("1. Datos del titular")
        doc.ficha(
            [
                ("Nombre completo", datos.get("nombre")),
                ("Cédula de identidad", f"{ci}{expedido}" if ci else None),
                ("Teléfono", datos.get("telefono")),
                ("Correo electrónico", datos.get("email")),
                ("Cliente existente", "Sí" if datos.get("cliente_existente") else "No"),
            ]
        )
        doc.subtitulo("2. Lugar de instalación")
        doc.ficha(
            [
                ("Dirección", _direccion(datos)),
                ("Coordenadas", _coordenadas(datos)),
                ("Zona de cobertura", cobertura.get("zona_cobertura") or cobertura.get("zona")),
            ]
        )
        doc.subtitulo("3. Servicio contratado")
        modalidad = vista.get("modalidad_pago")
        doc.ficha(
            [
                ("Plan", oferta.get("plan")),
                ("Tecnología", _tecnologia(oferta.get("tecnologia"))),
                ("Velocidad", mbps(oferta.get("velocidad_mbps"))),
                ("Tarifa mensual", bs(oferta.get("tarifa_mensual_bs"))),
                ("Costo de instalación", bs(oferta.get("costo_instalacion_bs") or 0)),
                ("Primer pago", bs(_primer_pago(oferta))),
                (
                    "Modalidad de pago",
                    ETIQUETA_MODALIDAD.get(str(modalidad), modalidad) if modalidad else _modalidades(oferta),
                ),
            ]
        )
        doc.subtitulo("4. Declaración")
        doc.parrafo(
            "El titular solicita la prestación del servicio descrito y declara que los datos consignados son "
            "verdaderos. La presente solicitud, una vez aprobada y registrada en Smartflex, forma parte del "
            "contrato de servicios de COMTECO R.L. y se rige por sus condiciones generales.",
            tamano=9.5,
        )
        doc.firmas("Firma del titular\nC.I.", "Por COMTECO R.L.\nEjecutivo de Ventas Digitales")
        return doc.bytes()

    def factura(self, vista: Mapping[str, Any]) -> bytes:
        datos, oferta = vista.get("datos") or {}, vista.get("oferta") or {}
        factura, digitacion = vista.get("factura") or {}, vista.get("digitacion") or {}
        numero = factura.get("numero")
        doc = _Documento("Factura", f"Factura {numero or VACIO} · Solicitud {vista['id']}")
        doc.titulo("FACTURA")
        doc.parrafo("DOCUMENTO DE DEMOSTRACIÓN — SIN VALOR FISCAL", negrita=True, tamano=9, alinear="C")
        doc.ficha(
            [
                ("N.º de factura", numero),
                ("Fecha de emisión", fecha_corta(factura.get("emitida_en") or vista.get("emitida_en"))),
                ("Señor(es)", datos.get("razon_social") or datos.get("nombre")),
                ("NIT / CI", datos.get("nit") or datos.get("ci")),
                ("Código de cliente", digitacion.get("codigo_cliente")),
                ("N.º de contrato", digitacion.get("numero_contrato")),
            ]
        )
        total = float(factura.get("monto_bs") or 0)
        doc.tabla(("Cant.", "Concepto", "Precio unitario", "Subtotal"), _lineas(oferta, total), anchos=(12, 88, 35, 35))
        doc.parrafo(f"TOTAL: {bs(total)}", negrita=True, tamano=11.5, alinear="R")
        doc.recuadro(NOTA_FACTURA)
        return doc.bytes()


def _lineas(oferta: Mapping[str, Any], total: float) -> list[tuple[Any, ...]]:
    """Installation and first month when they add up to the invoiced amount; otherwise one service line."""
    plan = oferta.get("plan") or "residencial"
    tarifa = oferta.get("tarifa_mensual_bs")
    instalacion = float(oferta.get("costo_instalacion_bs") or 0)
    if tarifa is not None and abs(float(tarifa) + instalacion - total) < 0.005:
        lineas: list[tuple[Any, ...]] = [
            (1, f"Servicio de Internet {plan}: primer mes", bs(tarifa), bs(tarifa)),
        ]
        if instalacion:
            lineas.insert(0, (1, f"Instalación del servicio {plan}", bs(instalacion), bs(instalacion)))
        return lineas
    return [(1, f"Servicio de Internet {plan}", bs(total), bs(total))]
