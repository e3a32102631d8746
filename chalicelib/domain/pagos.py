"""Payments (steps 10-12) as pure rules: the amount due, the reference code, the payment gateway's callback and
the bank's deposit notification."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.errors import ConflictoConcurrente, DatosInvalidos, DomainError
from chalicelib.domain.model import Solicitud

TIPO_PAGO_APROBADO: Final = "pago.aprobado"
TOLERANCIA_BS: Final = 0.005
MONTO_MAXIMO_BS: Final = 1_000_000.0

_REFERENCIA: Final = re.compile(r"(?<![0-9A-Z])VD[-_ ]?([0-9A-HJKMNP-TV-Z]{8})(?![0-9A-Z])")
"""A request code as people type it in a bank's glosa: VD-7F3K9Q2M, VD 7F3K9Q2M, vd7f3k9q2m."""


class CallbackEnProceso(ConflictoConcurrente):
    """The same callback id is being processed right now; the sender should retry later."""

    codigo = "en_proceso"


class AvisoIlegible(DomainError):
    """A correctly signed callback whose body is not a JSON object (answered 400)."""

    codigo = "entrada_invalida"


def monto_esperado(s: Solicitud) -> float | None:
    """A prepaid sale is paid with the first month's tariff plus the installation of the accepted offer;
    None when the offer has no tariff (then only Collections can judge the amount)."""
    oferta = s.oferta or {}
    tarifa = oferta.get("tarifa_mensual_bs")
    if tarifa is None:
        return None
    return round(float(tarifa) + float(oferta.get("costo_instalacion_bs") or 0), 2)


def montos_iguales(a: float, b: float) -> bool:
    return abs(a - b) < TOLERANCIA_BS


def referencia_en(texto: str) -> str | None:
    """The first request code (``VD-XXXXXXXX``) written anywhere in ``texto``, normalised; None if there is none."""
    hallada = _REFERENCIA.search(texto.upper())
    return f"VD-{hallada.group(1)}" if hallada else None


@dataclass(frozen=True)
class RecibirCallbackPago:
    """Process one signed payment-gateway callback exactly as it arrived (headers lower-cased, raw body)."""

    cabeceras: Mapping[str, str]
    cuerpo: bytes


@dataclass(frozen=True)
class CallbackPago:
    """The gateway's notice that a web payment was approved (payload of POST /webhooks/pagos)."""

    tipo: str
    id_transaccion: str
    referencia: str
    monto_bs: float
    fecha: str
    medio: str = ""

    def como_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _texto(datos: Mapping[str, Any], nombre: str, errores: dict[str, str], largo: int, requerido: bool = True) -> str:
    valor = datos.get(nombre)
    if valor is None or (isinstance(valor, str) and not valor.strip()):
        if requerido:
            errores[nombre] = "Este campo es obligatorio."
        return ""
    if not isinstance(valor, str) or len(valor.strip()) > largo or any(ord(c) < 32 for c in valor):
        errores[nombre] = f"Debe ser un texto de hasta {largo} caracteres."
        return ""
    return valor.strip()


def _monto(valor: Any, errores: dict[str, str]) -> float:
    if isinstance(valor, bool) or not isinstance(valor, int | float | str):
        errores["monto_bs"] = "Debe ser un número."
        return 0.0
    try:
        monto = float(valor)
    except ValueError:
        errores["monto_bs"] = "Debe ser un número."
        return 0.0
    if not math.isfinite(monto) or not 0 < monto <= MONTO_MAXIMO_BS:
        errores["monto_bs"] = "Debe ser un monto positivo en bolivianos."
        return 0.0
    return round(monto, 2)


def leer_callback(datos: Mapping[str, Any]) -> CallbackPago:
    """The callback's fields, validated; DatosInvalidos with one Spanish message per wrong field.
    Unknown fields are ignored (a gateway may add fields without breaking us)."""
    errores: dict[str, str] = {}
    tipo = _texto(datos, "tipo", errores, 60)
    id_transaccion = _texto(datos, "id_transaccion", errores, 80)
    referencia_texto = _texto(datos, "referencia", errores, 40)
    monto = _monto(datos.get("monto_bs"), errores) if "monto_bs" in datos else 0.0
    if "monto_bs" not in datos:
        errores["monto_bs"] = "Este campo es obligatorio."
    fecha = _texto(datos, "fecha", errores, 40)
    if fecha:
        try:
            datetime.fromisoformat(fecha.replace("Z", "+00:00"))
        except ValueError:
            errores["fecha"] = "Debe ser una fecha y hora ISO 8601."
    medio = _texto(datos, "medio", errores, 40, requerido=False)
    referencia = referencia_en(referencia_texto) if referencia_texto else None
    if referencia_texto and referencia is None:
        errores["referencia"] = "Debe ser un código de solicitud (VD-XXXXXXXX)."
    if errores:
        raise DatosInvalidos(errores, "El aviso de pago no tiene el formato esperado.")
    return CallbackPago(
        tipo=tipo,
        id_transaccion=id_transaccion,
        referencia=referencia or "",
        monto_bs=monto,
        fecha=fecha,
        medio=medio,
    )


@dataclass(frozen=True)
class CorreoBanco:
    """An inbound email that may be a bank's deposit notification, with the receiving server's verdicts."""

    mensaje_id: str
    remitente: str
    asunto: str
    texto: str
    dmarc: str = ""
    dkim: str = ""
    dkim_dominios: tuple[str, ...] = ()

    @property
    def dominio(self) -> str:
        return self.remitente.rsplit("@", 1)[-1].strip().strip(">").lower()


@dataclass(frozen=True)
class NotificacionBanco:
    """What a bank says about one deposit: read from its email by that bank's rules."""

    banco: str
    mensaje_id: str
    monto_bs: float | None = None
    fecha_deposito: str | None = None
    numero_deposito: str | None = None
    tipo_operacion: str | None = None
    depositante: str | None = None
    glosa: str | None = None
    referencia: str | None = None

    def campos(self) -> dict[str, Any]:
        """The fields of ``registrar_notificacion_banco`` (empty values left out)."""
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


CAMPOS_REGLA: Final = ("monto", "fecha", "numero_deposito", "tipo_operacion", "depositante", "glosa")


@dataclass(frozen=True)
class ReglaBanco:
    """How to read one bank's deposit notifications: who sends them, which subject, and one regular expression
    per field (its named group ``valor``, or the whole match). Loaded from ``chalicelib/data/bancos.json``."""

    id: str
    nombre: str
    dominios: tuple[str, ...]
    asunto: re.Pattern[str]
    campos: Mapping[str, re.Pattern[str]]
    formatos_fecha: tuple[str, ...] = ("%d/%m/%Y",)
    separador_decimal: str = ","

    @classmethod
    def desde_dict(cls, datos: Mapping[str, Any]) -> ReglaBanco:
        """A rule from its JSON form; ValueError naming the problem if it is incomplete or a pattern is wrong."""
        try:
            campos = {n: re.compile(p, re.IGNORECASE | re.MULTILINE) for n, p in dict(datos["campos"]).items()}
            regla = cls(
                id=str(datos["id"]),
                nombre=str(datos["nombre"]),
                dominios=tuple(str(d).lower() for d in datos["dominios"]),
                asunto=re.compile(str(datos["asunto"]), re.IGNORECASE),
                campos=campos,
                formatos_fecha=tuple(datos.get("formatos_fecha") or ("%d/%m/%Y",)),
                separador_decimal=str(datos.get("separador_decimal", ",")),
            )
        except (KeyError, TypeError, re.error) as exc:
            raise ValueError(f"bank rule {datos.get('id', '?')!r} is invalid: {exc}") from exc
        desconocidos = set(campos) - set(CAMPOS_REGLA)
        if "monto" not in campos or desconocidos or regla.separador_decimal not in (",", ".") or not regla.dominios:
            raise ValueError(f"bank rule {regla.id!r} needs 'monto', known fields only, a decimal separator, domains")
        return regla

    def es_remitente(self, dominio: str) -> bool:
        return any(dominio == d or dominio.endswith("." + d) for d in self.dominios)


def _valor(patron: re.Pattern[str] | None, texto: str) -> str | None:
    if patron is None:
        return None
    hallado = patron.search(texto)
    if not hallado:
        return None
    valor = hallado.group("valor") if "valor" in patron.groupindex else hallado.group(0)
    limpio = " ".join((valor or "").split())
    return limpio or None


def monto_texto(texto: str, separador_decimal: str) -> float | None:
    """ "1.250,00" (decimal comma) or "1,250.00" (decimal point) -> 1250.0; None if it is not an amount."""
    miles = "." if separador_decimal == "," else ","
    limpio = texto.replace(" ", "").replace(miles, "").replace(separador_decimal, ".")
    try:
        monto = float(limpio)
    except ValueError:
        return None
    return round(monto, 2) if math.isfinite(monto) and monto > 0 else None


def leer_notificacion(correo: CorreoBanco, regla: ReglaBanco) -> NotificacionBanco | None:
    """The deposit a bank's email describes, read with that bank's rule; None when the subject says it is not a
    deposit notification. Fields the rule cannot find stay None (the amount decides whether it can be matched)."""
    if not regla.asunto.search(correo.asunto):
        return None
    texto = correo.texto
    monto = _valor(regla.campos.get("monto"), texto)
    fecha = _valor(regla.campos.get("fecha"), texto)
    glosa = _valor(regla.campos.get("glosa"), texto)
    return NotificacionBanco(
        banco=regla.nombre,
        mensaje_id=correo.mensaje_id,
        monto_bs=monto_texto(monto, regla.separador_decimal) if monto else None,
        fecha_deposito=_fecha(fecha, regla.formatos_fecha) if fecha else None,
        numero_deposito=_valor(regla.campos.get("numero_deposito"), texto),
        tipo_operacion=_valor(regla.campos.get("tipo_operacion"), texto),
        depositante=_valor(regla.campos.get("depositante"), texto),
        glosa=glosa,
        referencia=referencia_en(glosa) if glosa else referencia_en(texto),
    )


def _fecha(texto: str, formatos: tuple[str, ...]) -> str | None:
    for formato in formatos:
        try:
            return datetime.strptime(texto, formato).date().isoformat()
        except ValueError:
            continue
    return None
