"""Free ports for the servers the tools start: below the ephemeral range, distinct, bindable."""

from __future__ import annotations

import pathlib
import socket

from arena import ports


def test_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    low = int(pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    chosen = ports.free_ports(20)
    assert len(set(chosen)) == 20
    assert all(port < low for port in chosen)  # where outgoing connections never take a local port
    for port in chosen:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_never_chosen(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        busy.listen()
        monkeypatch.setattr(ports, "_candidates", lambda: range(taken, taken + 1))
        # The only candidate is taken: after enough attempts the kernel's choice is used instead.
        assert ports.free_ports(1) != [taken]
