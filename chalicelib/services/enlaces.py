"""Signed one-time links: issue (``emitir``), peek (``ver``, for GET) and decide once (``decidir``, for POST).

A link is one more door to ``solicitudes.aplicar``: the decision becomes an ``AplicarAccion`` with
``canal="enlace"``, the link's role and the person the link is bound to as actor, so every rule of the procedure
holds here too. Opening a link never writes anything (mail scanners open links); deciding first turns the
record from ``pendiente`` to ``decidida`` with a conditional write, so two POSTs decide once.

Purposes: each ``Proposito`` maps its decisions to actions. Another module registers its own purpose with
``registrar_proposito`` (e.g. the customer's acceptance of the offer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.domain.actions import ACCIONES, validar_campos
from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.enlaces import (
    Aprobacion,
    DecisionNoPermitida,
    EnlaceInvalido,
    EnlaceNoEncontrado,
    EnlaceVencido,
)
from chalicelib.domain.errors import AccionRechazada, EstadoInvalido
from chalicelib.domain.model import Rol, Solicitud
from chalicelib.domain.pagos import monto_esperado
from chalicelib.domain.ports import Aprobaciones, Clock, FirmaEnlaces, IdGenerator, SolicitudRepository
from chalicelib.domain.states import ETIQUETA_ESTADO, TRANSITIONS, Accion, Estado, motivo_rechazo
from chalicelib.services import solicitudes
from chalicelib.services.vistas import vista_solicitud

logger = logging.getLogger(__name__)

Fila = tuple[str, Any, str]
"""One row of a confirmation page: Spanish label, value, format (``texto`` | ``bs`` | ``fecha`` | ``mbps``)."""


def _ficha_basica(s: Solicitud) -> list[Fila]:
    return [("Código", s.id, "texto"), ("Cliente", s.nombre, "texto"), ("Estado", _etiqueta_estado(s), "texto")]


def _sin_valores(_: Solicitud) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Proposito:
    """What the links of one purpose decide: each decision is one action, applied with ``rol``."""

    nombre: str
    titulo: str
    rol: Rol
    acciones: Mapping[str, Accion]
    botones: Mapping[str, str]
    explicacion: str = ""
    ficha: Callable[[Solicitud], list[Fila]] = _ficha_basica
    valores: Callable[[Solicitud], dict[str, Any]] = _sin_valores
    imprimible: bool = False


def _etiqueta_estado(s: Solicitud) -> str:
    return ETIQUETA_ESTADO[Estado(s.estado)]


def _contrato(s: Solicitud) -> str | None:
    return (s.digitacion or {}).get("numero_contrato")


def _ficha_deposito(s: Solicitud) -> list[Fila]:
    pago = s.pago or {}
    return [
        ("Código", s.id, "texto"),
        ("Cliente", s.nombre, "texto"),
        ("Monto depositado", pago.get("monto_bs"), "bs"),
        ("Monto esperado", monto_esperado(s), "bs"),
        ("Fecha del depósito", pago.get("fecha_deposito"), "fecha"),
        ("Número de depósito", pago.get("numero_deposito"), "texto"),
        ("Tipo de operación", pago.get("tipo_operacion"), "operacion"),
        ("Depositante", pago.get("depositante"), "texto"),
        ("Banco", pago.get("banco"), "texto"),
        ("Número de contrato", _contrato(s), "texto"),
    ]


def _ficha_pago_web(s: Solicitud) -> list[Fila]:
    pago = s.pago or {}
    return [
        ("Código", s.id, "texto"),
        ("Cliente", s.nombre, "texto"),
        ("Transacción", pago.get("id_transaccion"), "texto"),
        ("Monto pagado", pago.get("monto_bs"), "bs"),
        ("Monto esperado", monto_esperado(s), "bs"),
        ("Fecha del pago", pago.get("fecha_pago") or pago.get("registrado_en"), "fecha"),
        ("Medio de pago", pago.get("medio_pago"), "texto"),
        ("Número de contrato", _contrato(s), "texto"),
    ]


def _ficha_impresion(s: Solicitud) -> list[Fila]:
    pago = s.pago or {}
    oferta = s.oferta or {}
    return [
        ("Código", s.id, "texto"),
        ("Cliente", s.nombre, "texto"),
        ("Plan", oferta.get("plan"), "texto"),
        ("Monto a facturar", pago.get("monto_bs"), "bs"),
        ("Número de depósito", pago.get("numero_deposito"), "texto"),
        ("Número de contrato", _contrato(s), "texto"),
    ]


def _ficha_entrega(s: Solicitud) -> list[Fila]:
    factura = s.factura or {}
    return [
        ("Código", s.id, "texto"),
        ("Cliente", s.nombre, "texto"),
        ("Factura N°", factura.get("numero"), "texto"),
        ("Monto facturado", factura.get("monto_bs"), "bs"),
        ("Impresa el", factura.get("emitida_en"), "fecha"),
        ("Dirección", s.datos.get("direccion"), "texto"),
    ]


def _monto_a_facturar(s: Solicitud) -> dict[str, Any]:
    monto = (s.pago or {}).get("monto_bs")
    return {"monto_bs": f"{float(monto):.2f}"} if monto is not None else {}


def _entregada_a(s: Solicitud) -> dict[str, Any]:
    return {"entregada_a": s.nombre} if s.nombre else {}


PROPOSITOS: dict[str, Proposito] = {
    "deposito": Proposito(
        nombre="deposito",
        titulo="Validar el depósito",
        rol=Rol.CO,
        acciones={"aprobar": Accion.APROBAR_DEPOSITO, "rechazar": Accion.RECHAZAR_DEPOSITO},
        botones={"aprobar": "Aprobar el depósito", "rechazar": "Rechazar el depósito"},
        explicacion="Compare el depósito con el extracto bancario y la notificación del banco (paso 12).",
        ficha=_ficha_deposito,
    ),
    "pago_web": Proposito(
        nombre="pago_web",
        titulo="Confirmar el pago web",
        rol=Rol.CO,
        acciones={"confirmar": Accion.CONFIRMAR_PAGO_WEB, "rechazar": Accion.RECHAZAR_PAGO_WEB},
        botones={"confirmar": "Confirmar el pago", "rechazar": "Rechazar el pago"},
        explicacion="Al confirmar, el sistema verifica el pago en Smartflex (paso 13).",
        ficha=_ficha_pago_web,
    ),
    "impresion": Proposito(
        nombre="impresion",
        titulo="Imprimir la factura",
        rol=Rol.CA,
        acciones={"imprimir": Accion.MARCAR_IMPRESA},
        botones={"imprimir": "Registrar factura impresa"},
        explicacion="Emita e imprima la factura con estos datos y registre su número (paso 16).",
        ficha=_ficha_impresion,
        valores=_monto_a_facturar,
        imprimible=True,
    ),
    "entrega": Proposito(
        nombre="entrega",
        titulo="Entregar la factura",
        rol=Rol.CA,
        acciones={"entregar": Accion.MARCAR_ENTREGADA},
        botones={"entregar": "Registrar factura archivada y entregada"},
        explicacion="Registre la entrega cuando la factura esté archivada y en manos del cliente (paso 17).",
        ficha=_ficha_entrega,
        valores=_entregada_a,
    ),
}
"""Every purpose a signed link can have. Add one with ``registrar_proposito``."""


def registrar_proposito(proposito: Proposito) -> None:
    """Make a purpose available to links (idempotent for the same definition)."""
    PROPOSITOS[proposito.nombre] = proposito


@dataclass(frozen=True)
class PuertosEnlaces:
    aprobaciones: Aprobaciones
    firma: FirmaEnlaces
    clock: Clock
    ids: IdGenerator
    url_publica: str
    horas_vigencia: int = 72


@dataclass(frozen=True)
class Enlace:
    """An issued link: one URL per allowed decision (the same token; the decision preselects the form)."""

    aprobacion_id: str
    token: str
    urls: dict[str, str]
    expira_en: str


@dataclass(frozen=True)
class DecidirEnlace:
    """Decide with a signed link (the POST of the confirmation page)."""

    token: str
    decision: str
    campos: dict[str, Any] = field(default_factory=dict)
    version: int | None = None


def emitir(
    solicitud_id: str,
    proposito: str,
    rol: Rol,
    responsable: str,
    decisiones: Sequence[str],
    *,
    puertos: PuertosEnlaces,
    datos: Mapping[str, Any] | None = None,
) -> Enlace:
    """Create a pending approval bound to ``responsable`` and its signed link, valid ``horas_vigencia`` hours."""
    definicion = PROPOSITOS[proposito]
    desconocidas = [d for d in decisiones if d not in definicion.acciones]
    if not decisiones or desconocidas:
        raise ValueError(f"decisions {desconocidas or '[]'} are not allowed for purpose {proposito}")
    ahora = puertos.clock.ahora()
    aprobacion = Aprobacion(
        id=puertos.ids.evento(),
        solicitud_id=solicitud_id,
        proposito=proposito,
        rol=rol.value,
        responsable=responsable,
        decisiones=tuple(decisiones),
        creada_en=ahora.isoformat(),
        expira_en=(ahora + timedelta(hours=puertos.horas_vigencia)).isoformat(),
        datos=dict(datos or {}),
    )
    puertos.aprobaciones.crear(aprobacion)
    token = puertos.firma.firmar(aprobacion.id)
    base = f"{puertos.url_publica}/aprobaciones/{token}"
    urls = {d: base if len(decisiones) == 1 else f"{base}?decision={d}" for d in decisiones}
    logger.info(
        "enlace emitido",
        extra={"aprobacion_id": aprobacion.id, "solicitud_id": solicitud_id, "proposito": proposito},
    )
    return Enlace(aprobacion_id=aprobacion.id, token=token, urls=urls, expira_en=aprobacion.expira_en)


def verificar(token: str, *, puertos: PuertosEnlaces) -> Aprobacion:
    """The approval a token names. Refused when the token is malformed, tampered, foreign (other key or
    purpose), unknown, or expired while still pending; a decided one is returned (to say who decided)."""
    aprobacion_id = puertos.firma.leer(token, puertos.horas_vigencia * 3600)
    aprobacion = puertos.aprobaciones.obtener(aprobacion_id)
    if aprobacion is None:
        raise EnlaceNoEncontrado("Este enlace no existe o ya no está disponible.")
    if aprobacion.proposito not in PROPOSITOS:
        raise EnlaceInvalido("Este enlace no es válido.")
    if aprobacion.pendiente and aprobacion.vencida(puertos.clock.ahora()):
        raise EnlaceVencido("Este enlace venció. Pida uno nuevo o use el sistema.")
    return aprobacion


def ver(
    token: str, decision: str | None, *, puertos: PuertosEnlaces, puertos_solicitudes: solicitudes.Puertos
) -> dict[str, Any]:
    """The confirmation page of a link (what would be decided, on which data, and the form). Writes nothing."""
    aprobacion = verificar(token, puertos=puertos)
    s = puertos_solicitudes.repo.obtener(aprobacion.solicitud_id)
    logger.info("enlace consultado", extra={"aprobacion_id": aprobacion.id, "solicitud_id": s.id})
    vista = _vista_base(aprobacion, s)
    if not aprobacion.pendiente:
        return {**vista, "estado": "decidida"}
    definicion = PROPOSITOS[aprobacion.proposito]
    aplicables = [d for d in aprobacion.decisiones if _aplicable(s, definicion.acciones[d])]
    if not aplicables:
        aviso = f"La solicitud ya no espera esta decisión (estado actual: {_etiqueta_estado(s)})."
        return {**vista, "estado": "no_vigente", "aviso": aviso}
    elegida = decision if decision in aplicables else aplicables[0]
    formularios = [_formulario(definicion, d, s, d == elegida) for d in aplicables]
    return {**vista, "estado": "pendiente", "formularios": formularios}


def formulario_con_errores(
    cmd: DecidirEnlace,
    errores: Mapping[str, str],
    *,
    puertos: PuertosEnlaces,
    puertos_solicitudes: solicitudes.Puertos,
) -> dict[str, Any]:
    """The confirmation page again, with what the person typed and one Spanish message per wrong field."""
    vista = ver(cmd.token, cmd.decision, puertos=puertos, puertos_solicitudes=puertos_solicitudes)
    for formulario in vista.get("formularios", []):
        if formulario["decision"] == cmd.decision:
            formulario["errores"] = dict(errores)
            for campo in formulario["campos"]:
                if isinstance(cmd.campos.get(campo["nombre"]), str):
                    campo["valor"] = cmd.campos[campo["nombre"]]
    return vista


def decidir(cmd: DecidirEnlace, *, puertos: PuertosEnlaces, puertos_solicitudes: solicitudes.Puertos) -> dict[str, Any]:
    """Decide once: the fields and the request's state are checked first (bad input writes nothing), then the
    record goes from ``pendiente`` to ``decidida`` with a conditional write, then the action is applied; if the
    action is refused, the record is reopened. A second POST gets the page of the first decision."""
    aprobacion = verificar(cmd.token, puertos=puertos)
    repo = puertos_solicitudes.repo
    if not aprobacion.pendiente:
        s = repo.obtener(aprobacion.solicitud_id)
        if _decidida_sin_aplicar(aprobacion, s, repo) and cmd.decision == aprobacion.decision:
            # the attempt that recorded the decision died before applying it: this click applies it
            return _aplicar_decision(aprobacion, s, cmd, aprobacion.decidida_en or "", puertos, puertos_solicitudes)
        return {**_vista_base(aprobacion, s), "estado": "decidida"}
    if cmd.decision not in aprobacion.decisiones:
        raise DecisionNoPermitida("Este enlace no permite esa decisión.")
    accion = PROPOSITOS[aprobacion.proposito].acciones[cmd.decision]
    campos = validar_campos(accion, cmd.campos, puertos_solicitudes.normalizadores)
    s = repo.obtener(aprobacion.solicitud_id)
    if not _aplicable(s, accion):
        hecha = _decidida_con_el_enlace(aprobacion, s, repo, puertos, cmd.decision)
        if hecha is not None:
            return hecha
        raise EstadoInvalido(f"La solicitud ya no espera esta decisión (estado actual: {_etiqueta_estado(s)}).")
    motivo = motivo_rechazo(s, accion, campos)
    if motivo:
        raise AccionRechazada(motivo)
    ahora = puertos.clock.ahora()
    try:
        tomada = puertos.aprobaciones.decidir(
            aprobacion.id, decision=cmd.decision, por=aprobacion.responsable, en=ahora.isoformat()
        )
    except Exception:  # perhaps applied with its answer lost: give it back, so the next click finds it pending
        _reabrir_si_se_puede(puertos, aprobacion.id, ahora.isoformat())
        raise
    if not tomada:
        actual = puertos.aprobaciones.obtener(aprobacion.id) or aprobacion
        if actual.pendiente:
            raise EnlaceVencido("Este enlace venció. Pida uno nuevo o use el sistema.")
        return {**_vista_base(actual, repo.obtener(aprobacion.solicitud_id)), "estado": "decidida"}
    return _aplicar_decision(aprobacion, s, cmd, ahora.isoformat(), puertos, puertos_solicitudes)


def _aplicar_decision(
    aprobacion: Aprobacion,
    s: Solicitud,
    cmd: DecidirEnlace,
    en: str,
    puertos: PuertosEnlaces,
    puertos_solicitudes: solicitudes.Puertos,
) -> dict[str, Any]:
    """Apply the decision recorded at ``en``; a refused action gives the link back (reopened)."""
    accion = PROPOSITOS[aprobacion.proposito].acciones[cmd.decision]
    try:
        actualizada = solicitudes.aplicar(
            AplicarAccion(
                solicitud_id=s.id,
                accion=accion.value,
                campos=dict(cmd.campos),
                actor=aprobacion.responsable,
                rol=Rol(aprobacion.rol),
                canal="enlace",
                version_esperada=cmd.version,
                nota=_nota(aprobacion),
                referencia=_referencia(aprobacion),
            ),
            puertos=puertos_solicitudes,
        )
    except Exception:
        _reabrir_si_se_puede(puertos, aprobacion.id, en)
        raise
    logger.info(
        "enlace decidido",
        extra={"aprobacion_id": aprobacion.id, "solicitud_id": s.id, "decision": cmd.decision},
    )
    decidida = aprobacion.decidida(cmd.decision, aprobacion.responsable, en)
    return {**_vista_base(decidida, actualizada), "estado": "decidida_ahora"}


def _nota(aprobacion: Aprobacion) -> str:
    return f"Decidido con el enlace {aprobacion.id}."


def _referencia(aprobacion: Aprobacion) -> str:
    return f"enlace#{aprobacion.id}"


def _decidida_sin_aplicar(aprobacion: Aprobacion, s: Solicitud, repo: SolicitudRepository) -> bool:
    """Recorded as decided, its action never applied, and the request still awaiting it: the attempt that decided
    died (or lost the answer of the decision's write) between the two writes."""
    accion = PROPOSITOS[aprobacion.proposito].acciones.get(aprobacion.decision or "")
    return (
        accion is not None
        and _aplicable(s, accion)
        and solicitudes.aplicada(repo, s.id, _referencia(aprobacion)) is None
    )


def _decidida_con_el_enlace(
    aprobacion: Aprobacion, s: Solicitud, repo: SolicitudRepository, puertos: PuertosEnlaces, decision: str
) -> dict[str, Any] | None:
    """The request no longer awaits this decision because this very link made it (an earlier click whose answer
    was lost after the action was applied, and whose record was given back): record the decision and show it."""
    esperada = PROPOSITOS[aprobacion.proposito].acciones.get(decision)
    entrada = solicitudes.aplicada(repo, s.id, _referencia(aprobacion))
    if esperada is None or entrada is None or entrada.accion != esperada.value:
        return None
    puertos.aprobaciones.decidir(aprobacion.id, decision=decision, por=aprobacion.responsable, en=entrada.en)
    decidida = aprobacion.decidida(decision, aprobacion.responsable, entrada.en)
    logger.warning("decisión por enlace recuperada", extra={"aprobacion_id": aprobacion.id, "solicitud_id": s.id})
    return {**_vista_base(decidida, s), "estado": "decidida"}


def _reabrir_si_se_puede(puertos: PuertosEnlaces, aprobacion_id: str, en: str) -> None:
    """Give the decision back after a failure; if that fails too, the next click repairs it
    (``_decidida_con_el_enlace``) or finds it decided only when the action was applied."""
    try:
        puertos.aprobaciones.reabrir(aprobacion_id, en=en)
    except Exception as exc:
        logger.error("no se pudo reabrir la aprobación", extra={"aprobacion_id": aprobacion_id, "error": repr(exc)})


def _aplicable(s: Solicitud, accion: Accion) -> bool:
    return (Estado(s.estado), accion) in TRANSITIONS


def _vista_base(aprobacion: Aprobacion, s: Solicitud) -> dict[str, Any]:
    definicion = PROPOSITOS[aprobacion.proposito]
    decision = aprobacion.decision
    return {
        "aprobacion": {
            "id": aprobacion.id,
            "proposito": aprobacion.proposito,
            "responsable": aprobacion.responsable,
            "expira_en": aprobacion.expira_en,
            "decision": decision,
            "decision_etiqueta": definicion.botones.get(decision, decision) if decision else None,
            "decidida_por": aprobacion.decidida_por,
            "decidida_en": aprobacion.decidida_en,
        },
        "titulo": definicion.titulo,
        "explicacion": definicion.explicacion,
        "ficha": [{"etiqueta": e, "valor": v, "formato": f} for e, v, f in definicion.ficha(s)],
        "notificacion_banco": (s.pago or {}).get("notificacion_banco"),
        "imprimible": definicion.imprimible,
        "solicitud": vista_solicitud(s),
        "estado_solicitud": _etiqueta_estado(s),
    }


def _formulario(definicion: Proposito, decision: str, s: Solicitud, elegida: bool) -> dict[str, Any]:
    accion = definicion.acciones[decision]
    valores = definicion.valores(s)
    campos = [{**c.describir(), "valor": valores.get(c.nombre, "")} for c in ACCIONES[accion].campos]
    return {
        "decision": decision,
        "boton": definicion.botones[decision],
        "accion": accion.value,
        "accion_etiqueta": ACCIONES[accion].etiqueta,
        "campos": campos,
        "elegida": elegida,
        "errores": {},
        "version": s.version,
    }
