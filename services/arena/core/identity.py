"""Who is calling: the verified caller and the platform's roles, as plain values.

``arena.kit.auth`` builds an ``Identity`` from a verified access token; domains and use
cases only read it (``is_admin``, ``has_role``), so they need neither JWT nor protobuf.
"""

from __future__ import annotations

import dataclasses
import enum


class Role(enum.Enum):
    """Ordered roles: each includes the ones before it."""

    USER = 1
    SETTER = 2
    ADMIN = 3

    def granted(self) -> frozenset[str]:
        """This role and every role below it, as access tokens list them."""
        return frozenset(r.name for r in Role if r.value <= self.value)


ROLE_NAMES = frozenset(role.name for role in Role)
"""The role names an access token may carry."""


@dataclasses.dataclass(frozen=True)
class Identity:
    """A verified caller."""

    user_id: str
    username: str
    roles: frozenset[str]
    """Role names, as the token lists them (a role and every role below it)."""
    token_id: str
    session_id: str
    expires_at: float
    """Unix time at which the token expires."""

    def has_role(self, role: Role | str) -> bool:
        return (role.name if isinstance(role, Role) else role) in self.roles

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN.name in self.roles
