"""The hosted web form (step 1): validation of a submission into a capture command, and its reception.

The form is a public door anyone can use with anyone's phone or email, so it answers the same way whatever
happened (a new request, a join to an open request, a repeated submission, a bot caught by the honeypot, a
submission over the daily limit): 201 and a receipt code of the submission, never another request's code. The
acknowledgement email goes to an address at most ``acuses_por_direccion_dia`` times a day (and for one phone
``acuses_por_telefono_dia`` times); over that the request is still recorded, the history says why, and no email
goes.

The door validates and does one write (the submission with its receipt code, ``registrar_envio``) before it answers;
the lookups by phone and email, the join to an open request and the limits run on the entrantes stream
(``capturar_envio``), like a channel message. The receipt is the new request's code, so the page can show it before
the request exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Final

from chalicelib.domain.actions import Normalizador
from chalicelib.domain.clasificacion import sugerir_tipo
from chalicelib.domain.commands import CapturarSolicitud
from chalicelib.domain.errors import DatosInvalidos
from chalicelib.domain.model import Canal, EntradaHistorial, Entrante, Rol, TipoEntrante
from chalicelib.domain.ports import Clock, EntranteRepository, IdGenerator, Limites, SolicitudRepository
from chalicelib.services.canales import Recepcion

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


# --- reception: one write and one answer for every outcome; capture and limited acknowledgements on the stream ---

ACUSE_RETENIDO: Final = "acuse_retenido"
"""Key in the request's ``origen``: the acknowledgement was withheld (the value says why); read by the reaction."""
VENTANA_DIA: Final = 24 * 3600


@dataclass(frozen=True)
class PuertosPuerta:
    """What the door needs: one write, and the receipt code."""

    entrantes: EntranteRepository
    clock: Clock
    ids: IdGenerator


@dataclass(frozen=True)
class PuertosFormulario:
    """What capturing a stored submission needs (on the entrantes stream)."""

    recibir_contacto: Callable[[CapturarSolicitud], Recepcion]
    repo: SolicitudRepository
    limites: Limites
    clock: Clock
    acuses_por_direccion_dia: int = 3
    acuses_por_telefono_dia: int = 3


def registrar_envio(cmd: CapturarSolicitud, *, puertos: PuertosPuerta) -> str:
    """The door's one write: the validated submission with the receipt code it is answered with, stored once under
    its ``envio_id`` (a submission without one gets its receipt as key). A repeated submission (same ``envio_id``)
    writes nothing and gets the receipt it got the first time. The lookups by phone and email, the join to an
    open request and the acknowledgement limits run on the entrantes stream (``capturar_envio``)."""
    recibo = puertos.ids.solicitud()
    clave_envio = cmd.clave_envio or recibo
    envio = replace(cmd, recibo=recibo, clave_envio=clave_envio)
    item = Entrante(
        clave=f"{Canal.WEB.value}#{clave_envio}",
        canal=Canal.WEB.value,
        tipo=TipoEntrante.FORMULARIO.value,
        payload={**asdict(envio), "adjuntos": []},
        recibido_en=puertos.clock.ahora().isoformat(),
    )
    if puertos.entrantes.registrar([item]):
        return recibo
    anterior = puertos.entrantes.obtener(item.clave)
    return str(anterior.payload.get("recibo") or recibo) if anterior else recibo


def comando_de_envio(e: Entrante) -> CapturarSolicitud:
    """The submission stored by ``registrar_envio``, as the command it was."""
    campos = {f.name for f in fields(CapturarSolicitud)}
    return CapturarSolicitud(**{k: v for k, v in e.payload.items() if k in campos and k != "adjuntos"})


def capturar_envio(e: Entrante, *, puertos: PuertosFormulario) -> Recepcion:
    """A stored submission becomes a new request whose code is its receipt, or a touchpoint on the person's open
    request recorded with that receipt. Every submission counts toward the daily acknowledgement limits of its
    address and phone; over them the acknowledgement is withheld and the history says why."""
    cmd = comando_de_envio(e)
    motivo = _motivo_retencion(cmd, puertos)
    if motivo:
        cmd = replace(cmd, origen={**cmd.origen, ACUSE_RETENIDO: motivo})
    recepcion = puertos.recibir_contacto(cmd)
    if recepcion.nueva and recepcion.solicitud_id and motivo:
        _anotar_retencion(recepcion.solicitud_id, cmd, motivo, puertos)
    return recepcion


def _motivo_retencion(cmd: CapturarSolicitud, puertos: PuertosFormulario) -> str | None:
    """Count this submission for its address and its phone (every valid submission counts); the reason the
    acknowledgement is withheld when either went over its daily limit, else None."""
    motivos = []
    email, telefono = cmd.datos.get("email"), cmd.datos.get("telefono")
    if email:
        enviados = puertos.limites.contar(f"acuse#email#{email}", VENTANA_DIA)
        if enviados > puertos.acuses_por_direccion_dia:
            motivos.append(f"el correo {email} ya recibió {puertos.acuses_por_direccion_dia} acuses hoy")
    if telefono:
        enviados = puertos.limites.contar(f"acuse#telefono#{telefono}", VENTANA_DIA)
        if enviados > puertos.acuses_por_telefono_dia:
            motivos.append(f"el teléfono {telefono} ya se usó en {puertos.acuses_por_telefono_dia} formularios hoy")
    return " y ".join(motivos) if motivos else None


def _anotar_retencion(solicitud_id: str, cmd: CapturarSolicitud, motivo: str, puertos: PuertosFormulario) -> None:
    email = cmd.datos.get("email")
    destino = f" a {email}" if email else ""
    puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=solicitud_id,
            id=f"acuse_retenido#{cmd.clave_envio or solicitud_id}",
            en=puertos.clock.ahora().isoformat(),
            tipo=ACUSE_RETENIDO,
            resumen=(
                f"No se envió el acuse de recibo{destino}: {motivo} por el formulario web (límite diario contra el"
                " envío de correos a terceros). La solicitud quedó registrada; contacte al prospecto por teléfono."
            ),
            actor="sistema",
            rol=Rol.SISTEMA.value,
            canal=Canal.WEB.value,
            campos={"motivo": motivo, **({"para": [email]} if email else {})},
        )
    )


def recibo_suelto(ids: IdGenerator) -> str:
    """A receipt for a submission that recorded nothing (the honeypot): the same shape as any other."""
    return ids.solicitud()
