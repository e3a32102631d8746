"""`make run`: the whole system on this machine, with moto's server as the local AWS.

Starts moto on 127.0.0.1:4566 (a child process, ``localstage/moto_seguro.py``: DynamoDB serialised, and
``kill -STOP``/``kill -CONT`` of its PID freeze and resume AWS alone), creates tables, bucket, data key and SES identities, serves the API with
`chalice local --no-autoreload` on 127.0.0.1:8000, pumps the requests table's stream into the stream handler,
fires the app's schedules and prints every URL. Then, in the background, it seeds the demo month (the previous
month complete and the current one up to now: ``localstage.demo.sembrar_mes_demo``) unless ``VD_DEMO=0``.
Ctrl-C stops everything it started.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

RAIZ = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PUERTO_AWS = int(os.environ.get("VD_PUERTO_AWS", "4566"))
PUERTO_API = int(os.environ.get("VD_PUERTO_API", "8000"))
PUERTO_SMTP = int(os.environ.get("VD_PUERTO_SMTP", "2525"))
PUERTO_GRAPH = 4580  # the port VD_GRAPH_URL names for the local stage (.chalice/config.json)

log = logging.getLogger("localstage")


def _puerto_libre(puerto: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, puerto))
        except OSError:
            return False
    return True


def _esperar(url: str, segundos: float, proceso: subprocess.Popen[bytes] | None = None) -> None:
    limite = time.monotonic() + segundos
    while time.monotonic() < limite:
        if proceso is not None and proceso.poll() is not None:
            raise RuntimeError(f"el proceso terminó antes de responder (código {proceso.returncode})")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} no respondió en {segundos:.0f} s")


def provisionar_con_reintentos(settings: Any, intentos: int = 5) -> None:
    """``provisionar`` (idempotent) again while moto answers slower than the app's clients wait (1 s read, see
    ``chalicelib/adapters/clientes_aws.py``), which happens on a loaded machine."""
    from localstage.provision import provisionar

    for intento in range(1, intentos + 1):
        try:
            provisionar(settings)
            return
        except Exception as exc:
            if intento == intentos:
                raise
            log.warning("AWS local lento al aprovisionar (%s); reintento %d de %d", exc, intento, intentos - 1)
            time.sleep(1)


def _eventos_programados(app: Any) -> list[tuple[str, str]]:
    """(handler name, schedule expression) of every @schedule in the app."""
    programados = []
    for fuente in app.event_sources:
        expresion = getattr(fuente, "schedule_expression", None)
        if expresion is None:
            continue
        texto = expresion if isinstance(expresion, str) else expresion.to_string()
        programados.append((fuente.name, texto))
    return programados


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    for puerto, que in ((PUERTO_AWS, "AWS local (moto)"), (PUERTO_API, "API (chalice local)"), (PUERTO_SMTP, "SMTP")):
        if not _puerto_libre(puerto):
            print(f"El puerto {puerto} ({que}) está ocupado. Cierre el proceso que lo usa y vuelva a intentar.")
            return 1

    from localstage.entorno import entorno_local

    endpoint = f"http://{HOST}:{PUERTO_AWS}"
    entorno = entorno_local(endpoint)
    entorno["VD_URL_PUBLICA"] = f"http://{HOST}:{PUERTO_API}"
    os.environ.update(entorno)

    moto = subprocess.Popen(
        [sys.executable, "-m", "localstage.moto_seguro", "--host", HOST, "--port", str(PUERTO_AWS)],
        cwd=RAIZ,
        stdout=subprocess.DEVNULL,
    )
    detener = threading.Event()
    chalice: subprocess.Popen[bytes] | None = None
    try:
        _esperar(f"{endpoint}/moto-api/data.json", 60, moto)
        from chalicelib.config import Settings

        settings = Settings.from_env()
        provisionar_con_reintentos(settings)
        from localstage.graph_local import GraphLocal

        graph = GraphLocal.desde_settings(settings)
        graph.iniciar(PUERTO_GRAPH, HOST)

        chalice = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "chalice"),
                "local",
                "--no-autoreload",
                "--host",
                HOST,
                "--port",
                str(PUERTO_API),
                "--stage",
                "local",
            ],
            cwd=RAIZ,
            env={**os.environ, **entorno},
        )
        _esperar(f"http://{HOST}:{PUERTO_API}/health", 90, chalice)
        if settings.meta_app_secrets:
            # WhatsApp statuses and Messenger delivery/read events of what the app sent, signed like Meta's
            graph.iniciar_notificador(f"http://{HOST}:{PUERTO_API}/webhooks/meta", settings.meta_app_secrets[0])

        from chalice.test import Client

        from app import app
        from localstage.provision import arn_funcion_local, cola_fallos
        from localstage.scheduler import Scheduler
        from localstage.stream_pump import StreamPump, sqs_on_failure

        with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:

            def invocar(nombre: str, evento: dict[str, Any]) -> Any:
                return cliente.lambda_.invoke(nombre, evento).payload

            dlq = sqs_on_failure(cola_fallos(settings), settings.region)
            bomba = StreamPump(
                table_name=settings.tabla_solicitudes,
                handler=lambda evento: invocar("on_solicitud_change", evento),
                on_failure=dlq,
                function_arn=arn_funcion_local(settings, "on_solicitud_change"),
            )
            bomba_entrantes = StreamPump(
                table_name=settings.tabla_entrantes,
                handler=lambda evento: invocar("on_entrante", evento),
                on_failure=dlq,
                function_arn=arn_funcion_local(settings, "on_entrante"),
            )
            evento_cw = cliente.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region=settings.region
            )
            programados = _eventos_programados(app)

            def tarea(nombre: str) -> Callable[[], object]:
                return lambda: invocar(nombre, evento_cw)

            agenda = Scheduler({nombre: (expresion, tarea(nombre)) for nombre, expresion in programados})
            hilos = [
                threading.Thread(target=bomba.run_forever, args=(detener,), name="stream-pump", daemon=True),
                threading.Thread(
                    target=bomba_entrantes.run_forever, args=(detener,), name="stream-pump-entrantes", daemon=True
                ),
                threading.Thread(target=agenda.run_forever, args=(detener,), name="scheduler", daemon=True),
            ]
            for hilo in hilos:
                hilo.start()
            from localstage.smtp import desde_settings

            smtp = desde_settings(settings, invocar, puerto=PUERTO_SMTP, host=HOST).iniciar()
            _anunciar(endpoint, programados, moto.pid)
            if os.environ.get("VD_DEMO", "1") != "0":
                threading.Thread(target=_sembrar_mes_demo, args=(settings,), name="mes-demo", daemon=True).start()
            signal.signal(signal.SIGTERM, lambda *_: detener.set())
            try:
                while not detener.is_set():
                    if chalice.poll() is not None:
                        print("chalice local terminó inesperadamente; deteniendo todo.")
                        return 1
                    if moto.poll() is not None:
                        print("moto (AWS local) terminó inesperadamente; deteniendo todo.")
                        return 1
                    time.sleep(0.5)
            except KeyboardInterrupt:
                pass
            finally:
                smtp.detener()
        return 0
    finally:
        detener.set()
        if chalice is not None:
            _detener(chalice)
        _detener(moto)
        print("Etapa local detenida.")


def _detener(proceso: subprocess.Popen[bytes]) -> None:
    if proceso.poll() is not None:
        return
    proceso.send_signal(signal.SIGCONT)  # in case it was left frozen with kill -STOP
    proceso.terminate()
    try:
        proceso.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proceso.kill()
        proceso.wait(timeout=10)


def _sembrar_mes_demo(settings: Any) -> None:
    """The demo month (``demo.sembrar_mes_demo``), written after the banner while the stage already serves: the
    stream pump counts it into the dashboard's aggregates. ``VD_DEMO=0`` leaves the stage empty."""
    from chalicelib.domain.seguimiento import nombre_mes
    from localstage.demo import sembrar_mes_demo

    try:
        hecho = sembrar_mes_demo(settings)
    except Exception as exc:
        log.exception("mes de demostración")
        print(f"No se pudo cargar el mes de demostración: {exc}", flush=True)
        return
    solicitudes = hecho["por_mes"].get(hecho["mes_anterior"], 0) + hecho["por_mes"].get(hecho["mes"], 0)
    print(
        f"Mes de demostración cargado: {solicitudes} solicitudes de {nombre_mes(hecho['mes_anterior'])} y "
        f"{nombre_mes(hecho['mes'])} — tablero: http://{HOST}:{PUERTO_API}/consola/tablero"
        f"   ({hecho['segundos']} s; VD_DEMO=0 lo omite)",
        flush=True,
    )


def _anunciar(endpoint: str, programados: list[tuple[str, str]], pid_moto: int) -> None:
    api = f"http://{HOST}:{PUERTO_API}"
    lineas = [
        "",
        "Ventas Digitales — etapa local lista",
        f"  Formulario web (prospectos):   {api}/solicitud",
        f"  Consola del personal:          {api}/consola   (ingrese eligiendo una persona por rol)",
        f"  API del personal:              {api}/solicitudes   (token: {api}/dev/tokens)",
        f"  Bandeja de salida (JSON):      {api}/dev/outbox",
        f"  Bandeja de salida (HTML):      {api}/dev/outbox?formato=html",
        f"  Configuración local:           {api}/dev/config   (secretos de los webhooks)",
        f"  Webhooks:                      {api}/webhooks/meta   {api}/webhooks/botmaker",
        f"  Entrantes pendientes/fallidos: {api}/dev/entrantes",
        f"  Graph API local (Meta):        http://{HOST}:{PUERTO_GRAPH}/v21.0",
        f"  Botmaker API local:            http://{HOST}:{PUERTO_GRAPH}/botmaker/v2.0",
        f"  Mensajes salientes (JSON):     {api}/dev/mensajes",
        f"  Mensajes salientes (HTML):     {api}/dev/mensajes?formato=html",
        f"  Ejecutar un trabajo:           curl -X POST {api}/dev/jobs/escalamiento",
        f"  Informe mensual / resumen:     curl -X POST '{api}/dev/jobs/informe_mensual?mes=AAAA-MM'  ·  …/resumen_no_atendidas",
        f"  Reportes (token RC o JD):      {api}/reportes/no-atendidas · /reportes/seguimiento · /reportes/mensual",
        f"  Tablero del mes:               {api}/consola/tablero  ·  aviso de proyección: "
        f"curl -X POST '{api}/dev/jobs/alerta_tablero?forzar=1'",
        "  Mes de demostración:           se carga al iniciar (mes anterior y mes en curso; VD_DEMO=0 lo omite)",
        "  Datos de demostración:         make demo   (un año de historia, en otra terminal)",
        f"  Salud:                         {api}/health",
        f"  AWS local (moto):              {endpoint}   (panel: {endpoint}/moto-api/)",
        f"  Congelar / reanudar AWS:       kill -STOP {pid_moto}   ·   kill -CONT {pid_moto}",
        f"  SMTP entrante (como SES):      {HOST}:{PUERTO_SMTP}   (responda a los correos de /dev/outbox;"
        " «X-Veredicto-Local: dmarc=FAIL» simula un correo falsificado)",
        "  Flujo de eventos DynamoDB → manejador on_solicitud_change: activo",
        "  Flujo de eventos DynamoDB (entrantes) → manejador on_entrante: activo",
        "  Registros que fallan 5 veces:   cola vd-local-streams-dlq   (re-envío: make reprocesar ARGS='flujo')",
        "  Programaciones: " + ", ".join(f"{n} [{e}]" for n, e in programados),
        "Ctrl-C detiene todo.",
        "",
    ]
    print("\n".join(lineas), flush=True)


if __name__ == "__main__":
    sys.exit(main())
