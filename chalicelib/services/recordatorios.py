"""Step 9 reminders: a customer whose requirements are still incomplete after N business days gets one reminder
a day (La Paz date) listing what is missing, with the model request letter again if it is missing. The reminder
goes through the outbound email path with the request's open "requisitos" reply token (or a new one), so documents
sent as a reply to it are linked like replies to the requirements email."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from chalicelib.domain.mensajeria import Documento
from chalicelib.domain.model import Buzones, EntradaHistorial, Solicitud
from chalicelib.domain.ports import (
    Calendario,
    Clock,
    CorreoSaliente,
    GeneradorPdf,
    Idempotencia,
    Mailer,
    Plantillas,
    SolicitudRepository,
)
from chalicelib.domain.requisitos import ItemRequisito, faltantes
from chalicelib.domain.states import Estado
from chalicelib.services import correo_saliente, documentos, mensajeria, una_vez
from chalicelib.services.correo_entrante import PROPOSITOS
from chalicelib.services.vistas import url_consola, vista_solicitud

logger = logging.getLogger(__name__)

PLANTILLA: Final = "recordatorio_requisitos"
PROPOSITO: Final = "requisitos"
MINUTOS_POR_DIA_HABIL: Final = 8 * 60
"""A business day counts as 8 business hours (weekday office hours, see adapters/calendario.py)."""


@dataclass(frozen=True)
class PuertosRecordatorio:
    repo: SolicitudRepository
    clock: Clock
    calendario: Calendario
    mailer: Mailer
    plantillas: Plantillas
    idempotencia: Idempotencia
    buzones: Buzones
    url_publica: str
    pdf: GeneradorPdf | None = None
    dias_habiles: int = 2
    salida: correo_saliente.SalidaCorreo | None = None
    mensajeria: mensajeria.PuertosMensajeria | None = None


def recordar_requisitos(*, puertos: PuertosRecordatorio) -> list[str]:
    """Requests in ``requisitos`` for more than ``dias_habiles`` business days get today's reminder, once per
    La Paz day (key ``recordatorio_requisitos#<id>#<date>``); returns the ids reminded by this run."""
    ahora = puertos.clock.ahora()
    limite = ahora - timedelta(days=puertos.dias_habiles)  # calendar days never exceed business days
    recordadas: list[str] = []
    for s in puertos.repo.en_estado_desde_antes(Estado.REQUISITOS.value, limite.isoformat()):
        vence = puertos.calendario.vencimiento(
            datetime.fromisoformat(s.estado_desde), puertos.dias_habiles * MINUTOS_POR_DIA_HABIL
        )
        pendientes = faltantes(s)
        conversacion = mensajeria.conversacion(s) if puertos.mensajeria is not None else None
        if vence > ahora or not pendientes or not (s.email or conversacion):
            continue
        dia = ahora.date().isoformat()
        clave = f"{PLANTILLA}#{s.id}#{dia}"
        en = ahora.isoformat()
        contexto = {
            "solicitud": vista_solicitud(s),
            "cambio": {"solicitud_id": s.id, "cambio_id": clave, "accion": PLANTILLA, "en": en, "campos": {}},
            "buzones": puertos.buzones.como_dict(),
            "url_solicitud": url_consola(puertos.url_publica, s.id),
            "url_formulario": f"{puertos.url_publica}/solicitud",
        }
        if conversacion is not None and puertos.mensajeria is not None:
            mensaje = _recordar_por_canal(s, clave, contexto, en, pendientes, puertos, puertos.mensajeria)
            if mensaje.enviado and not s.email:
                recordadas.append(s.id)
        if not s.email or not puertos.idempotencia.reclamar(clave):
            continue
        try:
            render = puertos.plantillas.correo(PLANTILLA, contexto)
            adjuntos = (
                documentos.carta_solicitud(s, en, puertos.pdf, None)
                if puertos.pdf is not None and "carta_solicitud" in {i.clave for i in pendientes}
                else []
            )
            correo = CorreoSaliente(
                para=(s.email,),
                cc=(puertos.buzones.ejecutivos,),
                asunto=render.asunto,
                texto=render.texto,
                html=render.html,
                cabeceras={"X-VD-Solicitud": s.id, "X-VD-Reaccion": PLANTILLA},
                adjuntos=tuple(adjuntos),
            )
            abierta = puertos.salida.tokens.vigente(s.id, PROPOSITO) if puertos.salida else None
            envio = correo_saliente.enviar(
                correo,
                solicitud_id=s.id,
                clave=clave,
                mailer=puertos.mailer,
                salida=puertos.salida,
                ahora=ahora,
                pregunta=None if abierta else PROPOSITOS[PROPOSITO].pregunta(),
                token=abierta,
            )
        except Exception as exc:
            una_vez.tras_fallo(puertos.idempotencia, clave, exc)
            raise
        message_id = envio.message_id or ""
        una_vez.completar(puertos.idempotencia, clave, message_id)
        correo_saliente.anotar_suprimidas(
            puertos.repo, solicitud_id=s.id, entrada_id=clave, en=en, asunto=render.asunto, envio=envio
        )
        if not envio.enviado:
            continue
        puertos.repo.agregar_historial(
            EntradaHistorial(
                solicitud_id=s.id,
                id=clave,
                en=en,
                tipo="recordatorio",
                resumen=f"Recordatorio de requisitos enviado a {s.email}.",
                campos={"faltantes": [i.clave for i in pendientes], "ses_message_id": message_id},
            )
        )
        recordadas.append(s.id)
        logger.info("recordatorio de requisitos", extra={"solicitud_id": s.id})
    return recordadas


def _recordar_por_canal(
    s: Solicitud,
    clave: str,
    contexto: dict[str, Any],
    en: str,
    pendientes: Sequence[ItemRequisito],
    puertos: PuertosRecordatorio,
    mensajes: mensajeria.PuertosMensajeria,
) -> mensajeria.ResultadoMensaje:
    """Today's reminder on the customer's channel (its own claim), with the model letter if it is missing."""
    documentos_pdf = (
        documentos.carta_solicitud(s, en, puertos.pdf, None)
        if puertos.pdf is not None and "carta_solicitud" in {i.clave for i in pendientes}
        else []
    )
    pedido = mensajeria.PedidoMensaje(
        solicitud=s,
        clave=clave.replace("#", "."),
        nombre=PLANTILLA,
        contexto={**contexto, "pendientes_etiquetas": [i.etiqueta for i in pendientes]},
        en=en,
        documentos=tuple(Documento(a.nombre, a.tipo, a.contenido) for a in documentos_pdf),
        correo_enviado=bool(s.email),
    )
    return mensajeria.enviar(pedido, puertos=mensajes)
