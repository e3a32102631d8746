"""The extra template context of each reaction (``Reaccion.contexto`` in ``services.reacciones``): built with the
ports just before sending, beside the templates they feed (signed links, amounts, account data).

Each builder reads only ``PuertosContexto`` (the mailboxes, the link ports, the payment data), which
``reacciones.PuertosReaccion`` satisfies; ``reacciones`` imports this module and nothing here imports it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.model import Buzones, Rol, Solicitud
from chalicelib.domain.pagos import monto_esperado
from chalicelib.services import enlaces, oferta
from chalicelib.services.pagos import ConfigPagos


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
) -> dict[str, str]:
    """The signed links of one purpose bound to ``responsable`` (none without link ports)."""
    if puertos.enlaces is None:
        return {}
    enlace = enlaces.emitir(s.id, proposito, rol, responsable, decisiones, puertos=puertos.enlaces)
    return {f"url_{d}": url for d, url in enlace.urls.items()} | {"enlace_vence": enlace.expira_en}


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


def contexto_validar_deposito(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 12: approve / reject links bound to Collections, and the matched bank notification if any."""
    contexto: dict[str, Any] = {
        "monto_esperado": monto_esperado(s),
        "notificacion_banco": (s.pago or {}).get("notificacion_banco"),
    }
    return contexto | _enlaces(s, puertos, "deposito", Rol.CO, puertos.buzones.cobranzas, ("aprobar", "rechazar"))


def contexto_validar_pago_web(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 13: confirm / reject links bound to Collections (confirming checks the payment in Smartflex)."""
    contexto: dict[str, Any] = {"monto_esperado": monto_esperado(s)}
    return contexto | _enlaces(s, puertos, "pago_web", Rol.CO, puertos.buzones.cobranzas, ("confirmar", "rechazar"))


def contexto_instruccion_cajas(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 15: the cashier's link to the printable invoice data, where the printed invoice is registered."""
    return _enlaces(s, puertos, "impresion", Rol.CA, puertos.buzones.cajas, ("imprimir",))


def contexto_entrega(s: Solicitud, _: AccionAplicada, puertos: PuertosContexto) -> dict[str, Any]:
    """Step 17: the cashier's link to register the invoice as filed and delivered."""
    return _enlaces(s, puertos, "entrega", Rol.CA, puertos.buzones.cajas, ("entregar",))
