"""Composition root: builds every adapter once, lazily, and hands services their ports.

Tests call ``override(...)`` with fakes; nothing creates an AWS client at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from chalicelib.config import Settings, get_settings
from chalicelib.domain.commands import (
    AplicarAccion,
    CapturarSolicitud,
    EnviarInformeMensual,
    RecibirCorreo,
    RecibirWebhook,
    RegistrarNotificacionCorreo,
)
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.mensajeria import Documento
from chalicelib.domain.model import EntradaHistorial, Entrante, Rol, Solicitud
from chalicelib.domain.pagos import CorreoBanco, RecibirCallbackPago, ReglaBanco
from chalicelib.domain.pendientes import ColaPendiente, EnvioProgramado
from chalicelib.domain.ports import (
    Adjunto,
    Agregados,
    Almacen,
    Aprobaciones,
    BuzonEntrante,
    Calendario,
    CatalogoPlanes,
    Clock,
    Cobertura,
    DespachoInformes,
    DirectorioPersonal,
    Documentos,
    EntranteRepository,
    FirmaEnlaces,
    GeneradorPdf,
    Graficos,
    GraficosTablero,
    GraphApi,
    HojasCalculo,
    Idempotencia,
    IdGenerator,
    Limites,
    Mailer,
    MensajeriaCanal,
    Pagina,
    Pendientes,
    ProtectorDatos,
    Salientes,
    SesionesConsola,
    Smartflex,
    SolicitudRepository,
    Supresiones,
    TokensRespuesta,
    TransporteCorreo,
)
from chalicelib.services import (
    bancos,
    canales,
    consola,
    conversaciones,
    correo_entrante,
    correo_saliente,
    enlaces,
    formulario,
    mensajeria,
    pagos,
    reacciones,
    recordatorios,
    reportes,
    seguimiento_hd,
    solicitudes,
    tablero,
    trabajos,
    webhooks,
)
from chalicelib.services import documentos as documentos_venta
from chalicelib.services import pendientes as pendientes_servicio
from chalicelib.services import smartflex as smartflex_servicio
from chalicelib.services.pagos import ConfigPagos

T = TypeVar("T")


def puerto(construir: Callable[[Services], T]) -> cached_property[T]:
    """A port of the composition root: the test override of the same name if given, else built once, lazily."""
    nombre = construir.__name__

    def obtener(self: Services) -> T:
        reemplazo = self.overrides.get(nombre)
        return reemplazo if reemplazo else construir(self)

    obtener.__name__ = nombre
    obtener.__doc__ = construir.__doc__
    return cached_property(obtener)


@dataclass
class Services:
    """Every port the app needs; any of them can be replaced (tests pass fakes through ``overrides``)."""

    settings: Settings
    overrides: dict[str, Any] = field(default_factory=dict)

    def _o(self, nombre: str) -> Any:
        return self.overrides.get(nombre)

    @puerto
    def repo(self) -> SolicitudRepository:
        from chalicelib.adapters.dynamo_solicitudes import PynamoSolicitudRepository

        return PynamoSolicitudRepository(self.settings)

    @puerto
    def idempotencia(self) -> Idempotencia:
        from chalicelib.adapters.dynamo_idempotencia import PynamoIdempotencia
        from chalicelib.services.una_vez import entrega_actual

        return PynamoIdempotencia(self.settings, entrega_actual=entrega_actual)

    @puerto
    def pendientes(self) -> Pendientes:
        """Each request's queue of sends waiting for their provider (claves table, index ``por_fila``)."""
        from chalicelib.adapters.dynamo_pendientes import PynamoPendientes

        return PynamoPendientes(self.settings)

    @puerto
    def agregados(self) -> Agregados:
        """The dashboard's aggregate counters (claves table, ``tablero#…``)."""
        from chalicelib.adapters.dynamo_tablero import PynamoAgregados

        return PynamoAgregados(self.settings)

    @puerto
    def limites(self) -> Limites:
        """Counters of the public doors' limits (claves table, atomic ADD, TTL)."""
        from chalicelib.adapters.dynamo_limites import PynamoLimites

        return PynamoLimites(self.settings)

    @cached_property
    def mailer(self) -> Mailer:
        """The one mailer every service sends through: the provider (SES; the test override ``mailer`` replaces
        only the provider) behind the suppression list, so no send can bypass bounces and complaints."""
        return correo_saliente.MailerConSupresion(self._transporte_correo, self.supresiones)

    @cached_property
    def _transporte_correo(self) -> TransporteCorreo:
        reemplazo: TransporteCorreo | None = self._o("mailer")
        if reemplazo:
            return reemplazo
        from chalicelib.adapters.ses_mailer import SesMailer

        return SesMailer(
            remitente=self.settings.buzones.remitente,
            region=self.settings.region,
            configuracion=self.settings.configuracion_ses,
        )

    @puerto
    def plantillas(self) -> Any:
        from chalicelib.adapters.rendering import JinjaPlantillas

        return JinjaPlantillas()

    @puerto
    def clock(self) -> Clock:
        from chalicelib.adapters.sistema import RelojLaPaz

        return RelojLaPaz()

    @puerto
    def ids(self) -> IdGenerator:
        from chalicelib.adapters.sistema import GeneradorIds

        return GeneradorIds()

    @puerto
    def protector(self) -> ProtectorDatos:
        from chalicelib.adapters.kms_protector import KmsProtectorDatos

        return KmsProtectorDatos(
            kms_key_id=self.settings.kms_key_id, pepper=self.secretos.valor("pepper_ci"), region=self.settings.region
        )

    @puerto
    def secretos(self) -> Any:
        """Secrets (``adapters/secretos.py``): SSM SecureString under ``VD_SSM_PREFIX`` in AWS, env vars locally."""
        from chalicelib.adapters.secretos import SecretosLocales, SecretosSsm

        if self.settings.es_local:
            return SecretosLocales(self.settings.secretos_locales)
        return SecretosSsm(self.settings.ssm_prefijo, region=self.settings.region)

    @puerto
    def cobertura(self) -> Cobertura:
        from chalicelib.adapters.cobertura_geojson import GeoJsonCobertura

        return GeoJsonCobertura()

    @puerto
    def smartflex(self) -> Smartflex:
        from chalicelib.adapters.smartflex_local import SmartflexLocal

        return SmartflexLocal(self.settings)

    @puerto
    def catalogo(self) -> CatalogoPlanes:
        from chalicelib.adapters.catalogo_json import JsonCatalogoPlanes

        return JsonCatalogoPlanes()

    @puerto
    def presignador(self) -> Documentos:
        """Presigned links (at most 300 s) to stored documents; never public URLs."""
        from chalicelib.adapters.s3_documentos import S3Documentos

        s = self.settings
        return S3Documentos(bucket_documentos=s.bucket_documentos, region=s.region)

    @puerto
    def pdf(self) -> GeneradorPdf:
        from chalicelib.adapters.pdf import Fpdf2GeneradorPdf

        return Fpdf2GeneradorPdf()

    @puerto
    def calendario(self) -> Calendario:
        from chalicelib.adapters.calendario import CalendarioLaboral

        return CalendarioLaboral()

    @puerto
    def verificador(self) -> Any:
        from chalicelib.adapters.auth import VerificadorCognito, VerificadorLocal

        if self.settings.es_local:
            return VerificadorLocal(self.settings.clave_local)
        return VerificadorCognito(issuer=self.settings.cognito_issuer, client_id=self.settings.cognito_client_id)

    @puerto
    def directorio(self) -> DirectorioPersonal:
        """The staff who may sign in: one per role with the role mailboxes locally, the user pool's role groups
        in AWS (pool id and region from ``VD_COGNITO_ISSUER``, ``https://cognito-idp.<region>.amazonaws.com/<id>``)."""
        from urllib.parse import urlsplit

        from chalicelib.adapters.directorio import DirectorioCognito, DirectorioLocal

        if self.settings.es_local:
            return DirectorioLocal(self.settings.buzones)
        emisor = urlsplit(self.settings.cognito_issuer)
        anfitrion = (emisor.hostname or "").split(".")
        region = anfitrion[1] if len(anfitrion) > 2 and anfitrion[0] == "cognito-idp" else self.settings.region
        return DirectorioCognito(user_pool_id=emisor.path.strip("/"), region=region)

    @puerto
    def entrantes(self) -> EntranteRepository:
        from chalicelib.adapters.dynamo_entrantes import PynamoEntrantes

        return PynamoEntrantes(self.settings, crudos=self.crudos)

    @puerto
    def salientes(self) -> Salientes:
        from chalicelib.adapters.dynamo_entrantes import PynamoSalientes

        return PynamoSalientes(self.settings)

    @puerto
    def crudos(self) -> Almacen:
        """Raw inbound payloads (bucket ``entrantes``)."""
        from chalicelib.adapters.s3_almacen import S3Almacen

        s = self.settings
        return S3Almacen(bucket=s.bucket_entrantes, kms_key_id=s.kms_key_id, region=s.region)

    @puerto
    def documentos(self) -> Almacen:
        """Customer documents and channel attachments (bucket ``documentos``)."""
        from chalicelib.adapters.s3_almacen import S3Almacen

        s = self.settings
        return S3Almacen(bucket=s.bucket_documentos, kms_key_id=s.kms_key_id, region=s.region)

    @puerto
    def graph(self) -> GraphApi:
        from chalicelib.adapters.meta_graph import GraphMeta

        return GraphMeta(base_url=self.settings.graph_url, token=self.secretos.valor("graph_token"))

    @puerto
    def mensajeros(self) -> dict[str, MensajeriaCanal]:
        """One send adapter per customer channel; tokens from the secrets port (``whatsapp_token``,
        ``messenger_token``, ``botmaker_api_token``)."""
        from chalicelib.adapters.mensajeria_botmaker import BotmakerApi
        from chalicelib.adapters.mensajeria_meta import MessengerSend, WhatsAppCloud

        s = self.settings
        return {
            "whatsapp": WhatsAppCloud(base_url=s.graph_url, token=self.secretos.valor("whatsapp_token")),
            "messenger": MessengerSend(base_url=s.graph_url, token=self.secretos.valor("messenger_token")),
            "botmaker": BotmakerApi(
                base_url=s.botmaker_url, token=self.secretos.valor("botmaker_api_token"), publicar=self._publicar
            ),
        }

    def _publicar(self, documento: Documento) -> str:
        """A short-lived link to a document for providers that take media only by URL (Botmaker)."""
        import hashlib

        huella = hashlib.sha256(documento.contenido).hexdigest()[:32]
        clave = self.documentos.guardar(f"mensajes/{huella}/{documento.nombre}", documento.contenido, documento.tipo)
        enlace = self.presignador.enlace(clave, 300)
        if enlace is None:
            raise RuntimeError("no presigned link for an outbound document")
        return enlace

    @cached_property
    def _puertos_mensajeria(self) -> mensajeria.PuertosMensajeria:
        return mensajeria.PuertosMensajeria(
            repo=self.repo,
            idempotencia=self.idempotencia,
            plantillas=self.plantillas,
            canales=self.mensajeros,
            salientes=self.salientes,
            bajas=self.supresiones,
            clock=self.clock,
            mailer=self.mailer,
            salida=self._salida_correo,
            buzones=self.settings.buzones,
            url_publica=self.settings.url_publica,
        )

    def escribir_al_cliente(
        self, solicitud_id: str, texto: str, *, actor: str, nombre_actor: str, referencia: str
    ) -> mensajeria.ResultadoMensaje:
        """The executive's message from the console to the customer's channel (``services.mensajeria.escribir``)."""
        return mensajeria.escribir(
            solicitud_id,
            texto,
            actor=actor,
            nombre_actor=nombre_actor,
            referencia=referencia,
            puertos=self._puertos_mensajeria,
        )

    @cached_property
    def normalizadores(self) -> Any:
        from chalicelib.adapters.contacto import NORMALIZADORES

        return NORMALIZADORES

    # --- use cases, bound to their ports ---

    @cached_property
    def _puertos(self) -> solicitudes.Puertos:
        return solicitudes.Puertos(
            repo=self.repo,
            clock=self.clock,
            ids=self.ids,
            protector=self.protector,
            cobertura=self.cobertura,
            smartflex=self.smartflex,
            normalizadores=self.normalizadores,
            catalogo=self.catalogo,
            bucket_documentos=self.settings.bucket_documentos,
        )

    def capturar(self, cmd: CapturarSolicitud) -> Solicitud:
        return solicitudes.capturar(cmd, puertos=self._puertos)

    def recibir_contacto(self, cmd: CapturarSolicitud) -> canales.Recepcion:
        return canales.recibir_contacto(cmd, puertos=self._puertos)

    def recibir_webhook(self, cmd: RecibirWebhook) -> webhooks.ResultadoWebhook:
        return webhooks.recibir(cmd, puertos=self._puertos_webhook())

    def _puertos_webhook(self) -> webhooks.PuertosWebhook:
        return webhooks.PuertosWebhook(entrantes=self.entrantes, crudos=self.crudos, clock=self.clock)

    def procesar_entrante(self, clave: str) -> str:
        """One INSERT of the entrantes stream: a whole delivery is split into items; an item is processed."""
        if webhooks.es_entrega(clave):
            return webhooks.dividir(clave, puertos=self._puertos_webhook())
        puertos = canales.PuertosCanales(
            solicitudes=self._puertos,
            entrantes=self.entrantes,
            graph=self.graph,
            documentos=self.documentos,
            salientes=self.salientes,
            mensajeria=self._puertos_mensajeria,
            conversacion=conversaciones.PuertosConversacion(
                solicitudes=self._puertos,
                bajas=self.supresiones,
                idempotencia=self.idempotencia,
                mailer=self.mailer,
                plantillas=self.plantillas,
                salida=self._salida_correo,
                buzones=self.settings.buzones,
                url_publica=self.settings.url_publica,
                bucket_documentos=self.settings.bucket_documentos,
            ),
            formulario=self.capturar_envio_web,
        )
        return canales.procesar_entrante(clave, puertos=puertos)

    def registrar_envio_web(self, cmd: CapturarSolicitud) -> str:
        puertos = formulario.PuertosPuerta(entrantes=self.entrantes, clock=self.clock, ids=self.ids)
        return formulario.registrar_envio(cmd, puertos=puertos)

    def capturar_envio_web(self, envio: Entrante) -> canales.Recepcion:
        s = self.settings
        puertos = formulario.PuertosFormulario(
            recibir_contacto=self.recibir_contacto,
            repo=self.repo,
            limites=self.limites,
            clock=self.clock,
            acuses_por_direccion_dia=s.acuses_por_direccion_dia,
            acuses_por_telefono_dia=s.acuses_por_telefono_dia,
        )
        return formulario.capturar_envio(envio, puertos=puertos)

    def entrante_desde_registro(self, registro: dict[str, Any]) -> Entrante | None:
        """The item an entrantes stream INSERT carries (MODIFYs are the processing outcome: nothing to do)."""
        if registro.get("eventName") != "INSERT":
            return None
        imagen = (registro.get("dynamodb") or {}).get("NewImage")
        if not imagen:
            return None
        from chalicelib.adapters.dynamo_entrantes import entrante_desde_imagen

        return entrante_desde_imagen(imagen)

    def aplicar(self, cmd: AplicarAccion) -> Solicitud:
        """A staff door's action (API, console): applied, or waiting for Smartflex (``AccionEnCola``)."""
        return pendientes_servicio.aplicar_o_encolar(cmd, puertos=self._puertos_pendientes)

    def obtener(self, solicitud_id: str) -> tuple[Solicitud, list[EntradaHistorial]]:
        return solicitudes.obtener(solicitud_id, repo=self.repo)

    def listar(self, **filtros: Any) -> Pagina:
        if not filtros.get("estado") and not filtros.get("mes"):
            filtros["mes"] = self.clock.ahora().strftime("%Y-%m")
        return solicitudes.listar(repo=self.repo, **filtros)

    def solicitud_desde_registro(self, registro: dict[str, Any]) -> Solicitud | None:
        """The request a state-change stream record carries (its new image), or None (a removal)."""
        from chalicelib.adapters.dynamo_solicitudes import solicitud_desde_imagen

        imagen = (registro.get("dynamodb") or {}).get("NewImage")
        return solicitud_desde_imagen(imagen) if imagen else None

    def contar_en_tablero(self, solicitud: Solicitud) -> bool:
        """The change of ``solicitud`` in the dashboard's aggregates, once (``services.tablero``)."""
        return tablero.contar(solicitud, agregados=self.agregados)

    @puerto
    def graficos_tablero(self) -> GraficosTablero:
        """The dashboard's SVG charts (pygal, imported only when the page is drawn)."""
        from chalicelib.adapters.graficos_svg import GraficosTablero as GraficosSvg

        return GraficosSvg()

    @property
    def _puertos_tablero(self) -> tablero.PuertosTablero:
        return tablero.PuertosTablero(
            agregados=self.agregados,
            clock=self.clock,
            graficos=self.graficos_tablero,
            calendario=self.calendario,
            dias_de_control=self.settings.dias_aviso_proyeccion,
        )

    def avisar_proyeccion(self, *, forzar: bool = False) -> dict[str, Any]:
        """Today's checkpoint of the projection's early warning (``services.aviso_proyeccion``)."""
        from chalicelib.services import aviso_proyeccion

        puertos = aviso_proyeccion.PuertosAvisoProyeccion(
            reportes=self._puertos_reportes,
            agregados=self.agregados,
            dias_de_control=self.settings.dias_aviso_proyeccion,
        )
        return aviso_proyeccion.avisar_proyeccion(forzar=forzar, puertos=puertos)

    def tablero_del_mes(self, mes: str | None, canal: str | None, roles: Any) -> dict[str, Any]:
        """The live dashboard of a month (``/consola/tablero``, RC and JD)."""
        return tablero.panel(mes, canal, roles, puertos=self._puertos_tablero)

    def verificar_tablero(self, mes: str, roles: Any, *, corregir: bool = False) -> tablero.Comparacion:
        """The month's aggregates against the requests (RC, JD); ``corregir`` overwrites what differs."""
        reportes.autorizar(roles)
        solicitudes = {s.id: s for s in self.repo.del_mes(mes).solicitudes}
        solicitudes.update({s.id: s for s in self.repo.facturadas_en(mes).solicitudes})
        hacer = tablero.corregir if corregir else tablero.reconstruir
        return hacer([mes], solicitudes.values(), agregados=self.agregados)

    def reaccionar_en_orden(self, evento: AccionAplicada) -> list[str]:
        """The stream's reaction: now, or queued behind the request's pending sends or while a provider is down."""
        return pendientes_servicio.reaccionar_en_orden(evento, puertos=self._puertos_pendientes)

    def reintentar_pendientes(self) -> pendientes_servicio.Ronda:
        """The job: the pending sends that are due, in order (``services.pendientes``)."""
        return pendientes_servicio.reintentar(puertos=self._puertos_pendientes)

    def envios_pendientes(self) -> list[ColaPendiente]:
        """Every request's queue of pending sends, the one waiting longest first (the console's list)."""
        return sorted(self.pendientes.listar(), key=lambda c: (c.desde, c.solicitud_id))

    def envios_programados_pendientes(self) -> list[EnvioProgramado]:
        """The scheduled emails (monthly report, daily digest) waiting for their provider, the oldest first."""
        return sorted(self.pendientes.programados(), key=lambda e: (e.desde, e.clave))

    @property
    def _puertos_pendientes(self) -> pendientes_servicio.PuertosPendientes:
        return pendientes_servicio.PuertosPendientes(
            pendientes=self.pendientes,
            clock=self.clock,
            reaccionar=self.reaccionar,
            idempotencia=self.idempotencia,
            con_envios=lambda evento: evento.accion in reacciones.REACCIONES,
            aplicar=lambda cmd: solicitudes.aplicar(cmd, puertos=self._puertos),
            aviso=pendientes_servicio.PuertosAviso(
                repo=self.repo,
                mailer=self.mailer,
                plantillas=self.plantillas,
                idempotencia=self.idempotencia,
                buzones=self.settings.buzones,
                url_publica=self.settings.url_publica,
            ),
        )

    def reaccionar(self, evento: AccionAplicada) -> list[str]:
        return reacciones.reaccionar(
            evento,
            puertos=reacciones.PuertosReaccion(
                repo=self.repo,
                mailer=self.mailer,
                plantillas=self.plantillas,
                idempotencia=self.idempotencia,
                buzones=self.settings.buzones,
                url_publica=self.settings.url_publica,
                pdf=self.pdf,
                protector=self.protector,
                enlaces=self._puertos_enlaces,
                pagos=ConfigPagos(self.settings.cuenta_bancaria, self.settings.url_pasarela),
                salida=self._salida_correo,
                mensajeria=self._puertos_mensajeria,
            ),
        )

    # --- offer, documents and Smartflex (chalicelib/handlers/venta.py) ---

    def acciones_para_roles(self, solicitud: Solicitud, roles: frozenset[Rol]) -> list[dict[str, Any]]:
        """``acciones_disponibles`` with the plan catalogue (the plans eligible for ``enviar_oferta``)."""
        return solicitudes.acciones_para_roles(solicitud, roles, planes=self.catalogo.planes())

    def enlaces_documentos(self, solicitud: Solicitud, historial: list[EntradaHistorial]) -> list[dict[str, Any]]:
        return documentos_venta.enlaces_documentos(solicitud, historial, documentos=self.presignador, clock=self.clock)

    def contrato_pdf(self, solicitud_id: str, roles: frozenset[Rol]) -> Adjunto:
        return documentos_venta.contrato_pdf(
            solicitud_id, roles, repo=self.repo, pdf=self.pdf, protector=self.protector, clock=self.clock
        )

    def anular_desde_smartflex(self, numero_contrato: str, motivo: str) -> Solicitud:
        return smartflex_servicio.anular_desde_smartflex(numero_contrato, motivo, puertos=self._puertos)

    def recordar_requisitos(self) -> list[str]:
        return recordatorios.recordar_requisitos(
            puertos=recordatorios.PuertosRecordatorio(
                repo=self.repo,
                clock=self.clock,
                calendario=self.calendario,
                mailer=self.mailer,
                plantillas=self.plantillas,
                idempotencia=self.idempotencia,
                buzones=self.settings.buzones,
                url_publica=self.settings.url_publica,
                pdf=self.pdf,
                dias_habiles=self.settings.dias_recordatorio_requisitos,
                salida=self._salida_correo,
                mensajeria=self._puertos_mensajeria,
            )
        )

    def evento_desde_registro(
        self, registro: dict[str, Any], solicitud: Solicitud | None = None
    ) -> AccionAplicada | None:
        from chalicelib.adapters.stream_solicitudes import evento_desde_registro

        return evento_desde_registro(registro, solicitud)

    def escalar_sin_atencion(self) -> list[str]:
        return trabajos.escalar_sin_atencion(
            puertos=trabajos.PuertosTrabajo(
                repo=self.repo,
                clock=self.clock,
                calendario=self.calendario,
                mailer=self.mailer,
                plantillas=self.plantillas,
                idempotencia=self.idempotencia,
                buzones=self.settings.buzones,
                url_publica=self.settings.url_publica,
                minutos_primera_respuesta=self.settings.minutos_primera_respuesta,
            )
        )

    # --- payments and approval links (chalicelib/handlers/pagos.py) ---

    @puerto
    def aprobaciones(self) -> Aprobaciones:
        from chalicelib.adapters.dynamo_aprobaciones import PynamoAprobaciones

        return PynamoAprobaciones(self.settings)

    @puerto
    def firma_enlaces(self) -> FirmaEnlaces:
        """Signs approval links with the ``clave_enlaces`` secret (never a webhook secret)."""
        from chalicelib.adapters.firma_enlaces import ItsdangerousFirmaEnlaces

        return ItsdangerousFirmaEnlaces(self.secretos.valor("clave_enlaces"))

    @cached_property
    def reglas_bancos(self) -> tuple[ReglaBanco, ...]:
        if self._o("reglas_bancos") is not None:
            return tuple(self._o("reglas_bancos"))
        from chalicelib.adapters.reglas_bancos import cargar_reglas

        return cargar_reglas()

    @cached_property
    def _puertos_enlaces(self) -> enlaces.PuertosEnlaces:
        return enlaces.PuertosEnlaces(
            aprobaciones=self.aprobaciones,
            firma=self.firma_enlaces,
            clock=self.clock,
            ids=self.ids,
            url_publica=self.settings.url_publica,
            horas_vigencia=self.settings.horas_enlace,
        )

    def _puertos_pagos(self, secretos_pasarela: tuple[str, ...] = ()) -> pagos.PuertosPagos:
        return pagos.PuertosPagos(
            solicitudes=self._puertos,
            idempotencia=self.idempotencia,
            mailer=self.mailer,
            plantillas=self.plantillas,
            buzones=self.settings.buzones,
            url_publica=self.settings.url_publica,
            secretos_pasarela=secretos_pasarela,
            reglas_bancos=self.reglas_bancos,
        )

    def recibir_pago_web(self, cmd: RecibirCallbackPago) -> dict[str, Any]:
        """The gateway secrets are read per callback (the SSM adapter caches them 5 minutes: rotation)."""
        secretos = tuple(self.secretos.valores("secreto_pagos"))
        return pagos.recibir_pago_web(cmd, puertos=self._puertos_pagos(secretos))

    def procesar_correo_banco(self, correo: CorreoBanco) -> dict[str, Any]:
        return bancos.procesar_correo_banco(correo, puertos=self._puertos_pagos())

    def es_correo_de_banco(self, correo: CorreoBanco) -> bool:
        return bancos.es_de_banco(correo, self.reglas_bancos)

    def ver_aprobacion(self, token: str, decision: str | None) -> dict[str, Any]:
        return enlaces.ver(token, decision, puertos=self._puertos_enlaces, puertos_solicitudes=self._puertos)

    def decidir_aprobacion(self, cmd: enlaces.DecidirEnlace) -> dict[str, Any]:
        return enlaces.decidir(cmd, puertos=self._puertos_enlaces, puertos_solicitudes=self._puertos)

    def aprobacion_con_errores(self, cmd: enlaces.DecidirEnlace, errores: dict[str, str]) -> dict[str, Any]:
        return enlaces.formulario_con_errores(
            cmd, errores, puertos=self._puertos_enlaces, puertos_solicitudes=self._puertos
        )

    def emitir_enlace(
        self, solicitud_id: str, proposito: str, rol: Rol, responsable: str, decisiones: tuple[str, ...]
    ) -> enlaces.Enlace:
        return enlaces.emitir(solicitud_id, proposito, rol, responsable, decisiones, puertos=self._puertos_enlaces)

    def control_recurrente(self, mes: str | None, roles: Any) -> dict[str, Any]:
        mes = mes or self.clock.ahora().strftime("%Y-%m")
        return {"mes": mes, "solicitudes": pagos.control_recurrente(mes, roles, repo=self.repo)}

    # --- follow-up and reports (chalicelib/handlers/reportes.py) ---

    @puerto
    def graficos(self) -> Graficos:
        from chalicelib.adapters.graficos_matplotlib import MatplotlibGraficos

        return MatplotlibGraficos()

    @puerto
    def hojas(self) -> HojasCalculo:
        from chalicelib.adapters.hojas_openpyxl import OpenpyxlHojas

        return OpenpyxlHojas()

    @puerto
    def despacho_informes(self) -> DespachoInformes:
        """Where a requested resend of the monthly report runs: the ``reenviar_informe_mensual`` function
        (``VD_FUNCION_REENVIO_INFORME``, asynchronous) in AWS; this process, before the answer, locally."""
        from chalicelib.adapters.despacho_informes import DespachoInformesLocal, LambdaDespachoInformes

        if self.settings.es_local:
            return DespachoInformesLocal(self.reenviar_informe_mensual)
        return LambdaDespachoInformes(funcion=self.settings.funcion_reenvio_informe, region=self.settings.region)

    @cached_property
    def _puertos_reportes(self) -> reportes.PuertosReportes:
        return reportes.PuertosReportes(
            repo=self.repo,
            clock=self.clock,
            calendario=self.calendario,
            mailer=self.mailer,
            plantillas=self.plantillas,
            idempotencia=self.idempotencia,
            graficos=self.graficos,
            hojas=self.hojas,
            buzones=self.settings.buzones,
            url_publica=self.settings.url_publica,
            pendientes=self.pendientes,
        )

    def reporte_no_atendidas(self, roles: Any) -> dict[str, Any]:
        return reportes.reporte_no_atendidas(roles=roles, puertos=self._puertos_reportes)

    def reporte_seguimiento(self, mes: str | None, roles: Any) -> dict[str, Any]:
        return reportes.reporte_seguimiento(mes, roles=roles, puertos=self._puertos_reportes)

    def informe_mensual(self, mes: str | None, roles: Any) -> dict[str, Any]:
        return reportes.informe_mensual(mes, roles=roles, puertos=self._puertos_reportes)

    def enviar_informe_mensual(self, cmd: EnviarInformeMensual) -> dict[str, Any]:
        return reportes.enviar_informe_mensual(cmd, puertos=self._puertos_reportes)

    def reenviar_informe_mensual(self, cmd: EnviarInformeMensual, roles: Any) -> dict[str, Any]:
        return reportes.reenviar_informe_mensual(cmd, roles=roles, puertos=self._puertos_reportes)

    def solicitar_reenvio_informe(self, cmd: EnviarInformeMensual, roles: Any) -> dict[str, Any]:
        return reportes.solicitar_reenvio_informe(cmd, roles=roles, clock=self.clock, despacho=self.despacho_informes)

    def enviar_resumen_no_atendidas(self) -> dict[str, Any]:
        return reportes.enviar_resumen_no_atendidas(puertos=self._puertos_reportes)

    # --- staff console (chalicelib/handlers/consola.py) ---

    @cached_property
    def clave_consola(self) -> str:
        """Key of the console's signed cookies: derived from VD_CLAVE_LOCAL on the local stage, the SSM secret
        ``clave_consola`` in AWS stages."""
        if self._o("clave_consola"):
            return str(self._o("clave_consola"))
        if self.settings.es_local:
            import hashlib
            import hmac

            return hmac.new(self.settings.clave_local.encode(), b"consola-sesion", hashlib.sha256).hexdigest()
        return str(self.secretos.valor("clave_consola"))

    @puerto
    def hosted_ui(self) -> Any:
        """The Cognito hosted UI the console signs in with (AWS stages; None without ``VD_COGNITO_DOMINIO``)."""
        if not self.settings.cognito_dominio:
            return None
        from chalicelib.adapters.cognito_hosted_ui import CognitoHostedUi

        base = self.settings.url_publica
        return CognitoHostedUi(
            dominio=self.settings.cognito_dominio,
            client_id=self.settings.cognito_client_id,
            url_retorno=f"{base}/consola/auth/callback",
            url_salida=f"{base}/consola/ingresar",
        )

    @puerto
    def sesiones_consola(self) -> SesionesConsola:
        """The console's server-side sessions (claves table, ``sesion#`` and ``revocacion#`` items)."""
        from chalicelib.adapters.dynamo_sesiones import PynamoSesionesConsola

        return PynamoSesionesConsola(self.settings)

    def cola(self, roles: Any, **filtros: Any) -> consola.Cola:
        puertos = consola.PuertosConsola(
            repo=self.repo, normalizadores=self.normalizadores, huella_ci=self.protector.huella
        )
        return consola.cola(roles, puertos=puertos, **filtros)

    # --- email: reply tokens, inbound replies, bounces, the Help Desk loop (chalicelib/handlers/correo.py) ---

    @puerto
    def tokens_respuesta(self) -> TokensRespuesta:
        from chalicelib.adapters.dynamo_correo import PynamoTokensRespuesta

        return PynamoTokensRespuesta(self.settings)

    @puerto
    def supresiones(self) -> Supresiones:
        from chalicelib.adapters.dynamo_correo import PynamoSupresiones

        return PynamoSupresiones(self.settings)

    @puerto
    def buzon_entrante(self) -> BuzonEntrante:
        """Raw inbound mail the SES receipt rule stored (bucket ``entrantes``, prefix ``correo/``)."""
        from chalicelib.adapters.s3_buzon import S3BuzonEntrante

        s = self.settings
        return S3BuzonEntrante(bucket=s.bucket_entrantes, prefijo=s.prefijo_correo_entrante, region=s.region)

    @cached_property
    def _salida_correo(self) -> correo_saliente.SalidaCorreo:
        return correo_saliente.SalidaCorreo(tokens=self.tokens_respuesta, remitente=self.settings.buzones.remitente)

    def recibir_correo(self, cmd: RecibirCorreo) -> correo_entrante.ResultadoCorreo:
        puertos = correo_entrante.PuertosCorreo(
            solicitudes=self._puertos,
            idempotencia=self.idempotencia,
            buzon=self.buzon_entrante,
            tokens=self.tokens_respuesta,
            documentos=self.documentos,
            bucket_documentos=self.settings.bucket_documentos,
            mailer=self.mailer,
            plantillas=self.plantillas,
            salida=self._salida_correo,
            buzones=self.settings.buzones,
            url_publica=self.settings.url_publica,
            autorizados=self.settings.buzones_autorizados,
            derivar=self._correo_de_banco,
        )
        return correo_entrante.recibir(cmd, puertos=puertos)

    def _correo_de_banco(self, correo: CorreoBanco) -> dict[str, Any] | None:
        """Bank deposit notifications that reach the inbound mailbox go to the payments flow."""
        return self.procesar_correo_banco(correo) if self.es_correo_de_banco(correo) else None

    def registrar_notificacion_correo(self, cmd: RegistrarNotificacionCorreo) -> list[str]:
        puertos = correo_entrante.PuertosNotificacion(
            repo=self.repo, tokens=self.tokens_respuesta, supresiones=self.supresiones, clock=self.clock
        )
        return correo_entrante.registrar_notificacion(cmd, puertos=puertos)

    def recordar_help_desk(self) -> dict[str, list[str]]:
        return seguimiento_hd.recordar_help_desk(
            puertos=seguimiento_hd.PuertosSeguimiento(
                repo=self.repo,
                clock=self.clock,
                calendario=self.calendario,
                mailer=self.mailer,
                plantillas=self.plantillas,
                idempotencia=self.idempotencia,
                salida=self._salida_correo,
                pregunta=correo_entrante.PROPOSITOS[seguimiento_hd.PROPOSITO].pregunta(),
                buzones=self.settings.buzones,
                url_publica=self.settings.url_publica,
                minutos_recordatorio=self.settings.minutos_recordatorio_hd,
                minutos_escalamiento=self.settings.minutos_escalamiento_hd,
            )
        )


_services: Services | None = None


def get_services() -> Services:
    """The process-wide Services, built on first use (after moto or the Lambda runtime is ready)."""
    global _services
    if _services is None:
        _services = Services(get_settings())
    return _services


def override(**overrides: Any) -> Services:
    """Replace ports (tests): returns the new Services built from the current settings."""
    global _services
    get_settings.cache_clear()
    _services = Services(get_settings(), overrides=dict(overrides))
    return _services


def reset() -> None:
    global _services
    _services = None
    get_settings.cache_clear()
