"""Fuzzing the signed approval links: random, tampered and foreign tokens are Spanish 4xx pages; a real link's GET
never writes; its POST with any form either decides once or shows a Spanish page and writes nothing."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.model import Rol
from tests.hostil import estrategias as e
from tests.hostil.conftest import PERFIL

FORMULARIO = {"Content-Type": "application/x-www-form-urlencoded"}
PROPOSITOS = {
    "deposito": ("validacion_deposito", Rol.CO, "cobranzas", ("aprobar", "rechazar")),
    "pago_web": ("validacion_pago_web", Rol.CO, "cobranzas", ("confirmar", "rechazar")),
    "impresion": ("facturacion_caja", Rol.CA, "cajas", ("imprimir",)),
    "entrega": ("factura_impresa", Rol.CA, "cajas", ("entregar",)),
}
token_ajeno = st.one_of(
    e.texto,
    st.from_regex(r"\A[A-Za-z0-9_-]{10,120}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}\Z"),
    st.just("eyJhbGciOiJub25lIn0"),
)
"""Random text, or tokens shaped like itsdangerous's (payload.timestamp.signature) but signed by nobody."""


def _enlace(mundo, proposito: str):
    estado, rol, buzon, decisiones = PROPOSITOS[proposito]
    s = mundo.guardar(
        estado=estado,
        oferta={"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        digitacion={"numero_contrato": "SCS-1", "codigo_cliente": "CL-1"},
        pago={"monto_bs": 349.0, "numero_deposito": "DEP-7", "fecha_deposito": "2026-11-29", "id_transaccion": "TX-1"},
    )
    responsable = getattr(mundo.servicios.settings.buzones, buzon)
    return s, mundo.servicios.emitir_enlace(s.id, proposito, rol, responsable, decisiones)


def _ruta(url: str) -> str:
    return url.split("127.0.0.1:8000", 1)[1]


@settings(settings.get_profile(PERFIL), max_examples=400)
@given(
    token=token_ajeno,
    metodo=st.sampled_from(["GET", "POST"]),
    forma=st.sampled_from(["ajeno", "alterado", "recortado", "otra_sal"]),
    cuerpo=st.dictionaries(e.texto, e.texto, max_size=5),
)
def test_a_token_nobody_issued_is_a_spanish_refusal_and_writes_nothing(mundo, token, metodo, forma, cuerpo):
    # Given a real link, and a token that is random, tampered, cut short or signed for another purpose
    if forma != "ajeno":
        _, enlace = _enlace(mundo, "deposito")
        if forma == "alterado":
            token = enlace.token[:-4] + ("AAAA" if not enlace.token.endswith("AAAA") else "BBBB")
        elif forma == "recortado":
            token = enlace.token[: len(enlace.token) // 2]
        else:
            from itsdangerous import URLSafeTimedSerializer

            clave = mundo.servicios.secretos.valor("clave_enlaces")
            token = URLSafeTimedSerializer(clave, salt="respuesta-correo-v1").dumps(enlace.aprobacion_id)
    ruta = "/aprobaciones/" + quote(token or "x", safe="")
    # When it is opened or posted
    respuesta = mundo.pedir_sin_escribir(
        f"{metodo} /aprobaciones/{{token}} (token ajeno)",
        metodo,
        ruta,
        headers=FORMULARIO,
        body=urlencode(cuerpo).encode() if metodo == "POST" else None,
    )
    # Then a Spanish page refuses it (415 for a GET that claims a form body)
    assert respuesta.status_code in (400, 403, 404, 415)


@settings(settings.get_profile(PERFIL), max_examples=150)
@given(
    proposito=st.sampled_from(sorted(PROPOSITOS)),
    consulta=st.one_of(e.consulta, st.dictionaries(st.just("decision"), e.texto)),
)
def test_opening_a_real_link_with_any_query_writes_nothing(mundo, proposito, consulta):
    _, enlace = _enlace(mundo, proposito)
    ruta = _ruta(next(iter(enlace.urls.values()))).split("?", 1)[0] + "?" + urlencode(consulta)
    respuesta = mundo.pedir_sin_escribir("GET /aprobaciones/{token}", "GET", ruta)
    assert respuesta.status_code == 200
    assert respuesta.headers["Cache-Control"] == "no-store" and respuesta.headers["Referrer-Policy"] == "no-referrer"


def _formulario(proposito: str) -> st.SearchStrategy[tuple[str, dict[str, str]]]:
    """A decision the link allows with the fields of its action (plausible or junk), or any decision and fields."""
    from chalicelib.services.enlaces import PROPOSITOS as DECISIONES

    permitidas = st.sampled_from(sorted(DECISIONES[proposito].acciones.items())).flatmap(
        lambda par: e.campos_de(par[1].value).map(lambda campos: (par[0], campos))
    )
    cualquiera = st.tuples(e.texto, st.dictionaries(e.texto, e.texto, max_size=4))
    textos = st.one_of(permitidas, permitidas, cualquiera)
    return textos.map(lambda d: (d[0], {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in d[1].items()}))


@settings(settings.get_profile(PERFIL), max_examples=400)
@given(
    proposito_y_formulario=st.sampled_from(sorted(PROPOSITOS)).flatmap(lambda p: _formulario(p).map(lambda f: (p, *f))),
    version=st.one_of(st.none(), st.just("1"), e.numero_texto),
    cuerpo_crudo=st.one_of(st.none(), st.none(), e.cuerpo_crudo),
    veces=st.integers(min_value=1, max_value=2),
)
def test_posting_a_real_link_decides_at_most_once_and_a_refusal_writes_nothing(
    mundo, proposito_y_formulario, version, cuerpo_crudo, veces
):
    # Given a fresh link and any form (or raw body)
    proposito, decision, campos = proposito_y_formulario
    campos = campos | ({"version": version} if version is not None else {})
    s, enlace = _enlace(mundo, proposito)
    ruta = _ruta(next(iter(enlace.urls.values()))).split("?", 1)[0]
    cuerpo = cuerpo_crudo if cuerpo_crudo is not None else urlencode({"decision": decision, **campos}).encode()
    transiciones = 0
    for _ in range(veces):
        antes, version = mundo.huella(), mundo.estado_de(s.id)[0]
        # When it is posted (once or twice)
        respuesta = mundo.pedir("POST /aprobaciones/{token}", "POST", ruta, headers=FORMULARIO, body=cuerpo)
        # Then the request moved at most once in total, and a refusal wrote nothing
        transiciones += mundo.estado_de(s.id)[0] - version
        if respuesta.status_code >= 400:
            assert respuesta.status_code in (400, 409, 410, 415, 422) and mundo.huella() == antes
    assert transiciones <= 1
