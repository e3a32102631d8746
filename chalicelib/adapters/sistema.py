"""Clock and id generator of the running system."""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from zoneinfo import ZoneInfo

ZONA_LA_PAZ = ZoneInfo("America/La_Paz")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class RelojLaPaz:
    """Timezone-aware now in America/La_Paz (UTC-4, no daylight saving)."""

    def ahora(self) -> datetime:
        return datetime.now(ZONA_LA_PAZ).replace(microsecond=0)


class GeneradorIds:
    """Request codes ``VD-`` + 8 Crockford base32 chars (40 random bits, no ambiguous letters);
    history ids are time-ordered (ms timestamp) plus 64 random bits."""

    def solicitud(self) -> str:
        return "VD-" + "".join(secrets.choice(_CROCKFORD) for _ in range(8))

    def evento(self) -> str:
        return f"{int(time.time() * 1000):013d}-{secrets.token_hex(8)}"
