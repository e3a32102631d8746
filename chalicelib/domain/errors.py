"""Domain errors: one class per failure, each message in Spanish for the person who caused it."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every rule the procedure refuses."""

    codigo = "error_de_dominio"

    def __init__(self, mensaje: str) -> None:
        super().__init__(mensaje)
        self.mensaje = mensaje


class EstadoInvalido(DomainError):
    """The action does not exist from the request's current state."""

    codigo = "estado_invalido"


class AccionRechazada(DomainError):
    """A guard refused the action (the reason says why)."""

    codigo = "accion_rechazada"


class ConflictoConcurrente(DomainError):
    """Someone changed the request since the caller read it (stale version or concurrent write)."""

    codigo = "conflicto_concurrente"


class SolicitudNoEncontrada(DomainError):
    """No request has that id."""

    codigo = "no_encontrada"


class RolNoAutorizado(DomainError):
    """The caller's role may not apply this action."""

    codigo = "rol_no_autorizado"


class AccionDesconocida(DomainError):
    """The action name is not part of the procedure."""

    codigo = "accion_desconocida"


class DatosInvalidos(DomainError):
    """One or more fields failed validation; ``errores`` maps field to Spanish message."""

    codigo = "datos_invalidos"

    def __init__(self, errores: Mapping[str, str], mensaje: str = "Hay datos inválidos.") -> None:
        super().__init__(mensaje)
        self.errores = dict(errores)


class EnvioDuplicado(DomainError):
    """The same submission (dedupe key) was already recorded."""

    codigo = "duplicado"

    def __init__(self, mensaje: str, existente_id: str | None = None) -> None:
        super().__init__(mensaje)
        self.existente_id = existente_id


class ContactoReclamado(DomainError):
    """A contact key (phone, email, CI, channel id) was claimed moments ago by the new request ``solicitud_id``:
    the same person's first contact is being recorded at the same instant (nothing was written)."""

    codigo = "contacto_reclamado"

    def __init__(self, solicitud_id: str) -> None:
        super().__init__(f"Esta persona acaba de registrar la solicitud {solicitud_id}.")
        self.solicitud_id = solicitud_id


class CorreoNoEnviado(DomainError):
    """The mail service refused or failed to send a message."""

    codigo = "correo_no_enviado"


class NoAutenticado(DomainError):
    """No valid staff credentials came with the request."""

    codigo = "no_autenticado"


class FirmaInvalida(DomainError):
    """A webhook came without a valid signature or token (missing, malformed, wrong or over another body)."""

    codigo = "firma_invalida"


class ServicioExternoNoDisponible(DomainError):
    """An external system (Meta Graph API, S3) did not answer in time or failed (5xx) after the retries."""

    codigo = "servicio_externo_no_disponible"


class AccionEnCola(DomainError):
    """Smartflex did not answer: the person's action waits in its request's queue and is applied by the
    pending-sends job when Smartflex is back (``services.pendientes``). Not a failure: the answer is 202."""

    codigo = "en_cola"

    def __init__(self, mensaje: str, solicitud_id: str) -> None:
        super().__init__(mensaje)
        self.solicitud_id = solicitud_id


class RecursoExternoRechazado(DomainError):
    """An external system refused the request (4xx: unknown id, expired link, missing permission)."""

    codigo = "recurso_externo_rechazado"


class SmartflexRechazo(DomainError):
    """Smartflex refused an operation for a business reason (the message says why); nothing was registered."""

    codigo = "smartflex_rechazo"


class MensajeNoEnviado(DomainError):
    """A messaging provider (WhatsApp Cloud API, Messenger Send API, Botmaker) refused or failed a send; ``fallo``
    (``domain.mensajeria.FalloCanal`` value) says what the sender does next, ``enviados`` the ids already accepted
    (documents sent before the text failed)."""

    codigo = "mensaje_no_enviado"

    def __init__(self, mensaje: str, *, fallo: str, codigo_proveedor: str = "", enviados: tuple[str, ...] = ()) -> None:
        super().__init__(mensaje)
        self.fallo = fallo
        self.codigo_proveedor = codigo_proveedor
        self.enviados = enviados
