"""Composition root: builds every adapter once, lazily, and hands services their ports.

Tests call ``override(...)`` with fakes; nothing creates an AWS client at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from chalicelib.config import Settings, get_settings
from chalicelib.domain.commands import AplicarAccion, CapturarSolicitud, RecibirWebhook
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.model import EntradaHistorial, Entrante, Solicitud
from chalicelib.domain.ports import (
    Almacen,
    Calendario,
    Clock,
    Cobertura,
    EntranteRepository,
    GraphApi,
    Idempotencia,
    IdGenerator,
    Mailer,
    Pagina,
    ProtectorDatos,
    Salientes,
    Smartflex,
    SolicitudRepository,
)
from chalicelib.services import canales, reacciones, solicitudes, trabajos, webhooks


@dataclass
class Services:
    """Every port the app needs; any of them can be replaced (tests pass fakes through ``overrides``)."""

    settings: Settings
    overrides: dict[str, Any] = field(default_factory=dict)

    def _o(self, nombre: str) -> Any:
        return self.overrides.get(nombre)

    @cached_property
    def repo(self) -> SolicitudRepository:
        if self._o("repo"):
            return self._o("repo")  # type: ignore[no-any-return]
        from chalicelib.adapters.dynamo_solicitudes import PynamoSolicitudRepository

        return PynamoSolicitudRepository(self.settings)

    @cached_property
    def idempotencia(self) -> Idempotencia:
        if self._o("idempotencia"):
            return self._o("idempotencia")  # type: ignore[no-any-return]
        from chalicelib.adapters.dynamo_idempotencia import PynamoIdempotencia

        return PynamoIdempotencia(self.settings)

    @cached_property
    def mailer(self) -> Mailer:
        if self._o("mailer"):
            return self._o("mailer")  # type: ignore[no-any-return]
        from chalicelib.adapters.ses_mailer import SesMailer

        return SesMailer(
            remitente=self.settings.buzones.remitente,
            region=self.settings.region,
            configuracion=self.settings.configuracion_ses,
        )

    @cached_property
    def plantillas(self) -> Any:
        if self._o("plantillas"):
            return self._o("plantillas")
        from chalicelib.adapters.rendering import JinjaPlantillas

        return JinjaPlantillas()

    @cached_property
    def clock(self) -> Clock:
        if self._o("clock"):
            return self._o("clock")  # type: ignore[no-any-return]
        from chalicelib.adapters.sistema import RelojLaPaz

        return RelojLaPaz()

    @cached_property
    def ids(self) -> IdGenerator:
        if self._o("ids"):
            return self._o("ids")  # type: ignore[no-any-return]
        from chalicelib.adapters.sistema import GeneradorIds

        return GeneradorIds()

    @cached_property
    def protector(self) -> ProtectorDatos:
        if self._o("protector"):
            return self._o("protector")  # type: ignore[no-any-return]
        from chalicelib.adapters.kms_protector import KmsProtectorDatos

        return KmsProtectorDatos(
            kms_key_id=self.settings.kms_key_id, pepper=self.settings.pepper_ci, region=self.settings.region
        )

    @cached_property
    def cobertura(self) -> Cobertura:
        if self._o("cobertura"):
            return self._o("cobertura")  # type: ignore[no-any-return]
        from chalicelib.adapters.cobertura_geojson import GeoJsonCobertura

        return GeoJsonCobertura()

    @cached_property
    def smartflex(self) -> Smartflex:
        if self._o("smartflex"):
            return self._o("smartflex")  # type: ignore[no-any-return]
        from chalicelib.adapters.smartflex_local import SmartflexLocal

        return SmartflexLocal()

    @cached_property
    def calendario(self) -> Calendario:
        if self._o("calendario"):
            return self._o("calendario")  # type: ignore[no-any-return]
        from chalicelib.adapters.calendario import CalendarioLaboral

        return CalendarioLaboral()

    @cached_property
    def verificador(self) -> Any:
        if self._o("verificador"):
            return self._o("verificador")
        from chalicelib.adapters.auth import VerificadorCognito, VerificadorLocal

        if self.settings.es_local:
            return VerificadorLocal(self.settings.clave_local)
        return VerificadorCognito(issuer=self.settings.cognito_issuer, client_id=self.settings.cognito_client_id)

    @cached_property
    def entrantes(self) -> EntranteRepository:
        if self._o("entrantes"):
            return self._o("entrantes")  # type: ignore[no-any-return]
        from chalicelib.adapters.dynamo_entrantes import PynamoEntrantes

        return PynamoEntrantes(self.settings)

    @cached_property
    def salientes(self) -> Salientes:
        if self._o("salientes"):
            return self._o("salientes")  # type: ignore[no-any-return]
        from chalicelib.adapters.dynamo_entrantes import PynamoSalientes

        return PynamoSalientes(self.settings)

    @cached_property
    def crudos(self) -> Almacen:
        """Raw inbound payloads (bucket ``entrantes``)."""
        if self._o("crudos"):
            return self._o("crudos")  # type: ignore[no-any-return]
        from chalicelib.adapters.s3_almacen import S3Almacen

        s = self.settings
        return S3Almacen(bucket=s.bucket_entrantes, kms_key_id=s.kms_key_id, region=s.region)

    @cached_property
    def documentos(self) -> Almacen:
        """Customer documents and channel attachments (bucket ``documentos``)."""
        if self._o("documentos"):
            return self._o("documentos")  # type: ignore[no-any-return]
        from chalicelib.adapters.s3_almacen import S3Almacen

        s = self.settings
        return S3Almacen(bucket=s.bucket_documentos, kms_key_id=s.kms_key_id, region=s.region)

    @cached_property
    def graph(self) -> GraphApi:
        if self._o("graph"):
            return self._o("graph")  # type: ignore[no-any-return]
        from chalicelib.adapters.meta_graph import GraphMeta

        return GraphMeta(base_url=self.settings.graph_url, token=self.settings.graph_token)

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
        )

    def capturar(self, cmd: CapturarSolicitud) -> Solicitud:
        return solicitudes.capturar(cmd, puertos=self._puertos)

    def recibir_contacto(self, cmd: CapturarSolicitud) -> canales.Recepcion:
        return canales.recibir_contacto(cmd, puertos=self._puertos)

    def recibir_webhook(self, cmd: RecibirWebhook) -> webhooks.ResultadoWebhook:
        puertos = webhooks.PuertosWebhook(entrantes=self.entrantes, crudos=self.crudos, clock=self.clock)
        return webhooks.recibir(cmd, puertos=puertos)

    def procesar_entrante(self, clave: str) -> str:
        puertos = canales.PuertosCanales(
            solicitudes=self._puertos,
            entrantes=self.entrantes,
            graph=self.graph,
            documentos=self.documentos,
            salientes=self.salientes,
        )
        return canales.procesar_entrante(clave, puertos=puertos)

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
        return solicitudes.aplicar(cmd, puertos=self._puertos)

    def obtener(self, solicitud_id: str) -> tuple[Solicitud, list[EntradaHistorial]]:
        return solicitudes.obtener(solicitud_id, repo=self.repo)

    def listar(self, **filtros: Any) -> Pagina:
        if not filtros.get("estado") and not filtros.get("mes"):
            filtros["mes"] = self.clock.ahora().strftime("%Y-%m")
        return solicitudes.listar(repo=self.repo, **filtros)

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
            ),
        )

    def evento_desde_registro(self, registro: dict[str, Any]) -> AccionAplicada | None:
        from chalicelib.adapters.stream_solicitudes import evento_desde_registro

        return evento_desde_registro(registro)

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
