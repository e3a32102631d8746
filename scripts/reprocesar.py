"""Re-drive what failed, once its cause is fixed (docs/deploy.md, "Re-drive"): stream batches and inbound mails.

    python -m scripts.reprocesar [--etapa local|dev|prod] [--endpoint URL] flujo [--desde ISO] [--uno ID]
                                 [--archivo FILE] [--simular]
    python -m scripts.reprocesar [--etapa ...] correo [--desde ISO | --uno MESSAGE_ID] [--funcion NAME] [--simular]

``flujo``: each message of ``vd-<stage>-streams-dlq`` is Lambda's on-failure record of a stream batch (where the
batch is, not its data). Its records are read back from the DynamoDB stream (AT_SEQUENCE_NUMBER start → end; a
stream keeps records 24 h, older ones are "vencidos") and delivered again to the function the message names, as a
Lambda DynamoDB event. The message is deleted only when that delivery returned no ``batchItemFailures``.

``correo``: every raw mail under ``correo/`` of the entrantes bucket whose ``correo#<messageId>`` claim (claves
table) is not completed is handed again to ``on_correo_entrante`` with an SES receipt event. Completed claims are
kept 8 days, so only mails of the last 7 days can be told apart from processed ones; older ``--desde`` is refused.

Both are idempotent: the handlers claim each record and each mail once, so a second run sends nothing again.
On the local stage (``--etapa local``, default) the functions run in this process (chalice's test client) against
the running `make run` (moto on ``--endpoint``, default http://127.0.0.1:4566); on AWS stages through
``lambda invoke`` with the caller's credentials.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Protocol, TextIO

from botocore.exceptions import ClientError

RAIZ = Path(__file__).resolve().parent.parent
DIAS_CORREO = 7  # completed correo# claims are kept 8 days (adapters/dynamo_idempotencia.DIAS_RETENCION)
VEREDICTOS = ("spf", "dkim", "dmarc", "spam", "virus")
_RECIBIDO_PARA = re.compile(r"\bfor\s+<?([^\s<>;@]+@[^\s<>;]+?)>?\s*;")


class InvocacionFallida(Exception):
    """The function raised (a Lambda FunctionError, or an exception in-process)."""


class Invocador(Protocol):
    def __call__(self, funcion: str, evento: dict[str, Any]) -> Any: ...


@dataclass(frozen=True)
class Entorno:
    """Names of one stage's resources (from .chalice/config.json and the stack's naming)."""

    etapa: str
    region: str
    tabla_claves: str
    bucket_entrantes: str
    prefijo_correo: str = "correo/"

    @property
    def cola_fallos(self) -> str:
        return f"vd-{self.etapa}-streams-dlq"

    @property
    def pila(self) -> str:
        return f"ventas-digitales-{self.etapa}"

    @property
    def local(self) -> bool:
        return self.etapa == "local"


def entorno_de(etapa: str, region: str | None = None) -> Entorno:
    config = json.loads((RAIZ / ".chalice" / "config.json").read_text(encoding="utf-8"))
    if etapa not in config["stages"]:
        raise SystemExit(f"Etapa desconocida: {etapa} (hay: {', '.join(config['stages'])})")
    env = {**config.get("environment_variables", {}), **config["stages"][etapa].get("environment_variables", {})}
    import os

    return Entorno(
        etapa=etapa,
        region=region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1",
        tabla_claves=env["VD_TABLA_CLAVES"],
        bucket_entrantes=env["VD_BUCKET_ENTRANTES"],
        prefijo_correo=env.get("VD_PREFIJO_CORREO_ENTRANTE", "correo/"),
    )


def _handler_local(funcion: str) -> str:
    """``arn:…:function:ventas-digitales-local-on_entrante`` or ``on_entrante`` → ``on_entrante``."""
    return funcion.rsplit(":", 1)[-1].rsplit("-", 1)[-1]


def _breve(texto: str, largo: int = 200) -> str:
    """First line of an error, at most ``largo`` characters (the full trace is in the function's log)."""
    linea = texto.strip().splitlines()[0] if texto.strip() else ""
    return linea if len(linea) <= largo else linea[: largo - 1] + "…"


def invocador_cliente(cliente: Any) -> Invocador:
    """In-process invocation through ``chalice.test.Client`` (the local stage and the tests)."""

    def invocar(funcion: str, evento: dict[str, Any]) -> Any:
        try:
            return cliente.lambda_.invoke(_handler_local(funcion), evento).payload
        except Exception as exc:
            raise InvocacionFallida(_breve(f"{type(exc).__name__}: {exc}")) from exc

    return invocar


def invocador_aws(region: str) -> Invocador:
    """Synchronous ``lambda invoke`` (RequestResponse) of the deployed function."""
    import boto3

    cliente = boto3.client("lambda", region_name=region)

    def invocar(funcion: str, evento: dict[str, Any]) -> Any:
        respuesta = cliente.invoke(FunctionName=funcion, InvocationType="RequestResponse", Payload=json.dumps(evento))
        cuerpo = respuesta["Payload"].read().decode("utf-8") or "null"
        if respuesta.get("FunctionError"):
            try:
                error = json.loads(cuerpo)
                texto = f"{error.get('errorType', respuesta['FunctionError'])}: {error.get('errorMessage', '')}"
            except (ValueError, AttributeError):
                texto = f"{respuesta['FunctionError']}: {cuerpo}"
            raise InvocacionFallida(_breve(texto))
        return json.loads(cuerpo)

    return invocar


def _fecha(texto: str) -> datetime:
    """ISO 8601 (``2026-12-05``, ``2026-12-05T10:00``, ``…Z``, with offset); without a zone it is UTC."""
    valor = datetime.fromisoformat(texto.strip().replace("Z", "+00:00"))
    return valor if valor.tzinfo else valor.replace(tzinfo=UTC)


def _hora(valor: datetime) -> str:
    return valor.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# -- flujo ---------------------------------------------------------------------------------------------------------


@dataclass
class Resumen:
    titulo: str
    cuentas: dict[str, int] = field(default_factory=dict)

    def sumar(self, clave: str) -> None:
        self.cuentas[clave] = self.cuentas.get(clave, 0) + 1

    def linea(self, orden: tuple[str, ...]) -> str:
        return f"{self.titulo}: " + ", ".join(f"{self.cuentas.get(k, 0)} {k}" for k in orden)


ORDEN_FLUJO = ("re-enviados", "ya procesados", "fallidos otra vez", "vencidos en el flujo", "omitidos")
ORDEN_CORREO = ("re-enviados", "ya procesados", "en curso", "fallidos otra vez", "omitidos")


@dataclass
class Mensaje:
    """One on-failure message: its body, and how to delete it (None when it came from a file)."""

    id: str
    cuerpo: dict[str, Any]
    recibo: str | None = None


def mensajes_cola(sqs: Any, url: str, *, espera: int = 120) -> Iterator[Mensaje]:
    """Every message of the queue once: received messages stay hidden ``espera`` s while this run works."""
    vistos: set[str] = set()
    while True:
        lote = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=espera, WaitTimeSeconds=0)
        nuevos = [m for m in lote.get("Messages", []) if m["MessageId"] not in vistos]
        if not nuevos:
            return
        for m in nuevos:
            vistos.add(m["MessageId"])
            try:
                cuerpo = json.loads(m["Body"])
            except ValueError:
                cuerpo = {}
            yield Mensaje(id=m["MessageId"], cuerpo=cuerpo, recibo=m["ReceiptHandle"])


_FUERA_DEL_FLUJO = frozenset({"ResourceNotFoundException", "TrimmedDataAccessException"})


def leer_lote(streams: Any, info: dict[str, Any], *, paginas_vacias: int = 5) -> list[dict[str, Any]] | None:
    """The batch's records (start..end sequence numbers) from the stream, or None when the stream no longer has
    them (shard or records past the 24 h retention)."""
    inicio, fin = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    try:
        iterador = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        ).get("ShardIterator")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _FUERA_DEL_FLUJO:
            return None
        raise
    registros: list[dict[str, Any]] = []
    vacias = 0
    while iterador and vacias < paginas_vacias:
        pagina = streams.get_records(ShardIterator=iterador, Limit=1000)
        iterador = pagina.get("NextShardIterator")
        if not pagina.get("Records"):
            vacias += 1
            continue
        for r in pagina["Records"]:
            numero = int(r["dynamodb"]["SequenceNumber"])
            if numero > fin:
                return registros or None
            if numero >= inicio:
                registros.append(r)
            if numero == fin:
                return registros
    return registros or None


def reprocesar_flujo(
    mensajes: list[Mensaje],
    *,
    streams: Any,
    invocar: Invocador,
    borrar: Callable[[Mensaje], None],
    desde: datetime | None = None,
    simular: bool = False,
    salida: TextIO = sys.stdout,
) -> Resumen:
    """Deliver each message's batch again to the function it names; delete the message only on full success.
    A batch already re-delivered in this run (the same message twice) counts as already processed."""
    from localstage.stream_pump import records_to_lambda_event

    resumen = Resumen("Flujo" + (" (simulación, nada cambió)" if simular else ""))
    hechos: set[tuple[str, str, str]] = set()
    for m in mensajes:
        info = m.cuerpo.get("DDBStreamBatchInfo") or {}
        funcion = str((m.cuerpo.get("requestContext") or {}).get("functionArn") or "")
        if not info or not funcion:
            print(f"- mensaje {m.id}: no es un aviso de fallo de un flujo DynamoDB; se deja en la cola", file=salida)
            resumen.sumar("omitidos")
            continue
        lote = (info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"])
        llegada = _fecha(str(info.get("approximateArrivalOfFirstRecord") or "1970-01-01T00:00:00Z"))
        nombre = f"lote {info['startSequenceNumber']}…{info['endSequenceNumber']} ({info.get('batchSize', '?')} reg.)"
        destino = funcion.rsplit(":", 1)[-1]
        if desde is not None and llegada < desde:
            resumen.sumar("omitidos")
            continue
        if lote in hechos:
            print(f"- {nombre} → {destino}: ya re-enviado en esta ejecución (mensaje repetido)", file=salida)
            resumen.sumar("ya procesados")
            if not simular:
                borrar(m)
            continue
        registros = leer_lote(streams, info)
        if registros is None:
            print(
                f"- {nombre} → {destino}: VENCIDO, el flujo ya no tiene los registros (retención 24 h; llegó"
                f" {_hora(llegada)}); el mensaje queda en la cola para revisión manual",
                file=salida,
            )
            resumen.sumar("vencidos en el flujo")
            continue
        if simular:
            print(f"- {nombre} → {destino}: se re-enviarían {len(registros)} registros", file=salida)
            resumen.sumar("re-enviados")
            continue
        evento = records_to_lambda_event(registros, info["streamArn"])
        try:
            respuesta = invocar(funcion, evento)
        except InvocacionFallida as exc:
            print(f"- {nombre} → {destino}: FALLÓ OTRA VEZ ({exc}); el mensaje queda en la cola", file=salida)
            resumen.sumar("fallidos otra vez")
            continue
        fallidos = (respuesta or {}).get("batchItemFailures") if isinstance(respuesta, dict) else None
        if fallidos:
            ids = ", ".join(str(f.get("itemIdentifier")) for f in fallidos if isinstance(f, dict))
            print(f"- {nombre} → {destino}: FALLÓ OTRA VEZ (registros {ids}); el mensaje queda en la cola", file=salida)
            resumen.sumar("fallidos otra vez")
            continue
        borrar(m)
        hechos.add(lote)
        print(f"- {nombre} → {destino}: re-enviados {len(registros)} registros; mensaje borrado", file=salida)
        resumen.sumar("re-enviados")
    print(resumen.linea(ORDEN_FLUJO), file=salida)
    return resumen


def flujo(args: argparse.Namespace, entorno: Entorno, invocar: Invocador, salida: TextIO = sys.stdout) -> Resumen:
    import boto3

    sqs = boto3.client("sqs", region_name=entorno.region)
    streams = boto3.client("dynamodbstreams", region_name=entorno.region)
    desde = _fecha(args.desde) if args.desde else None
    if args.archivo:
        cuerpo = json.loads(Path(args.archivo).read_text(encoding="utf-8"))
        mensajes = [Mensaje(id=Path(args.archivo).name, cuerpo=cuerpo.get("Body", cuerpo))]
        if isinstance(mensajes[0].cuerpo, str):
            mensajes[0].cuerpo = json.loads(mensajes[0].cuerpo)
        url = ""
    else:
        url = sqs.get_queue_url(QueueName=entorno.cola_fallos)["QueueUrl"]
        mensajes = list(mensajes_cola(sqs, url))
        print(f"Cola {entorno.cola_fallos}: {len(mensajes)} mensajes", file=salida)
    if args.uno:
        elegidos = [m for m in mensajes if m.id == args.uno]
        if not elegidos:
            print(f"No hay ningún mensaje {args.uno} en la cola.", file=salida)
        devueltos, mensajes = [m for m in mensajes if m.id != args.uno], elegidos
    else:
        devueltos = []

    borrados: set[str] = set()

    def borrar(m: Mensaje) -> None:
        if m.recibo is not None:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m.recibo)
        borrados.add(m.id)

    try:
        return reprocesar_flujo(
            mensajes, streams=streams, invocar=invocar, borrar=borrar, desde=desde, simular=args.simular, salida=salida
        )
    finally:  # whatever stays in the queue is visible again at once
        for m in [*mensajes, *devueltos]:
            if m.recibo is not None and m.id not in borrados:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m.recibo, VisibilityTimeout=0)


# -- correo --------------------------------------------------------------------------------------------------------


def estado_correo(dynamodb: Any, tabla: str, message_id: str, ahora: float) -> str:
    """pendiente (no claim: it failed or never ran; or a claim whose holder died), en curso, or procesado."""
    item = dynamodb.get_item(TableName=tabla, Key={"clave": {"S": f"correo#{message_id}"}}, ConsistentRead=True)
    item = item.get("Item")
    if not item:
        return "pendiente"
    estado = item.get("estado", {}).get("S", "")
    if estado == "completo":
        return "procesado:" + str(item.get("resultado", {}).get("S", ""))
    hasta = float(item.get("en_curso_hasta", {}).get("N", "0"))
    return "en curso" if hasta >= ahora else "pendiente"


def veredictos_guardados(crudo: bytes, local: bool) -> dict[str, str]:
    """Verdicts of a stored mail. In AWS, from the headers SES adds on top of the message (the first
    ``X-SES-Spam-Verdict``/``X-SES-Virus-Verdict``, the first ``Authentication-Results`` of amazonses.com for
    spf/dkim/dmarc); a missing one is not PASS, so the mail is refused rather than trusted. Locally, like the
    local SMTP intake (PASS unless ``X-Veredicto-Local``)."""
    mensaje = BytesParser(policy=policy.compat32).parsebytes(crudo, headersonly=True)
    if local:
        from localstage.smtp import veredictos_locales

        return veredictos_locales(mensaje)
    veredictos = dict.fromkeys(VEREDICTOS, "GRAY")
    for nombre in ("spam", "virus"):
        valor = mensaje.get(f"X-SES-{nombre.capitalize()}-Verdict")
        if valor:
            veredictos[nombre] = str(valor).strip().upper()
    for valor in mensaje.get_all("Authentication-Results") or []:
        texto = " ".join(str(valor).split())
        if not texto.lower().startswith("amazonses.com"):
            continue
        for parte in texto.split(";")[1:]:
            clave, _, resto = parte.strip().partition("=")
            if clave.lower() in ("spf", "dkim", "dmarc") and resto:
                veredictos[clave.lower()] = resto.split()[0].upper()
        break
    return veredictos


def evento_correo(message_id: str, crudo: bytes, llegada: datetime, local: bool) -> dict[str, Any]:
    """The SES receipt event (tests/events/ses_recepcion.json's shape) for a stored mail."""
    from localstage.smtp import evento_ses

    mensaje = BytesParser(policy=policy.compat32).parsebytes(crudo, headersonly=True)
    sobre = getaddresses([str(v) for v in mensaje.get_all("Return-Path") or mensaje.get_all("From") or []])
    remitente = next((a for _, a in sobre if a), "")
    cabeceras = [str(v) for nombre in ("To", "Cc") for v in mensaje.get_all(nombre) or []]
    destinatarios = [a for _, a in getaddresses(cabeceras) if a]
    sobre_para = _RECIBIDO_PARA.search(" ".join(str(mensaje.get("Received") or "").split()))
    if sobre_para and sobre_para.group(1) not in destinatarios:  # SES's own Received: "… for <rcpt>;"
        destinatarios.insert(0, sobre_para.group(1))
    evento = evento_ses(message_id, remitente, destinatarios, crudo, llegada)
    recibo = evento["Records"][0]["ses"]["receipt"]
    for nombre, estado in veredictos_guardados(crudo, local).items():
        recibo[f"{nombre}Verdict"] = {"status": estado}
    return evento


def reprocesar_correo(
    *,
    entorno: Entorno,
    invocar: Invocador,
    funcion: str,
    desde: datetime | None = None,
    uno: str | None = None,
    simular: bool = False,
    ahora: datetime | None = None,
    salida: TextIO = sys.stdout,
) -> Resumen:
    """Hand every stored mail since ``desde`` (or the one ``uno``) whose processing did not complete to the inbound
    function again; completed ones are skipped."""
    import boto3

    s3 = boto3.client("s3", region_name=entorno.region)
    dynamodb = boto3.client("dynamodb", region_name=entorno.region)
    momento = ahora or datetime.now(UTC)
    limite = momento - timedelta(days=DIAS_CORREO)
    resumen = Resumen("Correo" + (" (simulación, nada cambió)" if simular else ""))
    if uno:
        try:
            cabeza = s3.head_object(Bucket=entorno.bucket_entrantes, Key=entorno.prefijo_correo + uno)
        except s3.exceptions.ClientError:
            print(f"No hay ningún correo {entorno.prefijo_correo}{uno} en {entorno.bucket_entrantes}.", file=salida)
            print(resumen.linea(ORDEN_CORREO), file=salida)
            return resumen
        objetos = [{"Key": entorno.prefijo_correo + uno, "LastModified": cabeza["LastModified"]}]
    else:
        inicio = desde or limite
        if inicio < limite:
            raise SystemExit(
                f"--desde {_hora(inicio)} es anterior a {DIAS_CORREO} días: el registro de un correo procesado se"
                " conserva 8 días, así que uno más antiguo no se distingue de uno fallido. Use --uno <messageId>"
                " tras revisar el historial de la solicitud."
            )
        objetos = []
        for pagina in s3.get_paginator("list_objects_v2").paginate(
            Bucket=entorno.bucket_entrantes, Prefix=entorno.prefijo_correo
        ):
            objetos += [o for o in pagina.get("Contents", []) if o["LastModified"] >= inicio]
        objetos.sort(key=lambda o: o["LastModified"])
        print(
            f"Correos en {entorno.bucket_entrantes}/{entorno.prefijo_correo} desde {_hora(inicio)}: {len(objetos)}",
            file=salida,
        )
    for objeto in objetos:
        message_id = objeto["Key"][len(entorno.prefijo_correo) :]
        llegada = objeto["LastModified"]
        if llegada < limite:
            print(
                f"- {message_id}: recibido {_hora(llegada)}, hace más de {DIAS_CORREO} días; no se re-envía"
                " (ver historial de la solicitud)",
                file=salida,
            )
            resumen.sumar("omitidos")
            continue
        estado = estado_correo(dynamodb, entorno.tabla_claves, message_id, momento.timestamp())
        if estado.startswith("procesado"):
            print(f"- {message_id}: ya procesado ({estado.partition(':')[2] or 'sin detalle'})", file=salida)
            resumen.sumar("ya procesados")
            continue
        if estado == "en curso":
            print(f"- {message_id}: en curso ahora mismo; no se toca", file=salida)
            resumen.sumar("en curso")
            continue
        if simular:
            print(f"- {message_id}: recibido {_hora(llegada)}, sin procesar; se re-enviaría", file=salida)
            resumen.sumar("re-enviados")
            continue
        crudo = s3.get_object(Bucket=entorno.bucket_entrantes, Key=objeto["Key"])["Body"].read()
        try:
            respuesta = invocar(funcion, evento_correo(message_id, crudo, llegada, entorno.local))
        except InvocacionFallida as exc:
            print(f"- {message_id}: FALLÓ OTRA VEZ ({exc})", file=salida)
            resumen.sumar("fallidos otra vez")
            continue
        resultados = respuesta.get("resultados") if isinstance(respuesta, dict) else None
        detalle = ", ".join(":".join(str(r.get(k)) for k in ("estado", "motivo") if r.get(k)) for r in resultados or [])
        print(f"- {message_id}: re-enviado ({detalle or 'sin resultado'})", file=salida)
        resumen.sumar("re-enviados")
    print(resumen.linea(ORDEN_CORREO), file=salida)
    return resumen


def funcion_correo(entorno: Entorno, nombre: str | None) -> str:
    """The inbound function: given, the handler itself locally, else the stack's OnCorreoEntrante."""
    if nombre:
        return nombre
    if entorno.local:
        return "on_correo_entrante"
    import boto3

    cfn = boto3.client("cloudformation", region_name=entorno.region)
    recurso = cfn.describe_stack_resource(StackName=entorno.pila, LogicalResourceId="OnCorreoEntrante")
    return str(recurso["StackResourceDetail"]["PhysicalResourceId"])


# -- command line --------------------------------------------------------------------------------------------------


def argumentos(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.reprocesar", description=__doc__.split("\n\n")[0])
    p.add_argument("--etapa", default="local", help="local (por defecto), dev o prod")
    p.add_argument("--endpoint", default="http://127.0.0.1:4566", help="moto de `make run` (solo etapa local)")
    p.add_argument("--region", default=None)
    sub = p.add_subparsers(dest="orden", required=True)
    f = sub.add_parser("flujo", help="re-envía los lotes de la cola de fallos de los flujos")
    f.add_argument("--desde", help="solo lotes cuyo primer registro llegó desde entonces (ISO 8601, UTC si no dice)")
    f.add_argument("--uno", help="solo el mensaje de la cola con este MessageId")
    f.add_argument("--archivo", help="un mensaje guardado en un archivo JSON (no se borra nada de la cola)")
    f.add_argument("--simular", action="store_true", help="solo muestra qué se re-enviaría")
    c = sub.add_parser("correo", help="re-envía correos entrantes cuyo procesamiento no terminó")
    grupo = c.add_mutually_exclusive_group()
    grupo.add_argument("--desde", help=f"correos recibidos desde entonces (ISO 8601; por defecto {DIAS_CORREO} días)")
    grupo.add_argument("--uno", help="un solo correo, por su messageId de SES")
    c.add_argument("--funcion", help="nombre o ARN de la función (por defecto, OnCorreoEntrante de la pila)")
    c.add_argument("--simular", action="store_true", help="solo muestra qué se re-enviaría")
    return p.parse_args(argv)


def main(argv: list[str] | None = None, salida: TextIO = sys.stdout) -> int:
    args = argumentos(argv)
    entorno = entorno_de(args.etapa, args.region)
    if entorno.local:
        import os

        from localstage.entorno import entorno_local

        os.environ.update(entorno_local(args.endpoint))
        from chalice.test import Client

        from app import app
        from chalicelib.observability import logger

        # the functions' JSON log on stderr, apart from this report
        logger.registered_handler.setStream(sys.stderr)  # type: ignore[attr-defined]
        with Client(app, stage_name="local", project_dir=str(RAIZ)) as cliente:
            return _ejecutar(args, entorno, invocador_cliente(cliente), salida)
    return _ejecutar(args, entorno, invocador_aws(entorno.region), salida)


def _ejecutar(args: argparse.Namespace, entorno: Entorno, invocar: Invocador, salida: TextIO) -> int:
    inicio = time.monotonic()
    if args.orden == "flujo":
        resumen = flujo(args, entorno, invocar, salida)
    else:
        resumen = reprocesar_correo(
            entorno=entorno,
            invocar=invocar,
            funcion=funcion_correo(entorno, args.funcion),
            desde=_fecha(args.desde) if args.desde else None,
            uno=args.uno,
            simular=args.simular,
            salida=salida,
        )
    print(f"({time.monotonic() - inicio:.1f} s)", file=salida)
    return 1 if resumen.cuentas.get("fallidos otra vez") else 0


if __name__ == "__main__":
    sys.exit(main())
