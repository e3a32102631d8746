"""Ports: what the services need from the outside world (implemented in ``chalicelib.adapters``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.model import EntradaHistorial, Entrante, Solicitud


@dataclass(frozen=True)
class Pagina:
    """One page of a listing and the cursor of the next one (None when it is the last)."""

    solicitudes: list[Solicitud]
    siguiente: str | None = None


@dataclass(frozen=True)
class Adjunto:
    nombre: str
    tipo: str
    contenido: bytes


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


class SolicitudRepository(Protocol):
    def crear(self, solicitud: Solicitud, entrada: EntradaHistorial, claves_unicas: Sequence[str] = ()) -> None:
        """Store a new request with its first history entry; EnvioDuplicado if a unique key exists."""
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


class Salientes(Protocol):
    def registrar_saliente(self, canal: str, mensaje_id: str, solicitud_id: str) -> None:
        """Remember a message this system sent on a channel (its delivery statuses are recorded later)."""
        ...

    def solicitud_de_saliente(self, canal: str, mensaje_id: str) -> str | None:
        """The request of a message this system sent, or None if we did not send it."""
        ...


class Almacen(Protocol):
    def guardar(self, clave: str, contenido: bytes, tipo: str) -> str:
        """Store an object encrypted (SSE-KMS) under ``clave``; returns the key. Overwriting is harmless."""
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

    def completar(self, clave: str, resultado: str = "") -> None: ...

    def liberar(self, clave: str) -> None:
        """Give the key back after a failure so that a retry runs the effect again."""
        ...

    def resultado(self, clave: str) -> str | None:
        """The stored result of a completed key (None if absent or not completed)."""
        ...


class Mailer(Protocol):
    def enviar(self, correo: CorreoSaliente) -> str:
        """Send one email; returns the provider's message id. CorreoNoEnviado on failure."""
        ...


class Plantillas(Protocol):
    def correo(self, nombre: str, contexto: Mapping[str, Any]) -> CorreoRenderizado: ...


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


class Smartflex(Protocol):
    def registrar_venta(self, solicitud: Solicitud, ci: str) -> dict[str, Any]:
        """Register customer and sale (idempotent per request); {'numero_contrato', 'codigo_cliente'}."""
        ...
