"""Request use cases with fakes: every door relies on these rules."""

from __future__ import annotations

import threading

import pytest

from chalicelib.domain.commands import AplicarAccion, CapturarSolicitud
from chalicelib.domain.errors import (
    AccionDesconocida,
    AccionRechazada,
    ConflictoConcurrente,
    DatosInvalidos,
    EnvioDuplicado,
    EstadoInvalido,
    RolNoAutorizado,
)
from chalicelib.domain.model import Rol
from chalicelib.services import solicitudes


def _capturar(puertos, **datos):
    cmd = CapturarSolicitud(
        canal="web",
        datos={"nombre": "María Quispe", "telefono": "+59171234567", "email": "maria@example.com", **datos},
        mensaje="Quiero internet",
        clave_envio=datos.pop("clave", None) if "clave" in datos else None,
    )
    return solicitudes.capturar(cmd, puertos=puertos)


def _aplicar(puertos, solicitud_id, accion, rol=Rol.EJ, version=None, **campos):
    return solicitudes.aplicar(
        AplicarAccion(
            solicitud_id=solicitud_id,
            accion=accion,
            campos=campos,
            actor=f"{rol.value.lower()}@ventas.test",
            rol=rol,
            version_esperada=version,
        ),
        puertos=puertos,
    )


def _hasta_consulta_hd(puertos):
    s = _capturar(puertos)
    _aplicar(puertos, s.id, "clasificar_residencial")
    _aplicar(
        puertos, s.id, "registrar_datos", ci="1234567", direccion="Av. Heroínas 123", latitud=-17.39, longitud=-66.157
    )
    _aplicar(puertos, s.id, "consultar_cobertura")
    return _aplicar(puertos, s.id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50)


def test_capture_creates_a_new_request_with_its_history(puertos, repo):
    # When
    s = _capturar(puertos)
    # Then
    assert s.estado == "nueva" and s.version == 1 and s.mes == "2026-11"
    historial = repo.historial(s.id)
    assert [e.accion for e in historial] == ["capturar"]
    assert historial[0].rol == "SISTEMA"


def test_the_same_submission_key_never_creates_a_second_request(puertos, repo):
    # Given
    cmd = CapturarSolicitud(canal="web", datos={"nombre": "Ana"}, clave_envio="abc")
    primera = solicitudes.capturar(cmd, puertos=puertos)
    # When / Then
    with pytest.raises(EnvioDuplicado) as exc:
        solicitudes.capturar(cmd, puertos=puertos)
    assert exc.value.existente_id == primera.id


def test_ci_is_never_stored_in_clear(puertos, repo):
    # Given
    s = _capturar(puertos)
    _aplicar(puertos, s.id, "clasificar_residencial")
    # When
    actualizada = _aplicar(puertos, s.id, "registrar_datos", ci="7654321-1B")
    # Then
    assert actualizada.datos["ci"] == "••••4321"
    assert "7654321" not in str(repo.historial(s.id))
    assert actualizada.datos["ci_cifrado"] == "c(7654321-1B)"


def test_a_role_cannot_apply_another_roles_action(puertos):
    s = _capturar(puertos)
    with pytest.raises(RolNoAutorizado):
        _aplicar(puertos, s.id, "clasificar_residencial", rol=Rol.CO)


def test_unknown_action_is_rejected(puertos):
    s = _capturar(puertos)
    with pytest.raises(AccionDesconocida):
        _aplicar(puertos, s.id, "volar")


def test_wrong_state_action_is_rejected_and_writes_nothing(puertos, repo):
    # Given
    s = _capturar(puertos)
    # When / Then
    with pytest.raises(EstadoInvalido):
        _aplicar(puertos, s.id, "aceptar_oferta")
    assert repo.obtener(s.id).version == 1
    assert len(repo.historial(s.id)) == 1


def test_invalid_fields_are_rejected_with_a_message_per_field_and_write_nothing(puertos, repo):
    s = _capturar(puertos)
    _aplicar(puertos, s.id, "clasificar_residencial")
    with pytest.raises(DatosInvalidos) as exc:
        _aplicar(puertos, s.id, "registrar_datos", telefono="12", email="no-es-correo", latitud="norte")
    assert set(exc.value.errores) == {"telefono", "email", "latitud"}
    assert repo.obtener(s.id).version == 2


def test_a_stale_version_is_a_conflict(puertos):
    s = _capturar(puertos)
    with pytest.raises(ConflictoConcurrente):
        _aplicar(puertos, s.id, "clasificar_residencial", version=7)


def test_help_desk_cannot_be_asked_before_coverage(puertos):
    s = _capturar(puertos)
    _aplicar(puertos, s.id, "clasificar_residencial")
    _aplicar(puertos, s.id, "registrar_datos", ci="1234567", direccion="Av. Heroínas 123")
    with pytest.raises(AccionRechazada, match="cobertura"):
        _aplicar(puertos, s.id, "solicitar_confirmacion_hd", velocidad_solicitada_mbps=50)


def test_coverage_needs_a_location(puertos):
    s = _capturar(puertos)
    _aplicar(puertos, s.id, "clasificar_residencial")
    with pytest.raises(DatosInvalidos):
        _aplicar(puertos, s.id, "consultar_cobertura")


def test_first_human_response_time_is_recorded_once(puertos, clock):
    s = _capturar(puertos)
    clock.avanzar(minutes=12)
    uno = _aplicar(puertos, s.id, "clasificar_residencial")
    clock.avanzar(minutes=30)
    dos = _aplicar(puertos, s.id, "registrar_datos", zona="Cala Cala")
    assert uno.primera_respuesta_en == dos.primera_respuesta_en == "2026-11-30T09:12:00-04:00"


def test_digitation_registers_the_sale_in_smartflex_with_the_clear_ci(puertos, smartflex):
    # Given a request up to digitation
    s = _hasta_consulta_hd(puertos)
    _aplicar(puertos, s.id, "confirmar_capacidad", rol=Rol.HD, velocidad_maxima_mbps=100)
    _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")
    _aplicar(puertos, s.id, "aceptar_oferta")
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        _aplicar(puertos, s.id, "registrar_requisito", requisito=requisito)
    _aplicar(puertos, s.id, "completar_requisitos")
    # When
    digitada = _aplicar(puertos, s.id, "digitar_venta")
    # Then
    assert digitada.estado == "forma_pago"
    assert digitada.digitacion["numero_contrato"] == f"SCS-{s.id}"
    assert smartflex.registros == [(s.id, "1234567")]
    assert digitada.etapas.keys() >= {"visitado", "informado", "pre_venta", "venta"}


def test_redigitation_creates_a_linked_request_and_marks_the_original(puertos, repo):
    # Given a cancelled sale
    s = _hasta_consulta_hd(puertos)
    _aplicar(puertos, s.id, "confirmar_capacidad", rol=Rol.HD, velocidad_maxima_mbps=100)
    _aplicar(puertos, s.id, "enviar_oferta", plan="hogar-fibra-50")
    _aplicar(puertos, s.id, "aceptar_oferta")
    for requisito in ("ci", "ubicacion", "carta_solicitud"):
        _aplicar(puertos, s.id, "registrar_requisito", requisito=requisito)
    _aplicar(puertos, s.id, "completar_requisitos")
    _aplicar(puertos, s.id, "digitar_venta")
    _aplicar(puertos, s.id, "anular", motivo="El cliente se mudó")
    # When
    original = _aplicar(puertos, s.id, "redigitar", rol=Rol.RC)
    # Then
    nueva = repo.obtener(original.redigitada_como)
    assert original.estado == "redigitada"
    assert nueva.estado == "digitacion" and nueva.redigitacion_de == s.id and nueva.digitacion is None
    assert [e.accion for e in repo.historial(nueva.id)] == ["crear_redigitacion"]
    with pytest.raises(EstadoInvalido):
        _aplicar(puertos, s.id, "redigitar", rol=Rol.RC)


def test_concurrent_actions_on_one_request_exactly_one_wins(puertos, repo):
    # Given
    s = _capturar(puertos)
    resultados: list[str] = []
    barrera = threading.Barrier(10)

    def intentar():
        barrera.wait()
        try:
            _aplicar(puertos, s.id, "clasificar_residencial", version=1)
            resultados.append("ok")
        except (ConflictoConcurrente, EstadoInvalido):
            resultados.append("409")

    # When
    hilos = [threading.Thread(target=intentar) for _ in range(10)]
    for h in hilos:
        h.start()
    for h in hilos:
        h.join()
    # Then
    assert resultados.count("ok") == 1 and resultados.count("409") == 9
    assert len(repo.historial(s.id)) == 2


def test_available_actions_depend_on_role_and_show_blocking_reasons(puertos):
    s = _capturar(puertos)
    s = _aplicar(puertos, s.id, "clasificar_residencial")
    ej = {a["accion"]: a for a in solicitudes.acciones_disponibles(s, Rol.EJ)}
    assert "solicitar_confirmacion_hd" in ej and "bloqueada_por" in ej["solicitar_confirmacion_hd"]
    assert solicitudes.acciones_disponibles(s, Rol.CO) == []


def test_listing_validates_its_filters(repo):
    with pytest.raises(DatosInvalidos) as exc:
        solicitudes.listar(repo=repo, estado="volando", mes="11-2026", limite=0)
    assert set(exc.value.errores) == {"estado", "mes", "limite"}


def test_a_command_with_a_reference_already_applied_changes_nothing(puertos, repo):
    # Given an action applied on behalf of an inbound mail (its reference), while the request stays where it is
    s = _hasta_consulta_hd(puertos)
    cmd = AplicarAccion(
        solicitud_id=s.id,
        accion="confirmar_capacidad",
        campos={"velocidad_maxima_mbps": 40, "tecnologia": "FTTH"},
        actor="helpdesk@ventas.test",
        rol=Rol.HD,
        canal="correo",
        referencia="correo#ses-1",
    )
    aplicada = solicitudes.aplicar(cmd, puertos=puertos)
    assert solicitudes.aplicada(repo, s.id, "correo#ses-1") is not None
    assert solicitudes.aplicada(repo, s.id, "correo#ses-2") is None

    # When the same mail's retry applies it again, Then nothing changes and no error is raised
    otra_vez = solicitudes.aplicar(cmd, puertos=puertos)
    assert otra_vez.version == aplicada.version == repo.obtener(s.id).version
    assert [e.accion for e in repo.historial(s.id)].count("confirmar_capacidad") == 1
