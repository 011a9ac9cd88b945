"""The user service's own settings: read once in ``__main__``, from ``ARENA_`` variables.

The kit's ``ServerConfig`` carries what every service needs (ports, database, JWT issuer);
this holds what only the user service reads.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

VARIABLES: dict[str, str] = {
    "ARENA_ADMIN_USERNAME": "User service: the first admin's username, created on start when no admin exists.",
    "ARENA_ADMIN_PASSWORD": "User service: the first admin's password (with ARENA_ADMIN_USERNAME).",
    "ARENA_ADMIN_EMAIL": "User service: the first admin's email (default <username>@arena.local).",
}


@dataclasses.dataclass(frozen=True)
class FirstAdmin:
    """The account made ADMIN on start when the platform has no admin yet."""

    username: str
    password: str
    email: str


@dataclasses.dataclass(frozen=True)
class UserSettings:
    first_admin: FirstAdmin | None = None
    """Created on start when no admin exists (``ARENA_ADMIN_*``); None: nobody is created."""
    key_rotation_check_s: float = 3600.0
    """How often the signing-key rotation schedule is checked (rotation follows ``TokenSettings``)."""


def load_user_settings(env: Mapping[str, str] | None = None) -> UserSettings:
    """Reads the user service's settings from the environment."""
    env = os.environ if env is None else env
    username, password = env.get("ARENA_ADMIN_USERNAME") or "", env.get("ARENA_ADMIN_PASSWORD") or ""
    if not (username and password):  # both or nothing: one alone creates nobody
        return UserSettings()
    email = env.get("ARENA_ADMIN_EMAIL") or f"{username}@arena.local"
    return UserSettings(first_admin=FirstAdmin(username, password, email))
