"""B7: reading a 128 KiB pathological email reply vs an ordinary 128 KiB one (issue 16, item 4), in process, no AWS.

The pathological reply is the attack: a body of one line "De:" followed by 128 KiB of spaces (which took 55 s to
read at 132 KiB when the quote-header pattern backtracked quadratically), sent base64 like a real client; the
ordinary one is a Help Desk answer on top of 128 KiB of Gmail-quoted history. Each is timed twice: the reply
grammar alone (``respuestas.interpretar`` on the decoded text) and the whole read of the raw message
(``s3_buzon.parsear_mime`` then ``interpretar``), alternating, median of ``rondas``. Target: pathological ≤ 2× the
ordinary. Alone: ``python -m bench.respuesta_patologica [rondas]``.
"""

from __future__ import annotations

import base64
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

OBJETIVO = 2.0
"""The pathological reply reads within twice the time of an ordinary reply of the same size (issue 16)."""
TAMANO = 128 * 1024


def _mime(texto: str) -> bytes:
    return (
        b"From: helpdesk@ventas.comteco.local\r\nTo: ventas-digitales+abc@ventas.comteco.local\r\n"
        b"Subject: RE: [VD-00000001] Confirmar capacidad\r\nMessage-ID: <b7@x.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(texto.encode())
    )


def respuestas_de_prueba() -> dict[str, str]:
    """The two replies, each ``TAMANO`` characters."""
    patologica = ("SI\nDe:" + " " * TAMANO)[:TAMANO]
    cita = "> El lun, 30 nov 2026 a las 9:05, Ventas Digitales escribió: confirmar capacidad de la caja CT-114.\n"
    ordinaria = (
        "SI\nVelocidad máxima: 40 Mbps\nTecnología: FTTH\nObservaciones: caja CT-114 con 3 puertos libres\n\n"
        "El lun, 30 nov 2026 a las 9:05, Ventas Digitales <ventas-digitales@ventas.comteco.local> escribió:\n"
        + cita
        * (TAMANO // len(cita) + 1)
    )[:TAMANO]
    return {"patologica": patologica, "ordinaria": ordinaria}


def _medir(funcion: Callable[[], Any], veces: list[float]) -> None:
    inicio = time.perf_counter()
    funcion()
    veces.append(time.perf_counter() - inicio)


def respuesta_patologica(rondas: int = 200) -> dict[str, Any]:
    from chalicelib.adapters.s3_buzon import parsear_mime
    from chalicelib.domain.respuestas import MAX_CARACTERES_LINEA, MAX_CARACTERES_RESPUESTA, interpretar

    textos = respuestas_de_prueba()
    crudos = {k: _mime(v) for k, v in textos.items()}
    for k in textos:  # warm-up, and both are read as a decision
        assert interpretar(textos[k]).decision is not None, k
        assert interpretar(parsear_mime("b7", crudos[k]).texto).decision is not None, k
    veces: dict[str, dict[str, list[float]]] = {k: {"gramatica": [], "mime": []} for k in textos}
    for _ in range(rondas):
        for k in textos:
            _medir(lambda k=k: interpretar(textos[k]), veces[k]["gramatica"])
            _medir(lambda k=k: interpretar(parsear_mime("b7", crudos[k]).texto), veces[k]["mime"])
    filas: dict[str, Any] = {}
    for medida in ("gramatica", "mime"):
        pat = statistics.median(veces["patologica"][medida])
        ordi = statistics.median(veces["ordinaria"][medida])
        filas[medida] = {
            "patologica_ms": pat * 1000,
            "ordinaria_ms": ordi * 1000,
            "ratio": pat / ordi,
            "cumple": pat / ordi <= OBJETIVO,
        }
    return {
        "rondas": rondas,
        "tamano_caracteres": TAMANO,
        "bytes_mime": {k: len(v) for k, v in crudos.items()},
        "max_caracteres_respuesta": MAX_CARACTERES_RESPUESTA,
        "max_caracteres_linea": MAX_CARACTERES_LINEA,
        "objetivo": OBJETIVO,
        "filas": filas,
    }


def main(rondas: int = 200) -> None:
    r = respuesta_patologica(rondas)
    for medida, x in r["filas"].items():
        print(
            f"{medida}: pathological {x['patologica_ms']:.2f} ms, ordinary {x['ordinaria_ms']:.2f} ms, "
            f"ratio {x['ratio']:.2f}x (target <= {OBJETIVO:g}x {'ok' if x['cumple'] else 'MISSED'})"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
