"""Cognito hosted UI (OAuth 2.0 authorization code + PKCE) for the staff console in AWS stages.

The app client is public (no secret): the code verifier proves that the callback belongs to the sign-in that
started it. Endpoints: ``https://<domain>/oauth2/authorize``, ``/oauth2/token`` and ``/logout``. The token
exchange needs the real Cognito domain, so it is not exercised by the local tests (the URL building is)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from chalicelib.domain.errors import NoAutenticado

ALCANCES = "openid email profile"


class CanjeFallido(NoAutenticado):
    """Cognito refused the authorization code (expired, reused, wrong verifier) or could not be reached."""

    def __init__(self, mensaje: str = "No se pudo completar el inicio de sesión; vuelva a intentarlo.") -> None:
        super().__init__(mensaje)


def desafio_pkce(verificador: str) -> str:
    """The S256 code challenge of a PKCE code verifier (RFC 7636)."""
    resumen = hashlib.sha256(verificador.encode("ascii")).digest()
    return base64.urlsafe_b64encode(resumen).rstrip(b"=").decode("ascii")


class CognitoHostedUi:
    """Builds the hosted UI URLs and exchanges an authorization code for the user's tokens."""

    def __init__(self, *, dominio: str, client_id: str, url_retorno: str, url_salida: str, timeout: float = 5) -> None:
        dominio = dominio.strip().rstrip("/")
        self._base = dominio if dominio.startswith("https://") else f"https://{dominio}"
        self._client_id = client_id
        self._url_retorno = url_retorno
        self._url_salida = url_salida
        self._timeout = timeout

    @property
    def origen(self) -> str:
        """The hosted UI's origin (for the console's Content-Security-Policy ``form-action``)."""
        return self._base

    def url_autorizacion(self, *, estado: str, nonce: str, verificador: str) -> str:
        parametros = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": self._url_retorno,
            "scope": ALCANCES,
            "state": estado,
            "nonce": nonce,
            "code_challenge": desafio_pkce(verificador),
            "code_challenge_method": "S256",
        }
        return f"{self._base}/oauth2/authorize?{urlencode(parametros)}"

    def url_cierre(self) -> str:
        """Signs the user out of the hosted UI too, then returns to the console's sign-in page."""
        return f"{self._base}/logout?{urlencode({'client_id': self._client_id, 'logout_uri': self._url_salida})}"

    def canjear_codigo(self, codigo: str, verificador: str) -> str:
        """The ID token for an authorization code (POST /oauth2/token); CanjeFallido if Cognito refuses."""
        cuerpo = urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": self._client_id,
                "code": codigo,
                "redirect_uri": self._url_retorno,
                "code_verifier": verificador,
            }
        ).encode("ascii")
        peticion = Request(
            f"{self._base}/oauth2/token",
            data=cuerpo,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        try:
            with urlopen(peticion, timeout=self._timeout) as respuesta:  # nosec B310
                datos: Any = json.loads(respuesta.read().decode("utf-8"))
        except (HTTPError, URLError, TimeoutError, ValueError) as exc:
            raise CanjeFallido() from exc
        token = datos.get("id_token") if isinstance(datos, dict) else None
        if not isinstance(token, str) or not token:
            raise CanjeFallido()
        return token

    @staticmethod
    def nonce_de(id_token: str) -> str | None:
        """The ``nonce`` claim of an ID token whose signature the verifier has already checked."""
        import jwt

        try:
            claims = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        valor = claims.get("nonce")
        return str(valor) if valor else None
