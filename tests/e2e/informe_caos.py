"""`make chaos`, last step: docs/RELIABILITY.md from the figures the full fault sweep left in test-artifacts/caos.

Exits 1 when something was lost anywhere, or doubled anywhere but at a named send point (``PUNTOS_DE_ENVIO``).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e.barrido import PUNTOS_DE_ENVIO

RAIZ = Path(__file__).resolve().parents[2]
CIFRAS = RAIZ / "test-artifacts" / "caos"
DESTINO = RAIZ / "docs" / "RELIABILITY.md"

TIPOS = {
    "throttle": "throttle (`ProvisionedThroughputExceededException`, `ThrottlingException`), before the call",
    "error500": "a 500 (`InternalServerError`, `InternalFailure`), before the call",
    "reset": "connection reset (`ConnectionClosedError`), before the call",
    "timeout": "read timeout (`ReadTimeoutError`) *after* the call was applied: the answer was lost",
    "caida": "crash: the process dies right after the call succeeded (a Lambda timeout, out of memory)",
}


def filas() -> list[dict[str, Any]]:
    return [json.loads(f.read_text()) for f in sorted(CIFRAS.glob("*.json"))]


def fuera_de_garantia(fila: dict[str, Any]) -> list[str]:
    problemas = []
    if fila["perdidos"]:
        problemas.append(f"{fila['flujo']} [{fila['tipo']}]: perdido en {', '.join(fila['puntos_perdidos'])}")
    otros = [p for p in fila["puntos_duplicados"] if (fila["tipo"], p) not in PUNTOS_DE_ENVIO]
    if otros:
        problemas.append(f"{fila['flujo']} [{fila['tipo']}]: duplicado en {', '.join(otros)}")
    if fila.get("puntos_dobles"):
        problemas.append(
            f"{fila['flujo']} [{fila['tipo']}]: registrado dos veces en {', '.join(fila['puntos_dobles'])}"
        )
    if fila.get("otras"):
        problemas.append(f"{fila['flujo']} [{fila['tipo']}]: {len(fila['otras'])} otras diferencias")
    return problemas


def escribir(datos: list[dict[str, Any]], ahora: datetime) -> str:
    flujos = sorted({d["flujo"] for d in datos})
    tipos = [t for t in TIPOS if any(d["tipo"] == t for d in datos)]
    por = {(d["flujo"], d["tipo"]): d for d in datos}
    lineas = [
        "# Reliability: the fault sweep",
        "",
        f"Written by `make chaos` on {ahora:%Y-%m-%d %H:%M} UTC; do not edit by hand. How it works, what each "
        "guarantee means and what to do when something fails: [the runbook](runbook.md).",
        "",
        "Each flow runs once without faults while every AWS call the app makes is recorded (botocore's "
        "`_make_api_call`); then once per call on a fresh local stage, with that call failing the way the column "
        "says; the senders deliver again as they would (a webhook or form resent on a non-2xx, a stream batch "
        "retried, an asynchronous invocation retried with the same event, an HTTP sender after a crash once the "
        "claims' lease ran out) and the end state is compared with the fault-free run: requests, states, history, "
        "every email and channel message. Code: `tests/e2e/barrido.py`, `tests/e2e/test_barrido_fallas.py`; "
        "`make test` runs the throttle column on every call.",
        "",
        "Kinds of failure:",
        "",
        *[f"- `{t}`: {TIPOS[t]}" for t in tipos],
        "",
        "Each cell: injected / recovered / lost / doubled.",
        "",
        "| Flow | " + " | ".join(f"`{t}`" for t in tipos) + " |",
        "|---|" + "---|" * len(tipos),
    ]
    for flujo in flujos:
        celdas = []
        for t in tipos:
            d = por.get((flujo, t))
            celdas.append(
                "—" if d is None else f"{d['puntos']} / {d['recuperados']} / {d['perdidos']} / {d['duplicados']}"
            )
        lineas.append(f"| {flujo} | " + " | ".join(celdas) + " |")
    total = {k: sum(d[k] for d in datos) for k in ("puntos", "recuperados", "perdidos", "duplicados")}
    lineas += [
        f"| **all** | {total['puntos']} injected, {total['recuperados']} recovered, {total['perdidos']} lost, "
        f"{total['duplicados']} doubled |" + " |" * (len(tipos) - 1),
        "",
        "## Where one duplicate may go out (by design)",
        "",
        "| Kind | Failing call | Why |",
        "|---|---|---|",
        *[f"| `{t}` | `{p}` | {por_que} |" for (t, p), por_que in PUNTOS_DE_ENVIO.items()],
        "",
    ]
    problemas = [p for d in datos for p in fuera_de_garantia(d)]
    lineas += ["## Outside the guarantee", ""]
    if problemas:
        lineas += [f"- {p}" for p in problemas]
        detalle = [
            f"- {d['flujo']} [{d['tipo']}] call {i} `{op}`: {dif[:300]}"
            for d in datos
            for i, op, dif in d.get("detalle", [])
            if i is not None
            and op
            in d["puntos_perdidos"] + [p for p in d["puntos_duplicados"] if (d["tipo"], p) not in PUNTOS_DE_ENVIO]
        ]
        lineas += ["", "<details><summary>What differed</summary>", "", *detalle, "", "</details>"]
    else:
        lineas.append("Nothing: 0 lost everywhere, and doubled only at the points above.")
    return "\n".join(lineas) + "\n"


def main() -> int:
    datos = filas()
    if not datos:
        print("no hay cifras en test-artifacts/caos: ¿corrió el barrido completo (VD_CAOS=1)?", file=sys.stderr)
        return 1
    DESTINO.write_text(escribir(datos, datetime.now(UTC)))
    problemas = [p for d in datos for p in fuera_de_garantia(d)]
    print(f"{DESTINO.relative_to(RAIZ)}: {len(datos)} filas; fuera de garantía: {len(problemas)}")
    for p in problemas:
        print(f"  {p}")
    return 1 if problemas else 0


if __name__ == "__main__":
    sys.exit(main())
