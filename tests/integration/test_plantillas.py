"""Every email template comes as a subject/text/html triple and renders with the context the services build;
the web pages render with the form's context. Spanish text, La Paz dates, Bolivianos, escaped HTML."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import pytest

from chalicelib.adapters.rendering import DIRECTORIO_PLANTILLAS, JinjaPlantillas, bs, fecha, fecha_corta, mbps
from chalicelib.domain.model import Buzones, Solicitud
from chalicelib.services.vistas import vista_solicitud

DIR_CORREOS = DIRECTORIO_PLANTILLAS / "email"
SUFIJOS = (".subject.txt", ".txt", ".html")
NOMBRE_PELIGROSO = "<script>alert(1)</script>"
ID = "VD-7F3K9Q2M"

ACCION_DE_PLANTILLA = {
    "acuse_cliente": "capturar",
    "comprobante_recibido": "registrar_comprobante",
    "sin_servicio_cliente": "cerrar_sin_cobertura",
    "mensaje_no_entregado": "enviar_oferta",
    "mensaje_cliente": "aceptar_oferta",
    "aviso_ejecutivos": "capturar",
    "aviso_redigitacion": "crear_redigitacion",
    "derivacion_empresas": "derivar_empresas",
    "derivacion_cliente": "derivar_empresas",
    "consulta_help_desk": "solicitar_confirmacion_hd",
    "capacidad_respondida": "confirmar_capacidad",
    "no_atendida": "cerrar_sin_cobertura",
    "carta_comercial": "enviar_oferta",
    "requisitos_cliente": "aceptar_oferta",
    "venta_digitada": "digitar_venta",
    "instrucciones_pago": "elegir_prepago",
    "control_facturacion": "elegir_pospago",
    "validar_deposito": "registrar_comprobante",
    "validar_pago_web": "registrar_pago_web",
    "instruccion_cajas": "aprobar_deposito",
    "pago_rechazado": "rechazar_deposito",
    "pago_web_confirmado": "confirmar_pago_web",
    "factura_cliente": "enviar_factura",
    "venta_cerrada": "marcar_entregada",
    "venta_anulada": "anular",
    "notificacion_banco": "registrar_notificacion_banco",
    "entrega_factura": "marcar_impresa",
    "pago_sin_coincidencia": "registrar_pago_web",  # sent by services.pagos (no action): rendered with a request
    "deposito_sin_coincidencia": "registrar_notificacion_banco",  # sent by services.bancos (no action)
    # sent by the email services (no action): rendered with a request; their own data is optional
    "respuesta_no_entendida": "solicitar_confirmacion_hd",
    "respuesta_ya_decidida": "confirmar_capacidad",
    "recordatorio_help_desk": "solicitar_confirmacion_hd",
    "escalamiento_help_desk": "solicitar_confirmacion_hd",
    "documentos_recibidos": "aceptar_oferta",
    "recordatorio_requisitos": "aceptar_oferta",  # sent by services.recordatorios (no action)
    "accion_no_aplicada": "digitar_venta",  # sent by services.pendientes (no action): a waiting action refused
}
"""The action whose reaction sends each template (escalamiento_rc is sent by the schedule, not by an action)."""


PLANTILLAS_DE_REPORTE = {"informe_mensual", "resumen_no_atendidas", "aviso_proyeccion"}
"""Report emails (no single request): rendered with their own contexts in tests/integration/test_correos_reportes.py."""


def _nombres_correo() -> list[str]:
    return sorted(
        p.name.removesuffix(".html")
        for p in DIR_CORREOS.glob("*.html")
        if not p.name.startswith("_") and p.name.removesuffix(".html") not in PLANTILLAS_DE_REPORTE
    )


def _solicitud_completa(nombre: str = "María Fernanda Rojas Vargas") -> Solicitud:
    return Solicitud(
        id=ID,
        estado="forma_pago",
        canal="web",
        creada_en="2026-11-30T09:15:00-04:00",
        actualizada_en="2026-11-30T11:40:00-04:00",
        estado_desde="2026-11-30T11:40:00-04:00",
        mes="2026-11",
        version=9,
        datos={
            "nombre": nombre,
            "telefono": "+59170712345",
            "email": "maria.rojas@example.com",
            "ci": "••••4567",
            "ci_cifrado": "CIFRADO-NO-DEBE-SALIR",
            "ci_huella": "HUELLA-NO-DEBE-SALIR",
            "direccion": "Av. América 1234, entre Libertador y Pando",
            "zona": "Queru Queru",
            "ciudad": "Cochabamba",
            "latitud": -17.3731,
            "longitud": -66.1568,
            "razon_social": "Rojas & Asociados S.R.L.",
            "nit": "1020304050",
            "servicio": "internet_hogar",
            "mensaje": "Quisiera internet de fibra para teletrabajo.\nPrefiero que me llamen por la tarde.",
        },
        tipo_cliente_sugerido="residencial",
        motivo_clasificacion="Formulario: Hogar",
        tipo_cliente="residencial",
        info_cualitativa={"tipo_uso": "teletrabajo", "horario_navegacion": "noche"},
        cobertura={"disponible": True, "tecnologia": "FTTH", "velocidad_maxima_mbps": 100, "zona": "Queru Queru"},
        capacidad={
            "solicitud": {
                "velocidad_solicitada_mbps": 40.0,
                "tecnologia": "FTTH",
                "telefono_referencia": "+59144251234",
                "observaciones": "Vecino del piso 2 ya tiene fibra.",
            },
            "velocidad_maxima_mbps": 40.0,
            "confirmada": True,
            "observaciones": "Caja terminal con puertos libres.",
        },
        oferta={
            "plan": "Fibra Hogar 40",
            "tecnologia": "FTTH",
            "velocidad_mbps": 40.0,
            "tarifa_mensual_bs": 250.0,
            "costo_instalacion_bs": 1000.0,
            "enviada_en": "2026-11-30T10:00:00-04:00",
        },
        requisitos={"ci": {"detalle": "Foto anverso y reverso", "registrado_en": "2026-11-30T10:30:00-04:00"}},
        digitacion={"numero_contrato": "CT-2026-001234", "codigo_cliente": "CLI-778899"},
        modalidad_pago="prepago",
        pago={
            "monto_bs": 1250.0,
            "fecha_deposito": "2026-11-28",
            "numero_deposito": "DEP-556677",
            "tipo_operacion": "transferencia",
            "depositante": "María Rojas",
            "banco": "Banco Unión S.A.",
            "id_transaccion": "TX-998877",
            "medio": "transferencia",
            "estado": "por_validar",
        },
        factura={"numero": "F-000123", "monto_bs": 1250.0, "emitida_en": "2026-11-30T12:00:00-04:00", "mes": "2026-11"},
        control_facturacion={"dia_facturacion": 5, "monto_mensual_bs": 250.0},
        etapas={"visitado": "2026-11-30T09:30:00-04:00", "informado": "2026-11-30T10:00:00-04:00"},
        motivo_cierre="La zona no tiene puertos disponibles.",
        anulacion={
            "motivo": "El cliente desistió.",
            "origen_anulacion": "smartflex",
            "anulada_en": "2026-11-30T12:30:00-04:00",
        },
        redigitacion_de="VD-2A4B6C8D",
        redigitada_como="VD-9Z8Y7X6W",
        origen={"mensaje": "Quisiera internet de fibra.", "utm_source": "facebook", "utm_campaign": "fibra-nov"},
        ejecutivo="ejecutivo1@comteco.example",
        primera_respuesta_en="2026-11-30T09:27:00-04:00",
        escalada_en=None,
    )


def _solicitud_minima() -> Solicitud:
    """A request with nothing optional: every template must still render."""
    return Solicitud(
        id=ID,
        estado="nueva",
        canal="whatsapp",
        creada_en="2026-11-30T09:15:00-04:00",
        actualizada_en="2026-11-30T09:15:00-04:00",
        estado_desde="2026-11-30T09:15:00-04:00",
        mes="2026-11",
    )


def _buzones() -> dict[str, str]:
    return Buzones(
        remitente="ventas-digitales@comteco.example",
        ejecutivos="ejecutivos@comteco.example",
        help_desk="helpdesk@comteco.example",
        cobranzas="cobranzas@comteco.example",
        cajas="cajas@comteco.example",
        facturacion="facturacion@comteco.example",
        responsable_canales="canales@comteco.example",
        jefe_division="jefe.ventas@comteco.example",
        empresas="empresas@comteco.example",
    ).como_dict()


def _contexto(plantilla: str, solicitud: Solicitud, *, campos: dict[str, Any] | None = None) -> dict[str, Any]:
    vista = vista_solicitud(solicitud)
    if plantilla == "escalamiento_rc":
        return {
            "solicitud": vista,
            "vencio_en": "2026-11-30T10:15:00-04:00",
            "url_solicitud": f"https://ventas.example/solicitudes/{solicitud.id}",
            "buzones": _buzones(),
        }
    cambio = {
        "solicitud_id": solicitud.id,
        "cambio_id": "01JDZ8K2M3N4P5Q6R7S8T9V0W1",
        "accion": ACCION_DE_PLANTILLA[plantilla],
        "de": "validacion_deposito",
        "a": "pago_pendiente",
        "rol": "CO",
        "actor": "cobranzas1@comteco.example",
        "en": "2026-11-30T11:40:00-04:00",
        "campos": campos if campos is not None else {"motivo": "El depósito no figura en el extracto."},
    }
    return {
        "solicitud": vista,
        "cambio": cambio,
        "buzones": _buzones(),
        "url_solicitud": f"https://ventas.example/consola/solicitudes/{solicitud.id}",
        "url_contrato": f"https://ventas.example/consola/solicitudes/{solicitud.id}/contrato",
        "url_formulario": "https://ventas.example/solicitud",
    }


@pytest.fixture(scope="module")
def plantillas() -> JinjaPlantillas:
    return JinjaPlantillas()


class _Etiquetas(HTMLParser):
    """Collects form controls and labels of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controles: list[dict[str, str | None]] = []
        self.etiquetas_para: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        atributos = dict(attrs)
        if tag in ("input", "select", "textarea"):
            self.controles.append({"tag": tag, **atributos})
        if tag == "label" and atributos.get("for"):
            self.etiquetas_para.add(str(atributos["for"]))


# --- Pairs --------------------------------------------------------------------------------------------------------


def test_every_email_html_has_its_text_and_subject_siblings_and_vice_versa() -> None:
    # Given
    archivos = [p.name for p in DIR_CORREOS.iterdir() if p.is_file() and not p.name.startswith("_")]
    # When
    nombres = {next(a.removesuffix(s) for s in SUFIJOS if a.endswith(s)) for a in archivos}
    # Then
    faltantes = [f"{n}{s}" for n in sorted(nombres) for s in SUFIJOS if not (DIR_CORREOS / f"{n}{s}").exists()]
    assert faltantes == []
    assert len(nombres) >= 22


def test_every_reaction_and_job_template_exists() -> None:
    # Given
    esperadas = set(ACCION_DE_PLANTILLA) | {"escalamiento_rc"}
    # When
    existentes = set(_nombres_correo())
    # Then
    assert esperadas <= existentes


# --- Rendering every email -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("nombre", _nombres_correo())
@pytest.mark.parametrize("variante", ["completa", "minima"])
def test_every_email_renders_spanish_subject_and_both_bodies(
    plantillas: JinjaPlantillas, nombre: str, variante: str
) -> None:
    # Given
    solicitud = _solicitud_completa() if variante == "completa" else _solicitud_minima()
    contexto = _contexto(nombre, solicitud, campos=None if variante == "completa" else {})
    # When
    correo = plantillas.correo(nombre, contexto)
    # Then
    assert correo.asunto.startswith(f"[{ID}] ")
    assert "\n" not in correo.asunto
    assert len(correo.asunto) > len(f"[{ID}] ") + 5
    assert correo.texto.strip()
    assert correo.html.strip()
    for cuerpo in (correo.texto, correo.html):
        assert ID in cuerpo
        assert "None" not in cuerpo
        assert "Undefined" not in cuerpo
        assert "CIFRADO-NO-DEBE-SALIR" not in cuerpo
    assert correo.html.lstrip().startswith("<!DOCTYPE html>")
    assert "COMTECO · Ventas Digitales" in correo.html
    assert "Mensaje automático del sistema de Ventas Digitales." in correo.html
    assert "Mensaje automático del sistema de Ventas Digitales." in correo.texto


@pytest.mark.parametrize("accion", ["confirmar_capacidad", "negar_capacidad"])
def test_capacity_answer_branches_on_the_help_desk_reply(plantillas: JinjaPlantillas, accion: str) -> None:
    # Given
    campos = (
        {"velocidad_maxima_mbps": 40.0, "tecnologia": "FTTH"}
        if accion == "confirmar_capacidad"
        else {"motivo": "No hay puertos libres en la caja terminal."}
    )
    contexto = _contexto("capacidad_respondida", _solicitud_completa(), campos=campos)
    contexto["cambio"]["accion"] = accion
    # When
    correo = plantillas.correo("capacidad_respondida", contexto)
    # Then
    if accion == "confirmar_capacidad":
        assert "40 Mbps" in correo.texto
        assert "40 Mbps" in correo.html
    else:
        assert "No hay puertos libres en la caja terminal." in correo.texto
        assert "No hay puertos libres en la caja terminal." in correo.html


def test_html_escapes_a_hostile_name_while_text_keeps_it_literal(plantillas: JinjaPlantillas) -> None:
    # Given
    contexto = _contexto("aviso_ejecutivos", _solicitud_completa(nombre=NOMBRE_PELIGROSO))
    # When
    correo = plantillas.correo("aviso_ejecutivos", contexto)
    # Then
    assert NOMBRE_PELIGROSO not in correo.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in correo.html
    assert NOMBRE_PELIGROSO in correo.texto
    assert NOMBRE_PELIGROSO in correo.asunto


def test_payment_instructions_add_tariff_and_installation_in_bolivianos(plantillas: JinjaPlantillas) -> None:
    # Given
    contexto = _contexto("instrucciones_pago", _solicitud_completa())
    # When
    correo = plantillas.correo("instrucciones_pago", contexto)
    # Then
    for cuerpo in (correo.texto, correo.html):
        assert "Bs 1.250,00" in cuerpo
        assert "Banco Unión S.A." in cuerpo
        assert ID in cuerpo


def test_help_desk_request_explains_how_to_answer(plantillas: JinjaPlantillas) -> None:
    # Given
    contexto = _contexto("consulta_help_desk", _solicitud_completa(), campos={"velocidad_solicitada_mbps": 40.0})
    # When
    correo = plantillas.correo("consulta_help_desk", contexto)
    # Then
    for cuerpo in (correo.texto, correo.html):
        assert "40 Mbps" in cuerpo
        assert "SI" in cuerpo and "NO" in cuerpo
        assert "Velocidad máxima: 40 Mbps" in cuerpo


def test_escalation_shows_when_the_first_business_hour_ran_out(plantillas: JinjaPlantillas) -> None:
    # Given
    contexto = _contexto("escalamiento_rc", _solicitud_completa())
    # When
    correo = plantillas.correo("escalamiento_rc", contexto)
    # Then
    assert "lunes, 30 de noviembre de 2026, 10:15" in correo.texto
    assert "lunes, 30 de noviembre de 2026, 10:15" in correo.html


# --- Filters -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valor", "esperado"),
    [(1250, "Bs 1.250,00"), (1250.5, "Bs 1.250,50"), ("99.9", "Bs 99,90"), (0, "Bs 0,00"), (None, "—")],
)
def test_bs_formats_bolivianos(valor: Any, esperado: str) -> None:
    # When / Then
    assert bs(valor) == esperado


@pytest.mark.parametrize(("valor", "esperado"), [(40.0, "40 Mbps"), (40, "40 Mbps"), (7.5, "7,5 Mbps"), (None, "—")])
def test_mbps_drops_a_trailing_zero(valor: Any, esperado: str) -> None:
    # When / Then
    assert mbps(valor) == esperado


def test_dates_are_shown_in_la_paz_time() -> None:
    # Given
    utc = datetime(2026, 11, 30, 13, 15, tzinfo=ZoneInfo("UTC"))
    # When / Then
    assert fecha("2026-11-30T09:15:00-04:00") == "lunes, 30 de noviembre de 2026, 09:15"
    assert fecha(utc) == "lunes, 30 de noviembre de 2026, 09:15"
    assert fecha("2026-11-30T13:15:00Z") == "lunes, 30 de noviembre de 2026, 09:15"
    assert fecha_corta("2026-11-30T13:15:00+00:00") == "30/11/2026 09:15"
    assert fecha("2026-11-28") == "sábado, 28 de noviembre de 2026"
    assert fecha_corta("2026-11-28") == "28/11/2026"
    assert fecha(None) == "—"
    assert fecha_corta("") == "—"


def test_channel_labels_are_a_template_global(plantillas: JinjaPlantillas) -> None:
    # When
    etiquetas = plantillas.entorno.globals["etiqueta_canal"]
    # Then
    assert isinstance(etiquetas, dict)
    assert etiquetas["botmaker"] == "Chatbot (Botmaker)"
    assert etiquetas["redigitacion"] == "Redigitación"


def test_environment_is_built_once(plantillas: JinjaPlantillas) -> None:
    # When / Then
    assert plantillas.entorno is plantillas.entorno


# --- Pages ---------------------------------------------------------------------------------------------------------


def _formulario(plantillas: JinjaPlantillas, **extra: Any) -> str:
    contexto: dict[str, Any] = {"valores": {}, "errores": {}, "envio_id": "0b7f1f4e-2f1c-4d1e-9f3a-1c2b3d4e5f60"}
    contexto["accion"] = "/solicitud"
    contexto.update(extra)
    return plantillas.pagina("solicitud_form", contexto)


def test_empty_form_renders_every_field_with_a_label(plantillas: JinjaPlantillas) -> None:
    # When
    html = _formulario(plantillas)
    # Then
    parser = _Etiquetas()
    parser.feed(html)
    visibles = [c for c in parser.controles if c.get("type") != "hidden"]
    sin_etiqueta = [c.get("name") for c in visibles if c.get("id") not in parser.etiquetas_para]
    assert sin_etiqueta == []
    nombres = {c.get("name") for c in parser.controles}
    assert {
        "nombre",
        "telefono",
        "email",
        "ciudad",
        "zona",
        "direccion",
        "tipo_cliente",
        "servicio",
        "mensaje",
        "consentimiento",
        "envio_id",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "sitio_web",
    } <= nombres
    assert 'method="post"' in html
    assert 'action="/solicitud"' in html
    assert 'enctype="application/x-www-form-urlencoded"' in html
    assert 'lang="es-BO"' in html
    assert "<script" not in html
    assert 'role="alert"' not in html


def test_form_with_errors_keeps_values_and_shows_messages(plantillas: JinjaPlantillas) -> None:
    # Given
    valores = {
        "nombre": 'Ana "La Profe" <b>Quispe</b>',
        "telefono": "7071",
        "ciudad": "Sacaba",
        "tipo_cliente": "empresa",
        "servicio": "internet_tv",
        "mensaje": "Necesito internet\npara mi tienda",
        "utm_source": "facebook",
        "utm_campaign": "fibra-nov",
    }
    errores = {
        "telefono": "Ingrese un número de teléfono boliviano válido.",
        "consentimiento": "Debe autorizar el uso de sus datos para que podamos contactarle.",
        "_": "Revise los campos marcados.",
    }
    # When
    html = _formulario(plantillas, valores=valores, errores=errores)
    # Then
    assert 'role="alert"' in html
    for mensaje in errores.values():
        assert mensaje in html
    assert 'value="Ana &#34;La Profe&#34; &lt;b&gt;Quispe&lt;/b&gt;"' in html
    assert 'value="7071"' in html
    assert re.search(r'<option value="Sacaba"\s+selected', html)
    assert re.search(r'value="empresa"[^>]*checked', html)
    assert re.search(r'<option value="internet_tv"\s+selected', html)
    assert "Necesito internet\npara mi tienda</textarea>" in html
    assert 'name="utm_source" value="facebook"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="telefono-error' in html
    assert 'id="telefono-error"' in html


def test_form_hides_the_honeypot_from_people(plantillas: JinjaPlantillas) -> None:
    # When
    html = _formulario(plantillas)
    # Then
    campo = re.search(r"<input[^>]*name=\"sitio_web\"[^>]*>", html)
    assert campo is not None
    assert 'tabindex="-1"' in campo.group(0)
    assert 'autocomplete="off"' in campo.group(0)
    assert "No llenar este campo" in html
    assert 'aria-hidden="true"' in html


def test_form_defaults_to_cochabamba(plantillas: JinjaPlantillas) -> None:
    # When
    html = _formulario(plantillas)
    # Then
    assert re.search(r'<option value="Cochabamba"\s+selected', html)
    assert 'value="0b7f1f4e-2f1c-4d1e-9f3a-1c2b3d4e5f60"' in html


def test_confirmation_and_error_pages_render(plantillas: JinjaPlantillas) -> None:
    # When
    recibida = plantillas.pagina("solicitud_recibida", {"recibo": ID})
    error = plantillas.pagina("error", {"titulo": "Enlace vencido", "mensaje": "Pida un nuevo enlace <ya>."})
    # Then
    assert ID in recibida
    assert "Gracias" in recibida
    assert "Enlace vencido" in error
    assert "Pida un nuevo enlace &lt;ya&gt;." in error
    for pagina in (recibida, error):
        assert 'lang="es-BO"' in pagina
        assert 'name="viewport"' in pagina


def test_templates_dir_sits_beside_chalicelib() -> None:
    # Then
    assert Path(__file__).resolve().parents[2] / "templates" == DIRECTORIO_PLANTILLAS
    assert (DIRECTORIO_PLANTILLAS / "email" / "_layout.html").is_file()


@pytest.mark.parametrize(
    "nombre",
    [
        "derivacion_cliente",
        "carta_comercial",
        "requisitos_cliente",
        "instrucciones_pago",
        "factura_cliente",
    ],
)
def test_customer_emails_greet_the_customer_by_name(plantillas: JinjaPlantillas, nombre: str) -> None:
    # Given
    solicitud = replace(_solicitud_minima(), datos={"nombre": "Juan Pérez"})
    # When
    correo = plantillas.correo(nombre, _contexto(nombre, solicitud, campos={}))
    # Then
    assert "Hola, Juan Pérez:" in correo.texto
    assert "Hola, Juan Pérez:" in correo.html


def test_the_acknowledgement_echoes_nothing_the_visitor_typed(plantillas: JinjaPlantillas) -> None:
    # Given a web form anyone can send with any address: a name and a message written to be read by a third party
    solicitud = replace(
        _solicitud_minima(),
        datos={
            "nombre": "Soy del banco, llame al 800-PIRATA",
            "telefono": "+59170712345",
            "servicio": "internet_hogar",
        },
        origen={"mensaje": "Haga clic en http://pirata.example"},
    )
    # When the acknowledgement is rendered, as an email and as a chat message
    correo = plantillas.correo("acuse_cliente", _contexto("acuse_cliente", solicitud, campos={}))
    chat = plantillas.mensaje("acuse_cliente", _contexto("acuse_cliente", solicitud, campos={}))
    # Then it greets neutrally and keeps the request code; the free text is nowhere
    for texto in (correo.asunto, correo.texto, correo.html, str(chat)):
        assert "PIRATA" not in texto.upper() and "pirata.example" not in texto
    assert "Hola:" in correo.texto and "Hola:" in correo.html
    assert solicitud.id in correo.texto and solicitud.id in str(chat)


def test_a_missing_required_context_value_is_an_error_not_a_blank(plantillas: JinjaPlantillas) -> None:
    # Given
    contexto = _contexto("aviso_ejecutivos", _solicitud_completa())
    del contexto["url_solicitud"]
    # When / Then
    with pytest.raises(jinja2.UndefinedError):
        plantillas.correo("aviso_ejecutivos", contexto)
