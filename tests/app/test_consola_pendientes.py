"""The console's sends waiting for their provider: the /consola/pendientes list (RC and JD), its link in the top
bar, and the notice on the request page of a request whose emails or messages wait."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.domain.actions import ACCIONES
from chalicelib.domain.commands import CapturarSolicitud
from chalicelib.domain.events import AccionAplicada
from chalicelib.domain.pendientes import Causa
from chalicelib.domain.states import Accion
from tests.app.test_consola import Visitante, html

OFERTA = ACCIONES[Accion.ENVIAR_OFERTA].etiqueta
SES = Causa("Correo (SES)", "SES no respondió (ConnectTimeout: tiempo agotado)")


def _evento(solicitud_id: str, cambio_id: str, accion: str, en) -> AccionAplicada:
    return AccionAplicada(
        solicitud_id=solicitud_id,
        cambio_id=cambio_id,
        accion=accion,
        de="",
        a="nueva",
        rol="SISTEMA",
        actor="formulario",
        en=en.isoformat(),
    )


def _encolar(servicios, solicitud_id: str, *, hace=timedelta(minutes=10), causa=SES, acciones=("capturar",)):
    """Queue ``acciones`` of the request as if their provider was down ``hace`` ago (one minute apart)."""
    ahora = servicios.clock.ahora()
    for n, accion in enumerate(acciones):
        en = ahora - hace + timedelta(minutes=n)
        servicios.pendientes.encolar(_evento(solicitud_id, f"c-{solicitud_id}-{n}", accion, en), causa, en, ahora)


def _capturar(servicios, nombre: str, telefono: str, email: str):
    return servicios.capturar(
        CapturarSolicitud(
            canal="web",
            datos={"nombre": nombre, "telefono": telefono, "email": email},
            mensaje="Quiero internet para mi casa.",
        )
    )


@pytest.fixture
def visitante(cliente):
    return Visitante(cliente)


@pytest.fixture
def prospecto(servicios):
    return _capturar(servicios, "Ana Rojas Díaz", "+59170712345", "ana@correo.test")


@pytest.fixture
def otra(servicios):
    return _capturar(servicios, "Luis Vargas Soria", "+59171234567", "luis@correo.test")


def _filas(pagina: str) -> list[str]:
    cuerpo = pagina.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", cuerpo, re.S)


# --- the list ---


@pytest.mark.parametrize("rol", ["RC", "JD"])
def test_rc_and_jd_see_every_queue_with_its_provider_reason_attempts_and_actions(
    servicios, visitante, prospecto, otra, rol
):
    # Given two requests whose sends wait: the second since earlier, with two actions, after a failed attempt
    _encolar(servicios, prospecto.id, hace=timedelta(minutes=10))
    _encolar(servicios, otra.id, hace=timedelta(minutes=30), acciones=("capturar", "enviar_oferta"))
    cola = servicios.pendientes.de_solicitud(otra.id)
    ahora = servicios.clock.ahora()
    whatsapp = Causa("WhatsApp", "La API de WhatsApp no respondió")
    servicios.pendientes.fallo(cola, whatsapp, ahora - timedelta(minutes=5), ahora + timedelta(minutes=1))
    # When RC or JD opens the page
    visitante.ingresar(rol)
    respuesta = visitante.get("/consola/pendientes")
    # Then both queues are listed, the one waiting longest first, with what each waits for in order
    assert respuesta.status_code == 200
    pagina = html(respuesta)
    assert "<h1>Envíos pendientes</h1>" in pagina
    primera, segunda = _filas(pagina)
    assert f'href="/consola/solicitudes/{otra.id}">{otra.id}</a>' in primera
    assert "WhatsApp" in primera and "La API de WhatsApp no respondió" in primera
    assert 'data-etiqueta="Intentos">1</td>' in primera
    assert 'data-etiqueta="Último intento">30/11/2026 08:55</td>' in primera
    assert 'data-etiqueta="Próximo intento">30/11/2026 09:01</td>' in primera
    assert 'data-etiqueta="Esperando desde">30/11/2026 08:30</td>' in primera
    assert re.findall(r"<li>(.*?) <span", primera) == ["Registro de la solicitud", OFERTA]
    assert f'href="/consola/solicitudes/{prospecto.id}">{prospecto.id}</a>' in segunda
    assert "Correo (SES)" in segunda and "SES no respondió" in segunda
    assert 'data-etiqueta="Intentos">0</td>' in segunda
    assert 'data-etiqueta="Último intento">—</td>' in segunda
    assert "Más de 4 horas" not in pagina and 'role="alert"' not in pagina


def test_the_action_labels_are_spanish_and_in_the_order_they_were_applied(servicios, visitante, prospecto):
    # Given a queue holding the capture, an offer and a re-keying, in that order
    _encolar(servicios, prospecto.id, acciones=("capturar", "enviar_oferta", "crear_redigitacion"))
    # When RC opens the page
    visitante.ingresar("RC")
    (fila,) = _filas(html(visitante.get("/consola/pendientes")))
    # Then each action reads in Spanish, in order, with its time
    assert re.findall(r"<li>(.*?) <span", fila) == ["Registro de la solicitud", OFERTA, "Redigitación"]
    assert '<span class="sutil">(30/11/2026 08:50)</span>' in fila


@pytest.mark.parametrize("rol", ["EJ", "HD", "CO"])
def test_other_roles_get_a_spanish_403_page(servicios, visitante, prospecto, rol):
    # Given a queue
    _encolar(servicios, prospecto.id)
    # When another role opens the page
    visitante.ingresar(rol)
    respuesta = visitante.get("/consola/pendientes")
    # Then it is refused in Spanish and nothing of the queue is shown
    assert respuesta.status_code == 403
    pagina = html(respuesta)
    assert "Solo el Responsable de Canales y el Jefe de División" in pagina
    assert prospecto.id not in pagina


def test_without_a_session_the_page_sends_to_sign_in_and_back(visitante):
    respuesta = visitante.get("/consola/pendientes")
    assert respuesta.status_code == 303
    destino = urlparse(respuesta.headers["Location"])
    assert destino.path == "/consola/ingresar"
    assert parse_qs(destino.query)["siguiente"] == ["/consola/pendientes"]


def test_with_nothing_waiting_the_page_says_so_and_explains_itself(visitante):
    visitante.ingresar("JD")
    pagina = html(visitante.get("/consola/pendientes"))
    assert "No hay envíos esperando a su proveedor." in pagina
    assert "SES, WhatsApp, Messenger o Botmaker" in pagina and "no se descarta ninguno" in pagina
    assert "<table" not in pagina and 'role="alert"' not in pagina


def test_a_queue_waiting_more_than_four_hours_is_marked_and_counted_at_the_top(servicios, visitante, prospecto, otra):
    # Given one queue waiting 5 hours and one waiting 10 minutes
    _encolar(servicios, prospecto.id, hace=timedelta(hours=5))
    _encolar(servicios, otra.id, hace=timedelta(minutes=10))
    # When RC opens the page
    visitante.ingresar("RC")
    pagina = html(visitante.get("/consola/pendientes"))
    # Then the stuck one has its badge and the alert counts one
    estancada, reciente = _filas(pagina)
    assert prospecto.id in estancada and '<span class="insignia alerta-suave">Más de 4 horas</span>' in estancada
    assert "Más de 4 horas" not in reciente
    alerta = re.search(r'<div class="alerta" role="alert">(.*?)</div>', pagina, re.S)
    assert alerta and "1 envío esperando más de 4 horas" in alerta.group(1)


def test_the_count_of_stuck_queues_grows_as_time_passes(servicios, visitante, prospecto, otra):
    # Given two queues, 3 and 2 hours old
    _encolar(servicios, prospecto.id, hace=timedelta(hours=3))
    _encolar(servicios, otra.id, hace=timedelta(hours=2))
    visitante.ingresar("RC")
    assert "Más de 4 horas" not in html(visitante.get("/consola/pendientes"))
    # When three more hours pass
    servicios.clock.avanzar(hours=3)
    pagina = html(visitante.get("/consola/pendientes"))
    # Then both are stuck
    assert pagina.count('<span class="insignia alerta-suave">Más de 4 horas</span>') == 2
    assert "2 envíos esperando más de 4 horas" in pagina


# --- the top bar ---


@pytest.mark.parametrize("rol", ["RC", "JD"])
def test_rc_and_jd_have_the_link_in_the_top_bar(visitante, rol):
    visitante.ingresar(rol)
    pagina = html(visitante.get("/consola"))
    assert '<a href="/consola/pendientes">Envíos pendientes</a>' in pagina
    propia = html(visitante.get("/consola/pendientes"))
    assert '<a href="/consola/pendientes" aria-current="page">Envíos pendientes</a>' in propia


@pytest.mark.parametrize("rol", ["EJ", "HD"])
def test_other_roles_do_not_see_the_link(visitante, rol):
    visitante.ingresar(rol)
    assert "/consola/pendientes" not in html(visitante.get("/consola"))


# --- the request page ---


@pytest.mark.parametrize("rol", ["EJ", "RC"])
def test_the_request_page_tells_its_sends_wait_for_the_provider(servicios, visitante, prospecto, rol):
    # Given the request's capture and offer wait for SES
    _encolar(servicios, prospecto.id, hace=timedelta(minutes=40), acciones=("capturar", "enviar_oferta"))
    # When anyone who may see the request opens its page
    visitante.ingresar(rol)
    respuesta = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    # Then a notice tells what waits, for whom, since when, why, and that it will leave on its own
    assert respuesta.status_code == 200
    aviso = re.search(r'<div class="alerta" role="status">(.*?)</div>', html(respuesta), re.S)
    assert aviso, "no notice of the waiting sends"
    texto = aviso.group(1)
    assert "<h2>Envíos en espera</h2>" in texto
    assert "2 acciones" in texto and "Correo (SES)" in texto and "desde 30/11/2026 08:20" in texto
    assert "SES no respondió" in texto
    assert "Próximo intento: 30/11/2026 09:00" in texto and "Saldrán solos" in texto


def test_a_request_without_waiting_sends_has_no_notice(servicios, visitante, prospecto, otra):
    _encolar(servicios, otra.id)
    visitante.ingresar("EJ")
    pagina = html(visitante.get(f"/consola/solicitudes/{prospecto.id}"))
    assert "Envíos en espera" not in pagina


def test_a_failed_read_of_the_queue_never_breaks_the_request_page(servicios, visitante, prospecto, monkeypatch):
    def falla(_solicitud_id):
        raise RuntimeError("DynamoDB no responde")

    monkeypatch.setattr(servicios.pendientes, "de_solicitud", falla)
    visitante.ingresar("EJ")
    respuesta = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    assert respuesta.status_code == 200
    assert "Envíos en espera" not in html(respuesta)


def test_a_scheduled_email_that_could_not_leave_is_listed_with_when_it_is_tried_again(servicios, visitante):
    from chalicelib.domain.pendientes import Causa

    # Given the monthly report refused by SES twice
    causa = Causa("Correo (SES)", "No se pudo enviar el correo. Respuesta del proveedor: Throttling.")
    for _ in range(2):
        servicios.pendientes.anotar_programado(
            "informe#2026-11",
            "Informe General de noviembre de 2026 al Jefe de División",
            causa,
            servicios.clock.ahora(),
            "Su programa lo intenta cada hora, de 08:00 a 19:00, los días 1 a 3 del mes.",
        )
    # When the division head opens the page
    visitante.ingresar("JD")
    pagina = html(visitante.get("/consola/pendientes"))
    # Then the report is listed apart from the requests, with its provider, reason, attempts and next try
    seccion = pagina[pagina.index("Correos programados en espera") :]
    assert "Informe General de noviembre de 2026 al Jefe de División" in seccion
    assert "Correo (SES)" in seccion and "Throttling" in seccion
    assert '<td data-etiqueta="Intentos">2</td>' in seccion
    assert "cada hora, de 08:00 a 19:00" in seccion


# --- a staff action that waits for Smartflex ---


def test_registering_the_sale_in_the_console_while_smartflex_is_down_says_it_waits(servicios, visitante, prospecto):
    from chalicelib.domain.commands import AplicarAccion
    from chalicelib.domain.model import Rol
    from tests.app.test_consola import csrf_de

    pasos = [
        ("clasificar_residencial", Rol.EJ, {}),
        (
            "registrar_datos",
            Rol.EJ,
            {"ci": "4567890", "direccion": "Calle España 250", "latitud": -17.39, "longitud": -66.157},
        ),
        ("consultar_cobertura", Rol.EJ, {}),
        ("solicitar_confirmacion_hd", Rol.EJ, {"velocidad_solicitada_mbps": 50}),
        ("confirmar_capacidad", Rol.HD, {"velocidad_maxima_mbps": 100}),
        ("enviar_oferta", Rol.EJ, {"plan": "hogar-fibra-50"}),
        ("aceptar_oferta", Rol.EJ, {}),
        *[("registrar_requisito", Rol.EJ, {"requisito": r}) for r in ("ci", "ubicacion", "carta_solicitud")],
        ("completar_requisitos", Rol.EJ, {}),
    ]
    for accion, rol, campos in pasos:
        servicios.aplicar(AplicarAccion(solicitud_id=prospecto.id, accion=accion, campos=campos, actor="p", rol=rol))
    servicios.smartflex.caido = True
    # When the executive presses "Registrar la venta en Smartflex"
    visitante.ingresar("EJ")
    pagina = visitante.get(f"/consola/solicitudes/{prospecto.id}")
    respuesta = visitante.post(f"/consola/solicitudes/{prospecto.id}/acciones/digitar_venta", {"csrf": csrf_de(pagina)})
    # Then they are back on the request page, told that it waits and will apply by itself
    assert respuesta.status_code == 303
    assert respuesta.headers["Location"] == f"/consola/solicitudes/{prospecto.id}"
    siguiente = html(visitante.get(respuesta.headers["Location"]))
    assert "Smartflex no responde" in siguiente and "se aplicará sola" in siguiente
    assert "Acción en espera de Smartflex" in siguiente
    assert servicios.obtener(prospecto.id)[0].estado == "digitacion"
