"""The conversation with the customer on the console's request page: the thread of every channel in time order with
each outbound message's delivery status (``hilo_conversacion``), the reply channel and its window, and the form
with which the executive writes to the customer (``POST /consola/solicitudes/{id}/mensajes``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape
from typing import Any

import pytest

from chalicelib.domain.commands import CapturarSolicitud
from chalicelib.domain.errors import DatosInvalidos
from chalicelib.domain.mensajeria import EnvioCanal, MensajeCanal
from chalicelib.domain.model import EntradaHistorial, Solicitud
from chalicelib.services.consola import canal_respuesta, hilo_conversacion
from chalicelib.services.mensajeria import ResultadoMensaje
from tests.app.test_consola import Visitante, csrf_de, html
from tests.factories import make_solicitud
from tests.fakes import FixedClock

SOLICITUD = "VD-HILO0001"


def _entrada(
    id: str, en: str, tipo: str, resumen: str = "", canal: str = "whatsapp", **campos: Any
) -> EntradaHistorial:
    return EntradaHistorial(
        solicitud_id=SOLICITUD, id=id, en=en, tipo=tipo, resumen=resumen or tipo, canal=canal, campos=campos
    )


def _captura(en: str, nota: str, canal: str = "whatsapp") -> EntradaHistorial:
    return EntradaHistorial(
        solicitud_id=SOLICITUD,
        id="EV-captura",
        en=en,
        tipo="accion",
        resumen=f"Solicitud recibida por el canal {canal}.",
        actor=f"prospecto:{canal}",
        canal=canal,
        accion="capturar",
        nota=nota,
    )


def _saliente(id: str, en: str, texto: str, ids: list[str], **extra: Any) -> EntradaHistorial:
    campos = {
        "canal": "whatsapp",
        "destino": "whatsapp:59170000000",
        "nombre": "mensaje_ejecutivo",
        "texto": texto,
        "documentos": [],
        "botones": [],
        "plantilla": None,
        "modo": "libre",
        "ids": ids,
        **extra,
    }
    return _entrada(id, en, "mensaje_saliente", "Mensaje enviado por WhatsApp.", **campos)


def _estado(mensaje_id: str, estado: str, en: str, entrada_id: str = "", **extra: Any) -> EntradaHistorial:
    return _entrada(
        f"estado#whatsapp#{mensaje_id}#{estado}",
        en,
        "estado_mensaje",
        f"Mensaje de WhatsApp {estado}.",
        mensaje_id=mensaje_id,
        estado=estado,
        entrada_id=entrada_id,
        **extra,
    )


def _solicitud(**extra):
    return make_solicitud(
        id=SOLICITUD,
        canal="whatsapp",
        datos={"nombre": "María Quispe", "telefono": "+59170000000", "email": "maria@correo.bo"},
        origen={"wa_id": "59170000000", "phone_number_id": "1122334455667"},
        **extra,
    )


# --- hilo_conversacion (pure) ---


def test_the_thread_is_in_time_order_whatever_the_order_of_the_history():
    # Given a history read out of order (the store sorts by key, not by time)
    historial = [
        _entrada("m2", "2026-11-30T10:30:00-04:00", "mensaje", texto="¿Y el precio?"),
        _saliente("mensaje#a", "2026-11-30T10:10:00-04:00", "Hola María, sí tenemos fibra.", ["wamid.A"]),
        _captura("2026-11-30T10:00:00-04:00", "Hola, ¿tienen fibra en Sarco?"),
        _entrada("c1", "2026-11-30T10:20:00-04:00", "correo", "Correo «Carta» enviado.", para=["maria@correo.bo"]),
        _entrada("c2", "2026-11-30T10:21:00-04:00", "correo", "Aviso a ejecutivos.", para=["ej@comteco.bo"]),
        _entrada("x", "2026-11-30T10:22:00-04:00", "accion", "Clasificada."),
    ]
    # When the thread is built
    hilo = hilo_conversacion(_solicitud(), historial)
    # Then it is oldest first, with both directions, the customer's email but not the staff's nor actions
    assert [(m["direccion"], m["canal"], m["texto"]) for m in hilo] == [
        ("entrante", "whatsapp", "Hola, ¿tienen fibra en Sarco?"),
        ("saliente", "whatsapp", "Hola María, sí tenemos fibra."),
        ("saliente", "correo", "Correo «Carta» enviado."),
        ("entrante", "whatsapp", "¿Y el precio?"),
    ]
    assert [m["etiqueta_canal"] for m in hilo] == ["WhatsApp", "WhatsApp", "Correo", "WhatsApp"]


def test_duplicated_statuses_out_of_order_show_the_highest_reached():
    # Given "read" arrived before "delivered", and both twice, matched by entry id or by provider id
    historial = [
        _saliente("mensaje#a", "2026-11-30T10:00:00-04:00", "Hola", ["wamid.A"]),
        _estado("wamid.A", "read", "2026-11-30T10:02:00-04:00", entrada_id="mensaje#a"),
        _estado("wamid.A", "read", "2026-11-30T10:02:00-04:00", entrada_id="mensaje#a"),
        _estado("wamid.A", "delivered", "2026-11-30T10:01:00-04:00"),
        _estado("wamid.A", "sent", "2026-11-30T10:00:30-04:00", entrada_id="mensaje#a"),
    ]
    # When the thread is built
    (mensaje,) = hilo_conversacion(_solicitud(), historial)
    # Then the message shows "leído", and the statuses are not lines of their own
    assert (mensaje["estado"], mensaje["etiqueta_estado"]) == ("read", "leído")
    assert not mensaje["requiere_atencion"]


def test_a_failed_status_wins_and_is_shown_with_its_reason():
    historial = [
        _saliente("mensaje#a", "2026-11-30T10:00:00-04:00", "Hola", ["wamid.A", "wamid.B"]),
        _estado("wamid.B", "delivered", "2026-11-30T10:01:00-04:00"),
        _entrada(
            "estado#whatsapp#wamid.A#failed",
            "2026-11-30T10:01:30-04:00",
            "estado_mensaje",
            "Mensaje de WhatsApp fallido (131026: Message undeliverable).",
            mensaje_id="wamid.A",
            estado="failed",
            entrada_id="mensaje#a",
            errores=[{"code": 131026}],
        ),
        _saliente("mensaje#b", "2026-11-30T11:00:00-04:00", "¿Sigue interesada?", ["wamid.C"]),
    ]
    primero, segundo = hilo_conversacion(_solicitud(), historial)
    assert (primero["estado"], primero["etiqueta_estado"], primero["requiere_atencion"]) == ("failed", "fallido", True)
    assert "131026" in primero["resumen"]
    # And a message without any status yet shows that the provider accepted it
    assert (segundo["estado"], segundo["etiqueta_estado"]) == ("aceptado", "aceptado por el proveedor")


def test_messages_not_sent_system_notes_attachments_and_buttons_are_in_the_thread():
    historial = [
        _entrada(
            "m1",
            "2026-11-30T10:00:00-04:00",
            "mensaje",
            texto="Aquí mi carnet",
            adjuntos=[{"nombre": "ci.jpg", "tipo": "image/jpeg", "s3_key": "x"}],
        ),
        _entrada(
            "n1",
            "2026-11-30T10:01:00-04:00",
            "mensaje_no_entendido",
            "Mensaje del cliente por WhatsApp sin aplicar: no sabemos qué requisito es.",
            texto="Aquí mi carnet",
            requiere_atencion=True,
        ),
        _saliente(
            "mensaje#oferta",
            "2026-11-30T10:02:00-04:00",
            "Le enviamos la Carta Comercial.",
            ["wamid.D", "wamid.E"],
            documentos=["carta.pdf"],
            botones=["Acepto", "No me interesa"],
            plantilla="vd_carta_comercial",
            modo="plantilla",
        ),
        _entrada(
            "mensaje#x#no_enviado",
            "2026-11-30T10:03:00-04:00",
            "mensaje_no_enviado",
            "Mensaje «recordatorio» no enviado por WhatsApp: el cliente pidió no recibir mensajes.",
            texto="Recuerde enviar sus documentos.",
            motivo="baja",
            respaldo_correo=False,
            requiere_atencion=True,
        ),
        _entrada("b1", "2026-11-30T10:04:00-04:00", "baja_canal", "El cliente pidió no recibir más mensajes."),
    ]
    hilo = hilo_conversacion(_solicitud(), historial)
    assert [m["direccion"] for m in hilo] == ["entrante", "sistema", "saliente", "saliente", "sistema"]
    assert hilo[0]["documentos"] == ["ci.jpg"]
    assert hilo[1]["requiere_atencion"] and "sin aplicar" in hilo[1]["texto"]
    assert (hilo[2]["documentos"], hilo[2]["botones"], hilo[2]["plantilla"]) == (
        ["carta.pdf"],
        ["Acepto", "No me interesa"],
        "vd_carta_comercial",
    )
    assert (hilo[3]["estado"], hilo[3]["etiqueta_estado"], hilo[3]["requiere_atencion"]) == (
        "no_enviado",
        "no enviado",
        True,
    )
    assert hilo[3]["resumen"].startswith("Mensaje «recordatorio» no enviado")


def _con_contacto(horas: float, canal: str = "whatsapp", **destino: str) -> tuple[Solicitud, datetime]:
    ahora = FixedClock().ahora()
    origen = {"whatsapp": {"wa_id": "59170000000"}, "messenger": {"psid": "PSID9", "page_id": "P1"}}[canal]
    s = make_solicitud(
        id=SOLICITUD,
        canal=canal,
        origen=origen,
        contactos=[
            {
                "canal": canal,
                "tipo": "mensaje",
                "en": (ahora - timedelta(hours=horas)).isoformat(),
                "destino": destino or {"id": next(iter(origen.values()))},
            }
        ],
    )
    return s, ahora


@pytest.mark.parametrize(
    ("canal", "horas", "modo", "ventana", "explicacion"),
    [
        ("whatsapp", 2, "libre", "ventana abierta", "puede escribir libremente"),
        ("whatsapp", 30, "plantilla", "ventana cerrada", "fuera de las 24 h: se enviará la plantilla aprobada"),
        ("messenger", 48, "agente_humano", "ventana cerrada", "se envía como respuesta de agente"),
        ("messenger", 24 * 8, "ninguno", "ventana cerrada", "no se puede escribir; use el correo"),
    ],
)
def test_the_reply_channel_says_how_a_message_would_go_now(canal, horas, modo, ventana, explicacion):
    s, ahora = _con_contacto(horas, canal)
    respuesta = canal_respuesta(s, [], ahora)
    assert respuesta is not None
    assert (respuesta["modo"], respuesta["ventana"]) == (modo, ventana)
    assert explicacion in respuesta["explicacion"]
    assert respuesta["puede_escribir"] is (modo != "ninguno")
    assert respuesta["destino"] == ("+59170000000" if canal == "whatsapp" else "")


def test_a_web_customer_has_no_reply_channel():
    assert canal_respuesta(make_solicitud(), [], FixedClock().ahora()) is None


# --- the page and the form ---


@dataclass
class CanalFalso:
    """The WhatsApp adapter: records what it sends, answers with one provider id per call."""

    enviados: list[MensajeCanal] = field(default_factory=list)

    def enviar(self, mensaje: MensajeCanal) -> EnvioCanal:
        self.enviados.append(mensaje)
        return EnvioCanal(ids=(f"wamid.OUT{len(self.enviados)}",))


@pytest.fixture
def canal():
    return CanalFalso()


@pytest.fixture
def servicios(servicios, canal):
    """The app's fakes plus the customer channels (a fake WhatsApp adapter, outbound register, opt-out list)."""
    from chalicelib import bootstrap
    from tests.fakes_canales import SalientesEnMemoria

    return bootstrap.override(**servicios.overrides, mensajeros={"whatsapp": canal}, salientes=SalientesEnMemoria())


@pytest.fixture
def visitante(cliente):
    return Visitante(cliente)


@pytest.fixture
def de_whatsapp(servicios):
    """A customer who wrote on WhatsApp an hour ago."""
    servicios.clock.avanzar(hours=-1)
    s = servicios.capturar(
        CapturarSolicitud(
            canal="whatsapp",
            datos={"nombre": "María Quispe", "telefono": "+59170000000"},
            origen={"wa_id": "59170000000", "phone_number_id": "1122334455667"},
            mensaje="Hola, ¿tienen fibra en Sarco?",
            clave_envio="wamid.IN1",
            tipo_contacto="mensaje",
        )
    )
    servicios.clock.avanzar(hours=1)
    return s


@pytest.fixture
def grabadora(servicios, monkeypatch):
    """``escribir_al_cliente`` replaced by a recording fake."""
    llamadas: list[tuple[tuple, dict]] = []

    def escribir(*args, **kwargs):
        llamadas.append((args, kwargs))
        return ResultadoMensaje("enviado", "whatsapp", ("wamid.X",))

    monkeypatch.setattr(servicios, "escribir_al_cliente", escribir)
    return llamadas


def _ruta(s: Solicitud) -> str:
    return f"/consola/solicitudes/{s.id}"


def _formulario(pagina: Any) -> dict[str, str]:
    texto = html(pagina)
    referencia = re.search(r'name="referencia" value="([^"]+)"', texto)
    assert referencia, "the page has no message form"
    return {"csrf": csrf_de(pagina), "referencia": referencia.group(1)}


def test_the_page_shows_the_thread_the_reply_channel_and_the_form(servicios, visitante, de_whatsapp):
    # Given an answer sent on WhatsApp that the customer read
    servicios.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=de_whatsapp.id,
            id="mensaje#r1",
            en=servicios.clock.ahora().isoformat(),
            tipo="mensaje_saliente",
            resumen="Mensaje enviado por WhatsApp.",
            canal="whatsapp",
            campos={"canal": "whatsapp", "texto": "Sí, tenemos fibra en Sarco.", "ids": ["wamid.R1"]},
        )
    )
    for estado in ("read", "delivered"):
        servicios.repo.agregar_historial(
            EntradaHistorial(
                solicitud_id=de_whatsapp.id,
                id=f"estado#whatsapp#wamid.R1#{estado}",
                en=servicios.clock.ahora().isoformat(),
                tipo="estado_mensaje",
                resumen=f"Mensaje {estado}.",
                canal="whatsapp",
                campos={"mensaje_id": "wamid.R1", "estado": estado, "entrada_id": "mensaje#r1"},
            )
        )
    # When the executive opens the request
    visitante.ingresar("EJ")
    respuesta = visitante.get(_ruta(de_whatsapp))
    pagina = unescape(html(respuesta))
    # Then the conversation shows both messages in order with the status, and how a reply would go
    assert respuesta.status_code == 200
    assert "Conversación con el cliente" in pagina
    assert pagina.index("Hola, ¿tienen fibra en Sarco?") < pagina.index("Sí, tenemos fibra en Sarco.")
    assert '<span class="insignia estado-read">leído</span>' in pagina
    assert "Canal de respuesta:</strong> WhatsApp (+59170000000)" in pagina
    assert "última respuesta del cliente hace 1 h" in pagina and "ventana abierta" in pagina
    # And the form posts the text with the CSRF token and a one-time reference
    assert f'action="/consola/solicitudes/{de_whatsapp.id}/mensajes"' in pagina
    assert re.search(r'<textarea id="mensaje-texto" name="texto" rows="4" maxlength="1500"', pagina)
    assert re.search(r'name="referencia" value="[0-9a-f]{32}"', pagina)
    assert 'for="mensaje-texto"' in pagina and "Enviar al cliente" in pagina


def test_a_customer_without_a_messaging_channel_gets_no_form(servicios, visitante):
    s = servicios.capturar(CapturarSolicitud(canal="web", datos={"nombre": "Luis Paz"}, mensaje="Quiero internet."))
    visitante.ingresar("EJ")
    pagina = unescape(html(visitante.get(_ruta(s))))
    assert "El cliente no escribió por WhatsApp, Messenger ni el chatbot; use el correo." in pagina
    assert 'name="referencia"' not in pagina and "Quiero internet." in pagina


def test_posting_the_form_calls_the_service_once_and_redirects_with_a_notice(visitante, de_whatsapp, grabadora):
    # Given the executive on the request page
    visitante.ingresar("EJ")
    pagina = visitante.get(_ruta(de_whatsapp))
    # When they write to the customer
    respuesta = visitante.post(
        f"{_ruta(de_whatsapp)}/mensajes", {**_formulario(pagina), "texto": "Hola María, ¿le llamo hoy?"}
    )
    # Then the service got the text, the executive's identity and the form's reference, once
    assert respuesta.status_code == 303 and respuesta.headers["Location"] == _ruta(de_whatsapp)
    ((args, kwargs),) = grabadora
    assert args == (de_whatsapp.id, "Hola María, ¿le llamo hoy?")
    assert kwargs["actor"] == "ejecutivos@ventas.comteco.local"
    assert kwargs["nombre_actor"] == "Eva Ejecutiva"
    assert kwargs["referencia"] == _formulario(pagina)["referencia"]
    # And the next page says it went
    assert "Mensaje enviado por WhatsApp." in html(visitante.get(respuesta.headers["Location"]))


def test_the_message_goes_to_whatsapp_and_a_resubmitted_form_sends_nothing_twice(
    servicios, visitante, de_whatsapp, canal
):
    visitante.ingresar("RC")
    formulario = {**_formulario(visitante.get(_ruta(de_whatsapp))), "texto": "Le escribe su ejecutiva."}
    # When the team lead sends the form, then sends the same form again
    primera = visitante.post(f"{_ruta(de_whatsapp)}/mensajes", formulario)
    aviso = html(visitante.get(primera.headers["Location"]))
    segunda = visitante.post(f"{_ruta(de_whatsapp)}/mensajes", formulario)
    pagina = unescape(html(visitante.get(segunda.headers["Location"])))
    # Then one message went, free-form inside the window, and it is in the thread
    (enviado,) = canal.enviados
    assert enviado.texto.startswith("Le escribe su ejecutiva.") and "Rosa Responsable de Canales" in enviado.texto
    assert enviado.plantilla is None and enviado.destino.id == "59170000000"
    assert "Mensaje enviado por WhatsApp." in aviso
    assert "no se envió otra vez" in pagina
    assert "Le escribe su ejecutiva." in pagina and "aceptado por el proveedor" in pagina
    _, historial = servicios.obtener(de_whatsapp.id)
    salientes = [e for e in historial if e.tipo == "mensaje_saliente"]
    assert [e.actor for e in salientes] == [servicios.settings.buzones.responsable_canales]


def test_a_form_without_the_csrf_token_is_refused_and_sends_nothing(visitante, de_whatsapp, grabadora):
    visitante.ingresar("EJ")
    formulario = _formulario(visitante.get(_ruta(de_whatsapp)))
    respuesta = visitante.post(
        f"{_ruta(de_whatsapp)}/mensajes", {"referencia": formulario["referencia"], "texto": "Hola"}
    )
    assert respuesta.status_code == 403 and "Formulario no válido" in html(respuesta)
    assert grabadora == []


def test_help_desk_cannot_write_to_the_customer(visitante, de_whatsapp, grabadora):
    # Given Help Desk on the request page: no message form for them
    visitante.ingresar("HD")
    pagina = visitante.get(_ruta(de_whatsapp))
    assert 'name="referencia"' not in html(pagina)
    # When they forge the form with their own valid token
    respuesta = visitante.post(
        f"{_ruta(de_whatsapp)}/mensajes", {"csrf": csrf_de(pagina), "referencia": "a" * 32, "texto": "Hola"}
    )
    # Then it is the console's 403 page and nothing was sent
    assert respuesta.status_code == 403 and "Acción no permitida para su rol" in unescape(html(respuesta))
    assert grabadora == []


@pytest.mark.parametrize("texto", ["", "   ", "x" * 1501])
def test_an_empty_or_too_long_text_shows_the_error_and_sends_nothing(visitante, de_whatsapp, grabadora, texto):
    visitante.ingresar("EJ")
    formulario = _formulario(visitante.get(_ruta(de_whatsapp)))
    respuesta = visitante.post(f"{_ruta(de_whatsapp)}/mensajes", {**formulario, "texto": texto})
    pagina = unescape(html(respuesta))
    assert respuesta.status_code == 422
    assert 'id="mensaje-texto-error">Escriba un mensaje de 1 a 1500 caracteres.' in pagina
    assert 'aria-invalid="true"' in pagina and "No se envió el mensaje." in pagina
    assert grabadora == []


def test_the_services_refusal_of_the_text_is_shown_too(servicios, visitante, de_whatsapp, monkeypatch):
    def escribir(*args, **kwargs):
        raise DatosInvalidos({"texto": "El mensaje no puede quedar vacío."}, "El mensaje no es válido.")

    monkeypatch.setattr(servicios, "escribir_al_cliente", escribir)
    visitante.ingresar("EJ")
    formulario = _formulario(visitante.get(_ruta(de_whatsapp)))
    respuesta = visitante.post(f"{_ruta(de_whatsapp)}/mensajes", {**formulario, "texto": "Hola"})
    assert respuesta.status_code == 422
    assert "El mensaje no puede quedar vacío." in unescape(html(respuesta))
    assert ">Hola</textarea>" in html(respuesta)


@pytest.mark.parametrize(
    ("resultado", "aviso"),
    [
        (ResultadoMensaje("sin_canal"), "No se pudo enviar: el cliente no escribió por WhatsApp"),
        (
            ResultadoMensaje("fallido", "whatsapp", respaldo_correo=True),
            "No se pudo enviar: WhatsApp rechazó el mensaje. Se le envió el mensaje por correo electrónico.",
        ),
        (ResultadoMensaje("baja", "whatsapp"), "el cliente pidió no recibir mensajes por WhatsApp"),
    ],
)
def test_a_message_that_did_not_go_is_reported_as_an_alert(
    servicios, visitante, de_whatsapp, monkeypatch, resultado, aviso
):
    monkeypatch.setattr(servicios, "escribir_al_cliente", lambda *a, **k: resultado)
    visitante.ingresar("EJ")
    formulario = _formulario(visitante.get(_ruta(de_whatsapp)))
    respuesta = visitante.post(f"{_ruta(de_whatsapp)}/mensajes", {**formulario, "texto": "Hola"})
    pagina = unescape(html(visitante.get(respuesta.headers["Location"])))
    assert re.search(r'<div class="alerta" role="alert">No se pudo enviar: ', pagina)
    assert aviso in pagina
