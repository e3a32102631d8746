"""Inbound email: a reply is correlated, authorised, read and applied through ``solicitudes.aplicar``.

Email is one more door to the single decision function (canal ``correo``). The order of work for one message:

1. Dedupe on the SES message id (``correo#<id>`` in the claves table): a redelivered message changes nothing.
2. Correlate: a token in any recipient address (``<buzón>+<token>@<dominio>``), else In-Reply-To/References
   (the Message-IDs the system recorded when sending), else the ``[VD-XXXXXXXX]`` subject tag, which only finds the
   request (and the current token of its open question) and never authorises by itself.
3. Authorise: SPF, DKIM, DMARC, spam and virus verdicts PASS; a known token (an unknown one is never bypassed);
   the sender (From) is the token's intended responder or an allowed mailbox of the purpose's role; not expired.
   A rejected message changes nothing, is logged and, when it correlates, recorded (``correo_rechazado``); it gets
   no automatic answer (no backscatter to forged senders).
4. Read the reply (``domain/respuestas.py``) and map it with the purpose's table entry (``PROPOSITOS``) to one
   action and its fields. An unreadable reply gets an automatic Spanish answer explaining the expected form; a
   reply to a question already decided gets an answer saying by whom and when. Neither changes anything.
5. Documents purposes store the attachments (JPEG, PNG, PDF up to 10 MB) in the documents bucket (SSE-KMS) and
   register each recognised requirement; the others are recorded as "sin clasificar".

Bounce and complaint notices (SES → SNS) are recorded on the request and put the address on the suppression list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.actions import ACCIONES
from chalicelib.domain.commands import AplicarAccion, RecibirCorreo, RegistrarNotificacionCorreo
from chalicelib.domain.correo import CorreoEntrante, TokenRespuesta, Veredictos, token_de_direccion
from chalicelib.domain.errors import (
    AccionRechazada,
    ConflictoConcurrente,
    DatosInvalidos,
    EstadoInvalido,
    SolicitudNoEncontrada,
)
from chalicelib.domain.model import Buzones, EntradaHistorial, Rol, Solicitud
from chalicelib.domain.pagos import CorreoBanco
from chalicelib.domain.ports import (
    Almacen,
    BuzonEntrante,
    Clock,
    CorreoSaliente,
    Idempotencia,
    Mailer,
    Plantillas,
    SolicitudRepository,
    Supresiones,
    TokensRespuesta,
)
from chalicelib.domain.respuestas import (
    Decision,
    Respuesta,
    html_a_texto,
    interpretar,
    leer_mbps,
    leer_tecnologia,
    parte_nueva,
    requisito_de,
    velocidad_en_texto,
)
from chalicelib.domain.states import ETIQUETA_ESTADO, Accion, Estado
from chalicelib.services import correo_saliente, solicitudes
from chalicelib.services.vistas import vista_solicitud

logger = logging.getLogger(__name__)

CANAL: Final = "correo"
MAX_BYTES_ADJUNTO: Final = 10 * 1024 * 1024
TIPOS_DOCUMENTO: Final = frozenset({"image/jpeg", "image/png", "application/pdf"})
MOTIVO_NO_INDICADO: Final = "Help Desk respondió NO por correo sin indicar el motivo."


# --- purposes: what a reply to each kind of question means ------------------------------------------------------


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
    if r.vacia:
        return "Su respuesta llegó sin texto nuevo: solo encontramos el mensaje citado."
    inicio = r.palabra or r.texto.splitlines()[0][:40]
    return f"La primera línea de su respuesta empieza con «{inicio}»; debe empezar con SI o NO."


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
    if r.vacia:
        return "Su respuesta llegó sin texto nuevo: solo encontramos el mensaje citado."
    return f"La primera línea de su respuesta debe ser {palabra} o RECHAZADO."


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
    if r.vacia:
        return "Su respuesta llegó sin texto nuevo: solo encontramos el mensaje citado."
    return "Para aceptar la propuesta responda ACEPTO; si no le interesa, responda NO y, si desea, el motivo."


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


# --- ports and results ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PuertosCorreo:
    solicitudes: solicitudes.Puertos
    idempotencia: Idempotencia
    buzon: BuzonEntrante
    tokens: TokensRespuesta
    documentos: Almacen
    bucket_documentos: str
    mailer: Mailer
    plantillas: Plantillas
    salida: correo_saliente.SalidaCorreo
    buzones: Buzones
    url_publica: str
    autorizados: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Role -> mailboxes allowed to answer that role's questions (lower case)."""
    derivar: Callable[[CorreoBanco], Mapping[str, Any] | None] | None = None
    """Another inbound flow that may claim the message first (bank deposit notifications, ``services.bancos``):
    its result, or None when the message is not theirs."""

    @property
    def repo(self) -> SolicitudRepository:
        return self.solicitudes.repo


@dataclass(frozen=True)
class ResultadoCorreo:
    """What became of one inbound email (``estado``: aplicado, no_entendido, ya_decidido, documentos, ignorado,
    rechazado, duplicado)."""

    estado: str
    motivo: str | None = None
    solicitud_id: str | None = None
    accion: str | None = None


MOTIVOS_RECHAZO: Final[Mapping[str, str]] = {
    "sin_correlacion": "no corresponde a ninguna solicitud",
    "veredictos": "no superó los controles de autenticidad y seguridad del correo",
    "token_desconocido": "la dirección de respuesta no es válida (token desconocido o revocado)",
    "sin_pregunta": "la solicitud no tiene una consulta abierta por correo",
    "remitente_no_autorizado": "el remitente no es el destinatario de la consulta ni un buzón autorizado",
    "token_vencido": "la dirección de respuesta está vencida",
}


@dataclass(frozen=True)
class _Correlacion:
    via: str | None = None
    solicitud_id: str | None = None
    token: TokenRespuesta | None = None
    motivo: str | None = None


# --- the use case ---------------------------------------------------------------------------------------------------


def recibir(cmd: RecibirCorreo, *, puertos: PuertosCorreo) -> ResultadoCorreo:
    """Process one inbound email once (SES message id); only an authenticated reply from an allowed sender with a
    valid token changes anything, and only through ``solicitudes.aplicar``."""
    clave = f"correo#{cmd.message_id}"
    if not puertos.idempotencia.reclamar(clave):
        logger.info("correo duplicado", extra={"ses_message_id": cmd.message_id})
        return ResultadoCorreo("duplicado", motivo=puertos.idempotencia.resultado(clave))
    try:
        resultado = _procesar(cmd, puertos)
    except Exception:
        puertos.idempotencia.liberar(clave)
        raise
    puertos.idempotencia.completar(clave, resultado.estado)
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
    if puertos.derivar is not None:
        derivado = puertos.derivar(correo_banco(correo, veredictos))
        if derivado is not None:
            solicitud_id = derivado.get("solicitud_id")
            return ResultadoCorreo("derivado", str(derivado.get("resultado", "")), str(solicitud_id or "") or None)
    c = _correlacionar(cmd, correo, puertos)
    if c.solicitud_id is None:
        return _rechazar(c.motivo or "sin_correlacion", cmd, correo, c, veredictos, ahora, puertos)
    motivo = _autorizar(veredictos, c, correo.remitente, ahora, puertos)
    if motivo or c.token is None:
        return _rechazar(motivo or "sin_pregunta", cmd, correo, c, veredictos, ahora, puertos)
    token = c.token
    proposito = PROPOSITOS[token.proposito]
    solicitud = puertos.repo.obtener(token.solicitud_id)
    if correo.es_automatico:
        _anotar(correo, cmd, token, c, ahora, puertos, "Respuesta automática (fuera de oficina o similar) ignorada.")
        return ResultadoCorreo("ignorado", "automatico", solicitud.id)
    cerrada = token.usado_en is not None or solicitud.estado not in proposito.estados_abiertos
    if proposito.decidir is not None and cerrada and correo.adjuntos:
        documentos = _pregunta_de_documentos(solicitud.id, correo.remitente, veredictos, c, ahora, puertos)
        if documentos is not None:  # documents sent in an older thread of the same request
            token, proposito = documentos, PROPOSITOS[documentos.proposito]
    if proposito.decidir is None:
        return _documentos(cmd, correo, token, c, solicitud, veredictos, ahora, puertos)
    if cerrada:
        return _ya_decidida(cmd, correo, token, c, solicitud, proposito, ahora, puertos)
    respuesta = interpretar(correo.texto, correo.html)
    orden = proposito.decidir(respuesta, solicitud)
    if isinstance(orden, str):
        return _no_entendida(orden, cmd, correo, token, c, solicitud, proposito, respuesta, ahora, puertos)
    comando = AplicarAccion(
        solicitud_id=solicitud.id,
        accion=orden.accion,
        campos=orden.campos,
        actor=correo.remitente,
        rol=Rol(token.rol),
        canal=CANAL,
        nota=f"Respuesta por correo: «{correo.asunto}».",
    )
    try:
        solicitudes.aplicar(comando, puertos=puertos.solicitudes)
    except (EstadoInvalido, ConflictoConcurrente):
        actual = puertos.repo.obtener(solicitud.id)
        return _ya_decidida(cmd, correo, token, c, actual, proposito, ahora, puertos)
    except (DatosInvalidos, AccionRechazada) as exc:
        problema = _explicar(exc)
        return _no_entendida(problema, cmd, correo, token, c, solicitud, proposito, respuesta, ahora, puertos)
    puertos.tokens.marcar_usado(token.token, en=ahora.isoformat(), por=correo.remitente, decision=orden.accion)
    _anotar(
        correo,
        cmd,
        token,
        c,
        ahora,
        puertos,
        f"Respuesta por correo de {correo.remitente}: {respuesta.palabra} → {orden.accion}.",
        decision=respuesta.decision.value if respuesta.decision else None,
        accion=orden.accion,
    )
    return ResultadoCorreo("aplicado", solicitud_id=solicitud.id, accion=orden.accion)


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


# --- correlation and authorisation ----------------------------------------------------------------------------------


def _correlacionar(cmd: RecibirCorreo, correo: CorreoEntrante, puertos: PuertosCorreo) -> _Correlacion:
    remitente = puertos.salida.remitente
    presentados = [
        t for d in dict.fromkeys([*cmd.destinatarios, *correo.destinatarios]) if (t := token_de_direccion(d, remitente))
    ]
    for nombre in presentados:
        token = puertos.tokens.obtener(nombre)
        if token is not None:
            return _Correlacion("token", token.solicitud_id, token)
    via: str | None = None
    solicitud_id: str | None = None
    for referencia in correo.referencias:
        mensaje = puertos.tokens.mensaje(referencia)
        if mensaje is None:
            continue
        token = puertos.tokens.obtener(mensaje.token) if mensaje.token else None
        if token is not None and not presentados:
            return _Correlacion("en_respuesta_a", token.solicitud_id, token)
        via, solicitud_id = via or "en_respuesta_a", solicitud_id or mensaje.solicitud_id
    if solicitud_id is None and correo.solicitud_en_asunto and _existe(correo.solicitud_en_asunto, puertos):
        via, solicitud_id = "asunto", correo.solicitud_en_asunto
    if presentados:
        return _Correlacion("token", solicitud_id, None, "token_desconocido")
    if solicitud_id is None:
        return _Correlacion()
    token = _pregunta_abierta(solicitud_id, puertos)
    return _Correlacion(via, solicitud_id, token, None if token else "sin_pregunta")


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


def _pregunta_de_documentos(
    solicitud_id: str,
    remitente: str,
    veredictos: Veredictos,
    c: _Correlacion,
    ahora: datetime,
    puertos: PuertosCorreo,
) -> TokenRespuesta | None:
    """The request's open documents question, when this sender may answer it too."""
    abierta = _pregunta_abierta(solicitud_id, puertos)
    if abierta is None or not PROPOSITOS[abierta.proposito].documentos:
        return None
    otra = _Correlacion(c.via, solicitud_id, abierta)
    return abierta if _autorizar(veredictos, otra, remitente, ahora, puertos) is None else None


def _autorizar(
    veredictos: Veredictos, c: _Correlacion, remitente: str, ahora: datetime, puertos: PuertosCorreo
) -> str | None:
    if veredictos.fallidos:
        return "veredictos"
    if c.token is None:
        return c.motivo or "sin_pregunta"
    proposito = PROPOSITOS.get(c.token.proposito)
    if proposito is None:
        return "sin_pregunta"
    permitidos = {
        c.token.responsable.lower(),
        *(d.lower() for d in puertos.autorizados.get(proposito.rol_remitentes, ())),
    }
    if not remitente or remitente.lower() not in permitidos:
        return "remitente_no_autorizado"
    if c.token.vencido(ahora):
        return "token_vencido"
    return None


def _rechazar(
    motivo: str,
    cmd: RecibirCorreo,
    correo: CorreoEntrante,
    c: _Correlacion,
    veredictos: Veredictos,
    ahora: datetime,
    puertos: PuertosCorreo,
) -> ResultadoCorreo:
    """Log and (when it correlates) record a rejected email; nothing changes and no answer is sent."""
    detalle = MOTIVOS_RECHAZO.get(motivo, motivo)
    if motivo == "veredictos":
        detalle += " (" + ", ".join(f"{v}={e}" for v, e in veredictos.resumen().items() if e != "PASS") + ")"
    logger.warning(
        "correo rechazado",
        extra={
            "ses_message_id": cmd.message_id,
            "motivo": motivo,
            "remitente": correo.remitente,
            "solicitud_id": c.solicitud_id,
            "correlacion": c.via,
        },
    )
    if c.solicitud_id:
        puertos.repo.agregar_historial(
            EntradaHistorial(
                solicitud_id=c.solicitud_id,
                id=f"correo#{cmd.message_id}",
                en=ahora.isoformat(),
                tipo="correo_rechazado",
                resumen=f"Correo de {correo.remitente or 'remitente desconocido'} rechazado: {detalle}. No se aplicó.",
                canal=CANAL,
                campos={
                    "de": correo.remitente,
                    "asunto": correo.asunto,
                    "motivo": motivo,
                    "veredictos": veredictos.resumen(),
                    "correlacion": c.via,
                    "ses_message_id": cmd.message_id,
                },
            )
        )
    return ResultadoCorreo("rechazado", motivo, c.solicitud_id)


# --- outcomes -------------------------------------------------------------------------------------------------------


def _anotar(
    correo: CorreoEntrante,
    cmd: RecibirCorreo,
    token: TokenRespuesta,
    c: _Correlacion,
    ahora: datetime,
    puertos: PuertosCorreo,
    resumen: str,
    **campos: Any,
) -> None:
    puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=token.solicitud_id,
            id=f"correo#{cmd.message_id}",
            en=ahora.isoformat(),
            tipo="correo_recibido",
            resumen=resumen,
            actor=correo.remitente,
            rol=token.rol,
            canal=CANAL,
            campos={
                "de": correo.remitente,
                "asunto": correo.asunto,
                "proposito": token.proposito,
                "correlacion": c.via,
                "ses_message_id": cmd.message_id,
                **{k: v for k, v in campos.items() if v is not None},
            },
        )
    )


def _decision_previa(token: TokenRespuesta, proposito: Proposito, puertos: PuertosCorreo) -> dict[str, Any] | None:
    """Who decided the question and when: the token's use, else the latest decision in the history."""
    if token.usado_en:
        return {
            "por": token.usado_por,
            "en": token.usado_en,
            "accion": token.decision,
            "etiqueta": _etiqueta(token.decision),
        }
    for entrada in reversed(puertos.repo.historial(token.solicitud_id)):
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


def _ya_decidida(
    cmd: RecibirCorreo,
    correo: CorreoEntrante,
    token: TokenRespuesta,
    c: _Correlacion,
    solicitud: Solicitud,
    proposito: Proposito,
    ahora: datetime,
    puertos: PuertosCorreo,
) -> ResultadoCorreo:
    previa = _decision_previa(token, proposito, puertos)
    estado = ETIQUETA_ESTADO[Estado(solicitud.estado)]
    datos = {"decision_previa": previa, "estado_etiqueta": estado}
    _responder("respuesta_ya_decidida", correo, cmd, solicitud, None, datos, proposito, ahora, puertos)
    _anotar(
        correo,
        cmd,
        token,
        c,
        ahora,
        puertos,
        f"Respuesta por correo de {correo.remitente} a una consulta ya "
        f"resuelta (solicitud en «{estado}»): no se aplicó; se le informó.",
    )
    return ResultadoCorreo("ya_decidido", solicitud_id=solicitud.id)


def _no_entendida(
    problema: str,
    cmd: RecibirCorreo,
    correo: CorreoEntrante,
    token: TokenRespuesta,
    c: _Correlacion,
    solicitud: Solicitud,
    proposito: Proposito,
    respuesta: Respuesta,
    ahora: datetime,
    puertos: PuertosCorreo,
) -> ResultadoCorreo:
    datos = {"problema": problema, "primera_linea": (respuesta.texto.splitlines() or [""])[0][:200]}
    _responder("respuesta_no_entendida", correo, cmd, solicitud, token, datos, proposito, ahora, puertos)
    _anotar(
        correo,
        cmd,
        token,
        c,
        ahora,
        puertos,
        f"Respuesta por correo de {correo.remitente} no interpretada: {problema} Se le explicó cómo responder.",
        problema=problema,
    )
    return ResultadoCorreo("no_entendido", motivo=problema, solicitud_id=solicitud.id)


def _responder(
    plantilla: str,
    correo: CorreoEntrante,
    cmd: RecibirCorreo,
    solicitud: Solicitud,
    token: TokenRespuesta | None,
    datos: Mapping[str, Any],
    proposito: Proposito,
    ahora: datetime,
    puertos: PuertosCorreo,
) -> None:
    """An automatic answer to the (authenticated) sender, once per inbound message, threaded under it."""
    clave = f"respuesta_auto#{cmd.message_id}"
    if not puertos.idempotencia.reclamar(clave):
        return
    contexto = {
        "solicitud": vista_solicitud(solicitud),
        "buzones": puertos.buzones.como_dict(),
        "url_solicitud": f"{puertos.url_publica}/solicitudes/{solicitud.id}",
        "url_formulario": f"{puertos.url_publica}/solicitud",
        "respuesta": {
            "asunto": correo.asunto,
            "de": correo.remitente,
            "recibida_en": ahora.isoformat(),
            "proposito": proposito.nombre,
            "ejemplos": [{"titulo": t, "texto": e} for t, e in proposito.ejemplos],
            **datos,
        },
    }
    cabeceras = {"X-VD-Solicitud": solicitud.id, "X-VD-Reaccion": plantilla, "Auto-Submitted": "auto-replied"}
    if correo.cabecera_message_id:
        cabeceras["In-Reply-To"] = correo.cabecera_message_id
        cabeceras["References"] = correo.cabecera_message_id
    try:
        render = puertos.plantillas.correo(plantilla, contexto)
        envio = correo_saliente.enviar(
            CorreoSaliente(
                para=(correo.remitente,),
                asunto=render.asunto,
                texto=render.texto,
                html=render.html,
                cabeceras=cabeceras,
            ),
            solicitud_id=solicitud.id,
            clave=f"auto.{cmd.message_id}",
            mailer=puertos.mailer,
            salida=puertos.salida,
            ahora=ahora,
            token=token,
        )
    except Exception:
        puertos.idempotencia.liberar(clave)
        raise
    puertos.idempotencia.completar(clave, envio.message_id or "")


# --- documents ------------------------------------------------------------------------------------------------------


def _documentos(
    cmd: RecibirCorreo,
    correo: CorreoEntrante,
    token: TokenRespuesta,
    c: _Correlacion,
    solicitud: Solicitud,
    veredictos: Veredictos,
    ahora: datetime,
    puertos: PuertosCorreo,
) -> ResultadoCorreo:
    """Store each acceptable attachment (SSE-KMS), register the requirement it is, record the rest."""
    filas: list[dict[str, Any]] = []
    leyenda = parte_nueva(correo.texto) if correo.texto else ""
    for n, adjunto in enumerate(correo.adjuntos, start=1):
        fila: dict[str, Any] = {"nombre": adjunto.nombre, "tipo": adjunto.tipo, "bytes": adjunto.tamano}
        if "virus" in veredictos.fallidos:
            fila["descartado"] = "el correo no superó el análisis antivirus"
        elif adjunto.tipo not in TIPOS_DOCUMENTO:
            fila["descartado"] = "tipo de archivo no admitido (solo JPG, PNG o PDF)"
        elif adjunto.tamano > MAX_BYTES_ADJUNTO:
            fila["descartado"] = "supera el tamaño máximo de 10 MB"
        else:
            clave = puertos.documentos.guardar(
                f"correo/{solicitud.id}/{cmd.message_id}/{n}-{_nombre_seguro(adjunto.nombre, n)}",
                adjunto.contenido,
                adjunto.tipo,
            )
            fila["documento"] = f"s3://{puertos.bucket_documentos}/{clave}"
            requisito = requisito_de(adjunto.nombre) or (requisito_de(leyenda) if len(correo.adjuntos) == 1 else None)
            if requisito and _registrar_requisito(requisito, fila, correo, solicitud.id, puertos):
                fila["requisito"] = requisito
        filas.append(fila)
    for n, fila in enumerate(filas, start=1):
        if fila.get("documento") and not fila.get("requisito"):
            puertos.repo.agregar_historial(
                EntradaHistorial(
                    solicitud_id=solicitud.id,
                    id=f"correo#{cmd.message_id}#documento{n}",
                    en=ahora.isoformat(),
                    tipo="documento_recibido",
                    resumen=f"Documento recibido sin clasificar: {fila['nombre']} ({fila['tipo']}). Regístrelo con "
                    "«Registrar requisito recibido» indicando qué requisito es.",
                    actor=correo.remitente,
                    canal=CANAL,
                    campos={"documento": fila["documento"], "nombre": fila["nombre"], "tipo": fila["tipo"]},
                )
            )
    _anotar(correo, cmd, token, c, ahora, puertos, _resumen_documentos(correo.remitente, filas), adjuntos=filas)
    _avisar_ejecutivos(cmd, correo, solicitud, filas, leyenda, ahora, puertos)
    registrados = any(f.get("requisito") for f in filas)
    return ResultadoCorreo(
        "documentos", solicitud_id=solicitud.id, accion=Accion.REGISTRAR_REQUISITO.value if registrados else None
    )


def _registrar_requisito(
    requisito: str, fila: Mapping[str, Any], correo: CorreoEntrante, solicitud_id: str, puertos: PuertosCorreo
) -> bool:
    comando = AplicarAccion(
        solicitud_id=solicitud_id,
        accion=Accion.REGISTRAR_REQUISITO.value,
        campos={
            "requisito": requisito,
            "documento": fila["documento"],
            "detalle": f"Recibido por correo de {correo.remitente}: {fila['nombre']}",
        },
        actor=correo.remitente,
        rol=Rol.SISTEMA,
        canal=CANAL,
    )
    try:
        solicitudes.aplicar(comando, puertos=puertos.solicitudes)
    except (EstadoInvalido, ConflictoConcurrente, AccionRechazada, DatosInvalidos) as exc:
        logger.info("requisito no registrado", extra={"solicitud_id": solicitud_id, "motivo": exc.mensaje})
        return False
    return True


def _nombre_seguro(nombre: str, n: int) -> str:
    limpio = re.sub(r"[^A-Za-z0-9._-]+", "_", nombre)[:100].strip("._")
    return limpio or f"adjunto-{n}"


def _resumen_documentos(remitente: str, filas: Sequence[Mapping[str, Any]]) -> str:
    if not filas:
        return f"Correo de {remitente} sin adjuntos (se avisó a los ejecutivos)."
    partes = []
    for fila in filas:
        if fila.get("descartado"):
            partes.append(f"{fila['nombre']} descartado: {fila['descartado']}")
        elif fila.get("requisito"):
            partes.append(f"{fila['nombre']} registrado como requisito «{fila['requisito']}»")
        else:
            partes.append(f"{fila['nombre']} guardado sin clasificar")
    return f"Correo de {remitente} con {len(filas)} adjunto(s): " + "; ".join(partes) + "."


def _avisar_ejecutivos(
    cmd: RecibirCorreo,
    correo: CorreoEntrante,
    solicitud: Solicitud,
    filas: Sequence[Mapping[str, Any]],
    leyenda: str,
    ahora: datetime,
    puertos: PuertosCorreo,
) -> None:
    """The executives learn what the customer sent (documents or a question for them), once per message."""
    contexto = {
        "solicitud": vista_solicitud(solicitud),
        "buzones": puertos.buzones.como_dict(),
        "url_solicitud": f"{puertos.url_publica}/solicitudes/{solicitud.id}",
        "url_formulario": f"{puertos.url_publica}/solicitud",
        "recibido": {
            "de": correo.remitente,
            "asunto": correo.asunto,
            "en": ahora.isoformat(),
            "texto": (leyenda or parte_nueva(correo.texto))[:2000],
            "adjuntos": list(filas),
        },
    }
    correo_saliente.avisar_una_vez(
        "documentos_recibidos",
        contexto,
        para=(puertos.buzones.ejecutivos,),
        solicitud_id=solicitud.id,
        reclamo=f"aviso_documentos#{cmd.message_id}",
        clave=f"documentos.{cmd.message_id}",
        idempotencia=puertos.idempotencia,
        plantillas=puertos.plantillas,
        mailer=puertos.mailer,
        salida=puertos.salida,
        ahora=ahora,
    )


# --- bounces and complaints -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PuertosNotificacion:
    repo: SolicitudRepository
    tokens: TokensRespuesta
    supresiones: Supresiones
    clock: Clock


def registrar_notificacion(cmd: RegistrarNotificacionCorreo, *, puertos: PuertosNotificacion) -> list[str]:
    """A hard bounce or a complaint suppresses the address (later sends skip it); every notice is recorded on
    the request (found by the X-VD-Solicitud header or the sent message's id). Returns the suppressed addresses."""
    solicitud_id = cmd.solicitud_id
    if not solicitud_id and cmd.message_id:
        mensaje = puertos.tokens.mensaje(cmd.message_id)
        solicitud_id = mensaje.solicitud_id if mensaje else None
    suprimir = cmd.tipo == "queja" or cmd.permanente
    ahora = puertos.clock.ahora().isoformat()
    suprimidas = []
    for direccion in cmd.direcciones:
        if suprimir:
            puertos.supresiones.suprimir(
                direccion, motivo=f"{cmd.tipo}: {cmd.detalle}".strip(": "), en=ahora, solicitud_id=solicitud_id
            )
            suprimidas.append(direccion.lower())
        if solicitud_id:
            _anotar_notificacion(cmd, direccion, solicitud_id, suprimir, ahora, puertos)
    logger.warning(
        "notificacion de correo",
        extra={"tipo": cmd.tipo, "permanente": cmd.permanente, "solicitud_id": solicitud_id, "suprimidas": suprimidas},
    )
    return suprimidas


def _anotar_notificacion(
    cmd: RegistrarNotificacionCorreo,
    direccion: str,
    solicitud_id: str,
    suprimida: bool,
    ahora: str,
    puertos: PuertosNotificacion,
) -> None:
    if cmd.tipo == "queja":
        resumen = f"{direccion} marcó un correo como no deseado: no se le enviarán más correos."
    elif suprimida:
        resumen = (
            f"El correo a {direccion} rebotó ({cmd.detalle or 'rebote permanente'}): no se le enviarán más correos."
        )
    else:
        resumen = f"El correo a {direccion} rebotó temporalmente ({cmd.detalle or 'rebote transitorio'})."
    puertos.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=solicitud_id,
            id=f"{cmd.tipo}#{cmd.referencia}#{direccion.lower()}",
            en=ahora,
            tipo="correo_rebotado" if cmd.tipo == "rebote" else "correo_queja",
            resumen=resumen,
            canal=CANAL,
            campos={
                "direccion": direccion,
                "permanente": cmd.permanente,
                "detalle": cmd.detalle,
                "ses_message_id": cmd.message_id,
                "notificado_en": cmd.en,
                "suprimida": suprimida,
            },
        )
    )
