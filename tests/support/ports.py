"""Free TCP ports on the loopback interface for test servers (``arena.ports``: below the ephemeral range)."""

from __future__ import annotations

from arena.ports import free_port, free_ports

__all__ = ["free_port", "free_ports"]
