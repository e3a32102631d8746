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
    return "\n".join(filas)


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


_SECCIONES = {"B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"}


def actualizar(existente: str, c: Mapping[str, Any], r: Mapping[str, Any]) -> str:
    """``existente`` (a document ``documento`` wrote) with the benchmarks of ``r`` replaced or added: their summary
    rows, their sections (each marked as measured by this later, partial run: ``c``) and their raw results; the rest,
    header included, stays as the full run wrote it. For ``python -m bench --solo B6 --escribir``."""
    nombres = sorted({k.split("_")[0] for k in r} & _SECCIONES)
    lineas = existente.split("\n")
    # Summary rows (between "## Summary" and the next heading): drop the old rows of these benchmarks, put the new
    # ones where the old were, else after the last row.
    desde = lineas.index("## Summary")
    hasta = next(i for i in range(desde + 1, len(lineas)) if lineas[i].startswith("## "))
    fila = re.compile(r"^\| (B\d) \|")
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
