"""Two-way conversations: a customer's message on WhatsApp, Messenger or Botmaker read like an email reply.

A message that joined an open request (``canales.recibir_contacto``) is read here:
- "BAJA", "STOP", "no me escriban" … put the person's channel on the opt-out list (no proactive message there any
  more; answers to their own messages still go); "ALTA" / "START" takes them off. Recorded in the history.
- While the Carta Comercial awaits an answer, a tap on "Acepto" / "No me interesa" or a text the reply grammar reads
  (``domain.respuestas.interpretar``, the same table as the email reply: ACEPTO / SI / NO + motivo) applies
  ``aceptar_oferta`` / ``rechazar_oferta`` through ``solicitudes.aplicar``, as the customer, on that channel.
- While the requirements are open, each document or photo is registered as the requirement its file name or
  caption names (``requisito_de``), a shared location as ``ubicacion``; anything else is kept for the executive.
- Anything the grammar cannot read while a question is open reaches the executives (history entry and an email to
  their mailbox) instead of being guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from chalicelib.domain.commands import AplicarAccion, CapturarSolicitud
from chalicelib.domain.errors import AccionRechazada, ConflictoConcurrente, DatosInvalidos, EstadoInvalido
from chalicelib.domain.mensajeria import CanalMensajeria, destino_de, es_alta, es_baja
from chalicelib.domain.model import FRASE_BREVE_CANAL, Buzones, EntradaHistorial, Rol, Solicitud
from chalicelib.domain.ports import Idempotencia, Mailer, Plantillas, Supresiones
from chalicelib.domain.respuestas import interpretar, requisito_de
from chalicelib.domain.states import Accion, Estado
from chalicelib.services import correo_saliente, solicitudes
from chalicelib.services.correo_entrante import PROPOSITOS, Orden
from chalicelib.services.vistas import url_consola, vista_solicitud

logger = logging.getLogger(__name__)

ETIQUETA: Final[Mapping[str, str]] = {c.value: FRASE_BREVE_CANAL[c.value] for c in CanalMensajeria}


@dataclass(frozen=True)
class PuertosConversacion:
    solicitudes: solicitudes.Puertos
    bajas: Supresiones
    idempotencia: Idempotencia
    mailer: Mailer
    plantillas: Plantillas
    salida: correo_saliente.SalidaCorreo | None
    buzones: Buzones
    url_publica: str
    bucket_documentos: str


def atender(solicitud_id: str, cmd: CapturarSolicitud, *, puertos: PuertosConversacion) -> str:
    """Read one customer message that joined ``solicitud_id``; returns what it did (baja, alta, aplicado,
    documentos, no_entendido, nada)."""
    repo = puertos.solicitudes.repo
    s = repo.obtener(solicitud_id)
    texto = cmd.mensaje.strip()
    destino = destino_de(cmd.canal, cmd.origen)
    if destino is not None and es_baja(texto):
        return _baja(s, cmd, destino.clave, puertos)
    if destino is not None and es_alta(texto):
        return _alta(s, cmd, destino.clave, puertos)
    if s.estado == Estado.OFERTA_ENVIADA.value:
        return _respuesta_oferta(s, cmd, texto, puertos)
    if s.estado == Estado.REQUISITOS.value and (cmd.adjuntos or _ubicacion(cmd)):
        return _requisitos(s, cmd, puertos)
    return "nada"


def _entrada(
    s: Solicitud, cmd: CapturarSolicitud, sufijo: str, tipo: str, resumen: str, **campos: Any
) -> EntradaHistorial:
    return EntradaHistorial(
        solicitud_id=s.id,
        id=f"conversacion#{cmd.canal}#{cmd.clave_envio}#{sufijo}",
        en=campos.pop("en"),
        tipo=tipo,
        resumen=resumen,
        actor=f"prospecto:{cmd.canal}",
        canal=cmd.canal,
        campos=campos,
    )


def _baja(s: Solicitud, cmd: CapturarSolicitud, clave: str, puertos: PuertosConversacion) -> str:
    ahora = puertos.solicitudes.clock.ahora().isoformat()
    puertos.bajas.suprimir(clave, motivo=f"baja por {cmd.canal}: {cmd.mensaje[:100]}", en=ahora, solicitud_id=s.id)
    resumen = (
        f"El cliente pidió no recibir más mensajes por {ETIQUETA.get(cmd.canal, cmd.canal)} («{cmd.mensaje[:60]}»): "
        "no se le enviarán mensajes por iniciativa de la empresa en ese canal; las respuestas a sus mensajes sí."
    )
    puertos.solicitudes.repo.agregar_historial(
        _entrada(s, cmd, "baja", "baja_canal", resumen, en=ahora, canal=cmd.canal, destino=clave)
    )
    logger.info("baja de canal", extra={"solicitud_id": s.id, "canal": cmd.canal})
    return "baja"


def _alta(s: Solicitud, cmd: CapturarSolicitud, clave: str, puertos: PuertosConversacion) -> str:
    ahora = puertos.solicitudes.clock.ahora().isoformat()
    puertos.bajas.reactivar(clave)
    resumen = f"El cliente volvió a aceptar mensajes por {ETIQUETA.get(cmd.canal, cmd.canal)} («{cmd.mensaje[:60]}»)."
    puertos.solicitudes.repo.agregar_historial(
        _entrada(s, cmd, "alta", "alta_canal", resumen, en=ahora, canal=cmd.canal, destino=clave)
    )
    return "alta"


def _respuesta_oferta(s: Solicitud, cmd: CapturarSolicitud, texto: str, puertos: PuertosConversacion) -> str:
    boton = str(cmd.origen.get("boton") or "")
    orden: Orden | str
    if boton.startswith(f"oferta:{s.id}:"):
        eleccion = boton.rsplit(":", 1)[1]
        orden = (
            Orden(Accion.ACEPTAR_OFERTA.value, {})
            if eleccion == "acepto"
            else Orden(Accion.RECHAZAR_OFERTA.value, {"motivo": "El cliente eligió «No me interesa»."})
        )
    elif texto:
        decidir = PROPOSITOS["oferta"].decidir
        assert decidir is not None
        orden = decidir(interpretar(texto, ""), s)
    else:
        return "nada"
    if isinstance(orden, str):
        return _no_entendido(s, cmd, orden, puertos)
    comando = AplicarAccion(
        solicitud_id=s.id,
        accion=orden.accion,
        campos=orden.campos,
        actor=f"prospecto:{cmd.canal}",
        rol=Rol.SISTEMA,
        canal=cmd.canal,
        nota=f"Respuesta por {ETIQUETA.get(cmd.canal, cmd.canal)}: «{(texto or boton)[:80]}».",
    )
    try:
        solicitudes.aplicar(comando, puertos=puertos.solicitudes)
    except (EstadoInvalido, ConflictoConcurrente):
        return "nada"
    except (DatosInvalidos, AccionRechazada) as exc:
        return _no_entendido(s, cmd, exc.mensaje, puertos)
    return "aplicado"


def _ubicacion(cmd: CapturarSolicitud) -> tuple[float, float] | None:
    try:
        return float(cmd.origen["latitud"]), float(cmd.origen["longitud"])
    except (KeyError, TypeError, ValueError):
        return None


def _requisitos(s: Solicitud, cmd: CapturarSolicitud, puertos: PuertosConversacion) -> str:
    """Register each document the customer sent as the requirement it names; keep the rest for the executive."""
    sin_clasificar: list[str] = []
    registrados: list[str] = []
    canal = ETIQUETA.get(cmd.canal, cmd.canal)
    ubicacion = _ubicacion(cmd)
    if ubicacion is not None:
        campos: dict[str, Any] = {
            "requisito": "ubicacion",
            "latitud": ubicacion[0],
            "longitud": ubicacion[1],
            "detalle": f"Ubicación compartida por {canal}. {cmd.mensaje}"[:500],
        }
        if _registrar(s, cmd, campos, puertos):
            registrados.append("ubicacion")
    for adjunto in cmd.adjuntos:
        clave = adjunto.get("s3_key")
        nombre = str(adjunto.get("nombre") or adjunto.get("tipo") or "archivo")
        if not clave:
            sin_clasificar.append(nombre)
            continue
        requisito = (
            requisito_de(nombre)
            or requisito_de(str(adjunto.get("leyenda") or ""))
            or (requisito_de(cmd.mensaje) if len(cmd.adjuntos) == 1 else None)
        )
        campos = {
            "requisito": requisito or "",
            "documento": f"s3://{puertos.bucket_documentos}/{clave}",
            "detalle": f"Recibido por {canal}: {nombre}",
        }
        if requisito and _registrar(s, cmd, campos, puertos):
            registrados.append(requisito)
        else:
            sin_clasificar.append(nombre)
    if sin_clasificar:
        motivo = (
            "No pudimos saber qué requisito es cada archivo: "
            + ", ".join(sin_clasificar)
            + ". Regístrelo con «Registrar requisito recibido»."
        )
        _no_entendido(s, cmd, motivo, puertos, adjuntos=sin_clasificar)
    return "documentos" if registrados else "no_entendido"


def _registrar(s: Solicitud, cmd: CapturarSolicitud, campos: dict[str, Any], puertos: PuertosConversacion) -> bool:
    comando = AplicarAccion(
        solicitud_id=s.id,
        accion=Accion.REGISTRAR_REQUISITO.value,
        campos=campos,
        actor=f"prospecto:{cmd.canal}",
        rol=Rol.SISTEMA,
        canal=cmd.canal,
    )
    try:
        solicitudes.aplicar(comando, puertos=puertos.solicitudes)
    except (EstadoInvalido, ConflictoConcurrente, AccionRechazada, DatosInvalidos) as exc:
        logger.info("requisito no registrado", extra={"solicitud_id": s.id, "motivo": exc.mensaje})
        return False
    return True


def _no_entendido(
    s: Solicitud, cmd: CapturarSolicitud, motivo: str, puertos: PuertosConversacion, adjuntos: Sequence[str] = ()
) -> str:
    """The executives learn what the customer wrote and why it was not applied (history + one email)."""
    ahora = puertos.solicitudes.clock.ahora()
    canal = ETIQUETA.get(cmd.canal, cmd.canal)
    resumen = f"Mensaje del cliente por {canal} sin aplicar: {motivo} Respóndale desde la consola."
    puertos.solicitudes.repo.agregar_historial(
        _entrada(
            s,
            cmd,
            "no_entendido",
            "mensaje_no_entendido",
            resumen,
            en=ahora.isoformat(),
            canal=cmd.canal,
            texto=cmd.mensaje,
            motivo=motivo,
            requiere_atencion=True,
        )
    )
    contexto = {
        "solicitud": vista_solicitud(s),
        "buzones": puertos.buzones.como_dict(),
        "url_solicitud": url_consola(puertos.url_publica, s.id),
        "url_formulario": f"{puertos.url_publica}/solicitud",
        "recibido": {
            "canal": cmd.canal,
            "texto": cmd.mensaje[:2000],
            "en": ahora.isoformat(),
            "motivo": motivo,
            "adjuntos": list(adjuntos),
        },
    }
    correo_saliente.avisar_una_vez(
        "mensaje_cliente",
        contexto,
        para=(puertos.buzones.ejecutivos,),
        solicitud_id=s.id,
        reclamo=f"aviso_mensaje#{cmd.canal}#{cmd.clave_envio}",
        clave=f"mensaje_cliente.{cmd.canal}.{cmd.clave_envio}",
        idempotencia=puertos.idempotencia,
        plantillas=puertos.plantillas,
        mailer=puertos.mailer,
        salida=puertos.salida,
        repo=puertos.solicitudes.repo,
        ahora=ahora,
    )
    return "no_entendido"
