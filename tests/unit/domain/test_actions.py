"""What each action accepts: the catalogue of actions and the validation of every field type."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.actions import ACCIONES, validar_campos
from chalicelib.domain.errors import DatosInvalidos
from chalicelib.domain.model import Rol
from chalicelib.domain.states import TRANSITIONS, Accion


def _telefono(texto: str) -> str:
    digitos = texto.replace(" ", "").removeprefix("+591")
    if not digitos.isascii() or not digitos.isdigit() or len(digitos) != 8:
        raise ValueError("Teléfono inválido.")
    return "+591" + digitos


def _email(texto: str) -> str:
    if "@" not in texto:
        raise ValueError("Correo electrónico inválido.")
    return texto.lower()


NORMALIZADORES = {"telefono": _telefono, "email": _email}


def _errores(accion: Accion, crudos: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(DatosInvalidos) as error:
        validar_campos(accion, crudos, NORMALIZADORES)
    assert error.value.mensaje == "Revise los campos marcados."
    return error.value.errores


def _oferta(**campos: Any) -> dict[str, Any]:
    return {"plan": "hogar-fibra-50", **campos}


def _capacidad(**campos: Any) -> dict[str, Any]:
    return {"velocidad_maxima_mbps": "50", **campos}


def _control(**campos: Any) -> dict[str, Any]:
    return {"dia_facturacion": "5", "monto_mensual_bs": "199", **campos}


def _comprobante(**campos: Any) -> dict[str, Any]:
    base = {
        "monto_bs": "199",
        "fecha_deposito": "2024-05-06",
        "numero_deposito": "DEP-1",
        "tipo_operacion": "deposito",
        "depositante": "Ana Quispe",
    }
    return {**base, **campos}


# --- The catalogue ----------------------------------------------------------------------------------------------


def test_every_action_of_the_procedure_has_a_definition_and_nothing_else_does() -> None:
    # Given / When / Then
    assert set(ACCIONES) == set(Accion)


@pytest.mark.parametrize("accion", list(Accion), ids=lambda a: a.value)
def test_every_action_has_a_spanish_label_a_role_and_distinct_fields(accion: Accion) -> None:
    # Given
    definicion = ACCIONES[accion]

    # When
    nombres = [c.nombre for c in definicion.campos]

    # Then
    assert definicion.etiqueta.strip() and definicion.etiqueta[0].isupper()
    assert definicion.etiqueta != accion.value
    assert definicion.roles and definicion.roles <= set(Rol)
    assert definicion.paso
    assert len(nombres) == len(set(nombres))
    for campo in definicion.campos:
        assert campo.etiqueta.strip()
        assert (campo.tipo == "opcion") == bool(campo.opciones)


@pytest.mark.parametrize("accion", list(Accion), ids=lambda a: a.value)
def test_every_action_can_be_applied_from_at_least_one_state(accion: Accion) -> None:
    # Given / When
    origenes = [origen for (origen, a) in TRANSITIONS if a is accion]

    # Then
    assert origenes


def test_only_the_team_lead_redigitates_or_reactivates_a_request() -> None:
    # Given / When / Then
    assert ACCIONES[Accion.REDIGITAR].roles == {Rol.RC}
    assert ACCIONES[Accion.REACTIVAR].roles == {Rol.RC}


def test_an_action_describes_its_fields_for_the_console() -> None:
    # Given
    definicion = ACCIONES[Accion.REGISTRAR_COMPROBANTE]

    # When
    descripcion = definicion.describir(Accion.REGISTRAR_COMPROBANTE)

    # Then
    assert descripcion["accion"] == "registrar_comprobante"
    assert descripcion["etiqueta"] == "Registrar comprobante de transferencia"
    tipo = next(c for c in descripcion["campos"] if c["nombre"] == "tipo_operacion")
    assert tipo["requerido"] is True
    assert tipo["opciones"] == [
        {"valor": "deposito", "etiqueta": "Depósito"},
        {"valor": "transferencia", "etiqueta": "Transferencia"},
    ]


# --- texto / texto_largo ----------------------------------------------------------------------------------------


def test_a_text_field_is_trimmed() -> None:
    # Given / When
    limpios = validar_campos(Accion.REGISTRAR_DATOS, {"nombre": "  Ana Quispe \n"}, NORMALIZADORES)

    # Then
    assert limpios == {"nombre": "Ana Quispe"}


def test_a_text_field_refuses_more_characters_than_its_limit() -> None:
    # Given: nombre admits 120 characters
    validar_campos(Accion.REGISTRAR_DATOS, {"nombre": "a" * 120}, NORMALIZADORES)

    # When
    errores = _errores(Accion.REGISTRAR_DATOS, {"nombre": "a" * 121})

    # Then
    assert errores == {"nombre": "Admite como máximo 120 caracteres."}


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x1f"], ids=repr)
def test_a_text_field_refuses_control_characters(control: str) -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_DATOS, {"nombre": f"Ana{control}Quispe"})

    # Then
    assert errores == {"nombre": "Contiene caracteres no permitidos."}


def test_a_long_text_field_admits_2000_characters_and_line_breaks() -> None:
    # Given
    motivo = ("Línea\r\n\tcon sangría " * 200)[:1998] + "ok"

    # When
    limpios = validar_campos(Accion.NEGAR_CAPACIDAD, {"motivo": motivo}, NORMALIZADORES)

    # Then
    assert limpios == {"motivo": motivo.strip()}
    assert _errores(Accion.NEGAR_CAPACIDAD, {"motivo": "x" * 2001}) == {"motivo": "Admite como máximo 2000 caracteres."}


@pytest.mark.parametrize("valor", [123, 1.5, True, ["Ana"], {"nombre": "Ana"}], ids=repr)
def test_a_text_field_refuses_a_value_that_is_not_text(valor: Any) -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_DATOS, {"nombre": valor})

    # Then
    assert errores == {"nombre": "Debe ser un texto."}


# --- numero / entero --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crudo", "numero"),
    [("12,5", 12.5), ("12.5", 12.5), (" 50 ", 50.0), (50, 50.0), (99.9, 99.9), ("1e2", 100.0)],
    ids=repr,
)
def test_a_number_accepts_a_decimal_comma_and_is_returned_as_float(crudo: Any, numero: float) -> None:
    # Given / When
    limpios = validar_campos(Accion.CONFIRMAR_CAPACIDAD, _capacidad(velocidad_maxima_mbps=crudo), NORMALIZADORES)

    # Then
    assert limpios["velocidad_maxima_mbps"] == numero
    assert isinstance(limpios["velocidad_maxima_mbps"], float)


@pytest.mark.parametrize(
    ("crudo", "mensaje"),
    [
        ("0,5", "Debe ser como mínimo 1."),
        ("10000,01", "Debe ser como máximo 10000."),
        ("-3", "Debe ser como mínimo 1."),
    ],
)
def test_a_number_respects_its_minimum_and_maximum(crudo: str, mensaje: str) -> None:
    # Given / When
    errores = _errores(Accion.CONFIRMAR_CAPACIDAD, _capacidad(velocidad_maxima_mbps=crudo))

    # Then
    assert errores == {"velocidad_maxima_mbps": mensaje}


def test_a_number_on_its_bounds_is_accepted() -> None:
    # Given / When
    minimo = validar_campos(Accion.CONFIRMAR_CAPACIDAD, _capacidad(velocidad_maxima_mbps="1"), NORMALIZADORES)
    maximo = validar_campos(Accion.CONFIRMAR_CAPACIDAD, _capacidad(velocidad_maxima_mbps="10000"), NORMALIZADORES)

    # Then
    assert (minimo["velocidad_maxima_mbps"], maximo["velocidad_maxima_mbps"]) == (1.0, 10000.0)


@pytest.mark.parametrize(
    "crudo",
    ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", math.nan, math.inf, -math.inf, True, False, "cincuenta", "5 0"]
    + [[50], {"v": 50}, 10**400],
    ids=repr,
)
def test_a_number_refuses_nan_infinity_booleans_and_words(crudo: Any) -> None:
    # Given / When
    errores = _errores(Accion.CONFIRMAR_CAPACIDAD, _capacidad(velocidad_maxima_mbps=crudo))

    # Then
    assert errores == {"velocidad_maxima_mbps": "Debe ser un número."}


@pytest.mark.parametrize(("crudo", "entero"), [("5", 5), (5, 5), ("5.0", 5), (5.0, 5), ("28", 28)], ids=repr)
def test_an_integer_accepts_whole_numbers_only_and_returns_an_int(crudo: Any, entero: int) -> None:
    # Given / When
    limpios = validar_campos(Accion.REGISTRAR_CONTROL_RECURRENTE, _control(dia_facturacion=crudo), NORMALIZADORES)

    # Then
    assert limpios["dia_facturacion"] == entero
    assert type(limpios["dia_facturacion"]) is int


@pytest.mark.parametrize("crudo", ["5,5", 5.5, "cinco", True, "nan", "inf", 10**400], ids=repr)
def test_an_integer_refuses_fractions_words_booleans_and_non_finite_values(crudo: Any) -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_CONTROL_RECURRENTE, _control(dia_facturacion=crudo))

    # Then
    assert errores == {"dia_facturacion": "Debe ser un número entero."}


@pytest.mark.parametrize(("crudo", "mensaje"), [("0", "Debe ser como mínimo 1."), ("29", "Debe ser como máximo 28.")])
def test_an_integer_respects_its_minimum_and_maximum(crudo: str, mensaje: str) -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_CONTROL_RECURRENTE, _control(dia_facturacion=crudo))

    # Then
    assert errores == {"dia_facturacion": mensaje}


# --- fecha ------------------------------------------------------------------------------------------------------


def test_a_date_is_accepted_as_aaaa_mm_dd() -> None:
    # Given / When
    limpios = validar_campos(Accion.REGISTRAR_COMPROBANTE, _comprobante(fecha_deposito=" 2024-02-29 "), NORMALIZADORES)

    # Then
    assert limpios["fecha_deposito"] == "2024-02-29"


@pytest.mark.parametrize(
    "crudo",
    ["06/05/2024", "2024-5-6", "20240506", "2023-02-29", "2024-13-01", "2024-05-06T10:00", "2024-05-06 10:00", "ayer"],
)
def test_a_date_in_any_other_form_or_that_does_not_exist_is_refused(crudo: str) -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_COMPROBANTE, _comprobante(fecha_deposito=crudo))

    # Then
    assert errores == {"fecha_deposito": "Debe ser una fecha con el formato AAAA-MM-DD."}


# --- opcion / booleano ------------------------------------------------------------------------------------------


def test_an_option_must_be_one_of_the_listed_values() -> None:
    # Given / When
    aceptada = validar_campos(
        Accion.REGISTRAR_COMPROBANTE, _comprobante(tipo_operacion=" transferencia "), NORMALIZADORES
    )
    errores = _errores(Accion.REGISTRAR_COMPROBANTE, _comprobante(tipo_operacion="cheque"))

    # Then
    assert aceptada["tipo_operacion"] == "transferencia"
    assert errores == {"tipo_operacion": "Elija una de las opciones: Depósito, Transferencia."}


def test_an_option_is_matched_by_value_not_by_label() -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_COMPROBANTE, _comprobante(tipo_operacion="Depósito"))

    # Then
    assert set(errores) == {"tipo_operacion"}


@pytest.mark.parametrize(
    ("crudo", "valor"),
    [("sí", True), ("si", True), ("SI", True), ("true", True), ("1", True), (True, True)]
    + [("no", False), ("NO", False), ("false", False), ("0", False), (False, False)],
    ids=repr,
)
def test_a_yes_no_field_reads_spanish_and_english_answers(crudo: Any, valor: bool) -> None:
    # Given / When
    limpios = validar_campos(Accion.REGISTRAR_DATOS, {"cliente_existente": crudo}, NORMALIZADORES)

    # Then
    assert limpios == {"cliente_existente": valor}


def test_a_yes_no_field_refuses_anything_else() -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_DATOS, {"cliente_existente": "quizá"})

    # Then
    assert errores == {"cliente_existente": "Debe ser sí o no."}


# --- ci ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crudo", "ci"),
    [("1234567", "1234567"), ("1234567-1B", "1234567-1B"), ("1234567-1b", "1234567-1B"), (" 123 4567 ", "1234567")]
    + [("12345", "12345"), ("1234567890", "1234567890"), ("1234567-A", "1234567-A")],
)
def test_a_ci_is_five_to_ten_digits_with_an_optional_complement(crudo: str, ci: str) -> None:
    # Given / When
    limpios = validar_campos(Accion.REGISTRAR_DATOS, {"ci": crudo}, NORMALIZADORES)

    # Then
    assert limpios == {"ci": ci}


@pytest.mark.parametrize(
    "crudo",
    ["1234", "12345678901", "1234567-", "1234567-ABC", "1234567 LP", "CI1234567", "١٢٣٤٥٦٧", "1234567-1B\n-2"],
)
def test_a_ci_in_any_other_form_is_refused(crudo: str) -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_DATOS, {"ci": crudo})

    # Then
    assert errores == {"ci": "Debe ser un número de CI (5 a 10 dígitos, con complemento opcional como 1234567-1B)."}


# --- email / telefono -------------------------------------------------------------------------------------------


def test_phone_and_email_are_normalised_by_the_injected_normalisers() -> None:
    # Given
    crudos = {"telefono": " 7123 4567 ", "email": "Ana@Example.COM"}

    # When
    limpios = validar_campos(Accion.REGISTRAR_DATOS, crudos, NORMALIZADORES)

    # Then
    assert limpios == {"telefono": "+59171234567", "email": "ana@example.com"}


def test_the_normalisers_spanish_message_is_the_fields_error() -> None:
    # Given
    crudos = {"telefono": "123", "email": "sin-arroba"}

    # When
    errores = _errores(Accion.REGISTRAR_DATOS, crudos)

    # Then
    assert errores == {"telefono": "Teléfono inválido.", "email": "Correo electrónico inválido."}


def test_a_phone_field_of_another_action_uses_the_same_normaliser() -> None:
    # Given
    def rechaza_todo(_: str) -> str:
        raise ValueError("Teléfono inválido.")

    # When
    with pytest.raises(DatosInvalidos) as error:
        validar_campos(
            Accion.SOLICITAR_CONFIRMACION_HD,
            {"velocidad_solicitada_mbps": "50", "telefono_referencia": "4-4251234"},
            {"telefono": rechaza_todo, "email": _email},
        )

    # Then
    assert error.value.errores == {"telefono_referencia": "Teléfono inválido."}


# --- unknown, missing and empty fields --------------------------------------------------------------------------


def test_a_field_the_action_does_not_take_is_refused() -> None:
    # Given / When
    errores = _errores(Accion.ACEPTAR_OFERTA, {"observaciones": "ok", "estado": "cerrada"})

    # Then
    assert errores == {"estado": "Campo no admitido para esta acción."}


def test_protected_fields_cannot_be_smuggled_in_by_a_person() -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_DATOS, {"ci_huella": "x", "ci_cifrado": "y", "nombre": "Ana"})

    # Then
    assert errores == {
        "ci_huella": "Campo no admitido para esta acción.",
        "ci_cifrado": "Campo no admitido para esta acción.",
    }


@pytest.mark.parametrize("vacio", [None, "", "   "], ids=repr)
def test_a_required_field_that_is_missing_or_blank_is_refused(vacio: Any) -> None:
    # Given
    crudos = _oferta(plan=vacio)

    # When
    errores = _errores(Accion.ENVIAR_OFERTA, crudos)

    # Then
    assert errores == {"plan": "Este campo es obligatorio."}


def test_every_missing_required_field_is_reported_at_once() -> None:
    # Given / When
    errores = _errores(Accion.REGISTRAR_COMPROBANTE, {})

    # Then
    assert errores == {
        nombre: "Este campo es obligatorio."
        for nombre in ("monto_bs", "fecha_deposito", "numero_deposito", "tipo_operacion", "depositante")
    }


def test_blank_optional_fields_are_dropped() -> None:
    # Given / When
    limpios = validar_campos(Accion.ENVIAR_OFERTA, _oferta(observaciones=" "), NORMALIZADORES)

    # Then
    assert "observaciones" not in limpios


@pytest.mark.parametrize("accion", [Accion.REGISTRAR_DATOS, Accion.REGISTRAR_INFO_CUALITATIVA], ids=lambda a: a.value)
@pytest.mark.parametrize("crudos", [{}, {"zona": "  "}, {"tipo_uso": None}], ids=["nothing", "blank", "none"])
def test_an_action_that_needs_some_field_refuses_an_empty_submission(accion: Accion, crudos: dict[str, Any]) -> None:
    # Given
    definicion = ACCIONES[accion]
    assert definicion.requiere_algun_campo
    crudos = {k: v for k, v in crudos.items() if k in {c.nombre for c in definicion.campos}}

    # When
    errores = _errores(accion, crudos)

    # Then
    assert errores == {"_": "Complete al menos un campo."}


def test_an_action_without_fields_accepts_an_empty_submission() -> None:
    # Given / When / Then
    assert validar_campos(Accion.COMPLETAR_REQUISITOS, {}, NORMALIZADORES) == {}


# --- Property: validation never fails in any other way ----------------------------------------------------------

TODOS_LOS_CAMPOS = sorted({c.nombre for d in ACCIONES.values() for c in d.campos})
CLAVES = st.one_of(st.sampled_from(TODOS_LOS_CAMPOS), st.text(max_size=12))
ESCALARES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)


def _cumple_el_contrato(accion: Accion, crudos: dict[str, Any]) -> None:
    nombres = {c.nombre for c in ACCIONES[accion].campos}
    try:
        limpios = validar_campos(accion, crudos, NORMALIZADORES)
    except DatosInvalidos as error:
        assert error.errores
        assert all(isinstance(m, str) and m for m in error.errores.values())
    else:
        assert set(limpios) <= nombres
        assert set(limpios) <= set(crudos)


@given(accion=st.sampled_from(list(Accion)), crudos=st.dictionaries(CLAVES, st.text(), max_size=8))
def test_text_input_is_either_accepted_within_the_actions_fields_or_refused_as_invalid_data(
    accion: Accion, crudos: dict[str, Any]
) -> None:
    # Given / When / Then
    _cumple_el_contrato(accion, crudos)


@given(
    accion=st.sampled_from(list(Accion)),
    crudos=st.dictionaries(
        st.sampled_from(TODOS_LOS_CAMPOS), st.one_of(ESCALARES, st.lists(ESCALARES, max_size=2)), max_size=8
    ),
)
def test_any_json_value_is_either_accepted_or_refused_as_invalid_data(accion: Accion, crudos: dict[str, Any]) -> None:
    # Given / When / Then
    _cumple_el_contrato(accion, crudos)
