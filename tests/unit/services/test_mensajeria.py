"""The customer's own channel (services/mensajeria.py) with fakes: window, template fallback, statuses, opt-out,
email fallback and at-most-once sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from chalicelib.domain.errors import MensajeNoEnviado
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.mensajeria import Documento, EnvioCanal, FalloCanal, MensajeCanal
from chalicelib.services import mensajeria, reacciones
from tests.factories import make_entrada, make_solicitud
from tests.fakes import FakePlantillas, con_supresion
from tests.fakes_canales import SalientesEnMemoria
from tests.fakes_correo import InMemorySupresiones
from tests.unit.services.conftest import BUZONES


@dataclass
class CanalFalso:
    """A channel adapter that records every send and can refuse the next ones with a given failure."""

    enviados: list[MensajeCanal] = field(default_factory=list)
    fallos: list[tuple[str, str]] = field(default_factory=list)
    ventana_cerrada: bool = False

    def enviar(self, mensaje: MensajeCanal) -> EnvioCanal:
        if self.ventana_cerrada and mensaje.plantilla is None and mensaje.etiqueta is None:
            raise MensajeNoEnviado("fuera de la ventana", fallo=FalloCanal.VENTANA.value, codigo_proveedor="131047")
        if self.fallos:
            fallo, codigo = self.fallos.pop(0)
            raise MensajeNoEnviado(f"rechazado {codigo}", fallo=fallo, codigo_proveedor=codigo)
        self.enviados.append(mensaje)
        return EnvioCanal(ids=tuple(f"wamid.{len(self.enviados)}.{n}" for n in range(len(mensaje.documentos) + 1)))


@pytest.fixture
def canal():
    return CanalFalso()


@pytest.fixture
def puertos_mensajeria(repo, idempotencia, clock, mailer, canal):
    return mensajeria.PuertosMensajeria(
        repo=repo,
        idempotencia=idempotencia,
        plantillas=FakePlantillas(),
        canales={"whatsapp": canal, "messenger": canal, "botmaker": canal},
        salientes=SalientesEnMemoria(),
        bajas=InMemorySupresiones(),
        clock=clock,
        mailer=con_supresion(mailer),
        buzones=BUZONES,
        url_publica="http://vd.test",
    )


def _de_whatsapp(repo, clock, *, horas: float = 1, email: str | None = None, estado: str = "nueva", **extra):
    escrito = (clock.ahora() - timedelta(hours=horas)).isoformat()
    datos = {"nombre": "María Quispe", "telefono": "+59170000000"} | ({"email": email} if email else {})
    s = make_solicitud(
        canal="whatsapp",
        estado=estado,
        datos=datos,
        origen={"wa_id": "59170000000", "phone_number_id": "1122334455667"},
        contactos=[
            {
                "canal": "whatsapp",
                "tipo": "mensaje",
                "en": escrito,
                "referencia": "wamid.IN1",
                "destino": {"id": "59170000000", "cuenta": "1122334455667"},
            }
        ],
        **extra,
    )
    repo.crear(s, make_entrada(s))
    return s


def _pedido(s, clock, nombre="acuse_cliente", **extra):
    return mensajeria.PedidoMensaje(
        solicitud=s,
        clave=f"c1.{nombre}",
        nombre=nombre,
        contexto={"solicitud": {"id": s.id}},
        en=clock.ahora().isoformat(),
        **extra,
    )


def test_inside_the_window_the_message_goes_free_form_to_the_number_the_customer_wrote_from(
    repo, clock, canal, puertos_mensajeria
):
    s = _de_whatsapp(repo, clock, horas=2)
    resultado = mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria)
    assert resultado.enviado and resultado.canal == "whatsapp"
    (mensaje,) = canal.enviados
    assert mensaje.plantilla is None and mensaje.destino.id == "59170000000"
    assert mensaje.destino.cuenta == "1122334455667" and mensaje.texto == f"acuse_cliente {s.id}"
    (entrada,) = [e for e in repo.historial(s.id) if e.tipo == "mensaje_saliente"]
    assert entrada.campos["modo"] == "libre" and entrada.campos["ids"] == ["wamid.1.0"]


def test_after_24_hours_the_approved_template_goes_with_its_parameters(repo, clock, canal, puertos_mensajeria):
    s = _de_whatsapp(repo, clock, horas=30)
    mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria)
    (mensaje,) = canal.enviados
    assert mensaje.plantilla is not None and mensaje.plantilla.nombre == "vd_acuse_solicitud"
    assert mensaje.valores == ("María", s.id)


def test_the_providers_window_error_turns_into_the_template_send_never_a_lost_message(
    repo, clock, canal, puertos_mensajeria
):
    # Given our clock says the window is open but WhatsApp answers 131047
    s = _de_whatsapp(repo, clock, horas=1)
    canal.ventana_cerrada = True
    # When the message is sent
    resultado = mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria)
    # Then it went as the approved template
    assert resultado.enviado
    (mensaje,) = canal.enviados
    assert mensaje.plantilla is not None and mensaje.plantilla.nombre == "vd_acuse_solicitud"


def test_messenger_between_24_hours_and_7_days_goes_with_the_human_agent_tag(repo, clock, canal, puertos_mensajeria):
    s = make_solicitud(
        canal="messenger",
        datos={"nombre": "Ana", "id_canal": "messenger:6543"},
        origen={"psid": "6543", "page_id": "1000"},
        contactos=[{"canal": "messenger", "tipo": "mensaje", "en": (clock.ahora() - timedelta(days=3)).isoformat()}],
    )
    repo.crear(s, make_entrada(s))
    mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria)
    (mensaje,) = canal.enviados
    assert mensaje.etiqueta == "HUMAN_AGENT" and mensaje.plantilla is None


def test_messenger_past_7_days_sends_nothing_and_tells_the_executive_when_there_is_no_email(
    repo, clock, canal, puertos_mensajeria, mailer
):
    s = make_solicitud(
        canal="messenger",
        datos={"nombre": "Ana"},
        origen={"psid": "6543", "page_id": "1000"},
        contactos=[{"canal": "messenger", "tipo": "mensaje", "en": (clock.ahora() - timedelta(days=8)).isoformat()}],
    )
    repo.crear(s, make_entrada(s))
    resultado = mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria)
    assert resultado.estado == "fuera_de_ventana" and canal.enviados == [] and mailer.enviados == []
    (nota,) = [e for e in repo.historial(s.id) if e.tipo == "mensaje_no_enviado"]
    assert nota.campos["requiere_atencion"] is True and "no tiene correo" in nota.resumen


def test_a_redelivered_change_sends_nothing_twice(repo, clock, canal, puertos_mensajeria):
    s = _de_whatsapp(repo, clock)
    primero = mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria)
    segundo = mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria)
    assert primero.enviado and segundo.estado == "duplicado" and len(canal.enviados) == 1


def test_a_rate_limit_gives_the_claim_back_and_raises_so_the_stream_retries(repo, clock, canal, puertos_mensajeria):
    s = _de_whatsapp(repo, clock)
    canal.fallos.append((FalloCanal.LIMITE.value, "130429"))
    with pytest.raises(MensajeNoEnviado):
        mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria)
    assert mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria).enviado
    assert len(canal.enviados) == 1


def test_an_undeliverable_number_falls_back_to_email_and_is_not_retried(repo, clock, canal, puertos_mensajeria, mailer):
    s = _de_whatsapp(repo, clock, email="maria@example.com")
    canal.fallos.append((FalloCanal.INUTILIZABLE.value, "131026"))
    pedido = _pedido(s, clock, documentos=(Documento("carta.pdf", "application/pdf", b"%PDF"),))
    resultado = mensajeria.enviar(pedido, puertos=puertos_mensajeria)
    assert resultado.estado == "fallido" and resultado.respaldo_correo
    (correo,) = mailer.enviados
    assert correo.para == ("maria@example.com",) and [a.nombre for a in correo.adjuntos] == ["carta.pdf"]
    assert mensajeria.enviar(pedido, puertos=puertos_mensajeria).estado == "duplicado"


def test_opt_out_stops_proactive_messages_but_not_answers_to_the_customer(repo, clock, canal, puertos_mensajeria):
    s = _de_whatsapp(repo, clock)
    puertos_mensajeria.bajas.suprimir("whatsapp:59170000000", motivo="baja", en=clock.ahora().isoformat())
    proactivo = mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria)
    respuesta = mensajeria.enviar(
        _pedido(s, clock, nombre="carta_comercial", respuesta=True), puertos=puertos_mensajeria
    )
    assert proactivo.estado == "baja" and respuesta.enviado
    assert [m.texto for m in canal.enviados] == [f"carta_comercial {s.id}"]


def test_statuses_out_of_order_and_twice_never_go_back_and_a_failure_falls_back_to_email(
    repo, clock, canal, puertos_mensajeria, mailer
):
    s = _de_whatsapp(repo, clock, email="maria@example.com")
    (wamid,) = mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria).ids
    en = clock.ahora().isoformat()
    for estado in ("read", "delivered", "read", "sent"):
        assert mensajeria.registrar_estado("whatsapp", wamid, estado, en=en, puertos=puertos_mensajeria) == s.id
    estados = [e.campos["estado"] for e in repo.historial(s.id) if e.tipo == "estado_mensaje"]
    assert sorted(estados) == ["delivered", "read", "sent"]
    assert mensajeria.estado_actual(estados) == "read"
    # A message whose content did not go by email falls back to email when it fails
    s2 = _de_whatsapp(repo, clock, email="ana@example.com")
    (otro,) = mensajeria.enviar(_pedido(s2, clock, nombre="mensaje_ejecutivo"), puertos=puertos_mensajeria).ids
    errores = [{"code": 131026, "title": "Message undeliverable"}]
    for _ in range(2):
        mensajeria.registrar_estado("whatsapp", otro, "failed", en=en, errores=errores, puertos=puertos_mensajeria)
    assert [c.para for c in mailer.enviados] == [("ana@example.com",)]
    assert mensajeria.estado_actual(["read", "failed"]) == "failed"


def test_statuses_of_messages_we_did_not_send_are_ignored(puertos_mensajeria, clock):
    en = clock.ahora().isoformat()
    assert mensajeria.registrar_estado("whatsapp", "wamid.ajeno", "read", en=en, puertos=puertos_mensajeria) is None


def test_a_customer_reaction_goes_by_email_and_on_the_channel_with_the_offer_buttons(
    repo, clock, canal, puertos_mensajeria, puertos_reaccion
):
    from dataclasses import replace

    s = _de_whatsapp(repo, clock, email="maria@example.com", estado="oferta_enviada")
    evento = AccionAplicada(
        solicitud_id=s.id,
        cambio_id="c-oferta",
        accion="enviar_oferta",
        de="negociacion",
        a="oferta_enviada",
        rol="EJ",
        actor="eva@ventas.test",
        en=clock.ahora().isoformat(),
    )
    puertos = replace(puertos_reaccion, mensajeria=puertos_mensajeria)
    assert reacciones.reaccionar(evento, puertos=puertos) == ["carta_comercial"]
    (mensaje,) = canal.enviados
    assert [b.titulo for b in mensaje.botones] == ["Acepto", "No me interesa"]
    assert mensaje.botones[0].id == f"oferta:{s.id}:acepto"
    assert reacciones.reaccionar(evento, puertos=puertos) == [] and len(canal.enviados) == 1


def test_after_baja_the_executive_reaches_the_customer_only_as_an_answer_within_24_hours(
    repo, clock, canal, puertos_mensajeria
):
    # Given a customer who wrote BAJA on WhatsApp 30 hours ago
    s = _de_whatsapp(repo, clock, horas=30)
    puertos_mensajeria.bajas.suprimir("whatsapp:59170000000", motivo="baja", en=clock.ahora().isoformat())
    # When the executive writes: nothing goes (it would be a proactive message)
    fuera = mensajeria.escribir(
        s.id, "¿Sigue interesado?", actor="eva@x", nombre_actor="Eva", referencia="r1", puertos=puertos_mensajeria
    )
    assert fuera.estado == "baja" and canal.enviados == []
    # But when the customer wrote an hour ago, the executive's message answers them and goes
    s2 = _de_whatsapp(repo, clock, horas=1)
    dentro = mensajeria.escribir(
        s2.id, "Con gusto le ayudo", actor="eva@x", nombre_actor="Eva", referencia="r2", puertos=puertos_mensajeria
    )
    assert dentro.enviado and canal.enviados[0].texto == f"mensaje_ejecutivo {s2.id}"


def test_the_requirements_reminder_honours_the_opt_out_too(
    repo, clock, canal, puertos_mensajeria, idempotencia, mailer
):
    from chalicelib.services import recordatorios
    from tests.fakes import FakeCalendario

    s = _de_whatsapp(
        repo, clock, horas=72, estado="requisitos", estado_desde=(clock.ahora() - timedelta(days=5)).isoformat()
    )
    puertos = recordatorios.PuertosRecordatorio(
        repo=repo,
        clock=clock,
        calendario=FakeCalendario(),
        mailer=con_supresion(mailer),
        plantillas=FakePlantillas(),
        idempotencia=idempotencia,
        buzones=BUZONES,
        url_publica="http://vd.test",
        mensajeria=puertos_mensajeria,
    )
    assert recordatorios.recordar_requisitos(puertos=puertos) == [s.id]
    assert [m.plantilla.nombre for m in canal.enviados if m.plantilla] == ["vd_recordatorio_requisitos"]
    # a customer who wrote BAJA gets no reminder the next day
    clock.avanzar(days=1)
    puertos_mensajeria.bajas.suprimir("whatsapp:59170000000", motivo="baja", en=clock.ahora().isoformat())
    assert recordatorios.recordar_requisitos(puertos=puertos) == []
    assert len(canal.enviados) == 1 and mailer.enviados == []


def test_not_sent_reasons_name_our_own_decision_not_the_provider_refusal(repo, clock, canal, puertos_mensajeria):
    s = _de_whatsapp(repo, clock)
    puertos_mensajeria.bajas.suprimir("whatsapp:59170000000", motivo="baja", en=clock.ahora().isoformat())
    assert mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria).estado == "baja"
    m = make_solicitud(
        canal="messenger",
        datos={"nombre": "Ana"},
        origen={"psid": "6543", "page_id": "1000"},
        contactos=[{"canal": "messenger", "tipo": "mensaje", "en": (clock.ahora() - timedelta(days=8)).isoformat()}],
    )
    repo.crear(m, make_entrada(m))
    pedido = _pedido(m, clock, nombre="recordatorio_requisitos")
    assert mensajeria.enviar(pedido, puertos=puertos_mensajeria).estado == "fuera_de_ventana"
    (baja,) = [e for e in repo.historial(s.id) if e.tipo == "mensaje_no_enviado"]
    (ventana,) = [e for e in repo.historial(m.id) if e.tipo == "mensaje_no_enviado"]
    assert "pidió no recibir mensajes por este canal" in baja.resumen and baja.campos["motivo"] == "baja"
    assert "más de 7 días" in ventana.resumen and ventana.campos["motivo"] == "ventana"


def test_a_provider_opt_out_keeps_its_own_reason(repo, clock, canal, puertos_mensajeria):
    s = _de_whatsapp(repo, clock)
    canal.fallos.append((FalloCanal.BAJA.value, "131050"))
    assert mensajeria.enviar(_pedido(s, clock), puertos=puertos_mensajeria).estado == "fallido"
    (nota,) = [e for e in repo.historial(s.id) if e.tipo == "mensaje_no_enviado"]
    assert "dejó de recibir mensajes de la empresa" in nota.resumen
