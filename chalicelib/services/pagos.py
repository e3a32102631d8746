"""Payments (steps 10-18): the signed web-payment callback, the links and data the payment emails carry, and
Facturación's recurring-control list.

The payment gateway's callback is verified like Standard Webhooks: ``webhook-id``, ``webhook-timestamp`` (unix
seconds, within 5 minutes of now) and ``webhook-signature`` (space-separated ``v1,<base64 HMAC-SHA256(key,
"{id}.{timestamp}.{raw body}")>``; any one valid signature passes), keys ``whsec_<base64>``, two active during a
rotation, compared in constant time over the raw body before it is parsed. Each ``webhook-id`` is processed once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.errors import DatosInvalidos, FirmaInvalida, RolNoAutorizado, SolicitudNoEncontrada
from chalicelib.domain.model import Buzones, EntradaHistorial, Rol, Solicitud
from chalicelib.domain.pagos import (
    TIPO_PAGO_APROBADO,
    AvisoIlegible,
    CallbackEnProceso,
    CallbackPago,
    RecibirCallbackPago,
    ReglaBanco,
    leer_callback,
    monto_esperado,
    montos_iguales,
)
from chalicelib.domain.planes import formato_bs
from chalicelib.domain.ports import CorreoSaliente, Idempotencia, Mailer, Plantillas, SolicitudRepository, Tabla
from chalicelib.domain.states import ETIQUETA_ESTADO, Accion, Estado
from chalicelib.services import solicitudes, una_vez
from chalicelib.services.correo_saliente import anotar_suprimidas
from chalicelib.services.vistas import url_consola, vista_solicitud

logger = logging.getLogger(__name__)

TOLERANCIA_SEGUNDOS: Final = 300
PREFIJO_SECRETO: Final = "whsec_"
_ID_WEBHOOK: Final = re.compile(r"^[A-Za-z0-9_.:\-]{1,255}$")
_FIRMA_V1: Final = "v1,"


# --- Signature (Standard Webhooks) ------------------------------------------------------------------------------


def clave_hmac(secreto: str) -> bytes:
    """The HMAC key of a secret: ``whsec_<base64>`` -> the decoded bytes; any other text -> its UTF-8 bytes."""
    secreto = secreto.strip()
    if secreto.startswith(PREFIJO_SECRETO):
        try:
            return base64.b64decode(secreto[len(PREFIJO_SECRETO) :], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secreto.encode("utf-8")


def firmar(secreto: str, webhook_id: str, timestamp: int, cuerpo: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}`` (what the gateway sends; used by the simulator)."""
    contenido = f"{webhook_id}.{timestamp}.".encode() + cuerpo
    firma = hmac.new(clave_hmac(secreto), contenido, hashlib.sha256).digest()
    return _FIRMA_V1 + base64.b64encode(firma).decode("ascii")


def verificar_firma(cabeceras: Mapping[str, str], cuerpo: bytes, secretos: Sequence[str], ahora: datetime) -> str:
    """The callback's ``webhook-id`` if its signature is valid under one of ``secretos`` and its timestamp is
    within 5 minutes of ``ahora``; FirmaInvalida otherwise (missing, malformed, wrong, tampered, stale, future)."""
    webhook_id = (cabeceras.get("webhook-id") or "").strip()
    marca = (cabeceras.get("webhook-timestamp") or "").strip()
    cabecera_firma = (cabeceras.get("webhook-signature") or "").strip()
    if not webhook_id or not marca or not cabecera_firma:
        raise FirmaInvalida("Faltan las cabeceras webhook-id, webhook-timestamp o webhook-signature.")
    if not _ID_WEBHOOK.match(webhook_id):
        raise FirmaInvalida("La cabecera webhook-id no es válida.")
    if not (marca.isascii() and marca.isdigit()) or len(marca) > 12:  # int() refuses '²' (a Latin-1 header byte)
        raise FirmaInvalida("La cabecera webhook-timestamp debe ser un número entero de segundos Unix.")
    diferencia = ahora.timestamp() - int(marca)
    if diferencia > TOLERANCIA_SEGUNDOS:
        raise FirmaInvalida("El aviso es demasiado antiguo (webhook-timestamp con más de 5 minutos).")
    if diferencia < -TOLERANCIA_SEGUNDOS:
        raise FirmaInvalida("El aviso tiene una fecha futura (webhook-timestamp adelantado más de 5 minutos).")
    recibidas = [p[len(_FIRMA_V1) :].encode() for p in cabecera_firma.split() if p.startswith(_FIRMA_V1)]
    if not recibidas:
        raise FirmaInvalida("La cabecera webhook-signature no contiene ninguna firma v1.")
    contenido = f"{webhook_id}.{marca}.".encode() + cuerpo
    valida = False
    for secreto in secretos:
        if not secreto.strip():
            continue
        esperada = base64.b64encode(hmac.new(clave_hmac(secreto), contenido, hashlib.sha256).digest())
        for recibida in recibidas:
            valida |= hmac.compare_digest(esperada, recibida)
    if not valida:
        raise FirmaInvalida("La firma del aviso de pago no es válida.")
    return webhook_id


# --- The web-payment callback ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PuertosPagos:
    solicitudes: solicitudes.Puertos
    idempotencia: Idempotencia
    mailer: Mailer
    plantillas: Plantillas
    buzones: Buzones
    url_publica: str
    secretos_pasarela: tuple[str, ...] = ()
    reglas_bancos: tuple[ReglaBanco, ...] = ()

    @property
    def repo(self) -> SolicitudRepository:
        return self.solicitudes.repo


def recibir_pago_web(cmd: RecibirCallbackPago, *, puertos: PuertosPagos) -> dict[str, Any]:
    """A verified ``pago.aprobado`` for a request waiting for its payment, with the amount due, is registered
    (``registrar_pago_web``, role SISTEMA, channel ``pasarela``) and goes to Collections for validation. An unknown
    reference, a request not waiting for a payment or a different amount is acknowledged, recorded and reported to
    Collections, never applied. Each ``webhook-id`` is processed once; a replay gets the first outcome."""
    ahora = puertos.solicitudes.clock.ahora()
    webhook_id = verificar_firma(cmd.cabeceras, cmd.cuerpo, puertos.secretos_pasarela, ahora)
    try:
        datos = json.loads(cmd.cuerpo.decode("utf-8"))
    except (ValueError, RecursionError):  # also integers over Python's 4300-digit limit (ValueError)
        raise AvisoIlegible("El cuerpo del aviso no es JSON válido.") from None
    if not isinstance(datos, dict):
        raise AvisoIlegible("El cuerpo del aviso debe ser un objeto JSON.")
    if datos.get("tipo") != TIPO_PAGO_APROBADO:
        logger.info("aviso de pago ignorado", extra={"webhook_id": webhook_id, "tipo": str(datos.get("tipo"))})
        return _resultado("ignorado", webhook_id, None, "Solo se procesan avisos de tipo pago.aprobado.")
    callback = leer_callback(datos)
    clave = f"webhook#pagos#{webhook_id}"
    if not puertos.idempotencia.reclamar(clave):
        previo = puertos.idempotencia.resultado(clave)
        if previo is None:
            raise CallbackEnProceso("Este aviso se está procesando; reintente en unos segundos.")
        return {**json.loads(previo), "duplicado": True}
    try:
        resultado = _procesar_pago(webhook_id, callback, ahora, puertos)
    except Exception:
        puertos.idempotencia.liberar(clave)
        raise
    una_vez.completar(puertos.idempotencia, clave, json.dumps(resultado, ensure_ascii=False))
    logger.info("aviso de pago procesado", extra={"webhook_id": webhook_id, "resultado": resultado["resultado"]})
    return {**resultado, "duplicado": False}


def _resultado(resultado: str, webhook_id: str, solicitud_id: str | None, mensaje: str) -> dict[str, Any]:
    return {"resultado": resultado, "webhook_id": webhook_id, "solicitud_id": solicitud_id, "mensaje": mensaje}


def _procesar_pago(webhook_id: str, pago: CallbackPago, ahora: datetime, puertos: PuertosPagos) -> dict[str, Any]:
    try:
        s = puertos.repo.obtener(pago.referencia)
    except SolicitudNoEncontrada:
        motivo = f"No existe ninguna solicitud con la referencia {pago.referencia}."
        _reportar_pago(webhook_id, pago, None, motivo, ahora, puertos)
        return _resultado("sin_coincidencia", webhook_id, None, motivo)
    if s.estado != Estado.PAGO_PENDIENTE.value:
        if (s.pago or {}).get("id_transaccion") == pago.id_transaccion:
            return _resultado("duplicado", webhook_id, s.id, "La transacción ya estaba registrada en la solicitud.")
        motivo = f"La solicitud {s.id} está en estado «{vista_solicitud(s)['estado_etiqueta']}» y no espera un pago."
        _reportar_pago(webhook_id, pago, s, motivo, ahora, puertos)
        return _resultado("sin_coincidencia", webhook_id, s.id, motivo)
    esperado = monto_esperado(s)
    if esperado is not None and not montos_iguales(esperado, pago.monto_bs):
        motivo = (
            f"El monto pagado ({formato_bs(pago.monto_bs)}) no coincide con el monto a pagar ({formato_bs(esperado)})."
        )
        _reportar_pago(webhook_id, pago, s, motivo, ahora, puertos)
        return _resultado("monto_distinto", webhook_id, s.id, motivo)
    campos: dict[str, Any] = {
        "id_transaccion": pago.id_transaccion,
        "monto_bs": pago.monto_bs,
        "fecha_pago": pago.fecha,
    }
    if pago.medio:
        campos["medio_pago"] = pago.medio
    solicitudes.aplicar(
        AplicarAccion(
            solicitud_id=s.id,
            accion=Accion.REGISTRAR_PAGO_WEB.value,
            campos=campos,
            actor="pasarela de pagos",
            rol=Rol.SISTEMA,
            canal="pasarela",
            nota=f"Aviso de la pasarela {webhook_id}.",
        ),
        puertos=puertos.solicitudes,
    )
    return _resultado("aplicado", webhook_id, s.id, "Pago registrado; Cobranzas lo validará.")


def _reportar_pago(
    webhook_id: str,
    pago: CallbackPago,
    s: Solicitud | None,
    motivo: str,
    ahora: datetime,
    puertos: PuertosPagos,
) -> None:
    contexto: dict[str, Any] = {
        "pago": pago.como_dict(),
        "motivo": motivo,
        "webhook_id": webhook_id,
        "recibido_en": ahora.isoformat(),
        "buzones": puertos.buzones.como_dict(),
    }
    avisar_observado(
        "pago_sin_coincidencia",
        contexto,
        s,
        f"webhook-{webhook_id}",
        puertos,
        entrada_id=f"pago#{webhook_id}",
        en=ahora.isoformat(),
        tipo="pago_observado",
        resumen=f"Pago web no aplicado: {motivo} Se avisó a Cobranzas.",
        actor="pasarela de pagos",
        canal="pasarela",
        campos=pago.como_dict(),
    )


def avisar_observado(
    plantilla: str,
    contexto: dict[str, Any],
    s: Solicitud | None,
    clave: str,
    puertos: PuertosPagos,
    *,
    entrada_id: str,
    en: str,
    tipo: str,
    resumen: str,
    actor: str,
    canal: str,
    campos: Mapping[str, Any],
) -> None:
    """A payment or deposit nobody expects: the notice to Collections (with the request's data when it was
    identified) and, for an identified request, the history entry that records the notice."""
    if s is not None:
        contexto |= {
            "solicitud": vista_solicitud(s),
            "monto_esperado": monto_esperado(s),
            "url_solicitud": url_consola(puertos.url_publica, s.id),
        }
    message_id = avisar_cobranzas(plantilla, contexto, s, clave, puertos)
    if s is not None:
        puertos.repo.agregar_historial(
            EntradaHistorial(
                solicitud_id=s.id,
                id=entrada_id,
                en=en,
                tipo=tipo,
                resumen=resumen,
                actor=actor,
                canal=canal,
                campos={**campos, "ses_message_id": message_id},
            )
        )


def avisar_cobranzas(
    plantilla: str, contexto: Mapping[str, Any], s: Solicitud | None, clave: str, puertos: PuertosPagos
) -> str | None:
    """Send a notice that no action produced (a payment or deposit nobody expects) to Collections; None when the
    address is suppressed (recorded in the request's history when there is one, logged by the mailer always)."""
    render = puertos.plantillas.correo(plantilla, contexto)
    cabeceras = {"X-VD-Reaccion": plantilla, "X-VD-Clave": clave}
    if s is not None:
        cabeceras["X-VD-Solicitud"] = s.id
    entrega = puertos.mailer.enviar(
        CorreoSaliente(
            para=(puertos.buzones.cobranzas,),
            asunto=render.asunto,
            texto=render.texto,
            html=render.html,
            cabeceras=cabeceras,
        )
    )
    if s is not None:
        en = puertos.solicitudes.clock.ahora().isoformat()
        anotar_suprimidas(puertos.repo, solicitud_id=s.id, entrada_id=clave, en=en, asunto=render.asunto, envio=entrega)
    return entrega.message_id


# --- Payment data for the emails (their context builders: services.contextos) -------------------------------------


@dataclass(frozen=True)
class ConfigPagos:
    """Payment data for emails: the bank account text and the gateway's checkout URL (``{referencia}`` and
    ``{monto}`` are replaced; empty = no web-payment link)."""

    cuenta_bancaria: str
    url_pasarela: str = ""


# --- Step 18: Facturación's recurring-control list ---------------------------------------------------------------

ROLES_CONTROL: Final = frozenset({Rol.FA, Rol.RC})
_MES: Final = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
COLUMNAS_CONTROL: Final = (
    ("solicitud_id", "Código"),
    ("estado", "Estado"),
    ("cliente", "Cliente"),
    ("numero_contrato", "Contrato"),
    ("codigo_cliente", "Código de cliente"),
    ("plan", "Plan"),
    ("tarifa_mensual_bs", "Tarifa mensual (Bs)"),
    ("dia_facturacion", "Día de facturación"),
    ("monto_mensual_bs", "Monto mensual (Bs)"),
    ("cuenta_facturacion", "Cuenta de facturación"),
    ("pendiente_desde", "Pendiente desde"),
    ("registrado_en", "Control registrado"),
)


def control_recurrente(
    mes: str, roles: Iterable[Rol], *, repo: SolicitudRepository, limite_pagina: int = 200
) -> list[dict[str, Any]]:
    """Step 18, for Facturación (and the team lead): every postpaid sale still waiting in ``control_facturacion``
    (longest waiting first), then those whose recurring control was registered in ``mes`` (first billing)."""
    if not ROLES_CONTROL & set(roles):
        raise RolNoAutorizado(
            "El control de pago recurrente corresponde a: División Facturación, Responsable de Canales."
        )
    if not _MES.match(mes):
        raise DatosInvalidos({"mes": "Use el formato AAAA-MM."}, "Filtros inválidos.")
    pendientes: list[Solicitud] = []
    cursor: str | None = None
    while True:
        pagina = repo.listar(estado=Estado.CONTROL_FACTURACION.value, limite=limite_pagina, cursor=cursor)
        pendientes.extend(pagina.solicitudes)
        cursor = pagina.siguiente
        if not cursor:
            break
    registradas = [s for s in repo.facturadas_en(mes).solicitudes if s.control_facturacion]
    return [_fila_control(s) for s in pendientes] + [_fila_control(s) for s in registradas]


def tabla_control(filas: Sequence[Mapping[str, Any]], mes: str) -> Tabla:
    """The list as a report table (CSV/Excel): amounts exact, dates as dates."""
    return Tabla(
        nombre="Control recurrente",
        titulo=f"Ventas pospago en control de pago recurrente ({mes})",
        columnas=tuple(etiqueta for _, etiqueta in COLUMNAS_CONTROL),
        filas=[tuple(_celda(nombre, fila.get(nombre)) for nombre, _ in COLUMNAS_CONTROL) for fila in filas],
    )


def _celda(nombre: str, valor: Any) -> Any:
    if valor is None:
        return None
    if nombre.endswith("_bs"):
        return Decimal(str(valor)).quantize(Decimal("0.01"))
    if nombre in ("pendiente_desde", "registrado_en"):
        return datetime.fromisoformat(str(valor))
    if nombre == "estado":
        return ETIQUETA_ESTADO[Estado(str(valor))]
    return valor


def _fila_control(s: Solicitud) -> dict[str, Any]:
    oferta = s.oferta or {}
    digitacion = s.digitacion or {}
    control = s.control_facturacion or {}
    return {
        "solicitud_id": s.id,
        "estado": s.estado,
        "cliente": s.nombre,
        "numero_contrato": digitacion.get("numero_contrato"),
        "codigo_cliente": digitacion.get("codigo_cliente"),
        "plan": oferta.get("plan"),
        "tarifa_mensual_bs": oferta.get("tarifa_mensual_bs"),
        "dia_facturacion": control.get("dia_facturacion"),
        "monto_mensual_bs": control.get("monto_mensual_bs"),
        "cuenta_facturacion": control.get("cuenta_facturacion"),
        "pendiente_desde": s.estado_desde if s.estado == Estado.CONTROL_FACTURACION.value else None,
        "registrado_en": control.get("registrado_en"),
    }
