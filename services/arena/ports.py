"""Free loopback ports for the servers the launcher, the tests and the benchmarks start.

Asking the kernel for any free port (bind to port 0) hands out ports from the ephemeral range, the same range
outgoing connections take their local ports from: between choosing a port and the server binding it, a
client connection (Envoy to a service, a test's HTTP client, a NATS client) may take it, and the server
fails with "Address already in use" (seen in a CI replica after the end-to-end suites had opened many
connections). So ports are chosen below the ephemeral range, where only listeners live, and each one is
checked by binding it.
"""

from __future__ import annotations

import pathlib
import random
import socket

_EPHEMERAL_RANGE = pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range")
_SPAN = 12_000
"""How many ports below the ephemeral range are candidates."""


def _candidates() -> range | None:
    try:
        low = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    start = max(1024, low - _SPAN)
    return range(start, low) if low - start >= 1000 else None


def free_ports(count: int, *, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct ports free on ``host`` now (each bound once to check, all held until chosen)."""
    candidates = _candidates()
    held: list[socket.socket] = []
    try:
        attempts = 0
        while len(held) < count:
            attempts += 1
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            port = 0 if candidates is None or attempts > 50 * count else random.choice(candidates)
            try:
                sock.bind((host, port))
            except OSError:
                sock.close()
                continue
            held.append(sock)
        return [int(s.getsockname()[1]) for s in held]
    finally:
        for sock in held:
            sock.close()


def free_port(*, host: str = "127.0.0.1") -> int:
    return free_ports(1, host=host)[0]
