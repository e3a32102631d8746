"""What each action needs: who may apply it, its Spanish label and its fields, and how fields are validated.

The staff API, the console, email replies and signed links all validate through ``validar_campos``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from chalicelib.domain.errors import DatosInvalidos
from chalicelib.domain.model import Etapa, Rol
from chalicelib.domain.states import Accion

Normalizador = Callable[[str], str]
"""Turns a raw phone or email into its canonical form, or raises ValueError with a Spanish message."""


@dataclass(frozen=True)
class Campo:
    """One input field of an action."""

    nombre: str
    etiqueta: str
    tipo: str = "texto"  # texto | texto_largo | numero | entero | fecha | opcion | email | telefono | booleano | ci
    requerido: bool = False
    opciones: tuple[tuple[str, str], ...] = ()
    minimo: float | None = None
    maximo: float | None = None
    max_largo: int = 500
    ayuda: str = ""

    def describir(self) -> dict[str, Any]:
        datos: dict[str, Any] = {
            "nombre": self.nombre,
            "etiqueta": self.etiqueta,
            "tipo": self.tipo,
            "requerido": self.requerido,
        }
        if self.opciones:
            datos["opciones"] = [{"valor": v, "etiqueta": e} for v, e in self.opciones]
        if self.minimo is not None:
            datos["minimo"] = self.minimo
        if self.maximo is not None:
            datos["maximo"] = self.maximo
        if self.ayuda:
            datos["ayuda"] = self.ayuda
        return datos


@dataclass(frozen=True)
class DefinicionAccion:
    """Who may apply an action, how it reads in Spanish and which fields it takes."""

    etiqueta: str
    roles: frozenset[Rol]
    campos: tuple[Campo, ...] = ()
    paso: str = ""
    requiere_algun_campo: bool = False

    def describir(self, accion: Accion) -> dict[str, Any]:
        return {
            "accion": accion.value,
            "etiqueta": self.etiqueta,
            "paso": self.paso,
            "campos": [c.describir() for c in self.campos],
        }


TECNOLOGIAS: Final = (
    ("FTTH", "Fibra óptica (FTTH)"),
    ("HFC", "Cable (HFC)"),
    ("ADSL", "ADSL"),
    ("INALAMBRICO", "Inalámbrico"),
)
MOTIVO = Campo("motivo", "Motivo", "texto_largo", requerido=True)
OBSERVACIONES = Campo("observaciones", "Observaciones", "texto_largo")
EXPEDIDO = (
    ("LP", "La Paz"),
    ("CB", "Cochabamba"),
    ("SC", "Santa Cruz"),
    ("OR", "Oruro"),
    ("PT", "Potosí"),
    ("CH", "Chuquisaca"),
    ("TJ", "Tarija"),
    ("BE", "Beni"),
    ("PD", "Pando"),
)

EJ: Final = frozenset({Rol.EJ})
EJ_RC: Final = frozenset({Rol.EJ, Rol.RC})

ACCIONES: Final[Mapping[Accion, DefinicionAccion]] = {
    Accion.CLASIFICAR_RESIDENCIAL: DefinicionAccion(
        "Clasificar como residencial", EJ_RC, (Campo("motivo", "Motivo de la clasificación"),), "2"
    ),
    Accion.DERIVAR_EMPRESAS: DefinicionAccion(
        "Derivar a Ventas Empresariales",
        EJ_RC,
        (
            Campo("motivo", "Motivo", "texto_largo"),
            Campo("razon_social", "Razón social"),
            Campo("nit", "NIT", max_largo=20),
        ),
        "2",
    ),
    Accion.REGISTRAR_DATOS: DefinicionAccion(
        "Registrar datos básicos",
        EJ,
        (
            Campo("nombre", "Nombre completo", max_largo=120),
            Campo("telefono", "Teléfono", "telefono"),
            Campo("email", "Correo electrónico", "email"),
            Campo("ci", "Número de CI", "ci", ayuda="Se guarda cifrado; se muestran solo los 4 últimos dígitos."),
            Campo("ci_expedido", "CI expedido en", "opcion", opciones=EXPEDIDO),
            Campo("direccion", "Dirección de instalación", max_largo=250),
            Campo("zona", "Zona o barrio", max_largo=120),
            Campo("latitud", "Latitud", "numero", minimo=-90, maximo=90),
            Campo("longitud", "Longitud", "numero", minimo=-180, maximo=180),
            Campo("cliente_existente", "Ya es cliente", "booleano"),
            Campo("codigo_cliente", "Código de cliente (Smartflex)", max_largo=30),
        ),
        "3",
        requiere_algun_campo=True,
    ),
    Accion.REGISTRAR_INFO_CUALITATIVA: DefinicionAccion(
        "Registrar información cualitativa",
        EJ,
        (
            Campo(
                "tipo_uso",
                "Tipo de uso",
                "opcion",
                opciones=(
                    ("hogar", "Hogar"),
                    ("estudio", "Estudio"),
                    ("teletrabajo", "Teletrabajo"),
                    ("juegos", "Juegos en línea"),
                    ("streaming", "Streaming"),
                    ("negocio_en_casa", "Negocio en casa"),
                ),
            ),
            Campo(
                "horario_navegacion",
                "Horario de navegación",
                "opcion",
                opciones=(("manana", "Mañana"), ("tarde", "Tarde"), ("noche", "Noche"), ("todo_el_dia", "Todo el día")),
            ),
            Campo("historial_cliente", "Historial del cliente", "texto_largo"),
            Campo("caracteristicas_especiales", "Características especiales", "texto_largo"),
        ),
        "4",
        requiere_algun_campo=True,
    ),
    Accion.CONSULTAR_COBERTURA: DefinicionAccion("Consultar cobertura técnica (Smartflex / GIS)", EJ, (), "5"),
    Accion.CERRAR_SIN_COBERTURA: DefinicionAccion(
        "Cerrar por falta de cobertura", EJ, (Campo("motivo", "Motivo", "texto_largo"),), "19"
    ),
    Accion.SOLICITAR_CONFIRMACION_HD: DefinicionAccion(
        "Pedir a Help Desk confirmar la velocidad",
        EJ,
        (
            Campo(
                "velocidad_solicitada_mbps",
                "Velocidad solicitada (Mbps)",
                "numero",
                requerido=True,
                minimo=1,
                maximo=10000,
            ),
            Campo("tecnologia", "Tecnología", "opcion", opciones=TECNOLOGIAS),
            Campo("telefono_referencia", "Teléfono de referencia (p. ej. de un vecino)", "telefono"),
            OBSERVACIONES,
        ),
        "6",
    ),
    Accion.CONFIRMAR_CAPACIDAD: DefinicionAccion(
        "Confirmar capacidad técnica",
        frozenset({Rol.HD}),
        (
            Campo("velocidad_maxima_mbps", "Velocidad máxima (Mbps)", "numero", requerido=True, minimo=1, maximo=10000),
            Campo("tecnologia", "Tecnología", "opcion", opciones=TECNOLOGIAS),
            OBSERVACIONES,
        ),
        "7",
    ),
    Accion.NEGAR_CAPACIDAD: DefinicionAccion("Informar que no hay capacidad", frozenset({Rol.HD}), (MOTIVO,), "7"),
    Accion.ENVIAR_OFERTA: DefinicionAccion(
        "Enviar oferta (Carta Comercial)",
        EJ,
        (
            # The options are the plans eligible for the request (services.solicitudes.acciones_disponibles);
            # technology, speed, tariff and installation come from the catalogue (services.solicitudes.aplicar).
            Campo(
                "plan",
                "Plan",
                requerido=True,
                max_largo=40,
                ayuda="Código del plan del catálogo; solo se admiten los planes elegibles para esta ubicación.",
            ),
            Campo("observaciones", "Observaciones para el cliente", "texto_largo"),
        ),
        "8",
    ),
    # SISTEMA: the customer's own answer (email reply or signed link) is applied by the system.
    Accion.ACEPTAR_OFERTA: DefinicionAccion(
        "Registrar aceptación de la oferta", frozenset({Rol.EJ, Rol.SISTEMA}), (OBSERVACIONES,), "8"
    ),
    Accion.RECHAZAR_OFERTA: DefinicionAccion(
        "Registrar rechazo de la oferta", frozenset({Rol.EJ, Rol.SISTEMA}), (MOTIVO,), "8"
    ),
    Accion.REGISTRAR_REQUISITO: DefinicionAccion(
        "Registrar requisito recibido",
        frozenset({Rol.EJ, Rol.SISTEMA}),  # SISTEMA: documents received by email (services/correo_entrante/)
        (
            Campo(
                "requisito",
                "Requisito",
                "opcion",
                requerido=True,
                opciones=(
                    ("ci", "Cédula de identidad"),
                    ("ubicacion", "Ubicación de instalación"),
                    ("carta_solicitud", "Carta de solicitud firmada"),
                ),
            ),
            Campo("detalle", "Detalle", "texto_largo"),
            Campo(
                "documento",
                "Documento (referencia)",
                max_largo=300,
                ayuda="s3://<bucket>/<clave> del archivo guardado; se muestra solo como enlace temporal.",
            ),
            Campo("latitud", "Latitud de instalación", "numero", minimo=-90, maximo=90),
            Campo("longitud", "Longitud de instalación", "numero", minimo=-180, maximo=180),
        ),
        "9",
    ),
    Accion.COMPLETAR_REQUISITOS: DefinicionAccion("Dar por completos los requisitos", EJ, (), "9"),
    Accion.DIGITAR_VENTA: DefinicionAccion("Registrar la venta en Smartflex", EJ, (OBSERVACIONES,), "21-23"),
    Accion.ELEGIR_PREPAGO: DefinicionAccion("Forma de pago: prepago", EJ, (), "10"),
    Accion.ELEGIR_POSPAGO: DefinicionAccion("Forma de pago: pospago", EJ, (), "10"),
    Accion.REGISTRAR_COMPROBANTE: DefinicionAccion(
        "Registrar comprobante de transferencia",
        EJ,
        (
            Campo("monto_bs", "Monto (Bs)", "numero", requerido=True, minimo=0.01, maximo=1000000),
            Campo("fecha_deposito", "Fecha del depósito", "fecha", requerido=True),
            Campo("numero_deposito", "Número de depósito", requerido=True, max_largo=40),
            Campo(
                "tipo_operacion",
                "Tipo de operación",
                "opcion",
                requerido=True,
                opciones=(("deposito", "Depósito"), ("transferencia", "Transferencia")),
            ),
            Campo("depositante", "Depositante", requerido=True, max_largo=120),
            Campo("banco", "Banco", max_largo=80),
        ),
        "11",
    ),
    Accion.REGISTRAR_PAGO_WEB: DefinicionAccion(
        "Registrar pago web",
        frozenset({Rol.SISTEMA, Rol.CO}),
        (
            Campo("id_transaccion", "Transacción", requerido=True, max_largo=80),
            Campo("monto_bs", "Monto (Bs)", "numero", requerido=True, minimo=0.01, maximo=1000000),
            Campo("fecha_pago", "Fecha y hora del pago", max_largo=40),
            Campo("medio_pago", "Medio de pago", max_largo=40),
        ),
        "11",
    ),
    Accion.REGISTRAR_NOTIFICACION_BANCO: DefinicionAccion(
        "Adjuntar la notificación del banco",
        frozenset({Rol.SISTEMA}),
        (
            Campo("banco", "Banco", requerido=True, max_largo=80),
            Campo("mensaje_id", "Correo del banco", requerido=True, max_largo=300),
            Campo("monto_bs", "Monto (Bs)", "numero", requerido=True, minimo=0.01, maximo=1000000),
            Campo("fecha_deposito", "Fecha del depósito", "fecha"),
            Campo("numero_deposito", "Número de depósito", max_largo=60),
            Campo("tipo_operacion", "Tipo de operación", max_largo=80),
            Campo("depositante", "Depositante", max_largo=120),
            Campo("glosa", "Glosa", max_largo=300),
            Campo("referencia", "Código de solicitud en la glosa", max_largo=20),
        ),
        "12",
    ),
    Accion.APROBAR_DEPOSITO: DefinicionAccion("Aprobar el depósito", frozenset({Rol.CO}), (OBSERVACIONES,), "12"),
    Accion.RECHAZAR_DEPOSITO: DefinicionAccion("Rechazar el depósito", frozenset({Rol.CO}), (MOTIVO,), "12"),
    Accion.CONFIRMAR_PAGO_WEB: DefinicionAccion(
        "Confirmar el pago web en Smartflex", frozenset({Rol.CO}), (OBSERVACIONES,), "13"
    ),
    Accion.RECHAZAR_PAGO_WEB: DefinicionAccion("Rechazar el pago web", frozenset({Rol.CO}), (MOTIVO,), "13"),
    Accion.ENVIAR_FACTURA: DefinicionAccion(
        "Enviar la factura al cliente",
        frozenset({Rol.CO}),
        (
            Campo("numero_factura", "Número de factura", requerido=True, max_largo=30),
            Campo("monto_bs", "Monto facturado (Bs)", "numero", requerido=True, minimo=0.01, maximo=1000000),
        ),
        "14",
    ),
    Accion.MARCAR_IMPRESA: DefinicionAccion(
        "Factura impresa",
        frozenset({Rol.CA}),
        (
            Campo("numero_factura", "Número de factura", requerido=True, max_largo=30),
            Campo("monto_bs", "Monto facturado (Bs)", "numero", requerido=True, minimo=0.01, maximo=1000000),
        ),
        "16",
    ),
    Accion.MARCAR_ENTREGADA: DefinicionAccion(
        "Factura archivada y entregada",
        frozenset({Rol.CA}),
        (Campo("entregada_a", "Entregada a", max_largo=120),),
        "17",
    ),
    Accion.REGISTRAR_CONTROL_RECURRENTE: DefinicionAccion(
        "Registrar control de pago recurrente",
        frozenset({Rol.FA}),
        (
            Campo("dia_facturacion", "Día de facturación", "entero", requerido=True, minimo=1, maximo=28),
            Campo("monto_mensual_bs", "Monto mensual (Bs)", "numero", requerido=True, minimo=0.01, maximo=1000000),
            Campo("cuenta_facturacion", "Cuenta de facturación", max_largo=40),
        ),
        "18",
    ),
    Accion.REGISTRAR_ETAPA: DefinicionAccion(
        "Registrar etapa de la venta",
        EJ,
        (Campo("etapa", "Etapa", "opcion", requerido=True, opciones=tuple((e.value, e.etiqueta) for e in Etapa)),),
        "24",
    ),
    Accion.ANULAR: DefinicionAccion(
        "Anular la venta",
        frozenset({Rol.EJ, Rol.RC, Rol.SISTEMA}),  # SISTEMA: a cancellation made in Smartflex
        (
            MOTIVO,
            Campo(
                "origen_anulacion",
                "Anulada en",
                "opcion",
                opciones=(("ejecutivo", "Por el ejecutivo"), ("smartflex", "En Smartflex")),
            ),
        ),
        "20",
    ),
    Accion.REDIGITAR: DefinicionAccion("Redigitar la venta anulada", frozenset({Rol.RC}), (OBSERVACIONES,), "20"),
    Accion.REACTIVAR: DefinicionAccion("Reactivar la solicitud", frozenset({Rol.RC}), (MOTIVO,), "19"),
}

_CI = re.compile(r"^[0-9]{5,10}(-[0-9A-Z]{1,2})?$")
_FECHA = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VERDADERO = {"true", "1", "si", "sí", "on", "yes"}
_FALSO = {"false", "0", "no", "off", ""}


def _a_numero(valor: Any, entero: bool) -> float | int:
    if isinstance(valor, bool):
        raise ValueError
    if isinstance(valor, int | float):
        numero: float | int = valor
    else:
        texto = str(valor).strip().replace(",", ".")
        numero = float(texto)
    if numero != numero or numero in (float("inf"), float("-inf")):
        raise ValueError
    if entero:
        if float(numero) != int(numero):
            raise ValueError
        return int(numero)
    return float(numero)


def _validar_uno(campo: Campo, valor: Any, normalizadores: Mapping[str, Normalizador]) -> Any:
    if campo.tipo in ("numero", "entero"):
        try:
            numero = _a_numero(valor, campo.tipo == "entero")
        except (TypeError, ValueError, OverflowError):
            raise ValueError(
                "Debe ser un número entero." if campo.tipo == "entero" else "Debe ser un número."
            ) from None
        if campo.minimo is not None and numero < campo.minimo:
            raise ValueError(f"Debe ser como mínimo {campo.minimo:g}.")
        if campo.maximo is not None and numero > campo.maximo:
            raise ValueError(f"Debe ser como máximo {campo.maximo:g}.")
        return numero
    if campo.tipo == "booleano":
        if isinstance(valor, bool):
            return valor
        texto = str(valor).strip().lower()
        if texto in _VERDADERO:
            return True
        if texto in _FALSO:
            return False
        raise ValueError("Debe ser sí o no.")
    if not isinstance(valor, str):
        raise ValueError("Debe ser un texto.")
    texto = valor.strip()
    if campo.tipo == "opcion":
        validas = {v for v, _ in campo.opciones}
        if texto not in validas:
            raise ValueError("Elija una de las opciones: " + ", ".join(e for _, e in campo.opciones) + ".")
        return texto
    if campo.tipo == "fecha":
        try:
            if not _FECHA.match(texto):
                raise ValueError
            return date.fromisoformat(texto).isoformat()
        except ValueError:
            raise ValueError("Debe ser una fecha con el formato AAAA-MM-DD.") from None
    if campo.tipo == "ci":
        compacto = texto.upper().replace(" ", "")
        if not _CI.match(compacto):
            raise ValueError("Debe ser un número de CI (5 a 10 dígitos, con complemento opcional como 1234567-1B).")
        return compacto
    if campo.tipo in ("email", "telefono"):
        return normalizadores[campo.tipo](texto)
    limite = campo.max_largo if campo.tipo == "texto" else max(campo.max_largo, 2000)
    if len(texto) > limite:
        raise ValueError(f"Admite como máximo {limite} caracteres.")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in texto):
        raise ValueError("Contiene caracteres no permitidos.")
    return texto


def validar_campos(
    accion: Accion, crudos: Mapping[str, Any], normalizadores: Mapping[str, Normalizador]
) -> dict[str, Any]:
    """Validate and normalise an action's fields; unknown fields and missing required ones are errors.

    Empty optional values are dropped. Raises DatosInvalidos with one Spanish message per field.
    """
    definicion = ACCIONES[accion]
    por_nombre = {c.nombre: c for c in definicion.campos}
    errores: dict[str, str] = {}
    limpios: dict[str, Any] = {}
    for nombre in crudos:
        if nombre not in por_nombre:
            errores[nombre] = "Campo no admitido para esta acción."
    for campo in definicion.campos:
        valor = crudos.get(campo.nombre)
        vacio = valor is None or (isinstance(valor, str) and not valor.strip())
        if vacio:
            if campo.requerido:
                errores[campo.nombre] = "Este campo es obligatorio."
            continue
        try:
            limpios[campo.nombre] = _validar_uno(campo, valor, normalizadores)
        except ValueError as exc:
            errores[campo.nombre] = str(exc) or "Valor inválido."
    if not errores and definicion.requiere_algun_campo and not limpios:
        errores["_"] = "Complete al menos un campo."
    if errores:
        raise DatosInvalidos(errores, "Revise los campos marcados.")
    return limpios


@dataclass(frozen=True)
class AccionDisponible:
    """An action the caller may apply now, with the fields it needs (``acciones_disponibles``)."""

    accion: Accion
    definicion: DefinicionAccion
    extra: dict[str, Any] = field(default_factory=dict)

    def describir(self) -> dict[str, Any]:
        return self.definicion.describir(self.accion)
