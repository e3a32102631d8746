"""``SolicitudRepository`` on DynamoDB (pynamodb): conditional, transactional writes and index queries only.

Keys and conditions:
- crear: one TransactWrite: put solicitud (``id`` absent), put its first history entry, put each unique key in
  claves (``clave`` absent, ``solicitud_id`` stored, TTL 8 days), then each contact claim in claves
  (``contacto#telefono|email|ci|canal#...``: ``estado`` en_curso until ``en_curso_hasta`` = now + 15 minutes, put
  where absent OR its claim has lapsed). A present unique key -> EnvioDuplicado; else a held claim ->
  ContactoReclamado with its holder (CancellationReasons name the failed items; the item order is known).
- guardar_cambio: one TransactWrite: update the request where stored ``version`` and ``estado`` are the expected
  ones, put the history entry and each new linked request with its entry (all absent). Any failure ->
  ConflictoConcurrente. ``escalada_en`` is never removed by a change (it is written outside the version).
- marcar_escalada: sets ``escalada_en`` where it is absent, without touching ``version``.
- follow-up keys: ``atencion`` = ``pendiente`` and ``vence_en`` (``seguimiento.vence_en_indice``) are derived at
  every write and removed when the request leaves follow-up (sparse GSI ``por_atencion``); report reads return
  their ScannedCount (``Lectura.leidos``).
- contact keys: ``contacto_telefono|email|ci|id_canal`` are derived from ``datos`` at every write (sparse GSIs
  ``por_telefono`` ... keys only); ``buscar_por_contacto`` queries them and reads each request back consistently.
- agregar_contacto: one TransactWrite: list_append the touchpoint to ``contactos`` (request exists), put the history
  entry (absent) and the unique key in claves (absent); after a cancellation the stored key/entry/request say
  why. ``contactos`` is never written by a change (outside the version), so a touchpoint appended while an
  executive acts is not lost.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo_tables import (
    ClaveItem,
    HistorialItem,
    SolicitudItem,
    bind,
    codigo_aws,
    condicion_fallida,
    conexion,
)
from chalicelib.config import Settings
from chalicelib.domain.contacto import SEGUNDOS_RECLAMO_CONTACTO, claves_de_contacto
from chalicelib.domain.errors import (
    ConflictoConcurrente,
    ContactoReclamado,
    DatosInvalidos,
    EnvioDuplicado,
    SolicitudNoEncontrada,
)
from chalicelib.domain.model import Cambio, EntradaHistorial, Solicitud
from chalicelib.domain.ports import Lectura, Pagina
from chalicelib.domain.seguimiento import ATENCION_PENDIENTE, vence_en_indice

DIAS_CLAVE_UNICA = 8
EN_CURSO = "en_curso"
MENSAJE_CONFLICTO = "La solicitud fue modificada por otra persona; vuelva a cargarla y reintente."
MENSAJE_REGISTRO_SIMULTANEO = "Otro contacto con los mismos datos se está registrando en este momento; reintente."
_CONDICION_FALLIDA = "ConditionalCheckFailed"
_CONFLICTO_TRANSACCION = "TransactionConflict"
_CODIGOS_CONFLICTO = {
    "ConditionalCheckFailedException",
    "TransactionConflictException",
    "IdempotentParameterMismatchException",
}
_CAMPOS_SOLICITUD = tuple(dataclasses.fields(Solicitud))
_CAMPOS_DICT = frozenset(f.name for f in _CAMPOS_SOLICITUD if f.default_factory is dict)
_FUERA_DE_VERSION = frozenset({"escalada_en"})
_FUERA_DE_CAMBIOS = frozenset({"contactos"})
_INDICES_CONTACTO = {
    "telefono": "por_telefono",
    "email": "por_email",
    "ci_huella": "por_ci",
    "id_canal": "por_id_canal",
}
MAX_POR_CONTACTO = 20
_CLAVES_INDICE = {
    "por_estado": ("estado", "estado_desde"),
    "por_mes": ("mes", "creada_en"),
}


class PynamoSolicitudRepository:
    """Requests in the solicitudes table, their history in historial, their unique keys in claves."""

    def __init__(self, settings: Settings, reloj: Callable[[], float] = time.time) -> None:
        bind(settings)
        self._conexion = conexion(settings)
        self._reloj = reloj

    def crear(
        self,
        solicitud: Solicitud,
        entrada: EntradaHistorial,
        claves_unicas: Sequence[str] = (),
        reclamos: Sequence[str] = (),
    ) -> None:
        """Request, first entry, unique keys and contact claims in one transaction; nothing written on a failure:
        EnvioDuplicado on a known key, ContactoReclamado on a claim another request holds."""
        claves = list(dict.fromkeys(claves_unicas))
        reclamadas = [r for r in dict.fromkeys(reclamos) if r not in claves]
        ahora = self._reloj()
        expira = self._expira()
        libre = ClaveItem.clave.does_not_exist() | ((ClaveItem.estado == EN_CURSO) & (ClaveItem.en_curso_hasta < ahora))
        try:
            with TransactWrite(connection=self._conexion, client_request_token=_token(f"crear#{solicitud.id}")) as tx:
                tx.save(item_de_solicitud(solicitud), condition=SolicitudItem.id.does_not_exist())
                tx.save(item_de_entrada(entrada))
                for clave in claves:
                    tx.save(
                        _clave_unica(clave, solicitud.id, expira),
                        condition=ClaveItem.clave.does_not_exist(),
                        return_values="ALL_OLD",
                    )
                for reclamo in reclamadas:
                    tx.save(_reclamo(reclamo, solicitud.id, ahora), condition=libre, return_values="ALL_OLD")
        except TransactWriteError as exc:
            _duplicado_en(exc, claves, desde=2)
            _reclamado_en(exc, reclamadas, desde=2 + len(claves))
            if any(m is not None and m.code == _CONFLICTO_TRANSACCION for m in _motivos(exc)):
                raise ConflictoConcurrente(MENSAJE_REGISTRO_SIMULTANEO) from exc
            if _es_conflicto(exc):
                raise ConflictoConcurrente(f"Ya existe una solicitud con el código {solicitud.id}.") from exc
            raise

    def _expira(self) -> datetime:
        return datetime.fromtimestamp(self._reloj(), tz=UTC) + timedelta(days=DIAS_CLAVE_UNICA)

    def obtener(self, solicitud_id: str) -> Solicitud:
        try:
            item = SolicitudItem.get(solicitud_id, consistent_read=True)
        except DoesNotExist as exc:
            raise SolicitudNoEncontrada(f"No existe la solicitud {solicitud_id}.") from exc
        return solicitud_de_item(item)

    def guardar_cambio(
        self,
        solicitud: Solicitud,
        version_anterior: int,
        estado_anterior: str,
        entrada: EntradaHistorial,
        nuevas: Sequence[tuple[Solicitud, EntradaHistorial]] = (),
    ) -> None:
        """Update where version == version_anterior and estado == estado_anterior, plus new items (absent), atomically."""
        item = item_de_solicitud(solicitud)
        condicion = (SolicitudItem.version == version_anterior) & (SolicitudItem.estado == estado_anterior)
        try:
            with TransactWrite(connection=self._conexion, client_request_token=_token(entrada.id)) as tx:
                tx.update(item, actions=_acciones_reemplazo(item), condition=condicion)
                tx.save(item_de_entrada(entrada), condition=HistorialItem.orden.does_not_exist())
                for nueva, entrada_nueva in nuevas:
                    tx.save(item_de_solicitud(nueva), condition=SolicitudItem.id.does_not_exist())
                    tx.save(item_de_entrada(entrada_nueva), condition=HistorialItem.orden.does_not_exist())
        except TransactWriteError as exc:
            if _es_conflicto(exc):
                if self._aplicado(entrada):
                    return  # this very change: applied by an attempt whose answer was lost, then retried
                raise ConflictoConcurrente(MENSAJE_CONFLICTO) from exc
            raise

    def _aplicado(self, entrada: EntradaHistorial) -> bool:
        """Whether the change whose history entry is ``entrada`` is stored: the entry is written in the same
        transaction as the request, so it exists only if that transaction was applied. DynamoDB answers a retry
        with the same ClientRequestToken as the first attempt; this also covers a store that does not (moto) and a
        retry after the token's 10 minutes."""
        try:
            HistorialItem.get(entrada.solicitud_id, orden_de(entrada), consistent_read=True, attributes_to_get=["id"])
        except HistorialItem.DoesNotExist:
            return False
        return True

    def agregar_historial(self, entrada: EntradaHistorial) -> bool:
        """Put where (solicitud_id, orden) is absent; False if that entry already exists."""
        try:
            item_de_entrada(entrada).save(condition=HistorialItem.orden.does_not_exist())
        except PutError as exc:
            if condicion_fallida(exc):
                return False
            raise
        return True

    def historial(self, solicitud_id: str) -> list[EntradaHistorial]:
        return [entrada_de_item(i) for i in HistorialItem.query(solicitud_id, consistent_read=True)]

    def listar(
        self,
        *,
        estado: str | None = None,
        mes: str | None = None,
        canal: str | None = None,
        limite: int = 50,
        cursor: str | None = None,
    ) -> Pagina:
        """``estado`` -> por_estado ascending; else ``mes`` -> por_mes descending; ``canal`` filters. Never scans."""
        if limite < 1:
            raise ValueError("limite must be at least 1")
        filtro = (SolicitudItem.canal == canal) if canal else None
        if estado is not None:
            indice, valor, adelante = "por_estado", estado, True
        elif mes is not None:
            indice, valor, adelante = "por_mes", mes, False
        else:
            raise ValueError("listar needs estado or mes")
        inicio = _leer_cursor(cursor, indice, valor) if cursor else None
        consulta = SolicitudItem.por_estado if indice == "por_estado" else SolicitudItem.por_mes
        resultados = consulta.query(
            valor,
            filter_condition=filtro,
            scan_index_forward=adelante,
            last_evaluated_key=inicio,
            page_size=limite + 1,
        )
        solicitudes: list[Solicitud] = []
        for item in resultados:
            solicitudes.append(solicitud_de_item(item))
            if len(solicitudes) == limite:
                break
        siguiente = None
        if len(solicitudes) == limite:
            ultima = resultados.last_evaluated_key
            if ultima is not None and _hay_mas(resultados):
                siguiente = _escribir_cursor(ultima)
        return Pagina(solicitudes, siguiente)

    def en_estado_desde_antes(self, estado: str, limite_iso: str) -> list[Solicitud]:
        """por_estado query on estado with estado_desde < limite_iso, oldest first, all pages."""
        consulta = SolicitudItem.por_estado.query(estado, SolicitudItem.estado_desde < limite_iso)
        return [solicitud_de_item(i) for i in consulta]

    def pendientes_de_atencion(self, hasta: str) -> Lectura:
        """por_atencion query: partition ``pendiente``, vence_en <= hasta, earliest deadline first, all pages."""
        return _leer(SolicitudItem.por_atencion.query(ATENCION_PENDIENTE, SolicitudItem.vence_en <= hasta))

    def del_mes(self, mes: str) -> Lectura:
        """por_mes query on the month, oldest first, all pages."""
        return _leer(SolicitudItem.por_mes.query(mes))

    def facturadas_en(self, mes: str) -> Lectura:
        """por_mes_factura query on the invoice month, by issue time, all pages."""
        return _leer(SolicitudItem.por_mes_factura.query(mes))

    def marcar_escalada(self, solicitud_id: str, en: str) -> bool:
        """Set escalada_en where the request exists and escalada_en is absent; version untouched."""
        condicion = SolicitudItem.id.exists() & SolicitudItem.escalada_en.does_not_exist()
        try:
            SolicitudItem(solicitud_id).update(actions=[SolicitudItem.escalada_en.set(en)], condition=condicion)
        except UpdateError as exc:
            if not condicion_fallida(exc):
                raise
            self.obtener(solicitud_id)
            return False
        return True

    def buscar_por_contacto(
        self,
        *,
        telefono: str | None = None,
        email: str | None = None,
        ci_huella: str | None = None,
        id_canal: str | None = None,
    ) -> list[Solicitud]:
        """Query each given key's sparse index (newest first, at most 20 each), then read every request back."""
        buscadas = {"telefono": telefono, "email": email, "ci_huella": ci_huella, "id_canal": id_canal}
        ids: dict[str, None] = {}
        for clave, valor in buscadas.items():
            if not valor:
                continue
            indice = getattr(SolicitudItem, _INDICES_CONTACTO[clave])
            for item in indice.query(valor, scan_index_forward=False, limit=MAX_POR_CONTACTO):
                ids.setdefault(item.id)
        encontradas = []
        for solicitud_id in ids:
            try:
                encontradas.append(self.obtener(solicitud_id))
            except SolicitudNoEncontrada:
                continue
        return sorted(encontradas, key=lambda s: (s.creada_en, s.id), reverse=True)

    def agregar_contacto(
        self, solicitud_id: str, contacto: Mapping[str, Any], entrada: EntradaHistorial, clave_unica: str
    ) -> None:
        """list_append to ``contactos`` where the request exists + history entry (absent) + unique key (absent)."""
        nuevo = [json.dumps(dict(contacto), ensure_ascii=False, separators=(",", ":"))]
        anexar = SolicitudItem.contactos.set((SolicitudItem.contactos | []).append(nuevo))
        try:
            with TransactWrite(connection=self._conexion) as tx:
                tx.update(SolicitudItem(solicitud_id), actions=[anexar], condition=SolicitudItem.id.exists())
                tx.save(item_de_entrada(entrada), condition=HistorialItem.orden.does_not_exist())
                tx.save(
                    _clave_unica(clave_unica, solicitud_id, self._expira()),
                    condition=ClaveItem.clave.does_not_exist(),
                    return_values="ALL_OLD",
                )
        except TransactWriteError as exc:
            if not _es_conflicto(exc):
                raise
            existente = _solicitud_de_clave_guardada(clave_unica)
            if existente or _existe_entrada(entrada):
                raise EnvioDuplicado(_mensaje_duplicado(existente), existente_id=existente or solicitud_id) from exc
            self.obtener(solicitud_id)
            raise ConflictoConcurrente(MENSAJE_CONFLICTO) from exc


def _existe_entrada(entrada: EntradaHistorial) -> bool:
    try:
        HistorialItem.get(entrada.solicitud_id, orden_de(entrada), consistent_read=True)
    except DoesNotExist:
        return False
    return True


def _clave_unica(clave: str, solicitud_id: str, expira: datetime) -> ClaveItem:
    return ClaveItem(clave, estado="completo", resultado=solicitud_id, solicitud_id=solicitud_id, expira=expira)


def _reclamo(clave: str, solicitud_id: str, ahora: float) -> ClaveItem:
    hasta = ahora + SEGUNDOS_RECLAMO_CONTACTO
    expira = datetime.fromtimestamp(hasta, tz=UTC)
    return ClaveItem(clave, estado=EN_CURSO, solicitud_id=solicitud_id, en_curso_hasta=hasta, expira=expira)


def _reclamado_en(exc: TransactWriteError, reclamos: Sequence[str], desde: int) -> None:
    """ContactoReclamado naming the holder if the transaction failed on one of the contact claims ``reclamos``
    (written from action ``desde`` on)."""
    motivos = _motivos(exc)
    for indice, clave in enumerate(reclamos, start=desde):
        motivo = motivos[indice] if indice < len(motivos) else None
        if motivo is not None and motivo.code == _CONDICION_FALLIDA:
            titular = _solicitud_de_clave(motivo.raw_item) or _solicitud_de_clave_guardada(clave)
            if titular:
                raise ContactoReclamado(titular) from exc


def _duplicado_en(exc: TransactWriteError, claves: Sequence[str], desde: int) -> None:
    """EnvioDuplicado if the transaction failed on one of ``claves`` (written from action ``desde`` on)."""
    motivos = _motivos(exc)
    for indice, clave in enumerate(claves, start=desde):
        motivo = motivos[indice] if indice < len(motivos) else None
        if motivo is not None and motivo.code == _CONDICION_FALLIDA:
            existente = _solicitud_de_clave(motivo.raw_item) or _solicitud_de_clave_guardada(clave)
            raise EnvioDuplicado(_mensaje_duplicado(existente), existente_id=existente) from exc


def solicitud_desde_imagen(imagen: dict[str, Any]) -> Solicitud:
    """A request from a stream record's typed NewImage/OldImage ({"id": {"S": ...}, ...})."""
    return solicitud_de_item(SolicitudItem.from_raw_data(imagen))


def item_de_solicitud(s: Solicitud) -> SolicitudItem:
    """Every field as its own attribute (Cambio as JSON); the invoice index keys only when the invoice has them."""
    valores = {f.name: getattr(s, f.name) for f in _CAMPOS_SOLICITUD if f.name != "id"}
    if s.ultimo_cambio is not None:
        valores["ultimo_cambio"] = dataclasses.asdict(s.ultimo_cambio)
    valores["contactos"] = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in s.contactos] or None
    for clave, valor in claves_de_contacto(s).items():
        valores[f"contacto_{clave.removesuffix('_huella')}"] = valor
    factura = s.factura or {}
    if factura.get("mes") and factura.get("emitida_en"):
        valores["mes_factura"] = str(factura["mes"])
        valores["factura_emitida_en"] = str(factura["emitida_en"])
    vence_en = vence_en_indice(s)
    if vence_en is not None:
        valores["atencion"], valores["vence_en"] = ATENCION_PENDIENTE, vence_en
    return SolicitudItem(s.id, **valores)


def _leer(consulta: Any) -> Lectura:
    """Every item of a query (all pages) and the items DynamoDB read for it (sum of ScannedCount)."""
    solicitudes = [solicitud_de_item(i) for i in consulta]
    return Lectura(solicitudes, int(consulta.page_iter.total_scanned_count))


def solicitud_de_item(item: SolicitudItem) -> Solicitud:
    valores: dict[str, Any] = {f.name: getattr(item, f.name) for f in _CAMPOS_SOLICITUD}
    for nombre in _CAMPOS_DICT:
        if valores[nombre] is None:
            valores[nombre] = {}
    valores["version"] = int(valores["version"])
    valores["contactos"] = [json.loads(c) for c in valores["contactos"] or []]
    if valores["ultimo_cambio"] is not None:
        valores["ultimo_cambio"] = Cambio(**valores["ultimo_cambio"])
    return Solicitud(**valores)


def item_de_entrada(e: EntradaHistorial) -> HistorialItem:
    valores = {f.name: getattr(e, f.name) for f in dataclasses.fields(EntradaHistorial) if f.name != "solicitud_id"}
    return HistorialItem(e.solicitud_id, orden_de(e), **valores)


def entrada_de_item(item: HistorialItem) -> EntradaHistorial:
    valores = {f.name: getattr(item, f.name) for f in dataclasses.fields(EntradaHistorial)}
    valores["campos"] = valores["campos"] or {}
    valores["nota"] = valores["nota"] or ""
    return EntradaHistorial(**valores)


def orden_de(e: EntradaHistorial) -> str:
    """The history range key: time first, then id, so a query reads oldest first."""
    return f"{e.en}#{e.id}"


def _acciones_reemplazo(item: SolicitudItem) -> list[Action]:
    """SET every present attribute, REMOVE every absent one (except those written outside the version)."""
    acciones: list[Action] = []
    for nombre, atributo in SolicitudItem.get_attributes().items():
        if atributo.is_hash_key or nombre in _FUERA_DE_CAMBIOS:
            continue
        valor = getattr(item, nombre)
        if valor is not None:
            acciones.append(atributo.set(valor))
        elif nombre not in _FUERA_DE_VERSION:
            acciones.append(atributo.remove())
    return acciones


def _token(texto: str) -> str:
    """A ClientRequestToken (at most 36 characters) for a transaction."""
    return texto if len(texto) <= 36 else hashlib.sha256(texto.encode()).hexdigest()[:36]


def _motivos(exc: TransactWriteError) -> list[Any]:
    if codigo_aws(exc) != "TransactionCanceledException":
        return []
    return list(exc.cancellation_reasons)


def _es_conflicto(exc: TransactWriteError) -> bool:
    if codigo_aws(exc) in _CODIGOS_CONFLICTO:
        return True
    return any(m is not None and m.code in (_CONDICION_FALLIDA, _CONFLICTO_TRANSACCION) for m in _motivos(exc))


def _solicitud_de_clave(raw_item: dict[str, Any] | None) -> str | None:
    if not raw_item:
        return None
    return ClaveItem.from_raw_data(raw_item).solicitud_id


def _solicitud_de_clave_guardada(clave: str) -> str | None:
    try:
        return ClaveItem.get(clave, consistent_read=True).solicitud_id
    except DoesNotExist:
        return None


def _mensaje_duplicado(existente_id: str | None) -> str:
    if existente_id:
        return f"Este envío ya fue registrado como la solicitud {existente_id}."
    return "Este envío ya fue registrado."


def _hay_mas(resultados: Iterator[Any]) -> bool:
    """Whether the query yields one more item after the current one (reads ahead at most one page)."""
    try:
        next(resultados)
    except StopIteration:
        return False
    return True


def _escribir_cursor(ultima: dict[str, Any]) -> str:
    crudo = json.dumps(ultima, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(crudo).decode().rstrip("=")


def _leer_cursor(cursor: str, indice: str, valor: str) -> dict[str, Any]:
    """The typed start key of a cursor; DatosInvalidos unless it belongs to this index and partition."""
    hash_indice, rango_indice = _CLAVES_INDICE[indice]
    try:
        clave: Any = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise DatosInvalidos({"cursor": "El cursor no es válido."}, "Filtros inválidos.") from exc
    valido = (
        isinstance(clave, dict)
        and set(clave) == {"id", hash_indice, rango_indice}
        and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in clave.values())
        and clave[hash_indice]["S"] == valor
    )
    if not valido:
        raise DatosInvalidos({"cursor": "El cursor no corresponde a este listado."}, "Filtros inválidos.")
    return dict(clave)
