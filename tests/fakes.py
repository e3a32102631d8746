"""Fakes for every port (same Protocols as the adapters), for service tests without AWS."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import CorreoNoEnviado, ServicioExternoNoDisponible
from chalicelib.domain.model import Solicitud
from chalicelib.domain.planes import Plan
from chalicelib.domain.ports import CorreoRenderizado, CorreoSaliente, Supresiones
from chalicelib.services.correo_saliente import MailerConSupresion
from tests.fakes_correo import InMemorySupresiones
from tests.fakes_persistencia import InMemoryIdempotencia, InMemorySolicitudRepository

__all__ = [
    "FakeCalendario",
    "FakeCatalogo",
    "FakeCobertura",
    "FakeMailer",
    "con_supresion",
    "FakePlantillas",
    "FakeProtector",
    "FakeSmartflex",
    "FixedClock",
    "InMemoryIdempotencia",
    "InMemorySolicitudRepository",
    "SequentialIds",
]

LA_PAZ = ZoneInfo("America/La_Paz")


@dataclass
class FixedClock:
    momento: datetime = field(default_factory=lambda: datetime(2026, 11, 30, 9, 0, tzinfo=LA_PAZ))

    def ahora(self) -> datetime:
        return self.momento

    def avanzar(self, **delta: float) -> None:
        self.momento = self.momento + timedelta(**delta)


class SequentialIds:
    def __init__(self) -> None:
        self._n = itertools.count(1)
        self._lock = threading.Lock()

    def solicitud(self) -> str:
        with self._lock:
            return f"VD-{next(self._n):08d}"

    def evento(self) -> str:
        with self._lock:
            return f"ev-{next(self._n):012d}"


@dataclass
class FakeMailer:
    """The email provider (``TransporteCorreo``): keeps what it is asked to send. Services get it behind the
    suppression list (``con_supresion``; ``bootstrap`` does the same with the ``mailer`` override)."""

    enviados: list[CorreoSaliente] = field(default_factory=list)
    fallar: bool = False

    def enviar(self, correo: CorreoSaliente) -> str:
        if self.fallar:
            raise CorreoNoEnviado("fallo simulado")
        self.enviados.append(correo)
        return f"ses-{len(self.enviados)}"


def con_supresion(transporte: FakeMailer, supresiones: Supresiones | None = None) -> MailerConSupresion:
    """The ``Mailer`` port services get: ``transporte`` behind ``supresiones`` (an empty list unless given)."""
    return MailerConSupresion(transporte, supresiones if supresiones is not None else InMemorySupresiones())


class FakePlantillas:
    """Renders a recognisable subject/body from the template name and the request id."""

    def correo(self, nombre: str, contexto: dict[str, Any]) -> CorreoRenderizado:
        solicitud_id = contexto["solicitud"]["id"]
        return CorreoRenderizado(
            asunto=f"[{solicitud_id}] {nombre}", texto=f"{nombre} {solicitud_id}", html=f"<p>{nombre}</p>"
        )

    def mensaje(self, nombre: str, contexto: dict[str, Any]) -> str:
        return f"{nombre} {contexto['solicitud']['id']}"

    def pagina(self, nombre: str, contexto: dict[str, Any]) -> str:
        return f"<html>{nombre}</html>"


class FakeProtector:
    def proteger_ci(self, ci: str) -> dict[str, str]:
        return {"ultimos4": ci.split("-")[0][-4:], "huella": f"h({ci})", "cifrado": f"c({ci})"}

    def revelar_ci(self, cifrado: str) -> str:
        return cifrado[2:-1]

    def huella(self, ci: str) -> str:
        return f"h({ci})"


@dataclass
class FakeCobertura:
    respuesta: dict[str, Any] = field(
        default_factory=lambda: {
            "disponible": True,
            "tecnologia": "FTTH",
            "velocidad_maxima_mbps": 300,
            "zona_cobertura": "Centro (Casco Viejo)",
            "fuente": "coordenadas",
        }
    )

    def consultar(self, *, latitud: float | None, longitud: float | None, zona: str | None) -> dict[str, Any]:
        return dict(self.respuesta)


class FakeSmartflex:
    def __init__(self) -> None:
        self.registros: list[tuple[str, str]] = []
        self.clientes: dict[str, dict[str, Any]] = {}  # {ci or phone: customer} known to Smartflex
        self.anulados: list[tuple[str, str]] = []
        self.pago_verificado = True  # verificar_pago's answer (step 13)
        self.verificaciones: list[tuple[str, float]] = []
        self.caido = False  # every write and verification times out, as a real adapter reports it

    def _responder(self) -> None:
        if self.caido:
            raise ServicioExternoNoDisponible("Smartflex no respondió. Intente nuevamente en unos minutos.")

    def registrar_venta(self, solicitud: Solicitud, ci: str) -> dict[str, Any]:
        self._responder()
        self.registros.append((solicitud.id, ci))
        return {"numero_contrato": f"SCS-{solicitud.id}", "codigo_cliente": "CL-0000001"}

    def buscar_cliente(self, *, ci: str | None = None, telefono: str | None = None) -> dict[str, Any] | None:
        return self.clientes.get(ci or "") or self.clientes.get(telefono or "")

    def consultar_contrato(self, numero_contrato: str) -> dict[str, Any] | None:
        for solicitud_id, _ in self.registros:
            if numero_contrato == f"SCS-{solicitud_id}":
                anulado = any(n == numero_contrato for n, _ in self.anulados)
                estado = "ANULADA" if anulado else "REGISTRADA"
                return {"numero_contrato": numero_contrato, "solicitud_id": solicitud_id, "estado": estado}
        return None

    def anular(self, numero_contrato: str, motivo: str) -> dict[str, Any]:
        self._responder()
        self.anulados.append((numero_contrato, motivo))
        return {**(self.consultar_contrato(numero_contrato) or {}), "estado": "ANULADA"}

    def verificar_pago(self, numero_contrato: str, monto_bs: float) -> dict[str, Any]:
        self._responder()
        self.verificaciones.append((numero_contrato, monto_bs))
        if not self.pago_verificado:
            return {"verificado": False, "motivo": "El pago no figura en Smartflex.", "estado": "REGISTRADA"}
        return {"verificado": True, "motivo": "Pago registrado en Smartflex.", "estado": "ACTIVA"}


def _plan(id: str, tecnologia: str, mbps: float, tarifa: float, instalacion: float, **extra: Any) -> Plan:
    nombre = {"FTTH": "Fibra", "HFC": "Cable"}[tecnologia]
    return Plan(id, f"Hogar {nombre} {mbps:g}", tecnologia, mbps, tarifa, instalacion, **extra)


@dataclass
class FakeCatalogo:
    """A small plan catalogue (the real one is chalicelib/data/planes.json)."""

    lista: list[Plan] = field(
        default_factory=lambda: [
            _plan("hogar-fibra-50", "FTTH", 50, 199, 150),
            _plan("hogar-fibra-100", "FTTH", 100, 269, 150),
            _plan("hogar-fibra-300", "FTTH", 300, 449, 0, modalidades=("pospago",)),
            _plan("hogar-cable-50", "HFC", 50, 219, 100),
            _plan("hogar-fibra-40", "FTTH", 40, 179, 0, vigente=False),
        ]
    )

    def planes(self) -> list[Plan]:
        return list(self.lista)


class FakeCalendario:
    """Business time equals wall time (tests that need office hours use the real CalendarioLaboral)."""

    def vencimiento(self, desde: datetime, minutos_habiles: int) -> datetime:
        return desde + timedelta(minutes=minutos_habiles)

    def es_dia_habil(self, dia: date) -> bool:
        """Monday to Friday (no holidays: tests that need them use the real CalendarioLaboral)."""
        return dia.weekday() < 5
