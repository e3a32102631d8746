"""Bank deposit notifications (step 12 evidence): read by per-bank rules, matched to the request they pay.

Only mail from a configured bank's domain with DMARC PASS and DKIM PASS (signed by that domain when the signing
domains are known) is considered. A matched notification never changes a payment's status: it is attached to the
request's payment record (``registrar_notificacion_banco``, role SISTEMA) so that Collections sees it next to the
deposit when deciding. Anything that cannot be matched is reported to Collections (``deposito_sin_coincidencia``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Final

from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.errors import SolicitudNoEncontrada
from chalicelib.domain.model import Rol, Solicitud
from chalicelib.domain.pagos import (
    CorreoBanco,
    NotificacionBanco,
    ReglaBanco,
    leer_notificacion,
    monto_esperado,
    montos_iguales,
)
from chalicelib.domain.planes import formato_bs
from chalicelib.domain.states import Accion, Estado
from chalicelib.services import solicitudes, una_vez
from chalicelib.services.pagos import PuertosPagos, avisar_observado
from chalicelib.services.vistas import vista_solicitud

logger = logging.getLogger(__name__)

APROBADO: Final = "PASS"
ESTADOS_QUE_ESPERAN_DEPOSITO: Final = (Estado.PAGO_PENDIENTE.value, Estado.VALIDACION_DEPOSITO.value)


def regla_para(dominio: str, reglas: Sequence[ReglaBanco]) -> ReglaBanco | None:
    """The rule of the bank that sends from ``dominio`` (or one of its subdomains), if any."""
    return next((r for r in reglas if r.es_remitente(dominio.lower())), None)


def es_de_banco(correo: CorreoBanco, reglas: Sequence[ReglaBanco]) -> bool:
    """Whether the mail claims to come from a configured bank (the inbound router sends it here)."""
    return regla_para(correo.dominio, reglas) is not None


def autentico(correo: CorreoBanco, regla: ReglaBanco) -> bool:
    """DMARC PASS (the visible From domain is the bank's) and DKIM PASS; when the signing domains are known,
    one of them must be the bank's."""
    if correo.dmarc.upper() != APROBADO or correo.dkim.upper() != APROBADO:
        return False
    if correo.dkim_dominios:
        return any(regla.es_remitente(d.lower()) for d in correo.dkim_dominios)
    return True


def procesar_correo_banco(correo: CorreoBanco, *, puertos: PuertosPagos) -> dict[str, Any]:
    """A bank's notification matched to a request waiting for that deposit (its code in the glosa and the same
    amount as the amount due or the customer's receipt) is attached to its payment record; otherwise Collections
    is told. Unauthenticated mail is ignored (logged, no reply, no change). Each message is processed once."""
    regla = regla_para(correo.dominio, puertos.reglas_bancos)
    if regla is None:
        return {"resultado": "no_es_banco"}
    if not autentico(correo, regla):
        logger.warning(
            "notificacion bancaria no autenticada",
            extra={"banco": regla.id, "dmarc": correo.dmarc, "dkim": correo.dkim, "mensaje_id": correo.mensaje_id},
        )
        return {"resultado": "no_autenticado", "banco": regla.id}
    clave = f"banco#{correo.mensaje_id}"
    if not puertos.idempotencia.reclamar(clave):
        previo = puertos.idempotencia.resultado(clave)
        return {**(json.loads(previo) if previo else {"resultado": "en_proceso"}), "duplicado": True}
    try:
        resultado = _conciliar(correo, regla, puertos)
    except Exception:
        puertos.idempotencia.liberar(clave)
        raise
    una_vez.completar(puertos.idempotencia, clave, json.dumps(resultado, ensure_ascii=False))
    logger.info("notificacion bancaria procesada", extra={"banco": regla.id, "resultado": resultado["resultado"]})
    return {**resultado, "duplicado": False}


def _conciliar(correo: CorreoBanco, regla: ReglaBanco, puertos: PuertosPagos) -> dict[str, Any]:
    notificacion = leer_notificacion(correo, regla)
    if notificacion is None:
        return {"resultado": "ignorado", "banco": regla.id, "mensaje": "El asunto no es de un abono o depósito."}
    if notificacion.monto_bs is None:
        return _sin_coincidencia(notificacion, None, "No se pudo leer el monto de la notificación.", puertos)
    if not notificacion.referencia:
        motivo = "La notificación no menciona ningún código de solicitud (VD-…) en la glosa."
        return _sin_coincidencia(notificacion, None, motivo, puertos)
    try:
        s = puertos.repo.obtener(notificacion.referencia)
    except SolicitudNoEncontrada:
        motivo = f"No existe ninguna solicitud con el código {notificacion.referencia}."
        return _sin_coincidencia(notificacion, None, motivo, puertos)
    if s.estado not in ESTADOS_QUE_ESPERAN_DEPOSITO:
        etiqueta = vista_solicitud(s)["estado_etiqueta"]
        return _sin_coincidencia(
            notificacion, s, f"La solicitud está en estado «{etiqueta}»; no espera un depósito.", puertos
        )
    montos = [
        monto_esperado(s),
        (s.pago or {}).get("monto_bs") if s.estado == Estado.VALIDACION_DEPOSITO.value else None,
    ]
    conocidos = [float(m) for m in montos if m is not None]
    if not any(montos_iguales(m, notificacion.monto_bs) for m in conocidos):
        esperado = " o ".join(formato_bs(m) for m in conocidos) or "desconocido"
        motivo = f"El monto depositado ({formato_bs(notificacion.monto_bs)}) no coincide con el esperado ({esperado})."
        return _sin_coincidencia(notificacion, s, motivo, puertos)
    solicitudes.aplicar(  # once per bank message, even after an attempt that died (``referencia``)
        AplicarAccion(
            solicitud_id=s.id,
            accion=Accion.REGISTRAR_NOTIFICACION_BANCO.value,
            campos=notificacion.campos(),
            actor=f"banco:{regla.id}",
            rol=Rol.SISTEMA,
            canal="correo_banco",
            nota="Evidencia del banco: no cambia el estado del pago; Cobranzas decide.",
            referencia=f"banco#{correo.mensaje_id}",
        ),
        puertos=puertos.solicitudes,
    )
    return {"resultado": "conciliado", "banco": regla.id, "solicitud_id": s.id}


def _sin_coincidencia(
    notificacion: NotificacionBanco, s: Solicitud | None, motivo: str, puertos: PuertosPagos
) -> dict[str, Any]:
    ahora = puertos.solicitudes.clock.ahora()
    contexto: dict[str, Any] = {
        "notificacion": notificacion.campos(),
        "motivo": motivo,
        "recibido_en": ahora.isoformat(),
        "buzones": puertos.buzones.como_dict(),
    }
    avisar_observado(
        "deposito_sin_coincidencia",
        contexto,
        s,
        f"banco-{notificacion.mensaje_id}",
        puertos,
        entrada_id=f"banco#{notificacion.mensaje_id}",
        en=ahora.isoformat(),
        tipo="deposito_observado",
        resumen=f"Notificación del banco sin coincidencia: {motivo} Se avisó a Cobranzas.",
        actor=f"banco:{notificacion.banco}",
        canal="correo_banco",
        campos=notificacion.campos(),
    )
    return {
        "resultado": "sin_coincidencia",
        "banco": notificacion.banco,
        "solicitud_id": s.id if s else None,
        "mensaje": motivo,
    }
