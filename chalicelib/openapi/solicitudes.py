"""Request/response models of the staff API, the web form and the channel webhooks (pydantic, for the OpenAPI
document and the API tests; never imported by the Lambda handlers)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.states import Accion, Estado
from chalicelib.openapi.pagos import MODELOS_PAGOS
from chalicelib.openapi.reportes import MODELOS_REPORTES
from chalicelib.openapi.venta import MODELOS_VENTA, DocumentoEnlace


class Modelo(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(Modelo):
    codigo: str = Field(description="Código estable del error, p. ej. estado_invalido, datos_invalidos.")
    mensaje: str = Field(description="Mensaje en español para la persona.")
    errores: dict[str, str] | None = Field(None, description="Mensaje por campo (422).")
    disponibles: list[str] | None = None


class Salud(Modelo):
    estado: Literal["ok"]
    servicio: str


class FormularioSolicitud(Modelo):
    """Envío del formulario web (JSON o application/x-www-form-urlencoded)."""

    nombre: str = Field(min_length=3, max_length=120)
    telefono: str = Field(description="Teléfono boliviano; se normaliza a E.164 (+591…).")
    email: str | None = None
    ciudad: str | None = None
    zona: str | None = Field(None, max_length=120)
    direccion: str | None = Field(None, max_length=250)
    tipo_cliente: Literal["residencial", "empresa"] | None = None
    servicio: Literal["internet_hogar", "internet_tv", "telefonia", "otro"] | None = None
    mensaje: str | None = Field(None, max_length=2000)
    consentimiento: bool | Literal["on"] = Field(description="Autorización expresa del prospecto (obligatoria).")
    envio_id: str | None = Field(None, description="UUID del envío: un reenvío con el mismo id no duplica.")
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    sitio_web: str | None = Field(None, description="Campo trampa: debe quedar vacío.")


class SolicitudRecibida(Modelo):
    """The one answer to an accepted web form, whatever it led to: a new request, a touchpoint on the person's open
    request, a repeated submission, a bot caught by the honeypot. ``recibo`` is this submission's receipt code (the
    new request's code, or a code of its own when it joined another request); never another request's code."""

    recibo: str
    estado: Literal["recibida"]
    mensaje: str


class OpcionCampo(Modelo):
    valor: str
    etiqueta: str


class CampoAccion(Modelo):
    nombre: str
    etiqueta: str
    tipo: Literal["texto", "texto_largo", "numero", "entero", "fecha", "opcion", "email", "telefono", "booleano", "ci"]
    requerido: bool
    opciones: list[OpcionCampo] | None = None
    minimo: float | None = None
    maximo: float | None = None
    ayuda: str | None = None


class AccionDisponible(Modelo):
    accion: Accion
    etiqueta: str
    paso: str
    campos: list[CampoAccion]
    rol: str = Field(description="Rol con el que el llamante puede aplicarla.")
    bloqueada_por: str | None = Field(None, description="Por qué una regla la rechazaría ahora.")


class EtapaVista(Modelo):
    etapa: Literal["visitado", "informado", "pre_venta", "venta"]
    etiqueta: str
    en: str


class SolicitudVista(Modelo):
    id: str
    estado: Estado
    estado_etiqueta: str
    resultado: str | None
    canal: str
    creada_en: str
    actualizada_en: str
    estado_desde: str
    mes: str
    version: int
    datos: dict[str, Any]
    tipo_cliente_sugerido: str | None
    motivo_clasificacion: str | None
    tipo_cliente: str | None
    info_cualitativa: dict[str, Any]
    cobertura: dict[str, Any] | None
    capacidad: dict[str, Any] | None
    oferta: dict[str, Any] | None
    requisitos: dict[str, Any]
    digitacion: dict[str, Any] | None
    modalidad_pago: str | None
    pago: dict[str, Any] | None
    factura: dict[str, Any] | None
    control_facturacion: dict[str, Any] | None
    etapas: list[EtapaVista]
    motivo_cierre: str | None
    anulacion: dict[str, Any] | None
    redigitacion_de: str | None
    redigitada_como: str | None
    origen: dict[str, Any]
    contactos: list[dict[str, Any]] = Field(
        description="Puntos de contacto del prospecto (canal, tipo, referencia, en), del más antiguo al más nuevo."
    )
    ejecutivo: str | None
    primera_respuesta_en: str | None
    primera_respuesta_minutos: float | None
    escalada_en: str | None


class EntradaHistorialVista(Modelo):
    solicitud_id: str
    id: str
    en: str
    tipo: str = Field(description="accion | correo | escalamiento")
    resumen: str
    actor: str
    rol: str
    canal: str
    accion: str | None
    de: str | None
    a: str | None
    de_etiqueta: str | None
    a_etiqueta: str | None
    campos: dict[str, Any]
    nota: str


class DetalleSolicitud(Modelo):
    solicitud: SolicitudVista
    historial: list[EntradaHistorialVista]
    acciones_disponibles: list[AccionDisponible]
    documentos: list[DocumentoEnlace] = Field(
        default_factory=list, description="Documentos guardados, como enlaces prefirmados de a lo sumo 300 s."
    )


class ResumenSolicitud(Modelo):
    id: str
    estado: Estado
    estado_etiqueta: str
    canal: str
    creada_en: str
    estado_desde: str
    version: int
    tipo_cliente: str | None
    tipo_cliente_sugerido: str | None
    primera_respuesta_en: str | None
    escalada_en: str | None
    nombre: str
    telefono: str | None


class ListaSolicitudes(Modelo):
    solicitudes: list[ResumenSolicitud]
    siguiente: str | None = Field(description="Cursor de la página siguiente (parámetro cursor).")


class AplicarAccionPeticion(Modelo):
    accion: Accion
    campos: dict[str, Any] = Field(default_factory=dict, description="Campos de la acción (ver acciones_disponibles).")
    version: int | None = Field(None, description="Versión leída; si cambió, 409 y no se aplica nada.")
    nota: str = Field("", max_length=2000)


class AccionAplicadaRespuesta(Modelo):
    solicitud: SolicitudVista
    acciones_disponibles: list[AccionDisponible]


class WebhookRecibido(Modelo):
    recibido: Literal[True]
    items: int = Field(description="Mensajes, leads o estados que trae la entrega.")
    nuevos: int = Field(description="Cuántos se registraron ahora (una reentrega registra 0).")


class WebhookMeta(BaseModel):
    """Notificación de Meta: objeto page (Lead Ads leadgen, Messenger) o whatsapp_business_account."""

    model_config = ConfigDict(extra="allow")
    object: str = Field(description="page | whatsapp_business_account; otros se aceptan y se ignoran.")
    entry: list[dict[str, Any]] = Field(description="Hasta 1000 cambios por entrega, en changes[] o messaging[].")


class WebhookBotmaker(BaseModel):
    """Notificación de Botmaker (formato v1.1): un contacto y sus mensajes."""

    model_config = ConfigDict(extra="allow")
    type: str = Field("message", description="Solo message se procesa.")
    chatPlatform: str | None = Field(None, description="whatsapp | webchat | messenger | telegram | twitter")
    contactId: str | None = Field(None, description="El teléfono en WhatsApp; el id del usuario en otras plataformas.")
    messages: list[dict[str, Any]] = Field(default_factory=list, description="Cada uno con _id, date, message.")


MODELOS: tuple[type[BaseModel], ...] = (
    Error,
    Salud,
    FormularioSolicitud,
    SolicitudRecibida,
    DetalleSolicitud,
    ListaSolicitudes,
    AplicarAccionPeticion,
    AccionAplicadaRespuesta,
    *MODELOS_REPORTES,
    *MODELOS_PAGOS,
    *MODELOS_VENTA,
    WebhookRecibido,
    WebhookMeta,
    WebhookBotmaker,
)
