"""`make demo` / `python -m localstage.demo`: fills the RUNNING local stage with a year of realistic history.

Every request is walked through the procedure with the domain's own ``transition()`` (the same rules, fields,
stages, invoices and history entries as the staff API), at plausible office-hour times, then written in batches
through the repository adapter's item mapping (``item_de_solicitud`` / ``item_de_entrada``): the follow-up,
month and invoice-month indexes are filled exactly as the app fills them.

- Deterministic: the same ``--semilla`` and ``--hasta`` give the same requests, ids and histories; running it
  again overwrites the same items (no duplicates).
- Quiet: the stored requests carry no ``ultimo_cambio``, so the stream handler sees no applied action in their
  records and sends no email (the outbox stays as it was). Their histories are complete in the history table.
  They are also up to date with the scheduled follow-up jobs (``al_dia``): overdue new requests already carry
  their escalation, overdue Help Desk questions their reminder/escalation claims, and no customer waits in
  ``requisitos`` past the reminder threshold, so the 15-minute and daily jobs do not email about them at once.
- Realistic: channels, plans, executives, coverage and capacity refusals, rejected offers, stalled offers,
  transfers and web payments, postpaid sales, cancellations (executive or Smartflex) and redigitations, monthly
  volumes that rise and fall (so the KPI is APROBADO some months and OBSERVADO others), and the latest requests
  still in progress.

Usage: ``python -m localstage.demo [--meses 12] [--por-mes 260] [--semilla 2026] [--hasta 2026-11-30]
[--endpoint http://127.0.0.1:4566] [--sin-medir]``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from chalicelib.adapters.calendario import CalendarioLaboral
from chalicelib.domain.actions import ACCIONES
from chalicelib.domain.events import ACCION_CAPTURA, ACCION_REDIGITACION
from chalicelib.domain.model import Cambio, EntradaHistorial, Rol, Solicitud
from chalicelib.domain.states import ESTADO_REDIGITACION, ETIQUETA_ESTADO, Accion, Estado, transition
from chalicelib.services.seguimiento_hd import clave_seguimiento, entrada_seguimiento
from chalicelib.services.trabajos import entrada_escalamiento

LA_PAZ = ZoneInfo("America/La_Paz")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CANALES = (("web", 30), ("facebook", 24), ("whatsapp", 20), ("botmaker", 14), ("messenger", 12))
PLANES = (
    ("Hogar Fibra 50", "FTTH", 50, 199.0, 30),
    ("Hogar Fibra 100", "FTTH", 100, 249.0, 28),
    ("Hogar Fibra 200", "FTTH", 200, 349.0, 14),
    ("Hogar Fibra 300", "FTTH", 300, 449.0, 6),
    ("Internet + TV 100", "FTTH", 100, 329.5, 12),
    ("Hogar Cable 30", "HFC", 30, 169.0, 10),
)
EJECUTIVOS = (
    "ana.rojas@comteco.com.bo",
    "luis.vargas@comteco.com.bo",
    "carla.mendez@comteco.com.bo",
    "jorge.quiroga@comteco.com.bo",
    "paola.soliz@comteco.com.bo",
)
PESO_EJECUTIVO = (30, 25, 20, 15, 10)
HELP_DESK = ("hugo.ledezma@comteco.com.bo", "ines.arce@comteco.com.bo")
COBRANZAS = "carla.cobranzas@comteco.com.bo"
CAJEROS = ("carlos.caja@comteco.com.bo", "marta.caja@comteco.com.bo")
FACTURACION = "fabiola.facturacion@comteco.com.bo"
RESPONSABLE = "rosa.canales@comteco.com.bo"
NOMBRES = (
    "María", "José", "Juan", "Ana", "Luis", "Carmen", "Jorge", "Rosa", "Carlos", "Lucía", "Miguel", "Patricia",
    "Fernando", "Silvia", "Ricardo", "Gabriela", "Marco", "Verónica", "Álvaro", "Daniela", "René", "Ximena",
)  # fmt: skip
APELLIDOS = (
    "Quispe", "Mamani", "Rojas", "Vargas", "Flores", "Gutiérrez", "Fernández", "Choque", "Condori", "Mendoza",
    "Torrico", "Camacho", "Salazar", "Villarroel", "Zurita", "Arce", "Montaño", "Céspedes", "Ugarte", "Ñuflo",
)  # fmt: skip
ZONAS = (
    ("Queru Queru", -17.3731, -66.1568), ("Cala Cala", -17.3681, -66.1632), ("Sarco", -17.3822, -66.1801),
    ("Centro", -17.3935, -66.157), ("Tupuraya", -17.3850, -66.1420), ("Hipódromo", -17.4050, -66.1600),
    ("Sacaba", -17.4042, -66.0408), ("Quillacollo", -17.3922, -66.2783), ("Tiquipaya", -17.3380, -66.2150),
)  # fmt: skip
BANCOS = ("Banco Unión S.A.", "Banco Nacional de Bolivia", "Banco Mercantil Santa Cruz", "BancoSol")
MOTIVOS_RECHAZO = ("Le parece caro", "Prefiere otro proveedor", "Ya no necesita el servicio", "Esperará unos meses")
MOTIVOS_SIN_CAPACIDAD = (
    "Caja terminal saturada en la cuadra",
    "Sin puertos libres en el nodo",
    "Zona en mantenimiento",
)
MOTIVOS_ANULACION = (
    ("Dirección errada en Smartflex", "smartflex"),
    ("Plan mal registrado en Smartflex", "smartflex"),
    ("El cliente desistió antes de la instalación", "ejecutivo"),
    ("Cliente duplicado", "ejecutivo"),
)
HORARIO = {d: ((8 * 60 + 30, 12 * 60 + 30), (14 * 60 + 30, 18 * 60 + 30)) for d in range(5)} | {5: ((9 * 60, 12 * 60),)}


@dataclass(frozen=True)
class Plazos:
    """The deadlines of the app's 15-minute and daily follow-up jobs (``chalicelib/config.py``; defaults as there).
    The demo's history is up to date with them at ``hasta``: whatever those jobs would already have sent is
    recorded as sent, so the running stage does not send a burst of emails about the demo's requests."""

    primera_respuesta: int = 60
    """Business minutes before an untouched new request is escalated (``escalate_unattended``)."""
    recordatorio_hd: int = 120
    escalamiento_hd: int = 240
    """Business minutes before an unanswered capacity question is reminded / escalated (``remind_help_desk``)."""
    dias_requisitos: int = 2
    """Business days in ``requisitos`` before the customer gets the daily reminder (``remind_requirements``)."""
    help_desk: str = "helpdesk@ventas.comteco.local"
    responsable_canales: str = "responsable.canales@ventas.comteco.local"
    """Where the follow-ups went (the stage's mailboxes), as their history entries say."""

    @classmethod
    def de(cls, settings: Any) -> Plazos:
        return cls(
            primera_respuesta=int(settings.minutos_primera_respuesta),
            recordatorio_hd=int(settings.minutos_recordatorio_hd),
            escalamiento_hd=int(settings.minutos_escalamiento_hd),
            dias_requisitos=int(settings.dias_recordatorio_requisitos),
            help_desk=settings.buzones.help_desk,
            responsable_canales=settings.buzones.responsable_canales,
        )

    @property
    def destinos(self) -> dict[str, str]:
        return {"recordatorio_hd": self.help_desk, "escalamiento_hd": self.responsable_canales}

    @property
    def minutos_requisitos(self) -> int:
        """The customer's reminder threshold in business minutes (a business day is 8 business hours)."""
        return self.dias_requisitos * 8 * 60

    @property
    def minutos_cliente(self) -> int:
        """Business minutes within which the demo's customers bring every requirement: the reminder threshold
        less half a business day (so a stage started a few hours later still sends them no reminder)."""
        return max(60, self.minutos_requisitos - MARGEN_REQUISITOS)


MARGEN_REQUISITOS: Final = 4 * 60
CALENDARIO: Final = CalendarioLaboral()
"""The app's business calendar (office hours and Bolivian holidays): the follow-up jobs count with it."""


class Pendiente(Exception):
    """The next step would happen after ``hasta``: the request stays where it is (still in progress)."""


def laborable(t: datetime) -> datetime:
    """``t`` if it is within office hours (La Paz), else the start of the next office period."""
    t = t.astimezone(LA_PAZ)
    for _ in range(10):
        minuto = t.hour * 60 + t.minute
        for inicio, fin in HORARIO.get(t.weekday(), ()):
            if minuto < inicio:
                return t.replace(hour=inicio // 60, minute=inicio % 60, second=0, microsecond=0)
            if minuto < fin:
                return t
        t = (t + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return t


@dataclass
class Historia:
    solicitud: Solicitud
    entradas: list[EntradaHistorial] = field(default_factory=list)
    seguimientos: list[str] = field(default_factory=list)
    """The Help Desk follow-up claims ``al_dia`` recorded as done (``seguimiento_hd.clave_seguimiento``)."""


@dataclass
class Simulador:
    """Walks requests through the procedure with ``transition()``; stops each one at ``hasta``."""

    semilla: int
    hasta: datetime
    rng: random.Random = field(init=False)
    historias: list[Historia] = field(default_factory=list)
    detener_en: str | None = None
    """A state at which every request walked now stops (the demo month's open pipeline), or None."""
    plazos: Plazos = field(default_factory=Plazos)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.semilla)

    # --- ids and time ---

    def _id(self) -> str:
        return "VD-" + "".join(self.rng.choice(CROCKFORD) for _ in range(8))

    def _evento(self, t: datetime) -> str:
        return f"{int(t.timestamp() * 1000):013d}-{self.rng.getrandbits(64):016x}"

    def _minutos(self, minimo: float, mediana: float) -> timedelta:
        """A right-skewed delay (log-normal) of at least ``minimo`` minutes around ``mediana``."""
        return timedelta(minutes=max(minimo, self.rng.lognormvariate(math.log(mediana), 0.9)))

    def _despues(
        self, t: datetime, minimo: float, mediana: float, oficina: bool = True, tope: datetime | None = None
    ) -> datetime:
        siguiente = t + self._minutos(minimo, mediana)
        siguiente = laborable(siguiente) if oficina else siguiente
        if tope is not None and siguiente > tope:
            siguiente = max(tope, t + timedelta(minutes=1))  # no later than ``tope``, still after ``t``
        if siguiente > self.hasta:
            raise Pendiente
        return siguiente.replace(microsecond=0)

    # --- one request ---

    def capturar(self, t: datetime, canal: str) -> Historia:
        solicitud_id = self._id()
        nombre = f"{self.rng.choice(NOMBRES)} {self.rng.choice(APELLIDOS)} {self.rng.choice(APELLIDOS)}"
        usuario = nombre.lower().split()[0].translate(str.maketrans("áéíóúñ", "aeioun"))
        zona, lat, lon = self.rng.choice(ZONAS)
        datos = {
            "nombre": nombre,
            "telefono": f"+5917{self.rng.randint(0, 9999999):07d}",
            "email": f"{usuario}.{self.rng.randint(10, 9999)}@example.com",
            "ciudad": "Cochabamba",
            "zona": zona,
            "servicio": self.rng.choice(("internet_hogar", "internet_hogar", "internet_tv")),
        }
        cambio = Cambio(
            id=self._evento(t),
            solicitud_id=solicitud_id,
            en=t.isoformat(),
            actor=f"prospecto:{canal}",
            rol=Rol.SISTEMA.value,
            canal=canal,
            accion=ACCION_CAPTURA,
            de="",
            a=Estado.NUEVA.value,
            campos=dict(datos),
        )
        s = Solicitud(
            id=solicitud_id,
            estado=Estado.NUEVA.value,
            canal=canal,
            creada_en=t.isoformat(),
            actualizada_en=t.isoformat(),
            estado_desde=t.isoformat(),
            mes=t.strftime("%Y-%m"),
            version=1,
            datos=datos,
            tipo_cliente_sugerido="residencial",
            motivo_clasificacion="Formulario: Hogar",
            origen={"demo": self.semilla, "zona": zona, "coordenadas": [lat, lon]},
            ultimo_cambio=cambio,
        )
        historia = Historia(s, [EntradaHistorial.de_cambio(cambio, f"Solicitud recibida por el canal {canal}.")])
        self.historias.append(historia)
        return historia

    def aplicar(self, h: Historia, accion: Accion, rol: Rol, actor: str, t: datetime, **campos: Any) -> None:
        if t > self.hasta:
            raise Pendiente
        s, cambio = transition(
            h.solicitud, accion, campos=campos, actor=actor, rol=rol, canal="api", ahora=t, cambio_id=self._evento(t)
        )
        etiqueta = ACCIONES[accion].etiqueta
        resumen = (
            etiqueta + "." if cambio.de == cambio.a else f"{etiqueta}: {_estado(cambio.de)} → {_estado(cambio.a)}."
        )
        h.solicitud = s
        h.entradas.append(EntradaHistorial.de_cambio(cambio, resumen))
        if self.detener_en is not None and s.estado == self.detener_en and cambio.de != cambio.a:
            raise Pendiente

    def recorrer(self, t0: datetime, canal: str) -> None:
        h = self.capturar(t0, canal)
        with contextlib.suppress(Pendiente):
            self._procedimiento(h, t0)

    def _procedimiento(self, h: Historia, t: datetime) -> None:
        r = self.rng
        ej = r.choices(EJECUTIVOS, PESO_EJECUTIVO)[0]
        if r.random() < 0.015:
            return  # never answered: an unattended new request
        t = self._despues(t, 3, 35)
        if r.random() < 0.06:
            self.aplicar(h, Accion.DERIVAR_EMPRESAS, Rol.EJ, ej, t, razon_social=f"{h.solicitud.nombre} SRL")
            return
        self.aplicar(h, Accion.CLASIFICAR_RESIDENCIAL, Rol.EJ, ej, t)
        zona = str(h.solicitud.origen["zona"])
        lat, lon = (float(c) for c in h.solicitud.origen["coordenadas"])
        t = self._despues(t, 2, 15)
        self.aplicar(
            h,
            Accion.REGISTRAR_DATOS,
            Rol.EJ,
            ej,
            t,
            ci_protegido={
                "ultimos4": f"{r.randint(0, 9999):04d}",
                "huella": f"demo-{r.getrandbits(48):012x}",
                "cifrado": "demo",
            },
            direccion=f"Calle {r.choice(APELLIDOS)} {r.randint(100, 2500)}",
            latitud=lat,
            longitud=lon,
        )
        t = self._despues(t, 1, 5)
        disponible = r.random() > 0.05
        tecnologia = "HFC" if zona in ("Sacaba", "Quillacollo") else "FTTH"
        maxima = r.choice((100, 200, 300)) if tecnologia == "FTTH" else 50
        self.aplicar(
            h,
            Accion.CONSULTAR_COBERTURA,
            Rol.EJ,
            ej,
            t,
            disponible=disponible,
            tecnologia=tecnologia if disponible else None,
            velocidad_maxima_mbps=maxima if disponible else 0,
            zona_cobertura=zona,
            fuente="coordenadas",
        )
        if not disponible:
            t = self._despues(t, 1, 20)
            self.aplicar(
                h, Accion.CERRAR_SIN_COBERTURA, Rol.EJ, ej, t, motivo="La ubicación no tiene cobertura técnica."
            )
            return
        planes = [p for p in PLANES if p[1] == tecnologia and p[2] <= maxima] or [PLANES[-1]]
        plan, tec, velocidad, tarifa, _ = r.choices(planes, [p[4] for p in planes])[0]
        t = self._despues(t, 2, 20)
        self.aplicar(h, Accion.SOLICITAR_CONFIRMACION_HD, Rol.EJ, ej, t, velocidad_solicitada_mbps=velocidad)
        t = self._despues(t, 10, 120)
        if r.random() < 0.06:
            self.aplicar(
                h, Accion.NEGAR_CAPACIDAD, Rol.HD, r.choice(HELP_DESK), t, motivo=r.choice(MOTIVOS_SIN_CAPACIDAD)
            )
            return
        self.aplicar(
            h, Accion.CONFIRMAR_CAPACIDAD, Rol.HD, r.choice(HELP_DESK), t, velocidad_maxima_mbps=maxima, tecnologia=tec
        )
        t = self._despues(t, 10, 90)
        self.aplicar(
            h,
            Accion.ENVIAR_OFERTA,
            Rol.EJ,
            ej,
            t,
            plan=plan,
            tecnologia=tec,
            velocidad_mbps=velocidad,
            tarifa_mensual_bs=tarifa,
            costo_instalacion_bs=r.choice((0.0, 0.0, 150.0)),
        )
        decision = r.random()
        if decision < 0.03:
            return  # the customer never answered: an offer that stalls
        t = self._despues(t, 60, 24 * 60, oficina=False)
        t = laborable(t)
        if decision < 0.17:
            self.aplicar(h, Accion.RECHAZAR_OFERTA, Rol.EJ, ej, t, motivo=r.choice(MOTIVOS_RECHAZO))
            return
        self.aplicar(h, Accion.ACEPTAR_OFERTA, Rol.EJ, ej, t)
        # the customer brings every requirement before the daily reminder would start (``tope_requisitos``): a
        # demo request never sits in ``requisitos`` long enough for the stage to email its fake customer
        tope = tope_requisitos(h.solicitud, self.plazos)
        for requisito in ("ci", "ubicacion", "carta_solicitud"):
            t = self._despues(t, 5, 6 * 60, tope=tope)
            self.aplicar(
                h, Accion.REGISTRAR_REQUISITO, Rol.EJ, ej, t, requisito=requisito, detalle="recibido por WhatsApp"
            )
        t = self._despues(t, 2, 30, tope=tope)
        self.aplicar(h, Accion.COMPLETAR_REQUISITOS, Rol.EJ, ej, t)
        self._venta(h, t, ej, tarifa)

    def _venta(self, h: Historia, t: datetime, ej: str, tarifa: float) -> None:
        """From digitation on (also the path of a redigitated sale)."""
        r = self.rng
        t = self._despues(t, 10, 120)
        self.aplicar(
            h,
            Accion.DIGITAR_VENTA,
            Rol.EJ,
            ej,
            t,
            numero_contrato=f"SCS-{r.randint(100000, 999999)}",
            codigo_cliente=f"CL-{r.randint(1000000, 9999999)}",
        )
        anular_en = r.random()
        t = self._despues(t, 5, 60)
        if anular_en < 0.03:
            return self._anular(h, t, ej)
        costo = float((h.solicitud.oferta or {}).get("costo_instalacion_bs") or 0)
        if r.random() < 0.35:
            self.aplicar(h, Accion.ELEGIR_POSPAGO, Rol.EJ, ej, t)
            t = self._despues(t, 60, 2 * 24 * 60)
            if anular_en < 0.06:
                return self._anular(h, t, ej)
            self.aplicar(
                h,
                Accion.REGISTRAR_CONTROL_RECURRENTE,
                Rol.FA,
                FACTURACION,
                t,
                dia_facturacion=r.randint(1, 28),
                monto_mensual_bs=tarifa,
            )
        else:
            self.aplicar(h, Accion.ELEGIR_PREPAGO, Rol.EJ, ej, t)
            monto = tarifa + costo
            t = self._despues(t, 30, 20 * 60, oficina=False)
            if r.random() < 0.3:
                self.aplicar(
                    h,
                    Accion.REGISTRAR_PAGO_WEB,
                    Rol.CO,
                    COBRANZAS,
                    laborable(t),
                    id_transaccion=f"TX-{r.getrandbits(32):08X}",
                    monto_bs=monto,
                )
                t = self._despues(laborable(t), 10, 90)
                self.aplicar(h, Accion.CONFIRMAR_PAGO_WEB, Rol.CO, COBRANZAS, t)
                t = self._despues(t, 5, 40)
                if anular_en < 0.06:
                    return self._anular(h, t, ej)
                self.aplicar(
                    h,
                    Accion.ENVIAR_FACTURA,
                    Rol.CO,
                    COBRANZAS,
                    t,
                    numero_factura=f"F-001-{r.randint(1, 999999):06d}",
                    monto_bs=monto,
                )
            else:
                t = laborable(t)
                deposito = {
                    "monto_bs": monto,
                    "fecha_deposito": t.date().isoformat(),
                    "numero_deposito": f"DEP-{r.randint(100000, 999999)}",
                    "tipo_operacion": r.choice(("deposito", "transferencia")),
                    "depositante": h.solicitud.nombre,
                    "banco": r.choice(BANCOS),
                }
                self.aplicar(h, Accion.REGISTRAR_COMPROBANTE, Rol.EJ, ej, t, **deposito)
                t = self._despues(t, 10, 180)
                if r.random() < 0.05:
                    self.aplicar(
                        h,
                        Accion.RECHAZAR_DEPOSITO,
                        Rol.CO,
                        COBRANZAS,
                        t,
                        motivo="El depósito no figura en el extracto.",
                    )
                    t = self._despues(t, 60, 24 * 60)
                    self.aplicar(h, Accion.REGISTRAR_COMPROBANTE, Rol.EJ, ej, t, **deposito)
                    t = self._despues(t, 10, 120)
                self.aplicar(h, Accion.APROBAR_DEPOSITO, Rol.CO, COBRANZAS, t)
                t = self._despues(t, 10, 120)
                if anular_en < 0.06:
                    return self._anular(h, t, ej)
                self.aplicar(
                    h,
                    Accion.MARCAR_IMPRESA,
                    Rol.CA,
                    r.choice(CAJEROS),
                    t,
                    numero_factura=f"F-002-{r.randint(1, 999999):06d}",
                    monto_bs=monto,
                )
                t = self._despues(t, 30, 8 * 60)
                self.aplicar(h, Accion.MARCAR_ENTREGADA, Rol.CA, r.choice(CAJEROS), t, entregada_a=h.solicitud.nombre)
        if anular_en < 0.075:
            t = self._despues(t, 24 * 60, 5 * 24 * 60)
            self._anular(h, t, ej)
        return None

    def _anular(self, h: Historia, t: datetime, ej: str) -> None:
        motivo, origen = self.rng.choice(MOTIVOS_ANULACION)
        self.aplicar(h, Accion.ANULAR, Rol.EJ, ej, t, motivo=motivo, origen_anulacion=origen)
        if self.rng.random() < 0.65:
            t = self._despues(t, 60, 24 * 60)
            self._redigitar(h, t, ej)

    def _redigitar(self, h: Historia, t: datetime, ej: str) -> None:
        """Step 20 as ``services.solicitudes`` does it: the original becomes ``redigitada`` and a linked new request
        starts in ``digitacion`` with its own history; then the new one goes on."""
        original = h.solicitud
        nueva_id = self._id()
        cambio = Cambio(
            id=self._evento(t),
            solicitud_id=nueva_id,
            en=t.isoformat(),
            actor=RESPONSABLE,
            rol=Rol.RC.value,
            canal="api",
            accion=ACCION_REDIGITACION,
            de="",
            a=ESTADO_REDIGITACION.value,
            campos={"redigitacion_de": original.id},
        )
        nueva = replace(
            original,
            id=nueva_id,
            estado=ESTADO_REDIGITACION.value,
            creada_en=t.isoformat(),
            actualizada_en=t.isoformat(),
            estado_desde=t.isoformat(),
            mes=t.strftime("%Y-%m"),
            version=1,
            digitacion=None,
            modalidad_pago=None,
            pago=None,
            factura=None,
            control_facturacion=None,
            motivo_cierre=None,
            anulacion=None,
            redigitacion_de=original.id,
            redigitada_como=None,
            escalada_en=None,
            ultimo_cambio=cambio,
        )
        self.aplicar(h, Accion.REDIGITAR, Rol.RC, RESPONSABLE, t, nueva_solicitud_id=nueva_id)
        copia = Historia(
            nueva, [EntradaHistorial.de_cambio(cambio, f"Redigitación de la venta anulada {original.id}.")]
        )
        self.historias.append(copia)
        tarifa = float((nueva.oferta or {}).get("tarifa_mensual_bs") or 199.0)
        with contextlib.suppress(Pendiente):
            self._venta(copia, t, ej, tarifa)


def _estado(valor: str) -> str:
    return ETIQUETA_ESTADO[Estado(valor)]


def _meses(hasta: date, cuantos: int) -> list[tuple[date, date]]:
    """The last ``cuantos`` calendar months up to ``hasta`` (the current one ends at ``hasta``)."""
    meses = []
    anio, mes = hasta.year, hasta.month
    for _ in range(cuantos):
        inicio = date(anio, mes, 1)
        fin = date(anio + (mes == 12), mes % 12 + 1, 1) - timedelta(days=1)
        meses.append((inicio, min(fin, hasta)))
        anio, mes = (anio - 1, 12) if mes == 1 else (anio, mes - 1)
    return meses[::-1]


def generar(*, semilla: int, hasta: datetime, meses: int, por_mes: int, plazos: Plazos | None = None) -> list[Historia]:
    """The demo history, deterministic for (semilla, hasta, meses, por_mes), up to date with the follow-up jobs
    at ``hasta`` (``al_dia``)."""
    plazos = plazos or Plazos()
    simulador = Simulador(semilla, hasta, plazos=plazos)
    canales = [c for c, _ in CANALES]
    pesos = [p for _, p in CANALES]
    for indice, (inicio, fin) in enumerate(_meses(hasta.date(), meses)):
        estacion = 1 + 0.18 * math.sin(indice * 1.3) + (0.15 if inicio.month == 12 else 0)
        _llegadas(simulador, inicio, fin, por_mes * estacion, canales, pesos)
    return al_dia(simulador.historias, hasta, plazos)


def _llegadas(
    simulador: Simulador, inicio: date, fin: date, por_mes: float, canales: list[str], pesos: list[int]
) -> None:
    """``por_mes`` arrivals per whole month, spread over ``inicio``..``fin``, each walked through the procedure."""
    dias = (fin - inicio).days + 1
    completo = (date(inicio.year + (inicio.month == 12), inicio.month % 12 + 1, 1) - inicio).days
    cantidad = round(por_mes * dias / completo)
    llegadas = []
    for _ in range(cantidad):
        dia = inicio + timedelta(days=simulador.rng.randrange(dias))
        minuto = int(simulador.rng.triangular(7 * 60, 23 * 60, 11 * 60))
        llegadas.append(datetime(dia.year, dia.month, dia.day, minuto // 60, minuto % 60, tzinfo=LA_PAZ))
    for t0 in sorted(llegadas):
        if t0 <= simulador.hasta:
            simulador.recorrer(t0, simulador.rng.choices(canales, pesos)[0])


# --- The demo month (`make run`): the previous month complete and the current one up to now ---

SEMILLA_MES: Final = 2026
POR_MES_MES: Final = 240
"""Requests per month of the demo month's previous month (about a normal month's volume)."""
RITMO_ACTUAL: Final = 0.55
"""The current month receives 55 % of the previous month's pace: it runs behind, so its projection falls short of
the KPI's 98 % and the early warning (``/dev/jobs/alerta_tablero``) has something to say."""
RITMO_ARRASTRE: Final = 3.0
DIAS_ARRASTRE: Final = 10
"""The month before the previous one ended busy (its last 10 days at three times the pace: a campaign): the
previous month billed their sales too, so it is a strong month to compare with, even on the 1st, when the
projection can only assume the previous month's pace of arrivals."""
PERDIDAS_FORZADAS: Final = ("sin_capacidad", "sin_cobertura", "oferta_rechazada", "anulada")
INTENTOS_FORZADOS: Final = 400


def _inicio_mes(dia: date) -> date:
    return dia.replace(day=1)


def _forzar(
    simulador: Simulador,
    desde: datetime,
    hasta: datetime,
    cumple: Callable[[Solicitud], bool],
    *,
    canal: str | None = None,
    detener_en: str | None = None,
) -> bool:
    """Walk new requests arriving between ``desde`` and ``hasta`` until one ends as ``cumple`` asks (stopped at
    ``detener_en`` when given); the attempts that do not are discarded. False when none did (no time left)."""
    canales = [c for c, _ in CANALES]
    pesos = [p for _, p in CANALES]
    segundos = int((hasta - desde).total_seconds())
    if segundos <= 0:
        return False
    for _ in range(INTENTOS_FORZADOS):
        antes = len(simulador.historias)
        t0 = laborable(desde + timedelta(seconds=simulador.rng.randrange(segundos))).replace(second=0, microsecond=0)
        if t0 > hasta:
            continue
        simulador.detener_en = detener_en
        try:
            simulador.recorrer(t0, canal or simulador.rng.choices(canales, pesos)[0])
        finally:
            simulador.detener_en = None
        if cumple(simulador.historias[antes].solicitud):
            return True
        del simulador.historias[antes:]
    return False


def generar_mes_demo(
    hasta: datetime,
    *,
    semilla: int = SEMILLA_MES,
    por_mes: int = POR_MES_MES,
    ritmo_actual: float = RITMO_ACTUAL,
    plazos: Plazos | None = None,
) -> list[Historia]:
    """The demo month: the previous month complete and the current one up to ``hasta`` (La Paz), deterministic
    for (semilla, hasta, por_mes, ritmo_actual), every part of the dashboard filled:

    - every channel, the losses of each kind and first answers in both months (the current one as soon as it
      has had office hours), invoices on the days of both months;
    - the open pipeline: at least one request waiting in every state of ``tablero.ABIERTOS``, with its amount;
    - the current month at ``ritmo_actual`` of the previous month's pace: behind it, so the projection warns;
    - up to date with the follow-up jobs at ``hasta`` (``al_dia``): the stage does not email about it at once."""
    from chalicelib.domain.tablero import ABIERTOS, motivo_perdida

    def _perdida(motivo: str) -> Callable[[Solicitud], bool]:
        return lambda s: motivo_perdida(s) == motivo

    hasta = hasta.astimezone(LA_PAZ)
    plazos = plazos or Plazos()
    simulador = Simulador(semilla, hasta, plazos=plazos)
    canales = [c for c, _ in CANALES]
    pesos = [p for _, p in CANALES]
    actual_inicio = _inicio_mes(hasta.date())
    previo_inicio = _inicio_mes(actual_inicio - timedelta(days=1))
    # the busy last days of the month before: the previous month's invoices of requests that arrived before it
    arrastre_inicio = previo_inicio - timedelta(days=DIAS_ARRASTRE)
    cola = por_mes * RITMO_ARRASTRE * DIAS_ARRASTRE / _fin_mes(arrastre_inicio).day  # to its month's end
    _llegadas(simulador, arrastre_inicio, previo_inicio - timedelta(days=1), cola, canales, pesos)
    _llegadas(simulador, previo_inicio, actual_inicio - timedelta(days=1), por_mes, canales, pesos)
    _llegadas(simulador, actual_inicio, hasta.date(), por_mes * ritmo_actual, canales, pesos)

    def en_mes(inicio: date) -> list[Solicitud]:
        mes = inicio.strftime("%Y-%m")
        return [h.solicitud for h in simulador.historias if h.solicitud.mes == mes and not h.solicitud.redigitacion_de]

    for inicio in (previo_inicio, actual_inicio):
        desde = datetime(inicio.year, inicio.month, inicio.day, tzinfo=LA_PAZ)
        fin = min(hasta, datetime.combine(_fin_mes(inicio), datetime.max.time(), LA_PAZ).replace(microsecond=0))
        for canal in canales:
            if not any(s.canal == canal for s in en_mes(inicio)):
                _forzar(simulador, desde, fin, _cualquiera, canal=canal)
        for motivo in PERDIDAS_FORZADAS:
            if not any(motivo_perdida(s) == motivo for s in en_mes(inicio)):
                _forzar(simulador, desde, fin, _perdida(motivo))
    for estado in ABIERTOS:
        if any(h.solicitud.estado == estado for h in simulador.historias):
            continue
        # this month's when it has had time to get there, else from the previous month's last days
        desde = max(datetime(actual_inicio.year, actual_inicio.month, 1, tzinfo=LA_PAZ), hasta - timedelta(days=12))
        cumple = _en_estado(estado, hasta, plazos)
        if not _forzar(simulador, desde, hasta, cumple, detener_en=estado):
            _forzar(simulador, hasta - timedelta(days=14), hasta, cumple, detener_en=estado)
    return al_dia(simulador.historias, hasta, plazos)


def _cualquiera(_: Solicitud) -> bool:
    return True


def _en_estado(estado: str, hasta: datetime, plazos: Plazos) -> Callable[[Solicitud], bool]:
    """Waiting in ``estado`` at ``hasta``; in ``requisitos``, still within the customer's time (``tope_requisitos``),
    as every request the procedure leaves there."""
    if estado == Estado.REQUISITOS.value:
        return lambda s: s.estado == estado and tope_requisitos(s, plazos) >= hasta
    return lambda s: s.estado == estado


# --- Up to date with the follow-up jobs (escalate_unattended, remind_help_desk, remind_requirements) ---


def tope_requisitos(s: Solicitud, plazos: Plazos) -> datetime:
    """When the demo's customer of ``s`` (just entered ``requisitos``) has brought every requirement at the latest:
    ``plazos.minutos_cliente`` business minutes after ``estado_desde``, inside office hours, half a business day
    before the reminder threshold."""
    vence = CALENDARIO.vencimiento(datetime.fromisoformat(s.estado_desde), plazos.minutos_cliente)
    return (vence - timedelta(minutes=1)).astimezone(LA_PAZ)


def _pasada(vence: datetime, hasta: datetime) -> datetime:
    """When a 15-minute job first saw a deadline ``vence`` pass: the next quarter hour, at the latest ``hasta``."""
    vence = vence.astimezone(LA_PAZ).replace(second=0, microsecond=0)
    cuarto = vence + timedelta(minutes=-vence.minute % 15)
    return min(cuarto, hasta.astimezone(LA_PAZ)).replace(microsecond=0)


SEGUIMIENTO_HD: Final = ("recordatorio_hd", "escalamiento_hd")
"""The Help Desk follow-ups, claimed by ``remind_help_desk`` (``seguimiento_hd.clave_seguimiento``)."""


def al_dia(historias: list[Historia], hasta: datetime, plazos: Plazos) -> list[Historia]:
    """Record what the app's 15-minute jobs would already have done by ``hasta``, as they record it:

    - a request still ``nueva`` past its first business hour was escalated to the team lead: ``escalada_en`` (the
      job escalates a request once, and skips it when that field is set) and its history entry;
    - a capacity question waiting in ``consulta_help_desk`` past 2 (4) business hours was reminded (escalated):
      the history entries here, the job's claims ``<tipo>#<id>#<estado_desde>`` when written (``escribir``).

    ``requisitos`` needs nothing: the demo's customers bring their requirements before the reminder threshold
    (``tope_requisitos``), so no demo request is there long enough for ``remind_requirements``."""
    hasta = hasta.astimezone(LA_PAZ)
    for h in historias:
        s = h.solicitud
        if s.estado == Estado.NUEVA.value and not s.primera_respuesta_en and not s.escalada_en:
            vence = CALENDARIO.vencimiento(datetime.fromisoformat(s.creada_en), plazos.primera_respuesta)
            if vence <= hasta:
                en = _pasada(vence, hasta).isoformat()
                h.solicitud = replace(s, escalada_en=en)
                h.entradas.append(entrada_escalamiento(s, vence=vence, en=en))
        elif s.estado == Estado.CONSULTA_HELP_DESK.value:
            hechos = {e.id for e in h.entradas}
            for tipo, minutos in zip(SEGUIMIENTO_HD, (plazos.recordatorio_hd, plazos.escalamiento_hd), strict=True):
                vence = CALENDARIO.vencimiento(datetime.fromisoformat(s.estado_desde), minutos)
                entrada = entrada_seguimiento(
                    tipo, s, vence=vence, en=_pasada(vence, hasta).isoformat(), para=(plazos.destinos[tipo],)
                )
                if vence <= hasta and entrada.id not in hechos:
                    h.entradas.append(entrada)
                    h.seguimientos.append(clave_seguimiento(tipo, s))
    return historias


def claves_de_seguimiento(historias: Sequence[Historia]) -> list[str]:
    """The claims ``remind_help_desk`` keeps for the follow-ups ``al_dia`` recorded (``clave_seguimiento``)."""
    return [clave for h in historias for clave in h.seguimientos]


def _fin_mes(inicio: date) -> date:
    return date(inicio.year + (inicio.month == 12), inicio.month % 12 + 1, 1) - timedelta(days=1)


def sembrar_mes_demo(settings: Any, hasta: datetime | None = None) -> dict[str, Any]:
    """Generate the demo month up to ``hasta`` (default now in La Paz) and write it to the stage (quietly:
    ``escribir``); returns the counts per month and the seconds it took."""
    from chalicelib.domain.seguimiento import mes_anterior

    inicio = time.perf_counter()
    momento = (hasta or datetime.now(LA_PAZ)).astimezone(LA_PAZ).replace(second=0, microsecond=0)
    historias = generar_mes_demo(momento, plazos=Plazos.de(settings))
    solicitudes, entradas = escribir(historias, settings)
    mes = momento.strftime("%Y-%m")
    por_mes = Counter(h.solicitud.mes for h in historias)
    return {
        "mes": mes,
        "mes_anterior": mes_anterior(mes),
        "solicitudes": solicitudes,
        "entradas": entradas,
        "por_mes": dict(sorted(por_mes.items())),
        "segundos": round(time.perf_counter() - inicio, 1),
    }


def almacenadas(historias: Sequence[Historia]) -> Iterator[Solicitud]:
    """The requests as stored by the demo: without ``ultimo_cambio`` (their stream records carry no action)."""
    for h in historias:
        yield replace(h.solicitud, ultimo_cambio=None)


def escribir(historias: Sequence[Historia], settings: Any) -> tuple[int, int]:
    """Batch-write every request and history entry through the adapter's item mapping, and complete the Help Desk
    follow-up claims of ``al_dia`` through the app's ``Idempotencia`` adapter (as ``remind_help_desk`` does after
    sending: a rerun of the job then sends nothing); returns the counts of requests and entries."""
    from chalicelib.adapters.dynamo_idempotencia import PynamoIdempotencia
    from chalicelib.adapters.dynamo_solicitudes import item_de_entrada, item_de_solicitud
    from chalicelib.adapters.dynamo_tables import HistorialItem, SolicitudItem, bind

    bind(settings)
    solicitudes = entradas = 0
    with SolicitudItem.batch_write() as lote:
        for s in almacenadas(historias):
            lote.save(item_de_solicitud(s))
            solicitudes += 1
    with HistorialItem.batch_write() as lote:
        for h in historias:
            for entrada in h.entradas:
                lote.save(item_de_entrada(entrada))
                entradas += 1
    idempotencia = PynamoIdempotencia(settings)
    for clave in claves_de_seguimiento(historias):
        if idempotencia.reclamar(clave):  # False: already completed by an earlier run
            idempotencia.completar(clave, "demo")
    return solicitudes, entradas


def resumen(historias: Sequence[Historia]) -> dict[str, Any]:
    estados = Counter(h.solicitud.estado for h in historias)
    meses = Counter(h.solicitud.mes for h in historias)
    facturas = Counter((h.solicitud.factura or {}).get("mes") for h in historias if h.solicitud.factura)
    return {
        "solicitudes": len(historias),
        "entradas": sum(len(h.entradas) for h in historias),
        "por_estado": dict(estados.most_common()),
        "por_mes": dict(sorted(meses.items())),
        "facturas_por_mes": dict(sorted(facturas.items())),
        "canales": dict(Counter(h.solicitud.canal for h in historias).most_common()),
    }


def medir(settings: Any, hasta: datetime) -> dict[str, Any]:
    """Run the reports against the stage (as the app does) and return what they read and how long they took."""
    from chalicelib import bootstrap
    from chalicelib.domain.model import Rol
    from chalicelib.domain.seguimiento import mes_anterior

    servicios = bootstrap.get_services()
    mes = mes_anterior(hasta.strftime("%Y-%m"))
    inicio = time.perf_counter()
    informe = servicios.informe_mensual(mes, {Rol.JD})
    duracion = time.perf_counter() - inicio
    no_atendidas = servicios.reporte_no_atendidas({Rol.RC})
    seguimiento = servicios.reporte_seguimiento(mes, {Rol.RC})
    return {
        "informe_mensual": {
            "mes": mes,
            "veredicto": informe["kpi"]["veredicto"],
            "porcentaje": "—" if informe["kpi"]["porcentaje"] is None else str(informe["kpi"]["porcentaje"]),
            "lectura": informe["lectura"],
            "segundos_totales": round(duracion, 2),
        },
        "no_atendidas": {"filas": no_atendidas["total"], "lectura": no_atendidas["lectura"]},
        "seguimiento": {"lectura": seguimiento["lectura"]},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Carga historia de demostración en la etapa local en ejecución.")
    parser.add_argument("--meses", type=int, default=12)
    parser.add_argument("--por-mes", type=int, default=260, help="solicitudes por mes (promedio)")
    parser.add_argument("--semilla", type=int, default=2026)
    parser.add_argument("--hasta", help="AAAA-MM-DD (por omisión, hoy en La Paz)")
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"))
    parser.add_argument("--sin-medir", action="store_true", help="no ejecutar los reportes al final")
    args = parser.parse_args(argv)

    ahora = datetime.now(LA_PAZ).replace(microsecond=0)
    if args.hasta:
        dia = date.fromisoformat(args.hasta)
        hasta = datetime(dia.year, dia.month, dia.day, 23, 59, tzinfo=LA_PAZ)
    else:
        hasta = ahora.replace(second=0)

    from localstage.entorno import entorno_local

    os.environ.update(entorno_local(args.endpoint))  # never real AWS: the local stage's names and credentials
    from chalicelib.config import Settings

    settings = Settings.from_env()
    try:
        import requests

        requests.get(args.endpoint, timeout=3)
    except Exception:
        print(f"No hay una etapa local en {args.endpoint}. Inicie `make run` en otra terminal y vuelva a intentar.")
        return 1

    inicio = time.perf_counter()
    historias = generar(semilla=args.semilla, hasta=hasta, meses=args.meses, por_mes=args.por_mes)
    generado = time.perf_counter() - inicio
    datos = resumen(historias)
    print(
        f"Generadas {datos['solicitudes']} solicitudes y {datos['entradas']} entradas de historial en {generado:.1f} s."
    )
    inicio = time.perf_counter()
    solicitudes, entradas = escribir(historias, settings)
    print(
        f"Escritas {solicitudes} solicitudes y {entradas} entradas en {time.perf_counter() - inicio:.1f} s ({args.endpoint})."
    )
    print("Por mes de creación:", ", ".join(f"{m}: {n}" for m, n in datos["por_mes"].items()))
    print("Facturas por mes:   ", ", ".join(f"{m}: {n}" for m, n in datos["facturas_por_mes"].items()))
    print("Estados:            ", ", ".join(f"{e}: {n}" for e, n in datos["por_estado"].items()))
    print("Canales:            ", ", ".join(f"{c}: {n}" for c, n in datos["canales"].items()))
    if not args.sin_medir:
        medido = medir(settings, hasta)
        informe = medido["informe_mensual"]
        print(
            f"Informe de {informe['mes']}: {informe['veredicto']} ({informe['porcentaje']} %), "
            f"registros leídos {informe['lectura']['items_leidos']} "
            f"(solicitudes del mes {informe['lectura']['solicitudes_del_mes']}, facturas del mes "
            f"{informe['lectura']['facturas_del_mes']}, facturas del mes anterior "
            f"{informe['lectura']['facturas_mes_anterior']}), {informe['segundos_totales']} s."
        )
        print(
            f"No atendidas y vencidas: {medido['no_atendidas']['filas']} filas, registros leídos "
            f"{medido['no_atendidas']['lectura']['items_leidos']}, {medido['no_atendidas']['lectura']['segundos']} s."
        )
        print(f"Seguimiento de {informe['mes']}: registros leídos {medido['seguimiento']['lectura']['items_leidos']}.")
    print("Listo: abra los reportes con un token RC o JD (GET /dev/tokens), p. ej. /reportes/mensual?mes=AAAA-MM.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
