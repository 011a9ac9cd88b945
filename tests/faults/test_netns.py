"""Simulated hosts: the unreachable route comes first, a partition sends nothing off the machine,
and nothing is left afterwards (also after a crash). Real namespaces: these tests run as root."""

from __future__ import annotations

import socket
import subprocess

import pytest
from bench.faults import netns

# A prefix and range of their own, so a fault-suite run at the same time is not disturbed.
PREFIX = "arft"
RANGE = "10.204.0.0/16"


@pytest.fixture(autouse=True)
def clean() -> None:
    netns.cleanup(PREFIX, RANGE)
    yield
    netns.cleanup(PREFIX, RANGE)
    assert netns.namespaces(PREFIX) == [] and netns.links(PREFIX) == []
    assert not netns.unreachable_route_present(RANGE)


def test_unreachable_route_before_any_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    real_ip = netns.ip

    def recording_ip(*args: str, check: bool = True) -> str:
        calls.append(args)
        return real_ip(*args, check=check)

    monkeypatch.setattr(netns, "ip", recording_ip)
    with netns.Network(PREFIX, RANGE) as net:
        assert netns.unreachable_route_present(RANGE)
        assert netns.namespaces(PREFIX) == []
        host = net.add_host()
        assert netns.namespaces(PREFIX) == [host.name]
    route = calls.index(("route", "add", "unreachable", RANGE))
    created = calls.index(("netns", "add", host.name))
    assert route < created
    assert netns.namespaces(PREFIX) == [] and not netns.unreachable_route_present(RANGE)


def test_no_host_outside_the_context() -> None:
    net = netns.Network(PREFIX, RANGE)
    with pytest.raises(netns.NetnsError, match="unreachable route must exist first"):
        net.add_host()
    assert netns.namespaces(PREFIX) == []


def test_partition_is_unreachable_not_the_default_route() -> None:
    with netns.network(1, PREFIX, RANGE) as (host,):
        assert host.address == "10.204.1.2" and host.gateway == "10.204.1.1"
        listener = subprocess.Popen(
            ["python3", "-c", _LISTEN, host.address], preexec_fn=host.enter, stdout=subprocess.PIPE, text=True
        )
        try:
            assert listener.stdout is not None
            port = int(listener.stdout.readline())
            with socket.create_connection((host.address, port), timeout=5):
                pass  # reachable while the link is up
            host.partition()
            assert host.partitioned
            route = subprocess.run(["ip", "route", "get", host.address], capture_output=True, text=True)
            assert route.returncode != 0 and "no route to host" in route.stderr.lower()
            with pytest.raises(OSError) as refused:
                socket.create_connection((host.address, port), timeout=5)
            assert refused.value.errno == 113  # EHOSTUNREACH at once: nothing left for the default route
            host.heal()
            with socket.create_connection((host.address, port), timeout=5):
                pass
        finally:
            listener.kill()
            listener.wait()


_LISTEN = """
import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
while True:
    s.accept()[0].close()
"""


def test_cleanup_on_error_and_of_a_crashed_runs_leftovers() -> None:
    with pytest.raises(RuntimeError, match="boom"), netns.network(2, PREFIX, RANGE):
        assert len(netns.namespaces(PREFIX)) == 2
        raise RuntimeError("boom")
    assert netns.namespaces(PREFIX) == [] and netns.links(PREFIX) == []
    # A crashed run: its namespace, a veth end and the route are still there.
    netns.ip("route", "add", "unreachable", RANGE)
    netns.ip("netns", "add", f"{PREFIX}-9")
    netns.ip("link", "add", f"{PREFIX}9r", "type", "veth", "peer", "name", f"{PREFIX}9n")
    with netns.Network(PREFIX, RANGE) as net:
        assert netns.namespaces(PREFIX) == [] and netns.links(PREFIX) == []
        assert net.add_host().name == f"{PREFIX}-1"
    netns.cleanup(PREFIX, RANGE)  # idempotent
    assert not netns.unreachable_route_present(RANGE)


def test_a_range_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="/16"):
        netns.Network(PREFIX, "10.204.1.0/24")
