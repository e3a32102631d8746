"""The extra template context of each reaction (``Reaccion.contexto`` in ``services.reacciones``): built with the
ports just before sending, beside the templates they feed (signed links, amounts, account data).

Each builder reads only ``PuertosContexto`` (the mailboxes, the link ports, the payment data), which
``reacciones.PuertosReaccion`` satisfies; ``reacciones`` imports this module and nothing here imports it back.

A signed link decides as the one person it is bound to, so it must reach only that person: the builders that issue
links are registered in ``CON_ENLACES``, the keys they add are listed under ``ENLACES_FIRMADOS`` in the context, and
``copia_sin_enlaces`` gives the context of the copy other people receive (the same information, no link, ``copia``
set for the templates).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Protocol, TypeVar

from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.model import Buzones, Rol, Solicitud
from chalicelib.domain.pagos import monto_esperado
from chalicelib.services import enlaces, oferta
from chalicelib.services.pagos import ConfigPagos

ENLACES_FIRMADOS: Final = "enlaces_firmados"
"""Context key listing the keys that hold signed links (and their expiry) bound to the email's main recipient."""

_F = TypeVar("_F", bound=Callable[..., Any])
CON_ENLACES: set[Callable[..., Any]] = set()
"""The builders that issue signed links (``reacciones`` sends their copies separately, without links)."""


def _con_enlaces(constructor: _F) -> _F:
    CON_ENLACES.add(constructor)
    return constructor


class PuertosContexto(Protocol):
    """What the context builders read of the reaction's ports."""

    @property
    def buzones(self) -> Buzones: ...

    @property
    def enlaces(self) -> enlaces.PuertosEnlaces | None: ...

    @property
    def pagos(self) -> ConfigPagos | None: ...


def _enlaces(
    s: Solicitud, puertos: PuertosContexto, proposito: str, rol: Rol, responsable: str, decisiones: Sequence[str]
) -> dict[str, Any]:
    """The signed links of one purpose bound to ``responsable`` (none without link ports), listed under
    ``ENLACES_FIRMADOS`` so that a copy to anyone else can leave them out."""
    if puertos.enlaces is None:
        return {}
    enlace = enlaces.emitir(s.id, proposito, rol, responsable, decisiones, puertos=puertos.enlaces)
    claves = {f"url_{d}": url for d, url in enlace.urls.items()} | {"enlace_vence": enlace.expira_en}
    return claves | {ENLACES_FIRMADOS: tuple(claves), "enlace_para": responsable}


def tiene_enlaces_firmados(contexto: Mapping[str, Any]) -> bool:
    """Whether the context carries signed links bound to the main recipient."""
    return bool(contexto.get(ENLACES_FIRMADOS))


def copia_sin_enlaces(contexto: Mapping[str, Any]) -> dict[str, Any]:
    """The context of the copy for people the links are not bound to: every signed link (and its expiry) removed,
    ``copia`` set so the templates say who received the links (a safety net: ``reacciones`` builds the copy's
    context without link ports, so no link is issued for it at all)."""
    quitar = {ENLACES_FIRMADOS, *contexto.get(ENLACES_FIRMADOS, ())}
    return {k: v for k, v in contexto.items() if k not in quitar} | {"copia": True}


@_con_enlaces
def contexto_carta_comercial(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 8: the customer's accept / reject links for the offer just sent (none without an email or link ports)."""
    if not s.email:
        return {}
    return _enlaces(s, puertos, oferta.PROPOSITO, Rol.SISTEMA, s.email, oferta.DECISIONES)


def contexto_instrucciones_pago(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 10: the amount due (first month + installation), the reference code, the account and the pay link."""
    monto = monto_esperado(s)
    contexto: dict[str, Any] = {"monto_total": monto, "referencia": s.id}
    configuracion = puertos.pagos
    if configuracion is not None:
        contexto["cuenta_bancaria"] = configuracion.cuenta_bancaria
        if configuracion.url_pasarela:
            monto_texto = f"{monto:.2f}" if monto is not None else ""
            url = configuracion.url_pasarela.replace("{referencia}", s.id).replace("{monto}", monto_texto)
            contexto["url_pago_web"] = url
    return contexto


@_con_enlaces
def contexto_validar_deposito(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 12: approve / reject links bound to Collections, and the matched bank notification if any."""
    contexto: dict[str, Any] = {
        "monto_esperado": monto_esperado(s),
        "notificacion_banco": (s.pago or {}).get("notificacion_banco"),
    }
    return contexto | _enlaces(s, puertos, "deposito", Rol.CO, puertos.buzones.cobranzas, ("aprobar", "rechazar"))


@_con_enlaces
def contexto_validar_pago_web(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 13: confirm / reject links bound to Collections (confirming checks the payment in Smartflex)."""
    contexto: dict[str, Any] = {"monto_esperado": monto_esperado(s)}
    return contexto | _enlaces(s, puertos, "pago_web", Rol.CO, puertos.buzones.cobranzas, ("confirmar", "rechazar"))


@_con_enlaces
def contexto_instruccion_cajas(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 15: the cashier's link to the printable invoice data, where the printed invoice is registered."""
    return _enlaces(s, puertos, "impresion", Rol.CA, puertos.buzones.cajas, ("imprimir",))


@_con_enlaces
def contexto_entrega(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 17: the cashier's link to register the invoice as filed and delivered."""
    return _enlaces(s, puertos, "entrega", Rol.CA, puertos.buzones.cajas, ("entregar",))
