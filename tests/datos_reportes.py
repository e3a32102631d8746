"""Hand-computed report data shared by the report tests (services with fakes, templates, Chromium)."""

from __future__ import annotations

from typing import Any

from tests.factories import make_entrada, make_solicitud

TODAS = ("visitado", "informado", "pre_venta", "venta")


def etapas(*nombres: str) -> dict[str, str]:
    return {n: "2026-11-10T10:00:00-04:00" for n in nombres}


def factura(numero: str, monto: Any, emitida_en: str) -> dict[str, Any]:
    return {"numero": numero, "monto_bs": monto, "emitida_en": emitida_en, "mes": emitida_en[:7]}


def guardar(repo, **campos):
    s = make_solicitud(**campos)
    repo.crear(s, make_entrada(s))
    return s


def noviembre(repo) -> dict[str, Any]:
    """The hand-computed month (report run on 2026-12-01 08:00 La Paz):

    requests created in November: A..H (8); invoices of November: A 199,00 + B 349,00 + I 450,00 = 998,00 (D's
    249,50 is of a cancelled sale: excluded); October: J 1.000,00 -> KPI 99,80 % APROBADO. Other months (K, L)
    are never read.
    """
    n = {}
    n["A"] = guardar(
        repo,
        id="VD-A",
        creada_en="2026-11-03T09:00:00-04:00",
        canal="web",
        estado="cerrada",
        ejecutivo="ana",
        oferta={"plan": "Hogar Fibra 50"},
        etapas=etapas(*TODAS),
        modalidad_pago="prepago",
        factura=factura("F-A", 199, "2026-11-10T10:00:00-04:00"),
        primera_respuesta_en="2026-11-03T09:30:00-04:00",
    )
    n["B"] = guardar(
        repo,
        id="VD-B",
        creada_en="2026-11-04T09:00:00-04:00",
        canal="facebook",
        estado="cerrada",
        ejecutivo="luis",
        oferta={"plan": "Hogar Fibra 100"},
        etapas=etapas(*TODAS),
        modalidad_pago="pospago",
        factura=factura("POS-B", 349.0, "2026-11-12T10:00:00-04:00"),
        primera_respuesta_en="2026-11-04T10:30:00-04:00",
    )
    n["C"] = guardar(
        repo,
        id="VD-C",
        creada_en="2026-11-05T09:00:00-04:00",
        canal="whatsapp",
        estado="no_atendida",
        estado_desde="2026-11-06T09:00:00-04:00",
        ejecutivo="ana",
        oferta={"plan": "Hogar Fibra 50", "rechazada_en": "2026-11-06T09:00:00-04:00"},
        motivo_cierre="Le parece caro",
        etapas=etapas("visitado", "informado"),
        primera_respuesta_en="2026-11-05T09:10:00-04:00",
    )
    n["D"] = guardar(
        repo,
        id="VD-D",
        creada_en="2026-11-06T09:00:00-04:00",
        canal="web",
        estado="anulada",
        ejecutivo="luis",
        oferta={"plan": "Hogar Fibra 50"},
        etapas=etapas(*TODAS),
        factura=factura("F-D", "249.50", "2026-11-15T10:00:00-04:00"),
        anulacion={
            "motivo": "Dirección errada",
            "origen_anulacion": "smartflex",
            "anulada_en": "2026-11-20T10:00:00-04:00",
        },
    )
    n["E"] = guardar(
        repo,
        id="VD-E",
        creada_en="2026-11-07T09:00:00-04:00",
        canal="web",
        estado="redigitada",
        ejecutivo="ana",
        oferta={"plan": "Hogar Fibra 100"},
        etapas=etapas(*TODAS),
        anulacion={
            "motivo": "Cliente duplicado",
            "origen_anulacion": "ejecutivo",
            "anulada_en": "2026-11-19T10:00:00-04:00",
        },
        redigitada_como="VD-F",
    )
    n["F"] = guardar(
        repo,
        id="VD-F",
        creada_en="2026-11-20T11:00:00-04:00",
        canal="web",
        estado="digitacion",
        ejecutivo="ana",
        oferta={"plan": "Hogar Fibra 100"},
        etapas=etapas(*TODAS),
        redigitacion_de="VD-E",
    )
    n["G"] = guardar(repo, id="VD-G", creada_en="2026-11-30T07:00:00-04:00", canal="botmaker")
    n["H"] = guardar(
        repo,
        id="VD-H",
        creada_en="2026-11-08T09:00:00-04:00",
        canal="messenger",
        estado="derivada_empresas",
        ejecutivo="ana",
    )
    n["I"] = guardar(
        repo,
        id="VD-I",
        creada_en="2026-10-28T09:00:00-04:00",
        canal="web",
        estado="cerrada",
        ejecutivo="carla",
        oferta={"plan": "Hogar Fibra 50"},
        modalidad_pago="prepago",
        factura=factura("F-I", 450, "2026-11-02T10:00:00-04:00"),
    )
    n["J"] = guardar(
        repo,
        id="VD-J",
        creada_en="2026-10-01T09:00:00-04:00",
        canal="web",
        estado="cerrada",
        factura=factura("F-J", 1000, "2026-10-20T10:00:00-04:00"),
    )
    n["K"] = guardar(repo, id="VD-K", creada_en="2026-12-01T07:30:00-04:00")
    n["L"] = guardar(
        repo,
        id="VD-L",
        creada_en="2026-09-01T09:00:00-04:00",
        estado="cerrada",
        factura=factura("F-L", 5000, "2026-09-20T10:00:00-04:00"),
    )
    return n
