"""Smartflex (COMTECO's billing/CRM system) as seen from Ventas Digitales: the ``Smartflex`` port.

SIMULATED in every stage for now: no Smartflex API is reachable from here. ``SmartflexLocal`` behaves like the
system the executives use (steps 3, 13, 21-23) and keeps its state in DynamoDB (the claves table, keys
``smartflex#…``, no TTL), so it survives restarts of the API and the stream pump:

- customers: ``CL-`` + 7 digits, found by CI or phone (seeded from ``data/smartflex_local.json``, then every
  customer it registers); the CI is indexed by its SHA-256, never stored in clear;
- sales: one contract per request (``smartflex#venta#<solicitud>`` points to it, so registering again returns
  the same numbers), numbered ``SCS-<year>-<6 digits>`` from a counter, status REGISTRADA → ACTIVA (first
  verified payment) or ANULADA;
- refusals (deterministic, from the rules file), raised as ``SmartflexRechazo`` with the Spanish reason and
  nothing stored: a CI on the ``ci_observados`` list (debt, deceased holder), an installation address
  without a service point ("S/N"), a sale without CI or without an offered plan;
- DynamoDB failures surface as ``ServicioExternoNoDisponible`` (what a real adapter raises on timeouts/5xx).

A real adapter implements the same five methods (see README, "Offer, documents and Smartflex").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Final

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo_tables import JsonAttribute, condicion_fallida, conexion
from chalicelib.adapters.sistema import ZONA_LA_PAZ
from chalicelib.config import Settings
from chalicelib.domain.errors import ServicioExternoNoDisponible, SmartflexRechazo
from chalicelib.domain.model import Solicitud
from chalicelib.domain.planes import formato_bs

ARCHIVO_REGLAS: Final = Path(__file__).resolve().parent.parent / "data" / "smartflex_local.json"
PREFIJO: Final = "smartflex#"
REGISTRADA, ACTIVA, ANULADA = "REGISTRADA", "ACTIVA", "ANULADA"
_NO_DISPONIBLE = "Smartflex no respondió. Intente nuevamente en unos minutos."


class SmartflexItem(Model):
    """One record of the simulated Smartflex in the claves table (``clave`` = ``smartflex#<kind>#<id>``)."""

    class Meta:
        table_name: str | None = None
        region: str | None = None
        host: str | None = None

    clave = UnicodeAttribute(hash_key=True)
    estado = UnicodeAttribute()
    datos = JsonAttribute(null=True)
    valor = NumberAttribute(null=True)
    solicitud_id = UnicodeAttribute(null=True)


def _bind(settings: Settings) -> None:
    meta = SmartflexItem.Meta
    if (meta.table_name, meta.region, meta.host) != (settings.tabla_claves, settings.region, settings.dynamodb_host):
        meta.table_name = settings.tabla_claves
        meta.region = settings.region
        meta.host = settings.dynamodb_host
        SmartflexItem._connection = None


def _huella(ci: str) -> str:
    return hashlib.sha256(ci.strip().upper().encode()).hexdigest()


class SmartflexLocal:
    def __init__(self, settings: Settings, reglas: Path = ARCHIVO_REGLAS) -> None:
        _bind(settings)
        self._settings = settings
        self._archivo_reglas = reglas

    @cached_property
    def _reglas(self) -> dict[str, Any]:
        return dict(json.loads(self._archivo_reglas.read_text(encoding="utf-8")))

    # --- step 3: existing customer ---

    def buscar_cliente(self, *, ci: str | None = None, telefono: str | None = None) -> dict[str, Any] | None:
        for semilla in self._reglas.get("clientes", []):
            if (ci and semilla["ci"] == ci.strip().upper()) or (telefono and semilla["telefono"] == telefono):
                return {"codigo_cliente": semilla["codigo_cliente"], "nombre": semilla["nombre"]}
        claves = ([f"{PREFIJO}cliente_ci#{_huella(ci)}"] if ci else []) + (
            [f"{PREFIJO}cliente_tel#{telefono}"] if telefono else []
        )
        for clave in claves:
            indice = self._leer(clave)
            if indice is not None:
                cliente = self._leer(f"{PREFIJO}cliente#{indice.datos['codigo_cliente']}")
                if cliente is not None:
                    return {"codigo_cliente": cliente.datos["codigo_cliente"], "nombre": cliente.datos.get("nombre")}
        return None

    # --- steps 21-23: registration ---

    def registrar_venta(self, solicitud: Solicitud, ci: str) -> dict[str, Any]:
        existente = self._contrato_de(solicitud.id)
        if existente is not None:
            return self._respuesta(existente)
        self._rechazos(solicitud, ci)
        ahora = datetime.now(ZONA_LA_PAZ).replace(microsecond=0)
        cliente = self.buscar_cliente(ci=ci, telefono=solicitud.datos.get("telefono"))
        nuevo_cliente = cliente is None
        codigo = (
            str(cliente["codigo_cliente"]) if cliente else f"CL-{self._siguiente('cliente') + self._primer_codigo:07d}"
        )
        numero = f"SCS-{ahora.year}-{self._siguiente(f'contrato#{ahora.year}'):06d}"
        oferta = solicitud.oferta or {}
        instalacion = float(oferta.get("costo_instalacion_bs") or 0)
        contrato: dict[str, Any] = {
            "numero_contrato": numero,
            "codigo_cliente": codigo,
            "solicitud_id": solicitud.id,
            "plan_id": oferta.get("plan_id"),
            "plan": oferta.get("plan"),
            "tarifa_mensual_bs": float(oferta.get("tarifa_mensual_bs") or 0),
            "costo_instalacion_bs": instalacion,
            "monto_inicial_bs": round(float(oferta.get("tarifa_mensual_bs") or 0) + instalacion, 2),
            "direccion": solicitud.datos.get("direccion"),
            "registrada_en": ahora.isoformat(),
            "pagos": [],
        }
        ausente = SmartflexItem.clave.does_not_exist()
        try:
            with TransactWrite(connection=conexion(self._settings)) as tx:
                tx.save(
                    SmartflexItem(f"{PREFIJO}contrato#{numero}", estado=REGISTRADA, datos=contrato),
                    condition=ausente,
                )
                tx.save(
                    SmartflexItem(f"{PREFIJO}venta#{solicitud.id}", estado="ok", datos={"numero_contrato": numero}),
                    condition=ausente,
                )
                if nuevo_cliente:
                    self._alta_cliente(tx, codigo, solicitud, ci, ahora)
        except TransactWriteError as exc:
            ganador = self._contrato_de(solicitud.id)  # a concurrent registration of the same request won
            if ganador is not None:
                return self._respuesta(ganador)
            raise ServicioExternoNoDisponible(_NO_DISPONIBLE) from exc
        except PynamoDBException as exc:
            raise ServicioExternoNoDisponible(_NO_DISPONIBLE) from exc
        return self._respuesta(SmartflexItem(f"{PREFIJO}contrato#{numero}", estado=REGISTRADA, datos=contrato))

    def _alta_cliente(self, tx: TransactWrite, codigo: str, s: Solicitud, ci: str, ahora: datetime) -> None:
        ausente = SmartflexItem.clave.does_not_exist()
        ficha = {
            "codigo_cliente": codigo,
            "nombre": s.nombre,
            "telefono": s.datos.get("telefono"),
            "alta": ahora.isoformat(),
        }
        tx.save(SmartflexItem(f"{PREFIJO}cliente#{codigo}", estado="ACTIVO", datos=ficha), condition=ausente)
        indice = {"codigo_cliente": codigo}
        tx.save(SmartflexItem(f"{PREFIJO}cliente_ci#{_huella(ci)}", estado="indice", datos=indice), condition=ausente)
        telefono = s.datos.get("telefono")
        if telefono and self._leer(f"{PREFIJO}cliente_tel#{telefono}") is None:  # a shared phone keeps its first owner
            tx.save(SmartflexItem(f"{PREFIJO}cliente_tel#{telefono}", estado="indice", datos=indice), condition=ausente)

    def _rechazos(self, s: Solicitud, ci: str) -> None:
        if not ci:
            raise SmartflexRechazo("Smartflex exige el número de CI del titular para registrar la venta.")
        observacion = self._reglas.get("ci_observados", {}).get(ci.strip().upper())
        if observacion:
            raise SmartflexRechazo(
                f"Smartflex rechazó el registro: el titular con CI terminado en {ci.strip()[-4:]} {observacion}. "
                "Regularice la situación del cliente antes de registrar la venta."
            )
        if not (s.oferta or {}).get("plan"):
            raise SmartflexRechazo("Smartflex requiere el plan ofertado para registrar la venta (paso 8).")
        direccion = str(s.datos.get("direccion") or "")
        marcas = self._reglas.get("direccion_sin_punto_de_servicio", [])
        if not direccion or any(re.search(rf"(^|\W){re.escape(m)}($|\W)", direccion.lower()) for m in marcas):
            raise SmartflexRechazo(
                f"Smartflex no encuentra un punto de servicio para la dirección «{direccion or 'sin dirección'}»: "
                "registre la dirección de instalación con su número de puerta."
            )

    @property
    def _primer_codigo(self) -> int:
        return int(self._reglas.get("primer_codigo_cliente", 100000))

    def _siguiente(self, contador: str) -> int:
        item = SmartflexItem(f"{PREFIJO}contador#{contador}")
        try:
            item.update(actions=[SmartflexItem.valor.add(1), SmartflexItem.estado.set("contador")])
        except PynamoDBException as exc:
            raise ServicioExternoNoDisponible(_NO_DISPONIBLE) from exc
        return int(item.valor or 0)

    # --- contracts: lookup, cancellation, payment check ---

    def consultar_contrato(self, numero_contrato: str) -> dict[str, Any] | None:
        item = self._leer(f"{PREFIJO}contrato#{numero_contrato}")
        return self._vista(item) if item is not None else None

    def anular(self, numero_contrato: str, motivo: str) -> dict[str, Any]:
        item = self._leer(f"{PREFIJO}contrato#{numero_contrato}")
        if item is None:
            raise SmartflexRechazo(f"No existe el contrato {numero_contrato} en Smartflex.")
        if item.estado == ANULADA:
            return self._vista(item)
        datos = {
            **item.datos,
            "motivo_anulacion": motivo,
            "anulada_en": datetime.now(ZONA_LA_PAZ).replace(microsecond=0).isoformat(),
        }
        try:
            item.update(
                actions=[SmartflexItem.estado.set(ANULADA), SmartflexItem.datos.set(datos)],
                condition=SmartflexItem.estado != ANULADA,
            )
        except UpdateError as exc:
            if not condicion_fallida(exc):
                raise ServicioExternoNoDisponible(_NO_DISPONIBLE) from exc
            item.refresh(consistent_read=True)
        return self._vista(item)

    def verificar_pago(self, numero_contrato: str, monto_bs: float) -> dict[str, Any]:
        item = self._leer(f"{PREFIJO}contrato#{numero_contrato}")
        if item is None:
            return {"verificado": False, "motivo": "El contrato no existe en Smartflex.", "estado": None}
        esperado = float(item.datos.get("monto_inicial_bs") or 0)
        respuesta = {"monto_esperado_bs": esperado, "estado": item.estado}
        if item.estado == ANULADA:
            return {**respuesta, "verificado": False, "motivo": "El contrato está anulado en Smartflex."}
        if abs(float(monto_bs) - esperado) > float(self._reglas.get("tolerancia_pago_bs", 0.01)):
            return {
                **respuesta,
                "verificado": False,
                "motivo": f"El monto pagado ({formato_bs(float(monto_bs))}) no coincide con el esperado ({formato_bs(esperado)}).",
            }
        if item.estado == REGISTRADA:
            pago = {"monto_bs": float(monto_bs), "en": datetime.now(ZONA_LA_PAZ).replace(microsecond=0).isoformat()}
            datos = {**item.datos, "pagos": [*item.datos.get("pagos", []), pago]}
            try:
                item.update(
                    actions=[SmartflexItem.estado.set(ACTIVA), SmartflexItem.datos.set(datos)],
                    condition=SmartflexItem.estado == REGISTRADA,
                )
            except UpdateError as exc:
                if not condicion_fallida(exc):
                    raise ServicioExternoNoDisponible(_NO_DISPONIBLE) from exc
        return {**respuesta, "estado": ACTIVA, "verificado": True, "motivo": "Pago registrado en Smartflex."}

    # --- helpers ---

    def _leer(self, clave: str) -> SmartflexItem | None:
        try:
            return SmartflexItem.get(clave, consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise ServicioExternoNoDisponible(_NO_DISPONIBLE) from exc

    def _contrato_de(self, solicitud_id: str) -> SmartflexItem | None:
        puntero = self._leer(f"{PREFIJO}venta#{solicitud_id}")
        if puntero is None:
            return None
        return self._leer(f"{PREFIJO}contrato#{puntero.datos['numero_contrato']}")

    @staticmethod
    def _vista(item: SmartflexItem) -> dict[str, Any]:
        return {**item.datos, "estado": item.estado}

    @staticmethod
    def _respuesta(item: SmartflexItem) -> dict[str, Any]:
        datos: Mapping[str, Any] = item.datos
        return {
            "numero_contrato": datos["numero_contrato"],
            "codigo_cliente": datos["codigo_cliente"],
            "estado_smartflex": item.estado,
            "registrada_en_smartflex": datos["registrada_en"],
            "sistema": "smartflex-local",
        }
