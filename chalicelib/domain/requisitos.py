"""Step 9: the requirements checklist as people read it (pure).

The registered requirements are ``ci`` (photo of the CI), ``ubicacion`` (installation location) and
``carta_solicitud`` (the signed request letter); each entry may carry ``documento``, the key of the stored file
(S3, documents bucket), set by the executive or by the email/WhatsApp intake. The CI number and the address come
from the basic data (step 3); the checklist shows them as their own lines.

A ``documento`` must be one of the files the system itself stored for this request (``documentos_guardados``: the
attachments its history records as stored by the WhatsApp and email intakes), so no door can point a requirement
at any other object (raw inbound mail, another request's files, another bucket).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from chalicelib.domain.events import ACCION_CAPTURA
from chalicelib.domain.model import EntradaHistorial, Solicitud

DOCUMENTO_AJENO: Final = "El documento no es uno de los archivos recibidos para esta solicitud."
"""The field error of a ``documento`` that is not a file stored for this request."""


@dataclass(frozen=True)
class ItemRequisito:
    clave: str
    etiqueta: str
    para_el_cliente: str
    registrado: bool
    """True when it is a registered requirement (``registrar_requisito``), False when it comes from the data."""


ITEMS: Final[tuple[ItemRequisito, ...]] = (
    ItemRequisito("ci_numero", "Número de CI", "Su número de cédula de identidad (CI).", registrado=False),
    ItemRequisito("ci", "Fotografía del CI", "Fotografía de su cédula de identidad (CI), de ambos lados.", True),
    ItemRequisito(
        "ubicacion",
        "Ubicación de instalación (dirección y coordenadas)",
        "Ubicación del lugar de instalación: dirección completa y su ubicación compartida desde el celular.",
        True,
    ),
    ItemRequisito(
        "carta_solicitud",
        "Carta de solicitud firmada",
        "Carta de solicitud de servicio firmada por el titular (le adjuntamos el modelo).",
        True,
    ),
)
REGISTRADOS: Final[tuple[str, ...]] = tuple(i.clave for i in ITEMS if i.registrado)


def _presente(s: Solicitud, item: ItemRequisito) -> bool:
    if item.clave == "ci_numero":
        return bool(s.datos.get("ci_huella"))
    return item.clave in s.requisitos


def checklist(s: Solicitud) -> list[dict[str, Any]]:
    """Each item with whether it is present and, for registered ones, when and with which document."""
    filas = []
    for item in ITEMS:
        entrada = s.requisitos.get(item.clave) if item.registrado else None
        filas.append(
            {
                "clave": item.clave,
                "etiqueta": item.etiqueta,
                "para_el_cliente": item.para_el_cliente,
                "presente": _presente(s, item),
                "documento": isinstance(entrada, Mapping) and bool(entrada.get("documento")),
            }
        )
    return filas


def faltantes(s: Solicitud) -> list[ItemRequisito]:
    """The items still missing, in checklist order."""
    return [item for item in ITEMS if not _presente(s, item)]


def datos_de_instalacion(s: Solicitud, _: Mapping[str, Any]) -> str | None:
    """Guard of ``completar_requisitos``: besides the registered items, the CI number and the address exist."""
    faltan = []
    if not s.datos.get("ci_huella"):
        faltan.append("número de CI")
    if not s.datos.get("direccion"):
        faltan.append("dirección de instalación")
    if faltan:
        return "Faltan datos del cliente: " + ", ".join(faltan) + " (regístrelos en los datos básicos)."
    return None


# --- Stored documents of a request ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenciaDocumento:
    """A document reference read: ``s3://<bucket>/<clave>`` or a bare key (``bucket`` None: the documents bucket)."""

    bucket: str | None
    clave: str


def leer_referencia(texto: Any) -> ReferenciaDocumento | None:
    """The bucket and key a reference names, or None when it is not an S3 reference we could ever have written
    (another scheme, spaces or control characters, an empty key, ``.``/``..`` path segments)."""
    if not isinstance(texto, str):
        return None
    texto = texto.strip()
    if texto.startswith("s3://"):
        bucket, _, clave = texto.removeprefix("s3://").partition("/")
        if not bucket:
            return None
    elif "://" in texto:
        return None
    else:
        bucket, clave = None, texto.lstrip("/")
    segmentos = clave.split("/")
    if not clave or any(s in ("", ".", "..") for s in segmentos) or any(c.isspace() or ord(c) < 32 for c in texto):
        return None
    return ReferenciaDocumento(bucket, clave)


@dataclass(frozen=True)
class DocumentosGuardados:
    """The files the system stored for one request, as its history records them."""

    claves: frozenset[str]
    """Their keys in the documents bucket."""
    buckets: frozenset[str]
    """The bucket names the system wrote in those references (the documents bucket)."""

    def contiene(self, referencia: Any, *, bucket_documentos: str | None = None) -> bool:
        """Whether ``referencia`` names one of these files in the documents bucket: its key is one of theirs and
        the bucket it names (if any) is the documents bucket (``bucket_documentos`` when known, else a bucket the
        system itself wrote in this request's references)."""
        leida = leer_referencia(referencia)
        if leida is None or leida.clave not in self.claves:
            return False
        return bucket_de_documentos(leida, self.buckets, bucket_documentos)


def bucket_de_documentos(
    referencia: ReferenciaDocumento, conocidos: frozenset[str], bucket_documentos: str | None
) -> bool:
    """Whether the bucket a reference names is the documents bucket (a bare key always is)."""
    if referencia.bucket is None:
        return True
    if bucket_documentos:
        return referencia.bucket == bucket_documentos
    return not conocidos or referencia.bucket in conocidos


def _entrada_de_recepcion(e: EntradaHistorial) -> bool:
    """History entries an intake writes about what it received and stored (never an action's typed fields)."""
    if e.tipo == "accion":
        return e.accion == ACCION_CAPTURA
    if e.tipo == "mensaje":
        return e.campos.get("verificado") is not False
    return e.tipo in ("correo_recibido", "documento_recibido")


def documentos_guardados(historial: Iterable[EntradaHistorial]) -> DocumentosGuardados:
    """The files stored for a request, from its history: ``adjuntos[].s3_key`` of the messages and captures the
    channel intakes stored in the documents bucket (WhatsApp media), ``adjuntos[].documento`` of the emails whose
    attachments the email intake stored, and ``documento`` of its "sin clasificar" entries."""
    claves: set[str] = set()
    buckets: set[str] = set()

    def agregar(valor: Any, *, solo_clave: bool) -> None:
        leida = leer_referencia(valor)
        if leida is None or (solo_clave and leida.bucket is not None):
            return
        claves.add(leida.clave)
        if leida.bucket is not None:
            buckets.add(leida.bucket)

    for entrada in historial:
        if not _entrada_de_recepcion(entrada):
            continue
        campos = entrada.campos or {}
        adjuntos = campos.get("adjuntos")
        for adjunto in adjuntos if isinstance(adjuntos, list) else []:
            if not isinstance(adjunto, Mapping):
                continue
            if entrada.tipo == "correo_recibido":
                agregar(adjunto.get("documento"), solo_clave=False)
            else:
                agregar(adjunto.get("s3_key"), solo_clave=True)
        if entrada.tipo == "documento_recibido":
            agregar(campos.get("documento"), solo_clave=False)
    return DocumentosGuardados(frozenset(claves), frozenset(buckets))


def prefijo_correo(solicitud_id: str) -> str:
    """The key prefix under which the email intake stores a request's attachments (``correo/<id>/<message>/…``)."""
    return f"correo/{solicitud_id}/"
