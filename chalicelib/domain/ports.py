"""Ports: what the services need from the outside world (implemented in ``chalicelib.adapters``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.model import EntradaHistorial, Solicitud


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
