"""Bank deposit notifications: per-bank rules as data, authenticated senders only, evidence never a decision."""

from __future__ import annotations

import pytest

from chalicelib.adapters.reglas_bancos import cargar_reglas
from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.model import Rol
from chalicelib.domain.pagos import CorreoBanco, ReglaBanco, leer_notificacion, monto_texto, referencia_en
from chalicelib.domain.ports import CorreoRenderizado
from chalicelib.services import bancos, solicitudes
from chalicelib.services.pagos import PuertosPagos
from tests.factories import make_entrada, make_solicitud
from tests.fakes import con_supresion
from tests.muestras_pagos import aviso_mercantil, correo_union
from tests.unit.services.conftest import BUZONES

REGLAS = cargar_reglas()
UNION, MERCANTIL = REGLAS


class PlantillasRegistradas:
    def __init__(self) -> None:
        self.contextos: list[tuple[str, dict]] = []

    def correo(self, nombre, contexto):
        self.contextos.append((nombre, dict(contexto)))
        return CorreoRenderizado(asunto=nombre, texto=str(contexto.get("motivo")), html="<p></p>")


@pytest.fixture
def plantillas():
    return PlantillasRegistradas()


@pytest.fixture
def puertos_pagos(puertos, idempotencia, mailer, plantillas):
    return PuertosPagos(
        solicitudes=puertos,
        idempotencia=idempotencia,
        mailer=con_supresion(mailer),
        plantillas=plantillas,
        buzones=BUZONES,
        url_publica="http://vd.test",
        reglas_bancos=REGLAS,
    )


def _solicitud(repo, estado="pago_pendiente", **extra):
    s = make_solicitud(
        estado=estado,
        oferta={"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        **extra,
    )
    repo.crear(s, make_entrada(s))
    return s


# --- Reading (pure) ---------------------------------------------------------------------------------------------


def test_the_union_rule_reads_every_field_of_its_notification():
    # Given
    correo = correo_union("VD-7F3K9Q2M", monto="1.250,50")
    # When
    n = leer_notificacion(correo, UNION)
    # Then
    assert n.banco == "Banco Unión S.A." and n.mensaje_id == "ses-banco-1"
    assert n.monto_bs == 1250.5 and n.fecha_deposito == "2026-11-30"
    assert n.numero_deposito == "778812" and n.tipo_operacion == "TRANSFERENCIA INTERBANCARIA ACH"
    assert n.depositante == "MARIA QUISPE MAMANI" and n.referencia == "VD-7F3K9Q2M"
    assert n.glosa == "VD-7F3K9Q2M pago internet"


def test_the_mercantil_rule_reads_a_decimal_point_and_a_lowercase_reference():
    correo = CorreoBanco(
        "m-1", "avisos@bmsc.com.bo", "Transferencia recibida", aviso_mercantil("VD-7F3K9Q2M", "1,250.00")
    )
    n = leer_notificacion(correo, MERCANTIL)
    assert n.monto_bs == 1250.0 and n.fecha_deposito == "2026-11-30" and n.numero_deposito == "MT-99001"
    assert n.referencia == "VD-7F3K9Q2M" and n.depositante == "JUAN PEREZ"


def test_a_bank_email_with_another_subject_is_not_a_deposit_notification():
    assert leer_notificacion(correo_union("VD-7F3K9Q2M", asunto="Promociones de diciembre"), UNION) is None


@pytest.mark.parametrize(
    ("texto", "esperado"),
    [
        ("Pago VD-7F3K9Q2M", "VD-7F3K9Q2M"),
        ("vd 7f3k9q2m", "VD-7F3K9Q2M"),
        ("VD7F3K9Q2M.", "VD-7F3K9Q2M"),
        ("VD-12", None),
    ],
)
def test_the_request_code_is_found_as_people_type_it(texto, esperado):
    assert referencia_en(texto) == esperado


@pytest.mark.parametrize(
    ("texto", "separador", "esperado"),
    [("1.250,00", ",", 1250.0), ("1,250.00", ".", 1250.0), ("abc", ",", None), ("0", ",", None)],
)
def test_amounts_follow_the_banks_decimal_separator(texto, separador, esperado):
    assert monto_texto(texto, separador) == esperado


def test_an_invalid_rule_is_refused_when_loaded():
    with pytest.raises(ValueError, match="sin_monto"):
        ReglaBanco.desde_dict({"id": "sin_monto", "nombre": "X", "dominios": ["x.bo"], "asunto": "a", "campos": {}})
    with pytest.raises(ValueError):
        ReglaBanco.desde_dict(
            {"id": "mala", "nombre": "X", "dominios": ["x.bo"], "asunto": "(", "campos": {"monto": "a"}}
        )


def test_a_subdomain_of_the_bank_is_the_bank_and_a_lookalike_is_not():
    assert bancos.regla_para("avisos.bancounion.com.bo", REGLAS) is UNION
    assert bancos.regla_para("bancounion.com.bo.example.com", REGLAS) is None
    assert bancos.regla_para("fakebancounion.com.bo", REGLAS) is None


# --- Authentication -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dmarc", "dkim", "dominios", "autentico"),
    [
        ("PASS", "PASS", (), True),
        ("PASS", "PASS", ("bancounion.com.bo",), True),
        ("PASS", "PASS", ("otro-dominio.com",), False),
        ("FAIL", "PASS", (), False),
        ("GRAY", "PASS", (), False),
        ("PASS", "FAIL", (), False),
        ("", "", (), False),
    ],
)
def test_only_dmarc_pass_with_dkim_of_the_bank_is_considered(dmarc, dkim, dominios, autentico):
    correo = correo_union("VD-7F3K9Q2M", dmarc=dmarc, dkim=dkim, dkim_dominios=dominios)
    assert bancos.autentico(correo, UNION) is autentico


def test_an_unauthenticated_notification_changes_nothing_and_sends_nothing(repo, puertos_pagos, mailer, idempotencia):
    s = _solicitud(repo)
    resultado = bancos.procesar_correo_banco(correo_union(s.id, dmarc="FAIL"), puertos=puertos_pagos)
    assert resultado["resultado"] == "no_autenticado"
    assert repo.obtener(s.id).version == s.version and mailer.enviados == [] and idempotencia.claves == {}


def test_mail_from_a_sender_that_is_not_a_bank_is_not_handled_here(puertos_pagos):
    correo = CorreoBanco("x", "cliente@gmail.com", "Abono en cuenta", "Monto: Bs 349,00", "PASS", "PASS")
    assert bancos.es_de_banco(correo, REGLAS) is False
    assert bancos.procesar_correo_banco(correo, puertos=puertos_pagos)["resultado"] == "no_es_banco"


# --- Matching -----------------------------------------------------------------------------------------------------


def test_a_matching_notification_is_attached_as_evidence_without_changing_the_state(repo, puertos_pagos, mailer):
    # Given a request waiting for Bs 349
    s = _solicitud(repo)
    # When the bank notifies the deposit with its code
    resultado = bancos.procesar_correo_banco(correo_union(s.id), puertos=puertos_pagos)
    # Then
    assert resultado == {"resultado": "conciliado", "banco": "union", "solicitud_id": s.id, "duplicado": False}
    guardada = repo.obtener(s.id)
    assert guardada.estado == "pago_pendiente"
    evidencia = guardada.pago["notificacion_banco"]
    assert evidencia["monto_bs"] == 349.0 and evidencia["numero_deposito"] == "778812"
    entrada = next(e for e in repo.historial(s.id) if e.accion == "registrar_notificacion_banco")
    assert (entrada.rol, entrada.canal, entrada.actor) == ("SISTEMA", "correo_banco", "banco:union")
    assert mailer.enviados == []


def test_the_receipt_registered_later_keeps_the_bank_evidence(repo, puertos, puertos_pagos):
    s = _solicitud(repo)
    bancos.procesar_correo_banco(correo_union(s.id), puertos=puertos_pagos)
    campos = {
        "monto_bs": 349,
        "fecha_deposito": "2026-11-30",
        "numero_deposito": "778812",
        "tipo_operacion": "transferencia",
        "depositante": "María Quispe",
    }
    solicitudes.aplicar(
        AplicarAccion(solicitud_id=s.id, accion="registrar_comprobante", campos=campos, actor="ej@x", rol=Rol.EJ),
        puertos=puertos,
    )
    pago = repo.obtener(s.id).pago
    assert pago["numero_deposito"] == "778812" and pago["notificacion_banco"]["banco"] == "Banco Unión S.A."


def test_while_validating_the_receipt_it_matches_the_receipts_amount(repo, puertos_pagos):
    s = _solicitud(repo, estado="validacion_deposito", pago={"monto_bs": 400.0, "medio": "transferencia"})
    resultado = bancos.procesar_correo_banco(correo_union(s.id, monto="400,00"), puertos=puertos_pagos)
    assert resultado["resultado"] == "conciliado"
    assert repo.obtener(s.id).estado == "validacion_deposito"


@pytest.mark.parametrize(
    ("preparar", "monto", "motivo"),
    [
        ("sin_codigo", "349,00", "no menciona ningún código"),
        ("desconocida", "349,00", "No existe ninguna solicitud"),
        ("cerrada", "349,00", "no espera un depósito"),
        ("pendiente", "300,00", "no coincide"),
    ],
)
def test_an_unmatched_deposit_is_reported_to_collections(
    repo, puertos_pagos, mailer, plantillas, preparar, monto, motivo
):
    # Given
    referencia = "VD-ZZZZZZZZ"
    s = None
    if preparar in ("cerrada", "pendiente"):
        s = _solicitud(repo, estado="cerrada" if preparar == "cerrada" else "pago_pendiente")
        referencia = s.id
    correo = correo_union(referencia if preparar != "sin_codigo" else "sin código", monto=monto)
    # When
    resultado = bancos.procesar_correo_banco(correo, puertos=puertos_pagos)
    # Then
    assert resultado["resultado"] == "sin_coincidencia" and motivo in resultado["mensaje"]
    assert [c.para for c in mailer.enviados] == [("cobranzas@ventas.test",)]
    nombre, contexto = plantillas.contextos[-1]
    assert nombre == "deposito_sin_coincidencia" and contexto["notificacion"]["banco"] == "Banco Unión S.A."
    if s is not None:
        assert repo.obtener(s.id).version == s.version
        assert any(e.tipo == "deposito_observado" for e in repo.historial(s.id))


def test_the_same_notification_twice_is_processed_once(repo, puertos_pagos):
    s = _solicitud(repo)
    bancos.procesar_correo_banco(correo_union(s.id), puertos=puertos_pagos)
    segundo = bancos.procesar_correo_banco(correo_union(s.id), puertos=puertos_pagos)
    assert segundo["duplicado"] is True
    assert [e.accion for e in repo.historial(s.id)].count("registrar_notificacion_banco") == 1
