"""``FirmaEnlaces`` on itsdangerous: ``URLSafeTimedSerializer(key, salt="aprobacion-v1")``.

The token carries only the approval id and the signing time (HMAC-SHA1 over both, URL-safe base64); what the link
may decide lives in the approval record. The salt separates these tokens from any other token signed with the
same key; the key is the ``clave_enlaces`` secret (separate from every webhook secret).
"""

from __future__ import annotations

from typing import Final

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from chalicelib.domain.enlaces import EnlaceInvalido, EnlaceVencido

SAL: Final = "aprobacion-v1"
LARGO_MAXIMO: Final = 512


class ItsdangerousFirmaEnlaces:
    def __init__(self, clave: str, sal: str = SAL) -> None:
        if not clave:
            raise ValueError("the link signing key (clave_enlaces) is empty")
        self._serializador = URLSafeTimedSerializer(clave, salt=sal)

    def firmar(self, valor: str) -> str:
        return str(self._serializador.dumps(valor))

    def leer(self, token: str, max_segundos: int) -> str:
        if not token or len(token) > LARGO_MAXIMO:
            raise EnlaceInvalido("Este enlace no es válido.")
        try:
            valor = self._serializador.loads(token, max_age=max_segundos)
        except SignatureExpired:
            raise EnlaceVencido("Este enlace venció. Pida uno nuevo o use el sistema.") from None
        except BadSignature:
            raise EnlaceInvalido("Este enlace no es válido.") from None
        if not isinstance(valor, str) or not valor:
            raise EnlaceInvalido("Este enlace no es válido.")
        return valor
