"""How each action's validated fields change the Solicitud (pure; called only by ``states.transition``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.model import Solicitud
from chalicelib.domain.vocabulario import Accion

Efecto = Callable[[Solicitud, Mapping[str, Any], datetime], Solicitud]

CAMPOS_PROTEGIDOS: Final = frozenset({"ci_cifrado", "ci_huella"})
"""Stored on the request but never copied into the history."""


def mes_de(momento: datetime) -> str:
    """The reporting month (YYYY-MM) of a La Paz timestamp."""
    return momento.strftime("%Y-%m")


def _registrar_datos(s: Solicitud, campos: Mapping[str, Any], _: datetime) -> Solicitud:
    datos = dict(s.datos)
    for nombre, valor in campos.items():
        if nombre == "ci_protegido":
            datos["ci"] = "••••" + valor["ultimos4"]
            datos["ci_huella"] = valor["huella"]
            datos["ci_cifrado"] = valor["cifrado"]
        else:
            datos[nombre] = valor
    return replace(s, datos=datos)


def _clasificar(tipo: str) -> Efecto:
    def efecto(s: Solicitud, campos: Mapping[str, Any], _: datetime) -> Solicitud:
        extra = {k: v for k, v in campos.items() if k in ("razon_social", "nit")}
        return replace(s, tipo_cliente=tipo, datos={**s.datos, **extra})

    return efecto


def _info(s: Solicitud, campos: Mapping[str, Any], _: datetime) -> Solicitud:
    return replace(s, info_cualitativa={**s.info_cualitativa, **campos})


def _cobertura(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    return replace(s, cobertura={**campos, "consultada_en": ahora.isoformat()})


def _cierre(s: Solicitud, campos: Mapping[str, Any], _: datetime) -> Solicitud:
    return replace(s, motivo_cierre=campos.get("motivo") or s.motivo_cierre)


def _consulta_hd(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    return replace(s, capacidad={"solicitud": dict(campos), "solicitada_en": ahora.isoformat()})


def _capacidad(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    return replace(
        s, capacidad={**(s.capacidad or {}), **campos, "confirmada": True, "respondida_en": ahora.isoformat()}
    )


def _sin_capacidad(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    capacidad = {**(s.capacidad or {}), "confirmada": False, "respondida_en": ahora.isoformat()}
    return replace(s, capacidad=capacidad, motivo_cierre=campos["motivo"])


def _oferta(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    oferta = {"costo_instalacion_bs": 0.0, **campos, "enviada_en": ahora.isoformat()}
    return replace(s, oferta=oferta)


def _oferta_aceptada(s: Solicitud, _: Mapping[str, Any], ahora: datetime) -> Solicitud:
    return replace(s, oferta={**(s.oferta or {}), "aceptada_en": ahora.isoformat()})


def _oferta_rechazada(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    oferta = {**(s.oferta or {}), "rechazada_en": ahora.isoformat(), "motivo_rechazo": campos["motivo"]}
    return replace(s, oferta=oferta, motivo_cierre=campos["motivo"])


def _requisito(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    entrada = {k: v for k, v in campos.items() if k != "requisito"} | {"registrado_en": ahora.isoformat()}
    return replace(s, requisitos={**s.requisitos, campos["requisito"]: entrada})


def _digitacion(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    return replace(s, digitacion={**campos, "digitada_en": ahora.isoformat()})


def _modalidad(modalidad: str) -> Efecto:
    def efecto(s: Solicitud, _: Mapping[str, Any], __: datetime) -> Solicitud:
        return replace(s, modalidad_pago=modalidad)

    return efecto


def _pago(medio: str) -> Efecto:
    def efecto(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
        pago = {**campos, "medio": medio, "registrado_en": ahora.isoformat(), "estado": "por_validar"}
        evidencia = (s.pago or {}).get("notificacion_banco")
        return replace(s, pago={**pago, "notificacion_banco": evidencia} if evidencia else pago)

    return efecto


def _notificacion_banco(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    """Evidence only: the bank's notification is kept on the payment; its status is untouched."""
    return replace(s, pago={**(s.pago or {}), "notificacion_banco": {**campos, "recibida_en": ahora.isoformat()}})


def _pago_decidido(estado: str) -> Efecto:
    def efecto(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
        pago = {**(s.pago or {}), "estado": estado, "decidido_en": ahora.isoformat(), **campos}
        return replace(s, pago=pago)

    return efecto


def _factura(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    factura = {
        "numero": campos["numero_factura"],
        "monto_bs": float(campos["monto_bs"]),
        "emitida_en": ahora.isoformat(),
        "mes": mes_de(ahora),
    }
    return replace(s, factura=factura)


def _entregada(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    return replace(s, factura={**(s.factura or {}), **campos, "entregada_en": ahora.isoformat()})


def _control(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    factura = {
        "numero": f"POS-{s.id}",
        "monto_bs": float(campos["monto_mensual_bs"]),
        "emitida_en": ahora.isoformat(),
        "mes": mes_de(ahora),
    }
    return replace(s, control_facturacion={**campos, "registrado_en": ahora.isoformat()}, factura=factura)


def _anular(s: Solicitud, campos: Mapping[str, Any], ahora: datetime) -> Solicitud:
    anulacion = {"origen_anulacion": "ejecutivo", **campos, "anulada_en": ahora.isoformat()}
    return replace(s, anulacion=anulacion, motivo_cierre=campos["motivo"])


def _redigitar(s: Solicitud, campos: Mapping[str, Any], _: datetime) -> Solicitud:
    return replace(s, redigitada_como=campos["nueva_solicitud_id"])


def _reactivar(s: Solicitud, _: Mapping[str, Any], __: datetime) -> Solicitud:
    return replace(s, motivo_cierre=None)


EFECTOS: Final[Mapping[Accion, Efecto]] = {
    Accion.CLASIFICAR_RESIDENCIAL: _clasificar("residencial"),
    Accion.DERIVAR_EMPRESAS: _clasificar("empresarial"),
    Accion.REGISTRAR_DATOS: _registrar_datos,
    Accion.REGISTRAR_INFO_CUALITATIVA: _info,
    Accion.CONSULTAR_COBERTURA: _cobertura,
    Accion.CERRAR_SIN_COBERTURA: _cierre,
    Accion.SOLICITAR_CONFIRMACION_HD: _consulta_hd,
    Accion.CONFIRMAR_CAPACIDAD: _capacidad,
    Accion.NEGAR_CAPACIDAD: _sin_capacidad,
    Accion.ENVIAR_OFERTA: _oferta,
    Accion.ACEPTAR_OFERTA: _oferta_aceptada,
    Accion.RECHAZAR_OFERTA: _oferta_rechazada,
    Accion.REGISTRAR_REQUISITO: _requisito,
    Accion.DIGITAR_VENTA: _digitacion,
    Accion.ELEGIR_PREPAGO: _modalidad("prepago"),
    Accion.ELEGIR_POSPAGO: _modalidad("pospago"),
    Accion.REGISTRAR_COMPROBANTE: _pago("transferencia"),
    Accion.REGISTRAR_PAGO_WEB: _pago("web"),
    Accion.REGISTRAR_NOTIFICACION_BANCO: _notificacion_banco,
    Accion.APROBAR_DEPOSITO: _pago_decidido("aprobado"),
    Accion.RECHAZAR_DEPOSITO: _pago_decidido("rechazado"),
    Accion.CONFIRMAR_PAGO_WEB: _pago_decidido("aprobado"),
    Accion.RECHAZAR_PAGO_WEB: _pago_decidido("rechazado"),
    Accion.ENVIAR_FACTURA: _factura,
    Accion.MARCAR_IMPRESA: _factura,
    Accion.MARCAR_ENTREGADA: _entregada,
    Accion.REGISTRAR_CONTROL_RECURRENTE: _control,
    Accion.ANULAR: _anular,
    Accion.REDIGITAR: _redigitar,
    Accion.REACTIVAR: _reactivar,
}


def aplicar_campos(
    s: Solicitud, accion: Accion, campos: Mapping[str, Any], ahora: datetime
) -> tuple[Solicitud, dict[str, Any]]:
    """Apply an action's fields to the record; returns it and the fields as the history shows them."""
    efecto = EFECTOS.get(accion)
    actualizada = efecto(s, campos, ahora) if efecto else s
    visibles: dict[str, Any] = {}
    for nombre, valor in campos.items():
        if nombre == "ci_protegido":
            visibles["ci"] = "••••" + valor["ultimos4"]
        elif nombre not in CAMPOS_PROTEGIDOS:
            visibles[nombre] = valor
    return actualizada, visibles
