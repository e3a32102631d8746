"""The staff console's cookies: the signed session, its CSRF token, the sign-in handshake and the flash message.

Every cookie is signed with itsdangerous (HMAC-SHA1 over a SHA-512-derived key, a timestamp checked against a
maximum age), one salt per kind so one cannot stand in for another, and sent ``HttpOnly; SameSite=Lax`` on the
console's path, ``Secure`` except on the local stage served over plain http. The session holds the staff JWT
(the local token, or the Cognito ID token) and a random id; the CSRF token of every form is an HMAC of that id.

The cookie alone is not a session: the server keeps a record of each one (``SesionesConsola``: who, with which
roles, until when), and ``usuario`` accepts a cookie only while its record is there and says the same person and
roles as the token. Sign-out deletes the record and ``revocar_sesiones`` voids a person's sessions, so a copied
cookie stops working at once instead of at its expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, Final, Protocol

from itsdangerous import BadSignature, URLSafeTimedSerializer

from chalicelib.domain.errors import DomainError, NoAutenticado
from chalicelib.domain.ports import SesionConsola, SesionesConsola

COOKIE_SESION: Final = "vd_consola"
COOKIE_INGRESO: Final = "vd_consola_ingreso"
COOKIE_AVISO: Final = "vd_consola_aviso"
DURACION_SESION: Final = 12 * 3600
DURACION_INGRESO: Final = 10 * 60
DURACION_AVISO: Final = 60


class CsrfInvalido(DomainError):
    """A console form came without the CSRF token of the current session (or with a wrong one)."""

    codigo = "csrf_invalido"

    def __init__(self) -> None:
        super().__init__(
            "El formulario no es válido o venció. Vuelva a cargar la página e inténtelo de nuevo "
            "(por seguridad, cada formulario lleva un código de su sesión)."
        )


class Verificador(Protocol):
    def verificar(self, token: str) -> Any: ...


def identidad(usuario: Any) -> str:
    """What a person's sessions are keyed by: the email in lower case, else the token's ``sub``."""
    return str(usuario.email or usuario.sub).strip().lower()


def roles_de(usuario: Any) -> tuple[str, ...]:
    return tuple(sorted(r.value for r in usuario.roles))


@dataclass(frozen=True)
class Sesion:
    token: str
    sid: str


@dataclass(frozen=True)
class Ingreso:
    """A sign-in in progress: the form's CSRF id and, for the hosted UI, state, nonce and PKCE verifier."""

    sid: str
    estado: str = ""
    nonce: str = ""
    verificador: str = ""
    siguiente: str = ""


def leer_cookies(cabecera: str) -> dict[str, str]:
    """The request's cookies by name (an unreadable header counts as no cookies)."""
    galleta: SimpleCookie = SimpleCookie()
    try:
        galleta.load(cabecera or "")
    except CookieError:
        return {}
    return {nombre: morsel.value for nombre, morsel in galleta.items()}


class Sesiones:
    """Issues and reads the console's cookies with one key (see the module docstring)."""

    def __init__(
        self,
        clave: str,
        *,
        ruta: str,
        segura: bool,
        registro: SesionesConsola | None = None,
        verificador: Verificador | None = None,
    ) -> None:
        if not clave:
            raise ValueError("the console needs a session key")
        self._clave = clave.encode()
        self._ruta = ruta
        self._segura = segura
        self._registro = registro
        self._verificador = verificador
        self._firmas = {
            tipo: URLSafeTimedSerializer(clave, salt=f"consola-{tipo}") for tipo in ("sesion", "ingreso", "aviso")
        }

    # --- session and CSRF ---

    def iniciar(self, token: str, usuario: Any = None) -> tuple[Sesion, str]:
        """A new session for a verified token: recorded on the server (when this instance has a registry), and
        its cookie. ``usuario`` is the token's person if the caller already verified it."""
        sesion = Sesion(token=token, sid=secrets.token_urlsafe(24))
        if self._registro is not None:
            if usuario is None:
                usuario = self._verificar(token)
            ahora = time.time()
            self._registro.abrir(
                SesionConsola(
                    sid=sesion.sid,
                    identidad=identidad(usuario),
                    sub=str(usuario.sub),
                    roles=roles_de(usuario),
                    creada_en=ahora,
                    vence_en=ahora + DURACION_SESION,
                )
            )
        valor = self._firmas["sesion"].dumps({"t": sesion.token, "s": sesion.sid})
        return sesion, self.cookie(COOKIE_SESION, valor, DURACION_SESION)

    def usuario(self, sesion: Sesion | None) -> Any:
        """The signed-in person of a cookie's session, or NoAutenticado: the token must verify, and the server's
        record must exist (not signed out, not revoked, not expired) for the same person with the same roles.
        A record whose roles differ from the token's is closed on the spot."""
        if sesion is None:
            raise NoAutenticado("Inicie sesión para usar la consola.")
        usuario = self._verificar(sesion.token)
        if self._registro is None:
            raise NoAutenticado("Inicie sesión para usar la consola.")
        registro = self._registro.vigente(sesion.sid, identidad(usuario))
        if registro is None:
            raise NoAutenticado("Su sesión terminó. Vuelva a ingresar.")
        if registro.sub != str(usuario.sub) or tuple(sorted(registro.roles)) != roles_de(usuario):
            self._registro.cerrar(sesion.sid)
            raise NoAutenticado("Sus roles cambiaron. Vuelva a ingresar.")
        return usuario

    def cerrar(self, sesion: Sesion | None) -> None:
        """Sign-out: the server forgets the session, so any copy of its cookie is refused from now on."""
        if sesion is not None and self._registro is not None:
            self._registro.cerrar(sesion.sid)

    def _verificar(self, token: str) -> Any:
        if self._verificador is None:
            raise NoAutenticado("Inicie sesión para usar la consola.")
        return self._verificador.verificar(token)

    def sesion(self, cookies: Mapping[str, str]) -> Sesion | None:
        datos = self._cargar("sesion", cookies.get(COOKIE_SESION), DURACION_SESION)
        if not datos or not isinstance(datos.get("t"), str) or not isinstance(datos.get("s"), str):
            return None
        return Sesion(token=datos["t"], sid=datos["s"])

    def csrf(self, sid: str, proposito: str = "sesion") -> str:
        return hmac.new(self._clave, f"csrf|{proposito}|{sid}".encode(), hashlib.sha256).hexdigest()

    def verificar_csrf(self, sid: str | None, enviado: Any, proposito: str = "sesion") -> None:
        """CsrfInvalido unless ``enviado`` is this session's token (constant-time compare)."""
        if not sid or not isinstance(enviado, str) or not hmac.compare_digest(self.csrf(sid, proposito), enviado):
            raise CsrfInvalido()

    # --- sign-in handshake ---

    def iniciar_ingreso(self, siguiente: str = "", *, oidc: bool = False) -> tuple[Ingreso, str]:
        ingreso = Ingreso(
            sid=secrets.token_urlsafe(18),
            estado=secrets.token_urlsafe(24) if oidc else "",
            nonce=secrets.token_urlsafe(24) if oidc else "",
            verificador=secrets.token_urlsafe(48) if oidc else "",
            siguiente=siguiente,
        )
        valor = self._firmas["ingreso"].dumps(
            {"s": ingreso.sid, "e": ingreso.estado, "n": ingreso.nonce, "v": ingreso.verificador, "q": siguiente}
        )
        return ingreso, self.cookie(COOKIE_INGRESO, valor, DURACION_INGRESO)

    def ingreso(self, cookies: Mapping[str, str]) -> Ingreso | None:
        datos = self._cargar("ingreso", cookies.get(COOKIE_INGRESO), DURACION_INGRESO)
        if not datos or not isinstance(datos.get("s"), str):
            return None
        return Ingreso(
            sid=datos["s"],
            estado=str(datos.get("e") or ""),
            nonce=str(datos.get("n") or ""),
            verificador=str(datos.get("v") or ""),
            siguiente=str(datos.get("q") or ""),
        )

    @staticmethod
    def estado_valido(ingreso: Ingreso | None, recibido: str | None) -> bool:
        """The hosted UI came back with the ``state`` this browser's sign-in sent (no CSRF on the callback)."""
        return bool(ingreso and ingreso.estado and recibido and hmac.compare_digest(ingreso.estado, recibido))

    @staticmethod
    def nonce_valido(ingreso: Ingreso | None, nonce: str | None) -> bool:
        """The ID token was issued for this sign-in (its ``nonce`` claim), so it cannot be replayed."""
        return bool(ingreso and ingreso.nonce and nonce and hmac.compare_digest(ingreso.nonce, nonce))

    # --- flash message ---

    def aviso(self, texto: str) -> str:
        return self.cookie(COOKIE_AVISO, self._firmas["aviso"].dumps(texto), DURACION_AVISO)

    def leer_aviso(self, cookies: Mapping[str, str]) -> str | None:
        texto = self._cargar("aviso", cookies.get(COOKIE_AVISO), DURACION_AVISO)
        return texto if isinstance(texto, str) else None

    # --- cookies ---

    def cookie(self, nombre: str, valor: str, max_age: int) -> str:
        partes = [f"{nombre}={valor}", f"Path={self._ruta}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
        if self._segura:
            partes.append("Secure")
        return "; ".join(partes)

    def borrar(self, nombre: str) -> str:
        return self.cookie(nombre, "", 0)

    def _cargar(self, tipo: str, valor: str | None, max_age: int) -> Any:
        if not valor:
            return None
        try:
            return self._firmas[tipo].loads(valor, max_age=max_age)
        except BadSignature:
            return None
