"""The chat variants of the customer messages (``templates/mensaje/*.txt``: WhatsApp, Messenger, Botmaker) render
short Spanish plain text with the contexts the services build, and the emails around the channels (the new customer
reactions, the undelivered-message fallback, the executives' notice) come as subject/text/html triples."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import jinja2
import pytest

from chalicelib.adapters.rendering import DIRECTORIO_PLANTILLAS, JinjaPlantillas
from chalicelib.domain.mensajeria import MAX_TEXTO, PLANTILLAS_APROBADAS
from chalicelib.domain.model import Solicitud
from chalicelib.domain.ports import Plantillas
from chalicelib.services.vistas import vista_solicitud
from tests.integration.test_plantillas import DIR_CORREOS, ID, SUFIJOS, _buzones, _solicitud_completa, _solicitud_minima

DIR_MENSAJES = DIRECTORIO_PLANTILLAS / "mensaje"
MAX_MENSAJERIA = min(MAX_TEXTO.values())
OBJETIVO = 900
"""What a chat message aims for (a message, not a letter): the samples stay under it."""
ETIQUETA_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^>]*)?/?>")
MOTIVO_INTERNO = "OLT-07 saturada, caja terminal CT-221 sin puertos (ver ticket HD-4471)"
URL_PAGO = f"https://pagos.comteco.example/pagar?ref={ID}&monto=1250.00"

ACCION_DE_MENSAJE = {
    "acuse_cliente": "capturar",
    "derivacion_cliente": "derivar_empresas",
    "carta_comercial": "enviar_oferta",
    "requisitos_cliente": "aceptar_oferta",
    "recordatorio_requisitos": "recordatorio_requisitos",  # services.recordatorios (no action)
    "instrucciones_pago": "elegir_prepago",
    "comprobante_recibido": "registrar_comprobante",
    "factura_cliente": "enviar_factura",
    "sin_servicio_cliente": "cerrar_sin_cobertura",
    "mensaje_ejecutivo": "enviar_mensaje",
}
"""What sends each message (the action of the change in its context)."""

MARCAS = {
    "acuse_cliente": ("Recibimos su solicitud", "Ventas Digitales", "código de solicitud"),
    "derivacion_cliente": ("Ventas Empresariales", "empresa o negocio"),
    "carta_comercial": ("Carta Comercial", "en PDF", "*ACEPTO*", "*NO*", "Tarifa mensual"),
    "requisitos_cliente": ("cédula de identidad", "ubicación", "carta de solicitud firmada", "en PDF", "este chat"),
    "recordatorio_requisitos": ("todavía nos falta", "este chat"),
    "instrucciones_pago": ("Monto a pagar", "comprobante", "glosa"),
    "comprobante_recibido": ("Recibimos su comprobante", "Cobranzas", "le avisaremos"),
    "factura_cliente": ("factura", "en PDF", "Gracias por confiar en COMTECO"),
    "sin_servicio_cliente": ("Lamentamos", "disculpas", "le escribiremos"),
    "mensaje_ejecutivo": ("Ventas Digitales COMTECO",),
}
"""Spanish phrases each message must carry."""

TEXTO_EJECUTIVO = "Buenas tardes. Mañana a las 10:00 pasa el técnico a revisar la caja.\n¿Habrá alguien en casa?"


@pytest.fixture(scope="module")
def plantillas() -> JinjaPlantillas:
    return JinjaPlantillas()


def _nombres_mensaje() -> list[str]:
    return sorted(p.stem for p in DIR_MENSAJES.glob("*.txt") if not p.name.startswith("_"))


def _contexto(nombre: str, solicitud: Solicitud, **extra: Any) -> dict[str, Any]:
    """The usual reaction context (services.reacciones.contexto_correo) plus each message's own extras."""
    contexto: dict[str, Any] = {
        "solicitud": vista_solicitud(solicitud),
        "cambio": {
            "solicitud_id": solicitud.id,
            "cambio_id": "01JDZ8K2M3N4P5Q6R7S8T9V0W1",
            "accion": ACCION_DE_MENSAJE.get(nombre, "capturar"),
            "de": "cobertura",
            "a": "no_atendida",
            "rol": "EV",
            "actor": "ejecutivo1@comteco.example",
            "en": "2026-11-30T11:40:00-04:00",
            "campos": {"motivo": MOTIVO_INTERNO},
        },
        "buzones": _buzones(),
        "url_solicitud": f"https://ventas.example/consola/solicitudes/{solicitud.id}",
        "url_formulario": "https://ventas.example/solicitud",
    }
    if nombre == "instrucciones_pago":
        contexto |= {
            "monto_total": 1250.0,
            "referencia": solicitud.id,
            "cuenta_bancaria": "Banco Unión S.A. — Cta. Cte. 1-2345678 — COMTECO R.L.",
            "url_pago_web": URL_PAGO,
        }
    if nombre == "mensaje_ejecutivo":
        contexto |= {"texto": TEXTO_EJECUTIVO, "ejecutivo": "Carla Soto"}
    return contexto | extra


def _solicitud(variante: str) -> Solicitud:
    return _solicitud_completa() if variante == "completa" else _solicitud_minima()


# --- Every chat message ----------------------------------------------------------------------------------------------


def test_the_message_templates_are_the_customer_messages() -> None:
    # Then
    assert set(_nombres_mensaje()) == set(ACCION_DE_MENSAJE)


def test_every_approved_whatsapp_template_has_its_chat_message_and_vice_versa() -> None:
    # Given
    nombres = set(PLANTILLAS_APROBADAS)
    # When
    faltantes = sorted(n for n in nombres if not (DIR_MENSAJES / f"{n}.txt").is_file())
    # Then
    assert faltantes == []
    assert set(_nombres_mensaje()) <= nombres


@pytest.mark.parametrize("nombre", _nombres_mensaje())
@pytest.mark.parametrize("variante", ["completa", "minima"])
def test_every_chat_message_is_short_spanish_plain_text_with_the_request_code(
    plantillas: JinjaPlantillas, nombre: str, variante: str
) -> None:
    # Given
    contexto = _contexto(nombre, _solicitud(variante))
    # When
    texto = plantillas.mensaje(nombre, contexto)
    # Then
    assert ID in texto
    for marca in MARCAS[nombre]:
        assert marca in texto, marca
    assert not ETIQUETA_HTML.search(texto)
    assert "{{" not in texto and "{%" not in texto and "{#" not in texto
    assert "None" not in texto and "Undefined" not in texto
    assert "CIFRADO-NO-DEBE-SALIR" not in texto and "HUELLA-NO-DEBE-SALIR" not in texto
    assert MOTIVO_INTERNO not in texto
    assert len(texto) <= MAX_MENSAJERIA
    assert len(texto) < OBJETIVO
    assert texto == texto.strip()
    assert "\n\n\n" not in texto
    assert not re.search(r"[ \t]$", texto, re.MULTILINE)
    assert "|" not in texto  # no markdown tables
    assert "**" not in texto  # WhatsApp bold is a single asterisk
    assert texto.count("*") % 2 == 0


@pytest.mark.parametrize("nombre", sorted(set(ACCION_DE_MENSAJE) - {"mensaje_ejecutivo"}))
def test_chat_messages_are_not_letters(plantillas: JinjaPlantillas, nombre: str) -> None:
    # When
    texto = plantillas.mensaje(nombre, _contexto(nombre, _solicitud_completa()))
    # Then
    minusculas = texto.lower()
    assert "saludos cordiales" not in minusculas
    assert "correo" not in minusculas
    assert "mensaje automático" not in minusculas
    assert "ventas.example" not in texto  # no console or form links; documents go as files
    if nombre != "instrucciones_pago":
        assert "http" not in texto
    assert texto.startswith(("¡Hola", "¡Gracias"))
    if nombre != "acuse_cliente":  # the acknowledgement echoes nothing the visitor typed (issue 16)
        assert "María Fernanda Rojas Vargas" in texto


@pytest.mark.parametrize("nombre", sorted(set(ACCION_DE_MENSAJE) - {"mensaje_ejecutivo"}))
def test_chat_messages_greet_without_a_name_too(plantillas: JinjaPlantillas, nombre: str) -> None:
    # When
    texto = plantillas.mensaje(nombre, _contexto(nombre, _solicitud_minima()))
    # Then
    assert texto.startswith(("¡Hola! ", "¡Gracias! "))


def test_chat_text_is_not_html_escaped(plantillas: JinjaPlantillas) -> None:
    # Given
    solicitud = replace(_solicitud_minima(), datos={"nombre": 'Ana & Hijos "La Esquina"'})
    # When
    texto = plantillas.mensaje("comprobante_recibido", _contexto("comprobante_recibido", solicitud))
    # Then
    assert 'Ana & Hijos "La Esquina"' in texto
    assert "&amp;" not in texto and "&#34;" not in texto


# --- Each message ----------------------------------------------------------------------------------------------------


def test_commercial_letter_summarises_the_offer_and_how_to_answer(plantillas: JinjaPlantillas) -> None:
    # Given
    base = _solicitud_completa()
    solicitud = replace(base, oferta={**(base.oferta or {}), "valida_hasta": "2026-12-15"})
    # When
    texto = plantillas.mensaje("carta_comercial", _contexto("carta_comercial", solicitud))
    # Then
    assert "Plan: *Fibra Hogar 40*" in texto
    assert "Velocidad: 40 Mbps" in texto
    assert "Tecnología: Fibra óptica (FTTH)" in texto
    assert "Tarifa mensual: *Bs 250,00*" in texto
    assert "Instalación: Bs 1.000,00" in texto
    assert "Primer pago (instalación + primer mes): *Bs 1.250,00*" in texto
    assert "Válida hasta: martes, 15 de diciembre de 2026" in texto
    assert "Responda *ACEPTO* para aceptar la propuesta, o *NO* si no le interesa" in texto
    assert "http" not in texto


def test_commercial_letter_says_free_installation(plantillas: JinjaPlantillas) -> None:
    # Given
    base = _solicitud_completa()
    solicitud = replace(base, oferta={**(base.oferta or {}), "costo_instalacion_bs": 0})
    # When
    texto = plantillas.mensaje("carta_comercial", _contexto("carta_comercial", solicitud))
    # Then
    assert "Instalación: sin costo" in texto
    assert "*Bs 250,00*" in texto


def test_requirements_list_the_three_and_mark_what_arrived(plantillas: JinjaPlantillas) -> None:
    # When
    texto = plantillas.mensaje("requisitos_cliente", _contexto("requisitos_cliente", _solicitud_completa()))
    # Then
    lineas = texto.splitlines()
    assert lineas[2].startswith("1. Foto de su *cédula de identidad (CI)*, de ambos lados (ya la recibimos)")
    assert lineas[3].startswith("2. La *ubicación* del lugar de instalación")
    assert "compártanos su ubicación desde este chat" in lineas[3]
    assert lineas[4].startswith("3. La *carta de solicitud firmada* por el titular.")
    assert "Le enviamos el modelo de la carta en PDF" in texto
    assert "aquí mismo" in texto


def test_reminder_lists_only_what_is_missing(plantillas: JinjaPlantillas) -> None:
    # When
    texto = plantillas.mensaje("recordatorio_requisitos", _contexto("recordatorio_requisitos", _solicitud_completa()))
    # Then
    vinetas = [linea for linea in texto.splitlines() if linea.startswith("• ")]
    assert len(vinetas) == 2
    assert vinetas[0].startswith("• La ubicación del lugar de instalación")
    assert vinetas[1].startswith("• La carta de solicitud firmada")
    assert "Ya recibimos su número de CI y la foto de su CI." in texto


def test_reminder_lists_everything_for_a_request_without_data(plantillas: JinjaPlantillas) -> None:
    # When
    texto = plantillas.mensaje("recordatorio_requisitos", _contexto("recordatorio_requisitos", _solicitud_minima()))
    # Then
    assert len([linea for linea in texto.splitlines() if linea.startswith("• ")]) == 4
    assert "Ya recibimos" not in texto


def test_reminder_with_nothing_missing_says_we_are_reviewing(plantillas: JinjaPlantillas) -> None:
    # Given
    requisitos = {
        clave: {"registrado_en": "2026-11-30T10:30:00-04:00"} for clave in ("ci", "ubicacion", "carta_solicitud")
    }
    solicitud = replace(_solicitud_completa(), requisitos=requisitos)
    # When
    texto = plantillas.mensaje("recordatorio_requisitos", _contexto("recordatorio_requisitos", solicitud))
    # Then
    assert "todavía nos falta" not in texto
    assert "los estamos revisando" in texto


def test_payment_instructions_carry_amount_account_and_pay_link(plantillas: JinjaPlantillas) -> None:
    # When
    texto = plantillas.mensaje("instrucciones_pago", _contexto("instrucciones_pago", _solicitud_completa()))
    # Then
    assert "Monto a pagar: *Bs 1.250,00* (primer mes de Fibra Hogar 40 + instalación)" in texto
    assert "Banco Unión S.A. — Cta. Cte. 1-2345678 — COMTECO R.L." in texto
    assert URL_PAGO in texto
    assert "envíenos aquí mismo una foto o captura del comprobante" in texto


def test_payment_instructions_without_payment_config_still_guide_the_customer(plantillas: JinjaPlantillas) -> None:
    # Given
    contexto = _contexto("instrucciones_pago", _solicitud_completa())
    for clave in ("monto_total", "cuenta_bancaria", "url_pago_web", "referencia"):
        del contexto[clave]
    # When
    texto = plantillas.mensaje("instrucciones_pago", contexto)
    # Then
    assert "*Bs 1.250,00*" in texto
    assert "Banco Unión S.A." in texto
    assert "http" not in texto
    assert "plataforma de pagos de COMTECO" in texto


def test_receipt_acknowledgement_shows_the_amount_when_registered(plantillas: JinjaPlantillas) -> None:
    # When
    texto = plantillas.mensaje("comprobante_recibido", _contexto("comprobante_recibido", _solicitud_completa()))
    # Then
    assert "Recibimos su comprobante de pago por *Bs 1.250,00*" in texto


def test_invoice_message_says_the_pdf_comes_separately(plantillas: JinjaPlantillas) -> None:
    # When
    texto = plantillas.mensaje("factura_cliente", _contexto("factura_cliente", _solicitud_completa()))
    # Then
    assert "Le enviamos su factura *N° F-000123* en PDF por Bs 1.250,00." in texto
    assert "Plan: Fibra Hogar 40 — 40 Mbps" in texto
    assert "http" not in texto


@pytest.mark.parametrize(
    ("accion", "razon"),
    [
        ("cerrar_sin_cobertura", "no tenemos cobertura en la zona de instalación"),
        ("negar_capacidad", "no tiene capacidad disponible"),
        ("anular", "por el momento"),
    ],
)
def test_cannot_serve_gives_a_generic_reason_never_the_internal_note(
    plantillas: JinjaPlantillas, accion: str, razon: str
) -> None:
    # Given
    contexto = _contexto("sin_servicio_cliente", _solicitud_completa())
    contexto["cambio"]["accion"] = accion
    # When
    texto = plantillas.mensaje("sin_servicio_cliente", contexto)
    # Then
    assert razon in texto
    assert MOTIVO_INTERNO not in texto
    assert "La zona no tiene puertos disponibles." not in texto  # solicitud.motivo_cierre
    assert "OLT" not in texto and "HD-" not in texto


def test_executive_message_is_the_text_as_written_and_a_signature(plantillas: JinjaPlantillas) -> None:
    # When
    texto = plantillas.mensaje("mensaje_ejecutivo", _contexto("mensaje_ejecutivo", _solicitud_completa()))
    # Then
    assert texto.startswith(TEXTO_EJECUTIVO + "\n\n")
    assert texto.endswith(f"— Carla Soto, Ventas Digitales COMTECO · Solicitud {ID}")


def test_executive_message_without_a_name_signs_as_the_team(plantillas: JinjaPlantillas) -> None:
    # Given
    contexto = {"texto": "Le llamo en 5 minutos.", "ejecutivo": ""}
    # When
    texto = plantillas.mensaje("mensaje_ejecutivo", contexto)
    # Then
    assert texto == "Le llamo en 5 minutos.\n\n— Ventas Digitales COMTECO"


def test_a_missing_required_value_is_an_error(plantillas: JinjaPlantillas) -> None:
    # Given
    contexto = _contexto("acuse_cliente", _solicitud_completa())
    del contexto["solicitud"]
    # When / Then
    with pytest.raises(jinja2.UndefinedError):
        plantillas.mensaje("acuse_cliente", contexto)


def test_message_rendering_strips_and_collapses_blank_lines(tmp_path: Any) -> None:
    # Given
    (tmp_path / "mensaje").mkdir()
    (tmp_path / "mensaje" / "prueba.txt").write_text("\n\n{{ a }}  \n\n\n\n{{ b }}\n\n\n", encoding="utf-8")
    # When
    texto = JinjaPlantillas(tmp_path).mensaje("prueba", {"a": "uno <b>", "b": "dos"})
    # Then
    assert texto == "uno <b>\n\ndos"


def test_jinja_plantillas_is_the_plantillas_port() -> None:
    # Given
    puerto: Plantillas = JinjaPlantillas()
    # Then
    assert callable(puerto.mensaje)


# --- The emails around the channels ----------------------------------------------------------------------------------

CORREOS_NUEVOS = ("comprobante_recibido", "sin_servicio_cliente", "mensaje_no_entregado", "mensaje_cliente")
MENSAJE_NO_ENTREGADO = {
    "canal": "whatsapp",
    "texto": "¡Hola! Le enviamos en PDF la *Carta Comercial*.\n\nResponda *ACEPTO* para aceptar la propuesta.",
    "documentos": [f"Carta_Comercial_{ID}.pdf"],
}
RECIBIDO = {
    "canal": "messenger",
    "texto": "hola, el técnico puede venir el sábado? <b>gracias</b>",
    "en": "2026-11-30T15:02:00-04:00",
    "motivo": "No es una respuesta a la propuesta ni un requisito.",
    "adjuntos": ["audio_0001.ogg", "sticker.webp"],
}


def _contexto_correo(nombre: str, **extra: Any) -> dict[str, Any]:
    """The reaction context; the channel services (mensaje_no_entregado, mensaje_cliente) send it without a change."""
    contexto = _contexto(nombre, _solicitud_completa())
    if "mensaje" in extra or "recibido" in extra:
        del contexto["cambio"]
    return contexto | extra


@pytest.mark.parametrize("nombre", CORREOS_NUEVOS)
def test_the_new_emails_are_triples(nombre: str) -> None:
    # Then
    for sufijo in SUFIJOS:
        assert (DIR_CORREOS / f"{nombre}{sufijo}").is_file(), f"{nombre}{sufijo}"


@pytest.mark.parametrize("nombre", CORREOS_NUEVOS)
@pytest.mark.parametrize("variante", ["completa", "minima"])
def test_the_new_emails_render_with_the_usual_context(plantillas: JinjaPlantillas, nombre: str, variante: str) -> None:
    # Given
    contexto = _contexto(nombre, _solicitud(variante))
    # When
    correo = plantillas.correo(nombre, contexto)
    # Then
    assert correo.asunto.startswith(f"[{ID}] ")
    assert "\n" not in correo.asunto
    for cuerpo in (correo.texto, correo.html):
        assert ID in cuerpo
        assert "None" not in cuerpo and "Undefined" not in cuerpo
        assert MOTIVO_INTERNO not in cuerpo
    assert correo.html.lstrip().startswith("<!DOCTYPE html>")
    assert "Mensaje automático del sistema de Ventas Digitales." in correo.texto
    assert "Mensaje automático del sistema de Ventas Digitales." in correo.html


def test_receipt_email_acknowledges_the_payment(plantillas: JinjaPlantillas) -> None:
    # When
    correo = plantillas.correo("comprobante_recibido", _contexto_correo("comprobante_recibido"))
    # Then
    assert correo.asunto == f"[{ID}] Recibimos su comprobante de pago"
    for cuerpo in (correo.texto, correo.html):
        assert "Hola, María Fernanda Rojas Vargas:" in cuerpo
        assert "Cobranzas" in cuerpo
        assert "Bs 1.250,00" in cuerpo
        assert "DEP-556677" in cuerpo
        assert "sábado, 28 de noviembre de 2026" in cuerpo


@pytest.mark.parametrize("accion", ["cerrar_sin_cobertura", "negar_capacidad", "rechazar_oferta"])
def test_cannot_serve_email_is_kind_and_never_shows_the_internal_note(plantillas: JinjaPlantillas, accion: str) -> None:
    # Given
    contexto = _contexto_correo("sin_servicio_cliente")
    contexto["cambio"]["accion"] = accion
    # When
    correo = plantillas.correo("sin_servicio_cliente", contexto)
    # Then
    for cuerpo in (correo.texto, correo.html):
        assert "Hola, María Fernanda Rojas Vargas:" in cuerpo
        assert MOTIVO_INTERNO not in cuerpo
        assert "La zona no tiene puertos disponibles." not in cuerpo
        if accion == "rechazar_oferta":
            assert "no desea continuar" in cuerpo
        else:
            assert "Lamentamos" in cuerpo and "disculpas" in cuerpo
            assert "le escribiremos si la cobertura en su zona cambia" in cuerpo


def test_undelivered_message_email_repeats_the_text_for_the_customer(plantillas: JinjaPlantillas) -> None:
    # When
    correo = plantillas.correo("mensaje_no_entregado", _contexto_correo("acuse_cliente", mensaje=MENSAJE_NO_ENTREGADO))
    # Then
    assert correo.asunto == f"[{ID}] Su mensaje de COMTECO Ventas Digitales"
    for cuerpo in (correo.texto, correo.html):
        assert "Intentamos escribirle por WhatsApp" in cuerpo
        assert "no pudimos entregarle el mensaje" in cuerpo
        assert "Le enviamos en PDF la Carta Comercial." in cuerpo
        assert "Responda ACEPTO para aceptar la propuesta." in cuerpo
        assert f"Carta_Comercial_{ID}.pdf" in cuerpo
        assert "*" not in cuerpo.replace("/*", "")


def test_undelivered_message_email_escapes_the_text_in_html(plantillas: JinjaPlantillas) -> None:
    # Given
    mensaje = {"canal": "messenger", "texto": "Hola <b>cliente</b>", "documentos": []}
    # When
    correo = plantillas.correo("mensaje_no_entregado", _contexto_correo("acuse_cliente", mensaje=mensaje))
    # Then
    assert "Intentamos escribirle por Messenger" in correo.texto
    assert "Hola &lt;b&gt;cliente&lt;/b&gt;" in correo.html
    assert "Hola <b>cliente</b>" in correo.texto
    assert "Adjuntamos" not in correo.texto


def test_customer_wrote_notice_tells_the_executives_what_and_where_to_answer(plantillas: JinjaPlantillas) -> None:
    # When
    correo = plantillas.correo("mensaje_cliente", _contexto_correo("acuse_cliente", recibido=RECIBIDO))
    # Then
    assert correo.asunto.startswith(f"[{ID}] El cliente escribió por Messenger")
    for cuerpo in (correo.texto, correo.html):
        assert "no pudo interpretar" in cuerpo
        assert "No es una respuesta a la propuesta ni un requisito." in cuerpo
        assert "audio_0001.ogg" in cuerpo and "sticker.webp" in cuerpo
        assert "lunes, 30 de noviembre de 2026, 15:02" in cuerpo
        assert f"https://ventas.example/consola/solicitudes/{ID}" in cuerpo
        assert "consola" in cuerpo
    assert "hola, el técnico puede venir el sábado? <b>gracias</b>" in correo.texto
    assert "&lt;b&gt;gracias&lt;/b&gt;" in correo.html
