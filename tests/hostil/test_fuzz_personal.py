"""Fuzzing the staff API, the reports and Facturación's list: random tokens, filters, ids, actions and fields.
Never a 5xx; every refusal is Spanish JSON; a refused action or an unauthenticated call writes nothing."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.states import Accion
from tests.hostil import estrategias as e
from tests.hostil.conftest import PERFIL
from tests.hostil.mundo import ESTADOS, sembrar, solicitud_en, triples_validos

ROLES = ["EJ", "HD", "CO", "CA", "FA", "RC", "JD"]
ACCIONES = [a.value for a in Accion]

autorizacion = st.one_of(
    st.sampled_from(ROLES).map(lambda r: ("rol", r)),
    e.texto_cabecera.map(lambda t: ("cabecera", t)),
    st.sampled_from(
        [
            "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
            "Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZmFrZQ",
            "Basic dXNlcjpwYXNz",
            "bearer  ",
        ]
    ).map(lambda t: ("cabecera", t)),
)
"""A staff token of any role, or a missing, malformed, unsigned (alg none) or foreign credential."""


def _cabeceras(mundo, quien) -> dict[str, str]:
    tipo, valor = quien
    return mundo.bearer(valor) if tipo == "rol" else ({"Authorization": valor} if valor else {})


def _preparado(mundo) -> None:
    if not mundo.servicios.repo.solicitudes:
        sembrar(mundo)


@settings(settings.get_profile(PERFIL), max_examples=400)
@given(
    quien=autorizacion,
    filtros=st.one_of(
        e.consulta,
        st.fixed_dictionaries(
            {},
            optional={
                "estado": st.one_of(st.sampled_from(ESTADOS), e.texto),
                "mes": e.mes_texto,
                "canal": e.texto,
                "limite": e.numero_texto,
                "cursor": st.one_of(
                    e.texto,
                    st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).decode()),
                    st.just(base64.urlsafe_b64encode(b"[" * 3000).decode()),
                ),
            },
        ),
    ),
)
def test_the_request_list_answers_any_filter_and_credential(mundo, quien, filtros):
    _preparado(mundo)
    respuesta = mundo.pedir_sin_escribir(
        "GET /solicitudes", "GET", "/solicitudes?" + urlencode(filtros), headers=_cabeceras(mundo, quien)
    )
    assert respuesta.status_code in (200, 401, 403, 422)


@settings(settings.get_profile(PERFIL), max_examples=300)
@given(quien=autorizacion, ident=st.one_of(st.sampled_from([f"VD-E{n:07d}" for n in range(1, 21)]), e.texto))
def test_a_request_page_answers_any_id_and_credential(mundo, quien, ident):
    _preparado(mundo)
    ruta = "/solicitudes/" + quote(ident or "x", safe="")
    antes = mundo.huella()
    respuesta = mundo.pedir("GET /solicitudes/{id}", "GET", ruta, headers=_cabeceras(mundo, quien))
    assert respuesta.status_code in (200, 401, 403, 404) and mundo.huella() == antes


objetivo = st.one_of(
    st.sampled_from(triples_validos()),
    st.tuples(st.sampled_from(ESTADOS), st.one_of(st.sampled_from(ACCIONES), e.texto), st.sampled_from(ROLES)),
)
"""A (state, action, role) the procedure allows (half the time), or any state, any action name, any role."""


@settings(settings.get_profile(PERFIL), max_examples=600)
@given(objetivo=objetivo, datos=st.data())
def test_any_action_with_any_fields_is_applied_or_refused_without_a_write(mundo, objetivo, datos):
    # Given a request in that state and a valid staff token of that role
    estado, accion, rol = objetivo
    _preparado(mundo)
    solicitud_id = solicitud_en(mundo, estado)
    campos = datos.draw(e.campos_de(accion), label="campos")
    extra = datos.draw(
        st.fixed_dictionaries(
            {},
            optional={"version": st.one_of(st.integers(0, 3), e.json_valor), "nota": st.one_of(e.texto, e.json_valor)},
        ),
        label="extra",
    )
    cuerpo = json.dumps({"accion": accion, "campos": campos, **extra}).encode()
    antes = mundo.huella()
    version = mundo.estado_de(solicitud_id)[0]
    # When the action is posted
    respuesta = mundo.pedir(
        "POST /solicitudes/{id}/acciones",
        "POST",
        f"/solicitudes/{solicitud_id}/acciones",
        headers=mundo.bearer(rol, **{"Content-Type": "application/json"}),
        body=cuerpo,
    )
    # Then it moved the request one version, or it was refused and nothing at all was written
    if respuesta.status_code == 200:
        assert mundo.estado_de(solicitud_id)[0] == version + 1
    else:
        assert respuesta.status_code in (400, 403, 404, 409, 422), respuesta.body
        assert mundo.huella() == antes


@settings(settings.get_profile(PERFIL), max_examples=300)
@given(
    cuerpo=st.one_of(e.cuerpo_crudo, e.json_valor.map(lambda v: json.dumps(v).encode())),
    quien=autorizacion,
    ident=st.one_of(st.just("VD-E0000001"), e.texto),
    tipo=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
)
def test_any_body_to_the_actions_route_is_refused_without_a_write_or_applied(mundo, cuerpo, quien, ident, tipo):
    _preparado(mundo)
    antes = mundo.huella()
    respuesta = mundo.pedir(
        "POST /solicitudes/{id}/acciones (crudo)",
        "POST",
        "/solicitudes/" + quote(ident or "x", safe="") + "/acciones",
        headers={**_cabeceras(mundo, quien), "Content-Type": tipo},
        body=cuerpo,
    )
    if respuesta.status_code != 200:
        assert mundo.huella() == antes


REPORTES = [
    ("GET", "/reportes/no-atendidas"),
    ("GET", "/reportes/seguimiento"),
    ("GET", "/reportes/mensual"),
    ("POST", "/reportes/mensual/envio"),
    ("GET", "/facturacion/control-recurrente"),
]


@settings(settings.get_profile(PERFIL), max_examples=500)
@given(
    ruta=st.sampled_from(REPORTES),
    quien=st.one_of(st.sampled_from([("rol", "RC"), ("rol", "JD"), ("rol", "FA")]), autorizacion),
    consulta=st.builds(
        lambda mes, formato, otros: {**otros, **({"mes": mes} if mes is not None else {}), **formato},
        st.one_of(st.none(), st.sampled_from(["2026-11", "2026-10", "2025-12"]), e.mes_texto),
        st.fixed_dictionaries(
            {}, optional={"formato": st.one_of(st.sampled_from(["json", "csv", "CSV", "xls"]), e.texto)}
        ),
        st.dictionaries(e.texto, e.texto, max_size=2),
    ),
)
def test_the_reports_answer_any_month_format_and_credential(mundo, ruta, quien, consulta):
    # Given requests in every state
    _preparado(mundo)
    metodo, camino = ruta
    antes = mundo.huella()
    # When a report is asked for with any month, format and credential
    respuesta = mundo.pedir(
        f"{metodo} {camino}", metodo, camino + "?" + urlencode(consulta), headers=_cabeceras(mundo, quien)
    )
    # Then a report, an accepted re-send (202), or a Spanish refusal; only an accepted re-send writes (its email
    # and once-only key: the local stage runs the job before answering)
    assert respuesta.status_code in ((202,) if metodo == "POST" else (200,)) + (401, 403, 409, 422)
    if respuesta.status_code != 202:
        assert mundo.huella() == antes


@settings(settings.get_profile(PERFIL), max_examples=60)
@given(quien=autorizacion, ident=st.one_of(st.sampled_from([f"VD-E{n:07d}" for n in range(1, 21)]), e.texto))
def test_the_contract_pdf_answers_any_id_and_credential(mundo, quien, ident):
    _preparado(mundo)
    respuesta = mundo.pedir_sin_escribir(
        "GET /solicitudes/{id}/contrato",
        "GET",
        "/solicitudes/" + quote(ident or "x", safe="") + "/contrato",
        headers={**_cabeceras(mundo, quien), "Accept": "application/pdf"},
    )
    assert respuesta.status_code in (200, 401, 403, 404, 409)
