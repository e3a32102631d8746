"""Documents of the sale: the PDFs attached to emails and served to staff, and links to stored documents.

- PDFs (``GeneradorPdf``): Carta Comercial (step 8), model request letter (step 9), Solicitud Contrato de
  Servicios (steps 21-23, with the full CI decrypted only to render it), demonstration invoice (step 14).
- Stored documents (CI photos, signed letters, channel attachments) are only ever shown as presigned links of at
  most 300 seconds, generated when the request is read (``Documentos``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, Final

from chalicelib.domain.errors import EstadoInvalido, RolNoAutorizado
from chalicelib.domain.model import EntradaHistorial, Rol, Solicitud
from chalicelib.domain.ports import Adjunto, Clock, Documentos, GeneradorPdf, ProtectorDatos, SolicitudRepository
from chalicelib.domain.requisitos import ITEMS, leer_referencia
from chalicelib.services.vistas import vista_solicitud

logger = logging.getLogger(__name__)

PDF: Final = "application/pdf"
SEGUNDOS_ENLACE: Final = 300
ROLES_CONTRATO: Final = frozenset({Rol.EJ, Rol.RC})
_ETIQUETA_REQUISITO: Final = {i.clave: i.etiqueta for i in ITEMS}


def _archivo(prefijo: str, referencia: str) -> str:
    return f"{prefijo}_{re.sub(r'[^A-Za-z0-9-]+', '_', referencia).strip('_')}.pdf"


def _vista(s: Solicitud, en: str) -> dict[str, Any]:
    return {**vista_solicitud(s), "emitida_en": en}


def _ci_claro(s: Solicitud, protector: ProtectorDatos | None) -> str:
    """The full CI for the contract form (decrypted here, never logged); the masked one if it cannot be."""
    cifrado = s.datos.get("ci_cifrado")
    if protector is not None and cifrado:
        return protector.revelar_ci(str(cifrado))
    return str(s.datos.get("ci") or "")


# --- PDF attachments of the reactions (built from the change's moment, so a resend is identical) ---


def carta_comercial(s: Solicitud, en: str, pdf: GeneradorPdf, _: ProtectorDatos | None) -> list[Adjunto]:
    """The Carta Comercial of the offer just sent."""
    return [Adjunto(_archivo("Carta_Comercial", s.id), PDF, pdf.carta_comercial(_vista(s, en)))]


def carta_solicitud(s: Solicitud, en: str, pdf: GeneradorPdf, _: ProtectorDatos | None) -> list[Adjunto]:
    """The model request letter the customer prints, signs and sends back."""
    return [Adjunto(_archivo("Carta_de_Solicitud", s.id), PDF, pdf.carta_solicitud(_vista(s, en)))]


def contrato(s: Solicitud, en: str, pdf: GeneradorPdf, protector: ProtectorDatos | None) -> list[Adjunto]:
    """The Solicitud Contrato de Servicios of a sale registered in Smartflex."""
    numero = str((s.digitacion or {}).get("numero_contrato") or s.id)
    contenido = pdf.contrato(_vista(s, en), _ci_claro(s, protector))
    return [Adjunto(_archivo("Solicitud_Contrato", numero), PDF, contenido)]


def factura(s: Solicitud, en: str, pdf: GeneradorPdf, _: ProtectorDatos | None) -> list[Adjunto]:
    """The demonstration invoice of the recorded invoice (real invoices come from Smartflex)."""
    if not s.factura:
        return []
    numero = str(s.factura.get("numero") or s.id)
    return [Adjunto(_archivo("Factura", numero), PDF, pdf.factura(_vista(s, en)))]


# --- Staff downloads ---


def contrato_pdf(
    solicitud_id: str,
    roles: Iterable[Rol],
    *,
    repo: SolicitudRepository,
    pdf: GeneradorPdf,
    protector: ProtectorDatos,
    clock: Clock,
) -> Adjunto:
    """The printable Solicitud Contrato de Servicios, for executives and the team lead, once the sale is
    registered in Smartflex."""
    if not ROLES_CONTRATO & set(roles):
        raise RolNoAutorizado(
            "La Solicitud Contrato de Servicios corresponde a: Ejecutivo de Ventas Digitales, "
            "Responsable de Canales Digitales."
        )
    s = repo.obtener(solicitud_id)
    if not (s.digitacion or {}).get("numero_contrato"):
        raise EstadoInvalido(
            "La venta aún no está registrada en Smartflex: la Solicitud Contrato de Servicios se imprime después "
            "de digitarla (pasos 21-23)."
        )
    (adjunto,) = contrato(s, clock.ahora().isoformat(), pdf, protector)
    logger.info("contrato generado", extra={"solicitud_id": s.id})
    return adjunto


def enlaces_documentos(
    s: Solicitud, historial: Iterable[EntradaHistorial], *, documentos: Documentos, clock: Clock
) -> list[dict[str, Any]]:
    """Every stored document the request points to (requirements, then attachments of received messages), each
    as a presigned link valid ``SEGUNDOS_ENLACE`` seconds from now; references that are not ours get no link: the
    ``Documentos`` adapter signs only the documents bucket (never the raw inbound mail or webhook deliveries), and a
    requirement's reference was accepted only if it named a file stored for this request
    (``solicitudes.aplicar``, ``domain.requisitos.documentos_guardados``)."""
    expira_en = (clock.ahora() + timedelta(seconds=SEGUNDOS_ENLACE)).isoformat()
    vistos: set[str] = set()
    enlaces: list[dict[str, Any]] = []

    def agregar(referencia: Any, nombre: str, origen: str, requisito: str | None = None) -> None:
        if not isinstance(referencia, str) or not referencia.strip():
            return
        leida = leer_referencia(referencia)
        mismo = leida.clave if leida is not None else referencia  # a file once, whether named by key or s3:// URI
        if mismo in vistos:
            return
        url = documentos.enlace(referencia, SEGUNDOS_ENLACE)
        if url is None:
            return
        vistos.add(mismo)
        enlaces.append(
            {
                "origen": origen,
                "requisito": requisito,
                "nombre": nombre or referencia.rsplit("/", 1)[-1],
                "url": url,
                "expira_en": expira_en,
            }
        )

    for clave, entrada in s.requisitos.items():
        if isinstance(entrada, Mapping):
            agregar(entrada.get("documento"), _ETIQUETA_REQUISITO.get(clave, clave), "requisito", clave)
    for linea in historial:
        for adjunto in linea.campos.get("adjuntos", []) or []:
            if isinstance(adjunto, Mapping):
                referencia = adjunto.get("referencia") or adjunto.get("s3") or adjunto.get("s3_key")
                agregar(referencia, str(adjunto.get("nombre") or ""), "adjunto")
            else:
                agregar(adjunto, "", "adjunto")
    return enlaces
