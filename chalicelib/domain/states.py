"""The procedure's state machine: one transition table, its guards and ``transition()``.

Nothing else in the code base assigns ``Solicitud.estado``. The names ``Estado`` and ``Accion`` live in ``vocabulario``
(``effects`` needs them too) and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.effects import aplicar_campos
from chalicelib.domain.errors import AccionRechazada, EstadoInvalido
from chalicelib.domain.model import Cambio, Etapa, Rol, Solicitud
from chalicelib.domain.planes import modalidad_del_plan, plan_ofertado_elegible
from chalicelib.domain.requisitos import datos_de_instalacion
from chalicelib.domain.vocabulario import Accion as Accion
from chalicelib.domain.vocabulario import Estado as Estado

E = Estado
A = Accion

TERMINALES: Final[frozenset[Estado]] = frozenset(
    {E.CERRADA, E.NO_ATENDIDA, E.DERIVADA_EMPRESAS, E.ANULADA, E.REDIGITADA}
)
"""States in which nobody is expected to act any more (some still allow a follow-up action)."""

ACTIVOS: Final[tuple[Estado, ...]] = tuple(e for e in Estado if e not in TERMINALES)

_DESPUES_DE_DIGITAR: Final[tuple[Estado, ...]] = (
    E.FORMA_PAGO,
    E.PAGO_PENDIENTE,
    E.VALIDACION_DEPOSITO,
    E.VALIDACION_PAGO_WEB,
    E.FACTURA_PENDIENTE,
    E.FACTURACION_CAJA,
    E.FACTURA_IMPRESA,
    E.CONTROL_FACTURACION,
    E.CERRADA,
)

TRANSITIONS: Final[Mapping[tuple[Estado, Accion], Estado]] = {
    # Step 2: residential continues here, business goes to Enterprise Sales.
    (E.NUEVA, A.CLASIFICAR_RESIDENCIAL): E.EN_REGISTRO,
    (E.NUEVA, A.DERIVAR_EMPRESAS): E.DERIVADA_EMPRESAS,
    (E.EN_REGISTRO, A.DERIVAR_EMPRESAS): E.DERIVADA_EMPRESAS,
    # Steps 3-5: basic data, qualitative info, coverage.
    (E.NUEVA, A.REGISTRAR_DATOS): E.NUEVA,
    (E.EN_REGISTRO, A.REGISTRAR_DATOS): E.EN_REGISTRO,
    (E.EN_REGISTRO, A.REGISTRAR_INFO_CUALITATIVA): E.EN_REGISTRO,
    (E.EN_REGISTRO, A.CONSULTAR_COBERTURA): E.EN_REGISTRO,
    (E.EN_REGISTRO, A.CERRAR_SIN_COBERTURA): E.NO_ATENDIDA,
    # Steps 6-7: Help Desk confirms the requested speed, or not (no -> 19).
    (E.EN_REGISTRO, A.SOLICITAR_CONFIRMACION_HD): E.CONSULTA_HELP_DESK,
    (E.CONSULTA_HELP_DESK, A.CONFIRMAR_CAPACIDAD): E.NEGOCIACION,
    (E.CONSULTA_HELP_DESK, A.NEGAR_CAPACIDAD): E.NO_ATENDIDA,
    # Step 8: commercial offer ("Carta Comercial"), accepted or rejected (-> 19).
    (E.NEGOCIACION, A.ENVIAR_OFERTA): E.OFERTA_ENVIADA,
    (E.OFERTA_ENVIADA, A.ENVIAR_OFERTA): E.OFERTA_ENVIADA,
    (E.OFERTA_ENVIADA, A.ACEPTAR_OFERTA): E.REQUISITOS,
    (E.OFERTA_ENVIADA, A.RECHAZAR_OFERTA): E.NO_ATENDIDA,
    # Step 9: requirements checklist.
    (E.REQUISITOS, A.REGISTRAR_REQUISITO): E.REQUISITOS,
    (E.REQUISITOS, A.COMPLETAR_REQUISITOS): E.DIGITACION,
    # Steps 21-23: the sale is registered in Smartflex before payment, so Collections can check it there.
    (E.DIGITACION, A.DIGITAR_VENTA): E.FORMA_PAGO,
    # Step 10: payment form.
    (E.FORMA_PAGO, A.ELEGIR_PREPAGO): E.PAGO_PENDIENTE,
    (E.FORMA_PAGO, A.ELEGIR_POSPAGO): E.CONTROL_FACTURACION,
    # Step 11: transfer receipt or web payment.
    (E.PAGO_PENDIENTE, A.REGISTRAR_COMPROBANTE): E.VALIDACION_DEPOSITO,
    (E.PAGO_PENDIENTE, A.REGISTRAR_PAGO_WEB): E.VALIDACION_PAGO_WEB,
    # Step 12 evidence: a bank's notification is attached to the payment; it never changes the state.
    (E.PAGO_PENDIENTE, A.REGISTRAR_NOTIFICACION_BANCO): E.PAGO_PENDIENTE,
    (E.VALIDACION_DEPOSITO, A.REGISTRAR_NOTIFICACION_BANCO): E.VALIDACION_DEPOSITO,
    # Step 12: Collections validates the deposit; step 15: instruction to Cajas.
    (E.VALIDACION_DEPOSITO, A.APROBAR_DEPOSITO): E.FACTURACION_CAJA,
    (E.VALIDACION_DEPOSITO, A.RECHAZAR_DEPOSITO): E.PAGO_PENDIENTE,
    # Steps 13-14: web payment confirmed in Smartflex, invoice emailed to the customer.
    (E.VALIDACION_PAGO_WEB, A.CONFIRMAR_PAGO_WEB): E.FACTURA_PENDIENTE,
    (E.VALIDACION_PAGO_WEB, A.RECHAZAR_PAGO_WEB): E.PAGO_PENDIENTE,
    (E.FACTURA_PENDIENTE, A.ENVIAR_FACTURA): E.CERRADA,
    # Steps 16-17: the cashier prints, files and delivers the invoice.
    (E.FACTURACION_CAJA, A.MARCAR_IMPRESA): E.FACTURA_IMPRESA,
    (E.FACTURA_IMPRESA, A.MARCAR_ENTREGADA): E.CERRADA,
    # Step 18: postpaid, recurring payment control in billing.
    (E.CONTROL_FACTURACION, A.REGISTRAR_CONTROL_RECURRENTE): E.CERRADA,
    # Step 24: the stage chronology can be recorded in any active state.
    **{(estado, A.REGISTRAR_ETAPA): estado for estado in ACTIVOS},
    # Step 20: a registered sale can be cancelled; the team lead re-enters it (-> 25).
    **{(estado, A.ANULAR): E.ANULADA for estado in _DESPUES_DE_DIGITAR},
    (E.ANULADA, A.REDIGITAR): E.REDIGITADA,
    # Step 19 follow-up: the team lead may reopen a request that fell through.
    (E.NO_ATENDIDA, A.REACTIVAR): E.EN_REGISTRO,
}

ESTADO_INICIAL: Final = E.NUEVA
ESTADO_REDIGITACION: Final = E.DIGITACION
"""The state in which a redigitated sale starts again (re-entered in Smartflex)."""

ETAPA_IMPLICITA: Final[Mapping[Accion, Etapa]] = {
    A.CLASIFICAR_RESIDENCIAL: Etapa.VISITADO,
    A.ENVIAR_OFERTA: Etapa.INFORMADO,
    A.ACEPTAR_OFERTA: Etapa.PRE_VENTA,
    A.DIGITAR_VENTA: Etapa.VENTA,
}
"""Step 24: actions that imply a stage of the chronology Visitado, Informado, Pre Venta, Venta."""

RESULTADO_FINAL: Final[Mapping[Estado, str]] = {
    E.CERRADA: "ATENDIDO/CERRADA",
    E.NO_ATENDIDA: "NO ATENDIDA",
    E.DERIVADA_EMPRESAS: "DERIVADA A EMPRESAS",
    E.ANULADA: "ANULADA",
    E.REDIGITADA: "ANULADA (REDIGITADA)",
}

ETIQUETA_ESTADO: Final[Mapping[Estado, str]] = {
    E.NUEVA: "Nueva",
    E.EN_REGISTRO: "En registro de datos",
    E.CONSULTA_HELP_DESK: "Consulta a Help Desk",
    E.NEGOCIACION: "En negociación",
    E.OFERTA_ENVIADA: "Oferta enviada",
    E.REQUISITOS: "Recepción de requisitos",
    E.DIGITACION: "Digitación en Smartflex",
    E.FORMA_PAGO: "Forma de pago",
    E.PAGO_PENDIENTE: "Pago pendiente",
    E.VALIDACION_DEPOSITO: "Validación de depósito",
    E.VALIDACION_PAGO_WEB: "Validación de pago web",
    E.FACTURA_PENDIENTE: "Factura pendiente",
    E.FACTURACION_CAJA: "Facturación en Cajas",
    E.FACTURA_IMPRESA: "Factura impresa",
    E.CONTROL_FACTURACION: "Control de facturación (pospago)",
    E.CERRADA: "Atendida / cerrada",
    E.NO_ATENDIDA: "No atendida",
    E.DERIVADA_EMPRESAS: "Derivada a Ventas Empresariales",
    E.ANULADA: "Anulada",
    E.REDIGITADA: "Anulada y redigitada",
}


# --- Guards: pure functions returning a Spanish reason to refuse, or None ---

Guard = Callable[[Solicitud, Mapping[str, Any]], str | None]

REQUISITOS_OBLIGATORIOS: Final[tuple[str, ...]] = ("ci", "ubicacion", "carta_solicitud")
DATOS_BASICOS: Final[Mapping[str, str]] = {
    "nombre": "nombre",
    "telefono": "teléfono",
    "ci_huella": "número de CI",
    "direccion": "dirección",
}


def _datos_basicos_completos(s: Solicitud, _: Mapping[str, Any]) -> str | None:
    faltan = [etiqueta for campo, etiqueta in DATOS_BASICOS.items() if not s.datos.get(campo)]
    if faltan:
        return "Faltan datos básicos del cliente: " + ", ".join(faltan) + "."
    if not s.cobertura:
        return "Primero consulte la cobertura técnica de la ubicación (paso 5)."
    if not s.cobertura.get("disponible"):
        return "La ubicación no tiene cobertura; ciérrela como no atendida por falta de cobertura."
    return None


def _cobertura_consultada_sin_servicio(s: Solicitud, _: Mapping[str, Any]) -> str | None:
    if not s.cobertura:
        return "Primero consulte la cobertura técnica de la ubicación (paso 5)."
    if s.cobertura.get("disponible"):
        return "La ubicación tiene cobertura; no corresponde cerrarla por falta de cobertura."
    return None


def _hay_oferta(s: Solicitud, _: Mapping[str, Any]) -> str | None:
    if not s.oferta:
        return "No hay una oferta enviada que el cliente pueda aceptar."
    return None


def _velocidad_dentro_de_capacidad(s: Solicitud, campos: Mapping[str, Any]) -> str | None:
    maxima = (s.capacidad or {}).get("velocidad_maxima_mbps")
    pedida = campos.get("velocidad_mbps")
    if maxima is not None and pedida is not None and float(pedida) > float(maxima):
        return f"La velocidad ofertada ({pedida} Mbps) supera la capacidad confirmada por Help Desk ({maxima} Mbps)."
    return None


def _requisitos_completos(s: Solicitud, _: Mapping[str, Any]) -> str | None:
    faltan = [r for r in REQUISITOS_OBLIGATORIOS if r not in s.requisitos]
    if faltan:
        return "Faltan requisitos: " + ", ".join(faltan) + "."
    return None


def _etapa_avanza(s: Solicitud, campos: Mapping[str, Any]) -> str | None:
    try:
        nueva = Etapa(str(campos.get("etapa")))
    except ValueError:
        return "Etapa desconocida."
    actual = s.etapa_actual
    if actual is not None and nueva.orden <= actual.orden:
        return f"La etapa {nueva.etiqueta} no sigue a la etapa actual ({actual.etiqueta})."
    return None


def _no_redigitada(s: Solicitud, _: Mapping[str, Any]) -> str | None:
    if s.redigitada_como:
        return f"Esta venta ya fue redigitada como {s.redigitada_como}."
    return None


GUARDS: Final[Mapping[Accion, tuple[Guard, ...]]] = {
    A.SOLICITAR_CONFIRMACION_HD: (_datos_basicos_completos,),
    A.CERRAR_SIN_COBERTURA: (_cobertura_consultada_sin_servicio,),
    A.ENVIAR_OFERTA: (_velocidad_dentro_de_capacidad, plan_ofertado_elegible),
    A.ACEPTAR_OFERTA: (_hay_oferta,),
    A.RECHAZAR_OFERTA: (_hay_oferta,),
    A.COMPLETAR_REQUISITOS: (_requisitos_completos, datos_de_instalacion),
    A.ELEGIR_PREPAGO: (modalidad_del_plan("prepago"),),
    A.ELEGIR_POSPAGO: (modalidad_del_plan("pospago"),),
    A.REGISTRAR_ETAPA: (_etapa_avanza,),
    A.REDIGITAR: (_no_redigitada,),
}


def acciones_desde(estado: Estado) -> list[Accion]:
    """The actions the table allows from a state, in declaration order."""
    return [accion for (origen, accion) in TRANSITIONS if origen == estado]


def destino(estado: Estado, accion: Accion) -> Estado:
    """The state an action leads to; raises EstadoInvalido when the table has no such transition."""
    try:
        return TRANSITIONS[(estado, accion)]
    except KeyError:
        raise EstadoInvalido(
            f"La acción «{accion.value}» no se puede aplicar a una solicitud en estado «{ETIQUETA_ESTADO[estado]}»."
        ) from None


def motivo_rechazo(solicitud: Solicitud, accion: Accion, campos: Mapping[str, Any]) -> str | None:
    """The first guard's refusal for this action, or None when every guard passes."""
    for guard in GUARDS.get(accion, ()):
        motivo = guard(solicitud, campos)
        if motivo:
            return motivo
    return None


def transition(
    solicitud: Solicitud,
    accion: Accion,
    *,
    campos: Mapping[str, Any],
    actor: str,
    rol: Rol,
    canal: str,
    ahora: datetime,
    cambio_id: str,
    nota: str = "",
) -> tuple[Solicitud, Cambio]:
    """Apply one action: the table decides the target, the guards may refuse, the fields update the record.

    Returns the new Solicitud (version + 1) and the Cambio that the history keeps.
    """
    origen = Estado(solicitud.estado)
    nuevo_estado = destino(origen, accion)
    motivo = motivo_rechazo(solicitud, accion, campos)
    if motivo:
        raise AccionRechazada(motivo)

    actualizada, cambios = aplicar_campos(solicitud, accion, campos, ahora)
    etapa = ETAPA_IMPLICITA.get(accion)
    if accion is A.REGISTRAR_ETAPA:
        etapa = Etapa(campos["etapa"])
    if etapa is not None and etapa.value not in actualizada.etapas:
        actualizada = replace(actualizada, etapas={**actualizada.etapas, etapa.value: ahora.isoformat()})
        cambios = {**cambios, "etapa": etapa.value}

    primera = actualizada.primera_respuesta_en
    if primera is None and rol is not Rol.SISTEMA:
        primera = ahora.isoformat()
    ejecutivo = actor if rol is Rol.EJ else actualizada.ejecutivo  # reports: the last executive who acted

    cambio = Cambio(
        id=cambio_id,
        solicitud_id=solicitud.id,
        en=ahora.isoformat(),
        actor=actor,
        rol=rol.value,
        canal=canal,
        accion=accion.value,
        de=origen.value,
        a=nuevo_estado.value,
        campos=cambios,
        nota=nota,
    )
    estado_desde = solicitud.estado_desde if nuevo_estado is origen else ahora.isoformat()
    resultado = replace(
        actualizada,
        estado=nuevo_estado.value,
        estado_desde=estado_desde,
        version=solicitud.version + 1,
        actualizada_en=ahora.isoformat(),
        primera_respuesta_en=primera,
        ejecutivo=ejecutivo,
        ultimo_cambio=cambio,
    )
    return resultado, cambio
