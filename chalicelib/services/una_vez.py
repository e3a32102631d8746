"""At most once, and never lost: the claim around an irrevocable effect (an email, a channel message).

Before the provider accepts the effect, a failure gives the claim back, so the stream's retry sends it. Once it
went out, the claim is completed and never given back (a retry would send it a second time), and the writes that
record it are retried here, in process, before the failure is raised: a throttle that outlasted the client's own
retries costs a moment instead of a duplicate email or a history without it (issue 19, found by the fault sweep
in ``tests/e2e/test_barrido_fallas.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final, TypeVar

from chalicelib.domain.ports import Idempotencia

logger = logging.getLogger(__name__)
T = TypeVar("T")

INTENTOS_TRAS_EFECTO: Final = 4
ESPERA_INICIAL_S: Final = 0.1
"""Waits of 0.1, 0.2 and 0.4 s between attempts: well inside a stream function's timeout."""


_ENTREGA: ContextVar[str | None] = ContextVar("entrega", default=None)


@contextmanager
def entrega(identidad: str | None) -> Iterator[None]:
    """Handle one delivery (a stream record's eventID, a scheduled event's id, an inbound mail's SES id): claims
    taken inside belong to it, so that its retry after the function died retakes them at once instead of finding
    them held and skipping the effect (``adapters/dynamo_idempotencia``)."""
    marca = _ENTREGA.set(identidad or None)
    try:
        yield
    finally:
        _ENTREGA.reset(marca)


def entrega_actual() -> str | None:
    return _ENTREGA.get()


class EfectoHecho(Exception):  # noqa: N818 (a state, not an error: the effect happened)
    """The provider accepted the effect, then recording it failed: complete the claim with ``resultado`` (never
    give it back) and let the failure go on."""

    def __init__(self, resultado: str, causa: Exception) -> None:
        super().__init__(f"efecto hecho ({resultado}); su registro falló: {type(causa).__name__}: {causa}")
        self.resultado = resultado
        self.causa = causa


def tras_efecto(escribir: Callable[[], T], que: str, *, dormir: Callable[[float], None] = time.sleep) -> T:
    """Run a write that records an effect already made, retrying it in process before raising."""
    for intento in range(INTENTOS_TRAS_EFECTO):
        try:
            return escribir()
        except Exception as exc:
            if intento == INTENTOS_TRAS_EFECTO - 1:
                logger.error("registro tras el efecto fallido", extra={"que": que, "error": f"{exc!r}"[:300]})
                raise
            logger.warning("registro tras el efecto reintentado", extra={"que": que, "intento": intento + 1})
            dormir(ESPERA_INICIAL_S * 2**intento)
    raise AssertionError("unreachable")


def completar(idempotencia: Idempotencia, clave: str, resultado: str, *, permanente: bool = False) -> None:
    """Complete the claim of an effect that was made (retried in process: see ``tras_efecto``)."""
    tras_efecto(lambda: idempotencia.completar(clave, resultado, permanente), f"completar {clave}")


def tras_fallo(idempotencia: Idempotencia, clave: str, exc: Exception) -> None:
    """After ``exc`` interrupted a claimed effect: give the claim back so a retry makes it, unless the effect was
    already made (EfectoHecho), then complete it so that no retry makes it again."""
    if isinstance(exc, EfectoHecho):
        completar(idempotencia, clave, exc.resultado)
    else:
        idempotencia.liberar(clave)


def enviar_una_vez(
    idempotencia: Idempotencia, clave: str, enviar: Callable[[], T], resultado: Callable[[T], str]
) -> T | None:
    """Claim ``clave`` and run ``enviar``; None when the key was already taken (sent, or being sent). A failure
    before the effect gives the claim back; once the effect is made (``enviar`` returned, or raised EfectoHecho)
    the claim is completed with its result."""
    if not idempotencia.reclamar(clave):
        return None
    try:
        valor = enviar()
    except Exception as exc:
        tras_fallo(idempotencia, clave, exc)
        raise
    completar(idempotencia, clave, resultado(valor))
    return valor
