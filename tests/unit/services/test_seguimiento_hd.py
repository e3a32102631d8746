"""Help Desk loop: an unanswered capacity question gets one reminder (same reply token), then one escalation to the
team lead, counted in business minutes; both are in the history."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.calendario import CalendarioLaboral
from chalicelib.domain.correo import TokenRespuesta
from chalicelib.services import seguimiento_hd
from chalicelib.services.correo_entrante import PROPOSITOS
from chalicelib.services.correo_saliente import SalidaCorreo
from tests.factories import make_entrada, make_solicitud
from tests.fakes import FakeCalendario, FakePlantillas, con_supresion
from tests.fakes_correo import InMemoryTokensRespuesta
from tests.unit.services.conftest import BUZONES

LA_PAZ = ZoneInfo("America/La_Paz")


@pytest.fixture
def tokens():
    return InMemoryTokensRespuesta()


@pytest.fixture
def seguimiento(repo, clock, mailer, idempotencia, tokens):
    def construir(calendario=None):
        return seguimiento_hd.PuertosSeguimiento(
            repo=repo,
            clock=clock,
            calendario=calendario or FakeCalendario(),
            mailer=con_supresion(mailer),
            plantillas=FakePlantillas(),
            idempotencia=idempotencia,
            salida=SalidaCorreo(tokens=tokens, remitente=BUZONES.remitente),
            pregunta=PROPOSITOS["capacidad"].pregunta(),
            buzones=BUZONES,
            url_publica="http://vd.test",
        )

    return construir


def _en_consulta(repo, clock, tokens=None):
    desde = clock.ahora().isoformat()
    s = make_solicitud(estado="consulta_help_desk", estado_desde=desde, capacidad={"solicitud": {}})
    repo.crear(s, make_entrada(s))
    if tokens is not None:
        return s.id, tokens.emitir(
            TokenRespuesta("", s.id, "capacidad", BUZONES.help_desk, "HD", desde, "2026-12-10T09:00:00-04:00")
        )
    return s.id, None


def test_the_help_desk_is_reminded_once_with_the_same_reply_token(repo, clock, mailer, tokens, seguimiento):
    # Given a question asked 119 minutes ago
    solicitud_id, token = _en_consulta(repo, clock, tokens)
    clock.avanzar(minutes=119)
    assert seguimiento_hd.recordar_help_desk(puertos=seguimiento()) == {"recordadas": [], "escaladas": []}
    # When the reminder time passes, and the job runs twice
    clock.avanzar(minutes=2)
    primera = seguimiento_hd.recordar_help_desk(puertos=seguimiento())
    segunda = seguimiento_hd.recordar_help_desk(puertos=seguimiento())
    # Then
    assert primera == {"recordadas": [solicitud_id], "escaladas": []}
    assert segunda == {"recordadas": [], "escaladas": []}
    (recordatorio,) = mailer.enviados
    assert recordatorio.para == (BUZONES.help_desk,) and "recordatorio_help_desk" in recordatorio.asunto
    assert recordatorio.responder_a == f"ventas-digitales+{token.token}@ventas.test"
    assert [e.tipo for e in repo.historial(solicitud_id)][-1] == "recordatorio"


def test_then_the_team_lead_gets_one_escalation(repo, clock, mailer, tokens, seguimiento):
    # Given
    solicitud_id, _ = _en_consulta(repo, clock, tokens)
    clock.avanzar(minutes=125)
    seguimiento_hd.recordar_help_desk(puertos=seguimiento())
    # When
    clock.avanzar(minutes=120)
    resultado = seguimiento_hd.recordar_help_desk(puertos=seguimiento())
    seguimiento_hd.recordar_help_desk(puertos=seguimiento())
    # Then
    assert resultado == {"recordadas": [], "escaladas": [solicitud_id]}
    escalamiento = mailer.enviados[-1]
    assert escalamiento.para == (BUZONES.responsable_canales,) and escalamiento.cc == (BUZONES.ejecutivos,)
    assert escalamiento.responder_a is None
    tipos = [e.tipo for e in repo.historial(solicitud_id)]
    assert tipos.count("recordatorio") == 1 and tipos.count("escalamiento") == 1
    assert len(mailer.enviados) == 2


def test_an_answered_question_is_not_followed_up(repo, clock, mailer, seguimiento):
    # Given a request that left consulta_help_desk
    s = make_solicitud(estado="negociacion", estado_desde=clock.ahora().isoformat())
    repo.crear(s, make_entrada(s))
    # When
    clock.avanzar(hours=8)
    resultado = seguimiento_hd.recordar_help_desk(puertos=seguimiento())
    # Then
    assert resultado == {"recordadas": [], "escaladas": []} and mailer.enviados == []


def test_without_a_valid_token_the_reminder_issues_a_new_one(repo, clock, mailer, tokens, seguimiento):
    # Given a question whose token was already used (e.g. an answer that could not be applied)
    solicitud_id, token = _en_consulta(repo, clock, tokens)
    tokens.marcar_usado(token.token, en="x", por="y", decision="z")
    # When
    clock.avanzar(minutes=121)
    seguimiento_hd.recordar_help_desk(puertos=seguimiento())
    # Then
    nuevo = tokens.vigente(solicitud_id, "capacidad")
    assert nuevo.token != token.token and mailer.enviados[0].responder_a.endswith(f"+{nuevo.token}@ventas.test")


def test_business_minutes_skip_the_night_and_sunday(repo, clock, mailer, tokens, seguimiento):
    # Given a question asked on Friday 17:45 (La Paz): 45 business minutes left that day
    clock.momento = datetime(2026, 11, 27, 17, 45, tzinfo=LA_PAZ)
    solicitud_id, _ = _en_consulta(repo, clock, tokens)
    puertos = seguimiento(CalendarioLaboral())
    # When the job runs that night, on Saturday 10:30 and on Monday 08:50
    clock.momento = datetime(2026, 11, 27, 23, 0, tzinfo=LA_PAZ)
    noche = seguimiento_hd.recordar_help_desk(puertos=puertos)
    clock.momento = datetime(2026, 11, 28, 10, 30, tzinfo=LA_PAZ)
    sabado = seguimiento_hd.recordar_help_desk(puertos=puertos)
    clock.momento = datetime(2026, 11, 30, 8, 50, tzinfo=LA_PAZ)
    lunes = seguimiento_hd.recordar_help_desk(puertos=puertos)
    # Then (120 business minutes end on Saturday 10:15; 240 on Monday 08:45)
    assert noche == {"recordadas": [], "escaladas": []}
    assert sabado == {"recordadas": [solicitud_id], "escaladas": []}
    assert lunes == {"recordadas": [], "escaladas": [solicitud_id]}
