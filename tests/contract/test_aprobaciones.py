"""Contract of Aprobaciones: the in-memory fake and the DynamoDB adapter (claves table, on moto) obey the same
rules; and the itsdangerous signer refuses tampered, foreign and expired tokens."""

from __future__ import annotations

import threading

import pytest

from chalicelib.domain.enlaces import Aprobacion, EnlaceInvalido, EnlaceVencido
from tests.fakes_pagos import InMemoryAprobaciones

CREADA = "2026-11-30T09:00:00-04:00"
VENCE = "2026-12-03T09:00:00-04:00"


def _aprobacion(id_: str = "ap-1", **extra) -> Aprobacion:
    return Aprobacion(
        id=id_,
        solicitud_id="VD-7F3K9Q2M",
        proposito="deposito",
        rol="CO",
        responsable="cobranzas@ventas.test",
        decisiones=("aprobar", "rechazar"),
        creada_en=CREADA,
        expira_en=VENCE,
        datos={"origen": "validar_deposito"},
        **extra,
    )


@pytest.fixture(params=["memoria", "dynamodb"])
def aprobaciones(request):
    if request.param == "memoria":
        return InMemoryAprobaciones()
    from chalicelib.adapters.dynamo_aprobaciones import PynamoAprobaciones

    return PynamoAprobaciones(request.getfixturevalue("settings"))


class TestAprobaciones:
    def test_a_created_approval_reads_back_the_same(self, aprobaciones):
        aprobaciones.crear(_aprobacion())
        assert aprobaciones.obtener("ap-1") == _aprobacion()
        assert aprobaciones.obtener("otra") is None

    def test_an_id_is_never_overwritten(self, aprobaciones):
        aprobaciones.crear(_aprobacion())
        with pytest.raises(Exception):  # noqa: B017 - the store's own "exists" error
            aprobaciones.crear(_aprobacion())

    def test_deciding_turns_pending_into_decided_once(self, aprobaciones):
        # Given
        aprobaciones.crear(_aprobacion())
        # When
        primera = aprobaciones.decidir(
            "ap-1", decision="aprobar", por="cobranzas@ventas.test", en="2026-11-30T10:00:00-04:00"
        )
        segunda = aprobaciones.decidir("ap-1", decision="rechazar", por="otro", en="2026-11-30T10:01:00-04:00")
        # Then
        assert (primera, segunda) == (True, False)
        registro = aprobaciones.obtener("ap-1")
        assert (registro.estado, registro.decision, registro.decidida_por, registro.decidida_en) == (
            "decidida",
            "aprobar",
            "cobranzas@ventas.test",
            "2026-11-30T10:00:00-04:00",
        )

    def test_an_expired_or_unknown_approval_cannot_be_decided(self, aprobaciones):
        aprobaciones.crear(_aprobacion())
        assert aprobaciones.decidir("ap-1", decision="aprobar", por="x", en="2026-12-03T09:00:00-04:00") is False
        assert aprobaciones.decidir("nada", decision="aprobar", por="x", en=CREADA) is False
        assert aprobaciones.obtener("ap-1").pendiente
        assert aprobaciones.obtener("nada") is None

    def test_reopening_undoes_only_the_attempt_that_failed(self, aprobaciones):
        aprobaciones.crear(_aprobacion())
        aprobaciones.decidir("ap-1", decision="aprobar", por="x", en="2026-11-30T10:00:00-04:00")
        aprobaciones.reabrir("ap-1", en="2026-11-30T09:59:00-04:00")
        assert aprobaciones.obtener("ap-1").estado == "decidida"
        aprobaciones.reabrir("ap-1", en="2026-11-30T10:00:00-04:00")
        registro = aprobaciones.obtener("ap-1")
        assert registro.pendiente and registro.decision is None and registro.decidida_en is None

    def test_concurrent_decisions_succeed_exactly_once(self, aprobaciones):
        aprobaciones.crear(_aprobacion())
        resultados: list[bool] = []

        def decidir(n: int) -> None:
            resultados.append(
                aprobaciones.decidir("ap-1", decision="aprobar", por=f"p{n}", en="2026-11-30T10:00:00-04:00")
            )

        hilos = [threading.Thread(target=decidir, args=(n,)) for n in range(6)]
        for hilo in hilos:
            hilo.start()
        for hilo in hilos:
            hilo.join()
        assert sorted(resultados) == [False] * 5 + [True]


class TestFirmaEnlaces:
    def test_a_signed_value_reads_back(self):
        from chalicelib.adapters.firma_enlaces import ItsdangerousFirmaEnlaces

        firma = ItsdangerousFirmaEnlaces("clave")
        assert firma.leer(firma.firmar("ap-1"), 60) == "ap-1"

    @pytest.mark.parametrize("cambio", ["tampered", "other_key", "other_salt", "garbage", "empty"])
    def test_a_tampered_or_foreign_token_is_invalid(self, cambio):
        from itsdangerous import URLSafeTimedSerializer

        from chalicelib.adapters.firma_enlaces import ItsdangerousFirmaEnlaces

        firma = ItsdangerousFirmaEnlaces("clave")
        token = firma.firmar("ap-1")
        tokens = {
            "tampered": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            "other_key": ItsdangerousFirmaEnlaces("otra-clave").firmar("ap-1"),
            "other_salt": URLSafeTimedSerializer("clave", salt="respuesta-v1").dumps("ap-1"),
            "garbage": "no-es-un-token",
            "empty": "",
        }
        with pytest.raises(EnlaceInvalido):
            firma.leer(tokens[cambio], 60)

    def test_an_old_token_is_expired(self, monkeypatch):
        import itsdangerous.timed

        from chalicelib.adapters.firma_enlaces import ItsdangerousFirmaEnlaces

        firma = ItsdangerousFirmaEnlaces("clave")
        token = firma.firmar("ap-1")
        ahora = itsdangerous.timed.time.time()
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: ahora + 73 * 3600)
        with pytest.raises(EnlaceVencido):
            firma.leer(token, 72 * 3600)

    def test_an_empty_key_is_refused(self):
        from chalicelib.adapters.firma_enlaces import ItsdangerousFirmaEnlaces

        with pytest.raises(ValueError):
            ItsdangerousFirmaEnlaces("")
