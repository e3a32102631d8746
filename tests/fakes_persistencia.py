"""In-memory ``SolicitudRepository``, ``Idempotencia`` and ``Pendientes`` with the DynamoDB adapters' semantics (thread-safe).

Same rules as the adapters: unique keys, contact claims held for ``SEGUNDOS_RECLAMO_CONTACTO`` (by ``reloj``),
conditional changes on (version, estado), all-or-nothing writes,
history keyed by (solicitud_id, f"{en}#{id}"), listings by state ascending / by month descending with an
opaque cursor, ``escalada_en`` written once outside the version and never removed by a change.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.contacto import SEGUNDOS_RECLAMO_CONTACTO, claves_de_contacto
from chalicelib.domain.errors import (
    ConflictoConcurrente,
    ContactoReclamado,
    DatosInvalidos,
    EnvioDuplicado,
    SolicitudNoEncontrada,
)
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.model import EntradaHistorial, Solicitud
from chalicelib.domain.pendientes import AccionEnEspera, Causa, ColaPendiente, EnvioProgramado
from chalicelib.domain.ports import Lectura, Pagina
from chalicelib.domain.seguimiento import vence_en_indice
from chalicelib.domain.tablero import Aporte

MENSAJE_CONFLICTO = "La solicitud fue modificada por otra persona; vuelva a cargarla y reintente."
DIAS_RETENCION = 8


def _orden(e: EntradaHistorial) -> str:
    return f"{e.en}#{e.id}"


class InMemorySolicitudRepository:
    def __init__(self, reloj: Callable[[], float] = time.time) -> None:
        self._lock = threading.RLock()
        self._reloj = reloj
        self.solicitudes: dict[str, Solicitud] = {}
        self.entradas: dict[str, dict[str, EntradaHistorial]] = {}
        self.claves: dict[str, str] = {}
        self.reclamos: dict[str, tuple[str, float]] = {}  # contact claim -> (holder request id, held until)

    def crear(
        self,
        solicitud: Solicitud,
        entrada: EntradaHistorial,
        claves_unicas: Sequence[str] = (),
        reclamos: Sequence[str] = (),
    ) -> None:
        with self._lock:
            for clave in claves_unicas:
                if clave in self.claves:
                    existente = self.claves[clave]
                    raise EnvioDuplicado(f"Este envío ya fue registrado como la solicitud {existente}.", existente)
            ahora = self._reloj()
            for reclamo in reclamos:
                titular, hasta = self.reclamos.get(reclamo, ("", 0.0))
                if titular and hasta >= ahora:
                    raise ContactoReclamado(titular)
            if solicitud.id in self.solicitudes:
                raise ConflictoConcurrente(f"Ya existe una solicitud con el código {solicitud.id}.")
            self.solicitudes[solicitud.id] = copy.deepcopy(solicitud)
            self._poner_entrada(entrada)
            for clave in claves_unicas:
                self.claves[clave] = solicitud.id
            for reclamo in reclamos:
                self.reclamos[reclamo] = (solicitud.id, ahora + SEGUNDOS_RECLAMO_CONTACTO)

    def obtener(self, solicitud_id: str) -> Solicitud:
        with self._lock:
            if solicitud_id not in self.solicitudes:
                raise SolicitudNoEncontrada(f"No existe la solicitud {solicitud_id}.")
            return copy.deepcopy(self.solicitudes[solicitud_id])

    def guardar_cambio(
        self,
        solicitud: Solicitud,
        version_anterior: int,
        estado_anterior: str,
        entrada: EntradaHistorial,
        nuevas: Sequence[tuple[Solicitud, EntradaHistorial]] = (),
    ) -> None:
        with self._lock:
            guardada = self.solicitudes.get(solicitud.id)
            if guardada is not None and guardada.version == solicitud.version and self._existe_entrada(entrada):
                return  # this very change, already stored (the adapter's rule: its entry exists only if it was)
            if (
                guardada is None
                or guardada.version != version_anterior
                or guardada.estado != estado_anterior
                or self._existe_entrada(entrada)
                or any(n.id in self.solicitudes or self._existe_entrada(e) for n, e in nuevas)
            ):
                raise ConflictoConcurrente(MENSAJE_CONFLICTO)
            if solicitud.escalada_en is None and guardada.escalada_en is not None:
                solicitud = replace(solicitud, escalada_en=guardada.escalada_en)
            solicitud = replace(solicitud, contactos=copy.deepcopy(guardada.contactos))
            self.solicitudes[solicitud.id] = copy.deepcopy(solicitud)
            self._poner_entrada(entrada)
            for nueva, entrada_nueva in nuevas:
                self.solicitudes[nueva.id] = copy.deepcopy(nueva)
                self._poner_entrada(entrada_nueva)

    def agregar_historial(self, entrada: EntradaHistorial) -> bool:
        with self._lock:
            if self._existe_entrada(entrada):
                return False
            self._poner_entrada(entrada)
            return True

    def historial(self, solicitud_id: str) -> list[EntradaHistorial]:
        with self._lock:
            entradas = self.entradas.get(solicitud_id, {})
            return [copy.deepcopy(entradas[k]) for k in sorted(entradas)]

    def listar(
        self,
        *,
        estado: str | None = None,
        mes: str | None = None,
        canal: str | None = None,
        limite: int = 50,
        cursor: str | None = None,
    ) -> Pagina:
        if limite < 1:
            raise ValueError("limite must be at least 1")
        if estado is not None:
            indice, valor, adelante = "por_estado", estado, True
        elif mes is not None:
            indice, valor, adelante = "por_mes", mes, False
        else:
            raise ValueError("listar needs estado or mes")
        with self._lock:
            candidatas = [
                s for s in self.solicitudes.values() if (s.estado if indice == "por_estado" else s.mes) == valor
            ]
        candidatas.sort(key=lambda s: _posicion(s, indice), reverse=not adelante)
        if cursor:
            inicio = _leer_cursor(cursor, indice, valor)
            candidatas = [s for s in candidatas if _despues(_posicion(s, indice), inicio, adelante)]
        filtradas = [s for s in candidatas if canal is None or s.canal == canal]
        pagina = filtradas[:limite]
        siguiente = None
        if len(filtradas) > limite:
            siguiente = _escribir_cursor(indice, valor, _posicion(pagina[-1], indice))
        return Pagina([copy.deepcopy(s) for s in pagina], siguiente)

    def en_estado_desde_antes(self, estado: str, limite_iso: str) -> list[Solicitud]:
        with self._lock:
            encontradas = [s for s in self.solicitudes.values() if s.estado == estado and s.estado_desde < limite_iso]
        encontradas.sort(key=lambda s: _posicion(s, "por_estado"))
        return [copy.deepcopy(s) for s in encontradas]

    def pendientes_de_atencion(self, hasta: str) -> Lectura:
        with self._lock:
            claves = [(vence_en_indice(s), s.id, s) for s in self.solicitudes.values()]
        encontradas = sorted((v, i, s) for v, i, s in claves if v is not None and v <= hasta)
        return Lectura([copy.deepcopy(s) for _, _, s in encontradas], len(encontradas))

    def del_mes(self, mes: str) -> Lectura:
        with self._lock:
            encontradas = sorted(
                (s for s in self.solicitudes.values() if s.mes == mes), key=lambda s: (s.creada_en, s.id)
            )
        return Lectura([copy.deepcopy(s) for s in encontradas], len(encontradas))

    def facturadas_en(self, mes: str) -> Lectura:
        def emitida(s: Solicitud) -> str | None:
            factura = s.factura or {}
            return str(factura["emitida_en"]) if factura.get("mes") == mes and factura.get("emitida_en") else None

        with self._lock:
            encontradas = sorted((emitida(s), s.id, s) for s in self.solicitudes.values() if emitida(s))
        return Lectura([copy.deepcopy(s) for _, _, s in encontradas], len(encontradas))

    def marcar_escalada(self, solicitud_id: str, en: str) -> bool:
        with self._lock:
            guardada = self.obtener(solicitud_id)
            if guardada.escalada_en is not None:
                return False
            self.solicitudes[solicitud_id] = replace(guardada, escalada_en=en)
            return True

    def buscar_por_contacto(
        self,
        *,
        telefono: str | None = None,
        email: str | None = None,
        ci_huella: str | None = None,
        id_canal: str | None = None,
    ) -> list[Solicitud]:
        pedidas = {"telefono": telefono, "email": email, "ci_huella": ci_huella, "id_canal": id_canal}
        buscadas = {k: v for k, v in pedidas.items() if v}
        with self._lock:
            encontradas = [
                s
                for s in self.solicitudes.values()
                if any(claves_de_contacto(s).get(k) == v for k, v in buscadas.items())
            ]
        encontradas.sort(key=lambda s: (s.creada_en, s.id), reverse=True)
        return [copy.deepcopy(s) for s in encontradas]

    def agregar_contacto(
        self, solicitud_id: str, contacto: Mapping[str, object], entrada: EntradaHistorial, clave_unica: str
    ) -> None:
        with self._lock:
            if clave_unica in self.claves:
                existente = self.claves[clave_unica]
                raise EnvioDuplicado(f"Este envío ya fue registrado como la solicitud {existente}.", existente)
            guardada = self.obtener(solicitud_id)
            if self._existe_entrada(entrada):
                raise EnvioDuplicado(f"Este envío ya fue registrado como la solicitud {solicitud_id}.", solicitud_id)
            self.solicitudes[solicitud_id] = replace(guardada, contactos=[*guardada.contactos, dict(contacto)])
            self._poner_entrada(entrada)
            self.claves[clave_unica] = solicitud_id

    def _existe_entrada(self, entrada: EntradaHistorial) -> bool:
        return _orden(entrada) in self.entradas.get(entrada.solicitud_id, {})

    def _poner_entrada(self, entrada: EntradaHistorial) -> None:
        self.entradas.setdefault(entrada.solicitud_id, {})[_orden(entrada)] = copy.deepcopy(entrada)


def _posicion(s: Solicitud, indice: str) -> tuple[str, str]:
    return (s.estado_desde if indice == "por_estado" else s.creada_en, s.id)


def _despues(posicion: tuple[str, str], inicio: tuple[str, str], adelante: bool) -> bool:
    return posicion > inicio if adelante else posicion < inicio


def _escribir_cursor(indice: str, valor: str, posicion: tuple[str, str]) -> str:
    crudo = json.dumps({"indice": indice, "valor": valor, "posicion": list(posicion)}, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(crudo).decode().rstrip("=")


def _leer_cursor(cursor: str, indice: str, valor: str) -> tuple[str, str]:
    try:
        datos = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise DatosInvalidos({"cursor": "El cursor no es válido."}, "Filtros inválidos.") from exc
    if not (
        isinstance(datos, dict)
        and datos.get("indice") == indice
        and datos.get("valor") == valor
        and isinstance(datos.get("posicion"), list)
        and len(datos["posicion"]) == 2
        and all(isinstance(p, str) for p in datos["posicion"])
    ):
        raise DatosInvalidos({"cursor": "El cursor no corresponde a este listado."}, "Filtros inválidos.")
    return (datos["posicion"][0], datos["posicion"][1])


@dataclass
class _Clave:
    estado: str
    resultado: str | None = None
    en_curso_hasta: float | None = None
    expira: float | None = None
    entrega: str | None = None


class InMemoryIdempotencia:
    def __init__(
        self, reloj: Callable[[], float] = time.time, entrega_actual: Callable[[], str | None] = lambda: None
    ) -> None:
        self._lock = threading.Lock()
        self._reloj = reloj
        self._entrega_actual = entrega_actual
        self.claves: dict[str, _Clave] = {}

    def reclamar(self, clave: str, segundos_en_curso: int = 300) -> bool:
        with self._lock:
            ahora = self._reloj()
            entrega = self._entrega_actual()
            actual = self.claves.get(clave)
            libre = actual is None or (
                actual.estado == "en_curso"
                and (
                    (actual.en_curso_hasta is not None and actual.en_curso_hasta < ahora)
                    or (entrega is not None and actual.entrega == entrega)
                )
            )
            if not libre:
                return False
            self.claves[clave] = _Clave(
                "en_curso",
                en_curso_hasta=ahora + segundos_en_curso,
                expira=ahora + DIAS_RETENCION * 86400,
                entrega=entrega,
            )
            return True

    def completar(self, clave: str, resultado: str = "", permanente: bool = False) -> None:
        with self._lock:
            expira = None if permanente else self._reloj() + DIAS_RETENCION * 86400
            self.claves[clave] = _Clave("completo", resultado=resultado, expira=expira)

    def liberar(self, clave: str) -> None:
        with self._lock:
            actual = self.claves.get(clave)
            if actual is not None and actual.estado == "en_curso":
                del self.claves[clave]

    def resultado(self, clave: str) -> str | None:
        with self._lock:
            actual = self.claves.get(clave)
            return actual.resultado if actual is not None and actual.estado == "completo" else None


class InMemoryPendientes:
    """``Pendientes`` in memory: the same queue rules as ``dynamo_pendientes`` (a version per queue)."""

    def __init__(self) -> None:
        self._colas: dict[str, ColaPendiente] = {}
        self._programados: dict[str, EnvioProgramado] = {}
        self._en: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def de_solicitud(self, solicitud_id: str) -> ColaPendiente | None:
        with self._lock:
            return self._colas.get(solicitud_id)

    def encolar(self, evento: AccionAplicada, causa: Causa, en: datetime, proximo: datetime) -> bool:
        with self._lock:
            cola = self._colas.get(evento.solicitud_id)
            self._en[(evento.solicitud_id, evento.cambio_id)] = en.isoformat()
            if cola is None:
                self._colas[evento.solicitud_id] = _cola_nueva(
                    evento.solicitud_id, en.isoformat(), causa, proximo, eventos=(evento,)
                )
                return True
            if cola.contiene(evento.cambio_id):
                return False
            self._colas[evento.solicitud_id] = replace(cola, eventos=(*cola.eventos, evento), version=cola.version + 1)
            return True

    def quitar(self, cola: ColaPendiente, cambio_id: str) -> None:
        with self._lock:
            actual = self._colas.get(cola.solicitud_id)
            if actual is None or not actual.contiene(cambio_id):
                return
            self._reponer(replace(actual, eventos=tuple(e for e in actual.eventos if e.cambio_id != cambio_id)))

    def encolar_accion(self, accion: AccionEnEspera, causa: Causa, proximo: datetime) -> bool:
        with self._lock:
            solicitud_id = accion.comando.solicitud_id
            cola = self._colas.get(solicitud_id)
            if cola is None:
                self._colas[solicitud_id] = _cola_nueva(solicitud_id, accion.en, causa, proximo, acciones=(accion,))
                return True
            if any(a.referencia == accion.referencia for a in cola.acciones):
                return False
            self._reponer(replace(cola, acciones=(*cola.acciones, accion)))
            return True

    def quitar_accion(self, cola: ColaPendiente, referencia: str) -> None:
        with self._lock:
            actual = self._colas.get(cola.solicitud_id)
            if actual is None:
                return
            self._reponer(replace(actual, acciones=tuple(a for a in actual.acciones if a.referencia != referencia)))

    def _reponer(self, cola: ColaPendiente) -> None:
        """Store a changed queue (a new version, ``desde`` of what is left) or drop it when nothing is left."""
        if not cola.eventos and not cola.acciones:
            del self._colas[cola.solicitud_id]
            return
        momentos = [self._en[(cola.solicitud_id, e.cambio_id)] for e in cola.eventos] + [a.en for a in cola.acciones]
        self._colas[cola.solicitud_id] = replace(cola, desde=min(momentos), version=cola.version + 1)

    def fallo(self, cola: ColaPendiente, causa: Causa, en: datetime, proximo: datetime) -> None:
        with self._lock:
            actual = self._colas.get(cola.solicitud_id)
            if actual is None:
                return
            self._colas[cola.solicitud_id] = replace(
                actual,
                proveedor=causa.proveedor,
                motivo=causa.motivo,
                intentos=actual.intentos + 1,
                ultimo_intento=en.isoformat(),
                proximo_intento=proximo.isoformat(),
                version=actual.version + 1,
            )

    def listar(self) -> list[ColaPendiente]:
        with self._lock:
            return sorted(self._colas.values(), key=lambda c: c.desde)

    def anotar_programado(self, clave: str, descripcion: str, causa: Causa, en: datetime, reintento: str) -> None:
        with self._lock:
            previo = self._programados.get(clave)
            self._programados[clave] = EnvioProgramado(
                clave=clave,
                descripcion=descripcion,
                desde=previo.desde if previo else en.isoformat(),
                proveedor=causa.proveedor,
                motivo=causa.motivo,
                intentos=(previo.intentos if previo else 0) + 1,
                ultimo_intento=en.isoformat(),
                reintento=reintento,
            )

    def quitar_programado(self, clave: str) -> None:
        with self._lock:
            self._programados.pop(clave, None)

    def programados(self) -> list[EnvioProgramado]:
        with self._lock:
            return sorted(self._programados.values(), key=lambda e: e.desde)


def _cola_nueva(
    solicitud_id: str,
    desde: str,
    causa: Causa,
    proximo: datetime,
    *,
    eventos: tuple[AccionAplicada, ...] = (),
    acciones: tuple[AccionEnEspera, ...] = (),
) -> ColaPendiente:
    """A request's first pending send or action: its queue, due at ``proximo``."""
    return ColaPendiente(
        solicitud_id=solicitud_id,
        eventos=eventos,
        acciones=acciones,
        desde=desde,
        proveedor=causa.proveedor,
        motivo=causa.motivo,
        intentos=0,
        proximo_intento=proximo.isoformat(),
        ultimo_intento=None,
        version=0,
    )


class InMemoryAgregados:
    """``Agregados`` in memory, with the adapter's rule: a contribution is replaced only from the version read."""

    def __init__(self) -> None:
        self.aportes: dict[str, tuple[int, Aporte]] = {}
        self.items: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def aporte_de(self, solicitud_id: str) -> tuple[int, Aporte] | None:
        with self._lock:
            return self.aportes.get(solicitud_id)

    def contar(
        self, solicitud_id: str, version: int, aporte: Aporte, version_previa: int | None, cambios: Aporte
    ) -> None:
        with self._lock:
            actual = self.aportes.get(solicitud_id)
            if (actual[0] if actual else None) != version_previa:
                raise ConflictoConcurrente(f"El aporte de {solicitud_id} cambió.")
            self.aportes[solicitud_id] = (version, dict(aporte))
            for (item, atributo), cantidad in cambios.items():
                fila = self.items.setdefault(item, {})
                fila[atributo] = fila.get(atributo, 0) + cantidad

    def leer(self, claves: Sequence[str]) -> dict[str, dict[str, int]]:
        with self._lock:
            return {k: dict(self.items[k]) for k in claves if k in self.items}

    def reemplazar(self, items: Mapping[str, Mapping[str, int]]) -> None:
        with self._lock:
            for k, v in items.items():
                self.items[k] = dict(v)

    def anotar(self, clave: str, atributos: Mapping[str, int]) -> None:
        with self._lock:
            self.items.setdefault(clave, {}).update({a: int(v) for a, v in atributos.items()})
