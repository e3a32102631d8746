"""Issue 16, items 1 and 2: the public web form used against a customer and against any mailbox.

1. Knowing only a customer's phone number, a visitor sends the form with it. Before: the answer was 200 with HER
   request code (201 with a new one for an unknown phone: an oracle), and the message was appended to her request
   and shown in the console as written by her (a mouthpiece). Now: the same 201 and receipt shape in every case,
   never her code; the message is a "contacto no verificado" with what it claims, and her data on file is unchanged.
2. A visitor makes the system email any address with their own words at the top (the name field was the greeting),
   once per new phone. Now: at most N acknowledgements a day per address and per phone (the request is still
   recorded and the history says why), and the acknowledgement echoes nothing the visitor typed.

Each test reproduces the attack as described; against HEAD before this change each of them fails (see the report).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from chalicelib.domain.events import ACCION_CAPTURA, AccionAplicada
from chalicelib.domain.model import Solicitud
from chalicelib.services.consola import hilo_conversacion

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CODIGO = re.compile(r"VD-[0-9A-Z]{8}")
VICTIMA = {
    "nombre": "María Quispe Mamani",
    "telefono": "+59170712345",
    "email": "maria.quispe@example.com",
    "direccion": "Calle España 250",
}
PIRATA = "Soy María: cambié de correo, envíen la oferta y el contrato a pirata@example.net"


def _enviar(mundo, json_: bool = False, **campos: str):
    """POST the form, then let the entrantes stream capture what the door stored."""
    cuerpo = {"consentimiento": "on", **campos}
    if json_:
        respuesta = mundo.cliente.http.post(
            "/solicitud", headers={"Content-Type": "application/json"}, body=json.dumps(cuerpo).encode()
        )
    else:
        respuesta = mundo.cliente.http.post("/solicitud", headers=FORM, body=urlencode(cuerpo).encode())
    mundo.atender_entrantes()
    return respuesta


def _victima(mundo) -> Solicitud:
    """María's open request, created by her on WhatsApp (the channel authenticated her number)."""
    return mundo.guardar(canal="whatsapp", estado="en_registro", datos=dict(VICTIMA))


def _forma(respuesta) -> tuple[int, str, str]:
    """What a visitor can observe of an answer: status, content type, the page with its one code blanked."""
    cuerpo = respuesta.body.decode()
    tipo = respuesta.headers.get("Content-Type", "")
    return respuesta.status_code, tipo, CODIGO.sub("VD-XXXXXXXX", cuerpo)


def _reaccionar_a_capturas(mundo) -> None:
    """What the stream of solicitudes does with each capture: the acknowledgement and the executives' notice."""
    servicios = mundo.servicios
    for s in list(servicios.repo.solicitudes.values()):
        c = s.ultimo_cambio
        if c is None or c.accion != ACCION_CAPTURA:
            continue
        evento = AccionAplicada(
            solicitud_id=s.id,
            cambio_id=c.id,
            accion=c.accion,
            de=c.de,
            a=c.a,
            rol=c.rol,
            actor=c.actor,
            en=c.en,
            campos=dict(c.campos),
            canal=c.canal,
        )
        servicios.reaccionar(evento)


def _cerrar_todas(mundo) -> None:
    for s in list(mundo.servicios.repo.solicitudes.values()):
        mundo.mover(s.id, estado="no_atendida")


def _acuses_a(mundo, direccion: str) -> list:
    return [c for c in mundo.servicios.overrides["mailer"].enviados if direccion in c.para]


# --- item 1: oracle and mouthpiece ---------------------------------------------------------------------------


def test_the_form_does_not_tell_whether_a_phone_has_a_request_nor_give_its_code(mundo):
    # Given María's open request, and a visitor who knows only her phone number
    maria = _victima(mundo)
    # When the visitor sends the form with her number, and then with a number nobody has
    con_ella = _enviar(mundo, nombre="Visitante Curioso", telefono="70712345", mensaje="hola")
    sin_nadie = _enviar(mundo, nombre="Visitante Curioso", telefono="70799999", mensaje="hola")
    # Then both answers look the same (status, page, one receipt code), and neither is her request's code
    assert con_ella.status_code == sin_nadie.status_code == 201
    assert _forma(con_ella) == _forma(sin_nadie)
    assert maria.id not in con_ella.body.decode()
    (recibo,) = set(CODIGO.findall(con_ella.body.decode()))
    assert recibo != maria.id and recibo not in mundo.servicios.repo.solicitudes
    # and a repeated submission (same envio_id) answers the same way again
    envio = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    primera = _enviar(mundo, nombre="Visitante Curioso", telefono="70712345", envio_id=envio)
    segunda = _enviar(mundo, nombre="Visitante Curioso", telefono="70712345", envio_id=envio)
    assert segunda.status_code == 201 and _forma(primera) == _forma(segunda)
    assert CODIGO.findall(primera.body.decode()) == CODIGO.findall(segunda.body.decode())
    assert maria.id not in segunda.body.decode()


def test_json_clients_get_the_same_shape_whether_the_form_created_or_joined(mundo):
    maria = _victima(mundo)
    con_ella = _enviar(mundo, json_=True, nombre="Visitante Curioso", telefono="70712345")
    sin_nadie = _enviar(mundo, json_=True, nombre="Visitante Curioso", telefono="70788888")
    assert con_ella.status_code == sin_nadie.status_code == 201
    assert set(con_ella.json_body) == set(sin_nadie.json_body) == {"recibo", "estado", "mensaje"}
    assert con_ella.json_body["recibo"] != maria.id and CODIGO.fullmatch(con_ella.json_body["recibo"])
    assert {k: v for k, v in con_ella.json_body.items() if k != "recibo"} == {
        k: v for k, v in sin_nadie.json_body.items() if k != "recibo"
    }


def test_a_message_in_her_name_is_shown_as_an_unverified_contact_and_changes_none_of_her_data(mundo):
    # Given María's open request
    maria = _victima(mundo)
    repo = mundo.servicios.repo
    # When a visitor sends the form with her phone, another email and a message written in her name
    respuesta = _enviar(mundo, nombre="María Quispe", telefono="70712345", email="pirata@example.net", mensaje=PIRATA)
    assert respuesta.status_code == 201
    # Then her data on file is exactly what it was (no email, name or address replaced)
    despues = repo.obtener(maria.id)
    assert despues.datos == maria.datos and despues.email == VICTIMA["email"]
    # the history entry is an unverified contact with what it claims, never attributed to her
    (entrada,) = [e for e in repo.historial(maria.id) if e.tipo == "mensaje"]
    assert entrada.actor == "no_verificado:web" and entrada.campos["verificado"] is False
    assert entrada.resumen.startswith("Contacto no verificado por el formulario web")
    assert "pirata@example.net" in entrada.resumen and "María Quispe Mamani" not in entrada.resumen
    assert despues.contactos[-1]["verificado"] is False
    # and the console thread shows it as "Contacto no verificado", not as the customer
    (linea,) = [m for m in hilo_conversacion(despues, repo.historial(maria.id)) if PIRATA in m["texto"]]
    assert linea["autor"] == "Contacto no verificado" and linea["verificado"] is False
    assert "Dice:" in linea["texto"] and "pirata@example.net" in linea["texto"]


def test_her_own_whatsapp_message_is_still_hers(mundo):
    # Given María's request, and a message from her own WhatsApp number (the channel authenticates the sender)
    from chalicelib.domain.commands import CapturarSolicitud

    maria = _victima(mundo)
    cmd = CapturarSolicitud(
        canal="whatsapp",
        datos={"telefono": "59170712345", "nombre": "María"},
        origen={"wa_id": "59170712345", "phone_number_id": "1"},
        mensaje="¿Ya revisaron mi solicitud?",
        clave_envio="wamid.1",
        tipo_contacto="mensaje",
    )
    # When it reaches the merge
    mundo.servicios.recibir_contacto(cmd)
    # Then it is the customer's own message, as before
    repo = mundo.servicios.repo
    (entrada,) = [e for e in repo.historial(maria.id) if e.tipo == "mensaje"]
    assert entrada.actor == "prospecto:whatsapp" and entrada.campos.get("verificado", True) is True
    (linea,) = [m for m in hilo_conversacion(repo.obtener(maria.id), repo.historial(maria.id)) if m["id"] == entrada.id]
    assert linea["autor"] == "Cliente"


# --- item 2: mail for anyone ---------------------------------------------------------------------------------


def test_acknowledgements_to_one_address_stop_at_the_daily_limit_but_every_request_is_recorded(mundo):
    # Given a victim's address, and a visitor who sends the form with it and a new phone each time; an executive
    # closes each spam request at once (so the next submission opens a new request instead of joining it)
    victima = "gerencia@comteco.example"
    limite = getattr(mundo.servicios.settings, "acuses_por_direccion_dia", 3)  # the default
    respuestas = []
    for n in range(limite + 4):
        respuestas.append(
            _enviar(mundo, nombre="Hola gerente, llame ya al 800-PIRATA", telefono=f"7070000{n}", email=victima)
        )
        _cerrar_todas(mundo)
    _reaccionar_a_capturas(mundo)
    # Then every submission was recorded (a real prospect is never lost)
    repo = mundo.servicios.repo
    assert len(repo.solicitudes) == limite + 4
    # but that address got at most N acknowledgements today
    acuses = _acuses_a(mundo, victima)
    assert len(acuses) == limite
    # and the requests beyond the limit say why in their history
    retenidas = [s for s in repo.solicitudes.values() if s.origen.get("acuse_retenido")]
    assert len(retenidas) == 4
    for s in retenidas:
        (nota,) = [e for e in repo.historial(s.id) if e.tipo == "acuse_retenido"]
        assert "No se envió el acuse de recibo a gerencia@comteco.example" in nota.resumen
        assert "límite diario" in nota.resumen
    # and the visitor over the limit saw the same answer as before it
    assert {_forma(r) for r in respuestas} == {_forma(respuestas[0])}
    # and no acknowledgement carries the visitor's words (the name was the greeting)
    for acuse in acuses:
        for texto in (acuse.asunto, acuse.texto, acuse.html or ""):
            assert "PIRATA" not in texto.upper() and "gerente" not in texto


def test_one_phone_gets_at_most_n_acknowledgements_a_day_whatever_the_addresses(mundo):
    limite = getattr(mundo.servicios.settings, "acuses_por_telefono_dia", 3)  # the default
    # Given requests of one phone that closed at once (so each new form opens a new request)
    for n in range(limite + 2):
        _enviar(mundo, nombre="Visitante Curioso", telefono="70755555", email=f"buzon{n}@example.org")
        _cerrar_todas(mundo)
    _reaccionar_a_capturas(mundo)
    enviados = [c for c in mundo.servicios.overrides["mailer"].enviados if any("buzon" in p for p in c.para)]
    assert len(mundo.servicios.repo.solicitudes) == limite + 2
    assert len(enviados) == limite


def test_the_acknowledgement_echoes_nothing_the_visitor_typed(mundo):
    _enviar(
        mundo,
        nombre="Su cuenta fue bloqueada, ingrese a pirata.example",
        telefono="70766666",
        email="alguien@example.org",
        mensaje="Texto libre del visitante: pirata.example",
        direccion="pirata.example 123",
    )
    _reaccionar_a_capturas(mundo)
    (acuse,) = _acuses_a(mundo, "alguien@example.org")
    for texto in (acuse.asunto, acuse.texto, acuse.html or ""):
        assert "pirata.example" not in texto and "bloqueada" not in texto
    (s,) = mundo.servicios.repo.solicitudes.values()
    assert s.id in acuse.texto and "Hola:" in acuse.texto


def test_a_limits_store_counts_each_submission_once_and_not_refusals(mundo):
    limites = mundo.servicios.overrides["limites"]
    assert _enviar(mundo, nombre="Jo", telefono="12").status_code == 422
    assert limites.contadores == {}
    _enviar(mundo, nombre="Ana Rojas", telefono="70777777", email="ana@example.org")
    assert sorted(limites.contadores.values()) == [1, 1]
