"""Steps 2 and 3 of the order of work (``recepcion.py``): which request and question an email answers, and whether
it may answer it.

2. Correlate: a token in any recipient address (``<buzón>+<token>@<dominio>``), else In-Reply-To/References
   (the Message-IDs the system recorded when sending), else the ``[VD-XXXXXXXX]`` subject tag, which only finds the
   request (and the current token of its open question) and never authorises by itself.
3. Authorise: SPF, DKIM, DMARC, spam and virus verdicts PASS; a known token (an unknown one is never bypassed);
   the sender (From) is the token's intended responder or an allowed mailbox of the purpose's role; not expired.
   A rejected message changes nothing, is logged and, when it correlates, recorded (``correo_rechazado``); it gets
   no automatic answer (no backscatter to forged senders).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from chalicelib.domain.correo import INADMISIBLES, TokenRespuesta, token_de_direccion
from chalicelib.domain.errors import SolicitudNoEncontrada
from chalicelib.services.correo_entrante.comun import (
    Correlacion,
    Entrante,
    PuertosCorreo,
    ResultadoCorreo,
    entrada_correo,
)
from chalicelib.services.correo_entrante.propositos import PROPOSITOS

logger = logging.getLogger(__name__)

MOTIVOS_RECHAZO: Final[Mapping[str, str]] = {
    "sin_correlacion": "no corresponde a ninguna solicitud",
    "veredictos": "no superó los controles de autenticidad y seguridad del correo",
    "token_desconocido": "la dirección de respuesta no es válida (token desconocido o revocado)",
    "sin_pregunta": "la solicitud no tiene una consulta abierta por correo",
    "remitente_no_autorizado": "el remitente no es el destinatario de la consulta ni un buzón autorizado",
    "token_vencido": "la dirección de respuesta está vencida",
    **INADMISIBLES,
}


def correlacionar(e: Entrante) -> Correlacion:
    puertos = e.puertos
    remitente = puertos.salida.remitente
    presentados = [
        t
        for d in dict.fromkeys([*e.cmd.destinatarios, *e.correo.destinatarios])
        if (t := token_de_direccion(d, remitente))
    ]
    for nombre in presentados:
        token = puertos.tokens.obtener(nombre)
        if token is not None:
            return Correlacion("token", token.solicitud_id, token)
    via: str | None = None
    solicitud_id: str | None = None
    for referencia in e.correo.referencias:
        mensaje = puertos.tokens.mensaje(referencia)
        if mensaje is None:
            continue
        token = puertos.tokens.obtener(mensaje.token) if mensaje.token else None
        if token is not None and not presentados:
            return Correlacion("en_respuesta_a", token.solicitud_id, token)
        via, solicitud_id = via or "en_respuesta_a", solicitud_id or mensaje.solicitud_id
    if solicitud_id is None and e.correo.solicitud_en_asunto and _existe(e.correo.solicitud_en_asunto, puertos):
        via, solicitud_id = "asunto", e.correo.solicitud_en_asunto
    if presentados:
        return Correlacion("token", solicitud_id, None, "token_desconocido")
    if solicitud_id is None:
        return Correlacion()
    token = _pregunta_abierta(solicitud_id, puertos)
    return Correlacion(via, solicitud_id, token, None if token else "sin_pregunta")


def _existe(solicitud_id: str, puertos: PuertosCorreo) -> bool:
    try:
        puertos.repo.obtener(solicitud_id)
    except SolicitudNoEncontrada:
        return False
    return True


def _pregunta_abierta(solicitud_id: str, puertos: PuertosCorreo) -> TokenRespuesta | None:
    """The current token of the request's question: one whose purpose is open in its state, else the latest."""
    estado = puertos.repo.obtener(solicitud_id).estado
    encontrados = [
        (p, t) for p in PROPOSITOS.values() if (t := puertos.tokens.vigente(solicitud_id, p.nombre)) is not None
    ]
    abiertos = [t for p, t in encontrados if estado in p.estados_abiertos]
    if abiertos:
        return abiertos[0]
    return max((t for _, t in encontrados), key=lambda t: t.emitido_en, default=None)


def pregunta_de_documentos(e: Entrante, solicitud_id: str, c: Correlacion) -> TokenRespuesta | None:
    """The request's open documents question, when this sender may answer it too."""
    abierta = _pregunta_abierta(solicitud_id, e.puertos)
    if abierta is None or not PROPOSITOS[abierta.proposito].documentos:
        return None
    otra = Correlacion(c.via, solicitud_id, abierta)
    return abierta if autorizar(e, otra) is None else None


def autorizar(e: Entrante, c: Correlacion) -> str | None:
    """None when the email may answer the correlated question, else the reason (a key of ``MOTIVOS_RECHAZO``)."""
    if e.veredictos.fallidos:
        return "veredictos"
    if c.token is None:
        return c.motivo or "sin_pregunta"
    proposito = PROPOSITOS.get(c.token.proposito)
    if proposito is None:
        return "sin_pregunta"
    permitidos = {
        c.token.responsable.lower(),
        *(d.lower() for d in e.puertos.autorizados.get(proposito.rol_remitentes, ())),
    }
    remitente = e.correo.remitente
    if not remitente or remitente.lower() not in permitidos:
        return "remitente_no_autorizado"
    if c.token.vencido(e.ahora):
        return "token_vencido"
    return None


def rechazar(e: Entrante, motivo: str, c: Correlacion) -> ResultadoCorreo:
    """Log and (when it correlates) record a rejected email; nothing changes and no answer is sent."""
    detalle = MOTIVOS_RECHAZO.get(motivo, motivo)
    if motivo == "veredictos":
        detalle += " (" + ", ".join(f"{v}={s}" for v, s in e.veredictos.resumen().items() if s != "PASS") + ")"
    logger.warning(
        "correo rechazado",
        extra={
            "ses_message_id": e.cmd.message_id,
            "motivo": motivo,
            "remitente": e.correo.remitente,
            "solicitud_id": c.solicitud_id,
            "correlacion": c.via,
        },
    )
    if c.solicitud_id:
        e.puertos.repo.agregar_historial(
            entrada_correo(
                e,
                c.solicitud_id,
                "correo_rechazado",
                f"Correo de {e.correo.remitente or 'remitente desconocido'} rechazado: {detalle}. No se aplicó.",
                {
                    "motivo": motivo,
                    "veredictos": e.veredictos.resumen(),
                    "correlacion": c.via,
                    "ses_message_id": e.cmd.message_id,
                },
            )
        )
    return ResultadoCorreo("rechazado", motivo, c.solicitud_id)
