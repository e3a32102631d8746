"""What a reply to each question the system asks by email means: one ``Proposito`` per question (``PROPOSITOS``).

Step 4 of the order of work (``recepcion.py``): the reply is read (``domain/respuestas.py``) and mapped with the
purpose's table entry to one action and its fields (an ``Orden``), or to the Spanish reason it cannot be; the purpose
also says who may answer (``correlacion.py``), for how long, in which states the question is still open, and what a
"could not understand" answer shows as examples (``respuestas_automaticas.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from chalicelib.domain.model import Rol, Solicitud
from chalicelib.domain.respuestas import Decision, Respuesta, leer_mbps, leer_tecnologia, velocidad_en_texto
from chalicelib.domain.states import Accion, Estado
from chalicelib.services import correo_saliente

MOTIVO_NO_INDICADO: Final = "Help Desk respondió NO por correo sin indicar el motivo."
CONDICION: Final = "La primera línea de su respuesta es una condición o una pregunta, no una decisión."
"""Start of the reason given back for a reply whose first line is a condition or a question
(``Respuesta.condicional``)."""


@dataclass(frozen=True)
class Orden:
    """The action a reply asks for, with its fields (validated later by ``aplicar`` like any other door)."""

    accion: str
    campos: dict[str, Any]


Decidir = Callable[[Respuesta, Solicitud], "Orden | str"]
"""Maps a reply to an Orden, or returns the Spanish reason it cannot (the reply is then unreadable)."""


@dataclass(frozen=True)
class Proposito:
    """A question the system asks by email: who answers, for how long, and what an answer does."""

    nombre: str
    rol: Rol
    """The role the decision is applied with (``AplicarAccion.rol``)."""
    rol_remitentes: Rol
    """Besides the intended responder, the allowed mailboxes of this role may answer (``VD_BUZONES_<ROL>``)."""
    dias_validez: int
    estados_abiertos: frozenset[str]
    """States in which the question is still open; in any other state a reply is "already decided"."""
    acciones: frozenset[str] = frozenset()
    """The decisions (to tell who decided, when a late reply arrives)."""
    decidir: Decidir | None = None
    """None: the purpose takes documents, not a decision."""
    documentos: bool = False
    ejemplos: tuple[tuple[str, str], ...] = ()
    """(title, what to type) pairs shown in the "could not understand" answer."""

    def pregunta(self) -> correo_saliente.Pregunta:
        return correo_saliente.Pregunta(self.nombre, self.rol.value, self.dias_validez)


def _sin_decision(r: Respuesta, condicional: str, otra: str) -> str:
    """The Spanish reason a reply without a decision cannot be applied: it is empty (only the quoted message), its
    first line is a condition or a question (``CONDICION`` + ``condicional``), or anything else (``otra``)."""
    if r.vacia:
        return "Su respuesta llegó sin texto nuevo: solo encontramos el mensaje citado."
    if r.condicional:
        return f"{CONDICION} {condicional}"
    return otra


def _capacidad(r: Respuesta, s: Solicitud) -> Orden | str:
    """Steps 6-7. SI → confirmar_capacidad (maximum speed: "Velocidad máxima", else a speed with its unit in the
    comment, else the requested one); NO → negar_capacidad (reason: "Motivo", else the comment)."""
    if r.decision is Decision.SI:
        pedida = ((s.capacidad or {}).get("solicitud") or {}).get("velocidad_solicitada_mbps")
        escrita = r.campos.get("velocidad_maxima")
        if escrita:
            velocidad = leer_mbps(escrita)
            if velocidad is None:
                return (
                    f"No entendimos la velocidad máxima «{escrita}». Escríbala como un número, por ejemplo "
                    "«Velocidad máxima: 40 Mbps»."
                )
        else:
            velocidad = velocidad_en_texto(r.comentario or "") or pedida
        if velocidad is None:
            return "Indique la velocidad máxima, por ejemplo «Velocidad máxima: 40 Mbps»."
        campos: dict[str, Any] = {"velocidad_maxima_mbps": velocidad}
        observaciones = [r.campos["observaciones"]] if r.campos.get("observaciones") else []
        if not observaciones and r.comentario:
            observaciones.append(r.comentario)
        tecnologia = r.campos.get("tecnologia")
        if tecnologia:
            codigo = leer_tecnologia(tecnologia)
            if codigo:
                campos["tecnologia"] = codigo
            else:
                observaciones.append(f"Tecnología indicada: {tecnologia}.")
        if observaciones:
            campos["observaciones"] = " ".join(observaciones)
        return Orden(Accion.CONFIRMAR_CAPACIDAD.value, campos)
    if r.decision is Decision.NO:
        motivo = r.campos.get("motivo") or r.comentario or r.campos.get("observaciones") or MOTIVO_NO_INDICADO
        return Orden(Accion.NEGAR_CAPACIDAD.value, {"motivo": motivo})
    inicio = r.palabra or (r.texto.splitlines() or [""])[0][:40]
    return _sin_decision(
        r,
        "Cuando pueda confirmarlo, escriba solo SI o NO al inicio de la primera línea; las condiciones y "
        "aclaraciones van debajo, en «Observaciones: …».",
        f"La primera línea de su respuesta empieza con «{inicio}»; debe empezar con SI o NO.",
    )


def _decision_cobranzas(r: Respuesta, aprobar: Accion, rechazar: Accion, palabra: str) -> Orden | str:
    """Steps 12-13, Collections' answer (payments: see services/pagos.py). APROBADO / CONFIRMADO / SI → ``aprobar``
    (comment as observations); RECHAZADO / NO → ``rechazar``, whose reason ("Motivo", else the comment) is required."""
    if r.decision is Decision.SI:
        observaciones = r.campos.get("observaciones") or r.comentario
        return Orden(aprobar.value, {"observaciones": observaciones} if observaciones else {})
    if r.decision is Decision.NO:
        motivo = r.campos.get("motivo") or r.comentario
        if not motivo:
            return "Para rechazar indique el motivo, por ejemplo «RECHAZADO» y en la línea siguiente «Motivo: …»."
        return Orden(rechazar.value, {"motivo": motivo})
    return _sin_decision(
        r,
        f"Cuando pueda decidir, escriba solo {palabra} o RECHAZADO al inicio de la primera línea.",
        f"La primera línea de su respuesta debe ser {palabra} o RECHAZADO.",
    )


MOTIVO_OFERTA_NO_INDICADO: Final = "El cliente respondió NO a la Carta Comercial sin indicar el motivo."


def _oferta(r: Respuesta, s: Solicitud) -> Orden | str:
    """Step 8, the customer's answer to the Carta Comercial. ACEPTO / SI → aceptar_oferta (comment as
    observations); NO / RECHAZO → rechazar_oferta (reason: "Motivo", else the comment)."""
    if r.decision is Decision.SI:
        observaciones = r.campos.get("observaciones") or r.comentario
        return Orden(Accion.ACEPTAR_OFERTA.value, {"observaciones": observaciones} if observaciones else {})
    if r.decision is Decision.NO:
        motivo = r.campos.get("motivo") or r.comentario or r.campos.get("observaciones") or MOTIVO_OFERTA_NO_INDICADO
        return Orden(Accion.RECHAZAR_OFERTA.value, {"motivo": motivo})
    como = "Para aceptar la propuesta responda ACEPTO; si no le interesa, responda NO y, si desea, el motivo."
    return _sin_decision(r, como, como)


PROPOSITOS: Final[Mapping[str, Proposito]] = {
    "oferta": Proposito(
        "oferta",
        rol=Rol.SISTEMA,
        rol_remitentes=Rol.EJ,
        dias_validez=15,
        estados_abiertos=frozenset({Estado.OFERTA_ENVIADA.value}),
        acciones=frozenset({Accion.ACEPTAR_OFERTA.value, Accion.RECHAZAR_OFERTA.value}),
        decidir=_oferta,
        ejemplos=(
            ("Si acepta la propuesta", "ACEPTO"),
            ("Si no le interesa", "NO\nMotivo: Ya contraté otro servicio."),
        ),
    ),
    "capacidad": Proposito(
        "capacidad",
        rol=Rol.HD,
        rol_remitentes=Rol.HD,
        dias_validez=10,
        estados_abiertos=frozenset({Estado.CONSULTA_HELP_DESK.value}),
        acciones=frozenset({Accion.CONFIRMAR_CAPACIDAD.value, Accion.NEGAR_CAPACIDAD.value}),
        decidir=_capacidad,
        ejemplos=(
            (
                "Si hay capacidad",
                "SI\nVelocidad máxima: 40 Mbps\nTecnología: FTTH\nObservaciones: Caja terminal con puertos libres.",
            ),
            ("Si no hay capacidad", "NO\nMotivo: No hay puertos libres en la caja terminal."),
        ),
    ),
    "requisitos": Proposito(
        "requisitos",
        rol=Rol.SISTEMA,
        rol_remitentes=Rol.EJ,
        dias_validez=30,
        estados_abiertos=frozenset({Estado.REQUISITOS.value}),
        documentos=True,
    ),
    "deposito": Proposito(
        "deposito",
        rol=Rol.CO,
        rol_remitentes=Rol.CO,
        dias_validez=3,
        estados_abiertos=frozenset({Estado.VALIDACION_DEPOSITO.value}),
        acciones=frozenset({Accion.APROBAR_DEPOSITO.value, Accion.RECHAZAR_DEPOSITO.value}),
        decidir=lambda r, s: _decision_cobranzas(r, Accion.APROBAR_DEPOSITO, Accion.RECHAZAR_DEPOSITO, "APROBADO"),
        ejemplos=(
            ("Si el depósito figura en el extracto", "APROBADO"),
            ("Si no corresponde", "RECHAZADO\nMotivo: El depósito no figura en el extracto."),
        ),
    ),
    "pago_web": Proposito(
        "pago_web",
        rol=Rol.CO,
        rol_remitentes=Rol.CO,
        dias_validez=3,
        estados_abiertos=frozenset({Estado.VALIDACION_PAGO_WEB.value}),
        acciones=frozenset({Accion.CONFIRMAR_PAGO_WEB.value, Accion.RECHAZAR_PAGO_WEB.value}),
        decidir=lambda r, s: _decision_cobranzas(r, Accion.CONFIRMAR_PAGO_WEB, Accion.RECHAZAR_PAGO_WEB, "CONFIRMADO"),
        ejemplos=(
            ("Si el pago figura en Smartflex", "CONFIRMADO"),
            ("Si no corresponde", "RECHAZADO\nMotivo: La pasarela revirtió el pago."),
        ),
    ),
}
"""One entry per question asked by email. Add a purpose here and set ``proposito=`` on its Reaccion."""
