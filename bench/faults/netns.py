"""Simulated hosts: network namespaces joined to the root namespace by veth pairs.

Safety first: before any namespace exists, ``unreachable <range>`` is routed in the root
namespace, so a host whose link is taken down (a partition) never sends a packet off the
machine: without it, traffic to its address would fall through to the default route. Each
host ``i`` gets ``10.203.i.0/24``: the root side of its veth pair is ``.1``, the namespace
side ``.2`` (the host's address). The connected /24 is more specific than the unreachable
/16, so it wins while the link is up; set down, the kernel drops the /24 and the unreachable
route answers (EHOSTUNREACH at once, nothing leaves).

Everything this module creates is named with its prefix (``arfl``), so a crashed run's
leftovers (namespaces, links, the route) are removed by name on the next start and on exit,
including on errors and Ctrl-C. Needs root and ``ip`` (iproute2).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import ipaddress
import os
import subprocess
from collections.abc import Iterator, Sequence

PREFIX = "arfl"
RANGE = "10.203.0.0/16"
MAX_HOSTS = 250
_CLONE_NEWNET = 0x40000000


class NetnsError(RuntimeError):
    """An ``ip`` command failed; the message holds the command and its error output."""


def ip(*args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)
    except FileNotFoundError:
        raise NetnsError("`ip` is not installed (Debian: apt-get install iproute2)") from None
    if check and done.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def unreachable_route_present(cidr: str = RANGE) -> bool:
    return any(line.split()[:2] == ["unreachable", cidr] for line in ip("route", "show", "table", "main").splitlines())


def namespaces(prefix: str = PREFIX) -> list[str]:
    """Our namespaces that exist now (``ip netns list`` prints ``name (id: n)``)."""
    names = [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]
    return [n for n in names if n.startswith(prefix + "-")]


def links(prefix: str = PREFIX) -> list[str]:
    """Our veth ends left in the root namespace."""
    found = []
    for line in ip("-o", "link", "show").splitlines():
        parts = line.split(":", 2)
        if len(parts) >= 2:
            name = parts[1].strip().split("@")[0]
            if name.startswith(prefix):
                found.append(name)
    return found


def cleanup(prefix: str = PREFIX, cidr: str = RANGE) -> None:
    """Removes every namespace and link with our prefix, then the unreachable route (idempotent).

    The route goes last: while anything of ours may still exist, the range stays unreachable.
    """
    for name in namespaces(prefix):
        ip("netns", "delete", name, check=False)
    for link in links(prefix):
        ip("link", "delete", link, check=False)
    if not namespaces(prefix) and not links(prefix):
        while unreachable_route_present(cidr):
            ip("route", "del", "unreachable", cidr, check=False)


@dataclasses.dataclass(frozen=True)
class Host:
    """One simulated machine."""

    name: str
    """The namespace (``arfl-<index>``)."""
    index: int
    address: str
    """The host's own address (namespace side), what its services bind and register."""
    gateway: str
    """The root side's address, the host's default route."""
    root_link: str
    """The veth end in the root namespace: set it down to partition the host."""

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside this host's namespace (``ip netns exec`` forks: prefer ``enter``)."""
        return ["ip", "netns", "exec", self.name, *argv]

    def enter(self) -> None:
        """Moves the calling process into this host's network namespace.

        Meant for a child between fork and exec (``preexec_fn``), so the child's pid is the
        service's own and a signal sent to it reaches the service (``ip netns exec`` forks).
        """
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            if libc.setns(fd, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {self.name} failed")
        finally:
            os.close(fd)

    def partition(self) -> None:
        ip("link", "set", self.root_link, "down")

    def heal(self) -> None:
        ip("link", "set", self.root_link, "up")

    @property
    def partitioned(self) -> bool:
        return "state DOWN" in ip("link", "show", self.root_link) or ",UP" not in ip("link", "show", self.root_link)


class Network:
    """Namespaces of one run; use as a context manager (``with Network() as net: net.add_host()``)."""

    def __init__(self, prefix: str = PREFIX, cidr: str = RANGE) -> None:
        network = ipaddress.ip_network(cidr)
        if network.prefixlen > 16:
            raise ValueError(f"{cidr}: the simulated range needs a /16 or larger (one /24 per host)")
        self.prefix = prefix
        self.cidr = cidr
        self._base = network.network_address
        self.hosts: list[Host] = []
        self._open = False

    def __enter__(self) -> Network:
        if os.geteuid() != 0:
            raise NetnsError("simulated hosts need root (network namespaces, routes, veth pairs)")
        cleanup(self.prefix, self.cidr)  # a crashed run's leftovers
        ip("route", "add", "unreachable", self.cidr)
        if not unreachable_route_present(self.cidr):
            raise NetnsError(f"the unreachable route for {self.cidr} did not appear")
        self._open = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._open = False
        self.hosts.clear()
        cleanup(self.prefix, self.cidr)

    def add_host(self) -> Host:
        if not self._open:
            raise NetnsError("add hosts inside `with Network()`: the unreachable route must exist first")
        if not unreachable_route_present(self.cidr):
            raise NetnsError(f"refusing to create a namespace: no unreachable route for {self.cidr}")
        index = len(self.hosts) + 1
        if index > MAX_HOSTS:
            raise NetnsError(f"at most {MAX_HOSTS} hosts")
        subnet = int(self._base) + (index << 8)
        gateway, address = str(ipaddress.ip_address(subnet + 1)), str(ipaddress.ip_address(subnet + 2))
        host = Host(f"{self.prefix}-{index}", index, address, gateway, f"{self.prefix}{index}r")
        inner = f"{self.prefix}{index}n"
        ip("netns", "add", host.name)
        self.hosts.append(host)
        ip("link", "add", host.root_link, "type", "veth", "peer", "name", inner, "netns", host.name)
        ip("addr", "add", f"{gateway}/24", "dev", host.root_link)
        ip("link", "set", host.root_link, "up")
        ip("-n", host.name, "addr", "add", f"{address}/24", "dev", inner)
        ip("-n", host.name, "link", "set", inner, "up")
        ip("-n", host.name, "link", "set", "lo", "up")
        ip("-n", host.name, "route", "add", "default", "via", gateway)
        return host


@contextlib.contextmanager
def network(count: int, prefix: str = PREFIX, cidr: str = RANGE) -> Iterator[list[Host]]:
    """``count`` hosts for the body of the ``with``; everything removed afterwards."""
    with Network(prefix, cidr) as net:
        yield [net.add_host() for _ in range(count)]
