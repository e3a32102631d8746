"""The reply grammar: the first word decides, ``Clave: valor`` lines add data, quoted history is never read."""

from __future__ import annotations

import pytest

from chalicelib.domain.respuestas import (
    Decision,
    html_a_texto,
    interpretar,
    leer_mbps,
    leer_tecnologia,
    parte_nueva,
    requisito_de,
    velocidad_en_texto,
)

CITA_GMAIL = (
    "El lun, 30 nov 2026 a las 9:05, Ventas Digitales COMTECO <ventas-digitales@ventas.comteco.local> escribió:\n"
    "\n"
    "> Estimado equipo de Help Desk:\n"
    "> Si hay capacidad, por ejemplo:\n"
    "> SI\n"
    "> Velocidad máxima: 40 Mbps\n"
)
CITA_GMAIL_PARTIDA = (
    "El lun, 30 nov 2026 a las 9:05, Ventas Digitales COMTECO <\n"
    "ventas-digitales@ventas.comteco.local> escribió:\n"
    "\n"
    "> SI\n"
    "> Velocidad máxima: 40 Mbps\n"
)
CITA_OUTLOOK = (
    "________________________________\n"
    "De: Ventas Digitales COMTECO <ventas-digitales@ventas.comteco.local>\n"
    "Enviado: lunes, 30 de noviembre de 2026 9:05\n"
    "Para: Help Desk COMTECO <helpdesk@ventas.comteco.local>\n"
    "Asunto: [VD-7F3K9Q2M] Confirmar capacidad técnica\n"
    "\n"
    "Si hay capacidad, por ejemplo:\n"
    "SI\n"
    "Velocidad máxima: 40 Mbps\n"
)
CITA_OUTLOOK_SIN_SEPARADOR = (
    "De: Ventas Digitales COMTECO [mailto:ventas-digitales@ventas.comteco.local]\n"
    "Enviado el: lunes, 30 de noviembre de 2026 09:05\n"
    "Para: Help Desk COMTECO\n"
    "Asunto: [VD-7F3K9Q2M] Confirmar capacidad técnica\n"
    "\n"
    "SI\n"
)
CITA_IPHONE = (
    "Enviado desde mi iPhone\n"
    "\n"
    "> El 30 nov 2026, a las 09:05, Ventas Digitales <ventas-digitales@ventas.comteco.local> escribió:\n"
    "> \n"
    "> SI\n"
)


@pytest.mark.parametrize(
    ("primera_linea", "decision"),
    [
        ("SI", Decision.SI),
        ("Si", Decision.SI),
        ("si", Decision.SI),
        ("Sí.", Decision.SI),
        ("sí!", Decision.SI),
        ("SI,", Decision.SI),
        ("SÍ", Decision.SI),
        ("¡Sí!", Decision.SI),
        ("sii", Decision.SI),
        ("**SI**", Decision.SI),
        ("Confirmado", Decision.SI),
        ("CONFIRMO, hay puertos", Decision.SI),
        ("Aprobado.", Decision.SI),
        ("apruebo", Decision.SI),
        ("OK", Decision.SI),
        ("Acepto", Decision.SI),
        ("NO", Decision.NO),
        ("no.", Decision.NO),
        ("No!", Decision.NO),
        ("Rechazado", Decision.NO),
        ("RECHAZO", Decision.NO),
        ("negativo, no hay puertos", Decision.NO),
        ("No hay capacidad en la zona", Decision.NO),
    ],
)
def test_the_first_word_decides_whatever_its_case_accents_or_punctuation(primera_linea, decision):
    # When
    respuesta = interpretar(primera_linea + "\nObservaciones: prueba")
    # Then
    assert respuesta.decision is decision


@pytest.mark.parametrize(
    "texto",
    [
        "Hola, ¿qué velocidad necesita el cliente?",
        "Nosotros revisamos mañana",
        "Sino, llamen al 4422",
        "40 Mbps",
        "Si no hay respuesta hoy, llamen a la central",
        "",
        "   \n\n  ",
    ],
)
def test_anything_else_on_the_first_line_is_no_decision(texto):
    # When / Then
    assert interpretar(texto).decision is None


def test_a_greeting_line_before_the_decision_is_skipped():
    # Given
    texto = "Buenas tardes,\n\nSI\nVelocidad máxima: 50 Mbps"
    # When
    respuesta = interpretar(texto)
    # Then
    assert respuesta.decision is Decision.SI and respuesta.campos["velocidad_maxima"] == "50 Mbps"


@pytest.mark.parametrize(
    ("linea", "clave", "valor"),
    [
        ("Velocidad máxima: 40 Mbps", "velocidad_maxima", "40 Mbps"),
        ("Velocidad maxima: 40mbps", "velocidad_maxima", "40mbps"),
        ("VELOCIDAD MÁXIMA : 40", "velocidad_maxima", "40"),
        ("Velocidad: 30 megas", "velocidad_maxima", "30 megas"),
        ("Velocidad máx.: 100", "velocidad_maxima", "100"),
        ("Tecnología: FTTH", "tecnologia", "FTTH"),
        ("tecnologia = fibra óptica", "tecnologia", "fibra óptica"),
        ("Motivo: No hay puertos libres", "motivo", "No hay puertos libres"),
        ("Observaciones: llamar al vecino a las 10:30", "observaciones", "llamar al vecino a las 10:30"),
        ("Obs: caja CT-114", "observaciones", "caja CT-114"),
    ],
)
def test_key_value_lines_are_read_with_tolerant_keys(linea, clave, valor):
    # When
    respuesta = interpretar(f"SI\n{linea}")
    # Then
    assert respuesta.campos[clave] == valor


def test_the_second_line_is_the_comment_when_it_is_not_a_key():
    # When
    respuesta = interpretar("NO\nLa caja terminal del sector está llena.\n\nSaludos,\nHugo")
    # Then
    assert respuesta.decision is Decision.NO
    assert respuesta.comentario == "La caja terminal del sector está llena."


def test_the_rest_of_the_first_line_is_the_comment():
    # When
    respuesta = interpretar("Sí, hasta 30 megas por la distancia")
    # Then
    assert respuesta.comentario == "hasta 30 megas por la distancia"
    assert velocidad_en_texto(respuesta.comentario) == 30


def test_a_closing_line_ends_the_reply():
    # When
    respuesta = interpretar("NO\nSaludos cordiales\nMotivo: esto es la firma")
    # Then
    assert respuesta.comentario is None and "motivo" not in respuesta.campos


@pytest.mark.parametrize(
    ("nueva", "cita"),
    [
        ("SI\nVelocidad máxima: 30 Mbps", CITA_GMAIL),
        ("SI\nVelocidad máxima: 30 Mbps", CITA_GMAIL_PARTIDA),
        ("SI\nVelocidad máxima: 30 Mbps", CITA_OUTLOOK),
        ("SI\nVelocidad máxima: 30 Mbps\n", CITA_OUTLOOK_SIN_SEPARADOR),
        ("SI\nVelocidad máxima: 30 Mbps", CITA_IPHONE),
        ("SI\nVelocidad máxima: 30 Mbps", "-----Mensaje original-----\nDe: Ventas\nSI\nVelocidad máxima: 40 Mbps"),
        ("SI\nVelocidad máxima: 30 Mbps", "On Mon, Nov 30, 2026 at 9:05 AM Ventas <v@x.bo> wrote:\n> SI"),
        ("SI\nVelocidad máxima: 30 Mbps", "-- \nHugo Mamani\nHelp Desk\nVelocidad máxima: 1 Gbps"),
    ],
    ids=["gmail", "gmail-partida", "outlook", "outlook-sin-separador", "iphone", "mensaje-original", "ingles", "firma"],
)
def test_quoted_history_and_signatures_are_not_read(nueva, cita):
    # When
    respuesta = interpretar(f"{nueva}\n\n{cita}")
    # Then
    assert respuesta.decision is Decision.SI
    assert respuesta.campos["velocidad_maxima"] == "30 Mbps"
    assert "40" not in respuesta.texto and "escribió" not in respuesta.texto


@pytest.mark.parametrize(
    "cita", [CITA_GMAIL, CITA_GMAIL_PARTIDA, CITA_OUTLOOK, CITA_OUTLOOK_SIN_SEPARADOR, CITA_IPHONE]
)
def test_a_si_only_inside_the_quoted_history_is_not_a_decision(cita):
    # Given a reply with nothing written above the quote
    texto = "\n\n" + cita
    # When
    respuesta = interpretar(texto)
    # Then
    assert respuesta.decision is None
    assert respuesta.vacia


def test_a_reply_written_below_the_quote_is_read():
    # Given a bottom-posted reply
    texto = CITA_GMAIL + "\nNO\nMotivo: sin puertos"
    # When
    respuesta = interpretar(texto)
    # Then
    assert respuesta.decision is Decision.NO and respuesta.campos["motivo"] == "sin puertos"


def test_windows_line_ends_are_read_like_unix_ones():
    # When
    respuesta = interpretar("SI\r\nVelocidad máxima: 20 Mbps\r\n\r\n" + CITA_GMAIL.replace("\n", "\r\n"))
    # Then
    assert respuesta.decision is Decision.SI and respuesta.campos["velocidad_maxima"] == "20 Mbps"


# --- HTML ---------------------------------------------------------------------------------------------------------


def test_an_html_only_gmail_reply_drops_the_gmail_quote():
    # Given
    html = (
        '<div dir="ltr"><div>Sí</div><div>Velocidad máxima: 40 Mbps</div></div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">El lun, 30 nov 2026 a las 9:05, Ventas '
        '&lt;v@x.bo&gt; escribió:<br></div><blockquote class="gmail_quote">NO<br>Motivo: x</blockquote></div>'
    )
    # When
    respuesta = interpretar("", html)
    # Then
    assert respuesta.decision is Decision.SI
    assert respuesta.campos == {"velocidad_maxima": "40 Mbps"}


def test_an_html_only_outlook_reply_stops_at_the_reply_header():
    # Given
    html = (
        "<html><head><style>p{margin:0}</style></head><body><div>NO</div><div>Motivo: sin puertos</div>"
        '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>De:</b> Ventas</div><div>SI</div></body></html>'
    )
    # When
    respuesta = interpretar(None, html)
    # Then
    assert respuesta.decision is Decision.NO and respuesta.campos == {"motivo": "sin puertos"}


def test_html_blockquotes_styles_and_entities_are_handled():
    # When
    texto = html_a_texto(
        "<style>.x{}</style><p>S&iacute;&nbsp;hay</p><blockquote type='cite'>NO</blockquote><p>Obs:&nbsp;ok</p>"
    )
    # Then
    assert [linea for linea in texto.splitlines() if linea] == ["Sí hay", "Obs: ok"]


def test_plain_text_is_preferred_and_html_is_the_fallback():
    # When / Then
    assert interpretar("NO", "<p>SI</p>").decision is Decision.NO
    assert interpretar("\n> SI\n", "<p>SI</p>").decision is Decision.SI


def test_parte_nueva_keeps_the_order_of_the_new_lines():
    # When / Then
    assert parte_nueva("a\n> b\nc\n\n-- \nfirma") == "a\nc"


# --- values -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texto", "mbps"),
    [
        ("40 Mbps", 40),
        ("40mbps", 40),
        ("40", 40),
        ("7,5 megas", 7.5),
        ("1 Gbps", 1000),
        ("1.000 Mbps", 1000),
        ("hasta 100 Mb/s", 100),
        ("cuarenta", None),
    ],
)
def test_speeds_are_read_in_mbps(texto, mbps):
    # When / Then
    assert leer_mbps(texto) == mbps


@pytest.mark.parametrize(
    ("texto", "codigo"),
    [
        ("FTTH", "FTTH"),
        ("fibra óptica", "FTTH"),
        ("Fibra óptica (FTTH)", "FTTH"),
        ("GPON", "FTTH"),
        ("cable", "HFC"),
        ("hfc", "HFC"),
        ("ADSL", "ADSL"),
        ("inalámbrico", "INALAMBRICO"),
        ("satelital", None),
    ],
)
def test_technologies_are_read_as_their_codes(texto, codigo):
    # When / Then
    assert leer_tecnologia(texto) == codigo


@pytest.mark.parametrize(
    ("nombre", "requisito"),
    [
        ("CI_anverso.jpg", "ci"),
        ("carnet de identidad.png", "ci"),
        ("Cédula reverso.jpeg", "ci"),
        ("carta_solicitud_firmada.pdf", "carta_solicitud"),
        ("Carta firmada.PDF", "carta_solicitud"),
        ("croquis.png", "ubicacion"),
        ("ubicación casa.jpg", "ubicacion"),
        ("mapa.pdf", "ubicacion"),
        ("IMG_20261130_1502.png", None),
        ("comprobante.pdf", None),
        ("circulo.png", None),
    ],
)
def test_a_document_is_guessed_from_its_file_name(nombre, requisito):
    # When / Then
    assert requisito_de(nombre) == requisito
