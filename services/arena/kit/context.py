"""The current call's request-scoped values, readable anywhere while the call is served.

The middleware sets them when a call starts (each call runs in its own asyncio task,
so a ContextVar isolates calls from each other); servicers read the caller's identity
and clients read what to propagate downstream (request id, traceparent, deadline,
authorization).
"""

from __future__ import annotations

import contextvars
import dataclasses
import time
from collections.abc import Callable

from arena.kit.auth import Identity
from arena.kit.errors import Unauthenticated


@dataclasses.dataclass
class RequestContext:
    """What the kit knows about the call being served."""

    request_id: str
    method: str
    transport: str
    traceparent: str
    authorization: str | None = None
    """The caller's raw ``authorization`` header, for calls made on the caller's behalf."""
    identity: Identity | None = None
    deadline: float | None = None
    """``time.monotonic()`` value at which the caller gives up, if it set a deadline."""
    forwarded_for: str | None = None
    """The ``x-forwarded-for`` header Envoy sets (its last entry is the address Envoy saw)."""
    peer: Callable[[], str] | None = None
    """The transport's peer address (``ipv4:127.0.0.1:5000``), read only when needed."""

    def time_remaining_s(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def client_address(self) -> str:
        """The caller's network address: from Envoy's x-forwarded-for, else the connection's peer."""
        if self.forwarded_for:
            return self.forwarded_for.rsplit(",", 1)[-1].strip()
        if self.peer is None:
            return ""
        try:
            peer = self.peer() or ""
        except Exception:  # some transports cannot tell
            return ""
        # "ipv4:1.2.3.4:5678" / "ipv6:[::1]:5678" → the host part.
        host = peer.split(":", 1)[1] if ":" in peer else peer
        return host.rsplit(":", 1)[0].strip("[]")


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("arena_request", default=None)


def current() -> RequestContext | None:
    """The call being served by this task, or None outside a call."""
    return _current.get()


def set_current(value: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    return _current.set(value)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def identity() -> Identity | None:
    """The verified caller, or None for an anonymous call (or outside a call)."""
    request = _current.get()
    return None if request is None else request.identity


def require_identity() -> Identity:
    """The verified caller; UNAUTHENTICATED when the call is anonymous."""
    caller = identity()
    if caller is None:
        raise Unauthenticated("sign in first: this needs an access token", reason="UNAUTHENTICATED")
    return caller
