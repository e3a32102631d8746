"""Contract of SolicitudRepository: the in-memory fake and the DynamoDB adapter (on moto) obey the same rules."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import boto3
import pytest

from chalicelib.domain.contacto import SEGUNDOS_RECLAMO_CONTACTO, claves_de_reclamo
from chalicelib.domain.errors import (
    ConflictoConcurrente,
    ContactoReclamado,
    DatosInvalidos,
    EnvioDuplicado,
    SolicitudNoEncontrada,
)
from chalicelib.domain.model import Cambio, EntradaHistorial, Solicitud
from chalicelib.domain.ports import SolicitudRepository
from tests.factories import make_entrada, make_solicitud
from tests.fakes_persistencia import InMemorySolicitudRepository

MOTO_SIN_AISLAMIENTO = (
    "moto 5.2.5 runs TransactWriteItems without a lock and rolls a failed one back by restoring a snapshot of "
    "the whole table, so concurrent transactions race there; DynamoDB serializes them per item"
)


@pytest.fixture(params=["memoria", "dynamodb"])
def repo(request):
    if request.param == "memoria":
        return InMemorySolicitudRepository()
    from chalicelib.adapters.dynamo_solicitudes import PynamoSolicitudRepository

    return PynamoSolicitudRepository(request.getfixturevalue("settings"))


class RelojManual:
    """Epoch seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.ahora = 1_796_040_000.0

    def __call__(self) -> float:
        return self.ahora


@pytest.fixture(params=["memoria", "dynamodb"])
def repo_con_reloj(request) -> tuple[SolicitudRepository, RelojManual]:
    reloj = RelojManual()
    if request.param == "memoria":
        return InMemorySolicitudRepository(reloj=reloj), reloj
    from chalicelib.adapters.dynamo_solicitudes import PynamoSolicitudRepository

    return PynamoSolicitudRepository(request.getfixturevalue("settings"), reloj=reloj), reloj


def solicitud_completa() -> Solicitud:
    """Every field set: unicode, floats, nested dicts and lists, booleans, nulls inside maps, an empty string."""
    cambio = Cambio(
        id="EV-01JDZ8X7K3",
        solicitud_id="VD-7F3K9Q2M",
        en="2026-11-30T10:02:13.517000-04:00",
        actor="ejecutivo.ñandú@comteco.com.bo",
        rol="EJ",
        canal="consola",
        accion="registrar_pago",
        de="forma_pago",
        a="pago_pendiente",
        campos={"monto_bs": 149.9, "nota": "Depósito «BNB» — señor Ñuflo", "ids": [1, 2.5, None]},
        nota="Pagó en efectivo 🙂",
    )
    return Solicitud(
        id="VD-7F3K9Q2M",
        estado="pago_pendiente",
        canal="whatsapp",
        creada_en="2026-11-30T09:15:00-04:00",
        actualizada_en="2026-11-30T10:02:13.517000-04:00",
        estado_desde="2026-11-30T10:02:13.517000-04:00",
        mes="2026-11",
        version=7,
        datos={
            "nombre": "José Ñuflo Quispe",
            "telefono": "+59171234567",
            "latitud": -17.3935,
            "longitud": -66.157,
            "referencias": ["Calle España Nº 123", "frente al kiosco"],
            "ci": "••••4321",
        },
        tipo_cliente_sugerido="residencial",
        motivo_clasificacion="Palabras clave: «casa», «familia».",
        tipo_cliente="residencial",
        info_cualitativa={"uso": "teletrabajo", "horas": [19, 23], "gamer": True},
        cobertura={"disponible": True, "tecnologia": "FTTH", "velocidad_maxima_mbps": 300, "zona": "Queru Queru"},
        capacidad={"confirmada": True, "referencia": "4-412345", "respuesta_hd": None},
        oferta={"plan": "Hogar 100", "tarifa_bs": 199.0, "descuento": 0.15, "velocidad_mbps": 100},
        requisitos={"ci": True, "croquis": False, "carta": {"recibida_en": "2026-11-30T09:40:00-04:00"}},
        digitacion={"numero_contrato": "CT-000123", "codigo_cliente": "C-98765"},
        modalidad_pago="prepago",
        pago={"monto_bs": 149.9, "deposito": "0012345", "minimo": 1e-7, "grande": 123456789.125},
        factura={"numero": "F-001", "monto_bs": 149.9, "emitida_en": "2026-11-30T11:00:00-04:00", "mes": "2026-11"},
        control_facturacion={"ciclo": 1},
        etapas={"visitado": "2026-11-30T09:20:00-04:00", "informado": "2026-11-30T09:30:00-04:00"},
        motivo_cierre="",
        anulacion={"motivo": "duplicada", "origen_anulacion": "ejecutivo"},
        redigitacion_de="VD-AAAAAAAA",
        redigitada_como="VD-BBBBBBBB",
        origen={"formulario": "web", "utm": {"source": "facebook", "campaign": "navidad-2026"}},
        ejecutivo="ana.rojas",
        primera_respuesta_en="2026-11-30T09:20:00-04:00",
        escalada_en="2026-11-30T10:15:00-04:00",
        ultimo_cambio=cambio,
    )


def avanzar(s: Solicitud, estado: str, en: str, cambio_id: str) -> tuple[Solicitud, EntradaHistorial]:
    """The request after one action (version + 1) and the action's history entry."""
    cambio = Cambio(
        id=cambio_id,
        solicitud_id=s.id,
        en=en,
        actor="ana.rojas",
        rol="EJ",
        canal="consola",
        accion="avanzar",
        de=s.estado,
        a=estado,
    )
    nueva = replace(s, estado=estado, estado_desde=en, actualizada_en=en, version=s.version + 1, ultimo_cambio=cambio)
    return nueva, EntradaHistorial.de_cambio(cambio, f"Pasa a {estado}.")


def crear(repo: SolicitudRepository, **overrides: Any) -> Solicitud:
    s = make_solicitud(**overrides)
    repo.crear(s, make_entrada(s))
    return s


def recorrer(repo: SolicitudRepository, **filtros: Any) -> list[list[str]]:
    """Every page of a listing, as lists of ids."""
    paginas: list[list[str]] = []
    cursor: str | None = None
    while True:
        pagina = repo.listar(cursor=cursor, **filtros)
        paginas.append([s.id for s in pagina.solicitudes])
        cursor = pagina.siguiente
        if cursor is None:
            return paginas


class TestSolicitudRepository:
    def test_a_created_request_reads_back_identical(self, repo):
        # Given a request with every field populated
        s = solicitud_completa()

        # When it is created and read back
        repo.crear(s, make_entrada(s), ["envio#whatsapp#wamid.ABC"])

        # Then every field is exactly as written, and so is its first history entry
        assert repo.obtener(s.id) == s
        assert repo.historial(s.id) == [make_entrada(s)]

    def test_a_minimal_request_reads_back_with_empty_maps_and_nulls(self, repo):
        # Given a request with only the required fields
        s = Solicitud(
            id="VD-MINIMA01",
            estado="nueva",
            canal="web",
            creada_en="2026-11-30T09:15:00-04:00",
            actualizada_en="2026-11-30T09:15:00-04:00",
            estado_desde="2026-11-30T09:15:00-04:00",
            mes="2026-11",
        )

        # When it is created
        repo.crear(s, make_entrada(s))

        # Then defaults survive the round trip ({} stays {}, None stays None)
        assert repo.obtener(s.id) == s

    def test_an_unknown_id_is_not_found(self, repo):
        # When an absent request is read
        with pytest.raises(SolicitudNoEncontrada) as error:
            repo.obtener("VD-NOEXISTE")

        # Then the Spanish message names it
        assert "VD-NOEXISTE" in error.value.mensaje

    def test_a_known_unique_key_is_a_duplicate_and_writes_nothing(self, repo):
        # Given a request created with a submission key
        primera = make_solicitud()
        repo.crear(primera, make_entrada(primera), ["envio#web#abc"])

        # When another request arrives with a new key and that same key
        segunda = make_solicitud()
        with pytest.raises(EnvioDuplicado) as error:
            repo.crear(segunda, make_entrada(segunda), ["envio#web#nueva", "envio#web#abc"])

        # Then it points at the first request, and nothing of the second was written (not even its new key)
        assert error.value.existente_id == primera.id
        with pytest.raises(SolicitudNoEncontrada):
            repo.obtener(segunda.id)
        assert repo.historial(segunda.id) == []
        tercera = make_solicitud()
        repo.crear(tercera, make_entrada(tercera), ["envio#web#nueva"])

    def test_a_change_writes_the_request_and_its_history_entry(self, repo):
        # Given a stored request
        s = crear(repo)

        # When a change is saved from the version and state that were read
        cambiada, entrada = avanzar(s, "en_registro", "2026-11-30T09:20:00-04:00", "EV-2")
        cambiada = replace(cambiada, datos={**s.datos, "zona": "Sarco"}, ultimo_cambio=None)
        repo.guardar_cambio(cambiada, s.version, s.estado, entrada)

        # Then the request and its history both show it
        assert repo.obtener(s.id) == cambiada
        assert repo.historial(s.id) == [make_entrada(s), entrada]

    def test_a_change_removes_fields_that_became_empty(self, repo):
        # Given a request with optional fields set
        s = replace(make_solicitud(), cobertura={"disponible": True}, ejecutivo="ana.rojas")
        repo.crear(s, make_entrada(s))

        # When a change clears them
        cambiada, entrada = avanzar(s, "en_registro", "2026-11-30T09:20:00-04:00", "EV-2")
        cambiada = replace(cambiada, cobertura=None, ejecutivo=None)
        repo.guardar_cambio(cambiada, s.version, s.estado, entrada)

        # Then they read back empty
        guardada = repo.obtener(s.id)
        assert (guardada.cobertura, guardada.ejecutivo) == (None, None)

    def test_a_change_whose_first_attempt_was_applied_is_not_a_conflict_when_retried(self, repo):
        # Given a change applied, whose answer was lost (a read timeout): the caller does not know
        s = crear(repo)
        cambiada, entrada = avanzar(s, "en_registro", "2026-11-30T09:20:00-04:00", "EV-2")
        repo.guardar_cambio(cambiada, s.version, s.estado, entrada)

        # When the very same change is saved again (its condition now fails: the version moved)
        repo.guardar_cambio(cambiada, s.version, s.estado, entrada)

        # Then it is the change already stored, once: not another person's change
        assert repo.obtener(s.id) == cambiada
        assert repo.historial(s.id) == [make_entrada(s), entrada]

    def test_stale_version_is_a_conflict_and_writes_nothing(self, repo):
        # Given a request already changed by someone else (version 2)
        s = crear(repo)
        primera, entrada_primera = avanzar(s, "en_registro", "2026-11-30T09:20:00-04:00", "EV-A")
        repo.guardar_cambio(primera, s.version, s.estado, entrada_primera)

        # When a change computed from version 1 is saved
        tardia, entrada_tardia = avanzar(
            replace(s, estado="en_registro"), "negociacion", "2026-11-30T09:25:00-04:00", "EV-B"
        )
        with pytest.raises(ConflictoConcurrente) as error:
            repo.guardar_cambio(tardia, s.version, "en_registro", entrada_tardia)

        # Then it is refused in Spanish, and neither the request nor its history changed
        assert "otra persona" in error.value.mensaje
        assert repo.obtener(s.id) == primera
        assert repo.historial(s.id) == [make_entrada(s), entrada_primera]

    def test_wrong_state_is_a_conflict_and_writes_nothing(self, repo):
        # Given a stored request in nueva
        s = crear(repo)

        # When a change expects another state at the same version
        cambiada, entrada = avanzar(s, "negociacion", "2026-11-30T09:20:00-04:00", "EV-2")
        with pytest.raises(ConflictoConcurrente):
            repo.guardar_cambio(cambiada, s.version, "en_registro", entrada)

        # Then nothing changed
        assert repo.obtener(s.id) == s
        assert repo.historial(s.id) == [make_entrada(s)]

    def test_a_change_of_an_absent_request_is_a_conflict(self, repo):
        # Given a request that was never stored
        s = make_solicitud()
        cambiada, entrada = avanzar(s, "en_registro", "2026-11-30T09:20:00-04:00", "EV-2")

        # When a change is saved, Then it is refused and writes nothing
        with pytest.raises(ConflictoConcurrente):
            repo.guardar_cambio(cambiada, s.version, s.estado, entrada)
        with pytest.raises(SolicitudNoEncontrada):
            repo.obtener(s.id)
        assert repo.historial(s.id) == []

    def test_linked_new_requests_are_written_with_the_change(self, repo):
        # Given a cancelled sale
        original = crear(repo, estado="anulada")

        # When it is redigitated: the original changes and a linked new request is born
        nueva = make_solicitud(estado="digitacion", redigitacion_de=original.id)
        entrada_nueva = make_entrada(nueva, resumen=f"Redigitación de {original.id}.")
        cambiada, entrada = avanzar(original, "redigitada", "2026-11-30T12:00:00-04:00", "EV-R")
        cambiada = replace(cambiada, redigitada_como=nueva.id)
        repo.guardar_cambio(cambiada, original.version, original.estado, entrada, [(nueva, entrada_nueva)])

        # Then both requests and both histories are stored
        assert repo.obtener(original.id) == cambiada
        assert repo.obtener(nueva.id) == nueva
        assert repo.historial(nueva.id) == [entrada_nueva]

    def test_a_conflict_discards_the_linked_new_requests_too(self, repo):
        # Given a request whose version moved on
        original = crear(repo, estado="anulada")
        movida, entrada_movida = avanzar(original, "anulada", "2026-11-30T11:00:00-04:00", "EV-M")
        repo.guardar_cambio(movida, original.version, original.estado, entrada_movida)

        # When a redigitation computed from the old version is saved
        nueva = make_solicitud(estado="digitacion", redigitacion_de=original.id)
        cambiada, entrada = avanzar(original, "redigitada", "2026-11-30T12:00:00-04:00", "EV-R")
        with pytest.raises(ConflictoConcurrente):
            repo.guardar_cambio(cambiada, original.version, original.estado, entrada, [(nueva, make_entrada(nueva))])

        # Then the new request does not exist
        with pytest.raises(SolicitudNoEncontrada):
            repo.obtener(nueva.id)
        assert repo.historial(nueva.id) == []

    def test_only_one_of_concurrent_changes_from_the_same_version_wins(self, repo):
        # Given a stored request
        s = crear(repo)
        cambios = [avanzar(s, "en_registro", f"2026-11-30T09:2{i}:00-04:00", f"EV-C{i}") for i in range(6)]
        resultados: list[str] = []

        def guardar(cambio: tuple[Solicitud, EntradaHistorial]) -> None:
            try:
                repo.guardar_cambio(cambio[0], s.version, s.estado, cambio[1])
                resultados.append("ok")
            except ConflictoConcurrente:
                resultados.append("conflicto")

        # When six people save a change from the same version at once
        hilos = [threading.Thread(target=guardar, args=(c,)) for c in cambios]
        for hilo in hilos:
            hilo.start()
        for hilo in hilos:
            hilo.join()

        # Then exactly one wins and only its entry is in the history
        assert sorted(resultados) == ["conflicto"] * 5 + ["ok"]
        assert len(repo.historial(s.id)) == 2
        assert repo.obtener(s.id).version == s.version + 1

    def test_history_reads_oldest_first(self, repo):
        # Given entries recorded out of order
        s = crear(repo)
        tarde = make_entrada(s, id="EV-3", en="2026-11-30T15:00:00-04:00", tipo="correo", resumen="Correo enviado.")
        medio = make_entrada(s, id="EV-2", en="2026-11-30T10:00:00-04:00", tipo="correo", resumen="Aviso.")
        assert repo.agregar_historial(tarde)
        assert repo.agregar_historial(medio)

        # When the history is read, Then it is in time order
        assert [e.id for e in repo.historial(s.id)] == [make_entrada(s).id, "EV-2", "EV-3"]

    def test_the_same_history_entry_is_recorded_once(self, repo):
        # Given a fact already recorded
        s = crear(repo)
        hecho = make_entrada(s, id="EV-CORREO-1", en="2026-11-30T09:16:00-04:00", tipo="correo", resumen="Acuse.")
        assert repo.agregar_historial(hecho) is True

        # When the same fact is recorded again (a duplicate delivery)
        repetido = repo.agregar_historial(replace(hecho, resumen="Acuse (reintento)."))

        # Then it is refused and the first one stays
        assert repetido is False
        assert repo.historial(s.id) == [make_entrada(s), hecho]

    def test_listing_by_state_is_longest_waiting_first_across_pages(self, repo):
        # Given requests in nueva since different hours, from two channels, and one in another state
        llegadas = {"12": "web", "09": "facebook", "15": "web", "10": "web", "11": "facebook", "14": "web", "13": "web"}
        ids = {h: crear(repo, canal=c, creada_en=f"2026-11-30T{h}:00:00-04:00").id for h, c in llegadas.items()}
        crear(repo, estado="en_registro", creada_en="2026-11-30T08:00:00-04:00")

        # When the web requests in nueva are listed two at a time
        paginas = recorrer(repo, estado="nueva", canal="web", limite=2)

        # Then pages follow the waiting time (oldest first), hold at most two, and the last has no cursor
        assert paginas == [[ids["10"], ids["12"]], [ids["13"], ids["14"]], [ids["15"]]]

    def test_listing_by_month_is_newest_first_with_a_channel_filter(self, repo):
        # Given requests created on different days of November and one in October
        dias = ["03", "17", "09", "28", "21"]
        ids = {
            d: crear(repo, canal="facebook" if d == "09" else "web", creada_en=f"2026-11-{d}T08:00:00-04:00").id
            for d in dias
        }
        crear(repo, creada_en="2026-10-31T23:59:00-04:00")

        # When November's web requests are listed
        todas = recorrer(repo, mes="2026-11", canal="web", limite=3)

        # Then they are newest first, without the other channel or month
        assert todas == [[ids["28"], ids["21"], ids["17"]], [ids["03"]]]
        assert repo.listar(mes="2026-11", limite=10).siguiente is None

    def test_a_page_that_is_exactly_full_has_no_cursor_when_nothing_follows(self, repo):
        # Given exactly two requests in a month
        crear(repo, creada_en="2026-11-01T08:00:00-04:00")
        crear(repo, creada_en="2026-11-02T08:00:00-04:00")

        # When listing two at a time, Then one page and no cursor
        assert repo.listar(mes="2026-11", limite=2).siguiente is None

    def test_a_cursor_from_another_listing_is_invalid_data(self, repo):
        # Given a cursor of the nueva listing
        for dia in ("01", "02", "03"):
            crear(repo, creada_en=f"2026-11-{dia}T08:00:00-04:00")
        cursor = repo.listar(estado="nueva", limite=1).siguiente
        assert cursor is not None

        # When it is used for another state, a month, or tampered with, Then it is refused as bad input
        for filtros in ({"estado": "cerrada"}, {"mes": "2026-11"}):
            with pytest.raises(DatosInvalidos):
                repo.listar(cursor=cursor, **filtros)
        with pytest.raises(DatosInvalidos):
            repo.listar(estado="nueva", cursor="no-es-un-cursor!")

    def test_listing_needs_a_state_or_a_month(self, repo):
        with pytest.raises(ValueError):
            repo.listar(canal="web")

    def test_requests_waiting_since_before_a_moment_are_found_oldest_first(self, repo):
        # Given requests in nueva since 08:00, 09:00 and 10:00, and one in another state since 07:00
        ids = [crear(repo, creada_en=f"2026-11-30T{h}:00:00-04:00").id for h in ("09", "08", "10")]
        crear(repo, estado="en_registro", creada_en="2026-11-30T07:00:00-04:00")

        # When asking for those in nueva since before 09:30
        encontradas = repo.en_estado_desde_antes("nueva", "2026-11-30T09:30:00-04:00")

        # Then only the two older ones, oldest first
        assert [s.id for s in encontradas] == [ids[1], ids[0]]

    def test_escalation_is_marked_once_without_changing_the_version(self, repo):
        # Given a stored request
        s = crear(repo)

        # When it is marked twice
        primera = repo.marcar_escalada(s.id, "2026-11-30T10:15:00-04:00")
        segunda = repo.marcar_escalada(s.id, "2026-11-30T10:20:00-04:00")

        # Then only the first mark counts and the version is the same
        guardada = repo.obtener(s.id)
        assert (primera, segunda) == (True, False)
        assert guardada.escalada_en == "2026-11-30T10:15:00-04:00"
        assert guardada.version == s.version
        assert guardada == replace(s, escalada_en="2026-11-30T10:15:00-04:00")

    def test_a_change_read_before_the_escalation_succeeds_and_keeps_the_mark(self, repo):
        # Given a request read by a person, then escalated by the system
        s = crear(repo)
        repo.marcar_escalada(s.id, "2026-11-30T10:15:00-04:00")

        # When the person's change (computed without the mark) is saved
        cambiada, entrada = avanzar(s, "en_registro", "2026-11-30T10:16:00-04:00", "EV-2")
        repo.guardar_cambio(cambiada, s.version, s.estado, entrada)

        # Then it is no conflict and the mark stays
        assert repo.obtener(s.id) == replace(cambiada, escalada_en="2026-11-30T10:15:00-04:00")

    def test_marking_an_unknown_request_is_not_found(self, repo):
        with pytest.raises(SolicitudNoEncontrada):
            repo.marcar_escalada("VD-NOEXISTE", "2026-11-30T10:15:00-04:00")


def test_a_stream_image_rebuilds_the_stored_request(settings):
    # Given a fully populated request created and then changed in DynamoDB
    from chalicelib.adapters.dynamo_solicitudes import PynamoSolicitudRepository, solicitud_desde_imagen

    repo = PynamoSolicitudRepository(settings)
    s = solicitud_completa()
    repo.crear(s, make_entrada(s))
    cambiada, entrada = avanzar(s, "validacion_deposito", "2026-11-30T12:00:00-04:00", "EV-S")
    repo.guardar_cambio(cambiada, s.version, s.estado, entrada)

    # When the table's stream is read from the start
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    streams = boto3.client("dynamodbstreams", region_name=settings.region)
    arn = dynamodb.describe_table(TableName=settings.tabla_solicitudes)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterador = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    registros = streams.get_records(ShardIterator=iterador["ShardIterator"])["Records"]

    # Then the images are the requests as written
    assert [r["eventName"] for r in registros] == ["INSERT", "MODIFY"]
    assert solicitud_desde_imagen(registros[0]["dynamodb"]["NewImage"]) == s
    assert solicitud_desde_imagen(registros[1]["dynamodb"]["OldImage"]) == s
    assert solicitud_desde_imagen(registros[1]["dynamodb"]["NewImage"]) == cambiada


def test_only_invoiced_requests_enter_the_invoice_month_index(settings):
    # Given one invoiced request and one without an invoice
    from chalicelib.adapters.dynamo_solicitudes import PynamoSolicitudRepository
    from chalicelib.adapters.dynamo_tables import SolicitudItem

    repo = PynamoSolicitudRepository(settings)
    facturada = solicitud_completa()
    repo.crear(facturada, make_entrada(facturada))
    crear(repo)

    # When the sparse index is queried for the invoice month
    items = list(SolicitudItem.por_mes_factura.query("2026-11"))

    # Then it holds only the invoiced request, keyed by its issue time
    assert [(i.id, i.factura_emitida_en) for i in items] == [(facturada.id, "2026-11-30T11:00:00-04:00")]


class TestContactosDeSolicitud:
    """Contact-key lookups and touchpoints (issue 3: one prospect database across channels)."""

    def _mensaje(self, s: Solicitud, referencia: str) -> EntradaHistorial:
        return EntradaHistorial(
            solicitud_id=s.id,
            id=f"contacto#whatsapp#{referencia}",
            en="2026-11-30T10:00:00-04:00",
            tipo="mensaje",
            resumen="Mensaje recibido por WhatsApp.",
            canal="whatsapp",
            campos={"texto": "¿Y mi instalación?"},
        )

    def test_requests_are_found_by_any_contact_key_newest_first(self, repo):
        # Given three requests sharing some contact keys
        vieja = crear(repo, creada_en="2026-11-01T09:00:00-04:00", datos={"telefono": "+59170000001"})
        media = crear(
            repo,
            creada_en="2026-11-15T09:00:00-04:00",
            datos={"email": "ana@example.com", "ci_huella": "h-123", "telefono": "+59170000001"},
        )
        crear(repo, creada_en="2026-11-20T09:00:00-04:00", datos={"id_canal": "messenger:99"})
        # When they are looked up by each key
        # Then each key finds exactly its requests, newest first, read back whole
        assert [s.id for s in repo.buscar_por_contacto(telefono="+59170000001")] == [media.id, vieja.id]
        assert repo.buscar_por_contacto(email="ana@example.com") == [media]
        assert [s.id for s in repo.buscar_por_contacto(ci_huella="h-123")] == [media.id]
        assert len(repo.buscar_por_contacto(id_canal="messenger:99")) == 1
        assert repo.buscar_por_contacto(telefono="+59170009999") == [] and repo.buscar_por_contacto() == []

    def test_a_key_added_by_a_change_is_found(self, repo):
        s = crear(repo, datos={"nombre": "Ana"})
        cambiada, entrada = avanzar(s, "en_registro", "2026-11-30T09:30:00-04:00", "EV-C1")
        repo.guardar_cambio(replace(cambiada, datos={**s.datos, "ci_huella": "h-9"}), 1, "nueva", entrada)
        assert [x.id for x in repo.buscar_por_contacto(ci_huella="h-9")] == [s.id]

    def test_a_touchpoint_is_appended_once_with_its_entry_without_a_version_change(self, repo):
        s = crear(repo, contactos=[{"canal": "web", "tipo": "formulario", "en": "t0"}])
        contacto = {"canal": "whatsapp", "tipo": "mensaje", "referencia": "wamid.1", "en": "t1"}
        repo.agregar_contacto(s.id, contacto, self._mensaje(s, "wamid.1"), "envio#whatsapp#wamid.1")
        leida = repo.obtener(s.id)
        assert leida.contactos == [s.contactos[0], contacto] and leida.version == s.version
        assert [e.tipo for e in repo.historial(s.id)][-1] == "mensaje"
        with pytest.raises(EnvioDuplicado) as error:
            repo.agregar_contacto(s.id, contacto, self._mensaje(s, "wamid.1"), "envio#whatsapp#wamid.1")
        assert error.value.existente_id == s.id
        assert len(repo.obtener(s.id).contactos) == 2 and len(repo.historial(s.id)) == 2

    def test_a_touchpoint_key_used_by_a_capture_is_a_duplicate(self, repo):
        s = make_solicitud()
        repo.crear(s, make_entrada(s), ["envio#web#uuid-1"])
        with pytest.raises(EnvioDuplicado):
            repo.agregar_contacto(s.id, {"canal": "web"}, self._mensaje(s, "uuid-1"), "envio#web#uuid-1")
        assert repo.obtener(s.id).contactos == []

    def test_a_touchpoint_of_an_absent_request_is_not_found_and_writes_nothing(self, repo):
        fantasma = make_solicitud()
        with pytest.raises(SolicitudNoEncontrada):
            repo.agregar_contacto(fantasma.id, {"canal": "web"}, self._mensaje(fantasma, "x"), "envio#web#x")
        assert repo.historial(fantasma.id) == []
        # the key was not taken either
        s = crear(repo)
        repo.agregar_contacto(s.id, {"canal": "web"}, self._mensaje(s, "x"), "envio#web#x")

    def test_a_change_from_a_read_before_the_touchpoint_keeps_it(self, repo):
        # Given an executive who read the request, then a WhatsApp message joined it
        s = crear(repo)
        repo.agregar_contacto(s.id, {"canal": "whatsapp"}, self._mensaje(s, "w"), "envio#whatsapp#w")
        # When the executive's change (from the earlier read) is saved
        cambiada, entrada = avanzar(s, "en_registro", "2026-11-30T09:30:00-04:00", "EV-C2")
        repo.guardar_cambio(cambiada, 1, "nueva", entrada)
        # Then the touchpoint is still there
        assert repo.obtener(s.id).contactos == [{"canal": "whatsapp"}] and repo.obtener(s.id).estado == "en_registro"


class TestReclamosDeContacto:
    """Issue 14 item 8: a new request claims its contact keys for a short while, atomically with its creation, so
    two first contacts of one person at the same instant cannot both open a request (the indexes lag behind)."""

    def test_a_held_contact_claim_names_its_holder_writes_nothing_and_lapses(self, repo_con_reloj):
        repo, reloj = repo_con_reloj
        # Given a request that claimed its phone and email
        primera = make_solicitud()
        repo.crear(primera, make_entrada(primera), ["envio#whatsapp#wamid.1"], claves_de_reclamo(primera))
        assert claves_de_reclamo(primera) == [
            "contacto#telefono#+59171234567",
            "contacto#email#maria.quispe@example.com",
        ]

        # When a second request of the same phone (another email) is created moments later
        reloj.ahora += SEGUNDOS_RECLAMO_CONTACTO - 1
        segunda = make_solicitud(datos={"telefono": "+59171234567", "email": "otra@example.com"})
        with pytest.raises(ContactoReclamado) as error:
            repo.crear(segunda, make_entrada(segunda), ["envio#whatsapp#wamid.2"], claves_de_reclamo(segunda))

        # Then the error names the first request, and nothing of the second was written (nor its keys)
        assert error.value.solicitud_id == primera.id and primera.id in error.value.mensaje
        with pytest.raises(SolicitudNoEncontrada):
            repo.obtener(segunda.id)
        assert repo.historial(segunda.id) == []
        otra_persona = make_solicitud(datos={"telefono": "+59170000002", "email": "otra@example.com"})
        repo.crear(
            otra_persona, make_entrada(otra_persona), ["envio#whatsapp#wamid.2"], claves_de_reclamo(otra_persona)
        )

        # And once the claim has lapsed, the same phone may open a request again (a closed one blocks no one)
        reloj.ahora += 2
        tercera = make_solicitud(datos={"telefono": "+59171234567"})
        repo.crear(tercera, make_entrada(tercera), ["envio#whatsapp#wamid.3"], claves_de_reclamo(tercera))
        assert repo.obtener(tercera.id) == tercera
        cuarta = make_solicitud(datos={"telefono": "+59171234567"})
        with pytest.raises(ContactoReclamado) as error:
            repo.crear(cuarta, make_entrada(cuarta), [], claves_de_reclamo(cuarta))
        assert error.value.solicitud_id == tercera.id

    def test_a_known_submission_key_is_a_duplicate_even_when_a_claim_is_held(self, repo_con_reloj):
        repo, _ = repo_con_reloj
        primera = make_solicitud()
        repo.crear(primera, make_entrada(primera), ["envio#web#uuid-1"], claves_de_reclamo(primera))
        segunda = make_solicitud()
        with pytest.raises(EnvioDuplicado) as error:
            repo.crear(segunda, make_entrada(segunda), ["envio#web#uuid-1"], claves_de_reclamo(segunda))
        assert error.value.existente_id == primera.id

    def test_a_request_without_claims_is_not_stopped_by_a_held_claim(self, repo_con_reloj):
        repo, _ = repo_con_reloj
        primera = make_solicitud()
        repo.crear(primera, make_entrada(primera), [], claves_de_reclamo(primera))
        segunda = make_solicitud()
        repo.crear(segunda, make_entrada(segunda))
        assert {s.id for s in repo.buscar_por_contacto(telefono="+59171234567")} == {primera.id, segunda.id}
