"""Staff authentication: bearer JWTs. Cognito user-pool tokens in AWS stages (RS256, JWKS), tokens signed
with the local key in the local stage (HS256). Roles come from ``cognito:groups`` or ``roles``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from chalicelib.domain.errors import NoAutenticado
from chalicelib.domain.model import Rol

EMISOR_LOCAL = "ventas-digitales-local"
AUDIENCIA_LOCAL = "ventas-digitales"


class TokenInvalido(NoAutenticado):
    """The bearer token is missing, malformed, expired or not signed by a trusted key."""

    def __init__(self, mensaje: str) -> None:
        super().__init__(mensaje)


@dataclass(frozen=True)
class Usuario:
    sub: str
    nombre: str
    email: str
    roles: frozenset[Rol]

    @property
    def actor(self) -> str:
        return self.email or self.sub


def _roles(claims: dict[str, Any]) -> frozenset[Rol]:
    crudos = claims.get("cognito:groups") or claims.get("roles") or []
    if isinstance(crudos, str):
        crudos = [crudos]
    roles = set()
    for valor in crudos:
        try:
            rol = Rol(str(valor).upper())
        except ValueError:
            continue
        if rol is not Rol.SISTEMA:
            roles.add(rol)
    return frozenset(roles)


def _usuario(claims: dict[str, Any]) -> Usuario:
    roles = _roles(claims)
    if not roles:
        raise TokenInvalido("El token no tiene ningún rol del procedimiento.")
    return Usuario(
        sub=str(claims.get("sub", "")),
        nombre=str(claims.get("name") or claims.get("cognito:username") or claims.get("email") or ""),
        email=str(claims.get("email", "")),
        roles=roles,
    )


class VerificadorLocal:
    """HS256 tokens signed with the local stage key (never configured in AWS stages)."""

    def __init__(self, clave: str) -> None:
        self._clave = clave

    def emitir(self, *, rol: Rol, email: str, nombre: str, horas: int = 12) -> str:
        import jwt

        ahora = int(time.time())
        claims = {
            "iss": EMISOR_LOCAL,
            "aud": AUDIENCIA_LOCAL,
            "sub": f"local-{rol.value.lower()}",
            "email": email,
            "name": nombre,
            "roles": [rol.value],
            "iat": ahora,
            "exp": ahora + horas * 3600,
        }
        return str(jwt.encode(claims, self._clave, algorithm="HS256"))

    def verificar(self, token: str) -> Usuario:
        import jwt

        try:
            claims = jwt.decode(
                token,
                self._clave,
                algorithms=["HS256"],
                audience=AUDIENCIA_LOCAL,
                issuer=EMISOR_LOCAL,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenInvalido("Token inválido o vencido.") from exc
        return _usuario(claims)


class VerificadorCognito:
    """RS256 id/access tokens of a Cognito user pool, keys from its JWKS (cached by PyJWKClient)."""

    def __init__(self, *, issuer: str, client_id: str) -> None:
        self._issuer = issuer.rstrip("/")
        self._client_id = client_id

    @cached_property
    def _jwks(self) -> Any:
        import jwt

        return jwt.PyJWKClient(f"{self._issuer}/.well-known/jwks.json", cache_keys=True, timeout=5)

    def verificar(self, token: str) -> Usuario:
        import jwt

        try:
            clave = self._jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                clave.key,
                algorithms=["RS256"],
                issuer=self._issuer,
                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise TokenInvalido("Token inválido o vencido.") from exc
        cliente = claims.get("aud") if claims.get("token_use") == "id" else claims.get("client_id")
        if cliente != self._client_id:
            raise TokenInvalido("El token no fue emitido para esta aplicación.")
        return _usuario(claims)
