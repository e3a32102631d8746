"""Ports: what the services need from the outside world (implemented in ``chalicelib.adapters``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.correo import CorreoEntrante, MensajeEnviado, TokenRespuesta
from chalicelib.domain.enlaces import Aprobacion
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.mensajeria import EnvioCanal, MensajeCanal
from chalicelib.domain.model import EntradaHistorial, Entrante, Rol, Solicitud
from chalicelib.domain.pendientes import AccionEnEspera, Causa, ColaPendiente, EnvioProgramado
from chalicelib.domain.planes import Plan
from chalicelib.domain.tablero import Aporte, Items


@dataclass(frozen=True)
class Pagina:
    """One page of a listing and the cursor of the next one (None when it is the last)."""

    solicitudes: list[Solicitud]
    siguiente: str | None = None


@dataclass(frozen=True)
class Lectura:
    """Every item of an index query (all pages) and how many items the store read for it (ScannedCount)."""

    solicitudes: list[Solicitud]
    leidos: int


@dataclass(frozen=True)
class Adjunto:
    """An attachment; with ``content_id`` it is an inline part the HTML shows as ``cid:<content_id>``."""

    nombre: str
    tipo: str
    contenido: bytes
    content_id: str | None = None


@dataclass(frozen=True)
class CorreoRenderizado:
    asunto: str
    texto: str
    html: str


@dataclass(frozen=True)
class CorreoSaliente:
    """An email ready to send: both bodies, recipients, and optional reply address and attachments."""

    para: tuple[str, ...]
    asunto: str
    texto: str
    html: str
    cc: tuple[str, ...] = ()
    responder_a: str | None = None
    adjuntos: tuple[Adjunto, ...] = ()
    cabeceras: Mapping[str, str] = field(default_factory=dict)
    message_id: str | None = None
    """The Message-ID header to use (``<id@domain>``); None lets the mailer generate one."""


@dataclass(frozen=True)
class Entrega:
    """What the mailer did with one email: the provider's id (None when nothing left: every main recipient is on
    the suppression list), who got it, and who was skipped because of the list (lower case)."""

    message_id: str | None
    para: tuple[str, ...]
    cc: tuple[str, ...] = ()
    suprimidas: tuple[str, ...] = ()

    @property
    def enviado(self) -> bool:
        return self.message_id is not None


class SolicitudRepository(Protocol):
    def crear(
        self,
        solicitud: Solicitud,
        entrada: EntradaHistorial,
        claves_unicas: Sequence[str] = (),
        reclamos: Sequence[str] = (),
    ) -> None:
        """Store a new request with its first history entry, its unique keys and its contact claims
        (``contacto.claves_de_reclamo``, held for ``SEGUNDOS_RECLAMO_CONTACTO``), all or nothing. EnvioDuplicado if
        a unique key exists; otherwise ContactoReclamado (naming the holder) if another request holds a claim."""
        ...

    def obtener(self, solicitud_id: str) -> Solicitud:
        """The request; SolicitudNoEncontrada if absent."""
        ...

    def guardar_cambio(
        self,
        solicitud: Solicitud,
        version_anterior: int,
        estado_anterior: str,
        entrada: EntradaHistorial,
        nuevas: Sequence[tuple[Solicitud, EntradaHistorial]] = (),
    ) -> None:
        """Write the change only if the stored version and state are still the expected ones, with its
        history entry and any new linked request, all or nothing; ConflictoConcurrente otherwise."""
        ...

    def agregar_historial(self, entrada: EntradaHistorial) -> bool:
        """Append a history fact; False (and no write) if an entry with that id already exists."""
        ...

    def historial(self, solicitud_id: str) -> list[EntradaHistorial]:
        """The request's history, oldest first."""
        ...

    def listar(
        self,
        *,
        estado: str | None = None,
        mes: str | None = None,
        canal: str | None = None,
        limite: int = 50,
        cursor: str | None = None,
    ) -> Pagina:
        """Requests by state (oldest waiting first) or by creation month (newest first), without scanning."""
        ...

    def en_estado_desde_antes(self, estado: str, limite_iso: str) -> list[Solicitud]:
        """Requests that entered ``estado`` before ``limite_iso`` (index query, oldest first)."""
        ...

    def marcar_escalada(self, solicitud_id: str, en: str) -> bool:
        """Set ``escalada_en`` once; False if it was already set."""
        ...

    def pendientes_de_atencion(self, hasta: str) -> Lectura:
        """Requests in the follow-up index (``no_atendida``, or active with a deadline) whose deadline
        ``vence_en`` (UTC, ``seguimiento.texto_utc``) is at or before ``hasta``, earliest first; never scans."""
        ...

    def del_mes(self, mes: str) -> Lectura:
        """Every request created in ``mes`` (YYYY-MM), oldest first (month index)."""
        ...

    def facturadas_en(self, mes: str) -> Lectura:
        """Every request invoiced in ``mes``, by issue time (sparse invoice-month index)."""
        ...

    def buscar_por_contacto(
        self,
        *,
        telefono: str | None = None,
        email: str | None = None,
        ci_huella: str | None = None,
        id_canal: str | None = None,
    ) -> list[Solicitud]:
        """Requests whose contact keys (``claves_de_contacto``) match any of the given ones, newest first
        (index queries; each request read back consistently)."""
        ...

    def agregar_contacto(
        self, solicitud_id: str, contacto: Mapping[str, Any], entrada: EntradaHistorial, clave_unica: str
    ) -> None:
        """Append a touchpoint to ``contactos`` and its history entry, recording ``clave_unica``, all or nothing,
        without changing the version; EnvioDuplicado (nothing written) if the key is known,
        SolicitudNoEncontrada if the request does not exist."""
        ...


class EntranteRepository(Protocol):
    def guardar_entrega(self, entrega: Entrante, cuerpo: bytes) -> bool:
        """Store a verified delivery and its raw body in one durable write, conditional on ``clave`` being new;
        False when it was already stored (the same delivery sent again)."""
        ...

    def cuerpo_entrega(self, entrega: Entrante) -> bytes:
        """The raw body stored with a delivery."""
        ...

    def registrar(self, entrantes: Sequence[Entrante]) -> list[str]:
        """Store each item whose ``clave`` is new (conditional put); returns the keys stored now. A key already
        stored (a redelivery) is left unchanged."""
        ...

    def obtener(self, clave: str) -> Entrante | None: ...

    def marcar(
        self,
        clave: str,
        estado: str,
        *,
        error: str | None = None,
        solicitud_id: str | None = None,
        sumar_intento: bool = False,
    ) -> None:
        """Record the processing outcome of an item (and count the attempt)."""
        ...

    def listar(self, estado: str, limite: int = 100) -> list[Entrante]:
        """Items in a processing state, oldest first (index query)."""
        ...


@dataclass(frozen=True)
class SalienteRegistrado:
    """A message this system sent on a channel: its request, the history entry that shows it, and whether the
    same content also went by email (then a failed delivery needs no email fallback)."""

    canal: str
    mensaje_id: str
    solicitud_id: str
    entrada_id: str = ""
    correo_enviado: bool = False


class Salientes(Protocol):
    def registrar_saliente(
        self, canal: str, mensaje_id: str, solicitud_id: str, *, entrada_id: str = "", correo_enviado: bool = False
    ) -> None:
        """Remember a message this system sent on a channel (its delivery statuses are recorded later)."""
        ...

    def solicitud_de_saliente(self, canal: str, mensaje_id: str) -> str | None:
        """The request of a message this system sent, or None if we did not send it."""
        ...

    def saliente(self, canal: str, mensaje_id: str) -> SalienteRegistrado | None:
        """The record of a message this system sent, or None if we did not send it."""
        ...


class MensajeriaCanal(Protocol):
    """One messaging channel's send API (WhatsApp Cloud API, Messenger Send API, Botmaker API v2)."""

    def enviar(self, mensaje: MensajeCanal) -> EnvioCanal:
        """Send the message (documents uploaded so that a PDF arrives as a file, then the text with its buttons,
        or the approved template when ``mensaje.plantilla`` is set); the provider's id of each call, in order.
        Rate limits and 5xx are retried with backoff inside; what is left raises MensajeNoEnviado, whose ``fallo``
        classifies it (``domain.mensajeria.FalloCanal``)."""
        ...


class Almacen(Protocol):
    def guardar(self, clave: str, contenido: bytes, tipo: str) -> str:
        """Store an object encrypted (SSE-KMS) under ``clave``; returns the key. Overwriting is harmless."""
        ...

    def leer(self, clave: str) -> bytes:
        """The object stored under ``clave``; ServicioExternoNoDisponible if it cannot be read."""
        ...


@dataclass(frozen=True)
class MedioDescargado:
    """A channel attachment fetched from its provider."""

    contenido: bytes
    tipo: str
    sha256: str
    nombre: str | None = None


class GraphApi(Protocol):
    def lead(self, leadgen_id: str) -> dict[str, Any]:
        """The Lead Ads lead (``field_data`` and attribution ids)."""
        ...

    def medio(self, media_id: str) -> MedioDescargado:
        """A WhatsApp media object: metadata lookup, then the bytes from its short-lived URL."""
        ...


class Idempotencia(Protocol):
    def reclamar(self, clave: str, segundos_en_curso: int = 300) -> bool:
        """Claim a side effect's key; False if it is done or another worker holds it."""
        ...

    def completar(self, clave: str, resultado: str = "", permanente: bool = False) -> None:
        """Mark the key done with its result; kept 8 days, or for good when ``permanente`` (monthly report)."""
        ...

    def liberar(self, clave: str) -> None:
        """Give the key back after a failure so that a retry runs the effect again."""
        ...

    def resultado(self, clave: str) -> str | None:
        """The stored result of a completed key (None if absent or not completed)."""
        ...


class Pendientes(Protocol):
    """Each request's queue of sends waiting for their provider (``domain.pendientes``). Every change is
    conditional on the queue's version: ``ConflictoConcurrente`` when another writer changed it first."""

    def de_solicitud(self, solicitud_id: str) -> ColaPendiente | None:
        """The request's queue, read consistently (None when nothing of it is pending)."""
        ...

    def encolar(self, evento: AccionAplicada, causa: Causa, en: datetime, proximo: datetime) -> bool:
        """Add the action at the end of its request's queue (created with ``causa`` when there is none); False when
        it is already queued (a redelivered stream record queues nothing twice)."""
        ...

    def quitar(self, cola: ColaPendiente, cambio_id: str) -> None:
        """The action's sends all left: take it off the queue (deleted with its last action)."""
        ...

    def encolar_accion(self, accion: AccionEnEspera, causa: Causa, proximo: datetime) -> bool:
        """Put a staff action that Smartflex did not answer at the head side of its request's queue (after any
        other waiting action, before the sends); False when it is already there (same ``referencia``)."""
        ...

    def quitar_accion(self, cola: ColaPendiente, referencia: str) -> None:
        """The waiting action was applied (or refused for good): take it off the queue."""
        ...

    def fallo(self, cola: ColaPendiente, causa: Causa, en: datetime, proximo: datetime) -> None:
        """An attempt failed: record why, count it, and set the next attempt."""
        ...

    def listar(self) -> list[ColaPendiente]:
        """Every queue, the one waiting longest first (eventually consistent: for the job and the console)."""
        ...

    def anotar_programado(self, clave: str, descripcion: str, causa: Causa, en: datetime, reintento: str) -> None:
        """A scheduled email (its once-key ``clave``) could not leave: record it, or count one more attempt."""
        ...

    def quitar_programado(self, clave: str) -> None:
        """The scheduled email left: forget its record (nothing when there is none)."""
        ...

    def programados(self) -> list[EnvioProgramado]:
        """Every scheduled email waiting for its provider, the oldest first."""
        ...


class Agregados(Protocol):
    """The dashboard's aggregate counters and each request's last counted contribution (``domain.tablero``)."""

    def aporte_de(self, solicitud_id: str) -> tuple[int, Aporte] | None:
        """The version and contribution last counted for the request (None: never counted)."""
        ...

    def contar(
        self, solicitud_id: str, version: int, aporte: Aporte, version_previa: int | None, cambios: Aporte
    ) -> None:
        """Record the contribution and add ``cambios`` to the counters, all or nothing; ``ConflictoConcurrente``
        when the stored contribution is no longer at ``version_previa``."""
        ...

    def leer(self, claves: Sequence[str]) -> Items:
        """The counters of the given items (a bounded number of reads, whatever the month's size)."""
        ...

    def reemplazar(self, items: Items) -> None:
        """Overwrite whole counter items with the given values (the rebuild command)."""
        ...

    def anotar(self, clave: str, atributos: Mapping[str, int]) -> None:
        """Set the given attributes of one item, leaving its others as they are (the warning's record of a run)."""
        ...


class GraficosTablero(Protocol):
    """The dashboard's charts as SVG text (server-rendered; the page has their numbers in tables too)."""

    def embudo(self, pasos: Sequence[Mapping[str, Any]], mes: str, anterior: str) -> str: ...

    def tendencia(self, dias: Sequence[Mapping[str, Any]], mes: str, anterior: str) -> str: ...


class Limites(Protocol):
    """Counters for the limits of the public doors (how many acknowledgements an address got today)."""

    def contar(self, clave: str, ventana_segundos: int) -> int:
        """Add one to the counter ``clave`` of the current window (fixed windows of ``ventana_segundos``, counted
        from the epoch) atomically and return its new value; the counter is forgotten after its window."""
        ...


class TransporteCorreo(Protocol):
    """The email provider (SES): sends exactly what it is given. Services never hold one: they get a ``Mailer``."""

    def enviar(self, correo: CorreoSaliente) -> str:
        """Send one email; returns the provider's message id. CorreoNoEnviado on failure."""
        ...


class Mailer(Protocol):
    """Every email the app sends goes through this port, which honours the suppression list (hard bounces and
    complaints): a suppressed recipient is dropped, and with no main recipient left nothing is sent."""

    def enviar(
        self, correo: CorreoSaliente, *, preparar: Callable[[CorreoSaliente], CorreoSaliente] | None = None
    ) -> Entrega:
        """Send ``correo`` to its recipients that are not suppressed; ``preparar`` finishes the email once they are
        known and only if it is going out (reply token, Message-ID). CorreoNoEnviado on failure."""
        ...


class TokensRespuesta(Protocol):
    """Reply tokens and the registry of sent Message-IDs (``respuesta#``, ``pregunta#``, ``mensaje#`` keys of the
    claves table): server-side, so a token can be revoked and is used for one decision only."""

    def emitir(self, datos: TokenRespuesta) -> TokenRespuesta:
        """Store ``datos`` under a new random 128-bit token (its ``token`` field is ignored) and make it the current
        token of its question (request + purpose); returns it with the token."""
        ...

    def obtener(self, token: str) -> TokenRespuesta | None: ...

    def vigente(self, solicitud_id: str, proposito: str) -> TokenRespuesta | None:
        """The last token issued for this request's question (None if none, or if it was revoked)."""
        ...

    def marcar_usado(self, token: str, *, en: str, por: str, decision: str) -> bool:
        """Record the decision taken with the token, once: False (nothing written) if it was already used."""
        ...

    def revocar(self, token: str) -> None: ...

    def registrar_mensaje(self, mensaje: MensajeEnviado) -> None:
        """Remember a sent Message-ID (or provider id) with its request and token, for In-Reply-To and bounces."""
        ...

    def mensaje(self, message_id: str) -> MensajeEnviado | None:
        """The sent message an id refers to (``<local@host>`` or bare; matched by its local part)."""
        ...


class Supresiones(Protocol):
    """Addresses that must not receive email any more (hard bounces and complaints), and channel contacts
    (``<canal>:<id>``) that asked for no more proactive messages (BAJA)."""

    def suprimir(self, direccion: str, *, motivo: str, en: str, solicitud_id: str | None = None) -> None: ...

    def suprimidas(self, direcciones: Sequence[str]) -> set[str]:
        """The suppressed ones among ``direcciones``, lower case."""
        ...

    def reactivar(self, direccion: str) -> None:
        """Take an address off the list (a customer who wrote ALTA on a channel: ``<canal>:<id>``)."""
        ...


class BuzonEntrante(Protocol):
    def cargar(self, message_id: str) -> CorreoEntrante:
        """The inbound email SES stored under its message id, parsed; CorreoNoDisponible if it is not there."""
        ...


class Plantillas(Protocol):
    def correo(self, nombre: str, contexto: Mapping[str, Any]) -> CorreoRenderizado: ...

    def mensaje(self, nombre: str, contexto: Mapping[str, Any]) -> str:
        """The plain-text chat message ``templates/mensaje/<nombre>.txt`` (WhatsApp, Messenger, Botmaker)."""
        ...


class Clock(Protocol):
    def ahora(self) -> datetime:
        """Timezone-aware now, America/La_Paz."""
        ...


class IdGenerator(Protocol):
    def solicitud(self) -> str:
        """A new, human-readable request code such as VD-7F3K9Q2M."""
        ...

    def evento(self) -> str:
        """A new, sortable id for a history entry."""
        ...


class ProtectorDatos(Protocol):
    def proteger_ci(self, ci: str) -> dict[str, str]:
        """{'ultimos4', 'huella' (keyed hash for lookups), 'cifrado' (ciphertext)}."""
        ...

    def revelar_ci(self, cifrado: str) -> str: ...

    def huella(self, ci: str) -> str:
        """The keyed hash of a CI number (the same as ``proteger_ci``'s ``huella``), for lookups."""
        ...


class Cobertura(Protocol):
    def consultar(self, *, latitud: float | None, longitud: float | None, zona: str | None) -> dict[str, Any]:
        """{'disponible', 'tecnologia', 'velocidad_maxima_mbps', 'zona', 'fuente'}."""
        ...


class Calendario(Protocol):
    def vencimiento(self, desde: datetime, minutos_habiles: int) -> datetime:
        """The moment ``minutos_habiles`` business minutes after ``desde`` (La Paz hours, Bolivian holidays)."""
        ...

    def es_dia_habil(self, dia: date) -> bool:
        """Whether ``dia`` is a business day for the month's figures: Monday to Friday, not a national holiday."""
        ...


class Graficos(Protocol):
    def informe_mensual(self, informe: Mapping[str, Any]) -> bytes:
        """PNG chart of the monthly report's plain view: billing of the month against the previous month
        (with the KPI threshold) and the funnel."""
        ...


@dataclass(frozen=True)
class Tabla:
    """A report table: a sheet of the spreadsheet, a CSV file, a table of an email. Cells are text, whole
    numbers, exact amounts (Decimal) or None."""

    nombre: str
    titulo: str
    columnas: tuple[str, ...]
    filas: list[tuple[Any, ...]]


class HojasCalculo(Protocol):
    def libro(self, tablas: Sequence[Tabla]) -> bytes:
        """An .xlsx workbook with one sheet per table, in order."""
        ...


class DespachoInformes(Protocol):
    def reenviar_informe_mensual(self, cmd: EnviarInformeMensual, roles: frozenset[Rol]) -> None:
        """Hand the resend of a month's report (``cmd.mes`` already resolved) to whatever draws and sends it: the
        report's own Lambda function, asynchronously, in AWS; this process on the local stage."""
        ...


class Smartflex(Protocol):
    """COMTECO's billing/CRM system. Business refusals raise SmartflexRechazo (Spanish reason, nothing written
    here); timeouts and 5xx raise ServicioExternoNoDisponible. See adapters/smartflex_local.py."""

    def buscar_cliente(self, *, ci: str | None = None, telefono: str | None = None) -> dict[str, Any] | None:
        """Step 3: the existing customer with this CI or phone (E.164), {'codigo_cliente', 'nombre'}; None if new."""
        ...

    def registrar_venta(self, solicitud: Solicitud, ci: str) -> dict[str, Any]:
        """Steps 21-23: register customer and sale per plan, idempotent per request;
        {'numero_contrato', 'codigo_cliente', 'estado_smartflex', 'sistema'}."""
        ...

    def consultar_contrato(self, numero_contrato: str) -> dict[str, Any] | None:
        """{'numero_contrato', 'solicitud_id', 'codigo_cliente', 'estado' (REGISTRADA | ACTIVA | ANULADA), ...}."""
        ...

    def anular(self, numero_contrato: str, motivo: str) -> dict[str, Any]:
        """Cancel the sale (idempotent); the contract as consultar_contrato returns it."""
        ...

    def verificar_pago(self, numero_contrato: str, monto_bs: float) -> dict[str, Any]:
        """Step 13: whether Smartflex shows this contract paid with this amount;
        {'verificado': bool, 'motivo': str, 'monto_esperado_bs': float, 'estado': str}."""
        ...


class CatalogoPlanes(Protocol):
    def planes(self) -> list[Plan]:
        """Every plan of the residential catalogue (step 8), retired ones included (``vigente`` False)."""
        ...


class Documentos(Protocol):
    def enlace(self, referencia: str, segundos: int = 300) -> str | None:
        """A presigned GET link (at most 300 s) to a stored document (``s3://<bucket>/<key>`` or a key of the
        documents bucket); None if the reference is not one of ours. Never a public URL."""
        ...


class GeneradorPdf(Protocol):
    """The printable documents, built from plain views (``vistas.vista_solicitud`` plus extras)."""

    def carta_comercial(self, vista: Mapping[str, Any]) -> bytes: ...

    def carta_solicitud(self, vista: Mapping[str, Any]) -> bytes: ...

    def contrato(self, vista: Mapping[str, Any], ci: str) -> bytes:
        """The "Solicitud Contrato de Servicios" with the full CI (decrypted by the caller, never logged)."""
        ...

    def factura(self, vista: Mapping[str, Any]) -> bytes: ...


class Aprobaciones(Protocol):
    """Server-side records of signed links (``aprobacion#<id>`` in the claves table)."""

    def crear(self, aprobacion: Aprobacion) -> None:
        """Store a new pending approval (its id is new; an existing id is never overwritten)."""
        ...

    def obtener(self, aprobacion_id: str) -> Aprobacion | None: ...

    def decidir(self, aprobacion_id: str, *, decision: str, por: str, en: str) -> bool:
        """pendiente -> decidida only while it is pending and not expired at ``en``; False (nothing written)
        when it was already decided or expired."""
        ...

    def reabrir(self, aprobacion_id: str, *, en: str) -> None:
        """decidida (at ``en``) -> pendiente, when the decided action could not be applied."""
        ...


class FirmaEnlaces(Protocol):
    """Signs the id of an approval into a URL-safe token and reads it back."""

    def firmar(self, valor: str) -> str: ...

    def leer(self, token: str, max_segundos: int) -> str:
        """The signed value; EnlaceInvalido if malformed, tampered or signed for something else,
        EnlaceVencido if older than ``max_segundos``."""
        ...


@dataclass(frozen=True)
class PersonaPersonal:
    """A staff member who may sign in to the console, in one of the procedure's roles."""

    rol: Rol
    email: str
    nombre: str


class DirectorioPersonal(Protocol):
    """Who the staff are: the local stage's fixed list, or the Cognito user pool's role groups in AWS."""

    def personas(self) -> list[PersonaPersonal]:
        """The staff members who may sign in, one or more per role."""
        ...


@dataclass(frozen=True)
class SesionConsola:
    """A signed-in console session as the server keeps it: whose it is, with which roles, and until when
    (epoch seconds). The signed cookie only carries its ``sid`` and the person's token."""

    sid: str
    identidad: str
    """The person's email in lower case (the token's ``sub`` when it has no email): what revocation is keyed by."""
    sub: str
    roles: tuple[str, ...]
    creada_en: float
    vence_en: float


class SesionesConsola(Protocol):
    """Server-side console sessions: a cookie is only a session while its record is here (sign-out and
    revocation take effect at once, whatever copies of the cookie exist)."""

    def abrir(self, sesion: SesionConsola) -> None:
        """Record a new session (it lives until ``vence_en``)."""
        ...

    def vigente(self, sid: str, identidad: str) -> SesionConsola | None:
        """The session ``sid`` of that person if it is recorded, unexpired and not revoked; else None."""
        ...

    def cerrar(self, sid: str) -> None:
        """Sign-out: the session ends now (idempotent)."""
        ...

    def revocar_sesiones(self, identidad: str) -> None:
        """End every session of that person opened until now (a role change, a departure, a stolen device).
        The person can sign in again at once, and gets the roles the identity provider gives them then."""
        ...
