"""Hypothesis strategies for hostile input: text of any script and control character, JSON of any shape (deep,
wide, wrong types, huge numbers), raw bytes up to about 1 MB, truncated JSON, and random header/query values."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

CLASICOS = [
    "",
    " ",
    "\x00",
    "\r\n",
    "\u202e",
    "\ufeff",
    "𝕏" * 3,
    "<script>alert(1)</script>",
    "{{7*7}}",
    "' OR '1'='1' --",
    "../../../../etc/passwd",
    "%00%0d%0a",
    "NaN",
    "-1",
    "1e309",
    "9" * 5000,
    "VD-00000001",
    "²",
    "١٢",
    "１２",
    "ñandú áéíóú",
    "a" * 70_000,
]
"""Values that broke other systems: NUL, bidi override, BOM, astral plane, template and SQL injection, traversal,
numbers out of range, integers over Python's 4300-digit limit, a request code, digits ``str.isdigit`` accepts but
``int`` refuses (²) or reads (Arabic-Indic, full-width), accents, a 70 kB string."""

texto = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=80),
    st.sampled_from(CLASICOS),
)
"""Any text that can travel as UTF-8 (surrogates cannot)."""

texto_cabecera = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=120),
    st.sampled_from(["²", "١٢", "１２", "ñ", "-1", "9" * 40, " ", "Bearer", "Bearer ", "Bearer x.y.z"]),
)
"""Header values as HTTP carries them (printable ASCII, and a few Latin-1/Unicode digits gateways pass on)."""

numero = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 10**400, 1.5e308]),
)

escalar = st.one_of(st.none(), st.booleans(), numero, texto)

json_valor = st.recursive(
    escalar,
    lambda hijos: st.one_of(
        st.lists(hijos, max_size=5),
        st.dictionaries(texto, hijos, max_size=5),
    ),
    max_leaves=25,
)
"""Any JSON value (nested lists and objects, wrong types everywhere)."""


def profundo(nivel: int, abrir: str = "[", cerrar: str = "]") -> bytes:
    return (abrir * nivel + cerrar * nivel).encode()


cuerpo_grande = st.builds(
    lambda trozo, veces: trozo * veces,
    st.binary(min_size=1, max_size=16),
    st.integers(min_value=1, max_value=70_000),
)
"""Raw bodies from a few bytes up to about 1 MB."""

cuerpo_crudo = st.one_of(
    st.binary(max_size=400),
    st.sampled_from(
        [
            b"",
            b"\xff\xfe\xfa",
            b"{",
            b"[1,2]",
            b"null",
            b'"texto"',
            b"1" * 5000,
            b'{"a":' + b"1" * 5000 + b"}",
            profundo(100_000),
            profundo(50_000, '{"a":', "}"),
            profundo(900),
            b'{"a": NaN, "b": Infinity}',
            b'{"a":"\\ud800"}',
            b"\xef\xbb\xbf{}",
        ]
    ),
    cuerpo_grande,
)
"""What a client can put in a body: random bytes, invalid UTF-8, truncated or deep JSON, huge numbers, 1 MB."""


def truncado(valor: Any) -> st.SearchStrategy[bytes]:
    """A valid JSON document cut anywhere."""
    crudo = json.dumps(valor).encode()
    return st.integers(min_value=0, max_value=max(0, len(crudo) - 1)).map(lambda n: crudo[:n])


def mutar(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` with some fields replaced by any JSON value, some removed and some added."""
    claves = sorted(base)
    return st.builds(
        lambda cambios, quitar, extra: {
            **{k: v for k, v in base.items() if k not in quitar},
            **cambios,
            **extra,
        },
        st.dictionaries(st.sampled_from(claves), json_valor, max_size=3) if claves else st.just({}),
        st.sets(st.sampled_from(claves), max_size=2) if claves else st.just(set()),
        st.dictionaries(texto, json_valor, max_size=2),
    )


numero_texto = st.one_of(
    st.integers(min_value=-5, max_value=500).map(str),
    st.sampled_from(["²", "²²", "١٢", "１２", "0", "-1", "1e3", "7.5", " 7", "", "9" * 5000]),
    texto,
)
"""What a client types where a whole number is expected: digits Python's ``str.isdigit`` accepts but ``int``
refuses (superscripts), other scripts' digits, signs, exponents, 5000 digits."""

mes_texto = st.one_of(
    st.from_regex(r"\A(19|20|21|99)[0-9]{2}-[0-9]{2}\Z"),
    st.sampled_from(["2026-²", "2026-²²", "²⁰²⁶-11", "２０２６-１１", "2026-1²", "2026-00", "0000-01", "2026-13"]),
    texto,
)
"""Months as ``AAAA-MM`` and the forms that look like one."""

consulta = st.dictionaries(texto, texto, max_size=5)
"""A query string's parameters."""


def _rutas(valor: Any, prefijo: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    rutas = [prefijo]
    if isinstance(valor, dict):
        for clave, hijo in valor.items():
            rutas += _rutas(hijo, (*prefijo, clave))
    elif isinstance(valor, list):
        for i, hijo in enumerate(valor):
            rutas += _rutas(hijo, (*prefijo, i))
    return rutas


def _poner(documento: Any, ruta: tuple[Any, ...], valor: Any) -> Any:
    if not ruta:
        return valor
    copia = json.loads(json.dumps(documento))
    actual = copia
    for paso in ruta[:-1]:
        actual = actual[paso]
    actual[ruta[-1]] = valor
    return copia


def mutar_en_profundidad(documento: Any) -> st.SearchStrategy[Any]:
    """A real payload with one to three of its values (at any depth, the root included) replaced by any JSON
    value: wrong types, missing structure, nulls where objects were."""
    rutas = _rutas(documento)

    def aplicar(cambios: list[tuple[tuple[Any, ...], Any]]) -> Any:
        resultado = documento
        for ruta, valor in cambios:
            try:
                resultado = _poner(resultado, ruta, valor)
            except (KeyError, IndexError, TypeError):
                continue
        return resultado

    return st.lists(st.tuples(st.sampled_from(rutas[1:] or rutas), json_valor), min_size=1, max_size=3).map(aplicar)


def valor_de_campo(campo: Any) -> st.SearchStrategy[Any]:
    """A plausible value for an action field (so validation and guards are reached), or junk of any type."""
    from datetime import date

    minimo = campo.minimo if campo.minimo is not None else -1e6
    maximo = campo.maximo if campo.maximo is not None else 1e6
    plausible: st.SearchStrategy[Any] = {
        "numero": st.floats(min_value=minimo, max_value=maximo),
        "entero": st.integers(min_value=int(minimo), max_value=int(maximo)),
        "fecha": st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat),
        "opcion": st.sampled_from([v for v, _ in campo.opciones] or [""]),
        "email": st.emails(),
        "telefono": st.from_regex(r"\A7[0-9]{7}\Z"),
        "booleano": st.booleans(),
        "ci": st.from_regex(r"\A[0-9]{5,9}\Z"),
    }.get(campo.tipo, st.text(max_size=campo.max_largo))
    return st.one_of(plausible, plausible, plausible, json_valor)


def campos_de(accion: str) -> st.SearchStrategy[dict[str, Any]]:
    """Fields for ``accion``: its required ones, some optional ones (each plausible or junk), and sometimes a field
    it does not take."""
    from chalicelib.domain.actions import ACCIONES
    from chalicelib.domain.states import Accion

    try:
        definicion = ACCIONES[Accion(accion)]
    except ValueError:
        return st.dictionaries(texto, json_valor, max_size=4)
    propios = st.fixed_dictionaries(
        {c.nombre: valor_de_campo(c) for c in definicion.campos if c.requerido},
        optional={c.nombre: valor_de_campo(c) for c in definicion.campos if not c.requerido},
    )
    ajenos = st.one_of(
        st.just({}), st.just({}), st.just({}), st.dictionaries(texto, json_valor, min_size=1, max_size=2)
    )
    return st.builds(lambda a, b: {**a, **b}, propios, ajenos)


# --- raw MIME -------------------------------------------------------------------------------------------------

NOMBRES_CABECERA = [
    "From",
    "To",
    "Cc",
    "Subject",
    "In-Reply-To",
    "References",
    "Message-ID",
    "Delivered-To",
    "X-Original-To",
    "DKIM-Signature",
    "Auto-Submitted",
    "Precedence",
    "X-Autoreply",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Content-ID",
    "X-Otra",
]
VALORES_CABECERA = [
    "",
    "=?utf-8?b?w7FhbmTDug==?=",
    "=?utf-8?b?no-es-base64!!?=",
    "=?x-desconocido?q?hola?=",
    "=?utf-8?q?=FF=FE?=",
    "Help Desk <helpdesk@ventas.comteco.local>",
    '"helpdesk@ventas.comteco.local" <atacante@otro.example>',
    "<<<@>>>",
    "undisclosed-recipients:;",
    "a@b, , ,c@d,@,",
    "ventas-digitales+ffffffffffffffffffffffffffffffff@ventas.comteco.local",
    "<vd.1@ventas.comteco.local> <x@y> <",
    "v=1; a=rsa-sha256; d=bancounion.com.bo; s=x; b=",
    "text/plain; charset=x-desconocido",
    "text/plain; charset=utf-7",
    'multipart/mixed; boundary=""',
    "multipart/mixed",
    "attachment; filename*=utf-8''%FF%FE%00.pdf",
    "attachment; filename*0*=utf-8''a; filename*2=\"b\"",
    'inline; filename="' + "a" * 5000 + '.pdf"',
    "base64",
    "quoted-printable",
    "x-codificacion-inventada",
    "auto-replied",
    "bulk",
    "x" * 100_000,
]
"""Header values that trip mail parsers: broken encoded-words, unknown charsets, spoofed display names, empty
groups, RFC 2231 parameters cut or undecodable, a 100 kB header."""

valor_cabecera = st.one_of(
    st.sampled_from(VALORES_CABECERA), texto, st.binary(max_size=60).map(lambda b: b.decode("latin-1"))
)

cuerpo_parte = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [b"SI\r\nVelocidad m\xe1xima: 40 Mbps", b"=?=\r\n=ZZ", b"////====", b"<html><body><p>S\xc3\xad</p>", b""]
    ),
)


def _parte(cabeceras: list[tuple[str, str]], cuerpo: bytes) -> bytes:
    lineas = [f"{n}: {v}".encode() for n, v in cabeceras]
    return b"\r\n".join(lineas) + b"\r\n\r\n" + cuerpo


hoja_mime = st.builds(
    _parte,
    st.lists(
        st.tuples(
            st.sampled_from(["Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID"]),
            valor_cabecera,
        ),
        max_size=4,
    ),
    cuerpo_parte,
)


def _multiparte(partes: list[bytes], frontera: str, subtipo: str) -> bytes:
    marca = b"--" + frontera.encode()
    cuerpo = b"".join(marca + b"\r\n" + p + b"\r\n" for p in partes) + marca + b"--"
    return _parte([("Content-Type", f'multipart/{subtipo}; boundary="{frontera}"')], cuerpo)


arbol_mime = st.recursive(
    hoja_mime,
    lambda hijos: st.builds(
        _multiparte,
        st.lists(hijos, max_size=4),
        st.sampled_from(["frontera", "=_x", "a" * 70, "--", ""]),
        st.sampled_from(["mixed", "alternative", "related", "signed", "inventado"]),
    ),
    max_leaves=8,
)
"""A MIME tree a few levels deep, every part with any headers and bytes."""

correo_crudo = st.one_of(
    st.binary(max_size=2000),
    st.builds(
        lambda cabeceras, arbol: b"\r\n".join(f"{n}: {v}".encode() for n, v in cabeceras) + b"\r\n" + arbol,
        st.lists(st.tuples(st.sampled_from(NOMBRES_CABECERA), valor_cabecera), max_size=12),
        arbol_mime,
    ),
)
"""A raw inbound email: random bytes, or random top-level headers over a random MIME tree."""
