"""The signature matrices of the three webhooks: the cases not already proven elsewhere.

Already proven, not repeated: Meta missing / malformed / wrong secret / tampered / ``sha1=`` prefix / empty body and
the previous secret during a rotation (``tests/e2e/test_canales.py``, ``tests/unit/services/test_webhooks.py``);
Botmaker missing / empty / wrong token and empty body (``tests/e2e/test_canales.py``); the payment callback's
missing id, timestamp or signature, malformed, other key, tampered, 301 s stale or future, previous secret, replay,
not JSON, wrong fields (``tests/app/test_pagos.py``). The Hypothesis fuzzers of ``test_fuzz_webhooks.py`` add
random headers and bodies on top.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from chalicelib.services.pagos import firmar

LEAD = json.dumps(
    {"object": "page", "entry": [{"id": "1", "changes": [{"field": "leadgen", "value": {"leadgen_id": "77"}}]}]}
).encode()
BOTMAKER = json.dumps({"type": "message", "contactId": "+59170000001", "messages": [{"_id": "M1"}]}).encode()


def _meta(mundo, cuerpo: bytes, firma: str | None):
    cabeceras = {"Content-Type": "application/json"} | ({"X-Hub-Signature-256": firma} if firma is not None else {})
    return mundo.pedir_sin_escribir(
        "POST /webhooks/meta (matriz)", "POST", "/webhooks/meta", headers=cabeceras, body=cuerpo
    )


@pytest.mark.parametrize(
    ("caso", "status"),
    [
        ("hex_en_mayusculas", 200),
        ("segundo_secreto", 200),
        ("hex_truncado", 401),
        ("hex_con_letra_no_hex", 401),
        ("firma_de_otro_cuerpo_valido", 401),
        ("cuerpo_con_salto_de_linea_final", 401),
        ("dos_firmas_en_la_cabecera", 401),
        ("secreto_con_espacios", 401),
        ("prefijo_en_mayusculas", 401),
    ],
)
def test_the_meta_signature_matrix(mundo, caso, status):
    # Given the signed Lead Ads delivery spoiled (or legitimately varied) in one way
    cuerpo, firma = LEAD, mundo.firma_meta(LEAD)
    if caso == "hex_en_mayusculas":
        firma = "sha256=" + firma[7:].upper()
    elif caso == "segundo_secreto":
        firma = mundo.firma_meta(LEAD, 1)
    elif caso == "hex_truncado":
        firma = firma[:-1]
    elif caso == "hex_con_letra_no_hex":
        firma = firma[:-1] + "g"
    elif caso == "firma_de_otro_cuerpo_valido":
        firma = mundo.firma_meta(BOTMAKER)
    elif caso == "cuerpo_con_salto_de_linea_final":
        cuerpo = LEAD + b"\n"
    elif caso == "dos_firmas_en_la_cabecera":
        firma = f"{mundo.firma_meta(LEAD, 1)},{firma}"
    elif caso == "secreto_con_espacios":
        firma = "sha256=" + hmac.new(b" secreto-app-meta-local ", LEAD, hashlib.sha256).hexdigest()
    elif caso == "prefijo_en_mayusculas":
        firma = "SHA256=" + firma[7:]
    # When Meta (or someone) posts it
    respuesta = _meta(mundo, cuerpo, firma)
    # Then only a real signature over these exact bytes is accepted; a refusal writes nothing
    assert respuesta.status_code == status


@pytest.mark.parametrize(
    "cabeceras",
    [
        {"auth-bm-token": "TOKEN-BOTMAKER-LOCAL"},
        {"auth-bm-token": " token-botmaker-local"},
        {"auth-bm-token": "token-botmaker-local\t"},
        {"auth-bm-token": "token-botmaker-loca"},
        {"auth-bm-token": "token-botmaker-locall"},
        {"Authorization": "Bearer token-botmaker-local"},
        {"auth-bm-token-x": "token-botmaker-local"},
        {"auth-bm-token": "token-botmaker-local,token-botmaker-local"},
    ],
    ids=[
        "mayusculas",
        "espacio_inicial",
        "tabulador_final",
        "prefijo",
        "sufijo",
        "otra_cabecera",
        "otro_nombre",
        "repetido",
    ],
)
def test_the_botmaker_token_matrix(mundo, cabeceras):
    respuesta = mundo.pedir_sin_escribir(
        "POST /webhooks/botmaker (matriz)",
        "POST",
        "/webhooks/botmaker",
        headers={"Content-Type": "application/json", **cabeceras},
        body=BOTMAKER,
    )
    assert respuesta.status_code == 401 and respuesta.json_body["codigo"] == "firma_invalida"


def _pago(mundo) -> bytes:
    if not mundo.servicios.repo.solicitudes:
        mundo.guardar(
            id="VD-00000001",
            estado="pago_pendiente",
            oferta={"tarifa_mensual_bs": 199.0, "costo_instalacion_bs": 150.0},
        )
    return json.dumps(
        {
            "tipo": "pago.aprobado",
            "id_transaccion": "TX-1",
            "referencia": "VD-00000001",
            "monto_bs": 349.0,
            "fecha": "2026-11-30T08:59:00-04:00",
        }
    ).encode()


@pytest.mark.parametrize(
    ("caso", "status"),
    [
        ("varias_firmas_una_valida", 200),
        ("justo_300_s_antes", 200),
        ("justo_300_s_despues", 200),
        ("varias_firmas_ninguna_valida", 401),
        ("firma_para_otro_id", 401),
        ("firma_para_otro_timestamp", 401),
        ("solo_v1a", 401),
        ("id_con_barras", 401),
        ("id_de_256_caracteres", 401),
        ("timestamp_con_signo", 401),
        ("timestamp_decimal", 401),
        ("firma_sin_base64", 401),
        ("cuerpo_vacio_firmado", 400),
    ],
)
def test_the_payment_callback_signature_matrix(mundo, caso, status):
    # Given a well-signed callback for a request waiting for Bs 349, varied in one way
    cuerpo = b"" if caso == "cuerpo_vacio_firmado" else _pago(mundo)
    desfase = {"justo_300_s_antes": -300, "justo_300_s_despues": 300}.get(caso, 0)
    webhook_id = {"id_con_barras": "../../msg", "id_de_256_caracteres": "m" * 256}.get(caso, "msg_1")
    cabeceras = mundo.cabeceras_pago(cuerpo, webhook_id=webhook_id, desfase=desfase)
    marca = int(cabeceras["webhook-timestamp"])
    secreto = mundo.servicios.secretos.valores("secreto_pagos")[0]
    ajena = "v1," + base64.b64encode(b"x" * 32).decode()
    if caso == "varias_firmas_una_valida":
        cabeceras["webhook-signature"] = f"{ajena} v1a,abc {cabeceras['webhook-signature']}"
    elif caso == "varias_firmas_ninguna_valida":
        cabeceras["webhook-signature"] = f"{ajena} {ajena} v2,{cabeceras['webhook-signature'][3:]}"
    elif caso == "firma_para_otro_id":
        cabeceras["webhook-signature"] = firmar(secreto, "msg_2", marca, cuerpo)
    elif caso == "firma_para_otro_timestamp":
        cabeceras["webhook-signature"] = firmar(secreto, "msg_1", marca - 1, cuerpo)
    elif caso == "solo_v1a":
        cabeceras["webhook-signature"] = "v1a," + cabeceras["webhook-signature"][3:]
    elif caso == "timestamp_con_signo":
        cabeceras["webhook-timestamp"] = f"+{marca}"
    elif caso == "timestamp_decimal":
        cabeceras["webhook-timestamp"] = f"{marca}.0"
    elif caso == "firma_sin_base64":
        cabeceras["webhook-signature"] = "v1," + "%" * 44
    # When the gateway (or someone) posts it
    respuesta = mundo.pedir_sin_escribir(
        "POST /webhooks/pagos (matriz)", "POST", "/webhooks/pagos", headers=cabeceras, body=cuerpo
    )
    # Then only a valid signature for this id, timestamp and body within ±300 s passes
    assert respuesta.status_code == status, respuesta.body
