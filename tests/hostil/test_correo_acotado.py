"""Issue 16, items 4-6: the inbound mail door bounded before anyone is authenticated, through the SES receipt
handler with raw MIME (``mundo.servicios.buzon_entrante`` parses like ``S3BuzonEntrante``).

4. One reply line no longer takes the function down: the reply grammar never reads more than its caps (a spy on
   the line patterns), and every pattern runs in linear time on the pathological line.
5. A message of 300,000 tiny parts, one nested 1,000 levels deep, one of 5 million lines, one over SES's size or
   one the parser fails on is refused unparsed (or caught), recorded under its message id, and never retried.
6. Two From headers, one From with two mailboxes, or two Sender headers: refused and recorded, nothing applied,
   nobody answered; a Sender never stands in for the From author.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
from pathlib import Path

import pytest

from chalicelib.domain import respuestas
from chalicelib.domain.correo import MAX_BYTES_CORREO, MAX_PARTES, MAX_PROFUNDIDAD, TokenRespuesta

EVENTO = json.loads((Path(__file__).resolve().parents[1] / "events" / "ses_recepcion.json").read_text(encoding="utf-8"))
CO = "cobranzas@ventas.comteco.local"
_n = itertools.count(1)


def _deposito(mundo):
    """A deposit under validation and Collections' reply token for it: (request, reply address)."""
    s = mundo.guardar(
        estado="validacion_deposito",
        oferta={"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        pago={"monto_bs": 349.0, "numero_deposito": "DEP-7", "fecha_deposito": "2026-11-29"},
    )
    emitido = mundo.servicios.overrides["tokens_respuesta"].emitir(
        TokenRespuesta("", s.id, "deposito", CO, "CO", "2026-11-26T09:00:00-04:00", "2026-12-03T09:00:00-04:00")
    )
    return s, f"ventas-digitales+{emitido.token}@ventas.comteco.local"


def _entregar(mundo, crudo: bytes, para: str) -> dict:
    """SES stores ``crudo`` and invokes the handler, every verdict PASS: the handler's result for it."""
    message_id = f"ses-acotado-{next(_n)}"
    mundo.servicios.buzon_entrante.crudos[message_id] = crudo
    evento = copy.deepcopy(EVENTO)
    ses = evento["Records"][0]["ses"]
    ses["mail"]["messageId"] = message_id
    ses["receipt"]["recipients"] = [para]
    for v in ("spf", "dkim", "dmarc", "spam", "virus"):
        ses["receipt"][f"{v}Verdict"] = {"status": "PASS"}
    respuesta = mundo.cliente.lambda_.invoke("on_correo_entrante", evento).payload  # returns: never retried
    assert respuesta["disposition"] == "CONTINUE"
    mundo.cifras["on_correo_entrante (acotado)"]["ejemplos"] += 1
    return {"message_id": message_id, **respuesta["resultados"][0]}


def _cabeceras(para: str, s_id: str, extra: str = "From: " + CO + "\r\n") -> bytes:
    return (
        f"{extra}To: {para}\r\nSubject: RE: [{s_id}] Validar depósito\r\nMessage-ID: <a{next(_n)}@x.example>\r\n"
    ).encode()


def _sin_cambios(mundo, s, enviados: int) -> None:
    actual = mundo.servicios.repo.obtener(s.id)
    assert (actual.estado, actual.version) == (s.estado, s.version)
    assert len(mundo.servicios.mailer.transporte.enviados) == enviados, "no answer to a refused mail"


def _registro(mundo, message_id: str) -> str | None:
    return mundo.servicios.overrides["idempotencia"].resultado(f"correo#{message_id}")


# --- 4. one reply line ------------------------------------------------------------------------------------------


class _Espia:
    """Wraps a compiled pattern and records the longest string it was applied to."""

    def __init__(self, patron: re.Pattern[str]) -> None:
        self.patron, self.mayor = patron, 0

    def _visto(self, texto: str) -> str:
        self.mayor = max(self.mayor, len(texto))
        return texto

    def match(self, texto: str, *a):
        return self.patron.match(self._visto(texto), *a)

    def search(self, texto: str, *a):
        return self.patron.search(self._visto(texto), *a)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kib", [33, 132])
def test_a_de_line_of_spaces_never_reaches_the_line_patterns_beyond_the_cap(mundo, monkeypatch, kib):
    # Given a customer's request awaiting Collections and a reply whose body is one line "De:" + spaces, base64
    s, para = _deposito(mundo)
    espias = {n: _Espia(getattr(respuestas, n)) for n in ("_OUTLOOK_DE", "_FIRMA", "_SEPARADOR", "_CITA")}
    for nombre, espia in espias.items():
        monkeypatch.setattr(respuestas, nombre, espia)
    linea = "De:" + " " * (kib * 1024)
    cuerpo = base64.encodebytes(("APROBADO\n" + linea + "\n").encode())
    crudo = (
        _cabeceras(para, s.id)
        + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + cuerpo
    )
    # When SES hands it to the handler
    resultado = _entregar(mundo, crudo, para)
    # Then the reply is read (the decision is on line 1) and no line pattern ever saw more than the line cap:
    # before the fix _OUTLOOK_DE ran on all 33 KiB / 132 KiB (4 s / 55 s of quadratic backtracking)
    assert resultado["estado"] == "aplicado", resultado
    assert 0 < max(e.mayor for e in espias.values()) <= respuestas.MAX_CARACTERES_LINEA


def test_the_reply_grammar_reads_only_its_caps(monkeypatch):
    vistos: list[int] = []
    original = respuestas._es_bloque_outlook

    def contar(lineas, i):
        vistos.append(len(lineas))
        return original(lineas, i)

    monkeypatch.setattr(respuestas, "_es_bloque_outlook", contar)
    texto = "SI\n" + "x\n" * (300 * 1024)
    respuestas.interpretar(texto)
    assert max(vistos) <= respuestas.MAX_CARACTERES_RESPUESTA // 2 + 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "linea",
    [
        "De:" + " " * 131072,
        "*De:" + " *" * 65536,
        " " * 131072 + "x",
        "Velocidad:" + " " * 65536 + "x" + " " * 65536 + "y",
        "hasta " + "1" * 131072 + "x",
        "-" * 131072 + "x",
        "El " + " " * 65536 + "escribió" + " " * 65536 + "x",
    ],
    ids=["de", "de_estrellas", "espacios", "clave_valor", "digitos", "guiones", "atribucion"],
)
def test_every_pattern_is_linear_on_a_pathological_line_even_without_the_caps(monkeypatch, linea):
    # Without the caps a 128 KiB line reaches the patterns whole: each must still be linear (one pass, no retry
    # from every position), so this returns in milliseconds; the quadratic forms took minutes
    monkeypatch.setattr(respuestas, "MAX_CARACTERES_RESPUESTA", 10**9)
    monkeypatch.setattr(respuestas, "MAX_CARACTERES_LINEA", 10**9)
    respuestas.interpretar("SI\n" + linea)
    respuestas.leer_mbps(linea), respuestas.velocidad_en_texto(linea)


# --- 5. mail parsed whole before anyone is authenticated ----------------------------------------------------------


def _partes(n: int) -> bytes:
    return (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        + b"--b\r\n\r\nx\r\n" * n  # three lines a part: 300,000 parts stay under the line limit
        + b"--b--\r\n"
    )


def _anidado(niveles: int) -> bytes:
    return (
        b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(niveles))
        + b"Content-Type: text/plain\r\n\r\nAPROBADO\r\n"
    )


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("cuerpo", "motivo"),
    [
        (lambda: _partes(300_000), "demasiadas_partes"),
        (lambda: _anidado(1000), "anidamiento_excesivo"),
        (lambda: _anidado(MAX_PROFUNDIDAD + 1), "anidamiento_excesivo"),
        (lambda: _partes(MAX_PARTES + 1), "demasiadas_partes"),
        (lambda: b"Content-Type: text/plain\r\n\r\nAPROBADO\n" + b"a\n" * 1_000_001, "demasiadas_lineas"),
        (lambda: b"Content-Type: text/plain\r\n\r\n" + b"A" * MAX_BYTES_CORREO, "correo_demasiado_grande"),
    ],
    ids=["300k_partes", "1000_niveles", "niveles_max_mas_1", "partes_max_mas_1", "lineas", "tamano"],
)
def test_a_mail_over_a_limit_is_refused_unparsed_recorded_and_not_retried(mundo, monkeypatch, cuerpo, motivo):
    # Given a pending deposit, and a parser that must not run on such mail
    from email.parser import BytesParser

    s, para = _deposito(mundo)
    enviados = len(mundo.servicios.mailer.transporte.enviados)
    parseos: list[int] = []
    original = BytesParser.parsebytes
    monkeypatch.setattr(BytesParser, "parsebytes", lambda self, b, *a, **k: parseos.append(len(b)) or original(self, b))
    # When anyone sends it to the reply address (every verdict PASS)
    resultado = _entregar(mundo, _cabeceras(para, s.id) + cuerpo(), para)
    # Then it is refused before the parser ever sees it (before the fix: 123 s and 387 MB for 300,000 parts, an
    # uncaught RecursionError for 1,000 levels, so Lambda retried it), recorded under its id, nothing changes
    assert (resultado["estado"], resultado["motivo"]) == ("rechazado", motivo)
    assert parseos == []
    assert _registro(mundo, resultado["message_id"]) == f"rechazado:{motivo}"
    _sin_cambios(mundo, s, enviados)


def test_the_limits_leave_a_real_reply_alone(mundo):
    # A reply at the edges: MAX_PROFUNDIDAD - 1 levels and a few parts, read and applied as before
    s, para = _deposito(mundo)
    resultado = _entregar(mundo, _cabeceras(para, s.id) + _anidado(MAX_PROFUNDIDAD - 1), para)
    assert resultado["estado"] == "aplicado", resultado


def test_a_parser_error_is_a_recorded_refusal_not_a_retry(mundo, monkeypatch):
    # Given a parser that fails on a message the pre-scan lets through (RecursionError, as 1,000 levels did)
    from email.parser import BytesParser

    s, para = _deposito(mundo)

    def falla(self, b, *a, **k):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(BytesParser, "parsebytes", falla)
    resultado = _entregar(mundo, _cabeceras(para, s.id) + b"\r\nAPROBADO\r\n", para)
    # Then the handler returns normally with a recorded refusal (no exception: SES/Lambda do not retry)
    assert (resultado["estado"], resultado["motivo"]) == ("rechazado", "correo_ilegible")
    assert _registro(mundo, resultado["message_id"]) == "rechazado:correo_ilegible"


# --- 6. two senders -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("autor", "motivo"),
    [
        (f"From: {CO}\r\nFrom: atacante@evil.example\r\n", "remitente_ambiguo"),
        (f"From: atacante@evil.example\r\nFrom: {CO}\r\n", "remitente_ambiguo"),
        (f"From: {CO}, atacante@evil.example\r\n", "remitente_ambiguo"),
        (f"From: {CO} atacante@evil.example\r\n", "remitente_ambiguo"),
        (f"From: Cobranzas: {CO};\r\n", "remitente_ambiguo"),
        ("", "remitente_ambiguo"),
        (f"From: {CO}\r\nSender: {CO}\r\nSender: atacante@evil.example\r\n", "sender_multiple"),
        (f"From: {CO}\r\nSender: {CO}, atacante@evil.example\r\n", "sender_multiple"),
        (f"From: atacante@evil.example\r\nSender: {CO}\r\n", "remitente_no_autorizado"),
    ],
    ids=["dos_from", "dos_from_invertido", "dos_buzones", "dos_buzones_sin_coma", "grupo", "sin_from",
         "dos_sender", "sender_dos_buzones", "sender_no_reemplaza_from"],
)  # fmt: skip
def test_a_mail_without_exactly_one_author_is_refused_and_recorded(mundo, autor, motivo):
    # Given a deposit awaiting Collections and a mail that names Collections next to someone else (verdicts PASS)
    s, para = _deposito(mundo)
    enviados = len(mundo.servicios.mailer.transporte.enviados)
    crudo = _cabeceras(para, s.id, autor) + b"Content-Type: text/plain\r\n\r\nAPROBADO\r\n"
    # When SES hands it to the handler
    resultado = _entregar(mundo, crudo, para)
    # Then it is refused (before the fix the first mailbox was taken as the sender and the deposit approved),
    # recorded on the request as correo_rechazado, and nobody is answered
    assert (resultado["estado"], resultado["motivo"]) == ("rechazado", motivo)
    _sin_cambios(mundo, s, enviados)
    rechazo = [e for e in mundo.servicios.repo.historial(s.id) if e.tipo == "correo_rechazado"]
    assert len(rechazo) == 1 and rechazo[0].campos["motivo"] == motivo
    assert _registro(mundo, resultado["message_id"]) == f"rechazado:{motivo}"


def test_one_from_and_one_sender_agent_is_read_as_the_from_author(mundo):
    s, para = _deposito(mundo)
    crudo = (
        _cabeceras(para, s.id, f'From: "Cobranzas" <{CO}>\r\nSender: asistente@ventas.comteco.local\r\n')
        + b"Content-Type: text/plain\r\n\r\nAPROBADO\r\n"
    )
    assert _entregar(mundo, crudo, para)["estado"] == "aplicado"
