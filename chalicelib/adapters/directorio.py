"""``DirectorioPersonal``: who the staff are.

The local stage has one fixed person per role, each with the role's mailbox as address (the local sign-in page
and ``/dev/tokens`` list them). AWS stages read the Cognito user pool: every group named after a role (``EJ``,
``HD``, ...; case-insensitive, the same names the JWT verifier reads from ``cognito:groups``) and its enabled
users, email from the ``email`` attribute and name from ``name`` (the email when it has none).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from chalicelib.adapters.clientes_aws import cliente
from chalicelib.domain.errors import ServicioExternoNoDisponible
from chalicelib.domain.model import Buzones, Rol
from chalicelib.domain.ports import PersonaPersonal

ROLES_PERSONAL: tuple[Rol, ...] = tuple(r for r in Rol if r is not Rol.SISTEMA)
"""The roles a staff member can have (the system is not a person)."""


class DirectorioLocal:
    """The local stage: one staff member per role, with the role's mailbox as address."""

    def __init__(self, buzones: Buzones) -> None:
        self._buzones = buzones

    def personas(self) -> list[PersonaPersonal]:
        b = self._buzones
        return [
            PersonaPersonal(Rol.EJ, b.ejecutivos, "Eva Ejecutiva"),
            PersonaPersonal(Rol.HD, b.help_desk, "Hugo Help Desk"),
            PersonaPersonal(Rol.CO, b.cobranzas, "Carla Cobranzas"),
            PersonaPersonal(Rol.CA, b.cajas, "Carlos Cajero"),
            PersonaPersonal(Rol.FA, b.facturacion, "Fabiola Facturación"),
            PersonaPersonal(Rol.RC, b.responsable_canales, "Rosa Responsable de Canales"),
            PersonaPersonal(Rol.JD, b.jefe_division, "Jorge Jefe de División"),
        ]


def _rol_de_grupo(nombre: str) -> Rol | None:
    """The role a Cognito group stands for (as ``adapters.auth`` reads ``cognito:groups``), None if none."""
    try:
        rol = Rol(nombre.upper())
    except ValueError:
        return None
    return None if rol is Rol.SISTEMA else rol


def _atributo(usuario: dict[str, Any], nombre: str) -> str:
    for atributo in usuario.get("Attributes") or []:
        if atributo.get("Name") == nombre:
            return str(atributo.get("Value") or "").strip()
    return ""


class DirectorioCognito:
    """AWS stages: the enabled users of the user pool's role groups (``ListGroups``, ``ListUsersInGroup``)."""

    def __init__(self, user_pool_id: str, region: str) -> None:
        self._user_pool_id = user_pool_id
        self._region = region

    @cached_property
    def _cognito(self) -> Any:
        return cliente("cognito-idp", self._region)

    def personas(self) -> list[PersonaPersonal]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            grupos = self._grupos_de_roles()
            personas = [p for grupo, rol in grupos for p in self._miembros(grupo, rol)]
        except (ClientError, BotoCoreError) as exc:
            raise ServicioExternoNoDisponible(
                f"No se pudo leer el personal del grupo de usuarios {self._user_pool_id} de Cognito."
            ) from exc
        orden: dict[Rol, int] = {rol: i for i, rol in enumerate(ROLES_PERSONAL)}
        return sorted(personas, key=lambda p: (orden[p.rol], p.nombre.casefold(), p.email))

    def _grupos_de_roles(self) -> list[tuple[str, Rol]]:
        grupos = []
        for pagina in self._cognito.get_paginator("list_groups").paginate(UserPoolId=self._user_pool_id):
            for grupo in pagina.get("Groups") or []:
                rol = _rol_de_grupo(str(grupo.get("GroupName", "")))
                if rol is not None:
                    grupos.append((str(grupo["GroupName"]), rol))
        return grupos

    def _miembros(self, grupo: str, rol: Rol) -> list[PersonaPersonal]:
        miembros = []
        paginas = self._cognito.get_paginator("list_users_in_group").paginate(
            UserPoolId=self._user_pool_id, GroupName=grupo
        )
        for pagina in paginas:
            for usuario in pagina.get("Users") or []:
                email = _atributo(usuario, "email")
                if not email or usuario.get("Enabled") is False:
                    continue  # cannot sign in (disabled) or cannot be told apart (no address)
                miembros.append(PersonaPersonal(rol, email, _atributo(usuario, "name") or email))
        return miembros
