"""Inbound email: replies to the questions the system asks by email, documents by email, bounces and complaints.

- ``propositos.py``: ``Orden``, ``Proposito``, ``PROPOSITOS`` (what a reply to each question means).
- ``recepcion.py``: ``recibir``, the use case and its order of work (dedupe, correlate, authorise, read, apply);
  ``correo_banco`` (the message as the bank-notification flow reads it).
- ``comun.py``: ``PuertosCorreo``, ``ResultadoCorreo``, the message being processed and its history entry.
- ``correlacion.py``: correlation and authorisation, ``MOTIVOS_RECHAZO``, the rejection.
- ``respuestas_automaticas.py``: the "no entendida" and "ya decidida" answers.
- ``documentos.py``: attachments → requirements, the executives' notice.
- ``notificaciones.py``: bounces and complaints (``PuertosNotificacion``, ``registrar_notificacion``).
"""

from chalicelib.services.correo_entrante.comun import PuertosCorreo, ResultadoCorreo
from chalicelib.services.correo_entrante.notificaciones import PuertosNotificacion, registrar_notificacion
from chalicelib.services.correo_entrante.propositos import PROPOSITOS, Orden
from chalicelib.services.correo_entrante.recepcion import correo_banco, recibir

__all__ = [
    "PROPOSITOS",
    "Orden",
    "PuertosCorreo",
    "PuertosNotificacion",
    "ResultadoCorreo",
    "correo_banco",
    "recibir",
    "registrar_notificacion",
]
