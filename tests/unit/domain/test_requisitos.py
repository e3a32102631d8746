"""Step 9: the requirements checklist and when the requirements can be given as complete."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.errors import AccionRechazada
from chalicelib.domain.model import Rol
from chalicelib.domain.requisitos import ITEMS, REGISTRADOS, checklist, faltantes
from chalicelib.domain.states import REQUISITOS_OBLIGATORIOS, Accion, Estado, transition
from tests.factories import make_solicitud

AHORA = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("America/La_Paz"))
DATOS = {"nombre": "Ana Quispe", "ci": "••••4567", "ci_huella": "h", "direccion": "Av. América 123"}
TODOS = {r: {"registrado_en": "2026-11-30T09:00:00-04:00"} for r in REQUISITOS_OBLIGATORIOS}


def _completar(**overrides):
    s = make_solicitud(estado=Estado.REQUISITOS.value, **overrides)
    return transition(
        s, Accion.COMPLETAR_REQUISITOS, campos={}, actor="ej", rol=Rol.EJ, canal="api", ahora=AHORA, cambio_id="C"
    )


def test_the_registered_items_are_the_ones_the_guard_requires() -> None:
    assert set(REGISTRADOS) == set(REQUISITOS_OBLIGATORIOS)
    assert [i.clave for i in ITEMS] == ["ci_numero", "ci", "ubicacion", "carta_solicitud"]


def test_the_checklist_shows_the_ci_number_and_the_photo_as_separate_lines() -> None:
    # Given the CI number is recorded and only the photo arrived, as a stored document
    s = make_solicitud(datos=DATOS, requisitos={"ci": {"documento": "s3://vd-documentos/canales/ci.jpg"}})

    # When
    filas = {f["clave"]: f for f in checklist(s)}

    # Then
    assert filas["ci_numero"]["presente"] and filas["ci"]["presente"] and filas["ci"]["documento"]
    assert not filas["ubicacion"]["presente"] and not filas["carta_solicitud"]["presente"]
    assert [i.clave for i in faltantes(s)] == ["ubicacion", "carta_solicitud"]


def test_requirements_complete_only_when_every_item_is_present() -> None:
    # Given / When
    nueva, _ = _completar(datos=DATOS, requisitos=TODOS)

    # Then
    assert nueva.estado == Estado.DIGITACION.value


@pytest.mark.parametrize(
    ("datos", "motivo"),
    [
        (
            {"direccion": "Av. América 123"},
            "Faltan datos del cliente: número de CI (regístrelos en los datos básicos).",
        ),
        ({"ci_huella": "h"}, "Faltan datos del cliente: dirección de instalación (regístrelos en los datos básicos)."),
    ],
)
def test_requirements_cannot_complete_without_the_ci_number_or_the_address(datos, motivo) -> None:
    with pytest.raises(AccionRechazada) as error:
        _completar(datos=datos, requisitos=TODOS)
    assert error.value.mensaje == motivo
