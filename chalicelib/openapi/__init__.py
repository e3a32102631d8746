"""The API's request/response models (one module per area) and the OpenAPI 3.1 document generated from them.

Not imported by the Lambda handlers: ``make openapi`` (``python -m chalicelib.openapi``) writes docs/openapi.json, a
test checks it matches the routes, and the API tests validate real responses against these models.
"""

from chalicelib.openapi.documento import documento, main
from chalicelib.openapi.solicitudes import (
    AccionAplicadaRespuesta,
    AplicarAccionPeticion,
    DetalleSolicitud,
    Error,
    ListaSolicitudes,
    SolicitudVista,
)

__all__ = [
    "AccionAplicadaRespuesta",
    "AplicarAccionPeticion",
    "DetalleSolicitud",
    "Error",
    "ListaSolicitudes",
    "SolicitudVista",
    "documento",
    "main",
]
