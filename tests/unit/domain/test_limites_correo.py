"""The inbound door's limits and author rule (issue 16, items 5-6): ``s3_buzon.examinar`` counts parts and nesting
from the raw bytes the way the email parser would find them, and ``parsear_mime`` refuses a message without exactly
one author. Pure: no AWS (the adapter's parsing functions only)."""

from __future__ import annotations

import pytest

from chalicelib.adapters.s3_buzon import examinar, parsear_mime
from chalicelib.domain.correo import INADMISIBLES, MAX_PARTES, MAX_PROFUNDIDAD
from chalicelib.domain.respuestas import MAX_CARACTERES_LINEA, MAX_CARACTERES_RESPUESTA, interpretar, parte_nueva


def _partes(n: int, frontera: bytes = b"b") -> bytes:
    return (
        b'Content-Type: multipart/mixed; boundary="' + frontera + b'"\r\n\r\npreambulo\r\n'
        + b"".join(b"--" + frontera + b"\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(n))
        + b"--" + frontera + b"--\r\n"
    )  # fmt: skip


def _anidado(niveles: int) -> bytes:
    return b"".join(b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (i, i) for i in range(niveles))


def test_a_real_reply_with_documents_passes():
    crudo = (
        b"From: a@b.bo\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n"
        b"Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nSI\r\n"
        b"--a\r\nContent-Type: text/html\r\n\r\n<p>SI</p>\r\n--a--\r\n"
        b"--m\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d.bo\r\nSubject: reenviado\r\n\r\nhola\r\n"
        b"--m\r\nContent-Type: image/jpeg; name=ci.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/\r\n--m--\r\n"
    )
    assert examinar(crudo) is None
    assert parsear_mime("m", crudo).rechazo is None


@pytest.mark.parametrize(("n", "esperado"), [(MAX_PARTES, None), (MAX_PARTES + 1, "demasiadas_partes")])
def test_parts_are_counted_up_to_the_limit(n, esperado):
    assert examinar(_partes(n)) == esperado


@pytest.mark.parametrize(
    ("niveles", "esperado"), [(MAX_PROFUNDIDAD, None), (MAX_PROFUNDIDAD + 1, "anidamiento_excesivo")]
)
def test_nesting_is_measured_up_to_the_limit(niveles, esperado):
    assert examinar(_anidado(niveles) + b"\r\nx\r\n") == esperado


def test_siblings_are_not_nesting():
    # Twenty multipart parts one after the other, each closed: depth 2, 40 parts
    hijo = b"Content-Type: multipart/alternative; boundary=h%d\r\n\r\n--h%d\r\n\r\nx\r\n--h%d--\r\n"
    crudo = b"Content-Type: multipart/mixed; boundary=m\r\n\r\n" + b"".join(
        b"--m\r\n" + hijo % (i, i, i) for i in range(20)
    ) + b"--m--\r\n"  # fmt: skip
    assert examinar(crudo) is None


def test_a_missing_close_is_ended_by_the_enclosing_boundary():
    # An inner multipart left open is closed by the next delimiter of its parent, as the parser does
    hijo = b"Content-Type: multipart/alternative; boundary=h%d\r\n\r\n--h%d\r\n\r\nx\r\n"
    crudo = b"Content-Type: multipart/mixed; boundary=m\r\n\r\n" + b"".join(
        b"--m\r\n" + hijo % (i, i) for i in range(30)
    ) + b"--m--\r\n"  # fmt: skip
    assert examinar(crudo) is None


def test_quoted_folded_and_lone_cr_boundaries_are_found():
    crudo = b'Content-Type: multipart/mixed;\r\n\tboundary="con espacio"\r\n\r\n' + b"".join(
        b"--con espacio\r\n\r\nx\r" for _ in range(MAX_PARTES + 1)
    )
    assert examinar(crudo) == "demasiadas_partes"


def test_a_look_alike_of_another_boundary_is_not_a_part():
    assert examinar(_partes(3) + b"--otra\r\n" * (MAX_PARTES * 5)) is None


@pytest.mark.parametrize(
    ("autor", "remitente", "rechazo"),
    [
        (b"From: Ana <Ana@B.bo>\r\n", "ana@b.bo", None),
        (b"From: a@b.bo\r\nSender: s@b.bo\r\n", "a@b.bo", None),
        (b"From: a@b.bo\r\nFrom: c@d.bo\r\n", "", "remitente_ambiguo"),
        (b"From: a@b.bo, c@d.bo\r\n", "", "remitente_ambiguo"),
        (b"From: a@b.bo c@d.bo\r\n", "", "remitente_ambiguo"),
        (b"From: g: a@b.bo;\r\n", "", "remitente_ambiguo"),
        (b"From: undisclosed:;\r\n", "", "remitente_ambiguo"),
        (b"From: a\r\n", "", "remitente_ambiguo"),
        (b"", "", "remitente_ambiguo"),
        (b"From: a@b.bo\r\nSender: s@b.bo\r\nSender: t@b.bo\r\n", "", "sender_multiple"),
        (b"From: a@b.bo\r\nSender: s@b.bo, t@b.bo\r\n", "", "sender_multiple"),
    ],
)
def test_exactly_one_author(autor, remitente, rechazo):
    correo = parsear_mime("m", autor + b"Subject: x\r\n\r\nSI\r\n")
    assert (correo.remitente, correo.rechazo) == (remitente, rechazo)
    assert rechazo is None or rechazo in INADMISIBLES


def test_a_parser_failure_is_a_refusal(monkeypatch):
    from email.parser import BytesParser

    def falla(self, b, *a, **k):
        raise RecursionError

    monkeypatch.setattr(BytesParser, "parsebytes", falla)
    assert parsear_mime("m", b"From: a@b.bo\r\n\r\nSI").rechazo == "correo_ilegible"


def test_the_reply_grammar_reads_within_its_caps():
    assert len(parte_nueva("x" * (MAX_CARACTERES_RESPUESTA * 3))) == MAX_CARACTERES_LINEA
    assert interpretar("SI\n" + "y" * 10_000).comentario == "y" * MAX_CARACTERES_LINEA
    texto = "SI\n" + "z\n" * MAX_CARACTERES_RESPUESTA
    assert len(parte_nueva(texto)) <= MAX_CARACTERES_RESPUESTA


@pytest.mark.parametrize(
    ("linea", "campos"),
    [
        ("**Velocidad máxima:** 40 Mbps", {"velocidad_maxima": "40 Mbps"}),
        ("  _Motivo_ =  sin puertos  ", {"motivo": "sin puertos"}),
        ("Tecnología:", {}),
        (":" + " " * 5000, {}),
        ("x" * 41 + ": y", {}),
    ],
)
def test_key_value_lines_read_as_before(linea, campos):
    assert dict(interpretar("SI\n" + linea).campos) == campos
