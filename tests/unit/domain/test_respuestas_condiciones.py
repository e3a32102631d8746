"""Issue 17, item 4: a reply whose first line is a condition or a question is not a decision ("si" is also "if").

Every shape is written as a mail client sends it: Gmail (attribution "El lun., … escribió:" wrapped over two lines,
``>`` quote), Outlook (greeting, signature, "De:/Enviado:/Para:/Asunto:" block), iPhone ("Enviado desde mi iPhone"
above the quote) and HTML-only replies. The quoted question itself holds "Si hay capacidad, por ejemplo: SI", which
is never read."""

from __future__ import annotations

import pytest

from chalicelib.domain.respuestas import Decision, interpretar

GMAIL = (
    "\n\nEl lun., 30 nov 2026 a las 9:05, Ventas Digitales COMTECO <\n"
    "ventas-digitales@ventas.comteco.local> escribió:\n"
    "\n"
    "> Estimado equipo de Help Desk:\n"
    ">\n"
    "> Si hay capacidad, por ejemplo:\n"
    "> SI\n"
    "> Velocidad máxima: 40 Mbps\n"
)
OUTLOOK = (
    "\n\nSaludos,\nHugo Mamani\nHelp Desk COMTECO\n\n"
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
IPHONE = (
    "\n\nEnviado desde mi iPhone\n"
    "\n"
    "> El 30 nov 2026, a las 09:05, Ventas Digitales COMTECO <ventas-digitales@ventas.comteco.local> escribió:\n"
    ">\n"
    "> Si hay capacidad, por ejemplo:\n"
    "> SI\n"
)
CLIENTES = {"gmail": GMAIL, "outlook": OUTLOOK, "iphone": IPHONE}

CONDICIONES = [
    "Si el vecino autoriza el paso del cable, entonces instalamos el jueves.",
    "si me confirman la dirección exacta reviso la caja terminal",
    "Si hay capacidad, entonces les confirmo la velocidad mañana",
    "si hay capacidad, 40 Mbps",
    "Si hay que cambiar el splitter primero, les aviso",
    "si hay que cambiar el splitter",
    "Si tienen puertos libres en la CT-114 hay que reservar uno",
    "si pueden enviar el croquis lo reviso hoy",
    "Si es fibra, hay que pedir la OLT de Queru Queru",
    "si se confirma la dirección procedemos",
    "Si no hay respuesta del vecino, les escribo el lunes",
    "SI EL CLIENTE ACEPTA HFC, HAY CAPACIDAD",
    "Sí el vecino autoriza, instalamos",
    "Sí hay capacidad entonces instalen el jueves",
    "**Si** el vecino autoriza",
    "En caso de que el vecino autorice, sí.",
    "En caso que sea fibra, hay puertos",
    "Siempre que el cliente acepte cable, sí",
    "Siempre y cuando firme la carta",
    "Solo si el cliente acepta HFC",
    "Depende de la caja terminal",
    "Dependiendo del vecino",
    "Quizás sí, reviso mañana",
    "Quiza",
    "Tal vez la próxima semana",
    "A lo mejor sí",
    "Capaz que sí, confirmo mañana",
    "Creo que sí, confirmo mañana",
    "Supongo que sí",
    "Puede ser, lo reviso",
    "¿La dirección es Av. Blanco Galindo km 5?",
    "Una consulta, ¿es casa o departamento?",
    "¿Sí?",
    "Si?",
    "Hay puertos en la CT-114?",
    "Si hay capacidad?",
    "No hay capacidad?",
    "Confirmado?",
]


@pytest.mark.parametrize("cliente", CLIENTES)
@pytest.mark.parametrize("primera", CONDICIONES)
def test_a_first_line_that_is_a_condition_or_a_question_decides_nothing(primera, cliente):
    # When
    respuesta = interpretar(primera + CLIENTES[cliente])
    # Then
    assert respuesta.decision is None
    assert respuesta.condicional


SI = [
    "SI",
    "Sí",
    "Si.",
    "si",
    "SÍ!!",
    "¡Sí!",
    "Sí, 40 Mbps",
    "Sí, hay capacidad",
    "Si, confirmado",
    "Si, el vecino ya autorizó, entonces instalamos el jueves",
    "Sí. ¿Necesitan también la tecnología?",
    "Sí, ¿necesitan también la tecnología?",
    "Sí hay capacidad",
    "Sí tenemos puertos libres en la CT-114",
    "Sí se puede",
    "Sí tienen puertos en la caja",
    "Si hay capacidad",
    "si hay capacidad.",
    "SI HAY CAPACIDAD",
    "si tenemos puertos libres en la CT-114",
    "si contamos con fibra en la zona",
    "si existe capacidad",
    "si se puede instalar",
    "Si claro, 40 Mbps",
    "si gracias",
    "Si por favor",
    "si señor",
    "Si, de acuerdo",
    "si ok",
    "si confirmado",
    "Si 40 Mbps",
    "si\u0301 hay capacidad",
    "Si…",
]


@pytest.mark.parametrize("cliente", CLIENTES)
@pytest.mark.parametrize("primera", SI)
def test_every_real_yes_shape_is_still_a_yes(primera, cliente):
    # When
    respuesta = interpretar(primera + CLIENTES[cliente])
    # Then
    assert respuesta.decision is Decision.SI
    assert not respuesta.condicional


@pytest.mark.parametrize("cliente", CLIENTES)
def test_a_yes_with_its_speed_on_the_next_line_still_carries_the_speed(cliente):
    # When
    respuesta = interpretar("SI\nVelocidad máxima: 40 Mbps" + CLIENTES[cliente])
    # Then
    assert respuesta.decision is Decision.SI and respuesta.campos == {"velocidad_maxima": "40 Mbps"}


def test_a_greeting_before_a_condition_is_skipped_and_the_condition_decides_nothing():
    # Given an Outlook reply with a greeting line
    texto = "Buenas tardes,\n\nsi me confirman la dirección exacta, reviso la caja terminal." + OUTLOOK
    # When
    respuesta = interpretar(texto)
    # Then
    assert respuesta.decision is None and respuesta.condicional


@pytest.mark.parametrize(
    "texto",
    [
        # Gmail plain text hard-wraps at ~76 characters, before the comma that shows the condition
        "Si hay capacidad en la caja CT-114 y el vecino autoriza el paso del cable por su\n"
        "techo, entonces instalamos el jueves.",
        "Si hay capacidad en la caja CT-114\nentonces instalamos el jueves.",
        "Sí hay capacidad en la caja CT-114\nEntonces instalen el jueves",
    ],
)
def test_a_condition_wrapped_over_two_lines_is_read_as_one_sentence(texto):
    # When
    respuesta = interpretar(texto + GMAIL)
    # Then
    assert respuesta.decision is None and respuesta.condicional


@pytest.mark.parametrize(
    ("texto", "decision"),
    [
        ("si hay capacidad\n\nentonces es cosa de ustedes", Decision.SI),  # a blank line: another paragraph
        ("si hay capacidad\nVelocidad máxima: 40 Mbps", Decision.SI),
        ("Si hay capacidad. Entonces instalen el jueves", Decision.SI),  # the sentence ended
    ],
)
def test_only_the_very_next_line_in_lower_case_continues_the_sentence(texto, decision):
    # When / Then
    assert interpretar(texto).decision is decision


def test_a_no_is_still_a_no_and_only_a_question_mark_undoes_it():
    # When / Then
    assert interpretar("NO\nMotivo: sin puertos" + OUTLOOK).decision is Decision.NO
    assert interpretar("No hay capacidad en la zona" + GMAIL).decision is Decision.NO
    assert interpretar("No, si el vecino no autoriza no hay forma" + GMAIL).decision is Decision.NO
    assert interpretar("No hay capacidad?" + GMAIL).decision is None


def test_html_only_replies_follow_the_same_rule():
    # Given Gmail HTML replies: a condition and a yes, each above the quoted question
    cita = (
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">El lun., 30 nov 2026 a las 9:05, Ventas '
        '&lt;v@x.bo&gt; escribió:<br></div><blockquote class="gmail_quote">Si hay capacidad, por ejemplo:<br>SI'
        "</blockquote></div>"
    )
    condicion = '<div dir="ltr"><div>Si tienen puertos en la CT-114,</div><div>hay que reservar uno.</div></div>'
    si = '<div dir="ltr"><div>S&iacute;&nbsp;hay capacidad</div><div>Velocidad m&aacute;xima: 30 Mbps</div></div>'
    # When
    leida_condicion, leida_si = interpretar("", condicion + cita), interpretar("", si + cita)
    # Then
    assert leida_condicion.decision is None and leida_condicion.condicional
    assert leida_si.decision is Decision.SI and leida_si.campos == {"velocidad_maxima": "30 Mbps"}


@pytest.mark.parametrize(
    ("texto", "decision"),
    [
        ("si me interesa", Decision.SI),
        ("Si quiero", Decision.SI),
        ("si acepto", Decision.SI),
        ("Si me gustaría contratar", Decision.SI),
        ("si está bien", Decision.SI),
        ("Si me interesa, pero quiero saber el precio", None),
        ("si el precio baja lo contrato", None),
        ("¿Cuánto cuesta la instalación?", None),
    ],
)
def test_a_customer_answer_to_the_offer_follows_the_same_rule(texto, decision):
    # When / Then (the same grammar reads a WhatsApp or email answer to the Carta Comercial)
    assert interpretar(texto).decision is decision


def test_a_question_after_a_greeting_alone_is_a_question():
    # When
    respuesta = interpretar("Hola, ¿qué velocidad necesita el cliente?")
    # Then
    assert respuesta.decision is None and respuesta.condicional


@pytest.mark.parametrize("texto", ["Nosotros revisamos mañana", "40 Mbps", "Sino, llamen al 4422", "Hola"])
def test_an_unreadable_reply_that_is_no_condition_is_not_marked_as_one(texto):
    # When
    respuesta = interpretar(texto)
    # Then
    assert respuesta.decision is None and not respuesta.condicional
