"""The procedure's vocabulary: the names of its states (``Estado``) and actions (``Accion``).

Kept apart from the machine so that ``states`` (the table, the guards, ``transition``) and ``effects`` (what each
action's fields change) both import it and neither imports the other back; ``states`` re-exports both names.
"""

from __future__ import annotations

from enum import StrEnum


class Estado(StrEnum):
    """States of a Solicitud, named as the procedure names them."""

    NUEVA = "nueva"
    EN_REGISTRO = "en_registro"
    CONSULTA_HELP_DESK = "consulta_help_desk"
    NEGOCIACION = "negociacion"
    OFERTA_ENVIADA = "oferta_enviada"
    REQUISITOS = "requisitos"
    DIGITACION = "digitacion"
    FORMA_PAGO = "forma_pago"
    PAGO_PENDIENTE = "pago_pendiente"
    VALIDACION_DEPOSITO = "validacion_deposito"
    VALIDACION_PAGO_WEB = "validacion_pago_web"
    FACTURA_PENDIENTE = "factura_pendiente"
    FACTURACION_CAJA = "facturacion_caja"
    FACTURA_IMPRESA = "factura_impresa"
    CONTROL_FACTURACION = "control_facturacion"
    CERRADA = "cerrada"
    NO_ATENDIDA = "no_atendida"
    DERIVADA_EMPRESAS = "derivada_empresas"
    ANULADA = "anulada"
    REDIGITADA = "redigitada"


class Accion(StrEnum):
    """Actions a person (or the system) applies to a Solicitud."""

    CLASIFICAR_RESIDENCIAL = "clasificar_residencial"
    DERIVAR_EMPRESAS = "derivar_empresas"
    REGISTRAR_DATOS = "registrar_datos"
    REGISTRAR_INFO_CUALITATIVA = "registrar_info_cualitativa"
    CONSULTAR_COBERTURA = "consultar_cobertura"
    CERRAR_SIN_COBERTURA = "cerrar_sin_cobertura"
    SOLICITAR_CONFIRMACION_HD = "solicitar_confirmacion_hd"
    CONFIRMAR_CAPACIDAD = "confirmar_capacidad"
    NEGAR_CAPACIDAD = "negar_capacidad"
    ENVIAR_OFERTA = "enviar_oferta"
    ACEPTAR_OFERTA = "aceptar_oferta"
    RECHAZAR_OFERTA = "rechazar_oferta"
    REGISTRAR_REQUISITO = "registrar_requisito"
    COMPLETAR_REQUISITOS = "completar_requisitos"
    DIGITAR_VENTA = "digitar_venta"
    ELEGIR_PREPAGO = "elegir_prepago"
    ELEGIR_POSPAGO = "elegir_pospago"
    REGISTRAR_COMPROBANTE = "registrar_comprobante"
    REGISTRAR_PAGO_WEB = "registrar_pago_web"
    REGISTRAR_NOTIFICACION_BANCO = "registrar_notificacion_banco"
    APROBAR_DEPOSITO = "aprobar_deposito"
    RECHAZAR_DEPOSITO = "rechazar_deposito"
    CONFIRMAR_PAGO_WEB = "confirmar_pago_web"
    RECHAZAR_PAGO_WEB = "rechazar_pago_web"
    ENVIAR_FACTURA = "enviar_factura"
    MARCAR_IMPRESA = "marcar_impresa"
    MARCAR_ENTREGADA = "marcar_entregada"
    REGISTRAR_CONTROL_RECURRENTE = "registrar_control_recurrente"
    REGISTRAR_ETAPA = "registrar_etapa"
    ANULAR = "anular"
    REDIGITAR = "redigitar"
    REACTIVAR = "reactivar"
