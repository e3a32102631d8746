"""The hosted web form (step 1): validation of a submission into a capture command."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from chalicelib.domain.actions import Normalizador
from chalicelib.domain.clasificacion import sugerir_tipo
from chalicelib.domain.commands import CapturarSolicitud
from chalicelib.domain.errors import DatosInvalidos

CIUDADES: Final = ("Cochabamba", "Quillacollo", "Sacaba", "Tiquipaya", "Colcapirhua", "Vinto", "Sipe Sipe", "Otra")
SERVICIOS: Final = ("internet_hogar", "internet_tv", "telefonia", "otro")
TIPOS: Final = ("residencial", "empresa")
CAMPO_TRAMPA: Final = "sitio_web"
"""Honeypot: hidden from people, filled by bots."""

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LARGOS: Final = {"nombre": 120, "zona": 120, "direccion": 250, "mensaje": 2000}
CAMPOS: Final = (
    "nombre",
    "telefono",
    "email",
    "ciudad",
    "zona",
    "direccion",
    "tipo_cliente",
    "servicio",
    "mensaje",
    "consentimiento",
    "envio_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    CAMPO_TRAMPA,
)


def es_trampa(crudos: Mapping[str, Any]) -> bool:
    """A submission that filled the honeypot is a bot: answer as if accepted, write nothing."""
    return bool(str(crudos.get(CAMPO_TRAMPA) or "").strip())


def _texto(valor: Any) -> str:
    return valor.strip() if isinstance(valor, str) else ""


def validar_formulario(crudos: Mapping[str, Any], normalizadores: Mapping[str, Normalizador]) -> CapturarSolicitud:
    """A valid submission becomes a CapturarSolicitud for channel ``web``; otherwise DatosInvalidos with one
    Spanish message per field. Name and phone are required, and so is the prospect's consent (Ley 164)."""
    errores: dict[str, str] = {}
    for nombre, valor in crudos.items():
        if nombre in CAMPOS and valor is not None and not isinstance(valor, str | bool):
            errores[nombre] = "Valor inválido."
    valores = {k: _texto(crudos.get(k)) for k in CAMPOS}
    for nombre, largo in _LARGOS.items():
        if len(valores[nombre]) > largo:
            errores[nombre] = f"Admite como máximo {largo} caracteres."
        elif any(ord(c) < 32 and c not in "\n\r\t" for c in valores[nombre]):
            errores[nombre] = "Contiene caracteres no permitidos."
    if len(valores["nombre"]) < 3:
        errores.setdefault("nombre", "Escriba su nombre completo.")
    datos: dict[str, Any] = {}
    if not valores["telefono"]:
        errores["telefono"] = "Escriba un teléfono o celular para contactarle."
    else:
        try:
            datos["telefono"] = normalizadores["telefono"](valores["telefono"])
        except ValueError as exc:
            errores["telefono"] = str(exc)
    if valores["email"]:
        try:
            datos["email"] = normalizadores["email"](valores["email"])
        except ValueError as exc:
            errores["email"] = str(exc)
    if valores["ciudad"] and valores["ciudad"] not in CIUDADES:
        errores["ciudad"] = "Elija una ciudad de la lista."
    if valores["servicio"] and valores["servicio"] not in SERVICIOS:
        errores["servicio"] = "Elija un servicio de la lista."
    if valores["tipo_cliente"] and valores["tipo_cliente"] not in TIPOS:
        errores["tipo_cliente"] = "Elija hogar o empresa."
    consentimiento = crudos.get("consentimiento")
    if consentimiento is not True and _texto(consentimiento).lower() not in ("on", "si", "sí", "true", "1"):
        errores["consentimiento"] = "Necesitamos su autorización para contactarle."
    if valores["envio_id"] and not _UUID.match(valores["envio_id"]):
        errores["envio_id"] = "Identificador de envío inválido."
    for utm in ("utm_source", "utm_medium", "utm_campaign"):
        if len(valores[utm]) > 100:
            errores[utm] = "Valor demasiado largo."
    if errores:
        raise DatosInvalidos(errores, "Revise los campos marcados.")

    datos.update(
        {
            "nombre": " ".join(valores["nombre"].split()),
            "ciudad": valores["ciudad"] or "Cochabamba",
            "zona": valores["zona"],
            "direccion": valores["direccion"],
            "servicio": valores["servicio"] or "internet_hogar",
            "consentimiento": True,
        }
    )
    tipo, motivo = sugerir_tipo({**datos, "tipo_cliente": valores["tipo_cliente"]}, valores["mensaje"])
    origen = {k: valores[k] for k in ("utm_source", "utm_medium", "utm_campaign") if valores[k]}
    return CapturarSolicitud(
        canal="web",
        datos={k: v for k, v in datos.items() if v not in ("", None)},
        origen={"formulario": "solicitud", **origen},
        mensaje=valores["mensaje"],
        tipo_cliente_sugerido=tipo,
        motivo_clasificacion=motivo,
        clave_envio=valores["envio_id"].lower() or None,
    )
