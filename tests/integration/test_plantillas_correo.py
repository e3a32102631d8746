"""The email-loop templates render the data their services pass: what to type, who decided, what arrived."""

from __future__ import annotations

import pytest

from chalicelib.adapters.rendering import JinjaPlantillas
from chalicelib.services.correo_entrante import PROPOSITOS
from chalicelib.services.vistas import vista_solicitud
from tests.factories import make_solicitud

ID = "VD-7F3K9Q2M"


@pytest.fixture(scope="module")
def plantillas() -> JinjaPlantillas:
    return JinjaPlantillas()


def _base(**solicitud):
    s = make_solicitud(
        id=ID,
        capacidad={"solicitud": {"velocidad_solicitada_mbps": 40.0, "telefono_referencia": "+59144251234"}},
        **solicitud,
    )
    return {
        "solicitud": vista_solicitud(s),
        "buzones": {"ejecutivos": "ejecutivos@comteco.example", "help_desk": "helpdesk@comteco.example"},
        "url_solicitud": f"https://ventas.example/solicitudes/{ID}",
        "url_formulario": "https://ventas.example/solicitud",
    }


def test_the_unreadable_answer_says_why_and_shows_what_to_type(plantillas):
    # Given
    contexto = _base() | {
        "respuesta": {
            "asunto": f"RE: [{ID}] Confirmar capacidad técnica",
            "problema": "La primera línea de su respuesta empieza con «Creo»; debe empezar con SI o NO.",
            "primera_linea": "Creo que sí",
            "ejemplos": [{"titulo": t, "texto": e} for t, e in PROPOSITOS["capacidad"].ejemplos],
        }
    }
    # When
    correo = plantillas.correo("respuesta_no_entendida", contexto)
    # Then
    assert correo.asunto == f"[{ID}] No pudimos interpretar su respuesta"
    for cuerpo in (correo.texto, correo.html):
        assert "empieza con «Creo»" in cuerpo
        assert "Velocidad máxima: 40 Mbps" in cuerpo
        assert "Motivo: No hay puertos libres en la caja terminal." in cuerpo
        assert "no cambió" in cuerpo


def test_the_already_decided_answer_says_who_decided_and_when(plantillas):
    # Given
    contexto = _base() | {
        "respuesta": {
            "decision_previa": {
                "por": "hugo@comteco.example",
                "en": "2026-11-30T10:05:00-04:00",
                "accion": "negar_capacidad",
                "etiqueta": "Informar que no hay capacidad",
            },
            "estado_etiqueta": "No atendida",
        }
    }
    # When
    correo = plantillas.correo("respuesta_ya_decidida", contexto)
    # Then
    for cuerpo in (correo.texto, correo.html):
        assert "Informar que no hay capacidad" in cuerpo
        assert "hugo@comteco.example" in cuerpo
        assert "lunes, 30 de noviembre de 2026, 10:05" in cuerpo
        assert "No atendida" in cuerpo


def test_the_reminder_repeats_the_question_and_how_to_answer(plantillas):
    # Given
    contexto = _base() | {
        "seguimiento": {"desde": "2026-11-30T09:00:00-04:00", "vencio_en": "2026-11-30T11:00:00-04:00"}
    }
    # When
    correo = plantillas.correo("recordatorio_help_desk", contexto)
    # Then
    assert correo.asunto.startswith(f"[{ID}] Recordatorio: confirmar capacidad técnica: 40 Mbps")
    for cuerpo in (correo.texto, correo.html):
        assert "lunes, 30 de noviembre de 2026, 09:00" in cuerpo
        assert "+59144251234" in cuerpo
        assert "SI" in cuerpo and "NO" in cuerpo


def test_the_escalation_tells_the_team_lead_whom_to_call(plantillas):
    # Given
    contexto = _base() | {
        "seguimiento": {"desde": "2026-11-30T09:00:00-04:00", "vencio_en": "2026-11-30T13:00:00-04:00"}
    }
    # When
    correo = plantillas.correo("escalamiento_help_desk", contexto)
    # Then
    for cuerpo in (correo.texto, correo.html):
        assert "helpdesk@comteco.example" in cuerpo
        assert "lunes, 30 de noviembre de 2026, 13:00" in cuerpo


def test_the_documents_notice_lists_each_attachment_and_its_fate(plantillas):
    # Given
    contexto = _base() | {
        "recibido": {
            "de": "maria@example.com",
            "asunto": "RE: requisitos",
            "en": "2026-11-30T15:02:00-04:00",
            "texto": "Le envío mi carnet.",
            "adjuntos": [
                {"nombre": "CI_anverso.jpg", "tipo": "image/jpeg", "bytes": 2048, "requisito": "ci"},
                {"nombre": "IMG_1.png", "tipo": "image/png", "bytes": 1024, "documento": "s3://b/k"},
                {"nombre": "x.exe", "tipo": "application/x-msdownload", "bytes": 10, "descartado": "tipo no admitido"},
            ],
        }
    }
    # When
    correo = plantillas.correo("documentos_recibidos", contexto)
    # Then
    assert correo.asunto == f"[{ID}] El cliente respondió por correo con 3 adjuntos"
    for cuerpo in (correo.texto, correo.html):
        assert "registrado como «Fotografía del CI»" in cuerpo
        assert "sin clasificar" in cuerpo
        assert "descartado: tipo no admitido" in cuerpo
        assert "Le envío mi carnet." in cuerpo
