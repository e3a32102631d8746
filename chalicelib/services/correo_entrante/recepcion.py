"""Inbound email: a reply is correlated, authorised, read and applied through ``solicitudes.aplicar``.

Email is one more door to the single decision function (canal ``correo``). The order of work for one message:

1. Dedupe on the SES message id (``correo#<id>`` in the claves table): a redelivered message changes nothing.
   A message the mailbox refused unread (``CorreoEntrante.rechazo``: over the size, part or nesting limits,
   unparseable, not exactly one author) is rejected here, before any other flow sees it: logged, the refusal kept
   in that record (``rechazado:<motivo>``), on the request's history when it correlates; the handler returns
   normally, so SES does not retry it.
2. Correlate, then 3. authorise (``correlacion.py``); a rejected message changes nothing and gets no answer.
4. Read the reply and map it with the purpose's table entry (``propositos.py``) to one action and its fields,
   applied here; an unreadable reply, or one to a question already decided, gets an automatic answer
   (``respuestas_automaticas.py``) and changes nothing.
5. Documents purposes store and register the attachments (``documentos.py``).

A message another inbound flow claims first (bank deposit notifications, ``PuertosCorreo.derivar``) is theirs; an
auto-reply (out of office) is recorded and ignored.
"""

from __future__ import annotations

import logging

from chalicelib.domain.commands import AplicarAccion, RecibirCorreo
from chalicelib.domain.correo import CorreoEntrante, TokenRespuesta, Veredictos
from chalicelib.domain.errors import AccionRechazada, ConflictoConcurrente, DatosInvalidos, EstadoInvalido
from chalicelib.domain.model import Rol
from chalicelib.domain.pagos import CorreoBanco
from chalicelib.domain.respuestas import Respuesta, html_a_texto, interpretar
from chalicelib.services import solicitudes, una_vez
from chalicelib.services.correo_entrante.comun import (
    CANAL,
    Correlacion,
    Entrante,
    PuertosCorreo,
    ResultadoCorreo,
    anotar,
    id_entrada_correo,
)
from chalicelib.services.correo_entrante.correlacion import (
    autorizar,
    correlacionar,
    pregunta_de_documentos,
    rechazar,
)
from chalicelib.services.correo_entrante.documentos import recibir_documentos
from chalicelib.services.correo_entrante.propositos import PROPOSITOS
from chalicelib.services.correo_entrante.respuestas_automaticas import no_entendida, ya_decidida

logger = logging.getLogger(__name__)

_AUTOR_INVALIDO = frozenset({"remitente_ambiguo", "sender_multiple"})
"""Refusals of a message that was parsed (its author is the problem): it is correlated to record the refusal on its
request; the others were refused unread and are only logged and kept in their ``correo#<id>`` record."""


def recibir(cmd: RecibirCorreo, *, puertos: PuertosCorreo) -> ResultadoCorreo:
    """Process one inbound email once (SES message id); only an authenticated reply from an allowed sender with a
    valid token changes anything, and only through ``solicitudes.aplicar``."""
    clave = f"correo#{cmd.message_id}"
    if not puertos.idempotencia.reclamar(clave):
        logger.info("correo duplicado", extra={"ses_message_id": cmd.message_id})
        return ResultadoCorreo("duplicado", motivo=puertos.idempotencia.resultado(clave))
    try:
        resultado = _procesar(cmd, puertos)
    except Exception as exc:  # given back for the retry, unless the decision was applied (EfectoHecho)
        una_vez.tras_fallo(puertos.idempotencia, clave, exc)
        raise
    registro = f"{resultado.estado}:{resultado.motivo}" if resultado.estado == "rechazado" else resultado.estado
    una_vez.completar(puertos.idempotencia, clave, registro)
    logger.info(
        "correo procesado",
        extra={
            "ses_message_id": cmd.message_id,
            "estado": resultado.estado,
            "motivo": resultado.motivo,
            "solicitud_id": resultado.solicitud_id,
            "accion": resultado.accion,
        },
    )
    return resultado


def _procesar(cmd: RecibirCorreo, puertos: PuertosCorreo) -> ResultadoCorreo:
    correo = puertos.buzon.cargar(cmd.message_id)
    ahora = puertos.solicitudes.clock.ahora()
    veredictos = Veredictos(dict(cmd.veredictos))
    e = Entrante(cmd, correo, veredictos, ahora, puertos)
    if correo.rechazo is not None:  # refused before it was read: no other flow sees it, nothing is answered
        return rechazar(e, correo.rechazo, correlacionar(e) if correo.rechazo in _AUTOR_INVALIDO else Correlacion())
    if puertos.derivar is not None:
        derivado = puertos.derivar(correo_banco(correo, veredictos))
        if derivado is not None:
            solicitud_id = derivado.get("solicitud_id")
            return ResultadoCorreo("derivado", str(derivado.get("resultado", "")), str(solicitud_id or "") or None)
    c = correlacionar(e)
    if c.solicitud_id is None:
        return rechazar(e, c.motivo or "sin_correlacion", c)
    motivo = autorizar(e, c)
    if motivo or c.token is None:
        return rechazar(e, motivo or "sin_pregunta", c)
    token = c.token
    proposito = PROPOSITOS[token.proposito]
    solicitud = puertos.repo.obtener(token.solicitud_id)
    if correo.es_automatico:
        anotar(e, token, c, "Respuesta automática (fuera de oficina o similar) ignorada.")
        return ResultadoCorreo("ignorado", "automatico", solicitud.id)
    cerrada = token.usado_en is not None or solicitud.estado not in proposito.estados_abiertos
    if proposito.decidir is not None and cerrada and correo.adjuntos:
        documentos = pregunta_de_documentos(e, solicitud.id, c)
        if documentos is not None:  # documents sent in an older thread of the same request
            token, proposito = documentos, PROPOSITOS[documentos.proposito]
    if proposito.decidir is None:
        return recibir_documentos(e, token, c, solicitud)
    referencia = f"correo#{cmd.message_id}"
    respuesta = interpretar(correo.texto, correo.html)
    if cerrada:
        propia = solicitudes.aplicada(puertos.repo, solicitud.id, referencia)
        if propia is None or propia.accion is None:
            return ya_decidida(e, token, c, solicitud, proposito)
        # this very mail decided it, in an attempt that died or lost its answer before recording it
        return _registrar_decision(e, c, token, respuesta, propia.accion)
    orden = proposito.decidir(respuesta, solicitud)
    if isinstance(orden, str):
        return no_entendida(e, orden, token, c, solicitud, proposito, respuesta)
    comando = AplicarAccion(
        solicitud_id=solicitud.id,
        accion=orden.accion,
        campos=orden.campos,
        actor=correo.remitente,
        rol=Rol(token.rol),
        canal=CANAL,
        nota=f"Respuesta por correo: «{correo.asunto}».",
        referencia=referencia,
    )
    try:
        solicitudes.aplicar(comando, puertos=puertos.solicitudes)
    except (EstadoInvalido, ConflictoConcurrente):  # (the same mail applied before is a no-op, not an error)
        actual = puertos.repo.obtener(solicitud.id)
        return ya_decidida(e, token, c, actual, proposito)
    except (DatosInvalidos, AccionRechazada) as exc:
        return no_entendida(e, _explicar(exc), token, c, solicitud, proposito, respuesta)
    return _registrar_decision(e, c, token, respuesta, orden.accion)


def _registrar_decision(
    e: Entrante, c: Correlacion, token: TokenRespuesta, respuesta: Respuesta, accion: str
) -> ResultadoCorreo:
    """The decision is applied: what records it (the token used, the mail on the history) is retried in process,
    and never undone by giving the claim back (the retry would find the request decided and answer "ya decidida"
    to the very mail that decided it). The mail goes on the history once, also when an attempt that died put it."""
    correo, puertos = e.correo, e.puertos

    def registrar() -> None:
        puertos.tokens.marcar_usado(token.token, en=e.ahora.isoformat(), por=correo.remitente, decision=accion)
        if any(x.id == id_entrada_correo(e) for x in puertos.repo.historial(token.solicitud_id)):
            return
        anotar(
            e,
            token,
            c,
            f"Respuesta por correo de {correo.remitente}: {respuesta.palabra} → {accion}.",
            decision=respuesta.decision.value if respuesta.decision else None,
            accion=accion,
        )

    try:
        una_vez.tras_efecto(registrar, f"registro de la respuesta {e.cmd.message_id}")
    except Exception as exc:
        raise una_vez.EfectoHecho("aplicado", exc) from exc
    return ResultadoCorreo("aplicado", solicitud_id=token.solicitud_id, accion=accion)


def correo_banco(correo: CorreoEntrante, veredictos: Veredictos) -> CorreoBanco:
    """The message as the bank-notification flow reads it (sender, subject, text, DMARC/DKIM, signing domains)."""
    return CorreoBanco(
        mensaje_id=correo.message_id,
        remitente=correo.remitente,
        asunto=correo.asunto,
        texto=correo.texto or html_a_texto(correo.html),
        dmarc=str(veredictos.estados.get("dmarc", "")),
        dkim=str(veredictos.estados.get("dkim", "")),
        dkim_dominios=correo.firmas_dkim,
    )


def _explicar(exc: DatosInvalidos | AccionRechazada) -> str:
    if isinstance(exc, DatosInvalidos) and exc.errores:
        etiquetas = {"velocidad_maxima_mbps": "Velocidad máxima", "tecnologia": "Tecnología", "motivo": "Motivo"}
        return " ".join(f"{etiquetas.get(k, k)}: {v}" for k, v in exc.errores.items())
    return exc.mensaje
