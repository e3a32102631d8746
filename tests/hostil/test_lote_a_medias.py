"""A stream batch that fails half way, on the local stage (moto's stream, the pump with Lambda's
ReportBatchItemFailures semantics, the real SES adapter on moto behind a mailer that fails for one request).

The failure is one that is not a provider outage (a fault of the program or of its storage): those go back to the
stream. A provider outage does not fail the record: its sends wait in the request's queue of pending sends and
leave when the provider is back (``tests/e2e/test_envios_pendientes.py``).

Exactly the failed record is reported; it and the records after it are delivered again (Lambda restarts the shard
from the lowest failed sequence number); in the end every record has sent its emails once and none is lost. The
pump's own checkpoint rules are proven in ``tests/integration/test_stream_pump.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from localstage.stream_pump import StreamPump

pytestmark = pytest.mark.e2e


@dataclass
class MailerQueFalla:
    """The real mailer, except for emails about ``solicitud_id``: those fail ``veces`` times (or always), with an
    error that is not an outage of SES."""

    real: Any
    solicitud_id: str = ""
    veces: int = 2
    fallos: int = 0
    enviados: Counter[str] = field(default_factory=Counter)

    def enviar(self, correo: Any) -> str:
        if self.solicitud_id and self.solicitud_id in correo.asunto and (self.veces < 0 or self.fallos < self.veces):
            self.fallos += 1
            raise RuntimeError("fallo inyectado al preparar el correo")
        self.enviados[correo.asunto] += 1
        return str(self.real.enviar(correo))


def seis_solicitudes(etapa) -> list[str]:
    """Six web-form requests of six people, captured from the entrantes stream; their capture records wait in the
    requests stream."""
    ids = []
    for n in range(6):
        respuesta = etapa.enviar_formulario(
            nombre="María Quispe Mamani",
            telefono=f"7071234{n}",
            email=f"persona{n}@example.com",
            tipo_cliente="residencial",
            consentimiento="on",
        )
        assert respuesta.status_code == 201
        ids.append(re.search(r"VD-[0-9A-Z]{8}", respuesta.body.decode()).group(0))
    etapa.bomba_entrantes.drain()
    return ids


@pytest.fixture
def mundo_stream(etapa):
    """Six web-form requests whose capture records wait in the stream, a failing mailer, and a recording pump."""
    from chalicelib.adapters.ses_mailer import SesMailer
    from chalicelib.bootstrap import get_services

    s = etapa.settings
    mailer = MailerQueFalla(SesMailer(remitente=s.buzones.remitente, region=s.region, configuracion=""))
    get_services().overrides["mailer"] = mailer
    ids = seis_solicitudes(etapa)
    entregas: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def manejar(evento: dict[str, Any]) -> Any:
        respuesta = etapa.cliente.lambda_.invoke("on_solicitud_change", evento).payload
        entregas.append((evento, respuesta))
        return respuesta

    bomba = StreamPump(table_name=s.tabla_solicitudes, handler=manejar, batch_size=100, max_retries=5)
    return ids, mailer, bomba, entregas


def _secuencias(evento: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["SequenceNumber"] for r in evento["Records"]]


def _correos_por_solicitud(etapa, ids: list[str]) -> dict[str, int]:
    outbox = etapa.outbox()
    return {i: sum(1 for m in outbox if i in m["subject"]) for i in ids}


def test_only_the_failed_record_is_reported_and_in_the_end_each_record_sends_once(etapa, mundo_stream):
    # Given six capture records in one batch, and the emails of the third failing twice
    ids, mailer, bomba, entregas = mundo_stream
    mailer.solicitud_id = ids[2]
    # When the pump delivers the batch until the stream is drained
    bomba.drain()
    # Then the first delivery reported exactly the third record
    primera, respuesta = entregas[0]
    secuencias = _secuencias(primera)
    assert len(secuencias) == 6
    assert respuesta == {"batchItemFailures": [{"itemIdentifier": secuencias[2]}]}
    # And the retries started at the failed record, the ones after it included
    assert _secuencias(entregas[1][0]) == secuencias[2:]
    assert len(entregas) == 3 and entregas[-1][1] == {"batchItemFailures": []}
    # And every request got its two emails exactly once; nothing was lost or dead-lettered
    assert _correos_por_solicitud(etapa, ids) == dict.fromkeys(ids, 2)
    assert all(veces == 1 for veces in mailer.enviados.values())
    assert bomba.dead_letters == []
    for solicitud_id in ids:
        historial = etapa.detalle(solicitud_id)["historial"]
        assert [e["tipo"] for e in historial].count("correo") == 2


def test_a_record_that_keeps_failing_goes_to_the_dead_letters_and_is_not_lost(etapa, mundo_stream):
    # Given the emails of the third request failing until the fault is fixed
    ids, mailer, bomba, entregas = mundo_stream
    mailer.solicitud_id, mailer.veces = ids[2], -1
    # When the pump gives up on it after its attempts
    bomba.drain()
    # Then it is in the dead letters, the others sent their emails once, and it sent none
    assert [d["record"]["dynamodb"]["SequenceNumber"] for d in bomba.dead_letters] == [_secuencias(entregas[0][0])[2]]
    assert bomba.dead_letters[0]["attempts"] == 5
    correos = _correos_por_solicitud(etapa, ids)
    assert correos == {i: (0 if i == ids[2] else 2) for i in ids}
    # When the fault is fixed and the dead letter is replayed (twice, to be sure)
    mailer.solicitud_id = ""
    evento = {"Records": [bomba.dead_letters[0]["record"]]}
    for _ in range(2):
        assert etapa.cliente.lambda_.invoke("on_solicitud_change", evento).payload == {"batchItemFailures": []}
    # Then its two emails are sent once
    assert _correos_por_solicitud(etapa, ids) == dict.fromkeys(ids, 2)
