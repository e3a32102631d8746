"""The projection's early warning (issue 20, part 4) through its schedule and the developer's trigger: one email
to RC and JD below 98 % with the three largest open sales, nothing above (but the run recorded), once per
checkpoint, and only on the checkpoints' business days."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.app.test_reportes import _evento_programado
from tests.datos_reportes import TODAS, etapas, factura, guardar, noviembre

LA_PAZ = ZoneInfo("America/La_Paz")
RC_Y_JD = ("responsable.canales@ventas.comteco.local", "jefe.ventas@ventas.comteco.local")


def _contar(servicios, solicitudes):
    for s in solicitudes:
        servicios.contar_en_tablero(s)


@pytest.fixture
def diciembre(servicios):
    """November as hand-computed (Bs 998 billed), and December so far: one invoice of Bs 100 and open sales."""
    _contar(servicios, noviembre(servicios.repo).values())
    repo = servicios.repo
    _contar(
        servicios,
        [
            guardar(
                repo,
                id="VD-D1",
                creada_en="2026-12-01T09:00:00-04:00",
                canal="web",
                estado="cerrada",
                etapas=etapas(*TODAS),
                modalidad_pago="prepago",
                factura=factura("F-D1", 100, "2026-12-03T10:00:00-04:00"),
                primera_respuesta_en="2026-12-01T09:20:00-04:00",
            ),
            guardar(
                repo,
                id="VD-OFERTA",
                creada_en="2026-12-02T09:00:00-04:00",
                canal="whatsapp",
                estado="oferta_enviada",
                etapas=etapas("visitado", "informado"),
                oferta={"plan": "Hogar Fibra 100", "tarifa_mensual_bs": 249, "primer_pago_bs": 249},
            ),
            guardar(
                repo,
                id="VD-PAGO",
                creada_en="2026-12-02T10:00:00-04:00",
                canal="facebook",
                estado="pago_pendiente",
                etapas=etapas(*TODAS),
                modalidad_pago="prepago",
                ejecutivo="luis",
                oferta={"plan": "Hogar Fibra 300", "tarifa_mensual_bs": 449, "primer_pago_bs": 449},
            ),
            guardar(
                repo,
                id="VD-SMARTFLEX",
                creada_en="2026-12-03T10:00:00-04:00",
                canal="web",
                estado="digitacion",
                etapas=etapas("visitado", "informado", "pre_venta"),
                oferta={"plan": "Hogar Fibra 200", "tarifa_mensual_bs": 349, "primer_pago_bs": 349},
            ),
            guardar(
                repo,
                id="VD-CHICA",
                creada_en="2026-12-03T11:00:00-04:00",
                canal="messenger",
                estado="requisitos",
                etapas=etapas("visitado", "informado", "pre_venta"),
                oferta={"plan": "Hogar Cable 30", "tarifa_mensual_bs": 169, "primer_pago_bs": 169},
            ),
            guardar(  # its invoice is printed: billed already, never a lever
                repo,
                id="VD-IMPRESA",
                creada_en="2026-12-01T11:00:00-04:00",
                canal="web",
                estado="factura_impresa",
                etapas=etapas(*TODAS),
                oferta={"plan": "Hogar Fibra 300", "tarifa_mensual_bs": 900, "primer_pago_bs": 900},
                factura=factura("F-IMP", 900, "2026-12-04T10:00:00-04:00"),
            ),
        ],
    )
    return servicios


def _a_las_9(servicios, dia: int) -> None:
    servicios.clock.momento = datetime(2026, 12, dia, 9, 0, tzinfo=LA_PAZ)


def _mes_atrasado(servicios) -> None:
    """November billed Bs 20.000 in 20 sales (target Bs 19.600); December only Bs 100 so far."""
    servicios.agregados.reemplazar(
        {
            "tablero#2026-11#facturacion": {"ventas": 20, "centavos": 2_000_000, "ciclo_horas": 20 * 96},
            "tablero#2026-12#facturacion": {"ventas": 1, "centavos": 10_000},
        }
    )


def test_below_98_percent_on_the_10th_rc_and_jd_get_one_warning_with_the_three_largest_open_sales(cliente, diciembre):
    # Given Thursday 10 December 2026, 09:00 La Paz, with Bs 100 billed against a target of Bs 19.600
    servicios = diciembre
    _a_las_9(servicios, 10)
    _mes_atrasado(servicios)
    # When the schedule fires, and EventBridge delivers it again
    evento = _evento_programado(cliente)
    primera = cliente.lambda_.invoke("warn_projection", evento).payload
    segunda = cliente.lambda_.invoke("warn_projection", evento).payload
    # Then one email left, to the team lead and the division head
    assert (primera["control"], primera["veredicto"], primera["enviado"]) == ("10", "OBSERVADO", True)
    assert (segunda["enviado"], segunda["motivo"]) == (False, "ya_ejecutado")
    [correo] = servicios.mailer.transporte.enviados
    assert correo.para == RC_Y_JD
    assert correo.asunto.startswith("Aviso: diciembre de 2026 se proyecta en ") and correo.asunto.endswith(
        "(OBSERVADO)"
    )
    # With the projected KPI, the target, what is missing, and the three largest open sales in order, linked
    assert "Meta (98 % de noviembre de 2026): Bs 19.600,00" in correo.texto
    assert "Facturado hasta hoy: Bs 100,00" in correo.texto
    assert primera["palancas"] == ["VD-PAGO", "VD-SMARTFLEX", "VD-OFERTA"]
    posiciones = [correo.texto.index(f"{n}. {i} ·") for n, i in enumerate(primera["palancas"], start=1)]
    assert posiciones == sorted(posiciones)
    assert "VD-PAGO · María Quispe Mamani · Bs 449,00 · Pagos pendientes del cliente" in correo.texto
    assert "http://127.0.0.1:8000/consola/solicitudes/VD-PAGO" in correo.texto and "VD-IMPRESA" not in correo.texto
    assert 'href="http://127.0.0.1:8000/consola/solicitudes/VD-SMARTFLEX"' in correo.html
    assert "http://127.0.0.1:8000/consola/tablero?mes=2026-12" in correo.texto


def test_on_track_no_email_leaves_but_the_run_is_recorded(cliente, diciembre):
    # Given the 10th with Bs 1.000 billed (the printed invoice counts) against a target of Bs 978,04
    servicios = diciembre
    _a_las_9(servicios, 10)
    # When the schedule fires twice
    evento = _evento_programado(cliente)
    primera = cliente.lambda_.invoke("warn_projection", evento).payload
    segunda = cliente.lambda_.invoke("warn_projection", evento).payload
    # Then nothing was sent, and the checkpoint's run is recorded with its projection
    assert (primera["enviado"], primera["motivo"], primera["veredicto"]) == (False, "en_camino", "APROBADO")
    assert servicios.mailer.transporte.enviados == []
    registro = json.loads(servicios.idempotencia.resultado("aviso_proyeccion#2026-12#10"))
    assert registro == {
        "porcentaje": primera["porcentaje"],
        "veredicto": "APROBADO",
        "proyectado_bs": primera["proyectado_bs"],
        "faltante_bs": "0.00",
        "enviado": False,
    }
    assert (segunda["motivo"], json.loads(segunda["registro"])) == ("ya_ejecutado", registro)


@pytest.mark.parametrize(("dia", "control"), [(9, None), (11, None), (20, None), (21, "20")])
def test_only_the_checkpoints_business_day_runs(cliente, diciembre, dia, control):
    # Given December 2026, whose 20th is a Sunday: its checkpoint is Monday the 21st
    servicios = diciembre
    _a_las_9(servicios, dia)
    resultado = cliente.lambda_.invoke("warn_projection", _evento_programado(cliente)).payload
    assert resultado.get("control") == control
    if control is None:
        assert resultado["motivo"] == "no_es_dia_de_control"
        assert servicios.idempotencia.resultado("aviso_proyeccion#2026-12#20") is None


def test_the_checkpoint_days_are_a_setting(monkeypatch):
    from chalicelib.config import Settings
    from localstage.entorno import entorno_local

    entorno = entorno_local()
    assert Settings.from_env(entorno).dias_aviso_proyeccion == (10, 20)
    assert Settings.from_env(entorno | {"VD_DIAS_AVISO_PROYECCION": "25, 5,15"}).dias_aviso_proyeccion == (5, 15, 25)
    with pytest.raises(Exception, match="VD_DIAS_AVISO_PROYECCION"):
        Settings.from_env(entorno | {"VD_DIAS_AVISO_PROYECCION": "10,32"})


def test_ses_refusing_the_warning_waits_for_the_next_hourly_run(cliente, diciembre):
    servicios = diciembre
    _a_las_9(servicios, 10)
    _mes_atrasado(servicios)
    servicios.mailer.transporte.fallar = True
    # When SES refuses it at 09:00
    primera = cliente.lambda_.invoke("warn_projection", _evento_programado(cliente)).payload
    # Then the run does not fail: the console lists the warning as waiting
    assert (primera["enviado"], primera["motivo"]) == (False, "proveedor_no_disponible")
    [programado] = servicios.pendientes.programados()
    assert programado.clave == "aviso_proyeccion#2026-12#10" and "Aviso de proyección" in programado.descripcion
    # And at 10:00, SES back, the retry sends it, once
    servicios.mailer.transporte.fallar = False
    servicios.clock.avanzar(hours=1)
    segunda = cliente.lambda_.invoke("warn_projection", _evento_programado(cliente)).payload
    tercera = cliente.lambda_.invoke("warn_projection", _evento_programado(cliente)).payload
    assert (segunda["enviado"], tercera["enviado"]) == (True, False)
    assert len(servicios.mailer.transporte.enviados) == 1 and servicios.pendientes.programados() == []


def test_a_developer_triggers_it_any_day_from_dev(cliente, diciembre):
    # Given the 7th (not a checkpoint) and the month behind
    servicios = diciembre
    _a_las_9(servicios, 7)
    _mes_atrasado(servicios)
    # When the developer runs the job, forced, twice
    respuestas = [cliente.http.post("/dev/jobs/alerta_tablero?forzar=1") for _ in range(2)]
    # Then it ran as a checkpoint of its own: one email
    resultados = [json.loads(r.body)["resultado"] for r in respuestas]
    assert [r["control"] for r in resultados] == ["manual-2026-12-07"] * 2
    assert [r["enviado"] for r in resultados] == [True, False]
    assert len(servicios.mailer.transporte.enviados) == 1
    # And without forzar it is the schedule's own rule
    sin_forzar = json.loads(cliente.http.post("/dev/jobs/alerta_tablero").body)["resultado"]
    assert sin_forzar["motivo"] == "no_es_dia_de_control"


def test_the_schedule_fires_at_09_00_la_paz_on_weekdays():
    from app import app
    from localstage.scheduler import parse_schedule

    expresiones = {
        f.name: f.schedule_expression.to_string() for f in app.event_sources if hasattr(f, "schedule_expression")
    }
    assert expresiones["warn_projection"] == "cron(0 13-16 ? * MON-FRI *)"
    siguiente = parse_schedule(expresiones["warn_projection"]).next_after(datetime(2026, 12, 5, 20, tzinfo=LA_PAZ))
    assert siguiente.astimezone(LA_PAZ).isoformat() == "2026-12-07T09:00:00-04:00"


def test_the_dashboard_lists_the_months_checkpoints_and_what_each_run_did(cliente, diciembre):
    from tests.app.test_consola import Visitante, html

    servicios = diciembre
    _mes_atrasado(servicios)
    _a_las_9(servicios, 10)
    cliente.lambda_.invoke("warn_projection", _evento_programado(cliente))
    _a_las_9(servicios, 11)
    cliente.http.post("/dev/jobs/alerta_tablero?forzar=1")
    visitante = Visitante(cliente)
    visitante.ingresar("JD")
    pagina = html(visitante.get("/consola/tablero"))
    inicio = pagina.index("Avisos de proyección de diciembre de 2026")
    lista = pagina[inicio : pagina.index("</ul>", inicio)]
    # The 10th ran and warned; the 20th's checkpoint (a Sunday: Monday the 21st) is still ahead; the manual run too
    assert "Control del día 10 (jueves, 10 de diciembre de 2026): proyección" in lista
    assert "OBSERVADO" in lista and "aviso enviado a RC y JD (faltaban Bs" in lista
    assert "Control del día 20 (lunes, 21 de diciembre de 2026): pendiente." in lista
    assert "Ejecución manual (viernes, 11 de diciembre de 2026): proyección" in lista


def test_a_run_on_track_is_listed_without_a_warning(cliente, diciembre):
    from tests.app.test_consola import Visitante, html

    _a_las_9(diciembre, 10)
    cliente.lambda_.invoke("warn_projection", _evento_programado(cliente))
    visitante = Visitante(cliente)
    visitante.ingresar("RC")
    pagina = html(visitante.get("/consola/tablero"))
    assert "Control del día 10 (jueves, 10 de diciembre de 2026): proyección" in pagina
    assert "APROBADO" in pagina and "en camino: sin aviso." in pagina
