"""docs/BENCHMARKS.md from one run's results: the command, the date, the machine, the raw numbers and the ratios."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

OBJETIVOS_B1: dict[str, tuple[float, float | None]] = {
    "whatsapp_1": (1.5, 2.0),
    "meta_leadgen_10": (1.5, None),
    "formulario": (2.0, None),
}
"""Issue 18's targets for the answer time, × the bare one-write route of the same run: (p50, p99 or None)."""
OBJETIVO_B2 = 0.67
"""Issue 18: sequential throughput of one-message deliveries, at least this × the bare route's."""
FECHA_ANTES = "2026-11-30"
ANTES: dict[str, str] = {
    "whatsapp_1": "2.70× / 2.87×",
    "meta_leadgen_10": "13.2×",
    "whatsapp_lote_10": "13.26× / 8.97×",
    "formulario": "4.93×",
    "lote": "216× (4.8 s)",
    "b2_whatsapp_1": "0.31×",
    "b2_meta_leadgen_10": "0.06×",
}
"""The same benchmarks before issue 18 (the door split deliveries and the form captured in the request), from the
run of FECHA_ANTES."""


def _ms(x: float) -> str:
    return f"{x:,.1f}"


def _x(x: float) -> str:
    return f"{x:,.2f}×"


def _ok(cumple: bool) -> str:
    return "✓" if cumple else "✗"


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _llamadas(n: float) -> str:
    return f"{n:g} AWS call" + ("" if n == 1 else "s")


def _antes(clave: str) -> str:
    return f"before ({FECHA_ANTES}): {ANTES[clave]}"


def objetivo_b1(nombre: str, x: Mapping[str, Any]) -> tuple[str, bool | None]:
    """The target cell of a B1 row (issue 18), and whether it is met (None: no target)."""
    if nombre not in OBJETIVOS_B1:
        return "—", None
    p50, p99 = OBJETIVOS_B1[nombre]
    cumple50 = x["ratio_p50"] <= p50
    texto = f"p50 ≤ {p50:g}× {_ok(cumple50)}"
    if p99 is None:
        return texto, cumple50
    cumple99 = x["ratio_p99"] <= p99
    return f"{texto} / p99 ≤ {p99:g}× {_ok(cumple99)}", cumple50 and cumple99


def resumen(r: Mapping[str, Any]) -> str:
    """The summary table (also printed on the console)."""
    filas = ["| | Benchmark | Result | Baseline (same run) | Ratio | Target |", "|---|---|---|---|---|---|"]
    if "B1" in r:
        f = r["B1"]["filas"]
        base = f["base"]
        for nombre in ("whatsapp_1", "meta_leadgen_10", "whatsapp_lote_10", "formulario"):
            x = f[nombre]
            gate, _ = objetivo_b1(nombre, x)
            if gate == "—":
                gate = f"— (no target; {_llamadas(x['llamadas_aws'])})"
            gate += f" — {_antes(nombre)}"
            filas.append(
                f"| B1 | answer p50 / p99: {x['descripcion']} | {_ms(x['p50_ms'])} / {_ms(x['p99_ms'])} ms | "
                f"{_ms(base['p50_ms'])} / {_ms(base['p99_ms'])} ms | {_x(x['ratio_p50'])} / {_x(x['ratio_p99'])} | "
                f"{gate} |"
            )
    if "B1_lote" in r:
        x = r["B1_lote"]
        filas.append(
            f"| B1 | answer: Lead Ads delivery of 1000 changes vs 1 change, same route (median of {x['rondas']} each) | "
            f"{_ms(x['mil_ms'])} ms | 1 change {_ms(x['uno_ms'])} ms | {_x(x['ratio'])} | "
            f"≤ {x['objetivo']:g}× {_ok(x['cumple'])} — {_antes('lote')} |"
        )
    if "B2" in r:
        f = r["B2"]["filas"]
        for nombre in ("whatsapp_1", "meta_leadgen_10"):
            x = f[nombre]
            gate = f"≥ {OBJETIVO_B2:g}× {_ok(x['ratio'] >= OBJETIVO_B2)}" if nombre == "whatsapp_1" else "— (no target)"
            gate += f" — {_antes('b2_' + nombre)}"
            filas.append(
                f"| B2 | sequential throughput: {x['descripcion']} | {x['rps']:,.1f} req/s ({x['items_s']:,.0f} items/s) | "
                f"{f['base']['rps']:,.1f} req/s | {_x(x['ratio'])} | {gate} |"
            )
    if "B3" in r:
        b = r["B3"]
        filas.append(
            f"| B3 | monthly report: requests read / requests of the month, each of {len(b['meses'])} months | "
            f"{_ratio_rango(b['ratio_solicitudes_min'], b['ratio_solicitudes_max'])} | — | — | "
            f"1.0 {_ok(b['ratio_solicitudes_min'] == b['ratio_solicitudes_max'] == 1.0)} |"
        )
        filas.append(
            f"| B3 | monthly report: items read / items it needs (+ invoices of the month and the previous one) | "
            f"{_ratio_rango(b['ratio_necesarios_min'], b['ratio_necesarios_max'])} | — | — | "
            f"1.0 {_ok(b['ratio_necesarios_min'] == b['ratio_necesarios_max'] == 1.0)} |"
        )
        filas.append(
            f"| B3 | monthly report time (median of {len(b['meses'])}) vs a full Scan of the table | "
            f"{b['informe_mediana_s']:.2f} s | Scan {b['scan']['mediana_s']:.2f} s ({_n(b['scan']['items_leidos'])} "
            f"items) | Scan takes {_x(b['ratio_tiempo_scan'])} | — |"
        )
    if "B4" in r:
        b = r["B4"]["con_pyc"]
        filas.append(
            f"| B4 | cold `import app` (fresh interpreter, median of {r['B4']['corridas']}) | "
            f"{_ms(b['mediana_ms']['app'])} ms | `import boto3` {_ms(b['mediana_ms']['boto3'])} ms | "
            f"{_x(b['ratio'])} ({b['app_menos_boto3_ms']:+,.0f} ms) | ≤ boto3 + {r['B4']['objetivo_ms']:.0f} ms "
            f"{_ok(b['cumple'])} |"
        )
    if "B5" in r:
        b = r["B5"]
        filas.append(
            f"| B5 | stream reactions through `on_solicitud_change` | {b['on_solicitud_change']['rps']:,.1f} records/s | "
            f"no-op handler {b['no_op']['rps']:,.0f} records/s | {b['on_solicitud_change']['ratio']:.5f}× "
            f"(1 : {1 / b['on_solicitud_change']['ratio']:,.0f}) | — (emails exact, 0 on redelivery ✓) |"
        )
    if "B6" in r:
        b = r["B6"]
        wa, web = b["filas"]["whatsapp"], b["filas"]["formulario"]
        filas.append(
            f"| B6 | speed to lead p50 / p90: first WhatsApp message → acknowledgement on WhatsApp | "
            f"{_ms(wa['p50_ms'])} / {_ms(wa['p90_ms'])} ms | web form → acknowledgement email "
            f"{_ms(web['p50_ms'])} / {_ms(web['p90_ms'])} ms | {_x(b['ratio_p50'])} / {_x(b['ratio_p90'])} | "
            f"— (every acknowledgement exactly once ✓) |"
        )
    if "B7" in r:
        b = r["B7"]
        for medida, titulo in (("gramatica", "reply grammar"), ("mime", "raw MIME parsed, then the reply grammar")):
            x = b["filas"][medida]
            filas.append(
                f'| B7 | 128 KiB pathological reply ("De:" + spaces), {titulo} | {_ms(x["patologica_ms"])} ms | '
                f"ordinary 128 KiB reply {_ms(x['ordinaria_ms'])} ms | {_x(x['ratio'])} | "
                f"≤ {b['objetivo']:g}× {_ok(x['cumple'])} |"
            )
    if "B8" in r:
        from bench.paquete import filas_resumen

        filas += filas_resumen(r["B8"])
    if "B9" in r:
        filas += _filas_b9(r["B9"])
    if "B10" in r:
        filas += _filas_b10(r["B10"])
    return "\n".join(filas)


def _filas_b9(b: Mapping[str, Any]) -> list[str]:
    p, g, x = b["lecturas"]["pequeno"], b["lecturas"]["grande"], b["ratios"]
    tam_g, tam_p = _n(b["datos"]["meses"]["grande"]["solicitudes"]), _n(b["datos"]["meses"]["pequeno"]["solicitudes"])
    obj = b["objetivo_lecturas"]
    conteos = " / ".join(_x(x[c]) for c in ("llamadas_aws", "claves_pedidas", "items_devueltos"))
    moto = f" (moto: {g['capacidad_moto']:g} vs {p['capacidad_moto']:g})" if g.get("capacidad_moto") is not None else ""
    pag = b["pagina"]
    t, base = pag["filas"]["tablero"], pag["filas"]["base"]
    return [
        f"| B9 | dashboard reads, {tam_g}-request month vs {tam_p}-request month: AWS calls / keys asked / items "
        f"returned | {g['llamadas_aws']:g} / {g['claves_pedidas']} / {g['items_devueltos']} | {p['llamadas_aws']:g} / "
        f"{p['claves_pedidas']} / {p['items_devueltos']} | {conteos} | ≤ {obj:g}× "
        f"{_ok(all(x[c] <= obj for c in ('llamadas_aws', 'claves_pedidas', 'items_devueltos')))} "
        f"(counts equal {_ok(b['conteos_iguales'])}) |",
        f"| B9 | dashboard reads: read capacity by DynamoDB's rule (item sizes, eventually consistent){moto} | "
        f"{g['rcu_dynamodb']:g} RCU ({_n(g['bytes'])} bytes) | {p['rcu_dynamodb']:g} RCU ({_n(p['bytes'])} bytes) | "
        f"{_x(x['rcu_dynamodb'])} (bytes {_x(x['bytes'])}) | ≤ {obj:g}× {_ok(x['rcu_dynamodb'] <= obj)} |",
        f"| B9 | dashboard reads: `leer_mes` time p50 / p90 on moto | {_ms(g['p50_ms'])} / {_ms(g['p90_ms'])} ms | "
        f"{_ms(p['p50_ms'])} / {_ms(p['p90_ms'])} ms | {_x(x['p50'])} / {_x(x['p90'])} | "
        f"≤ {obj:g}× {_ok(b['cumple_tiempo_lectura'])} (p50) |",
        f"| B9 | dashboard page p50 / p90: `GET /consola/tablero`, RC, {tam_g}-request month | "
        f"{_ms(t['p50_ms'])} / {_ms(t['p90_ms'])} ms | bare route `POST /base` {_ms(base['p50_ms'])} / "
        f"{_ms(base['p90_ms'])} ms | {_x(pag['ratio_p50'])} / {_x(pag['ratio_p90'])} | "
        f"p50 ≤ {pag['objetivo']:g}× {_ok(pag['cumple'])} (× a bare route reading the same items: "
        f"{_x(pag['filas']['lectura']['ratio_p50'])}) |",
    ]


def _filas_b10(b: Mapping[str, Any]) -> list[str]:
    filas = []
    for dia, x in b["resumen"].items():
        pr, ing = x["proyeccion"], x["ingenua"]
        filas.append(
            f"| B10 | month-end billing projected on day {dia}, {x['meses']} generated months: mean / median / worst "
            f"absolute error, bias; KPI verdict right | {pr['mape']:.1f} / {pr['mediana']:.1f} / {pr['peor']:.1f} %, "
            f"{pr['sesgo']:+.1f} %; {pr['aciertos_kpi']}/{x['meses']} | naive run rate {ing['mape']:.1f} / "
            f"{ing['mediana']:.1f} / {ing['peor']:.1f} %, {ing['sesgo']:+.1f} %; {ing['aciertos_kpi']}/{x['meses']} | "
            f"{pr['mape'] / ing['mape']:.2f}× the naive mean error | — (no target; generator consistent "
            f"{_ok(b['consistente'])}) |"
        )
    return filas


def _operaciones(operaciones: Mapping[str, float]) -> str:
    return ", ".join(f"{op} {n:g}" for op, n in operaciones.items()) or "none"


def _ratio_rango(minimo: float, maximo: float) -> str:
    return f"{minimo:.2f}" if minimo == maximo else f"{minimo:.2f}–{maximo:.2f}"


def documento(c: Mapping[str, Any], r: Mapping[str, Any]) -> str:
    m = c["maquina"]
    versiones = ", ".join(f"{k} {v}" for k, v in c["versiones"].items())
    partes = [
        "# Benchmarks",
        "",
        f"Generated by `{c['comando']}` (= `.venv/bin/python -m bench`) on {c['fecha']}, in {c['segundos'] / 60:.1f} "
        'minutes. Do not edit by hand: `make bench` rewrites this file (`bench/`, README "Measurements").',
        "",
        f"**Machine**: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {m['sistema']}; load average "
        f"(1 / 5 / 15 min) {m['carga']} at the start, {c['carga_final']} at the end. **Versions**: {versiones}.",
        "",
        "**How to read it.** Everything runs in one process against moto's server in a thread of the same process "
        "(the local stand-in for AWS: each AWS call is a loopback HTTP request, on a new connection, answered by "
        "moto in Python, competing for the same interpreter). Absolute times are therefore this machine's and "
        "moto's, not Lambda's and DynamoDB's; each result is a ratio to a baseline measured in the same run and "
        "process, next to counts no machine changes (AWS calls per request, items read). moto walks a whole table "
        "even for an index Query, so on DynamoDB the read counts carry over and the time ratios only grow.",
        "",
        "## Summary",
        "",
        resumen(r),
        "",
    ]
    if "B1" in r:
        partes += _b1(r["B1"], r.get("B1_lote"))
    if "B2" in r:
        partes += _b2(r["B2"])
    if "B3" in r:
        partes += _b3(r["B3"])
    if "B4" in r:
        partes += _b4(r["B4"])
    if "B5" in r:
        partes += _b5(r["B5"])
    if "B6" in r:
        partes += _b6(r["B6"])
    if "B7" in r:
        partes += _b7(r["B7"])
    if "B8" in r:
        from bench.paquete import seccion

        partes += seccion(r["B8"])
    if "B9" in r:
        partes += _b9(r["B9"])
    if "B10" in r:
        partes += _b10(r["B10"])
    partes += [
        "## Raw results",
        "",
        "<details><summary>JSON of this run</summary>",
        "",
        "```json",
        _json(r),
        "```",
        "",
        "</details>",
        "",
    ]
    return "\n".join(partes)


def _json(r: Mapping[str, Any]) -> str:
    return json.dumps(r, indent=1, default=str, ensure_ascii=False)


_SECCIONES = {"B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10"}


def actualizar(existente: str, c: Mapping[str, Any], r: Mapping[str, Any]) -> str:
    """``existente`` (a document ``documento`` wrote) with the benchmarks of ``r`` replaced or added: their summary
    rows, their sections (each marked as measured by this later, partial run: ``c``) and their raw results; the rest,
    header included, stays as the full run wrote it. For ``python -m bench --solo B6 --escribir``."""
    nombres = sorted({k.split("_")[0] for k in r} & _SECCIONES, key=lambda n: int(n[1:]))
    lineas = existente.split("\n")
    # Summary rows (between "## Summary" and the next heading): drop the old rows of these benchmarks, put the new
    # ones where the old were, else after the last row.
    desde = lineas.index("## Summary")
    hasta = next(i for i in range(desde + 1, len(lineas)) if lineas[i].startswith("## "))
    fila = re.compile(r"^\| (B\d+) \|")
    tabla = [i for i in range(desde, hasta) if fila.match(lineas[i])]
    if not tabla:
        raise ValueError("no summary table in the existing document")
    propias = {i for i in tabla if (m := fila.match(lineas[i])) and m.group(1) in nombres}
    lugar = min(propias) if propias else tabla[-1] + 1
    nuevas = resumen(r).split("\n")[2:]
    lineas = lineas[:lugar] + nuevas + [x for i, x in enumerate(lineas[lugar:], lugar) if i not in propias]
    # Sections: replace "## Bn — ..." up to the next "## ", or insert before the raw results.
    for nombre in nombres:
        seccion = _seccion(nombre, r)
        seccion[1:1] = [
            "",
            f"*Measured alone by `{c['comando']}` on {c['fecha']} (load average {c['maquina']['carga']} at the start, "
            f"{c['carga_final']} at the end), not in the run the header describes.*",
        ]
        inicio = next((i for i, x in enumerate(lineas) if x.startswith(f"## {nombre} ")), None)
        if inicio is None:
            inicio = fin = lineas.index("## Raw results")
        else:
            fin = next(i for i in range(inicio + 1, len(lineas)) if lineas[i].startswith("## "))
        lineas[inicio:fin] = seccion
    # Raw results: the JSON block, with these benchmarks' entries replaced or added.
    abre = lineas.index("```json")
    cierra = lineas.index("```", abre + 1)
    datos = json.loads("\n".join(lineas[abre + 1 : cierra]))
    datos.update(r)
    lineas[abre + 1 : cierra] = [_json(datos)]
    return "\n".join(lineas)


def _seccion(nombre: str, r: Mapping[str, Any]) -> list[str]:
    if nombre == "B1":
        return _b1(r["B1"], r.get("B1_lote"))
    if nombre == "B8":
        from bench.paquete import seccion

        return seccion(r["B8"])
    funciones: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
        "B2": _b2,
        "B3": _b3,
        "B4": _b4,
        "B5": _b5,
        "B6": _b6,
        "B7": _b7,
        "B9": _b9,
        "B10": _b10,
    }
    return funciones[nombre](r[nombre])


def _b1(b: Mapping[str, Any], lote: Mapping[str, Any] | None) -> list[str]:
    filas = [
        "| Request | n | p50 ms | p99 ms | mean ms | max ms | × base p50 | × base p99 | AWS calls / request |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for x in b["filas"].values():
        filas.append(
            f"| {x['descripcion']} | {x['n']} | {_ms(x['p50_ms'])} | {_ms(x['p99_ms'])} | {_ms(x['media_ms'])} | "
            f"{_ms(x['max_ms'])} | {_x(x['ratio_p50'])} | {_x(x['ratio_p99'])} | {x['llamadas_aws']:g} |"
        )
    objetivos = [
        f"| Target (issue 18) | This run | Met | Before ({FECHA_ANTES}) |",
        "|---|---|---|---|",
    ]
    for nombre, titulo in (
        ("whatsapp_1", "WhatsApp one message: answer p50 ≤ 1.5×, p99 ≤ 2× the bare route"),
        ("meta_leadgen_10", "Lead Ads delivery of 10 changes: answer p50 ≤ 1.5×"),
        ("formulario", "Web form POST: answer p50 ≤ 2×"),
    ):
        x = b["filas"][nombre]
        _, cumple = objetivo_b1(nombre, x)
        medido = _x(x["ratio_p50"]) + (f" / {_x(x['ratio_p99'])}" if OBJETIVOS_B1[nombre][1] is not None else "")
        objetivos.append(f"| {titulo} | {medido} | {_ok(bool(cumple))} | {ANTES[nombre]} |")
    if lote:
        objetivos.append(
            f"| Lead Ads delivery of 1000 changes: answer ≤ {lote['objetivo']:g}× a 1-change delivery's | "
            f"{_x(lote['ratio'])} ({_ms(lote['mil_ms'])} ms) | {_ok(lote['cumple'])} | {ANTES['lote']} |"
        )
    c = b.get("comprobacion") or {}
    texto = [
        "## B1 — webhook answer latency",
        "",
        f"{b['rondas']} requests of each kind after {b['calentamiento']} unmeasured rounds, interleaved round by round "
        "in a shuffled order (a load change on the shared machine hits every kind alike); every "
        f"{b['epoca']} rounds moto is emptied and provisioned again, followed by one unmeasured round (moto's "
        "items fill this process's heap, so without it the times grow with every item stored before them: a cost "
        "of moto's, not of DynamoDB or the app). Requests go through chalice's test "
        "client in-process (API Gateway and Lambda emulation, the local stage's environment, Powertools' logger "
        "middleware; logs formatted and sent to /dev/null). Baseline: `bench/base.py`, a bare Chalice route that "
        "reads the body and does one `put_item`, on its own tiny app, same process, same moto. Every payload is new "
        "(leadgen ids, wamids, phones, `envio_id`), so no request takes the cheaper duplicate path, and every answer "
        "is checked (status; for webhooks `entrega` = the body's SHA-256 and `duplicada` false). Meta payloads are "
        "signed with the local app secret (`X-Hub-Signature-256`).",
        "",
        *filas,
        "",
        *objetivos,
        "",
        "What each request does (issue 18: one durable write per request, whatever its size): a Meta delivery is "
        "verified (HMAC-SHA256 over the raw body), checked to be a JSON object and stored as it came — its body "
        "zlib-compressed in one conditional PutItem of the entrantes table, key `entrega#meta#<sha256 of the body>` "
        '(S3 only for a body too large for an item) — and answered `{"recibido": true, "entrega": …, '
        '"duplicada": false}`; the web form is validated and stored in one conditional PutItem (`web#<envio_id>`, '
        "the submission and its receipt code), then answered with the HTML page. The raw copy to S3, the split into "
        "items, their dedupe, the contact lookups, the capture transaction and the limits run afterwards on the "
        "entrantes stream (`on_entrante`; B6 measures that path end to end). "
        + (
            "In this run every app request made exactly one AWS call, like the baseline's, so what it costs above "
            "the baseline is the app's own work in the process (verification, parsing, compression, pynamodb's "
            "model, Powertools' logger, the form's validation and template)."
            if all(x["llamadas_aws"] == 1 for x in b["filas"].values())
            else "In this run some request made more than one AWS call (below): issue 18 expects one."
        ),
        "",
        "AWS calls per request, by operation: "
        + "; ".join(f"{x['descripcion']}: {_operaciones(x['operaciones'])}" for x in b["filas"].values())
        + ".",
        "",
    ]
    if c:
        texto += [
            f"**Nothing lost.** Before every moto reset and at the end (untimed), the entrantes table was read whole: "
            f"it held exactly one item per request sent — {c.get('entregas', 0):,} deliveries "
            f"(`entrega#meta#<sha256>`, measured and unmeasured) and {c.get('formularios', 0):,} form submissions "
            "(`web#<envio_id>`) — and nothing else (the door splits nothing). Then a random sample of "
            f"{c.get('divididas', 0):,} deliveries ({c.get('muestra_por_tipo_y_epoca', 0)} of each webhook kind per "
            "epoch) was split the way `on_entrante` "
            "splits a delivery's INSERT (`Services.procesar_entrante`: raw body to S3, one conditional put per item, "
            f"delivery marked `procesado`): the {c.get('items', 0):,} items they wrote were exactly the leads, messages "
            "and statuses sent, none missing, none extra. (The items' own processing — the merge into requests — is "
            "B6's, end to end.)",
            "",
        ]
    if lote:
        cl = lote.get("comprobacion") or {}
        texto += [
            f"**A 1000-change Lead Ads batch** (Meta's maximum per POST, {lote['bytes_mil']:,} bytes; median of "
            f"{lote['rondas']}, alternating with 1-change deliveries through the same route, `bench/webhook_lote.py`): "
            f"{_ms(lote['mil_ms'])} ms against {_ms(lote['uno_ms'])} ms for one change ({_x(lote['ratio'])}; target "
            f"≤ {lote['objetivo']:g}× {_ok(lote['cumple'])}), {_llamadas(lote['llamadas_aws_mil'])} against "
            f"{_llamadas(lote['llamadas_aws_uno'])}; before ({FECHA_ANTES}): {ANTES['lote']}, 1 S3 copy + 1000 conditional "
            f"puts in the answer. Checked untimed: {cl.get('entregas', 0)} delivery items for as many requests, and "
            f"the last 1000-change delivery split as the stream splits it: {cl.get('items', 0):,} leads written, "
            f"exactly the ones sent, in {lote['division_mil_s']:.2f} s (split plus the checks' two table scans) — "
            "the work that left the answer, now on the stream.",
            "",
        ]
    return texto


def _b2(b: Mapping[str, Any]) -> list[str]:
    filas = ["| Requests | n | seconds | req/s | items/s | × base |", "|---|---|---|---|---|---|"]
    for x in b["filas"].values():
        filas.append(
            f"| {x['descripcion']} | {x['peticiones']} | {x['segundos']:.2f} | {x['rps']:,.1f} | "
            f"{x['items_s']:,.0f} | {_x(x['ratio'])} |"
        )
    wa = b["filas"]["whatsapp_1"]
    c = b.get("comprobacion") or {}
    return [
        "## B2 — sustained webhook throughput",
        "",
        f"Back-to-back sequential requests: blocks of {b['peticiones_por_bloque']} of each kind, alternating (base, "
        f"WhatsApp message, Lead Ads batch) {b['repeticiones']} times; each rate is over all its blocks. Payloads are "
        "built before each block, so only the requests are timed; each block starts on an emptied moto after 10 "
        "unmeasured requests. Sequential because chalice's test client swaps "
        "`os.environ` per request (not thread-safe); Lambda scales by running more environments, so the per-request "
        "rate is the figure that carries over.",
        "",
        *filas,
        "",
        f"Target (issue 18): one-message deliveries at least {OBJETIVO_B2:g}× the bare route's rate — "
        f"{_x(wa['ratio'])} {_ok(wa['ratio'] >= OBJETIVO_B2)} (before ({FECHA_ANTES}): {ANTES['b2_whatsapp_1']}; "
        f"Lead Ads batches of 10 then: {ANTES['b2_meta_leadgen_10']}). Items/s counts the items a delivery carries; "
        "they are split off the answer path, on the entrantes stream. Checked after each webhook block (untimed): "
        f"one delivery item per request ({c.get('entregas', 0):,} in all), and {c.get('divididas', 0)} deliveries "
        f"split at random wrote exactly their {c.get('items', 0)} items.",
        "",
    ]


def _b3(b: Mapping[str, Any]) -> list[str]:
    d = b["datos"]
    filas = [
        "| Month | requests of the month | read | invoices of the month | read | invoices of the previous month | read "
        "| items read | ratio requests | ratio needed | AWS calls | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for x in b["meses"]:
        filas.append(
            f"| {x['mes']} | {x['solicitudes_del_mes']} | {x['leidas_solicitudes']} | {x['facturas_del_mes']} | "
            f"{x['leidas_facturas']} | {x['facturas_mes_anterior']} | {x['leidas_facturas_anterior']} | "
            f"{x['items_leidos']} | {x['ratio_solicitudes']:.2f} | {x['ratio_necesarios']:.2f} | {x['llamadas_aws']} | "
            f"{x['segundos']:.2f} |"
        )
    s = b["scan"]
    return [
        "## B3 — monthly report reads only its month",
        "",
        f"Data: `localstage.demo`'s generator (the one `make demo` uses: every request walked through the procedure "
        f"with the domain's `transition()`), seed {d['semilla']}, {d['meses']} months up to {d['hasta']} (the end of "
        f"the previous month, so every month is complete), about {d['por_mes']} requests a month: "
        f"{_n(d['solicitudes'])} requests and {_n(d['facturas'])} invoices, generated in {d['segundos_generar']:.1f} s "
        f"and batch-written in {d['segundos_escribir']:.1f} s through the adapter's `item_de_solicitud` (every index "
        "filled as the app fills it). Their histories are not written: the report never reads that table.",
        "",
        "Each month's report runs through the service (as `GET /reportes/mensual?mes=` does) and returns what it read "
        "in `lectura` (DynamoDB's `ScannedCount` of its queries); the expected counts come from the generator.",
        "",
        *filas,
        "",
        "Two ratios, because the report needs two kinds of items: the **month's requests** (index `por_mes`; the "
        "funnel, the channels, the follow-up counts) — read exactly, ratio 1.00 — and the **invoices** issued in "
        "the month and in the previous month (sparse index `por_mes_factura`): the KPI compares the two months' "
        "billing, and an invoice belongs to the month it was issued in, whatever month its request was created "
        "(a request of the previous month invoiced this month counts here). So *items read / requests of the month* "
        "is about 2 (the table shows both parts), and *items read / items the report needs* "
        "(requests + both months' invoices) is exactly 1.00: no item of another month, no history entry, no "
        "filtered-out item is read.",
        "",
        f"Baseline: a full, paginated Scan of the requests table — what a report without the indexes reads: "
        f"{_n(s['items_leidos'])} items in {s['paginas']} pages, {', '.join(f'{t:.2f}' for t in s['segundos'])} s "
        f"(median {s['mediana_s']:.2f} s) against a median report of {b['informe_mediana_s']:.2f} s "
        f"({_x(b['ratio_tiempo_scan'])}). The report's time includes building it (funnel, KPI, tables); moto walks "
        "the whole table for every index query, so on DynamoDB the gap grows with the table, while the items read "
        "stay the month's.",
        "",
    ]


def _b4(b: Mapping[str, Any]) -> list[str]:
    filas = [
        "| Bytecode | `python -c pass` | `import boto3` | `import app` | app − boto3 | app / boto3 | (app − pass) / (boto3 − pass) |",
        "|---|---|---|---|---|---|---|",
    ]
    for nombre, titulo in (("con_pyc", "cached (.pyc), the gate"), ("sin_pyc", "none: compiled on every run")):
        x = b[nombre]
        med = x["mediana_ms"]
        filas.append(
            f"| {titulo} | {_ms(med['vacio'])} ms | {_ms(med['boto3'])} ms | {_ms(med['app'])} ms | "
            f"{x['app_menos_boto3_ms']:+,.1f} ms | {_x(x['ratio'])} | {_x(x['ratio_sin_interprete'])} |"
        )
    mayores = ", ".join(f"`{p['paquete']}` {p['ms']:.0f} ms" for p in b["mayores"])
    crudos = "; ".join(
        f"{n}: {', '.join(f'{v:.0f}' for v in b['con_pyc']['ms'][n])}" for n in ("vacio", "boto3", "app")
    )
    return [
        "## B4 — cold import of the handler module",
        "",
        f"Median of {b['corridas']} fresh interpreters each (`.venv/bin/python -c ...` in the repository, the local "
        "stage's environment without a moto endpoint: importing needs no AWS), the three programs interleaved run by "
        "run after one warm-up run each. Each variant has its own bytecode cache (`PYTHONPYCACHEPREFIX` in a "
        "temporary directory): *cached* is a normal interpreter (the gate: at most `import boto3` + "
        f"{b['objetivo_ms']:.0f} ms); *none* compiles every module on every run, as from a zip without bytecode on a "
        "read-only filesystem.",
        "",
        *filas,
        "",
        f"Raw ms (cached): {crudos}.",
        "",
        "`import app` loads neither boto3 nor pynamodb (adapters import them on first use; "
        "`tests/unit/test_importaciones.py` fails if a heavy module comes back at import), so it costs about what "
        f"boto3 alone does. Where its time goes (self time per package, one `-X importtime` run): {mayores}.",
        "",
    ]


def _b5(b: Mapping[str, Any]) -> list[str]:
    real, repetido, no_op, lectura = b["on_solicitud_change"], b["reentrega"], b["no_op"], b["lectura_stream"]
    registros, correos = b["registros"], b["correos"]
    return [
        "## B5 — stream reactions",
        "",
        f"{b['solicitudes']} requests submitted through the web form (the door stores each submission; draining the "
        "entrantes stream into `on_entrante` captures them as requests whose ids are the receipt codes), half "
        "classified as residential (no email) and half handed to Enterprise Sales (two emails), all through the "
        "app's routes; `localstage.stream_pump` then "
        f"read moto's stream of the requests table into {b['lotes']} Lambda-shaped batches ({registros} records, "
        "batches of 50 as the handler declares). The same batches went, through chalice's test client "
        "(`lambda_.invoke`), to the no-op handler of `bench/base.py` "
        f"(median of {no_op['repeticiones']} passes), then to `on_solicitud_change`, then to it again (a redelivery).",
        "",
        "| Handler over the same batches | seconds | records/s | ms / record | × no-op (records/s) | AWS calls |",
        "|---|---|---|---|---|---|",
        f"| no-op (baseline) | {no_op['segundos']:.4f} | {no_op['rps']:,.0f} | {no_op['segundos'] / registros * 1000:.3f} "
        "| 1 | 0 |",
        f"| `on_solicitud_change` | {real['segundos']:.2f} | {real['rps']:,.1f} | "
        f"{real['segundos'] / registros * 1000:.1f} | {real['ratio']:.6f} | {real['llamadas_aws']:,} |",
        f"| `on_solicitud_change`, redelivered (sends nothing) | {repetido['segundos']:.2f} | {repetido['rps']:,.1f} | "
        f"{repetido['segundos'] / registros * 1000:.1f} | {repetido['ratio']:.6f} | {repetido['llamadas_aws']:,} |",
        "",
        f"Checked: {correos} emails reached moto's SES, exactly what the procedure prescribes (capture: "
        "acknowledgement + executives' notice; derivation: two; classification: none), no `batchItemFailures`, and "
        f"the redelivery sent {b['correos_reentrega']}. Per email: {real['segundos'] / correos * 1000:.1f} ms and "
        f"{real['llamadas_aws'] / correos:.1f} AWS calls ({_operaciones(real['operaciones_por_correo'])}); per "
        f"redelivered record: {_operaciones(repetido['operaciones_por_registro'])}. The no-op floor is "
        "practically zero, so the ratio says the handler's time is all its own work; for scale, reading the stream "
        f"itself ran at {lectura['rps']:,.0f} records/s (the pump's `get_records` through moto), "
        f"{lectura['rps'] / real['rps']:.1f}× the handler's rate. Lambda runs one such handler per shard (more with a "
        "ParallelizationFactor), and DynamoDB and SES answer in a few ms per call instead of moto's.",
        "",
    ]


def _b6(b: Mapping[str, Any]) -> list[str]:
    web, wa = b["filas"]["formulario"], b["filas"]["whatsapp"]
    nombres_etapas = {
        "respuesta": "answer to the POST",
        "division": "entrantes stream → `on_entrante` splits the delivery into its item",
        "on_entrante": "entrantes stream → `on_entrante` creates the request",
        "reaccion": "requests stream → `on_solicitud_change` sends the acknowledgement",
    }
    filas = [
        "| Path | n | p50 ms | p90 ms | mean ms | max ms | AWS calls / prospect | Graph calls / prospect |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for x in (web, wa):
        filas.append(
            f"| {x['descripcion']} | {x['n']} | {_ms(x['p50_ms'])} | {_ms(x['p90_ms'])} | {_ms(x['media_ms'])} | "
            f"{_ms(x['max_ms'])} | {x['llamadas_aws']:.1f} | {x['llamadas_graph']:.1f} |"
        )
    filas.append(
        f"| **WhatsApp / web form** | | {_x(b['ratio_p50'])} | {_x(b['ratio_p90'])} | "
        f"{_x(wa['media_ms'] / web['media_ms'])} | | | |"
    )
    etapas = "; ".join(
        f"{titulo}: "
        + ", ".join(f"{nombres_etapas[e]} {_ms(v['p50_ms'])} / {_ms(v['p90_ms'])} ms" for e, v in x["etapas"].items())
        for titulo, x in (("web form", web), ("WhatsApp", wa))
    )
    return [
        "## B6 — speed to lead (web form vs WhatsApp)",
        "",
        f"The time from a prospect's first message to its acknowledgement (`acuse_cliente`), end to end in-process, "
        f"for {b['rondas']} new prospects on each door, interleaved round by round in a shuffled order after "
        f"{b['calentamiento']} unmeasured rounds; every {b['epoca']} rounds moto is emptied and provisioned again, "
        "followed by one unmeasured round (as in B1). Since issue 18 both doors only store what came (one write) "
        "and the rest happens on the streams. Web form, three stages: a JSON `POST /solicitud` of a new person with "
        "an email (answered with the receipt code); `localstage.stream_pump` drains the entrantes table's stream "
        "into `on_entrante`, which creates the request (its id = the receipt code); then the requests table's stream "
        "into `on_solicitud_change`, which emails the acknowledgement through moto's SES. WhatsApp, four stages: a "
        "signed `POST /webhooks/meta` with a text from a new `wa_id` (the delivery stored as it came); the entrantes "
        "stream drained into `on_entrante`, which first splits the delivery into its item (the stage ends when that "
        "invocation returns) and then, in the same drain, handles the item's INSERT and creates the request; then "
        "the requests stream into `on_solicitud_change`, which sends the acknowledgement through the WhatsApp Cloud "
        "API adapter to `localstage.graph_local` (the local Graph stand-in, an HTTP server on a free port). Each pump "
        "drains its stream until a polling round finds nothing, so records a handler writes during the drain (the "
        "delivery's item, the processing states) are handled in it. The clock stops when the last drain returns, "
        "so each path includes the pump's own polling calls (DescribeTable, DescribeStream, GetRecords until a read "
        "comes back empty) on both streams; on AWS each stream hop adds the event source mapping's polling delay "
        "instead. After each prospect, untimed, both streams are drained again (nothing may be left, no record in "
        "the dead letters) and the acknowledgement is checked: exactly two new emails for the form (one to the "
        "prospect quoting the receipt code the form answered, one to the executives), and for WhatsApp exactly one "
        "new email (the executives' notice) and exactly one message recorded by the stand-in, to that `wa_id`, "
        f"quoting the request id — {b['acuses_verificados']} acknowledgements checked, none lost or doubled.",
        "",
        *filas,
        "",
        f"p50 / p90 by stage — {etapas}. AWS calls per prospect, by operation: web form: "
        f"{_operaciones(web['operaciones'])}; WhatsApp: {_operaciones(wa['operaciones'])}.",
        "",
        "No numeric target is set for this ratio: it is measured so that the WhatsApp path, which takes one "
        "stream hop more than the form (delivery → item → request → acknowledgement, against submission → request "
        "→ acknowledgement), is watched against the form's in the same run, where a load change on the machine "
        "hits both alike.",
        "",
    ]


def _b7(b: Mapping[str, Any]) -> list[str]:
    filas = [
        "| Read | pathological ms | ordinary ms | ratio | target |",
        "|---|---|---|---|---|",
    ]
    for medida, titulo in (("gramatica", "reply grammar (`respuestas.interpretar`)"), ("mime", "raw MIME → grammar")):
        x = b["filas"][medida]
        filas.append(
            f"| {titulo} | {_ms(x['patologica_ms'])} | {_ms(x['ordinaria_ms'])} | {_x(x['ratio'])} | "
            f"≤ {b['objetivo']:g}× {_ok(x['cumple'])} |"
        )
    return [
        "## B7 — a pathological email reply (issue 16)",
        "",
        f"Two replies of {b['tamano_caracteres'] // 1024} KiB each, sent base64 "
        f"({b['bytes_mime']['patologica']:,} and {b['bytes_mime']['ordinaria']:,} bytes of MIME): the attack, one "
        'line "De:" followed by spaces (the quote-header pattern once backtracked quadratically on it: 4 s at 33 '
        "KiB, 55 s at 132 KiB in `on_correo_entrante`), and an ordinary Help Desk answer on top of quoted Gmail "
        f"history. Median of {b['rondas']} alternating rounds, in process, no AWS (`bench/respuesta_patologica.py`). "
        f"The grammar reads at most {b['max_caracteres_respuesta']:,} characters of a body and "
        f"{b['max_caracteres_linea']:,} of a line, and its patterns have no adjacent or nested quantifiers over the "
        "same characters, so both replies cost about the same.",
        "",
        *filas,
        "",
    ]


def _b9(b: Mapping[str, Any]) -> list[str]:
    d, p, g, x = b["datos"], b["lecturas"]["pequeno"], b["lecturas"]["grande"], b["ratios"]
    m = d["meses"]
    obj = b["objetivo_lecturas"]
    lecturas = [
        f"| Read of `leer_mes` | {m['pequeno']['mes']} ({_n(m['pequeno']['solicitudes'])} requests; previous month "
        f"{_n(m['pequeno_anterior']['solicitudes'])}) | {m['grande']['mes']} ({_n(m['grande']['solicitudes'])} requests; "
        f"previous month {_n(m['grande_anterior']['solicitudes'])}) | large / small | target |",
        "|---|---|---|---|---|",
    ]
    for clave, titulo, gate in (
        ("llamadas_aws", "AWS calls", True),
        ("llamadas_batch", "BatchGetItem calls", True),
        ("claves_pedidas", "keys asked", True),
        ("items_devueltos", "items returned", True),
        ("rcu_dynamodb", "read capacity by DynamoDB's rule (RCU)", True),
        ("capacidad_moto", "read capacity as moto reports it", True),
        ("atributos", "attributes returned", False),
        ("bytes", "bytes returned (DynamoDB's item size)", False),
        ("mayor_item_bytes", "largest item (bytes)", False),
        ("p50_ms", "time p50 (ms)", None),
        ("p90_ms", "time p90 (ms)", None),
    ):
        if p.get(clave) is None:
            continue
        ratio = x.get(clave) if clave in x else g[clave] / p[clave] if p[clave] else 0.0
        if clave == "p50_ms":
            ratio = x["p50"]
        if clave == "p90_ms":
            ratio = x["p90"]
        medido = gate or (gate is None and clave == "p50_ms")
        objetivo = f"≤ {obj:g}× {_ok(ratio <= obj)}" if medido else "—"
        valor = _ms if clave.endswith("_ms") else lambda v: f"{v:,g}"
        lecturas.append(f"| {titulo} | {valor(p[clave])} | {valor(g[clave])} | {_x(ratio)} | {objetivo} |")
    clases = sorted(set(p["atributos_por_clase"]) | set(g["atributos_por_clase"]))
    por_clase = "; ".join(
        f"`{c}` {p['atributos_por_clase'].get(c, 0):,} → {g['atributos_por_clase'].get(c, 0):,}" for c in clases
    )
    pag = b["pagina"]
    pagina = [
        "| Request | n | p50 ms | p90 ms | mean ms | bytes | AWS calls / request | page p50 × this | page p90 × this |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for fila in pag["filas"].values():
        pagina.append(
            f"| {fila['descripcion']} | {fila['n']} | {_ms(fila['p50_ms'])} | {_ms(fila['p90_ms'])} | "
            f"{_ms(fila['media_ms'])} | {fila['bytes']:,} | {_operaciones(fila['operaciones'])} | "
            f"{_x(fila['ratio_p50'])} | {_x(fila['ratio_p90'])} |"
        )
    t, lectura = pag["filas"]["tablero"], pag["filas"]["lectura"]
    return [
        "## B9 — the dashboard's reads and page (issue 20)",
        "",
        f"Data: `bench/meses_generados.py` walks each request through the procedure (B10 describes it) to the "
        f"state it has now: {_n(m['pequeno']['solicitudes'])} requests created in {m['pequeno']['mes']} and as many "
        f"in {m['pequeno_anterior']['mes']} (the small month and the previous one the dashboard shows beside it), "
        f"{_n(m['grande']['solicitudes'])} created in the current month {m['grande']['mes']} up to now and as many in "
        f"{m['grande_anterior']['mes']}; generated in {d['segundos_generar']:.1f} s, their contributions "
        f"(`domain.tablero.aporte`) added up in {d['segundos_sumar']:.1f} s into {d['items_escritos']} aggregate "
        f"items, written in {d['segundos_escribir']:.1f} s with `PynamoAgregados.reemplazar` (the rebuild path; the "
        "stream's `contar` would reach the same counters one change at a time).",
        "",
        f"Reads: `services.tablero.leer_mes` (what the page reads: the month's items, the previous month's and the "
        f"open pipeline, one BatchGetItem) of each month, {b['rondas']} rounds interleaved in shuffled order after "
        "one warm-up read each. Calls are counted at botocore (`bench/comun.llamadas_aws`); keys, items, attributes "
        "and bytes on the adapter's connection, for every read (the same in every round: "
        f"{_ok(p['estable'] and g['estable'])}). moto reports one capacity unit per key asked whatever the item's "
        "size, so the read capacity is also computed by DynamoDB's rule from the items' sizes (an eventually "
        "consistent read: half a unit per 4 KB of each item, rounded up).",
        "",
        *lecturas,
        "",
        "Keys asked, items returned and calls are the same for both sizes by construction (a fixed list of keys, "
        "`domain.tablero.claves_del_tablero`); what grows with the month is what the items hold. Attributes by kind of "
        f"item, small → large month: {por_clase}. The per-day and per-executive items are bounded (days of a "
        "month, executives); the speed-to-lead histograms (`respuesta`, one attribute per distinct minute) grow "
        "with the number of distinct answer times, bounded only by the slowest first answer. "
        f"Here every item stays under 4 KB (largest {g['mayor_item_bytes']:,} bytes), so DynamoDB would charge the "
        f"same {g['rcu_dynamodb']:g} RCU for both months. The app's DynamoDB client gives a read 1 s, twice "
        "(`adapters.clientes_aws`); a read that ran out of both was tried again, counted and timed to its answer: "
        f"{p.get('lecturas_agotadas', 0)} for the small month, {g.get('lecturas_agotadas', 0)} for the large one. "
        f"The time ratio is moto's: it builds its answer "
        "attribute by attribute in its server thread (a profile of the large read, made while writing this "
        "benchmark: about 85 % of its time waiting for moto's answer, 11 % parsing it), so on moto the read's "
        "time follows the attributes, while DynamoDB charges a read by its items' sizes (the RCU row). The large "
        "month is the current one, a few days old when measured, so its per-day items hold fewer attributes than "
        "a whole month's; its previous month is whole.",
        "",
        f"Page: `GET /consola/tablero` (the current month: the month so far beside the previous one, the funnel, "
        f"the charts and the month-end projection) of an RC console session signed in through the local stage's "
        f"sign-in form, against three floors, {pag['rondas']} rounds interleaved in shuffled order after "
        f"{pag['calentamiento']} unmeasured ones, all through chalice's test client in-process (each answer "
        "checked: status 200, the page's title). The gate's floor is B1's bare route (`bench/base.py`, `POST /base`: "
        "one put_item, no middleware); a bare route that reads the same items in one BatchGetItem "
        "(`bench/tablero.py`) and the app's `GET /health` (no AWS call) are shown beside it.",
        "",
        *pagina,
        "",
        f"Target (issue 20): page p50 ≤ {pag['objetivo']:g}× the bare route — {_x(pag['ratio_p50'])} "
        f"{_ok(pag['cumple'])}. The page's own work above the read of its items is small "
        f"({_x(lectura['ratio_p50'])} the bare read of the same items: the session check, one more consistent "
        f"BatchGetItem of two keys, the projection, two SVG charts and a {t['bytes'] / 1024:,.0f} KiB page); the gap to "
        "a one-put route is moto's time to answer a BatchGetItem of these items (above). Answers other than 200, "
        "tried again within the same timing: "
        + (
            "; ".join(
                f"{f['descripcion']}: " + ", ".join(f"{n} × {s}" for s, n in f["fallidas"].items())
                for f in pag["filas"].values()
                if f.get("fallidas")
            )
            or "none"
        )
        + ".",
        "",
    ]


def _b10(b: Mapping[str, Any]) -> list[str]:
    resumen = [
        "| Checkpoint | months | method | mean abs. error | median | worst | bias (mean signed) | KPI verdict right |",
        "|---|---|---|---|---|---|---|---|",
    ]
    partes = [
        "| Checkpoint | | already billed | open pipeline (en curso) | before the offer (sin oferta) | "
        "still to arrive (por llegar) | total |",
        "|---|---|---|---|---|---|---|",
    ]
    for dia, x in b["resumen"].items():
        for nombre, titulo in (("proyeccion", "projection (`proyectar`)"), ("ingenua", "naive run rate")):
            e = x[nombre]
            resumen.append(
                f"| day {dia} | {x['meses']} | {titulo} | {e['mape']:.1f} % | {e['mediana']:.1f} % | "
                f"{e['peor']:.1f} % | {e['sesgo']:+.1f} % | {e['aciertos_kpi']}/{x['meses']} |"
            )
        c, r = x["componentes_pct_final"], x["realizado_pct_final"]
        orden = ("facturado", "en_curso", "sin_oferta", "por_llegar")
        partes.append(
            f"| day {dia} | projected | "
            + " | ".join(f"{c[k]:.1f} %" for k in orden)
            + f" | {sum(c[k] for k in orden):.1f} % |"
        )
        partes.append(
            f"| day {dia} | what happened | "
            + " | ".join(f"{r[k]:.1f} %" for k in orden)
            + f" | {sum(r[k] for k in orden):.1f} % (+ {r['en_curso_despues']:.1f} % of the open pipeline invoiced "
            "only after the month) |"
        )
    meses = [
        "| Month | arrivals | rate (× base; change from day) | final billing Bs | previous Bs | final KPI | "
        "day 10: projection / naive error | verdict | day 20: projection / naive error | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in b["filas"]:
        ritmo = f["ritmo"]
        cambio = f"; ×{ritmo['por']:g} from day {ritmo['desde_dia']}" if ritmo.get("desde_dia") else ""
        celdas = []
        for dia in ("10", "20"):
            c = f["controles"].get(dia)
            if c is None or c["error"] is None:
                celdas += ["—", "—"]
                continue
            celdas += [f"{c['error']:+.1f} % / {c['error_ingenua']:+.1f} %", c["kpi"]]
        meses.append(
            f"| {f['mes']} | {f['llegadas']} | ×{ritmo['factor']:g}{cambio} | {f['final_centavos'] / 100:,.0f} | "
            f"{f['anterior_centavos'] / 100:,.0f} | {f['kpi_final']} | " + " | ".join(celdas) + " |"
        )
    k = b["kpi_final"]
    return [
        "## B10 — the month-end projection, backtested on generated months (issue 20)",
        "",
        f"`bench/meses_generados.py` simulates the procedure, seeded ({b['semilla']}): {b['prospectos']:,} "
        f"prospects over {len(b['filas']) + b['calentamiento']} months ({b['calentamiento']} of them history "
        "before the first month measured), arriving on business days (Monday to Friday, Bolivian holidays "
        "excluded) at about 15 a day × a factor drawn per month (0.75–1.25) and, in about a third of the months, "
        "a slump (×0.5–0.7) or surge (×1.3–1.6) from a day in the middle of the month on; channels web, "
        "Facebook, WhatsApp, Botmaker and Messenger. Each prospect walks the state machine's steps on business "
        "days at office hours: first answer (median about 25 minutes), classification (6 % derived to "
        "enterprise sales), coverage (9 % without) and Help Desk capacity (5 % refused), the offer 0–3 business "
        "days later on a plan of Bs 169–449, accepted (55–66 % by channel) or rejected 1–5 days later (a tenth "
        "8–15 days later), requirements, Smartflex (`digitacion` → `forma_pago`), prepaid (transfer or web "
        "payment, validated, invoiced; 6 % never pay and are cancelled) or postpaid (`control_facturacion`), the "
        "invoice 1–6 business days after Smartflex, and 2.5 % of the sales cancelled after their invoice. At any "
        "moment each prospect is the `Solicitud` the table would hold then, and the aggregate items are "
        "`sumar(aporte(s))` over them — the month, the previous one and the open pipeline, as the stream keeps "
        "them.",
        "",
        f"For each of the {len(b['filas'])} months, `proyectar(mes, items, hoy, es_habil)` with "
        "`CalendarioLaboral().es_dia_habil` is made at the start of the checkpoints of day 10 and day 20 "
        "(`dia_de_control`: that day or the next business day), against the month's final net billing "
        "(`cifras_del_mes(mes, items at the month's end).centavos`) and the final KPI verdict (that billing "
        f"against the previous month's, both at the month's end: {k['APROBADO']} months APROBADO, "
        f"{k['OBSERVADO']} OBSERVADO). The naive run rate is the billing so far ÷ business days elapsed × business "
        "days in the month, its verdict against the same previous month. Errors are (projected − final) ÷ final. "
        "No target is set for them; the check is the generator's: the final billing from the aggregates equals "
        "the invoices and cancellations of the timelines counted directly, at every checkpoint and month end "
        f"({_ok(b['consistente'])}{'' if b['consistente'] else ': ' + '; '.join(b['discrepancias'][:3])}). "
        f"Generated in {b['segundos_generar']:.1f} s, backtested in {b['segundos_backtest']:.1f} s.",
        "",
        *resumen,
        "",
        "Where the month's billing came from, as a share of the final billing (mean over the months): what each "
        "term of the projection said at the checkpoint, and what the sales that stood in that place at the "
        "checkpoint actually invoiced within the month.",
        "",
        *partes,
        "",
        *meses,
        "",
    ]
