"""Ventas Digitales: the Chalice app. Routes and event handlers live in blueprints under chalicelib/."""

from __future__ import annotations

from chalice.app import Chalice, ConvertToMiddleware

from chalicelib.api import api
from chalicelib.config import LOCAL_STAGE, stage_name
from chalicelib.consola import consola
from chalicelib.correo import correo
from chalicelib.eventos import eventos
from chalicelib.eventos_canales import eventos_canales
from chalicelib.http import errores_del_marco
from chalicelib.observability import logger
from chalicelib.pagos import pagos
from chalicelib.reportes import reportes
from chalicelib.venta import venta
from chalicelib.webhooks import webhooks

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
app.api.binary_types.append("application/pdf")  # the contract PDF (chalicelib/venta.py)

if stage_name() == LOCAL_STAGE:  # developer endpoints exist only on the local stage (never packaged)
    from localstage.dev_api import dev

    app.register_blueprint(dev)

    from localstage.pasarela import pasarela

    app.register_blueprint(pasarela)
