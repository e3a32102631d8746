"""Reactions: the right emails, once per change, nothing lost when sending fails."""

from __future__ import annotations

import pytest

from chalicelib.domain.commands import CapturarSolicitud
from chalicelib.domain.errors import CorreoNoEnviado
from chalicelib.domain.events import AccionAplicada
from chalicelib.services import reacciones, solicitudes


def _evento(s, accion="capturar"):
    c = s.ultimo_cambio
    return AccionAplicada(
        solicitud_id=s.id, cambio_id=c.id, accion=accion, de=c.de, a=c.a, rol=c.rol, actor=c.actor, en=c.en
    )


def _capturar(puertos, email="maria@example.com"):
    datos = {"nombre": "María", "telefono": "+59171234567"} | ({"email": email} if email else {})
    return solicitudes.capturar(CapturarSolicitud(canal="web", datos=datos), puertos=puertos)


def test_capture_sends_the_acknowledgement_and_the_executives_notice(puertos, puertos_reaccion, mailer, repo):
    # Given
    s = _capturar(puertos)
    # When
    enviadas = reacciones.reaccionar(_evento(s), puertos=puertos_reaccion)
    # Then
    assert enviadas == ["acuse_cliente", "aviso_ejecutivos"]
    assert [c.para for c in mailer.enviados] == [("maria@example.com",), ("ejecutivos@ventas.test",)]
    correos = [e for e in repo.historial(s.id) if e.tipo == "correo"]
    assert [e.campos["ses_message_id"] for e in correos] == ["ses-1", "ses-2"]


def test_a_redelivered_change_sends_nothing_twice(puertos, puertos_reaccion, mailer):
    s = _capturar(puertos)
    reacciones.reaccionar(_evento(s), puertos=puertos_reaccion)
    assert reacciones.reaccionar(_evento(s), puertos=puertos_reaccion) == []
    assert len(mailer.enviados) == 2


def test_without_a_customer_email_only_the_executives_are_told(puertos, puertos_reaccion, mailer):
    s = _capturar(puertos, email=None)
    assert reacciones.reaccionar(_evento(s), puertos=puertos_reaccion) == ["aviso_ejecutivos"]


def test_a_failed_send_releases_the_key_so_the_retry_sends_it(puertos, puertos_reaccion, mailer):
    # Given a mail service that fails once
    s = _capturar(puertos)
    mailer.fallar = True
    with pytest.raises(CorreoNoEnviado):
        reacciones.reaccionar(_evento(s), puertos=puertos_reaccion)
    # When the record is retried
    mailer.fallar = False
    enviadas = reacciones.reaccionar(_evento(s), puertos=puertos_reaccion)
    # Then
    assert enviadas == ["acuse_cliente", "aviso_ejecutivos"]


def test_business_hand_over_goes_to_enterprise_sales_with_executives_in_copy(puertos, puertos_reaccion, mailer):
    from chalicelib.domain.commands import AplicarAccion
    from chalicelib.domain.model import Rol

    s = _capturar(puertos)
    s = solicitudes.aplicar(
        AplicarAccion(
            solicitud_id=s.id, accion="derivar_empresas", campos={"nit": "1023456021"}, actor="ej", rol=Rol.EJ
        ),
        puertos=puertos,
    )
    enviadas = reacciones.reaccionar(_evento(s, "derivar_empresas"), puertos=puertos_reaccion)
    assert enviadas == ["derivacion_empresas", "derivacion_cliente"]
    assert mailer.enviados[0].para == ("empresas@ventas.test",) and mailer.enviados[0].cc == ("ejecutivos@ventas.test",)


def test_every_reaction_template_name_has_a_template_pair():
    from pathlib import Path

    carpeta = Path(__file__).resolve().parents[3] / "templates" / "email"
    nombres = {r.plantilla for rs in reacciones.REACCIONES.values() for r in rs} | {"escalamiento_rc"}
    for nombre in nombres:
        for sufijo in (".subject.txt", ".txt", ".html"):
            assert (carpeta / f"{nombre}{sufijo}").exists(), f"missing {nombre}{sufijo}"
