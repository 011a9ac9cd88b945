"""Password hashing with argon2id (argon2-cffi), off the event loop.

Hashing is deliberately slow (tens of milliseconds of CPU), so it runs in a worker
thread; verification also reports when a stored hash uses outdated parameters, so
the caller can rehash it with the current ones after a successful login.
"""

from __future__ import annotations

import asyncio
import dataclasses

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclasses.dataclass(frozen=True)
class HashParameters:
    """argon2id cost settings (OWASP's minimum for argon2id is 19 MiB, 2 passes)."""

    time_cost: int = 2
    memory_cost_kib: int = 19_456
    parallelism: int = 1


class Passwords:
    def __init__(self, parameters: HashParameters | None = None) -> None:
        p = parameters or HashParameters()
        self._hasher = PasswordHasher(
            time_cost=p.time_cost, memory_cost=p.memory_cost_kib, parallelism=p.parallelism, type=Type.ID
        )
        # A real hash to verify against when the account does not exist, so a login for an
        # unknown user costs the same time as one with a wrong password.
        self._decoy = self._hasher.hash("arena-decoy-password")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> tuple[bool, bool]:
        try:
            self._hasher.verify(stored_hash or self._decoy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        if stored_hash is None:
            return False, False
        return True, self._hasher.check_needs_rehash(stored_hash)

    async def verify(self, stored_hash: str | None, password: str) -> tuple[bool, bool]:
        """(matches, needs rehash); ``stored_hash`` None verifies against a decoy and fails."""
        return await asyncio.to_thread(self._verify, stored_hash, password)
