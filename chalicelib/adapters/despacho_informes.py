"""``DespachoInformes``: where the monthly report's resend runs.

The API function does not draw the chart (matplotlib lives in a layer of the report functions only), so
``POST /reportes/mensual/envio`` hands the job to the ``reenviar_informe_mensual`` function with an asynchronous
invocation. Payload: ``{"mes": "AAAA-MM", "solicitado_por": "<actor>", "roles": ["RC", ...]}``, read and
validated again by that function (chalicelib/handlers/reportes.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cached_property
from typing import Any

from chalicelib.adapters.clientes_aws import cliente
from chalicelib.domain.commands import EnviarInformeMensual
from chalicelib.domain.errors import ServicioExternoNoDisponible
from chalicelib.domain.model import Rol

logger = logging.getLogger(__name__)

_NO_DISPONIBLE = "No se pudo iniciar el envío del informe mensual. Intente nuevamente en unos minutos."


def carga_reenvio(cmd: EnviarInformeMensual, roles: frozenset[Rol]) -> dict[str, Any]:
    """The job as the function's event: the resolved month, who asked, and their roles."""
    if cmd.mes is None:
        raise ValueError("the month is resolved before the resend is dispatched")
    return {"mes": cmd.mes, "solicitado_por": cmd.solicitado_por, "roles": sorted(r.value for r in roles)}


class LambdaDespachoInformes:
    """``lambda:InvokeFunction`` with ``InvocationType=Event`` on ``funcion`` (name or ARN): Lambda queues the
    event and answers 202 at once; the function's own errors are retried by Lambda, not seen here."""

    def __init__(self, *, funcion: str, region: str) -> None:
        self.funcion = funcion
        self._region = region

    @cached_property
    def _lambda(self) -> Any:
        return cliente("lambda", self._region)

    def reenviar_informe_mensual(self, cmd: EnviarInformeMensual, roles: frozenset[Rol]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        carga = json.dumps(carga_reenvio(cmd, roles), ensure_ascii=False).encode("utf-8")
        try:
            respuesta = self._lambda.invoke(FunctionName=self.funcion, InvocationType="Event", Payload=carga)
        except (ClientError, BotoCoreError) as exc:
            raise ServicioExternoNoDisponible(_NO_DISPONIBLE) from exc
        if respuesta.get("StatusCode") != 202:
            raise ServicioExternoNoDisponible(_NO_DISPONIBLE)


class DespachoInformesLocal:
    """The local stage: the job runs in this process before the route answers, so ``make run`` and the tests see
    the email in the outbox at once. As with an asynchronous invocation, its failure is logged, not raised."""

    def __init__(self, ejecutar: Callable[[EnviarInformeMensual, frozenset[Rol]], object]) -> None:
        self._ejecutar = ejecutar

    def reenviar_informe_mensual(self, cmd: EnviarInformeMensual, roles: frozenset[Rol]) -> None:
        try:
            self._ejecutar(cmd, roles)
        except Exception:
            logger.exception("reenvío local del informe mensual fallido", extra={"mes": cmd.mes})
