"""Fuzzing the three webhooks (Meta, Botmaker, the payment gateway): forged or unsigned deliveries are 401 and write
nothing; signed garbage is 400/422 and writes nothing; a signed object is 200; never a 5xx."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import DomainError
from tests.hostil import estrategias as e
from tests.hostil.conftest import PERFIL
from tests.hostil.mundo import EntrantesConLimites

EVENTOS = Path(__file__).resolve().parents[1] / "events"
MUESTRAS_META = [
    json.loads((EVENTOS / n).read_text(encoding="utf-8"))
    for n in (
        "meta_leadgen.json",
        "meta_messenger.json",
        "meta_whatsapp_mensajes.json",
        "meta_whatsapp_texto.json",
        "meta_whatsapp_estado.json",
    )
]
BOTMAKER = json.loads((EVENTOS / "botmaker_mensaje.json").read_text(encoding="utf-8"))
PAGO = {
    "tipo": "pago.aprobado",
    "id_transaccion": "TX-1",
    "referencia": "VD-00000001",
    "monto_bs": 349.0,
    "fecha": "2026-11-30T08:59:00-04:00",
    "medio": "qr",
}
RETO = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
TIPOS_JSON = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"]

cuerpo_meta = st.one_of(
    e.cuerpo_crudo,
    e.json_valor.map(lambda v: json.dumps(v).encode()),
    st.sampled_from(MUESTRAS_META).flatmap(e.mutar_en_profundidad).map(lambda v: json.dumps(v).encode()),
    st.sampled_from(MUESTRAS_META).flatmap(e.truncado),
)
cuerpo_botmaker = st.one_of(
    e.cuerpo_crudo,
    e.json_valor.map(lambda v: json.dumps(v).encode()),
    e.mutar_en_profundidad(BOTMAKER).map(lambda v: json.dumps(v).encode()),
    e.truncado(BOTMAKER),
)


def _forma_de_objeto(cuerpo: bytes) -> bool:
    """What the door accepts from an authenticated channel: UTF-8 text between braces (it does not parse)."""
    try:
        texto = cuerpo.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False
    return texto.startswith("{") and texto.endswith("}")


def _dividir_y_comprobar(mundo, respuesta) -> None:
    """The stream's split of what the door stored: processed, or ignored with a reason when it does not parse as
    a JSON object; never an error."""
    assert respuesta.json_body["recibido"] is True
    for clave in [c for c in mundo.servicios.entrantes.pendientes() if c.startswith("entrega#")]:
        estado = mundo.servicios.procesar_entrante(clave)
        guardada = mundo.servicios.entrantes.items[clave]
        assert estado == guardada.estado and (estado == "procesado" or (estado == "ignorado" and guardada.error))


# --- Meta -------------------------------------------------------------------------------------------------------


@settings(settings.get_profile(PERFIL), max_examples=300)
@given(
    modo=st.one_of(st.just("subscribe"), e.texto),
    reto=st.one_of(st.from_regex(r"\A[0-9]{1,12}\Z"), e.texto),
    token=st.one_of(st.just("token-verificacion-meta-local"), e.texto),
    otros=e.consulta,
)
def test_the_meta_handshake_echoes_only_a_plain_challenge_with_our_token(mundo, modo, reto, token, otros):
    consulta = {**otros, "hub.mode": modo, "hub.challenge": reto, "hub.verify_token": token}
    respuesta = mundo.pedir_sin_escribir("GET /webhooks/meta", "GET", "/webhooks/meta?" + urlencode(consulta))
    aceptable = modo == "subscribe" and token == "token-verificacion-meta-local" and RETO.match(reto) is not None
    assert respuesta.status_code == (200 if aceptable else 403)
    if aceptable:
        assert respuesta.body.decode() == reto


@settings(settings.get_profile(PERFIL), max_examples=400)
@given(
    cuerpo=cuerpo_meta,
    firma=st.one_of(
        st.none(),
        e.texto_cabecera,
        st.just("sha256=" + "0" * 64),
        st.binary(min_size=32, max_size=32).map(lambda b: "sha256=" + b.hex()),
    ),
    forma=st.sampled_from(["tal_cual", "sha1", "otro_secreto", "otro_cuerpo"]),
)
def test_a_meta_delivery_without_our_signature_is_401_and_writes_nothing(mundo, cuerpo, firma, forma):
    # Given a body and a signature that is missing, random, over another secret/body or with the wrong prefix
    import hashlib
    import hmac

    if forma == "sha1":
        firma = "sha1=" + hmac.new(b"secreto-app-meta-local", cuerpo, hashlib.sha1).hexdigest()
    elif forma == "otro_secreto":
        firma = "sha256=" + hmac.new(b"secreto-de-otra-app", cuerpo, hashlib.sha256).hexdigest()
    elif forma == "otro_cuerpo":
        firma = mundo.firma_meta(cuerpo + b" ")
    cabeceras = {"Content-Type": "application/json"} | ({"X-Hub-Signature-256": firma} if firma is not None else {})
    # When it is posted
    respuesta = mundo.pedir_sin_escribir(
        "POST /webhooks/meta (sin firma válida)", "POST", "/webhooks/meta", headers=cabeceras, body=cuerpo
    )
    # Then
    assert respuesta.status_code == 401 and respuesta.json_body["codigo"] == "firma_invalida"


@settings(settings.get_profile(PERFIL), max_examples=600)
@given(cuerpo=cuerpo_meta, secreto=st.sampled_from([0, 1]), tipo=st.sampled_from(TIPOS_JSON))
def test_a_signed_meta_delivery_is_recorded_or_refused_but_never_breaks(mundo, cuerpo, secreto, tipo):
    # Given a delivery signed with either active app secret: a real payload mutated anywhere, truncated, random
    antes = mundo.huella()
    cabeceras = {"Content-Type": tipo, "X-Hub-Signature-256": mundo.firma_meta(cuerpo, secreto)}
    # When Meta posts it
    respuesta = mundo.pedir("POST /webhooks/meta (firmado)", "POST", "/webhooks/meta", headers=cabeceras, body=cuerpo)
    # Then an object-shaped body is acknowledged (200) and split or ignored with a reason; anything else is refused
    # without a write
    if tipo.startswith("application/json") and _forma_de_objeto(cuerpo):
        assert respuesta.status_code == 200, respuesta.body
        _dividir_y_comprobar(mundo, respuesta)
    else:
        assert respuesta.status_code in (400, 401, 415) and mundo.huella() == antes


def test_huge_signed_meta_batches_are_stored_in_one_write_and_split_on_the_stream(mundo):
    # Given signed deliveries of 1, 1000 and 5000 WhatsApp messages, and one with 5000 copies of one message
    def lote(n: int, distintos: bool = True) -> bytes:
        base = MUESTRAS_META[3]["entry"][0]
        mensaje = base["changes"][0]["value"]["messages"][0]
        mensajes = [{**mensaje, "id": f"wamid.{i if distintos else 0}"} for i in range(n)]
        valor = {**base["changes"][0]["value"], "messages": mensajes}
        return json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [{**base, "changes": [{"field": "messages", "value": valor}]}],
            }
        ).encode()

    entrantes = mundo.servicios.entrantes
    for cuerpo, nuevos in ((lote(1), 1), (lote(1000), 999), (lote(5000), 4000), (lote(5000, False), 0)):
        cabeceras = {"Content-Type": "application/json", "X-Hub-Signature-256": mundo.firma_meta(cuerpo)}
        antes = set(entrantes.items)
        # When each is posted, and the stream splits it
        respuesta = mundo.pedir(
            "POST /webhooks/meta (firmado)", "POST", "/webhooks/meta", headers=cabeceras, body=cuerpo
        )
        assert respuesta.status_code == 200 and set(entrantes.items) - antes == {
            f"entrega#meta#{respuesta.json_body['entrega']}"
        }
        mundo.servicios.procesar_entrante(f"entrega#meta#{respuesta.json_body['entrega']}")
        # Then every distinct message is recorded once
        assert len(set(entrantes.items) - antes) == 1 + nuevos


# --- Botmaker ---------------------------------------------------------------------------------------------------


@settings(settings.get_profile(PERFIL), max_examples=300)
@given(cuerpo=cuerpo_botmaker, token=st.one_of(st.none(), e.texto_cabecera, st.just("token-botmaker-local ")))
def test_a_botmaker_delivery_without_the_token_is_401_and_writes_nothing(mundo, cuerpo, token):
    cabeceras = {"Content-Type": "application/json"} | ({"auth-bm-token": token} if token is not None else {})
    respuesta = mundo.pedir_sin_escribir(
        "POST /webhooks/botmaker (sin token)", "POST", "/webhooks/botmaker", headers=cabeceras, body=cuerpo
    )
    assert respuesta.status_code == 401


@settings(settings.get_profile(PERFIL), max_examples=500)
@given(cuerpo=cuerpo_botmaker, tipo=st.sampled_from(TIPOS_JSON))
def test_a_botmaker_delivery_with_the_token_is_recorded_or_refused_but_never_breaks(mundo, cuerpo, tipo):
    antes = mundo.huella()
    cabeceras = {"Content-Type": tipo, "auth-bm-token": "token-botmaker-local"}
    respuesta = mundo.pedir(
        "POST /webhooks/botmaker (con token)", "POST", "/webhooks/botmaker", headers=cabeceras, body=cuerpo
    )
    if tipo.startswith("application/json") and _forma_de_objeto(cuerpo):
        assert respuesta.status_code == 200, respuesta.body
        _dividir_y_comprobar(mundo, respuesta)
    else:
        assert respuesta.status_code in (400, 401, 415) and mundo.huella() == antes


# --- the payment gateway ------------------------------------------------------------------------------------------


@settings(settings.get_profile(PERFIL), max_examples=400)
@given(
    cuerpo=st.one_of(e.cuerpo_crudo, e.mutar(PAGO).map(lambda v: json.dumps(v).encode())),
    cabeceras=st.dictionaries(
        st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "x-otra"]), e.texto_cabecera
    ),
    caso=st.sampled_from(["aleatorio", "otra_clave", "antiguo", "futuro", "otro_id", "sin_v1", "vacio"]),
)
def test_a_payment_callback_without_a_valid_signature_is_401_and_writes_nothing(mundo, cuerpo, cabeceras, caso):
    # Given a callback whose signature is random, over another key, stale, future, for another id or not v1
    if not mundo.servicios.repo.solicitudes:
        mundo.guardar(id="VD-00000001", estado="pago_pendiente", oferta={"tarifa_mensual_bs": 199.0})
    if caso != "aleatorio":
        firmadas = mundo.cabeceras_pago(cuerpo, desfase={"antiguo": -301, "futuro": 301}.get(caso, 0))
        if caso == "otra_clave":
            from chalicelib.services.pagos import firmar

            firmadas["webhook-signature"] = firmar(
                "whsec_b3Ryby1zZWNyZXRv", "msg_1", int(firmadas["webhook-timestamp"]), cuerpo
            )
        elif caso == "otro_id":
            firmadas["webhook-id"] = "msg_2"
        elif caso == "sin_v1":
            firmadas["webhook-signature"] = firmadas["webhook-signature"].replace("v1,", "v2,")
        elif caso == "vacio":
            firmadas["webhook-signature"] = ""
        cabeceras = firmadas
    # When it is posted
    respuesta = mundo.pedir_sin_escribir(
        "POST /webhooks/pagos (sin firma válida)",
        "POST",
        "/webhooks/pagos",
        headers={"Content-Type": "application/json", **cabeceras},
        body=cuerpo,
    )
    # Then (a body over the callback's 64 kB limit is refused before its signature is read)
    assert respuesta.status_code == (400 if len(cuerpo) > 64 * 1024 else 401)


@settings(settings.get_profile(PERFIL), max_examples=500)
@given(
    cuerpo=st.one_of(
        e.cuerpo_crudo,
        e.json_valor.map(lambda v: json.dumps(v).encode()),
        e.mutar(PAGO).map(lambda v: json.dumps(v).encode()),
        e.mutar_en_profundidad(PAGO).map(lambda v: json.dumps(v).encode()),
    ),
    webhook_id=st.one_of(st.from_regex(r"\Amsg_[a-z0-9]{1,20}\Z"), e.texto_cabecera),
    secreto=st.sampled_from([0, 1]),
)
def test_a_signed_payment_callback_is_answered_but_never_breaks(mundo, cuerpo, webhook_id, secreto):
    # Given a request waiting for Bs 349 and a signed callback with any body and id
    if not mundo.servicios.repo.solicitudes:
        mundo.guardar(
            id="VD-00000001",
            estado="pago_pendiente",
            oferta={"plan": "Hogar Fibra 50", "tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
            digitacion={"numero_contrato": "SCS-1", "codigo_cliente": "CL-1"},
        )
    antes = mundo.huella()
    cabeceras = mundo.cabeceras_pago(cuerpo, webhook_id=webhook_id, indice=secreto)
    # When the gateway posts it
    respuesta = mundo.pedir("POST /webhooks/pagos (firmado)", "POST", "/webhooks/pagos", headers=cabeceras, body=cuerpo)
    # Then 200 (applied, observed, ignored or duplicate) or a refusal that wrote nothing
    assert respuesta.status_code in (200, 400, 401, 409, 422)
    if respuesta.status_code >= 400:
        assert mundo.huella() == antes


# --- what the stream does with a recorded item ------------------------------------------------------------------


@settings(settings.get_profile(PERFIL), max_examples=500)
@given(
    cuerpo=st.one_of(
        st.sampled_from(MUESTRAS_META).flatmap(e.mutar_en_profundidad).map(lambda v: ("meta", v)),
        e.mutar_en_profundidad(BOTMAKER).map(lambda v: ("botmaker", v)),
    )
)
def test_every_recorded_item_is_processed_or_fails_with_a_domain_error(mundo, cuerpo):
    # Given a signed delivery of any shape, recorded by the webhook in an empty entrantes table
    canal, datos = cuerpo
    crudo = json.dumps(datos).encode()
    firma = (
        {"X-Hub-Signature-256": mundo.firma_meta(crudo)}
        if canal == "meta"
        else {"auth-bm-token": "token-botmaker-local"}
    )
    mundo.servicios.overrides["entrantes"] = EntrantesConLimites()
    mundo.servicios.__dict__.pop("entrantes", None)
    mundo.pedir(
        f"POST /webhooks/{canal} (firmado, luego procesado)",
        "POST",
        f"/webhooks/{canal}",
        headers={"Content-Type": "application/json", **firma},
        body=crudo,
    )
    entrantes = mundo.servicios.overrides["entrantes"]
    for entrega in [c for c in entrantes.pendientes() if c.startswith("entrega#")]:
        mundo.servicios.procesar_entrante(entrega)  # the stream splits the delivery first
    nuevas = [c for c in entrantes.pendientes() if not c.startswith("entrega#")]
    # When the entrantes stream processes each new item
    for clave in nuevas:
        mundo.cifras["on_entrante (procesar_entrante)"]["ejemplos"] += 1
        try:
            estado = mundo.servicios.procesar_entrante(clave)
        except DomainError:
            estado = "fallido"
        # Then it is processed, ignored, or failed for a reason the person reading the list understands
        assert estado in ("procesado", "ignorado", "fallido")
        mundo.cifras["on_entrante (procesar_entrante)"][estado] += 1
        guardado = mundo.servicios.overrides["entrantes"].items[clave]
        assert guardado.estado == estado
