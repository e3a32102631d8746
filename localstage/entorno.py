"""Environment of the local stage: the same names `.chalice/config.json` declares for stage ``local``.

Used by `make run` (localstage) and by the tests, so both see exactly one local configuration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

RAIZ: Final = Path(__file__).resolve().parent.parent


def entorno_local(endpoint: str | None = None) -> dict[str, str]:
    """The local stage's environment variables (from .chalice/config.json), plus the moto endpoint if given."""
    config = json.loads((RAIZ / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"]["local"].get("environment_variables", {}))
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SECURITY_TOKEN": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env
