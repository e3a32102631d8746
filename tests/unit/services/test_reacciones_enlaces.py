"""A signed link reaches only the person it binds (issue 16, item 3): the bound recipient's email carries the links
and nobody else; copy recipients get a separate email rendered without them, each claimed once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.ports import CorreoRenderizado
from chalicelib.services import contextos, reacciones
from chalicelib.services.correo_saliente import SalidaCorreo, id_mensaje
from tests.factories import make_entrada, make_solicitud
from tests.fakes_correo import InMemoryTokensRespuesta
from tests.fakes_pagos import InMemoryAprobaciones
from tests.unit.services.conftest import BUZONES
from tests.unit.services.enlaces_util import puertos_enlaces


class PlantillasConEnlaces:
    """Renders the signed links of the context into the text, so the test sees what each recipient got."""

    def __init__(self) -> None:
        self.contextos: list[dict] = []

    def correo(self, nombre, contexto):
        self.contextos.append(dict(contexto))
        enlaces = " ".join(
            str(v) for k, v in sorted(contexto.items()) if k.startswith("url_") and "/aprobaciones/" in v
        )
        marca = "COPIA " if contexto.get("copia") else ""
        return CorreoRenderizado(asunto=nombre, texto=f"{marca}{nombre} {enlaces}", html="<p></p>")


@pytest.fixture
def aprobaciones():
    return InMemoryAprobaciones()


@pytest.fixture
def tokens():
    return InMemoryTokensRespuesta()


@pytest.fixture
def puertos(puertos_reaccion, aprobaciones, clock, tokens):
    enlaces = puertos_enlaces(aprobaciones, clock)
    salida = SalidaCorreo(tokens=tokens, remitente=BUZONES.remitente)
    return replace(puertos_reaccion, plantillas=PlantillasConEnlaces(), enlaces=enlaces, salida=salida)


def _evento(s, accion):
    return AccionAplicada(
        solicitud_id=s.id,
        cambio_id=f"c-{accion}",
        accion=accion,
        de="x",
        a=s.estado,
        rol="EJ",
        actor="ej",
        en=s.actualizada_en,
    )


def _guardada(repo, **campos):
    s = make_solicitud(
        oferta={"plan": "Hogar Fibra 50", "plan_id": "hogar-fibra-50", "tarifa_mensual_bs": 199.0}, **campos
    )
    repo.crear(s, make_entrada(s))
    return s


@pytest.mark.parametrize(
    ("accion", "estado", "nombre", "vinculado"),
    [
        ("enviar_oferta", "oferta_enviada", "carta_comercial", "maria@example.com"),
        ("aprobar_deposito", "facturacion_caja", "instruccion_cajas", BUZONES.cajas),
    ],
)
def test_the_bound_person_gets_the_links_and_the_copy_recipients_a_copy_without_them(
    repo, puertos, mailer, aprobaciones, idempotencia, accion, estado, nombre, vinculado
):
    # Given a reaction whose links bind one person and which copies the executives
    s = _guardada(repo, estado=estado, datos={"nombre": "María", "email": "maria@example.com"})

    # When it runs
    assert reacciones.reaccionar(_evento(s, accion), puertos=puertos) == [nombre]

    # Then two emails: the bound person's with the links and nobody on copy, the executives' without any link
    principal, copia = mailer.enviados
    assert (principal.para, principal.cc) == ((vinculado,), ())
    assert "/aprobaciones/" in principal.texto and not principal.texto.startswith("COPIA")
    assert (copia.para, copia.cc) == ((BUZONES.ejecutivos,), ())
    assert "/aprobaciones/" not in copia.texto and copia.texto.startswith("COPIA")
    # And one link only (the copy issued none), bound to that person
    (registro,) = aprobaciones.registros.values()
    assert registro.responsable == vinculado
    # And the main email keeps its Message-ID (and reply token); the copy has its own and no token
    assert principal.message_id == id_mensaje(f"c-{accion}.{nombre}", BUZONES.remitente)
    assert copia.message_id == id_mensaje(f"c-{accion}.{nombre}.copia", BUZONES.remitente)
    assert copia.responder_a is None
    assert idempotencia.resultado(f"reaccion#c-{accion}#{nombre}") == "ses-1"
    assert idempotencia.resultado(f"reaccion#c-{accion}#{nombre}#copia") == "ses-2"
    # And the history has both, the copy marked
    correos = {e.id: e for e in repo.historial(s.id) if e.tipo == "correo"}
    assert correos[f"c-{accion}#{nombre}"].campos["para"] == [vinculado]
    assert correos[f"c-{accion}#{nombre}#copia"].campos["copia_sin_enlaces"] is True


def test_the_offer_reply_token_binds_the_customer_and_only_reaches_her(repo, puertos, mailer, tokens):
    s = _guardada(repo, estado="oferta_enviada", datos={"email": "maria@example.com"})
    reacciones.reaccionar(_evento(s, "enviar_oferta"), puertos=puertos)
    principal, copia = mailer.enviados
    (token,) = tokens.tokens.values()
    assert token.responsable == "maria@example.com" and token.token in (principal.responder_a or "")
    assert copia.responder_a is None


def test_a_redelivered_change_sends_nothing_twice_and_issues_no_second_link(repo, puertos, mailer, aprobaciones):
    s = _guardada(repo, estado="facturacion_caja")
    reacciones.reaccionar(_evento(s, "aprobar_deposito"), puertos=puertos)
    assert reacciones.reaccionar(_evento(s, "aprobar_deposito"), puertos=puertos) == []
    assert len(mailer.enviados) == 2 and len(aprobaciones.registros) == 1


def test_a_copy_that_failed_is_sent_on_redelivery_without_resending_the_main_email(repo, puertos, mailer, aprobaciones):
    # Given the main email sent and the copy failing
    s = _guardada(repo, estado="facturacion_caja")
    original = mailer.enviar

    def falla_la_copia(correo):
        if correo.para == (BUZONES.ejecutivos,):
            raise RuntimeError("SES caído")
        return original(correo)

    mailer.enviar = falla_la_copia
    with pytest.raises(RuntimeError):
        reacciones.reaccionar(_evento(s, "aprobar_deposito"), puertos=puertos)
    assert [c.para for c in mailer.enviados] == [(BUZONES.cajas,)]

    # When the change is redelivered
    mailer.enviar = original
    reacciones.reaccionar(_evento(s, "aprobar_deposito"), puertos=puertos)

    # Then only the copy goes, still without a link, and no second link is issued
    assert [c.para for c in mailer.enviados] == [(BUZONES.cajas,), (BUZONES.ejecutivos,)]
    assert "/aprobaciones/" not in mailer.enviados[1].texto and len(aprobaciones.registros) == 1


def test_without_a_main_email_there_is_no_copy(repo, puertos, mailer):
    # A customer without an email gets no Carta Comercial by email, so the executives get no copy of it either
    s = _guardada(repo, estado="oferta_enviada", datos={"nombre": "María"})
    reacciones.reaccionar(_evento(s, "enviar_oferta"), puertos=puertos)
    assert mailer.enviados == []


def test_reactions_without_signed_links_keep_their_copy_recipients(repo, puertos, mailer):
    s = _guardada(repo, estado="pago_pendiente", datos={"email": "maria@example.com"})
    reacciones.reaccionar(_evento(s, "elegir_prepago"), puertos=puertos)
    (correo,) = mailer.enviados
    assert (correo.para, correo.cc) == (("maria@example.com",), (BUZONES.ejecutivos,))


def test_every_reaction_whose_context_issues_links_is_sent_apart_from_its_copies():
    # Every builder that issues signed links is registered; no other reaction context issues any
    con_enlaces = {r.nombre for rs in reacciones.REACCIONES.values() for r in rs if r.contexto in contextos.CON_ENLACES}
    assert con_enlaces == {
        "carta_comercial",
        "validar_deposito",
        "notificacion_banco",
        "validar_pago_web",
        "instruccion_cajas",
        "entrega_factura",
    }


def test_an_unregistered_builder_with_links_never_puts_them_on_a_copy(repo, puertos, mailer):
    # Given a reaction whose (unregistered) context builder issues a link and which has copy recipients
    def con_enlace(s, evento, p):
        return contextos._enlaces(s, p, "impresion", contextos.Rol.CA, p.buzones.cajas, ("imprimir",))

    reaccion = reacciones.Reaccion(
        "prueba", "prueba", lambda s, b: (b.cajas,), lambda s, b: (b.ejecutivos,), contexto=con_enlace
    )
    s = _guardada(repo, estado="facturacion_caja")
    evento = _evento(s, "aprobar_deposito")

    # When it is sent
    reacciones._correo(reaccion, evento, s, puertos, reacciones._Preparacion(reaccion, evento, s, puertos))

    # Then the link goes to Cajas alone (the copy recipients are dropped rather than given the link)
    (correo,) = mailer.enviados
    assert (correo.para, correo.cc) == ((BUZONES.cajas,), ()) and "/aprobaciones/" in correo.texto
