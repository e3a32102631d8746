"""The Solicitud aggregate and its value objects (pure Python)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final


class Rol(StrEnum):
    """Staff roles of the procedure, plus the system itself."""

    EJ = "EJ"  # Ejecutivo de Ventas Digitales
    HD = "HD"  # Help Desk (Equipo de Atención de Incidentes)
    CO = "CO"  # Encargado de Cobranzas
    CA = "CA"  # Cajero
    FA = "FA"  # División Facturación
    RC = "RC"  # Responsable Equipo Canales / Ventas Digitales
    JD = "JD"  # Jefe División Ventas
    SISTEMA = "SISTEMA"

    @property
    def etiqueta(self) -> str:
        return _ETIQUETA_ROL[self]


_ETIQUETA_ROL = {
    Rol.EJ: "Ejecutivo de Ventas Digitales",
    Rol.HD: "Help Desk",
    Rol.CO: "Encargado de Cobranzas",
    Rol.CA: "Cajero",
    Rol.FA: "División Facturación",
    Rol.RC: "Responsable de Canales Digitales",
    Rol.JD: "Jefe de División Ventas",
    Rol.SISTEMA: "Sistema",
}


class Etapa(StrEnum):
    """Step 24: the sale's stage chronology, in order."""

    VISITADO = "visitado"
    INFORMADO = "informado"
    PRE_VENTA = "pre_venta"
    VENTA = "venta"

    @property
    def orden(self) -> int:
        return list(Etapa).index(self)

    @property
    def etiqueta(self) -> str:
        return {"visitado": "Visitado", "informado": "Informado", "pre_venta": "Pre Venta", "venta": "Venta"}[
            self.value
        ]


class Canal(StrEnum):
    """Where a prospect came from."""

    WEB = "web"
    FACEBOOK = "facebook"
    MESSENGER = "messenger"
    WHATSAPP = "whatsapp"
    BOTMAKER = "botmaker"
    OTRO = "otro"
    REDIGITACION = "redigitacion"


@dataclass(frozen=True)
class NombreCanal:
    """How people read a channel's name."""

    etiqueta: str
    """As a label: report tables, email templates, the console (``Chatbot (Botmaker)``)."""
    frase: str | None = None
    """Inside a sentence, after "por" or "de" (``Nuevo contacto por el chatbot (Botmaker)``); None: not said so."""
    breve: str | None = None
    """In the notes of the customer's conversation (``Respuesta por el chatbot``); None: the ``frase``."""


NOMBRE_CANAL: Final[Mapping[Canal, NombreCanal]] = {
    Canal.WEB: NombreCanal("Formulario web", "el formulario web"),
    Canal.FACEBOOK: NombreCanal("Facebook Lead Ads", "Facebook (Lead Ads)"),
    Canal.MESSENGER: NombreCanal("Messenger", "Messenger"),
    Canal.WHATSAPP: NombreCanal("WhatsApp", "WhatsApp"),
    Canal.BOTMAKER: NombreCanal("Chatbot (Botmaker)", "el chatbot (Botmaker)", "el chatbot"),
    Canal.OTRO: NombreCanal("Otro"),
    Canal.REDIGITACION: NombreCanal("Redigitación"),
}
"""The one table of the channels' Spanish names; the mappings below are read from it."""

ETIQUETA_CANAL: Final[Mapping[str, str]] = {c.value: n.etiqueta for c, n in NOMBRE_CANAL.items()}
"""Channel -> its label (``WhatsApp``, ``Formulario web``)."""

FRASE_CANAL: Final[Mapping[str, str]] = {c.value: n.frase for c, n in NOMBRE_CANAL.items() if n.frase}
"""Channel -> its name inside a sentence (``por WhatsApp``, ``por el formulario web``); only the channels said so."""

FRASE_BREVE_CANAL: Final[Mapping[str, str]] = {c.value: n.breve or n.frase for c, n in NOMBRE_CANAL.items() if n.frase}
"""Channel -> its name in the notes of the customer's conversation (``por el chatbot``)."""


@dataclass(frozen=True)
class Cambio:
    """One applied action: the history entry the procedure keeps (who, when, from -> to, what changed)."""

    id: str
    solicitud_id: str
    en: str
    actor: str
    rol: str
    canal: str
    accion: str
    de: str
    a: str
    campos: dict[str, Any] = field(default_factory=dict)
    nota: str = ""


@dataclass(frozen=True)
class EntradaHistorial:
    """A history line: an applied action (tipo ``accion``) or a fact such as an email sent (``correo``)."""

    solicitud_id: str
    id: str
    en: str
    tipo: str
    resumen: str
    actor: str = "sistema"
    rol: str = "SISTEMA"
    canal: str = "sistema"
    accion: str | None = None
    de: str | None = None
    a: str | None = None
    campos: dict[str, Any] = field(default_factory=dict)
    nota: str = ""

    @classmethod
    def de_cambio(cls, cambio: Cambio, resumen: str) -> EntradaHistorial:
        return cls(
            solicitud_id=cambio.solicitud_id,
            id=cambio.id,
            en=cambio.en,
            tipo="accion",
            resumen=resumen,
            actor=cambio.actor,
            rol=cambio.rol,
            canal=cambio.canal,
            accion=cambio.accion,
            de=cambio.de,
            a=cambio.a,
            campos=dict(cambio.campos),
            nota=cambio.nota,
        )


@dataclass(frozen=True)
class Solicitud:
    """A prospect's request, from first contact to a closed, invoiced sale."""

    id: str
    estado: str
    canal: str
    creada_en: str
    actualizada_en: str
    estado_desde: str
    mes: str
    version: int = 0
    datos: dict[str, Any] = field(default_factory=dict)
    tipo_cliente_sugerido: str | None = None
    motivo_clasificacion: str | None = None
    tipo_cliente: str | None = None
    info_cualitativa: dict[str, Any] = field(default_factory=dict)
    cobertura: dict[str, Any] | None = None
    capacidad: dict[str, Any] | None = None
    oferta: dict[str, Any] | None = None
    requisitos: dict[str, Any] = field(default_factory=dict)
    digitacion: dict[str, Any] | None = None
    modalidad_pago: str | None = None
    pago: dict[str, Any] | None = None
    factura: dict[str, Any] | None = None
    control_facturacion: dict[str, Any] | None = None
    etapas: dict[str, str] = field(default_factory=dict)
    motivo_cierre: str | None = None
    anulacion: dict[str, Any] | None = None
    redigitacion_de: str | None = None
    redigitada_como: str | None = None
    origen: dict[str, Any] = field(default_factory=dict)
    ejecutivo: str | None = None
    primera_respuesta_en: str | None = None
    escalada_en: str | None = None
    ultimo_cambio: Cambio | None = None
    contactos: list[dict[str, Any]] = field(default_factory=list)
    """Touchpoints: every channel contact merged into this request ({canal, tipo, referencia, en}), oldest first.
    Written at capture and appended by the channel merge, never by an action (outside the version)."""

    @property
    def etapa_actual(self) -> Etapa | None:
        alcanzadas = [Etapa(e) for e in self.etapas]
        return max(alcanzadas, key=lambda e: e.orden) if alcanzadas else None

    @property
    def nombre(self) -> str:
        return str(self.datos.get("nombre") or "")

    @property
    def email(self) -> str | None:
        valor = self.datos.get("email")
        return str(valor) if valor else None


class EstadoEntrante(StrEnum):
    """Processing state of one inbound webhook item (table ``entrantes``)."""

    PENDIENTE = "pendiente"
    PROCESADO = "procesado"
    FALLIDO = "fallido"
    IGNORADO = "ignorado"


class TipoEntrante(StrEnum):
    """What one inbound webhook item is."""

    LEAD = "lead"  # a Facebook Lead Ads leadgen change (ids only; the answers are fetched from Graph)
    MENSAJE = "mensaje"  # a Messenger, WhatsApp or Botmaker message from the prospect
    ESTADO = "estado"  # a WhatsApp delivery status of a message sent by us
    OTRO = "otro"  # a known envelope with content we do not process (recorded as ignorado)
    ENTREGA = "entrega"  # a whole verified delivery, as it came; split into the items above on the stream
    FORMULARIO = "formulario"  # a validated web form submission, answered with its receipt, captured on the stream


@dataclass(frozen=True)
class Entrante:
    """One message, lead or status of a webhook delivery, stored before any processing ("answer fast, enrich
    later"). ``clave`` = ``f"{canal}#{external_id}"`` makes a redelivery a no-op. A whole delivery is an
    ``Entrante`` too (tipo ``entrega``, clave ``entrega#<door>#<sha256 of the body>``), its raw body kept apart."""

    clave: str
    canal: str
    tipo: str
    payload: dict[str, Any]
    recibido_en: str
    s3_key: str = ""
    estado: str = EstadoEntrante.PENDIENTE.value
    intentos: int = 0
    error: str | None = None
    solicitud_id: str | None = None

    @property
    def referencia(self) -> str:
        """The channel's own id of the item (the part of ``clave`` after the channel)."""
        return self.clave.split("#", 1)[1]


@dataclass(frozen=True)
class Buzones:
    """Mailbox of each role and team (who receives which email)."""

    remitente: str
    ejecutivos: str
    help_desk: str
    cobranzas: str
    cajas: str
    facturacion: str
    responsable_canales: str
    jefe_division: str
    empresas: str

    def como_dict(self) -> dict[str, str]:
        return dict(self.__dict__)
