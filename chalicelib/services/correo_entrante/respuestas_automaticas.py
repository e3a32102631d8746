"""The automatic answers to an authorised reply that changes nothing (step 4 of the order of work, ``recepcion.py``).

An unreadable reply gets an automatic Spanish answer explaining the expected form (``respuesta_no_entendida``, with
the purpose's examples and the question's reply token); a reply to a question already decided gets an answer saying
by whom and when (``respuesta_ya_decidida``). Neither changes anything. Each answer goes to the sender only, once per
inbound message, threaded under it (In-Reply-To/References, ``Auto-Submitted: auto-replied``), and the reply is
recorded on the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.actions import ACCIONES
from chalicelib.domain.correo import TokenRespuesta
from chalicelib.domain.model import Solicitud
from chalicelib.domain.respuestas import Respuesta
from chalicelib.domain.states import ETIQUETA_ESTADO, Accion, Estado
from chalicelib.services import correo_saliente
from chalicelib.services.correo_entrante.comun import Correlacion, Entrante, ResultadoCorreo, anotar, contexto
from chalicelib.services.correo_entrante.propositos import Proposito


def ya_decidida(
    e: Entrante, token: TokenRespuesta, c: Correlacion, solicitud: Solicitud, proposito: Proposito
) -> ResultadoCorreo:
    """A reply to a question no longer open: tell the sender who decided it and when."""
    estado = ETIQUETA_ESTADO[Estado(solicitud.estado)]
    _contestar(
        e,
        "respuesta_ya_decidida",
        {"decision_previa": _decision_previa(e, token, proposito), "estado_etiqueta": estado},
        token,
        c,
        solicitud,
        proposito,
        f"Respuesta por correo de {e.correo.remitente} a una consulta ya "
        f"resuelta (solicitud en «{estado}»): no se aplicó; se le informó.",
        con_token=False,
    )
    return ResultadoCorreo("ya_decidido", solicitud_id=solicitud.id)


def no_entendida(
    e: Entrante,
    problema: str,
    token: TokenRespuesta,
    c: Correlacion,
    solicitud: Solicitud,
    proposito: Proposito,
    respuesta: Respuesta,
) -> ResultadoCorreo:
    """A reply that could not be read (``problema``): explain to the sender how to answer, with the same token."""
    _contestar(
        e,
        "respuesta_no_entendida",
        {"problema": problema, "primera_linea": (respuesta.texto.splitlines() or [""])[0][:200]},
        token,
        c,
        solicitud,
        proposito,
        f"Respuesta por correo de {e.correo.remitente} no interpretada: {problema} Se le explicó cómo responder.",
        con_token=True,
        problema=problema,
    )
    return ResultadoCorreo("no_entendido", motivo=problema, solicitud_id=solicitud.id)


def _decision_previa(e: Entrante, token: TokenRespuesta, proposito: Proposito) -> dict[str, Any] | None:
    """Who decided the question and when: the token's use, else the latest decision in the history."""
    if token.usado_en:
        return {
            "por": token.usado_por,
            "en": token.usado_en,
            "accion": token.decision,
            "etiqueta": _etiqueta(token.decision),
        }
    for entrada in reversed(e.puertos.repo.historial(token.solicitud_id)):
        if entrada.tipo == "accion" and entrada.accion in proposito.acciones:
            return {
                "por": entrada.actor,
                "en": entrada.en,
                "accion": entrada.accion,
                "etiqueta": _etiqueta(entrada.accion),
            }
    return None


def _etiqueta(accion: str | None) -> str | None:
    try:
        return ACCIONES[Accion(accion)].etiqueta if accion else None
    except ValueError:
        return accion


def _contestar(
    e: Entrante,
    plantilla: str,
    datos: Mapping[str, Any],
    token: TokenRespuesta,
    c: Correlacion,
    solicitud: Solicitud,
    proposito: Proposito,
    resumen: str,
    *,
    con_token: bool,
    **campos: Any,
) -> None:
    """Answer the (authenticated) sender once per inbound message, threaded under it (In-Reply-To/References,
    ``Auto-Submitted: auto-replied``) and, when ``con_token``, with the question's reply token (so that answering it
    again still correlates); then record the reply."""
    puertos, correo, message_id = e.puertos, e.correo, e.cmd.message_id
    respuesta = {
        "asunto": correo.asunto,
        "de": correo.remitente,
        "recibida_en": e.ahora.isoformat(),
        "proposito": proposito.nombre,
        "ejemplos": [{"titulo": t, "texto": ejemplo} for t, ejemplo in proposito.ejemplos],
        **datos,
    }
    hilo = {"In-Reply-To": correo.cabecera_message_id, "References": correo.cabecera_message_id}
    correo_saliente.avisar_una_vez(
        plantilla,
        contexto(solicitud, puertos, respuesta=respuesta),
        para=(correo.remitente,),
        solicitud_id=solicitud.id,
        reclamo=f"respuesta_auto#{message_id}",
        clave=f"auto.{message_id}",
        idempotencia=puertos.idempotencia,
        plantillas=puertos.plantillas,
        mailer=puertos.mailer,
        salida=puertos.salida,
        ahora=e.ahora,
        repo=puertos.repo,
        cabeceras={"Auto-Submitted": "auto-replied", **(hilo if correo.cabecera_message_id else {})},
        token=token if con_token else None,
    )
    anotar(e, token, c, resumen, **campos)
