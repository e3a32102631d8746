"""Ventas Digitales: the Chalice app. Routes and event handlers live in blueprints under chalicelib/."""

from __future__ import annotations

from chalice.app import Chalice, ConvertToMiddleware

from chalicelib.config import LOCAL_STAGE, stage_name
from chalicelib.handlers.consola import consola
from chalicelib.handlers.correo import correo
from chalicelib.handlers.http import errores_del_marco
from chalicelib.handlers.pagos import pagos
from chalicelib.handlers.reportes import reportes
from chalicelib.handlers.solicitudes import api
from chalicelib.handlers.stream_entrantes import eventos_canales
from chalicelib.handlers.stream_solicitudes import eventos
from chalicelib.handlers.venta import venta
from chalicelib.handlers.webhooks_canales import webhooks
from chalicelib.observability import logger

app = Chalice(app_name="ventas-digitales")
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))
app.register_middleware(errores_del_marco, "http")  # Chalice's own 405/415/500 answers in Spanish
app.register_blueprint(api)
app.register_blueprint(consola)
app.register_blueprint(eventos)
app.register_blueprint(webhooks)
app.register_blueprint(eventos_canales)
app.register_blueprint(reportes)
app.register_blueprint(venta)
app.register_blueprint(pagos)
app.register_blueprint(correo)
app.api.binary_types.append("application/pdf")  # the contract PDF (chalicelib/handlers/venta.py)
app.api.binary_types.append(  # the dashboard's xlsx export (chalicelib/handlers/consola.py)
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

if stage_name() == LOCAL_STAGE:  # developer endpoints exist only on the local stage (never packaged)
    from localstage.dev_api import dev

    app.register_blueprint(dev)

    from localstage.pasarela import pasarela

    app.register_blueprint(pasarela)
