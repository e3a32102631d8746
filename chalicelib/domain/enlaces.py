"""Signed one-time links (approval links): the server-side record and the ways a link is refused (pure).

A link is a signed token that names one ``Aprobacion``; the record, not the token, says what may be decided,
by whom and until when, and whether it was already decided. Opening a link (GET) never changes anything;
deciding (POST) turns the record from ``pendiente`` to ``decidida`` once, with a conditional write.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.errors import DomainError

PENDIENTE: Final = "pendiente"
DECIDIDA: Final = "decidida"


@dataclass(frozen=True)
class Aprobacion:
    """What one signed link may decide: the request, the purpose, the allowed decisions, the bound person."""

    id: str
    solicitud_id: str
    proposito: str
    rol: str
    responsable: str
    decisiones: tuple[str, ...]
    creada_en: str
    expira_en: str
    estado: str = PENDIENTE
    decision: str | None = None
    decidida_por: str | None = None
    decidida_en: str | None = None
    datos: dict[str, Any] = field(default_factory=dict)

    @property
    def pendiente(self) -> bool:
        return self.estado == PENDIENTE

    def vencida(self, ahora: datetime) -> bool:
        """A pending link stops working at ``expira_en`` (a decided one just shows who decided)."""
        return ahora >= datetime.fromisoformat(self.expira_en)

    def decidida(self, decision: str, por: str, en: str) -> Aprobacion:
        return replace(self, estado=DECIDIDA, decision=decision, decidida_por=por, decidida_en=en)


class EnlaceInvalido(DomainError):
    """The token is malformed, tampered with, signed with another key or issued for another purpose."""

    codigo = "enlace_invalido"


class EnlaceVencido(DomainError):
    """The token or its record expired before it was used."""

    codigo = "enlace_vencido"


class EnlaceNoEncontrado(DomainError):
    """The token is well signed but names no record (revoked, purged or from another environment)."""

    codigo = "enlace_no_encontrado"


class DecisionNoPermitida(DomainError):
    """The link does not allow the decision that was posted."""

    codigo = "decision_no_permitida"
