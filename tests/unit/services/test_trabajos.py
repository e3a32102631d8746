"""Speed to lead: an untouched new request is escalated to the team lead once, after its first business hour."""

from __future__ import annotations

from chalicelib.domain.commands import AplicarAccion, CapturarSolicitud
from chalicelib.domain.model import Rol
from chalicelib.services import solicitudes, trabajos


def _capturar(puertos):
    return solicitudes.capturar(CapturarSolicitud(canal="web", datos={"nombre": "Ana"}), puertos=puertos)


def test_untouched_request_is_escalated_once_after_its_first_hour(puertos, puertos_trabajo, clock, mailer, repo):
    # Given
    s = _capturar(puertos)
    clock.avanzar(minutes=59)
    assert trabajos.escalar_sin_atencion(puertos=puertos_trabajo) == []
    # When
    clock.avanzar(minutes=2)
    escaladas = trabajos.escalar_sin_atencion(puertos=puertos_trabajo)
    again = trabajos.escalar_sin_atencion(puertos=puertos_trabajo)
    # Then
    assert escaladas == [s.id] and again == []
    assert [c.para for c in mailer.enviados] == [("rc@ventas.test",)]
    assert repo.obtener(s.id).escalada_en is not None
    assert repo.obtener(s.id).version == 1
    assert any(e.tipo == "escalamiento" for e in repo.historial(s.id))


def test_a_request_a_person_touched_is_not_escalated(puertos, puertos_trabajo, clock, mailer):
    s = _capturar(puertos)
    solicitudes.aplicar(
        AplicarAccion(solicitud_id=s.id, accion="registrar_datos", campos={"zona": "Sarco"}, actor="ej", rol=Rol.EJ),
        puertos=puertos,
    )
    clock.avanzar(hours=3)
    assert trabajos.escalar_sin_atencion(puertos=puertos_trabajo) == []
    assert mailer.enviados == []
