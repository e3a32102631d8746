"""Documents by email (step 5 of the order of work, ``recepcion.py``): the customer's attachments become requirements.

Documents purposes store the attachments (JPEG, PNG, PDF up to 10 MB) in the documents bucket (SSE-KMS) and
register each recognised requirement (by its file name, or the text of a single-attachment email) through
``solicitudes.aplicar``; the others are recorded as "sin clasificar". The executives learn what was sent, once per
message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from chalicelib.domain.commands import AplicarAccion
from chalicelib.domain.correo import TokenRespuesta
from chalicelib.domain.errors import AccionRechazada, ConflictoConcurrente, DatosInvalidos, EstadoInvalido
from chalicelib.domain.model import EntradaHistorial, Rol, Solicitud
from chalicelib.domain.respuestas import parte_nueva, requisito_de
from chalicelib.domain.states import Accion
from chalicelib.services import correo_saliente, solicitudes
from chalicelib.services.correo_entrante.comun import (
    CANAL,
    Correlacion,
    Entrante,
    ResultadoCorreo,
    anotar,
    contexto,
)

logger = logging.getLogger(__name__)

MAX_BYTES_ADJUNTO: Final = 10 * 1024 * 1024
TIPOS_DOCUMENTO: Final = frozenset({"image/jpeg", "image/png", "application/pdf"})


def recibir_documentos(e: Entrante, token: TokenRespuesta, c: Correlacion, solicitud: Solicitud) -> ResultadoCorreo:
    """Store each acceptable attachment (SSE-KMS), register the requirement it is, record the rest."""
    correo, puertos, message_id = e.correo, e.puertos, e.cmd.message_id
    filas: list[dict[str, Any]] = []
    leyenda = parte_nueva(correo.texto) if correo.texto else ""
    for n, adjunto in enumerate(correo.adjuntos, start=1):
        fila: dict[str, Any] = {"nombre": adjunto.nombre, "tipo": adjunto.tipo, "bytes": adjunto.tamano}
        if "virus" in e.veredictos.fallidos:
            fila["descartado"] = "el correo no superó el análisis antivirus"
        elif adjunto.tipo not in TIPOS_DOCUMENTO:
            fila["descartado"] = "tipo de archivo no admitido (solo JPG, PNG o PDF)"
        elif adjunto.tamano > MAX_BYTES_ADJUNTO:
            fila["descartado"] = "supera el tamaño máximo de 10 MB"
        else:
            clave = puertos.documentos.guardar(
                f"correo/{solicitud.id}/{message_id}/{n}-{_nombre_seguro(adjunto.nombre, n)}",
                adjunto.contenido,
                adjunto.tipo,
            )
            fila["documento"] = f"s3://{puertos.bucket_documentos}/{clave}"
            requisito = requisito_de(adjunto.nombre) or (requisito_de(leyenda) if len(correo.adjuntos) == 1 else None)
            if requisito and _registrar_requisito(e, requisito, fila, solicitud.id):
                fila["requisito"] = requisito
        filas.append(fila)
    for n, fila in enumerate(filas, start=1):
        if fila.get("documento") and not fila.get("requisito"):
            puertos.repo.agregar_historial(
                EntradaHistorial(
                    solicitud_id=solicitud.id,
                    id=f"correo#{message_id}#documento{n}",
                    en=e.ahora.isoformat(),
                    tipo="documento_recibido",
                    resumen=f"Documento recibido sin clasificar: {fila['nombre']} ({fila['tipo']}). Regístrelo con "
                    "«Registrar requisito recibido» indicando qué requisito es.",
                    actor=correo.remitente,
                    canal=CANAL,
                    campos={"documento": fila["documento"], "nombre": fila["nombre"], "tipo": fila["tipo"]},
                )
            )
    anotar(e, token, c, _resumen_documentos(correo.remitente, filas), adjuntos=filas)
    _avisar_ejecutivos(e, solicitud, filas, leyenda)
    registrados = any(f.get("requisito") for f in filas)
    return ResultadoCorreo(
        "documentos", solicitud_id=solicitud.id, accion=Accion.REGISTRAR_REQUISITO.value if registrados else None
    )


def _registrar_requisito(e: Entrante, requisito: str, fila: Mapping[str, Any], solicitud_id: str) -> bool:
    comando = AplicarAccion(
        solicitud_id=solicitud_id,
        accion=Accion.REGISTRAR_REQUISITO.value,
        campos={
            "requisito": requisito,
            "documento": fila["documento"],
            "detalle": f"Recibido por correo de {e.correo.remitente}: {fila['nombre']}",
        },
        actor=e.correo.remitente,
        rol=Rol.SISTEMA,
        canal=CANAL,
    )
    try:
        solicitudes.aplicar(comando, puertos=e.puertos.solicitudes)
    except (EstadoInvalido, ConflictoConcurrente, AccionRechazada, DatosInvalidos) as exc:
        logger.info("requisito no registrado", extra={"solicitud_id": solicitud_id, "motivo": exc.mensaje})
        return False
    return True


def _nombre_seguro(nombre: str, n: int) -> str:
    limpio = re.sub(r"[^A-Za-z0-9._-]+", "_", nombre)[:100].strip("._")
    return limpio or f"adjunto-{n}"


def _resumen_documentos(remitente: str, filas: Sequence[Mapping[str, Any]]) -> str:
    if not filas:
        return f"Correo de {remitente} sin adjuntos (se avisó a los ejecutivos)."
    partes = []
    for fila in filas:
        if fila.get("descartado"):
            partes.append(f"{fila['nombre']} descartado: {fila['descartado']}")
        elif fila.get("requisito"):
            partes.append(f"{fila['nombre']} registrado como requisito «{fila['requisito']}»")
        else:
            partes.append(f"{fila['nombre']} guardado sin clasificar")
    return f"Correo de {remitente} con {len(filas)} adjunto(s): " + "; ".join(partes) + "."


def _avisar_ejecutivos(e: Entrante, solicitud: Solicitud, filas: Sequence[Mapping[str, Any]], leyenda: str) -> None:
    """The executives learn what the customer sent (documents or a question for them), once per message."""
    correo, puertos, message_id = e.correo, e.puertos, e.cmd.message_id
    recibido = {
        "de": correo.remitente,
        "asunto": correo.asunto,
        "en": e.ahora.isoformat(),
        "texto": leyenda[:2000],
        "adjuntos": list(filas),
    }
    correo_saliente.avisar_una_vez(
        "documentos_recibidos",
        contexto(solicitud, puertos, recibido=recibido),
        para=(puertos.buzones.ejecutivos,),
        solicitud_id=solicitud.id,
        reclamo=f"aviso_documentos#{message_id}",
        clave=f"documentos.{message_id}",
        idempotencia=puertos.idempotencia,
        plantillas=puertos.plantillas,
        mailer=puertos.mailer,
        salida=puertos.salida,
        repo=puertos.repo,
        ahora=e.ahora,
    )
