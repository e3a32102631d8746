"""The one Powertools Logger for the whole app (JSON logs with keys; services log through ``logging``)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="ventas-digitales", copy_config_to_registered_loggers=False)
