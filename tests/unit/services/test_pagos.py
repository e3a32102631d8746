"""The payment gateway's callback: Standard Webhooks verification, once per id, applied only when it matches."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib.domain.errors import DatosInvalidos, FirmaInvalida
from chalicelib.domain.pagos import AvisoIlegible, CallbackEnProceso, RecibirCallbackPago
from chalicelib.domain.ports import CorreoRenderizado
from chalicelib.services import pagos
from chalicelib.services.pagos import PuertosPagos, firmar, verificar_firma
from tests.factories import make_entrada, make_solicitud
from tests.fakes import con_supresion
from tests.unit.services.conftest import BUZONES

SECRETO = "whsec_" + base64.b64encode(b"secreto-de-pruebas-24-bytes!").decode()
ANTERIOR = "whsec_" + base64.b64encode(b"secreto-anterior-24-bytes!!!").decode()
OTRO = "whsec_" + base64.b64encode(b"secreto-de-otra-pasarela-24b").decode()


class PlantillasRegistradas:
    """Renders the template name and records every context (some emails have no request)."""

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
        secretos_pasarela=(SECRETO, ANTERIOR),
    )


def _aviso(clock, datos=None, *, secreto=SECRETO, webhook_id="msg_1", desfase=0, cuerpo=None):
    cuerpo = cuerpo if cuerpo is not None else json.dumps(datos).encode()
    marca = int(clock.ahora().timestamp()) + desfase
    cabeceras = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(marca),
        "webhook-signature": firmar(secreto, webhook_id, marca, cuerpo),
    }
    return cabeceras, cuerpo


def _pago(referencia, monto=349.0, **extra):
    return {
        "tipo": "pago.aprobado",
        "id_transaccion": "TX-1",
        "referencia": referencia,
        "monto_bs": monto,
        "fecha": "2026-11-30T08:59:00-04:00",
        "medio": "tarjeta",
        **extra,
    }


def _pendiente(repo, **extra):
    s = make_solicitud(
        **{"estado": "pago_pendiente", **extra},
        oferta={"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        digitacion={"numero_contrato": "SCS-1"},
    )
    repo.crear(s, make_entrada(s))
    return s


# --- Signature matrix -------------------------------------------------------------------------------------------


def test_a_valid_signature_returns_the_webhook_id(clock):
    cabeceras, cuerpo = _aviso(clock, {"a": 1})
    assert verificar_firma(cabeceras, cuerpo, (SECRETO,), clock.ahora()) == "msg_1"


def test_one_valid_signature_among_several_passes(clock):
    cabeceras, cuerpo = _aviso(clock, {"a": 1})
    marca = int(cabeceras["webhook-timestamp"])
    ajena = firmar(OTRO, "msg_1", marca, cuerpo)
    cabeceras["webhook-signature"] = f"v1,AAAA {ajena} v1a,xyz {cabeceras['webhook-signature']}"
    assert verificar_firma(cabeceras, cuerpo, (SECRETO,), clock.ahora()) == "msg_1"


def test_either_of_two_active_secrets_passes_during_a_rotation(clock):
    cabeceras, cuerpo = _aviso(clock, {"a": 1}, secreto=ANTERIOR)
    assert verificar_firma(cabeceras, cuerpo, (SECRETO, ANTERIOR), clock.ahora()) == "msg_1"


@pytest.mark.parametrize("falta", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(clock, falta):
    cabeceras, cuerpo = _aviso(clock, {"a": 1})
    del cabeceras[falta]
    with pytest.raises(FirmaInvalida, match="Faltan las cabeceras"):
        verificar_firma(cabeceras, cuerpo, (SECRETO,), clock.ahora())


@pytest.mark.parametrize(
    ("cabecera", "valor"),
    [
        ("webhook-signature", "sha256=abcdef"),
        ("webhook-signature", "v1"),
        ("webhook-signature", "v1,no-es-base64!!"),
        ("webhook-timestamp", "ayer"),
        ("webhook-timestamp", "-5"),
        ("webhook-id", "msg con espacios"),
    ],
)
def test_a_malformed_header_is_refused(clock, cabecera, valor):
    cabeceras, cuerpo = _aviso(clock, {"a": 1})
    cabeceras[cabecera] = valor
    with pytest.raises(FirmaInvalida):
        verificar_firma(cabeceras, cuerpo, (SECRETO,), clock.ahora())


def test_a_signature_with_another_secret_is_refused(clock):
    cabeceras, cuerpo = _aviso(clock, {"a": 1}, secreto=OTRO)
    with pytest.raises(FirmaInvalida, match="no es válida"):
        verificar_firma(cabeceras, cuerpo, (SECRETO, ANTERIOR), clock.ahora())


def test_a_body_changed_after_signing_is_refused(clock):
    cabeceras, cuerpo = _aviso(clock, {"monto_bs": 349})
    with pytest.raises(FirmaInvalida):
        verificar_firma(cabeceras, cuerpo.replace(b"349", b"3490"), (SECRETO,), clock.ahora())


def test_a_signed_id_cannot_be_swapped(clock):
    cabeceras, cuerpo = _aviso(clock, {"a": 1})
    cabeceras["webhook-id"] = "msg_2"
    with pytest.raises(FirmaInvalida):
        verificar_firma(cabeceras, cuerpo, (SECRETO,), clock.ahora())


@pytest.mark.parametrize(("desfase", "mensaje"), [(-301, "antiguo"), (301, "futura")])
def test_a_timestamp_outside_five_minutes_is_refused_even_if_well_signed(clock, desfase, mensaje):
    cabeceras, cuerpo = _aviso(clock, {"a": 1}, desfase=desfase)
    with pytest.raises(FirmaInvalida, match=mensaje):
        verificar_firma(cabeceras, cuerpo, (SECRETO,), clock.ahora())


@pytest.mark.parametrize("desfase", [-300, 300])
def test_a_timestamp_at_the_edge_of_the_tolerance_passes(clock, desfase):
    cabeceras, cuerpo = _aviso(clock, {"a": 1}, desfase=desfase)
    assert verificar_firma(cabeceras, cuerpo, (SECRETO,), clock.ahora()) == "msg_1"


def test_without_configured_secrets_nothing_validates(clock):
    cabeceras, cuerpo = _aviso(clock, {"a": 1})
    with pytest.raises(FirmaInvalida):
        verificar_firma(cabeceras, cuerpo, ("", " "), clock.ahora())


def test_a_secret_without_the_whsec_prefix_is_used_as_text(clock):
    cabeceras, cuerpo = _aviso(clock, {"a": 1}, secreto="texto-plano")
    assert verificar_firma(cabeceras, cuerpo, ("texto-plano",), clock.ahora()) == "msg_1"


# --- Processing -------------------------------------------------------------------------------------------------


def _recibir(puertos_pagos, cabeceras, cuerpo):
    return pagos.recibir_pago_web(RecibirCallbackPago(cabeceras=cabeceras, cuerpo=cuerpo), puertos=puertos_pagos)


def test_a_matching_payment_is_registered_for_collections(repo, clock, puertos_pagos):
    # Given a request waiting for Bs 349
    s = _pendiente(repo)
    # When the gateway reports it paid
    resultado = _recibir(puertos_pagos, *_aviso(clock, _pago(s.id)))
    # Then
    assert resultado["resultado"] == "aplicado" and resultado["duplicado"] is False
    guardada = repo.obtener(s.id)
    assert guardada.estado == "validacion_pago_web"
    assert guardada.pago["id_transaccion"] == "TX-1" and guardada.pago["monto_bs"] == 349.0
    assert guardada.pago["medio_pago"] == "tarjeta" and guardada.pago["fecha_pago"] == "2026-11-30T08:59:00-04:00"
    cambio = next(e for e in repo.historial(s.id) if e.accion == "registrar_pago_web")
    assert (cambio.rol, cambio.canal, cambio.actor) == ("SISTEMA", "pasarela", "pasarela de pagos")


def test_a_replayed_callback_returns_the_first_outcome_and_changes_nothing(repo, clock, puertos_pagos, mailer):
    s = _pendiente(repo)
    cabeceras, cuerpo = _aviso(clock, _pago(s.id))
    _recibir(puertos_pagos, cabeceras, cuerpo)
    version = repo.obtener(s.id).version
    # When the same delivery arrives again
    segundo = _recibir(puertos_pagos, cabeceras, cuerpo)
    # Then
    assert segundo["resultado"] == "aplicado" and segundo["duplicado"] is True
    assert repo.obtener(s.id).version == version and mailer.enviados == []


def test_the_same_transaction_under_a_new_id_is_not_applied_twice(repo, clock, puertos_pagos, mailer):
    s = _pendiente(repo)
    _recibir(puertos_pagos, *_aviso(clock, _pago(s.id), webhook_id="msg_1"))
    resultado = _recibir(puertos_pagos, *_aviso(clock, _pago(s.id), webhook_id="msg_2"))
    assert resultado["resultado"] == "duplicado" and mailer.enviados == []


def test_a_callback_being_processed_asks_the_gateway_to_retry(repo, clock, puertos_pagos, idempotencia):
    s = _pendiente(repo)
    idempotencia.reclamar("webhook#pagos#msg_1")
    with pytest.raises(CallbackEnProceso):
        _recibir(puertos_pagos, *_aviso(clock, _pago(s.id)))
    assert repo.obtener(s.id).estado == "pago_pendiente"


def test_an_unknown_reference_is_acknowledged_and_reported_to_collections(clock, puertos_pagos, mailer, plantillas):
    resultado = _recibir(puertos_pagos, *_aviso(clock, _pago("VD-ZZZZZZZZ")))
    assert resultado["resultado"] == "sin_coincidencia" and resultado["solicitud_id"] is None
    assert [c.para for c in mailer.enviados] == [("cobranzas@ventas.test",)]
    nombre, contexto = plantillas.contextos[-1]
    assert nombre == "pago_sin_coincidencia" and "VD-ZZZZZZZZ" in contexto["motivo"]
    assert "solicitud" not in contexto


def test_a_request_not_waiting_for_payment_is_not_changed_and_collections_is_told(repo, clock, puertos_pagos, mailer):
    s = _pendiente(repo, estado="forma_pago")
    resultado = _recibir(puertos_pagos, *_aviso(clock, _pago(s.id)))
    assert resultado["resultado"] == "sin_coincidencia" and "Forma de pago" in resultado["mensaje"]
    assert repo.obtener(s.id).estado == "forma_pago"
    observado = next(e for e in repo.historial(s.id) if e.tipo == "pago_observado")
    assert observado.campos["id_transaccion"] == "TX-1" and observado.campos["ses_message_id"] == "ses-1"
    assert len(mailer.enviados) == 1


def test_a_different_amount_is_recorded_and_flagged_not_applied(repo, clock, puertos_pagos, mailer, plantillas):
    s = _pendiente(repo)
    resultado = _recibir(puertos_pagos, *_aviso(clock, _pago(s.id, monto=300)))
    assert resultado["resultado"] == "monto_distinto"
    assert "Bs 300,00" in resultado["mensaje"] and "Bs 349,00" in resultado["mensaje"]
    assert repo.obtener(s.id).estado == "pago_pendiente"
    assert any(e.tipo == "pago_observado" for e in repo.historial(s.id))
    assert plantillas.contextos[-1][1]["monto_esperado"] == 349.0


def test_another_kind_of_notice_is_acknowledged_and_ignored(clock, puertos_pagos, idempotencia):
    resultado = _recibir(puertos_pagos, *_aviso(clock, {"tipo": "pago.reembolsado", "referencia": "VD-1"}))
    assert resultado["resultado"] == "ignorado" and idempotencia.claves == {}


@pytest.mark.parametrize("cuerpo", [b"{no es json", b"[1, 2]", b"\xff\xfe", b""])
def test_a_well_signed_body_that_is_not_a_json_object_is_refused_and_writes_nothing(
    clock, puertos_pagos, idempotencia, cuerpo
):
    with pytest.raises(AvisoIlegible):
        _recibir(puertos_pagos, *_aviso(clock, cuerpo=cuerpo))
    assert idempotencia.claves == {}


def test_wrong_fields_are_refused_with_one_message_each_and_write_nothing(clock, puertos_pagos, idempotencia):
    datos = {"tipo": "pago.aprobado", "referencia": "factura 12", "monto_bs": -4, "fecha": "ayer"}
    with pytest.raises(DatosInvalidos) as error:
        _recibir(puertos_pagos, *_aviso(clock, datos))
    assert set(error.value.errores) == {"id_transaccion", "referencia", "monto_bs", "fecha"}
    assert idempotencia.claves == {}


def test_a_bad_signature_writes_nothing(repo, clock, puertos_pagos, idempotencia, mailer):
    s = _pendiente(repo)
    cabeceras, cuerpo = _aviso(clock, _pago(s.id), secreto=OTRO)
    with pytest.raises(FirmaInvalida):
        _recibir(puertos_pagos, cabeceras, cuerpo)
    assert idempotencia.claves == {} and mailer.enviados == [] and repo.obtener(s.id).estado == "pago_pendiente"


def test_a_failure_while_processing_releases_the_id_so_the_retry_runs(repo, clock, puertos_pagos, mailer):
    cabeceras, cuerpo = _aviso(clock, _pago("VD-ZZZZZZZZ"))
    mailer.fallar = True
    with pytest.raises(Exception):  # noqa: B017 - the mail failure itself
        _recibir(puertos_pagos, cabeceras, cuerpo)
    mailer.fallar = False
    assert _recibir(puertos_pagos, cabeceras, cuerpo)["resultado"] == "sin_coincidencia"
    assert len(mailer.enviados) == 1


# --- Step 18 list --------------------------------------------------------------------------------------------------


def test_the_recurring_control_list_is_for_billing_and_the_team_lead(repo):
    from chalicelib.domain.errors import RolNoAutorizado
    from chalicelib.domain.model import Rol

    with pytest.raises(RolNoAutorizado):
        pagos.control_recurrente("2026-11", {Rol.EJ, Rol.CO}, repo=repo)
    with pytest.raises(DatosInvalidos):
        pagos.control_recurrente("2026-13", {Rol.FA}, repo=repo)


def test_the_recurring_control_list_has_pending_and_registered_postpaid_sales(repo):
    from chalicelib.domain.model import Rol

    # Given one postpaid sale waiting and one closed this month
    pendiente = make_solicitud(
        estado="control_facturacion",
        estado_desde="2026-11-29T10:00:00-04:00",
        oferta={"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0},
        digitacion={"numero_contrato": "SCS-9"},
    )
    cerrada = make_solicitud(
        estado="cerrada",
        control_facturacion={
            "dia_facturacion": 5,
            "monto_mensual_bs": 199.0,
            "registrado_en": "2026-11-30T10:00:00-04:00",
        },
        factura={"numero": "POS-X", "monto_bs": 199.0, "emitida_en": "2026-11-30T10:00:00-04:00", "mes": "2026-11"},
    )
    for s in (pendiente, cerrada):
        repo.crear(s, make_entrada(s))
    # When
    filas = pagos.control_recurrente("2026-11", {Rol.FA}, repo=repo)
    # Then
    assert [(f["solicitud_id"], f["estado"]) for f in filas] == [
        (pendiente.id, "control_facturacion"),
        (cerrada.id, "cerrada"),
    ]
    assert filas[0]["numero_contrato"] == "SCS-9" and filas[0]["pendiente_desde"] == "2026-11-29T10:00:00-04:00"
    assert filas[1]["dia_facturacion"] == 5 and filas[1]["pendiente_desde"] is None
    tabla = pagos.tabla_control(filas, "2026-11")
    assert tabla.columnas[0] == "Código" and str(tabla.filas[1][8]) == "199.00"
