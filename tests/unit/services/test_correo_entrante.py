"""Inbound email with fakes: only an authenticated reply, with a valid token, from the intended responder (or an
allowed mailbox of its role) changes anything, once; everything else is rejected, answered or recorded."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.domain.commands import RecibirCorreo, RegistrarNotificacionCorreo
from chalicelib.domain.correo import AdjuntoEntrante, CorreoEntrante, TokenRespuesta, direccion_respuesta
from chalicelib.domain.events import AccionAplicada
from chalicelib.services import correo_entrante, reacciones
from chalicelib.services.correo_saliente import SalidaCorreo
from tests.correo_util import eml
from tests.factories import make_entrada, make_solicitud
from tests.fakes import FakePlantillas, con_supresion
from tests.fakes_correo import FakeBuzon, InMemoryAlmacen, InMemorySupresiones, InMemoryTokensRespuesta
from tests.unit.services.conftest import BUZONES

HD = BUZONES.help_desk
TURNO_HD = "hd.turno@ventas.test"
PASS = dict.fromkeys(("spf", "dkim", "dmarc", "spam", "virus"), "PASS")
_ids = itertools.count(1)


@dataclass
class Correo:
    """The inbound email world of one test: fakes, the question asked, and helpers to reply."""

    puertos: correo_entrante.PuertosCorreo
    reaccion: reacciones.PuertosReaccion
    tokens: InMemoryTokensRespuesta
    supresiones: InMemorySupresiones
    buzon: FakeBuzon
    almacen: InMemoryAlmacen
    mailer: Any
    repo: Any
    clock: Any

    def preguntar_capacidad(self, **datos: Any) -> str:
        """A request waiting for Help Desk, and the capacity question emailed to it (with its reply token)."""
        capacidad = {"solicitud": {"velocidad_solicitada_mbps": 50.0}, "solicitada_en": "2026-11-30T09:00:00-04:00"}
        s = make_solicitud(estado="consulta_help_desk", capacidad=capacidad, **datos)
        self.repo.crear(s, make_entrada(s))
        self._reaccionar(s.id, "solicitar_confirmacion_hd", "en_registro", "consulta_help_desk")
        return s.id

    def pedir_requisitos(self) -> str:
        s = make_solicitud(estado="requisitos")
        self.repo.crear(s, make_entrada(s))
        self._reaccionar(s.id, "aceptar_oferta", "oferta_enviada", "requisitos")
        return s.id

    def _reaccionar(self, solicitud_id: str, accion: str, de: str, a: str) -> None:
        evento = AccionAplicada(
            solicitud_id=solicitud_id,
            cambio_id=f"ev-{next(_ids):06d}",
            accion=accion,
            de=de,
            a=a,
            rol="EJ",
            actor="ej@ventas.test",
            en=self.clock.ahora().isoformat(),
        )
        reacciones.reaccionar(evento, puertos=self.reaccion)

    def ultimo_enviado(self) -> Any:
        return self.mailer.enviados[-1]

    def responder(
        self,
        texto: str = "",
        *,
        de: str = HD,
        para: str | None = None,
        veredictos: dict[str, str] | None = None,
        html: str = "",
        asunto: str | None = None,
        referencias: tuple[str, ...] = (),
        adjuntos: tuple[AdjuntoEntrante, ...] = (),
        message_id: str | None = None,
        automatico: bool = False,
    ) -> correo_entrante.ResultadoCorreo:
        pregunta = self.ultimo_enviado()
        correo = CorreoEntrante(
            message_id=message_id or f"ses-{next(_ids):06d}",
            remitente=de,
            destinatarios=(para if para is not None else pregunta.responder_a,),
            asunto=asunto if asunto is not None else f"RE: {pregunta.asunto}",
            cabecera_message_id=f"<r{next(_ids)}@cliente.example>",
            referencias=referencias,
            texto=texto,
            html=html,
            adjuntos=adjuntos,
            automatico=automatico,
        )
        self.buzon.guardar(correo)
        return self.recibir(correo.message_id, veredictos)

    def recibir(self, message_id: str, veredictos: dict[str, str] | None = None) -> correo_entrante.ResultadoCorreo:
        cmd = RecibirCorreo(message_id=message_id, veredictos=veredictos or dict(PASS))
        return correo_entrante.recibir(cmd, puertos=self.puertos)

    def estado(self, solicitud_id: str) -> str:
        return str(self.repo.obtener(solicitud_id).estado)

    def historial(self, solicitud_id: str, tipo: str) -> list[Any]:
        return [e for e in self.repo.historial(solicitud_id) if e.tipo == tipo]


@pytest.fixture
def correo(puertos, repo, clock, mailer, idempotencia):
    tokens, supresiones, buzon, almacen = (
        InMemoryTokensRespuesta(),
        InMemorySupresiones(),
        FakeBuzon(),
        InMemoryAlmacen(),
    )
    salida = SalidaCorreo(tokens=tokens, remitente=BUZONES.remitente)
    return Correo(
        puertos=correo_entrante.PuertosCorreo(
            solicitudes=puertos,
            idempotencia=idempotencia,
            buzon=buzon,
            tokens=tokens,
            documentos=almacen,
            bucket_documentos="vd-documentos",
            mailer=con_supresion(mailer, supresiones),
            plantillas=FakePlantillas(),
            salida=salida,
            buzones=BUZONES,
            url_publica="http://vd.test",
            autorizados={"HD": (HD, TURNO_HD), "EJ": (BUZONES.ejecutivos,)},
        ),
        reaccion=reacciones.PuertosReaccion(
            repo=repo,
            mailer=con_supresion(mailer, supresiones),
            plantillas=FakePlantillas(),
            idempotencia=idempotencia,
            buzones=BUZONES,
            url_publica="http://vd.test",
            salida=salida,
        ),
        tokens=tokens,
        supresiones=supresiones,
        buzon=buzon,
        almacen=almacen,
        mailer=mailer,
        repo=repo,
        clock=clock,
    )


# --- outbound: the question carries its reply address --------------------------------------------------------------


def test_the_help_desk_question_has_a_reply_address_with_a_token_bound_to_the_request(correo):
    # When
    solicitud_id = correo.preguntar_capacidad()
    # Then
    pregunta = correo.ultimo_enviado()
    token = correo.tokens.vigente(solicitud_id, "capacidad")
    assert pregunta.para == (HD,)
    assert pregunta.responder_a == direccion_respuesta(BUZONES.remitente, token.token)
    assert pregunta.responder_a.startswith("ventas-digitales+") and len(token.token) == 32
    assert (token.responsable, token.rol, token.proposito) == (HD, "HD", "capacidad")
    assert pregunta.message_id and correo.tokens.mensaje(pregunta.message_id).token == token.token
    assert correo.tokens.mensaje("ses-1").solicitud_id == solicitud_id


# --- the Help Desk decides by email --------------------------------------------------------------------------------


def test_a_si_with_a_maximum_speed_confirms_capacity_and_moves_to_negotiation(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    # When
    resultado = correo.responder("SI\nVelocidad máxima: 40 Mbps\nTecnología: fibra\nObservaciones: CT-114 libre")
    # Then
    assert resultado.estado == "aplicado" and resultado.accion == "confirmar_capacidad"
    s = correo.repo.obtener(solicitud_id)
    assert s.estado == "negociacion"
    assert s.capacidad["velocidad_maxima_mbps"] == 40 and s.capacidad["tecnologia"] == "FTTH"
    accion = next(e for e in correo.repo.historial(solicitud_id) if e.accion == "confirmar_capacidad")
    assert (accion.actor, accion.rol, accion.canal) == (HD, "HD", "correo")
    recibido = correo.historial(solicitud_id, "correo_recibido")
    assert len(recibido) == 1 and recibido[0].campos["accion"] == "confirmar_capacidad"


def test_a_si_without_a_speed_confirms_the_requested_one(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    # When
    correo.responder("Sí.")
    # Then
    assert correo.repo.obtener(solicitud_id).capacidad["velocidad_maxima_mbps"] == 50


def test_a_no_records_the_reason_and_the_request_is_not_attended(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    # When
    resultado = correo.responder("NO\nNo hay puertos libres en la caja terminal.")
    # Then
    assert resultado.accion == "negar_capacidad"
    s = correo.repo.obtener(solicitud_id)
    assert s.estado == "no_atendida" and s.motivo_cierre == "No hay puertos libres en la caja terminal."


def test_an_allowed_help_desk_mailbox_may_answer_for_the_team(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    # When
    resultado = correo.responder("si", de=TURNO_HD.upper())
    # Then
    assert resultado.estado == "aplicado" and correo.estado(solicitud_id) == "negociacion"


@pytest.mark.parametrize(
    "forma", ["correo_gmail_si.eml", "correo_outlook_no.eml", "correo_iphone.eml", "correo_solo_html.eml"]
)
def test_real_client_shapes_are_applied(correo, forma):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    pregunta = correo.ultimo_enviado()
    crudo = eml(
        forma, de=HD, para=pregunta.responder_a, asunto=f"RE: {pregunta.asunto}", en_respuesta_a=pregunta.message_id
    )
    correo.buzon.guardar_crudo("ses-forma", crudo)
    # When
    resultado = correo.recibir("ses-forma")
    # Then
    esperado = {
        "correo_gmail_si.eml": ("negociacion", 40),
        "correo_outlook_no.eml": ("no_atendida", None),
        "correo_iphone.eml": ("negociacion", 30),
        "correo_solo_html.eml": ("no_atendida", None),
    }[forma]
    s = correo.repo.obtener(solicitud_id)
    assert resultado.estado == "aplicado" and s.estado == esperado[0]
    if esperado[1]:
        assert s.capacidad["velocidad_maxima_mbps"] == esperado[1]
    else:
        assert "puertos" in s.motivo_cierre


# --- authorisation matrix ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dmarc", ["PASS", "FAIL", "GRAY"])
@pytest.mark.parametrize("token", ["valido", "desconocido", "vencido", "usado"])
@pytest.mark.parametrize("remitente", ["responsable", "otro"])
def test_only_dmarc_pass_with_a_valid_token_from_the_responder_applies(correo, dmarc, token, remitente):
    # Given a question, and what happened to its token
    solicitud_id = correo.preguntar_capacidad()
    para = correo.ultimo_enviado().responder_a
    if token == "desconocido":
        para = direccion_respuesta(BUZONES.remitente, "f" * 32)
    if token == "vencido":
        correo.clock.avanzar(days=11)
    if token == "usado":
        assert correo.responder("NO\nMotivo: primera respuesta").estado == "aplicado"
    antes = correo.repo.obtener(solicitud_id)
    enviados = len(correo.mailer.enviados)
    # When
    resultado = correo.responder(
        "SI\nVelocidad máxima: 40 Mbps",
        de=HD if remitente == "responsable" else "atacante@otro.example",
        para=para,
        veredictos={**PASS, "dmarc": dmarc},
    )
    # Then
    despues = correo.repo.obtener(solicitud_id)
    autorizado = dmarc == "PASS" and remitente == "responsable" and token in ("valido", "usado")
    if autorizado and token == "valido":
        assert resultado.estado == "aplicado" and despues.estado == "negociacion"
        return
    assert despues.version == antes.version and despues.estado == antes.estado
    if autorizado:  # a valid sender on a decided question is told so
        assert resultado.estado == "ya_decidido" and len(correo.mailer.enviados) == enviados + 1
    else:
        assert resultado.estado == "rechazado"
        assert len(correo.mailer.enviados) == enviados, "no automatic answer to a rejected (maybe forged) email"
        rechazo = correo.historial(solicitud_id, "correo_rechazado")
        assert rechazo and rechazo[-1].campos["motivo"] == resultado.motivo


@pytest.mark.parametrize("veredicto", ["spf", "dkim", "spam", "virus"])
def test_any_failed_verdict_rejects_the_reply(correo, veredicto):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    # When
    resultado = correo.responder("SI", veredictos={**PASS, veredicto: "FAIL"})
    # Then
    assert (resultado.estado, resultado.motivo) == ("rechazado", "veredictos")
    assert correo.estado(solicitud_id) == "consulta_help_desk"


def test_the_same_ses_message_delivered_twice_is_applied_once(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    primero = correo.responder("SI\nVelocidad máxima: 40 Mbps", message_id="ses-doble")
    # When
    segundo = correo.recibir("ses-doble")
    # Then
    assert (primero.estado, segundo.estado) == ("aplicado", "duplicado")
    acciones = [
        e for e in correo.repo.historial(solicitud_id) if e.tipo == "accion" and e.accion == "confirmar_capacidad"
    ]
    assert len(acciones) == 1


# --- correlation --------------------------------------------------------------------------------------------------


def test_a_reply_to_the_plain_mailbox_is_correlated_by_in_reply_to(correo):
    # Given a client that dropped the Reply-To
    solicitud_id = correo.preguntar_capacidad()
    pregunta = correo.ultimo_enviado()
    # When
    resultado = correo.responder("SI", para=BUZONES.remitente, referencias=(pregunta.message_id,))
    # Then
    assert resultado.estado == "aplicado" and correo.estado(solicitud_id) == "negociacion"


def test_the_subject_tag_finds_the_open_question_but_never_authorises_a_stranger(correo):
    # Given a fresh email (no token, no In-Reply-To) with the subject tag
    solicitud_id = correo.preguntar_capacidad()
    asunto = f"Capacidad [{solicitud_id}]"
    # When
    extrano = correo.responder("SI", para=BUZONES.remitente, asunto=asunto, de="alguien@otro.example")
    legitimo = correo.responder("SI", para=BUZONES.remitente, asunto=asunto)
    # Then
    assert (extrano.estado, extrano.motivo) == ("rechazado", "remitente_no_autorizado")
    assert legitimo.estado == "aplicado"


def test_an_email_about_nothing_we_know_is_rejected_without_history(correo):
    # Given
    correo.preguntar_capacidad()
    # When
    resultado = correo.responder("SI", para=BUZONES.remitente, asunto="Hola")
    # Then
    assert (resultado.estado, resultado.motivo, resultado.solicitud_id) == ("rechazado", "sin_correlacion", None)


def test_a_wrong_token_is_not_bypassed_by_the_subject_tag(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    # When
    resultado = correo.responder("SI", para=direccion_respuesta(BUZONES.remitente, "0" * 32))
    # Then
    assert (resultado.estado, resultado.motivo) == ("rechazado", "token_desconocido")
    assert correo.historial(solicitud_id, "correo_rechazado")


# --- unreadable, already decided, auto-replies --------------------------------------------------------------------


def test_an_unreadable_reply_gets_an_explanation_and_changes_nothing(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    pregunta = correo.ultimo_enviado()
    # When
    resultado = correo.responder("Creo que sí, pero confirmo mañana")
    # Then
    assert resultado.estado == "no_entendido" and correo.estado(solicitud_id) == "consulta_help_desk"
    respuesta = correo.ultimo_enviado()
    assert respuesta.para == (HD,) and "respuesta_no_entendida" in respuesta.asunto
    assert respuesta.responder_a == pregunta.responder_a, "the answer can be answered again"
    assert respuesta.cabeceras["Auto-Submitted"] == "auto-replied"
    assert correo.historial(solicitud_id, "correo_recibido")[-1].campos["problema"]


def test_a_si_only_in_the_quoted_history_is_unreadable(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    pregunta = correo.ultimo_enviado()
    correo.buzon.guardar_crudo(
        "ses-cita",
        eml(
            "correo_solo_cita.eml", de=HD, para=pregunta.responder_a, asunto="RE: x", en_respuesta_a=pregunta.message_id
        ),
    )
    # When
    resultado = correo.recibir("ses-cita")
    # Then
    assert resultado.estado == "no_entendido" and correo.estado(solicitud_id) == "consulta_help_desk"


def test_an_unreadable_speed_is_explained(correo):
    # Given
    correo.preguntar_capacidad()
    # When
    resultado = correo.responder("SI\nVelocidad máxima: cuarenta")
    # Then
    assert resultado.estado == "no_entendido" and "cuarenta" in resultado.motivo


def test_a_speed_out_of_range_is_explained_by_the_field_validation(correo):
    # Given
    correo.preguntar_capacidad()
    # When
    resultado = correo.responder("SI\nVelocidad máxima: 0 Mbps")
    # Then
    assert resultado.estado == "no_entendido" and "Velocidad máxima" in resultado.motivo


def test_a_reply_to_a_question_decided_in_the_staff_api_says_who_decided(correo, puertos):
    # Given Help Desk answered through the staff API first
    from chalicelib.domain.commands import AplicarAccion
    from chalicelib.domain.model import Rol
    from chalicelib.services import solicitudes

    solicitud_id = correo.preguntar_capacidad()
    comando = AplicarAccion(solicitud_id, "negar_capacidad", {"motivo": "sin puertos"}, "hugo@ventas.test", Rol.HD)
    solicitudes.aplicar(comando, puertos=puertos)
    # When
    resultado = correo.responder("SI")
    # Then
    assert resultado.estado == "ya_decidido" and correo.estado(solicitud_id) == "no_atendida"
    assert "respuesta_ya_decidida" in correo.ultimo_enviado().asunto


def test_an_auto_reply_is_never_a_decision_nor_answered(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    enviados = len(correo.mailer.enviados)
    # When
    resultado = correo.responder("No estoy en la oficina hasta el lunes.", automatico=True)
    fuera = correo.responder("NO estaré disponible", asunto="Respuesta automática: Confirmar capacidad")
    # Then
    assert resultado.estado == fuera.estado == "ignorado"
    assert correo.estado(solicitud_id) == "consulta_help_desk" and len(correo.mailer.enviados) == enviados


# --- documents -----------------------------------------------------------------------------------------------------


def test_the_customer_documents_are_stored_encrypted_and_linked_to_the_requirements(correo):
    # Given
    solicitud_id = correo.pedir_requisitos()
    pregunta = next(c for c in correo.mailer.enviados if c.responder_a)
    crudo = eml(
        "correo_documentos.eml",
        de="maria.quispe@example.com",
        para=pregunta.responder_a,
        asunto=f"RE: {pregunta.asunto}",
        en_respuesta_a=pregunta.message_id,
    )
    correo.buzon.guardar_crudo("ses-docs", crudo)
    # When
    resultado = correo.recibir("ses-docs")
    # Then
    assert resultado.estado == "documentos"
    s = correo.repo.obtener(solicitud_id)
    assert set(s.requisitos) == {"ci", "carta_solicitud"}
    assert s.requisitos["ci"]["documento"].startswith("s3://vd-documentos/correo/")
    claves = sorted(correo.almacen.objetos)
    assert len(claves) == 3 and not any(k.endswith(".exe") for k in claves)
    sin_clasificar = correo.historial(solicitud_id, "documento_recibido")
    assert [e.campos["nombre"] for e in sin_clasificar] == ["IMG_20261130_1502.png"]
    recibido = correo.historial(solicitud_id, "correo_recibido")[0]
    assert "ver_fotos.exe descartado" in recibido.resumen
    aviso = correo.ultimo_enviado()
    assert aviso.para == (BUZONES.ejecutivos,) and "documentos_recibidos" in aviso.asunto


def test_an_oversized_attachment_is_dropped(correo):
    # Given
    solicitud_id = correo.pedir_requisitos()
    grande = AdjuntoEntrante("ci.jpg", "image/jpeg", b"\xff" * (10 * 1024 * 1024 + 1))
    # When
    correo.responder("Adjunto mi CI", de="maria.quispe@example.com", adjuntos=(grande,))
    # Then
    assert correo.almacen.objetos == {} and "ci" not in correo.repo.obtener(solicitud_id).requisitos


def test_documents_from_a_stranger_are_rejected(correo):
    # Given
    correo.pedir_requisitos()
    # When
    resultado = correo.responder("ci", de="otro@example.com", adjuntos=(AdjuntoEntrante("ci.jpg", "image/jpeg", b"x"),))
    # Then
    assert resultado.estado == "rechazado" and correo.almacen.objetos == {}


# --- bounces and suppression ---------------------------------------------------------------------------------------


def test_a_hard_bounce_suppresses_the_address_and_later_emails_skip_it(correo):
    # Given the customer's address bounced
    solicitud_id = correo.preguntar_capacidad()
    cliente = correo.repo.obtener(solicitud_id).email
    notificacion = RegistrarNotificacionCorreo(
        tipo="rebote",
        direcciones=(cliente.upper(),),
        en="2026-11-30T13:00:00.000Z",
        referencia="fb-1",
        permanente=True,
        message_id="ses-1",
        detalle="General smtp; 550 5.1.1 user unknown",
    )
    puertos = correo_entrante.PuertosNotificacion(
        repo=correo.repo, tokens=correo.tokens, supresiones=correo.supresiones, clock=correo.clock
    )
    # When
    suprimidas = correo_entrante.registrar_notificacion(notificacion, puertos=puertos)
    correo_entrante.registrar_notificacion(notificacion, puertos=puertos)
    enviados = len(correo.mailer.enviados)
    correo._reaccionar(solicitud_id, "enviar_oferta", "negociacion", "oferta_enviada")
    # Then
    assert suprimidas == [cliente.lower()]
    assert len(correo.historial(solicitud_id, "correo_rebotado")) == 1
    nuevos = correo.mailer.enviados[enviados:]
    assert all(cliente not in c.para for c in nuevos)
    no_enviado = correo.historial(solicitud_id, "correo_no_enviado")
    assert no_enviado and "dirección suprimida" in no_enviado[0].resumen


def test_a_transient_bounce_is_recorded_but_not_suppressed(correo):
    # Given
    solicitud_id = correo.preguntar_capacidad()
    puertos = correo_entrante.PuertosNotificacion(
        repo=correo.repo, tokens=correo.tokens, supresiones=correo.supresiones, clock=correo.clock
    )
    notificacion = RegistrarNotificacionCorreo(
        tipo="rebote", direcciones=(HD,), en="", referencia="fb-2", solicitud_id=solicitud_id
    )
    # When
    suprimidas = correo_entrante.registrar_notificacion(notificacion, puertos=puertos)
    # Then
    assert suprimidas == [] and correo.supresiones.direcciones == {}
    assert "temporalmente" in correo.historial(solicitud_id, "correo_rebotado")[0].resumen


# --- other inbound flows -------------------------------------------------------------------------------------------


def test_a_bank_notification_is_handed_to_the_payments_flow_first(correo):
    # Given a flow that claims mail from a bank's domain
    from dataclasses import replace

    vistos = []

    def derivar(banco):
        vistos.append(banco)
        return {"resultado": "conciliado", "solicitud_id": "VD-00000009"} if banco.dominio == "banco.example" else None

    correo.puertos = replace(correo.puertos, derivar=derivar)
    correo.preguntar_capacidad()
    # When a bank notification and a Help Desk reply arrive
    banco = correo.responder("Abono recibido", de="avisos@banco.example", veredictos={**PASS, "dkim": "PASS"})
    respuesta = correo.responder("SI")
    # Then
    assert (banco.estado, banco.motivo, banco.solicitud_id) == ("derivado", "conciliado", "VD-00000009")
    assert vistos[0].dmarc == "PASS" and vistos[0].texto == "Abono recibido"
    assert respuesta.estado == "aplicado"


def test_documents_sent_in_an_older_decided_thread_go_to_the_open_documents_question(correo):
    # Given a request waiting for documents, and an older question of it already closed
    solicitud_id = correo.pedir_requisitos()
    cerrada = correo.tokens.emitir(
        TokenRespuesta(
            "", solicitud_id, "capacidad", "maria.quispe@example.com", "HD", "2026-11-29", "2026-12-09T00:00:00-04:00"
        )
    )
    # When the customer attaches the CI to a reply in that older thread
    resultado = correo.responder(
        "Adjunto mi carnet",
        de="maria.quispe@example.com",
        para=direccion_respuesta(BUZONES.remitente, cerrada.token),
        adjuntos=(AdjuntoEntrante("ci.jpg", "image/jpeg", b"\xff\xd8"),),
    )
    # Then
    assert resultado.estado == "documentos"
    assert "ci" in correo.repo.obtener(solicitud_id).requisitos
