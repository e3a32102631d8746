"""Dedupe and merge across channels, and the processing of stored webhook items, with fakes (no AWS)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib.domain.commands import CapturarSolicitud
from chalicelib.domain.errors import ServicioExternoNoDisponible
from chalicelib.services import canales, solicitudes, webhooks
from chalicelib.services.canales import PuertosCanales
from tests.fakes_canales import AlmacenEnMemoria, EntrantesEnMemoria, FakeGraph, SalientesEnMemoria
from tests.fakes_persistencia import InMemorySolicitudRepository

EVENTOS = Path(__file__).resolve().parents[2] / "events"
LEAD = {
    "id": "1071870209599462",
    "ad_name": "Fibra hogar noviembre",
    "campaign_id": "2384985342589",
    "field_data": [
        {"name": "full_name", "values": ["María Quispe"]},
        {"name": "phone_number", "values": ["70000000"]},
        {"name": "email", "values": ["Maria@Example.com"]},
        {"name": "tipo_de_cliente", "values": ["residencial"]},
        {"name": "zona", "values": ["Sarco"]},
        {"name": "horario_de_contacto", "values": ["tarde"]},
    ],
}


@pytest.fixture
def canal(puertos):
    graph = FakeGraph()
    graph.leads[LEAD["id"]] = LEAD
    graph.medios["2754859441498128"] = (b"jpeg-ci", "image/jpeg")
    graph.medios["1234567890123456"] = (b"%PDF carta", "application/pdf")
    return PuertosCanales(
        solicitudes=puertos,
        entrantes=EntrantesEnMemoria(),
        graph=graph,
        documentos=AlmacenEnMemoria(),
        salientes=SalientesEnMemoria(),
    )


def _entregar(canal: PuertosCanales, nombre: str, tipo: str = "meta", cuerpo: bytes | None = None) -> list[str]:
    datos = json.loads(cuerpo or (EVENTOS / nombre).read_bytes())
    extraer = webhooks.extraer_meta if tipo == "meta" else webhooks.extraer_botmaker
    items = list(extraer(datos, recibido_en="2026-11-30T09:00:00-04:00", s3_key="k"))
    claves = canal.entrantes.registrar(items)
    for clave in claves:
        canales.procesar_entrante(clave, puertos=canal)
    return claves


def _web(**datos) -> CapturarSolicitud:
    return CapturarSolicitud(
        canal="web", datos={"nombre": "María Quispe", **datos}, clave_envio=datos.pop("envio", None) or "uuid-1"
    )


def _todas(canal):
    return list(canal.solicitudes.repo.solicitudes.values())


# --- dedupe and merge ---------------------------------------------------------------------------------------------


def test_a_whatsapp_wa_id_is_normalised_to_e164(puertos):
    assert canales.normalizar_contacto({"telefono": "59170000000"}, puertos) == {"telefono": "+59170000000"}
    assert canales.normalizar_contacto({"telefono": "70000000", "email": "A@B.Bo"}, puertos) == {
        "telefono": "+59170000000",
        "email": "a@b.bo",
    }
    assert canales.normalizar_contacto({"telefono": "12", "nombre": "Ana"}, puertos) == {"nombre": "Ana"}


def test_a_first_contact_becomes_a_new_request_with_its_touchpoint(puertos):
    recepcion = canales.recibir_contacto(_web(telefono="+59170712345"), puertos=puertos)
    s = puertos.repo.obtener(recepcion.solicitud_id)
    assert recepcion.nueva and s.contactos == [
        {"canal": "web", "tipo": "formulario", "en": "2026-11-30T09:00:00-04:00", "referencia": "uuid-1"}
    ]


@pytest.mark.parametrize(
    "segundo",
    [
        {"telefono": "59170712345"},
        {"email": "MARIA@example.com"},
        {"ci": "4567890"},
    ],
)
def test_a_second_contact_of_the_same_person_joins_her_open_request(puertos, segundo):
    # Given an open request with phone, email and CI
    primera = canales.recibir_contacto(
        _web(telefono="70712345", email="maria@example.com", ci="4567890"), puertos=puertos
    ).solicitud_id
    # When the same person writes on WhatsApp, identified by one of them
    cmd = CapturarSolicitud(canal="whatsapp", datos=segundo, mensaje="¿Y mi instalación?", clave_envio="wamid.1")
    recepcion = canales.recibir_contacto(cmd, puertos=puertos)
    # Then no new request: a touchpoint and a mensaje history entry, version unchanged
    assert recepcion == canales.Recepcion(primera, nueva=False)
    s = puertos.repo.obtener(primera)
    assert [c["canal"] for c in s.contactos] == ["web", "whatsapp"] and s.version == 1
    (mensaje,) = [e for e in puertos.repo.historial(primera) if e.tipo == "mensaje"]
    assert mensaje.canal == "whatsapp" and mensaje.campos["texto"] == "¿Y mi instalación?"
    assert len(puertos.repo.solicitudes) == 1


def test_the_same_contact_delivered_twice_is_recorded_once(puertos):
    canales.recibir_contacto(_web(telefono="70712345"), puertos=puertos)
    cmd = CapturarSolicitud(canal="whatsapp", datos={"telefono": "59170712345"}, clave_envio="wamid.1")
    canales.recibir_contacto(cmd, puertos=puertos)
    otra = canales.recibir_contacto(cmd, puertos=puertos)
    (s,) = puertos.repo.solicitudes.values()
    assert otra.duplicada and otra.solicitud_id == s.id and len(s.contactos) == 2


def test_a_resubmitted_web_form_is_a_duplicate_not_a_message(puertos):
    primera = canales.recibir_contacto(_web(telefono="70712345"), puertos=puertos)
    segunda = canales.recibir_contacto(_web(telefono="70712345"), puertos=puertos)
    assert segunda == canales.Recepcion(primera.solicitud_id, nueva=False, duplicada=True)
    assert [e.tipo for e in puertos.repo.historial(primera.solicitud_id)] == ["accion"]


def test_a_request_in_a_terminal_state_does_not_absorb_new_contacts(puertos):
    primera = canales.recibir_contacto(_web(telefono="70712345"), puertos=puertos).solicitud_id
    cerrada = replace(puertos.repo.obtener(primera), estado="derivada_empresas")
    puertos.repo.solicitudes[primera] = cerrada
    cmd = CapturarSolicitud(canal="whatsapp", datos={"telefono": "59170712345"}, clave_envio="wamid.9")
    assert canales.recibir_contacto(cmd, puertos=puertos).nueva
    assert len(puertos.repo.solicitudes) == 2


def test_the_newest_open_request_wins_when_several_match(puertos, clock):
    vieja = solicitudes.capturar(CapturarSolicitud(canal="web", datos={"telefono": "+59170712345"}), puertos=puertos)
    clock.avanzar(minutes=5)
    nueva = solicitudes.capturar(CapturarSolicitud(canal="web", datos={"email": "a@b.bo"}), puertos=puertos)
    cmd = CapturarSolicitud(canal="whatsapp", datos={"telefono": "59170712345", "email": "a@b.bo"}, clave_envio="w")
    assert canales.recibir_contacto(cmd, puertos=puertos).solicitud_id == nueva.id != vieja.id


def test_a_change_applied_after_a_merge_keeps_the_touchpoint(puertos):
    from chalicelib.domain.commands import AplicarAccion
    from chalicelib.domain.model import Rol

    solicitud_id = canales.recibir_contacto(_web(telefono="70712345"), puertos=puertos).solicitud_id
    leida = puertos.repo.obtener(solicitud_id)
    canales.recibir_contacto(
        CapturarSolicitud(canal="whatsapp", datos={"telefono": "59170712345"}, clave_envio="wamid.2"), puertos=puertos
    )
    assert leida.version == 1
    solicitudes.aplicar(
        AplicarAccion(solicitud_id, "clasificar_residencial", {}, actor="eva", rol=Rol.EJ, version_esperada=1),
        puertos=puertos,
    )
    assert [c["canal"] for c in puertos.repo.obtener(solicitud_id).contactos] == ["web", "whatsapp"]


class IndiceAtrasado(InMemorySolicitudRepository):
    """The contact indexes have not caught up with the last writes (DynamoDB GSIs are eventually consistent): every
    lookup finds nothing, as for two first contacts of one person processed at the same instant."""

    def buscar_por_contacto(self, **claves):
        return []


def _whatsapp(referencia: str, texto: str) -> CapturarSolicitud:
    return CapturarSolicitud(
        canal="whatsapp",
        datos={"telefono": "59170712345"},
        mensaje=texto,
        clave_envio=referencia,
        tipo_contacto="mensaje",
    )


def test_a_first_contact_the_index_does_not_show_yet_joins_the_request_that_claimed_the_phone(puertos):
    # Given a new person's first WhatsApp message, captured, that the contact index does not show yet
    puertos = replace(puertos, repo=IndiceAtrasado())
    primera = canales.recibir_contacto(_whatsapp("wamid.1", "Hola"), puertos=puertos)
    # When her second message arrives
    segunda = canales.recibir_contacto(_whatsapp("wamid.2", "Quiero fibra"), puertos=puertos)
    # Then the phone's claim sends it to her open request: one request, both touchpoints, one mensaje entry
    assert primera.nueva and segunda == canales.Recepcion(primera.solicitud_id, nueva=False)
    (s,) = puertos.repo.solicitudes.values()
    assert [c["referencia"] for c in s.contactos] == ["wamid.1", "wamid.2"] and s.version == 1
    (mensaje,) = [e for e in puertos.repo.historial(s.id) if e.tipo == "mensaje"]
    assert len(puertos.repo.historial(s.id)) == 2 and mensaje.campos["texto"] == "Quiero fibra"


def test_the_same_message_redelivered_before_the_index_shows_it_is_a_duplicate(puertos):
    puertos = replace(puertos, repo=IndiceAtrasado())
    primera = canales.recibir_contacto(_whatsapp("wamid.1", "Hola"), puertos=puertos)
    otra = canales.recibir_contacto(_whatsapp("wamid.1", "Hola"), puertos=puertos)
    assert otra == canales.Recepcion(primera.solicitud_id, nueva=False, duplicada=True)
    assert len(puertos.repo.solicitudes) == 1 and len(puertos.repo.historial(primera.solicitud_id)) == 1


def test_a_claim_held_by_a_request_closed_since_does_not_absorb_the_new_contact(puertos):
    # Given a request that claimed the phone and was closed within the claim's lifetime
    puertos = replace(puertos, repo=IndiceAtrasado())
    primera = canales.recibir_contacto(_whatsapp("wamid.1", "Hola"), puertos=puertos).solicitud_id
    puertos.repo.solicitudes[primera] = replace(puertos.repo.obtener(primera), estado="derivada_empresas")
    # When the same person writes again
    recepcion = canales.recibir_contacto(_whatsapp("wamid.2", "Otra consulta"), puertos=puertos)
    # Then it is a new request (without a claim of its own)
    assert recepcion.nueva and recepcion.solicitud_id != primera and len(puertos.repo.solicitudes) == 2


# --- processing of stored items -----------------------------------------------------------------------------------


def test_a_lead_is_captured_with_mapped_answers_attribution_and_the_rest_kept(canal):
    (clave,) = _entregar(canal, "meta_leadgen.json")
    (s,) = _todas(canal)
    assert s.canal == "facebook" and s.datos["telefono"] == "+59170000000" and s.datos["email"] == "maria@example.com"
    assert s.datos["zona"] == "Sarco" and s.tipo_cliente_sugerido == "residencial"
    assert s.origen["form_id"] == "447333180259108" and s.origen["ad_name"] == "Fibra hogar noviembre"
    assert s.origen["respuestas"] == {"horario_de_contacto": "tarde"} and s.origen["leadgen_id"] == LEAD["id"]
    assert canal.entrantes.items[clave].estado == "procesado" and canal.entrantes.items[clave].solicitud_id == s.id


def test_whatsapp_media_are_fetched_stored_and_linked(canal):
    _entregar(canal, "meta_whatsapp_mensajes.json")
    (s,) = _todas(canal)
    historial = {e.tipo: e for e in canal.solicitudes.repo.historial(s.id)}
    adjuntos = historial["accion"].campos["adjuntos"] + historial["mensaje"].campos["adjuntos"]
    assert sorted(canal.documentos.objetos) == sorted(a["s3_key"] for a in adjuntos)
    assert "canales/whatsapp/1234567890123456/carta_solicitud.pdf" in canal.documentos.objetos
    assert historial["accion"].nota == "CI anverso" and historial["mensaje"].nota == "Carta firmada"
    assert s.datos["nombre"] == "María Quispe"


def test_a_failed_enrichment_marks_the_item_fallido_counts_the_attempt_and_raises(canal):
    canal.graph.caida = True
    datos = json.loads((EVENTOS / "meta_leadgen.json").read_bytes())
    (item,) = webhooks.extraer_meta(datos, recibido_en="t", s3_key="k")
    canal.entrantes.registrar([item])
    for intento in (1, 2):
        with pytest.raises(ServicioExternoNoDisponible):
            canales.procesar_entrante(item.clave, puertos=canal)
        fallido = canal.entrantes.items[item.clave]
        assert fallido.estado == "fallido" and fallido.intentos == intento and "Graph API" in fallido.error
    canal.graph.caida = False
    assert canales.procesar_entrante(item.clave, puertos=canal) == "procesado"
    assert canal.entrantes.items[item.clave].error is None and len(_todas(canal)) == 1


def test_a_processed_item_is_not_processed_again(canal):
    (clave,) = _entregar(canal, "meta_leadgen.json")
    llamadas = len(canal.graph.llamadas)
    assert canales.procesar_entrante(clave, puertos=canal) == "procesado"
    assert len(canal.graph.llamadas) == llamadas and len(_todas(canal)) == 1


def test_messenger_messages_of_one_sender_share_a_request(canal):
    _entregar(canal, "meta_messenger.json")
    otro = (EVENTOS / "meta_messenger.json").read_bytes().replace(b"m_AbC123", b"m_AbC124")
    _entregar(canal, "", cuerpo=otro)
    (s,) = _todas(canal)
    assert s.datos["id_canal"] == "messenger:6543210987654321" and len(s.contactos) == 2


def test_a_botmaker_webchat_contact_is_keyed_by_platform_and_id(canal):
    datos = json.loads((EVENTOS / "botmaker_mensaje.json").read_bytes())
    datos.update(chatPlatform="webchat", contactId="wc-778")
    _entregar(canal, "", tipo="botmaker", cuerpo=json.dumps(datos).encode())
    (s,) = _todas(canal)
    assert s.datos["id_canal"] == "botmaker:webchat:wc-778" and "telefono" not in s.datos


def test_statuses_are_recorded_for_our_messages_and_ignored_otherwise(canal):
    canal.salientes.registrar_saliente("whatsapp", "wamid.HBgNSALIENTE001", "VD-00000042")
    (clave,) = _entregar(canal, "meta_whatsapp_estado.json")
    (entrada,) = canal.solicitudes.repo.historial("VD-00000042")
    assert entrada.tipo == "estado_mensaje" and entrada.campos["estado"] == "delivered"
    assert entrada.en.startswith("2025-06-25T")
    ajeno = (EVENTOS / "meta_whatsapp_estado.json").read_bytes().replace(b"SALIENTE001", b"AJENO")
    (otra,) = _entregar(canal, "", cuerpo=ajeno)
    assert canal.entrantes.items[clave].estado == "procesado" and canal.entrantes.items[otra].estado == "ignorado"
