"""The reply grammar: what a person's email answer decides (pure, stdlib only).

Salesforce-style, in Spanish: the decision is the first word of the first non-empty line of the new part of the
reply (a greeting line such as "Hola," is skipped), tolerant of case, accents and punctuation ("Sí.", "si!", "SI,").
Optional ``Clave: valor`` lines follow (``Velocidad máxima: 40 Mbps``, ``Tecnología: FTTH``, ``Motivo: …``,
``Observaciones: …``); the first free-text line is the comment. Quoted history (Gmail/Apple "El … escribió:",
"On … wrote:", Outlook "De:/Enviado:/Para:/Asunto:" blocks, "-----Mensaje original-----", underscore separators,
``>`` lines) and signatures ("-- ", "Enviado desde mi iPhone") are never read, so a SI that appears only in the
quoted history is not a decision. HTML-only replies are converted to text first, dropping ``<blockquote>``, Gmail's
``div.gmail_quote`` and everything after Outlook's ``#divRplyFwdMsg`` / ``#appendonsend``.

A first line that is a condition or a question is not a decision (``Respuesta.condicional``; issue 17, item 4): in
Spanish "si" without an accent is also "if", and "Si el vecino autoriza, entonces instalamos" must not move a request.
The rule (``_es_condicion``), on the first line after the greeting:

* a question: it starts with "¿", or its first sentence (up to ``.``/``!``/``;``/``¡``/``¿``) ends with "?"
  ("¿Hay puertos?", "Si hay capacidad?", "NO?"), or it ends with "?" and does not open with a decision word
  ("Una consulta, ¿es casa o departamento?"); "Sí, ¿necesitan algo más?" is a yes with a question after it;
* it opens with a conditional or hedging phrase: "en caso de/que", "siempre que", "siempre y cuando", "solo si",
  "a menos que", "salvo que", "depende", "dependiendo", "quizá(s)", "tal vez", "a lo mejor", "capaz", "creo que",
  "pienso que", "supongo que", "puede que", "puede ser", "posiblemente", "probablemente";
* "si"/"sí" followed by punctuation (``,`` ``.`` ``:`` ``!`` …), the end of the line or a number is a yes: "Si.",
  "Sí, 40 Mbps", "SI" + "Velocidad máxima: 40 Mbps", "Si, confirmado", "SÍ!!", "si 40 megas";
* "si"/"sí" followed directly by "no" is a condition ("Si no hay respuesta hoy, …"), accent or not;
* "sí" WITH an accent followed directly by a word is an emphatic yes ("Sí hay capacidad", "Sí se puede", "Sí tienen
  puertos"), unless the word is an article or subject pronoun ("Sí el vecino autoriza …": an "if" a phone keyboard
  accented) or the sentence goes on to "entonces" ("Sí hay capacidad entonces instalen" reads both ways);
* "si" WITHOUT an accent followed directly by a word is a condition ("si el …", "si me confirman …", "si tienen …",
  "si pueden …", "si es …", "si se …", "si hay que …"), except:
  - a word that cannot open a condition: "si claro", "si gracias", "si por favor", "si señor", "si de acuerdo",
    "si correcto", "si perfecto", "si ok", "si confirmado", "si acepto" … (``_SIGUE_SI``): a yes, whatever follows;
  - a plain affirmation that is the whole sentence: "si hay …", "si tenemos …", "si contamos …", "si existe(n) …",
    "si se puede …", "si me/nos interesa", "si quiero", "si está bien" … (``_AFIRMACIONES``) with no comma and no
    "entonces" before the sentence ends: "si hay capacidad" is a yes, "si hay capacidad, entonces instalamos" and
    "si hay capacidad, 40 Mbps" are conditions (they read both ways: the person is asked again).
  When the first line ends without closing its sentence and the very next line goes on in lower case or with
  "entonces", a mail client wrapped it: the sentence (its comma, its "entonces") takes that line too.

A false yes moves a request on; a false "not understood" only asks the person to write SI or NO again. Where a shape
reads both ways the rule says "not a decision".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from html.parser import HTMLParser
from typing import Final


class Decision(StrEnum):
    """What the first word of a reply says."""

    SI = "SI"
    NO = "NO"


PALABRAS_SI: Final = frozenset(
    {
        "SI",
        "SII",
        "SIII",
        "SIP",
        "CONFIRMADO",
        "CONFIRMADA",
        "CONFIRMO",
        "CONFIRMAMOS",
        "APROBADO",
        "APROBADA",
        "APRUEBO",
        "OK",
        "OKAY",
        "OKEY",
        "ACEPTO",
        "ACEPTADO",
        "ACEPTADA",
        "AFIRMATIVO",
        "YES",
        "APPROVE",
        "APPROVED",
    }
)
PALABRAS_NO: Final = frozenset(
    {
        "NO",
        "NOP",
        "RECHAZADO",
        "RECHAZADA",
        "RECHAZO",
        "RECHAZAMOS",
        "NEGATIVO",
        "NEGADO",
        "NEGADA",
        "DENEGADO",
        "DENEGADA",
        "REJECT",
        "REJECTED",
    }
)

CLAVES: Final[Mapping[str, str]] = {
    "velocidad maxima": "velocidad_maxima",
    "velocidad max": "velocidad_maxima",
    "vel maxima": "velocidad_maxima",
    "vel max": "velocidad_maxima",
    "velocidad": "velocidad_maxima",
    "velocidad disponible": "velocidad_maxima",
    "velocidad confirmada": "velocidad_maxima",
    "tecnologia": "tecnologia",
    "tec": "tecnologia",
    "motivo": "motivo",
    "razon": "motivo",
    "causa": "motivo",
    "observaciones": "observaciones",
    "observacion": "observaciones",
    "obs": "observaciones",
    "comentario": "observaciones",
    "comentarios": "observaciones",
    "nota": "observaciones",
}
"""Normalised key (no accents, lower case, single spaces) -> field name of ``Respuesta.campos``."""

TECNOLOGIAS: Final[Mapping[str, str]] = {
    "ftth": "FTTH",
    "fibra": "FTTH",
    "fibra optica": "FTTH",
    "gpon": "FTTH",
    "hfc": "HFC",
    "cable": "HFC",
    "coaxial": "HFC",
    "adsl": "ADSL",
    "cobre": "ADSL",
    "dsl": "ADSL",
    "inalambrico": "INALAMBRICO",
    "inalambrica": "INALAMBRICO",
    "wireless": "INALAMBRICO",
    "radio": "INALAMBRICO",
    "radioenlace": "INALAMBRICO",
}


@dataclass(frozen=True)
class Respuesta:
    """What a reply says: the decision (None if the first word is not one), its fields and its comment."""

    decision: Decision | None
    palabra: str | None = None
    campos: Mapping[str, str] = field(default_factory=dict)
    comentario: str | None = None
    texto: str = ""
    condicional: bool = False
    """The first line is a condition or a question ("Si el vecino autoriza, …", "¿Hay puertos?"): no decision."""

    @property
    def vacia(self) -> bool:
        return not self.texto.strip()


MAX_CARACTERES_RESPUESTA: Final = 64 * 1024
"""Characters of a body that are read (the first 64 Ki; the rest is ignored). The new part of a real reply is a few
hundred characters and comes first; quoted history after it is never read anyway. Bounds the work an inbound
mail can cause, whatever its size (issue 16: a 132 KiB line once took 55 s)."""
MAX_CARACTERES_LINEA: Final = 2000
"""Characters of one line that are read; longer lines are cut. A decision word, a ``Clave: valor`` line or a quote
header never comes near it (the comment stored from an email is cut at 2000 characters too)."""
MAX_CARACTERES_HTML: Final = 512 * 1024
"""Characters of an HTML-only body that are converted to text (Outlook's styled replies run to 50-200 KB; the new
part is at the top)."""


def interpretar(texto: str | None = "", html: str | None = "") -> Respuesta:
    """Read a reply: the text/plain part when it has a new part, else the HTML part converted to text.

    Linear in its input and bounded: only ``MAX_CARACTERES_RESPUESTA`` characters of a body and
    ``MAX_CARACTERES_LINEA`` of a line are read (``parte_nueva``), and every pattern below is free of adjacent or
    nested quantifiers over the same characters."""
    nueva = parte_nueva(texto or "")
    if not nueva.strip() and html:
        nueva = parte_nueva(html_a_texto(html))
    return _leer(nueva)


# --- the new part of a reply ----------------------------------------------------------------------------------------

_CITA = re.compile(r"^\s*>")
_ATRIBUCION_INICIO = re.compile(r"^\s*(?:>\s*)*(?:el|on|le|am|em)\s", re.IGNORECASE)
_ATRIBUCION_FIN = re.compile(r"(?:escribi[oó]|wrote|a\s+[ée]crit|schrieb|escreveu)\s*:\s*$", re.IGNORECASE)
_SEPARADOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:mensaje original|original message|mensaje reenviado|forwarded message)\s*-{2,}"
    r"|_{6,}|-{6,}|={6,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_DE = re.compile(r"^\s*+\*?(?:de|from)\s*+:\s*+\S", re.IGNORECASE)
r"""A "De: x" / "*From:* x" line. (Was ``:\s*\*?\s*\S``: two ``\s*`` around an optional star backtrack against
each other, quadratic on "De:" plus spaces; ``\S`` already takes a star, so the language is the same.)"""
_OUTLOOK_CAMPO = re.compile(
    r"^\s*\*?(?:enviado(?:\s+el)?|sent|fecha|date|para|to|asunto|subject|cc)\s*:", re.IGNORECASE
)
_FIRMA = re.compile(
    r"^\s*(?:--\s*|enviado desde mi\b.*|enviado desde (?:outlook|yahoo|gmail|correo|mi)\b.*|sent from my\b.*"
    r"|obtener outlook para\b.*|get outlook for\b.*|enviado con\b.*)$",
    re.IGNORECASE,
)


def parte_nueva(texto: str) -> str:
    """The reply without its quoted history and signature (lines in their order, blank edges removed).

    Only the first ``MAX_CARACTERES_RESPUESTA`` characters are read, each line cut at ``MAX_CARACTERES_LINEA``.
    The reply ends at the first quote marker; when nothing was written before it (a bottom-posted reply) a
    ``>``-quoted block after an attribution line is skipped instead, and reading goes on after it.
    """
    acotado = texto[:MAX_CARACTERES_RESPUESTA].replace("\r\n", "\n").replace("\r", "\n")
    lineas = [linea[:MAX_CARACTERES_LINEA] for linea in acotado.split("\n")]
    nuevas: list[str] = []
    i = 0
    while i < len(lineas):
        linea = lineas[i]
        if _FIRMA.match(linea) or _SEPARADOR.match(linea) or _es_bloque_outlook(lineas, i):
            break
        largo = _largo_atribucion(lineas, i)
        if largo:
            j = i + largo
            while j < len(lineas) and not lineas[j].strip():
                j += 1
            hay_texto = any(n.strip() for n in nuevas)
            if hay_texto or j >= len(lineas) or not _CITA.match(lineas[j]):
                break
            i = j
            continue
        if not _CITA.match(linea):
            nuevas.append(linea.rstrip())
        i += 1
    return "\n".join(nuevas).strip("\n")


def _largo_atribucion(lineas: list[str], i: int) -> int:
    """Lines taken by a "El … escribió:" / "On … wrote:" header starting at ``i`` (0 if none); Gmail wraps it."""
    if _ATRIBUCION_FIN.search(lineas[i]) and not _CITA.match(lineas[i]):
        return 1
    if not _ATRIBUCION_INICIO.match(lineas[i]):
        return 0
    for largo in range(1, 5):
        unidas = " ".join(linea.strip() for linea in lineas[i : i + largo])
        if _ATRIBUCION_FIN.search(unidas):
            return largo
    return 0


def _es_bloque_outlook(lineas: list[str], i: int) -> bool:
    """A "De: …" line followed within five lines by "Enviado:", "Para:", "Asunto:" … (Outlook's quote header)."""
    if not _OUTLOOK_DE.match(lineas[i]):
        return False
    siguientes = [linea for linea in lineas[i + 1 : i + 6] if linea.strip()]
    return sum(1 for linea in siguientes if _OUTLOOK_CAMPO.match(linea)) >= 2


# --- reading the new part -------------------------------------------------------------------------------------------

_PALABRA = re.compile(r"^[\W_]*?([^\W\d_]+)(.*)$", re.DOTALL)
_SEPARADOR_CLAVE = re.compile(r"[:=]")
_LARGO_CLAVE: Final = 40
_SALUDO = re.compile(
    r"^(?:hola|buen(?:os|as)?\s+(?:dias|tardes|noches|dia)|buen dia|estimad[oa]s?|senor(?:es|a|as)?|srs?|sres|"
    r"querid[oa]s?)\b",
)
_CIERRE = re.compile(
    r"^(?:saludos|atte|atentamente|cordialmente|gracias|muchas gracias|slds|sds|un saludo|un abrazo|bendiciones|"
    r"quedo atent[oa]|enviado desde)\b"
)


def _leer(nueva: str) -> Respuesta:
    lineas = [linea.strip() for linea in nueva.split("\n")]
    llenas = [linea for linea in lineas if linea]
    if not llenas:
        return Respuesta(decision=None, texto="")
    indice = 0
    while indice < len(llenas) - 1 and _es_saludo(llenas[indice]):
        indice += 1
    primera = unicodedata.normalize("NFC", llenas[indice])  # "Si\u0301" (decomposed) is "Sí"
    posicion = [i for i, linea in enumerate(lineas) if linea][indice]
    siguiente = lineas[posicion + 1] if posicion + 1 < len(lineas) else ""  # "" after a blank line
    decision, palabra, resto = _decision(primera)
    condicional = _es_condicion(primera, siguiente)
    if condicional:
        decision = None
    campos: dict[str, str] = {}
    libres: list[str] = []
    resto = resto.strip().lstrip(",.;:!-–—)").strip()
    if resto:
        _clasificar(resto, campos, libres)
    for linea in llenas[indice + 1 :]:
        if _CIERRE.match(normalizar(linea)):
            break
        _clasificar(linea, campos, libres)
    comentario = libres[0] if libres else None
    return Respuesta(
        decision=decision,
        palabra=palabra,
        campos=campos,
        comentario=comentario,
        texto=nueva.strip(),
        condicional=condicional,
    )


def _decision(linea: str) -> tuple[Decision | None, str | None, str]:
    coincidencia = _PALABRA.match(linea)
    if not coincidencia:
        return None, None, linea
    palabra, resto = coincidencia.group(1), coincidencia.group(2)
    clave = normalizar(palabra).upper()
    if clave in PALABRAS_SI:
        return Decision.SI, palabra, resto
    if clave in PALABRAS_NO:
        return Decision.NO, palabra, resto
    return None, palabra, resto


# --- conditions and questions (see the module docstring) ------------------------------------------------------------

_ABRE_CONDICION = re.compile(
    r"(?:en caso|siempre que|siempre y cuando|solo si|solamente si|unicamente si|a menos que|salvo que|depende"
    r"|dependiendo|quiza|quizas|tal vez|a lo mejor|capaz|creo que|pienso que|supongo que|puede que|puede ser"
    r"|posiblemente|probablemente)\b"
)
"""Openers of a condition or a hedge, on the normalised line without its leading punctuation."""
_FIN_FRASE = re.compile(r"[?¡¿]|[.!;](?=\s|$)")
"""Where the first sentence of a line ends ("7.5 megas" does not end it)."""
_PALABRAS = re.compile(r"[^\W_]+|,")
_QUE_ABRE: Final = frozenset(
    {"el", "la", "los", "las", "lo", "un", "una", "unos", "unas", "usted", "ustedes", "ud", "uds", "ellos", "ellas"}
)
"""After an accented "sí", words that open an "if" clause, never an emphatic yes ("Sí el vecino autoriza …")."""
_SIGUE_SI: Final = frozenset(
    {
        ("claro",),
        ("gracias",),
        ("por", "favor"),
        ("porfa",),
        ("porfavor",),
        ("por", "supuesto"),
        ("desde", "luego"),
        ("de", "acuerdo"),
        ("senor",),
        ("senora",),
        ("senorita",),
        ("senores",),
        ("efectivamente",),
        ("exacto",),
        ("exactamente",),
        ("correcto",),
        ("perfecto",),
        ("listo",),
        ("dale",),
        ("obvio",),
        ("seguro",),
        ("ciertamente",),
        ("totalmente",),
    }
    | {(p.lower(),) for p in PALABRAS_SI}
)
"""After an unaccented "si", words that cannot open a condition: the line is a yes, whatever follows."""
_AFIRMACIONES: Final = frozenset(
    {
        ("hay",),
        ("tenemos",),
        ("tengo",),
        ("contamos",),
        ("existe",),
        ("existen",),
        ("se", "puede"),
        ("me", "interesa"),
        ("nos", "interesa"),
        ("me", "parece"),
        ("nos", "parece"),
        ("me", "gustaria"),
        ("nos", "gustaria"),
        ("quiero",),
        ("queremos",),
        ("deseo",),
        ("deseamos",),
        ("procede",),
        ("corresponde",),
        ("figura",),
        ("llega",),
        ("alcanza",),
        ("soporta",),
        ("esta", "bien"),
        ("asi", "es"),
    }
)
"""After an unaccented "si", plain affirmations: a yes when they are the whole sentence (no comma, no "entonces")."""
_NO_AFIRMAN: Final = frozenset({("hay", "que")})
"""Shapes of ``_AFIRMACIONES`` that are not one ("si hay que cambiar el splitter" reads both ways)."""


def _es_condicion(linea: str, siguiente: str = "") -> bool:
    """Whether the first line is a condition or a question, not a decision (``siguiente``: the line right after it,
    "" when a blank line or nothing follows)."""
    linea = unicodedata.normalize("NFC", linea)
    sin_marcas = linea.lstrip(" \t*_\"'«“‘(-–—>")
    if sin_marcas.startswith("¿"):
        return True
    fin = _FIN_FRASE.search(linea)
    if fin and fin.group() == "?":
        return True
    if _ABRE_CONDICION.match(normalizar(sin_marcas.lstrip("¡"))):
        return True
    coincidencia = _PALABRA.match(linea)
    clave = normalizar(coincidencia.group(1)).upper() if coincidencia else ""
    if clave not in PALABRAS_SI | PALABRAS_NO:
        return linea.rstrip(" \t*_\"'»”’)!").endswith("?")  # "Una consulta, ¿es casa o departamento?"
    if not coincidencia or clave != "SI":
        return False
    palabra, resto = coincidencia.group(1), coincidencia.group(2).lstrip("*_")  # "**Si** el vecino …"
    if not resto[:1].isspace():
        return False  # "Si.", "Sí, 40 Mbps", "SI" alone, "Si…"
    despues = resto.lstrip()
    if not despues[:1].isalpha():
        return False  # "si 40 megas", "Sí !"
    frase = _PALABRAS.findall(normalizar(_primera_frase(despues, siguiente)))
    if not frase:
        return False
    if frase[0] == "no":
        return True  # "Si no hay respuesta hoy, …"
    if normalizar(palabra) != palabra.casefold():  # "sí" with its accent
        return frase[0] in _QUE_ABRE or "entonces" in frase
    if _empieza(frase, _SIGUE_SI):
        return False
    afirma = _empieza(frase, _AFIRMACIONES) and not _empieza(frase, _NO_AFIRMAN)
    return not afirma or "," in frase or "entonces" in frase


def _primera_frase(texto: str, siguiente: str) -> str:
    """The first sentence of ``texto``; when the line ends without closing it and the next line (no blank line
    between) goes on in lower case or with "entonces", a client wrapped it and the sentence takes that line too."""
    fin = _FIN_FRASE.search(texto)
    if fin:
        return texto[: fin.start()]
    siguiente = siguiente.strip()
    if not (siguiente[:1].islower() or normalizar(siguiente).split()[:1] == ["entonces"]):
        return texto
    fin = _FIN_FRASE.search(siguiente)
    return f"{texto} {siguiente[: fin.start()] if fin else siguiente}"


def _empieza(palabras: list[str], frases: frozenset[tuple[str, ...]]) -> bool:
    return any(tuple(palabras[: len(frase)]) == frase for frase in frases)


def _clave_valor(linea: str) -> tuple[str, str] | None:
    """``(clave, valor)`` of a "**Clave**: valor" / "Clave = valor" line (key 1-40 characters), else None.

    String operations instead of the former ``^\\s*[*_]*(…{1,40}?)[*_]*\\s*[:=]\\s*(.*?)\\s*$``, whose leading
    ``\\s*`` against the key and lazy value against the trailing ``\\s*`` were quadratic on long runs of spaces."""
    separador = _SEPARADOR_CLAVE.search(linea)
    if separador is None:
        return None
    clave = linea[: separador.start()].lstrip().lstrip("*_").rstrip().rstrip("*_")
    if not 1 <= len(clave) <= _LARGO_CLAVE:
        return None
    return clave, linea[separador.end() :].strip()


def _clasificar(linea: str, campos: dict[str, str], libres: list[str]) -> None:
    par = _clave_valor(linea)
    if par:
        nombre = CLAVES.get(" ".join(normalizar(par[0]).replace(".", " ").split()))
        if nombre:
            valor = par[1].strip(" *_")
            if valor and nombre not in campos:
                campos[nombre] = valor
            return
    libres.append(linea)


def _es_saludo(linea: str) -> bool:
    texto = normalizar(linea)
    return bool(_SALUDO.match(texto)) and len(texto.split()) <= 8 and not _menciona_decision(texto)


def _menciona_decision(texto: str) -> bool:
    palabras = {p.upper() for p in re.findall(r"[a-z]+", texto)}
    return bool(palabras & (PALABRAS_SI | PALABRAS_NO))


def normalizar(texto: str) -> str:
    """Lower case without accents (á → a, ñ → n), for tolerant matching."""
    descompuesto = unicodedata.normalize("NFKD", texto)
    return "".join(c for c in descompuesto if not unicodedata.combining(c)).casefold()


# --- values ---------------------------------------------------------------------------------------------------------

_VELOCIDAD = re.compile(
    r"(?<!\d)(\d++(?:[.,]\d++)?)\s*(gbps|gbit/?s|gb/?s|gigas?|g|mbps|mbit/?s|mb/?s|mb|megas?|m)?\b", re.IGNORECASE
)
_VELOCIDAD_CON_UNIDAD = re.compile(r"(?<!\d)(\d++(?:[.,]\d++)?)\s*(gbps|gigas?|mbps|mb/?s|mb|megas?)\b", re.IGNORECASE)
"""Digit runs are possessive and start at a run's start: a number never matches by giving digits back (the next
character would be a digit again), so this only removes the quadratic retry of "1111…1x" from every position."""


def leer_mbps(valor: str) -> float | None:
    """A speed in Mbps from "40 Mbps", "40mbps", "40", "7,5 megas" or "1 Gbps" (None if there is no number)."""
    coincidencia = _VELOCIDAD.search(valor)
    if not coincidencia:
        return None
    cifra = coincidencia.group(1)
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", cifra):
        cifra = cifra.replace(".", "")  # "1.000 Mbps": Bolivian thousands separator
    numero = float(cifra.replace(",", "."))
    unidad = (coincidencia.group(2) or "").lower()
    if unidad.startswith("g"):
        numero *= 1000
    return numero


def velocidad_en_texto(texto: str) -> float | None:
    """A speed written with its unit inside free text ("SI, hasta 40 megas"); None without a unit."""
    coincidencia = _VELOCIDAD_CON_UNIDAD.search(texto)
    return leer_mbps(coincidencia.group(0)) if coincidencia else None


def leer_tecnologia(valor: str) -> str | None:
    """The technology code (FTTH, HFC, ADSL, INALAMBRICO) a person named, or None if it is not one of them."""
    texto = " ".join(re.sub(r"[^a-z0-9 ]", " ", normalizar(valor)).split())
    if texto.upper() in TECNOLOGIAS.values():
        return texto.upper()
    if texto in TECNOLOGIAS:
        return TECNOLOGIAS[texto]
    for palabra, codigo in TECNOLOGIAS.items():
        if re.search(rf"\b{re.escape(palabra)}\b", texto):
            return codigo
    return None


_REQUISITOS: Final = (
    ("carta_solicitud", re.compile(r"\bcarta\b")),
    ("ubicacion", re.compile(r"\b(?:croquis|ubicacion|mapa|plano|direccion)\b")),
    ("ci", re.compile(r"\b(?:ci|carnet|carne|cedula|identidad|anverso|reverso)\b")),
)


def requisito_de(texto: str) -> str | None:
    """The requirement a document is, guessed from its file name or caption (ci, carta_solicitud, ubicacion)."""
    limpio = " ".join(re.sub(r"[^a-z0-9]+", " ", normalizar(texto)).split())
    for requisito, patron in _REQUISITOS:
        if patron.search(limpio):
            return requisito
    return None


# --- HTML to text ---------------------------------------------------------------------------------------------------

_VACIOS: Final = frozenset(
    {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source", "embed", "param", "track"}
)
_BLOQUES: Final = frozenset(
    {
        "p",
        "div",
        "br",
        "hr",
        "tr",
        "li",
        "ul",
        "ol",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
    }
)
_OMITIR_ETIQUETAS: Final = frozenset({"style", "script", "head", "title", "blockquote", "template"})
_OMITIR_CLASES: Final = frozenset(
    {"gmail_quote", "gmail_attr", "gmail_signature", "yahoo_quoted", "moz-cite-prefix", "moz-signature"}
)
_CORTAR_IDS: Final = frozenset({"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"})
_OMITIR_IDS: Final = frozenset({"signature", "ms-outlook-mobile-signature"})


class _HtmlATexto(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.partes: list[str] = []
        self._pila: list[tuple[str, bool]] = []
        self._omitiendo = 0
        self._cortado = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._cortado:
            return
        atributos = {k: (v or "") for k, v in attrs}
        ident = atributos.get("id", "").lower()
        if ident in _CORTAR_IDS:
            self._cortado = True
            return
        clases = set(atributos.get("class", "").split())
        omitir = tag in _OMITIR_ETIQUETAS or bool(clases & _OMITIR_CLASES) or ident in _OMITIR_IDS
        if tag in _BLOQUES:
            self.partes.append("\n")
        if tag not in _VACIOS:
            self._pila.append((tag, omitir))
            self._omitiendo += int(omitir)

    def handle_endtag(self, tag: str) -> None:
        if self._cortado or all(abierta != tag for abierta, _ in self._pila):
            return
        while self._pila:
            abierta, omitir = self._pila.pop()
            self._omitiendo -= int(omitir)
            if abierta == tag:
                break
        if tag in _BLOQUES:
            self.partes.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._cortado and not self._omitiendo:
            self.partes.append(re.sub(r"[ \t\r\n\f\u00a0]+", " ", data))


def html_a_texto(html: str) -> str:
    """Readable text of an HTML body without its quoted history (one line per block, blank lines collapsed); only
    the first ``MAX_CARACTERES_HTML`` characters are converted."""
    conversor = _HtmlATexto()
    conversor.feed(html[:MAX_CARACTERES_HTML])
    conversor.close()
    lineas = [linea.strip() for linea in "".join(conversor.partes).split("\n")]
    texto = "\n".join(lineas)
    return re.sub(r"\n{3,}", "\n\n", texto).strip()
