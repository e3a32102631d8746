"""The state machine: the full state x action grid, every guard's refusal, the stage chronology and whole paths."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.actions import ACCIONES, validar_campos
from chalicelib.domain.errors import AccionRechazada, EstadoInvalido
from chalicelib.domain.model import Cambio, Etapa, Rol, Solicitud
from chalicelib.domain.states import (
    ACTIVOS,
    ETAPA_IMPLICITA,
    ETIQUETA_ESTADO,
    GUARDS,
    RESULTADO_FINAL,
    TERMINALES,
    TRANSITIONS,
    Accion,
    Estado,
    acciones_desde,
    transition,
)
from tests.factories import make_solicitud

LA_PAZ = ZoneInfo("America/La_Paz")
ANTES = datetime(2024, 5, 6, 8, 0, tzinfo=LA_PAZ)
AHORA = datetime(2024, 5, 6, 10, 30, tzinfo=LA_PAZ)

NORMALIZADORES = {"email": str.lower, "telefono": lambda t: "+591" + t}

CAMPOS_VALIDOS: dict[Accion, dict[str, Any]] = {
    Accion.CLASIFICAR_RESIDENCIAL: {"motivo": "Pidió internet para su casa"},
    Accion.DERIVAR_EMPRESAS: {"razon_social": "Ferretería Illimani SRL", "nit": "1023456029"},
    Accion.REGISTRAR_DATOS: {"nombre": "Ana Quispe"},
    Accion.REGISTRAR_INFO_CUALITATIVA: {"tipo_uso": "teletrabajo", "horario_navegacion": "noche"},
    Accion.CONSULTAR_COBERTURA: {
        "disponible": True,
        "tecnologia": "FTTH",
        "velocidad_maxima_mbps": 200.0,
        "zona": "Queru Queru",
        "fuente": "gis",
    },
    Accion.CERRAR_SIN_COBERTURA: {"motivo": "La zona no tiene red"},
    Accion.SOLICITAR_CONFIRMACION_HD: {"velocidad_solicitada_mbps": 50.0, "tecnologia": "FTTH"},
    Accion.CONFIRMAR_CAPACIDAD: {"velocidad_maxima_mbps": 100.0},
    Accion.NEGAR_CAPACIDAD: {"motivo": "El nodo está saturado"},
    Accion.ENVIAR_OFERTA: {
        "plan": "Hogar 50",
        "tecnologia": "FTTH",
        "velocidad_mbps": 50.0,
        "tarifa_mensual_bs": 199.0,
    },
    Accion.ACEPTAR_OFERTA: {},
    Accion.RECHAZAR_OFERTA: {"motivo": "La tarifa le parece alta"},
    Accion.REGISTRAR_REQUISITO: {"requisito": "ci", "documento": "s3://adjuntos/ci.jpg"},
    Accion.COMPLETAR_REQUISITOS: {},
    Accion.DIGITAR_VENTA: {"numero_contrato": "CT-0001", "codigo_cliente": "CLI-77"},
    Accion.ELEGIR_PREPAGO: {},
    Accion.ELEGIR_POSPAGO: {},
    Accion.REGISTRAR_COMPROBANTE: {
        "monto_bs": 199.0,
        "fecha_deposito": "2024-05-06",
        "numero_deposito": "DEP-123",
        "tipo_operacion": "transferencia",
        "depositante": "Ana Quispe",
    },
    Accion.REGISTRAR_PAGO_WEB: {"id_transaccion": "TX-9", "monto_bs": 199.0},
    Accion.REGISTRAR_NOTIFICACION_BANCO: {"banco": "Banco Unión S.A.", "mensaje_id": "ses-1", "monto_bs": 199.0},
    Accion.APROBAR_DEPOSITO: {},
    Accion.RECHAZAR_DEPOSITO: {"motivo": "El monto no coincide"},
    Accion.CONFIRMAR_PAGO_WEB: {},
    Accion.RECHAZAR_PAGO_WEB: {"motivo": "Pago revertido"},
    Accion.ENVIAR_FACTURA: {"numero_factura": "F-100", "monto_bs": 199.0},
    Accion.MARCAR_IMPRESA: {"numero_factura": "F-100", "monto_bs": 199.0},
    Accion.MARCAR_ENTREGADA: {"entregada_a": "Ana Quispe"},
    Accion.REGISTRAR_CONTROL_RECURRENTE: {"dia_facturacion": 5, "monto_mensual_bs": 199.0},
    Accion.REGISTRAR_ETAPA: {"etapa": "informado"},
    Accion.ANULAR: {"motivo": "El cliente desistió"},
    Accion.REDIGITAR: {"nueva_solicitud_id": "SOL-2"},
    Accion.REACTIVAR: {"motivo": "El cliente volvió a llamar"},
}
"""Per action, a minimal valid field dict as the service passes it to transition() (validated, then enriched)."""

AGREGADOS_POR_EL_SERVICIO: dict[Accion, frozenset[str]] = {
    Accion.CONSULTAR_COBERTURA: frozenset(CAMPOS_VALIDOS[Accion.CONSULTAR_COBERTURA]),
    Accion.ENVIAR_OFERTA: frozenset({"tecnologia", "velocidad_mbps", "tarifa_mensual_bs"}),
    Accion.DIGITAR_VENTA: frozenset({"numero_contrato", "codigo_cliente"}),
    Accion.REDIGITAR: frozenset({"nueva_solicitud_id"}),
}
"""Fields the service adds after validation (coverage answer, Smartflex registration, the new request's id)."""


def _solicitud(**overrides: Any) -> Solicitud:
    """A valid request in estado ``nueva``, captured at ANTES, version 3."""
    return make_solicitud(**{"id": "SOL-1", "creada_en": ANTES.isoformat(), "version": 3, **overrides})


def _lista_para(estado: Estado, accion: Accion) -> Solicitud:
    """A request in ``estado`` whose record satisfies every guard of ``accion``."""
    cobertura_disponible = accion is not Accion.CERRAR_SIN_COBERTURA
    return _solicitud(
        estado=estado.value,
        datos={
            "nombre": "Ana Quispe",
            "telefono": "+59171234567",
            "direccion": "Av. América 123",
            "ci": "••••4567",
            "ci_huella": "huella-4567",
            "ci_cifrado": "cifrado-4567",
        },
        cobertura={"disponible": cobertura_disponible, "velocidad_maxima_mbps": 200.0, "consultada_en": "x"},
        capacidad={"velocidad_maxima_mbps": 100.0, "confirmada": True},
        oferta={"plan": "Hogar 50", "velocidad_mbps": 50.0, "tarifa_mensual_bs": 199.0},
        requisitos={r: {"registrado_en": ANTES.isoformat()} for r in ("ci", "ubicacion", "carta_solicitud")},
        etapas={Etapa.VISITADO.value: ANTES.isoformat()},
    )


def _aplicar(
    solicitud: Solicitud,
    accion: Accion,
    campos: dict[str, Any] | None = None,
    *,
    rol: Rol = Rol.EJ,
    ahora: datetime = AHORA,
) -> tuple[Solicitud, Cambio]:
    return transition(
        solicitud,
        accion,
        campos=CAMPOS_VALIDOS[accion] if campos is None else campos,
        actor=f"{rol.value.lower()}@comteco.test",
        rol=rol,
        canal="api",
        ahora=ahora,
        cambio_id="CAM-1",
    )


GRILLA = list(itertools.product(Estado, Accion))
PERMITIDAS = [par for par in GRILLA if par in TRANSITIONS]
PROHIBIDAS = [par for par in GRILLA if par not in TRANSITIONS]


def _casos(pares: list[tuple[Estado, Accion]]) -> list[Any]:
    return [pytest.param(estado, accion, id=f"{estado.value}-{accion.value}") for estado, accion in pares]


# --- The grid ---------------------------------------------------------------------------------------------------


def test_the_grid_covers_every_state_and_every_action() -> None:
    # Given / When
    cubiertos = set(PERMITIDAS) | set(PROHIBIDAS)

    # Then
    assert len(GRILLA) == len(Estado) * len(Accion) >= 20 * 32
    assert cubiertos == set(GRILLA)
    assert set(TRANSITIONS) <= set(GRILLA)


@pytest.mark.parametrize("accion", list(Accion), ids=lambda a: a.value)
def test_the_fields_each_action_receives_in_these_tests_are_valid(accion: Accion) -> None:
    # Given: the fields a person types, without what the service adds afterwards
    agregados = AGREGADOS_POR_EL_SERVICIO.get(accion, frozenset())
    tecleados = {k: v for k, v in CAMPOS_VALIDOS[accion].items() if k not in agregados}
    crudos = {k: str(v) for k, v in tecleados.items()}

    # When
    limpios = validar_campos(accion, crudos, NORMALIZADORES)

    # Then
    assert limpios == tecleados


@pytest.mark.parametrize(("estado", "accion"), _casos(PERMITIDAS))
def test_an_allowed_action_moves_the_request_to_the_tables_target(estado: Estado, accion: Accion) -> None:
    # Given
    solicitud = _lista_para(estado, accion)
    campos = CAMPOS_VALIDOS[accion]
    esperado = TRANSITIONS[(estado, accion)]

    # When
    nueva, cambio = _aplicar(solicitud, accion, rol=min(ACCIONES[accion].roles))

    # Then
    assert nueva.estado == esperado.value
    assert nueva.version == solicitud.version + 1
    assert nueva.actualizada_en == AHORA.isoformat()
    assert nueva.ultimo_cambio == cambio
    assert (cambio.id, cambio.solicitud_id) == ("CAM-1", solicitud.id)
    assert (cambio.de, cambio.a, cambio.accion) == (estado.value, esperado.value, accion.value)
    assert cambio.rol in {r.value for r in ACCIONES[accion].roles}
    assert cambio.actor == f"{cambio.rol.lower()}@comteco.test"
    assert cambio.canal == "api"
    assert cambio.en == AHORA.isoformat()
    implicita = ETAPA_IMPLICITA.get(accion)
    nueva_etapa = {"etapa": implicita.value} if implicita and implicita.value not in solicitud.etapas else {}
    assert cambio.campos == {**campos, **nueva_etapa}
    if esperado is estado:
        assert nueva.estado_desde == solicitud.estado_desde
    else:
        assert nueva.estado_desde == AHORA.isoformat()
    assert solicitud.estado == estado.value and solicitud.version == 3


@pytest.mark.parametrize(("estado", "accion"), _casos(PROHIBIDAS))
def test_an_action_the_table_lacks_is_refused_in_spanish(estado: Estado, accion: Accion) -> None:
    # Given: a request whose record would satisfy every guard, so only the state can refuse
    solicitud = _lista_para(estado, accion)

    # When / Then
    with pytest.raises(EstadoInvalido) as error:
        _aplicar(solicitud, accion)
    assert error.value.mensaje == (
        f"La acción «{accion.value}» no se puede aplicar a una solicitud en estado «{ETIQUETA_ESTADO[estado]}»."
    )


def test_every_state_has_a_spanish_label_and_every_terminal_state_a_final_result() -> None:
    # Given / When / Then
    assert set(ETIQUETA_ESTADO) == set(Estado)
    assert all(etiqueta.strip() for etiqueta in ETIQUETA_ESTADO.values())
    assert set(RESULTADO_FINAL) == set(TERMINALES)


def test_every_guard_belongs_to_an_action_of_the_table() -> None:
    # Given
    acciones_de_la_tabla = {accion for (_, accion) in TRANSITIONS}

    # When / Then
    assert set(GUARDS) <= acciones_de_la_tabla


def test_the_stage_chronology_can_be_recorded_in_every_active_state_and_in_no_terminal_one() -> None:
    # Given / When
    con_etapa = {estado for estado in Estado if Accion.REGISTRAR_ETAPA in acciones_desde(estado)}

    # Then
    assert con_etapa == set(ACTIVOS)
    assert not con_etapa & TERMINALES


def test_nothing_can_be_done_with_a_request_handed_over_or_already_redigitated() -> None:
    # Given / When / Then
    assert acciones_desde(Estado.DERIVADA_EMPRESAS) == []
    assert acciones_desde(Estado.REDIGITADA) == []


# --- Guards -----------------------------------------------------------------------------------------------------


def test_cannot_ask_help_desk_without_the_customers_basic_data() -> None:
    # Given
    solicitud = replace(_lista_para(Estado.EN_REGISTRO, Accion.SOLICITAR_CONFIRMACION_HD), datos={})

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _aplicar(solicitud, Accion.SOLICITAR_CONFIRMACION_HD)
    assert error.value.mensaje == "Faltan datos básicos del cliente: nombre, teléfono, número de CI, dirección."


def test_a_masked_ci_without_its_fingerprint_does_not_count_as_basic_data() -> None:
    # Given
    lista = _lista_para(Estado.EN_REGISTRO, Accion.SOLICITAR_CONFIRMACION_HD)
    solicitud = replace(lista, datos={k: v for k, v in lista.datos.items() if k != "ci_huella"})

    # When / Then
    with pytest.raises(AccionRechazada, match=r"^Faltan datos básicos del cliente: número de CI\.$"):
        _aplicar(solicitud, Accion.SOLICITAR_CONFIRMACION_HD)


def test_cannot_ask_help_desk_before_checking_coverage() -> None:
    # Given
    solicitud = replace(_lista_para(Estado.EN_REGISTRO, Accion.SOLICITAR_CONFIRMACION_HD), cobertura=None)

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _aplicar(solicitud, Accion.SOLICITAR_CONFIRMACION_HD)
    assert error.value.mensaje == "Primero consulte la cobertura técnica de la ubicación (paso 5)."


def test_cannot_ask_help_desk_about_a_location_without_service_coverage() -> None:
    # Given
    solicitud = replace(
        _lista_para(Estado.EN_REGISTRO, Accion.SOLICITAR_CONFIRMACION_HD), cobertura={"disponible": False}
    )

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _aplicar(solicitud, Accion.SOLICITAR_CONFIRMACION_HD)
    assert "no tiene cobertura" in error.value.mensaje


def test_cannot_close_for_lack_of_coverage_a_location_that_has_coverage() -> None:
    # Given
    solicitud = replace(_lista_para(Estado.EN_REGISTRO, Accion.CERRAR_SIN_COBERTURA), cobertura={"disponible": True})

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _aplicar(solicitud, Accion.CERRAR_SIN_COBERTURA)
    assert error.value.mensaje == "La ubicación tiene cobertura; no corresponde cerrarla por falta de cobertura."


def test_cannot_close_for_lack_of_coverage_before_checking_coverage() -> None:
    # Given
    solicitud = replace(_lista_para(Estado.EN_REGISTRO, Accion.CERRAR_SIN_COBERTURA), cobertura=None)

    # When / Then
    with pytest.raises(AccionRechazada, match="Primero consulte la cobertura"):
        _aplicar(solicitud, Accion.CERRAR_SIN_COBERTURA)


def test_cannot_offer_more_speed_than_help_desk_confirmed() -> None:
    # Given: Help Desk confirmed 100 Mbps
    solicitud = _lista_para(Estado.NEGOCIACION, Accion.ENVIAR_OFERTA)
    campos = {**CAMPOS_VALIDOS[Accion.ENVIAR_OFERTA], "velocidad_mbps": 150.0}

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _aplicar(solicitud, Accion.ENVIAR_OFERTA, campos)
    assert error.value.mensaje == (
        "La velocidad ofertada (150.0 Mbps) supera la capacidad confirmada por Help Desk (100.0 Mbps)."
    )


def test_can_offer_exactly_the_speed_help_desk_confirmed() -> None:
    # Given
    solicitud = _lista_para(Estado.NEGOCIACION, Accion.ENVIAR_OFERTA)
    campos = {**CAMPOS_VALIDOS[Accion.ENVIAR_OFERTA], "velocidad_mbps": 100.0}

    # When
    nueva, _ = _aplicar(solicitud, Accion.ENVIAR_OFERTA, campos)

    # Then
    assert nueva.estado == Estado.OFERTA_ENVIADA.value
    assert nueva.oferta is not None and nueva.oferta["velocidad_mbps"] == 100.0


@pytest.mark.parametrize("accion", [Accion.ACEPTAR_OFERTA, Accion.RECHAZAR_OFERTA], ids=lambda a: a.value)
def test_cannot_accept_or_reject_an_offer_that_was_never_sent(accion: Accion) -> None:
    # Given
    solicitud = replace(_lista_para(Estado.OFERTA_ENVIADA, accion), oferta=None)

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _aplicar(solicitud, accion)
    assert error.value.mensaje == "No hay una oferta enviada que el cliente pueda aceptar."


def test_cannot_complete_the_requirements_while_some_are_missing_and_the_message_lists_them() -> None:
    # Given: only the ID card arrived
    solicitud = replace(
        _lista_para(Estado.REQUISITOS, Accion.COMPLETAR_REQUISITOS), requisitos={"ci": {"registrado_en": "x"}}
    )

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _aplicar(solicitud, Accion.COMPLETAR_REQUISITOS)
    assert error.value.mensaje == "Faltan requisitos: ubicacion, carta_solicitud."


@pytest.mark.parametrize(
    ("alcanzadas", "pedida", "mensaje"),
    [
        (
            ["visitado", "informado", "pre_venta"],
            "informado",
            "La etapa Informado no sigue a la etapa actual (Pre Venta).",
        ),
        (["visitado", "informado"], "informado", "La etapa Informado no sigue a la etapa actual (Informado)."),
        (
            ["visitado", "informado", "pre_venta", "venta"],
            "visitado",
            "La etapa Visitado no sigue a la etapa actual (Venta).",
        ),
    ],
    ids=["backwards", "same-stage", "back-to-the-start"],
)
def test_cannot_record_a_stage_that_does_not_advance(alcanzadas: list[str], pedida: str, mensaje: str) -> None:
    # Given
    solicitud = replace(
        _lista_para(Estado.NEGOCIACION, Accion.REGISTRAR_ETAPA), etapas={e: ANTES.isoformat() for e in alcanzadas}
    )

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _aplicar(solicitud, Accion.REGISTRAR_ETAPA, {"etapa": pedida})
    assert error.value.mensaje == mensaje


def test_cannot_record_an_unknown_stage() -> None:
    # Given
    solicitud = _lista_para(Estado.NEGOCIACION, Accion.REGISTRAR_ETAPA)

    # When / Then
    with pytest.raises(AccionRechazada, match=r"^Etapa desconocida\.$"):
        _aplicar(solicitud, Accion.REGISTRAR_ETAPA, {"etapa": "firmado"})


def test_cannot_redigitate_a_cancelled_sale_that_was_already_redigitated() -> None:
    # Given: a cancelled sale whose record already links its redigitation
    solicitud = replace(_lista_para(Estado.ANULADA, Accion.REDIGITAR), redigitada_como="SOL-2")

    # When / Then
    with pytest.raises(AccionRechazada) as error:
        _aplicar(solicitud, Accion.REDIGITAR, {"nueva_solicitud_id": "SOL-3"}, rol=Rol.RC)
    assert error.value.mensaje == "Esta venta ya fue redigitada como SOL-2."


def test_cannot_redigitate_the_same_sale_twice() -> None:
    # Given
    anulada = _lista_para(Estado.ANULADA, Accion.REDIGITAR)
    redigitada, _ = _aplicar(anulada, Accion.REDIGITAR, {"nueva_solicitud_id": "SOL-2"}, rol=Rol.RC)

    # When / Then
    with pytest.raises(EstadoInvalido, match="Anulada y redigitada"):
        _aplicar(redigitada, Accion.REDIGITAR, {"nueva_solicitud_id": "SOL-3"}, rol=Rol.RC)
    assert redigitada.redigitada_como == "SOL-2"


def test_the_state_is_checked_before_the_guards() -> None:
    # Given: an offer is missing (the guard would refuse) and the state does not allow the action either
    solicitud = replace(_lista_para(Estado.NEGOCIACION, Accion.ACEPTAR_OFERTA), oferta=None)

    # When / Then
    with pytest.raises(EstadoInvalido):
        _aplicar(solicitud, Accion.ACEPTAR_OFERTA)


# --- Stage chronology (step 24) ---------------------------------------------------------------------------------

ORIGEN_ETAPA = {
    Accion.CLASIFICAR_RESIDENCIAL: Estado.NUEVA,
    Accion.ENVIAR_OFERTA: Estado.NEGOCIACION,
    Accion.ACEPTAR_OFERTA: Estado.OFERTA_ENVIADA,
    Accion.DIGITAR_VENTA: Estado.DIGITACION,
}


def test_the_implicit_stages_are_visitado_informado_pre_venta_and_venta() -> None:
    # Given / When / Then
    assert ETAPA_IMPLICITA == {
        Accion.CLASIFICAR_RESIDENCIAL: Etapa.VISITADO,
        Accion.ENVIAR_OFERTA: Etapa.INFORMADO,
        Accion.ACEPTAR_OFERTA: Etapa.PRE_VENTA,
        Accion.DIGITAR_VENTA: Etapa.VENTA,
    }


@pytest.mark.parametrize("accion", list(ORIGEN_ETAPA), ids=lambda a: a.value)
def test_an_action_that_implies_a_stage_records_it_with_its_timestamp(accion: Accion) -> None:
    # Given
    solicitud = replace(_lista_para(ORIGEN_ETAPA[accion], accion), etapas={})
    etapa = ETAPA_IMPLICITA[accion]

    # When
    nueva, cambio = _aplicar(solicitud, accion)

    # Then
    assert nueva.etapas == {etapa.value: AHORA.isoformat()}
    assert cambio.campos["etapa"] == etapa.value


@pytest.mark.parametrize("accion", list(ORIGEN_ETAPA), ids=lambda a: a.value)
def test_a_stage_already_recorded_is_never_overwritten(accion: Accion) -> None:
    # Given
    etapa = ETAPA_IMPLICITA[accion]
    solicitud = replace(_lista_para(ORIGEN_ETAPA[accion], accion), etapas={etapa.value: ANTES.isoformat()})

    # When
    nueva, cambio = _aplicar(solicitud, accion)

    # Then
    assert nueva.etapas == {etapa.value: ANTES.isoformat()}
    assert "etapa" not in cambio.campos


def test_the_executive_can_record_the_next_stage_by_hand() -> None:
    # Given
    solicitud = _lista_para(Estado.REQUISITOS, Accion.REGISTRAR_ETAPA)

    # When
    nueva, cambio = _aplicar(solicitud, Accion.REGISTRAR_ETAPA, {"etapa": "pre_venta"})

    # Then
    assert nueva.etapas == {"visitado": ANTES.isoformat(), "pre_venta": AHORA.isoformat()}
    assert nueva.etapa_actual is Etapa.PRE_VENTA
    assert nueva.estado == Estado.REQUISITOS.value
    assert cambio.campos == {"etapa": "pre_venta"}


# --- First human response ---------------------------------------------------------------------------------------


def test_the_first_human_action_sets_the_first_response_time_and_later_actions_keep_it() -> None:
    # Given
    solicitud = _solicitud()
    assert solicitud.primera_respuesta_en is None

    # When
    primera, _ = _aplicar(solicitud, Accion.REGISTRAR_DATOS, {"direccion": "Av. América 123"})
    segunda, _ = _aplicar(primera, Accion.CLASIFICAR_RESIDENCIAL, ahora=AHORA + timedelta(minutes=5))

    # Then
    assert primera.primera_respuesta_en == AHORA.isoformat()
    assert segunda.primera_respuesta_en == AHORA.isoformat()


def test_a_system_action_does_not_count_as_a_first_response() -> None:
    # Given
    solicitud = _lista_para(Estado.PAGO_PENDIENTE, Accion.REGISTRAR_PAGO_WEB)
    assert solicitud.primera_respuesta_en is None

    # When
    nueva, cambio = _aplicar(solicitud, Accion.REGISTRAR_PAGO_WEB, rol=Rol.SISTEMA)

    # Then
    assert cambio.rol == "SISTEMA"
    assert nueva.primera_respuesta_en is None


def test_a_system_action_never_changes_an_existing_first_response_time() -> None:
    # Given
    solicitud = replace(_lista_para(Estado.PAGO_PENDIENTE, Accion.REGISTRAR_PAGO_WEB), primera_respuesta_en="antes")

    # When
    nueva, _ = _aplicar(solicitud, Accion.REGISTRAR_PAGO_WEB, rol=Rol.SISTEMA)

    # Then
    assert nueva.primera_respuesta_en == "antes"


# --- Protected CI -----------------------------------------------------------------------------------------------


def test_a_protected_ci_is_stored_masked_with_its_fingerprint_and_cipher_and_the_history_shows_only_the_mask() -> None:
    # Given
    solicitud = _solicitud()
    campos = {"nombre": "Ana Quispe", "ci_protegido": {"ultimos4": "4567", "huella": "h", "cifrado": "c"}}

    # When
    nueva, cambio = _aplicar(solicitud, Accion.REGISTRAR_DATOS, campos)

    # Then
    assert nueva.datos["ci"] == "••••4567"
    assert nueva.datos["ci_huella"] == "h"
    assert nueva.datos["ci_cifrado"] == "c"
    assert "ci_protegido" not in nueva.datos
    assert cambio.campos == {"nombre": "Ana Quispe", "ci": "••••4567"}
    assert "h" not in cambio.campos.values() and "c" not in cambio.campos.values()


# --- Whole paths, using only transition() -----------------------------------------------------------------------


class Recorrido:
    """A request walked through the procedure one action at a time, one minute apart."""

    def __init__(self, solicitud: Solicitud | None = None) -> None:
        self.solicitud = solicitud or _solicitud(version=0)
        self.cambios: list[Cambio] = []

    def hacer(self, accion: Accion, campos: dict[str, Any] | None = None, rol: Rol = Rol.EJ) -> Recorrido:
        ahora = AHORA + timedelta(minutes=len(self.cambios))
        self.solicitud, cambio = _aplicar(self.solicitud, accion, campos, rol=rol, ahora=ahora)
        self.cambios.append(cambio)
        return self

    @property
    def estados(self) -> list[str]:
        return [self.cambios[0].de] + [c.a for c in self.cambios if c.a != c.de]


def _hasta_negociacion() -> Recorrido:
    return (
        Recorrido()
        .hacer(Accion.CLASIFICAR_RESIDENCIAL)
        .hacer(
            Accion.REGISTRAR_DATOS,
            {
                "telefono": "+59171234567",
                "direccion": "Av. América 123",
                "ci_protegido": {"ultimos4": "4567", "huella": "h", "cifrado": "c"},
            },
        )
        .hacer(Accion.REGISTRAR_INFO_CUALITATIVA)
        .hacer(Accion.CONSULTAR_COBERTURA)
        .hacer(Accion.SOLICITAR_CONFIRMACION_HD)
        .hacer(Accion.CONFIRMAR_CAPACIDAD, rol=Rol.HD)
    )


def _hasta_forma_pago() -> Recorrido:
    recorrido = (
        _hasta_negociacion()
        .hacer(Accion.ENVIAR_OFERTA)
        .hacer(Accion.ACEPTAR_OFERTA)
        .hacer(Accion.REGISTRAR_REQUISITO, {"requisito": "ci"})
        .hacer(Accion.REGISTRAR_REQUISITO, {"requisito": "ubicacion"})
        .hacer(Accion.REGISTRAR_REQUISITO, {"requisito": "carta_solicitud"})
        .hacer(Accion.COMPLETAR_REQUISITOS)
        .hacer(Accion.DIGITAR_VENTA)
    )
    assert recorrido.solicitud.estado == Estado.FORMA_PAGO.value
    return recorrido


def test_a_prepaid_sale_paid_by_transfer_goes_from_nueva_to_cerrada() -> None:
    # Given
    recorrido = _hasta_forma_pago()

    # When: the first deposit is rejected, the second one approved, the cashier prints and delivers
    (
        recorrido.hacer(Accion.ELEGIR_PREPAGO)
        .hacer(Accion.REGISTRAR_COMPROBANTE)
        .hacer(Accion.RECHAZAR_DEPOSITO, rol=Rol.CO)
        .hacer(Accion.REGISTRAR_COMPROBANTE)
        .hacer(Accion.APROBAR_DEPOSITO, rol=Rol.CO)
        .hacer(Accion.MARCAR_IMPRESA, rol=Rol.CA)
        .hacer(Accion.MARCAR_ENTREGADA, rol=Rol.CA)
    )

    # Then
    s = recorrido.solicitud
    assert recorrido.estados == [
        "nueva",
        "en_registro",
        "consulta_help_desk",
        "negociacion",
        "oferta_enviada",
        "requisitos",
        "digitacion",
        "forma_pago",
        "pago_pendiente",
        "validacion_deposito",
        "pago_pendiente",
        "validacion_deposito",
        "facturacion_caja",
        "factura_impresa",
        "cerrada",
    ]
    assert s.estado == Estado.CERRADA.value
    assert s.version == len(recorrido.cambios)
    assert list(s.etapas) == ["visitado", "informado", "pre_venta", "venta"]
    assert s.primera_respuesta_en == AHORA.isoformat()
    assert s.modalidad_pago == "prepago"
    assert s.pago is not None and (s.pago["medio"], s.pago["estado"]) == ("transferencia", "aprobado")
    assert s.factura is not None and s.factura["numero"] == "F-100" and s.factura["entregada_a"] == "Ana Quispe"
    assert s.digitacion is not None and s.digitacion["numero_contrato"] == "CT-0001"
    assert s.tipo_cliente == "residencial"
    assert s.estado_desde == recorrido.cambios[-1].en


def test_a_prepaid_sale_paid_on_the_web_goes_from_nueva_to_cerrada() -> None:
    # Given
    recorrido = _hasta_forma_pago()

    # When
    (
        recorrido.hacer(Accion.ELEGIR_PREPAGO)
        .hacer(Accion.REGISTRAR_PAGO_WEB, rol=Rol.SISTEMA)
        .hacer(Accion.CONFIRMAR_PAGO_WEB, rol=Rol.CO)
        .hacer(Accion.ENVIAR_FACTURA, rol=Rol.CO)
    )

    # Then
    s = recorrido.solicitud
    assert recorrido.estados[-5:] == [
        "forma_pago",
        "pago_pendiente",
        "validacion_pago_web",
        "factura_pendiente",
        "cerrada",
    ]
    assert s.pago is not None and (s.pago["medio"], s.pago["estado"]) == ("web", "aprobado")
    assert s.factura is not None and (s.factura["numero"], s.factura["monto_bs"]) == ("F-100", 199.0)
    assert s.factura["mes"] == "2024-05"


def test_a_rejected_web_payment_goes_back_to_pending_payment() -> None:
    # Given
    recorrido = _hasta_forma_pago().hacer(Accion.ELEGIR_PREPAGO).hacer(Accion.REGISTRAR_PAGO_WEB, rol=Rol.SISTEMA)

    # When
    recorrido.hacer(Accion.RECHAZAR_PAGO_WEB, rol=Rol.CO)

    # Then
    assert recorrido.solicitud.estado == Estado.PAGO_PENDIENTE.value
    assert recorrido.solicitud.pago is not None and recorrido.solicitud.pago["estado"] == "rechazado"


def test_a_postpaid_sale_ends_with_the_recurring_billing_control() -> None:
    # Given
    recorrido = _hasta_forma_pago()

    # When
    recorrido.hacer(Accion.ELEGIR_POSPAGO).hacer(Accion.REGISTRAR_CONTROL_RECURRENTE, rol=Rol.FA)

    # Then
    s = recorrido.solicitud
    assert recorrido.estados[-3:] == ["forma_pago", "control_facturacion", "cerrada"]
    assert s.modalidad_pago == "pospago"
    assert s.control_facturacion is not None and s.control_facturacion["dia_facturacion"] == 5
    assert s.factura is not None and s.factura["numero"] == "POS-SOL-1"


def _hasta_consulta_hd() -> Recorrido:
    return (
        Recorrido()
        .hacer(Accion.CLASIFICAR_RESIDENCIAL)
        .hacer(
            Accion.REGISTRAR_DATOS,
            {
                "telefono": "+59171234567",
                "direccion": "Av. América 123",
                "ci_protegido": {"ultimos4": "4567", "huella": "h", "cifrado": "c"},
            },
        )
        .hacer(Accion.CONSULTAR_COBERTURA)
        .hacer(Accion.SOLICITAR_CONFIRMACION_HD)
    )


def test_help_desk_saying_no_sends_the_request_to_no_atendida() -> None:
    # Given
    recorrido = _hasta_consulta_hd()

    # When
    recorrido.hacer(Accion.NEGAR_CAPACIDAD, rol=Rol.HD)

    # Then
    s = recorrido.solicitud
    assert recorrido.estados == ["nueva", "en_registro", "consulta_help_desk", "no_atendida"]
    assert s.motivo_cierre == "El nodo está saturado"
    assert s.capacidad is not None and s.capacidad["confirmada"] is False


def test_the_team_lead_can_reactivate_an_unattended_request_which_goes_back_to_registration() -> None:
    # Given
    recorrido = _hasta_consulta_hd().hacer(Accion.NEGAR_CAPACIDAD, rol=Rol.HD)

    # When
    recorrido.hacer(Accion.REACTIVAR, rol=Rol.RC)

    # Then
    assert recorrido.estados[-3:] == ["consulta_help_desk", "no_atendida", "en_registro"]
    assert recorrido.solicitud.motivo_cierre is None


def test_a_rejected_offer_sends_the_request_to_no_atendida() -> None:
    # Given
    recorrido = _hasta_negociacion().hacer(Accion.ENVIAR_OFERTA)

    # When
    recorrido.hacer(Accion.RECHAZAR_OFERTA)

    # Then
    s = recorrido.solicitud
    assert recorrido.estados[-3:] == ["negociacion", "oferta_enviada", "no_atendida"]
    assert s.motivo_cierre == "La tarifa le parece alta"
    assert s.oferta is not None and s.oferta["motivo_rechazo"] == "La tarifa le parece alta"
    assert list(s.etapas) == ["visitado", "informado"]


def test_a_location_without_coverage_is_closed_as_no_atendida() -> None:
    # Given
    recorrido = Recorrido().hacer(Accion.CLASIFICAR_RESIDENCIAL).hacer(Accion.REGISTRAR_DATOS, {"zona": "Tiquipaya"})
    recorrido.hacer(Accion.CONSULTAR_COBERTURA, {"disponible": False, "zona": "Tiquipaya", "fuente": "gis"})

    # When
    recorrido.hacer(Accion.CERRAR_SIN_COBERTURA)

    # Then
    assert recorrido.estados == ["nueva", "en_registro", "no_atendida"]
    assert recorrido.solicitud.motivo_cierre == "La zona no tiene red"


@pytest.mark.parametrize("desde", [Estado.NUEVA, Estado.EN_REGISTRO], ids=lambda e: e.value)
def test_a_business_prospect_is_handed_over_to_enterprise_sales_and_ends_here(desde: Estado) -> None:
    # Given
    recorrido = Recorrido()
    if desde is Estado.EN_REGISTRO:
        recorrido.hacer(Accion.CLASIFICAR_RESIDENCIAL)

    # When
    recorrido.hacer(Accion.DERIVAR_EMPRESAS, rol=Rol.RC)

    # Then
    s = recorrido.solicitud
    assert s.estado == Estado.DERIVADA_EMPRESAS.value
    assert s.tipo_cliente == "empresarial"
    assert s.datos["razon_social"] == "Ferretería Illimani SRL" and s.datos["nit"] == "1023456029"
    for accion in Accion:
        with pytest.raises(EstadoInvalido):
            _aplicar(s, accion)


def test_a_cancelled_sale_is_redigitated_once_and_linked_to_the_new_request() -> None:
    # Given
    recorrido = _hasta_forma_pago().hacer(Accion.ELEGIR_PREPAGO)

    # When
    recorrido.hacer(Accion.ANULAR, {"motivo": "Anulada en Smartflex", "origen_anulacion": "smartflex"}, rol=Rol.RC)
    anulada = recorrido.solicitud
    recorrido.hacer(Accion.REDIGITAR, rol=Rol.RC)

    # Then
    s = recorrido.solicitud
    assert anulada.estado == Estado.ANULADA.value
    assert anulada.anulacion is not None and anulada.anulacion["origen_anulacion"] == "smartflex"
    assert anulada.motivo_cierre == "Anulada en Smartflex"
    assert recorrido.estados[-3:] == ["pago_pendiente", "anulada", "redigitada"]
    assert s.redigitada_como == "SOL-2"
    assert acciones_desde(Estado(s.estado)) == []


def test_a_closed_sale_can_still_be_cancelled_and_an_executive_cancellation_is_recorded_as_such() -> None:
    # Given
    recorrido = _hasta_forma_pago().hacer(Accion.ELEGIR_POSPAGO).hacer(Accion.REGISTRAR_CONTROL_RECURRENTE, rol=Rol.FA)

    # When
    recorrido.hacer(Accion.ANULAR)

    # Then
    s = recorrido.solicitud
    assert s.estado == Estado.ANULADA.value
    assert s.anulacion is not None and s.anulacion["origen_anulacion"] == "ejecutivo"
