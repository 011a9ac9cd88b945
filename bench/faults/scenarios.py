"""The fault scenarios of issue 16, each a function returning its row.

Every scenario runs steady REST load through Envoy (``load.LoadGenerator``), injects its
fault, undoes it, and reports requests sent, failed and lost, the time to recover and
whether its check held. Time is bounded everywhere: load by count and duration, waits by
deadlines.
"""

from __future__ import annotations

import contextlib
import dataclasses
import pathlib
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

from arena.launcher import Platform
from bench.faults import cluster
from bench.faults.load import BackgroundLoad, Call, LoadGenerator, LoadStats, background
from bench.faults.netns import Network
from bench.faults.proxy import FaultProxy

DEMO_USER = ("demo", "practice-makes-perfect")


@dataclasses.dataclass
class Row:
    scenario: str
    sent: int
    failed: int
    lost: int
    recovery_s: float | None
    passed: bool
    check: str
    notes: str = ""
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, scenario: str, stats: LoadStats, *, passed: bool, check: str, notes: str = "", **details: Any) -> Row:
        return cls(
            scenario,
            stats.sent,
            stats.failed,
            stats.lost,
            stats.recovery_s(),
            passed,
            check,
            notes,
            {"load": stats.summary(), **details},
        )


@dataclasses.dataclass
class Context:
    """What the scenarios share: a scratch directory, the simulated hosts, the platform."""

    scratch: pathlib.Path
    network: Network | None = None
    platform: Platform | None = None
    token: str = ""
    _exit: contextlib.ExitStack = dataclasses.field(default_factory=contextlib.ExitStack)

    def shared_platform(self) -> Platform:
        """Two instances of problem, one of everything else (started once)."""
        if self.platform is None:
            self.platform = self._exit.enter_context(
                cluster.launch(self.scratch / "shared", instances_by_service={"problem": 2})
            )
            self.token = cluster.login(self.platform.settings.edge_url, *DEMO_USER)
        return self.platform

    def hosts(self) -> Network:
        if self.network is None:
            self.network = self._exit.enter_context(Network())
        return self.network

    def close(self) -> None:
        self._exit.close()


def read_mix(token: str) -> list[Call]:
    """Idempotent GETs: GetProblem, ListProblems, GetUser."""
    auth = {"authorization": f"Bearer {token}"}
    return [
        Call("GetProblem", "GET", "/v1/problems/a-plus-b"),
        Call("ListProblems", "GET", "/v1/problems?page_size=5"),
        Call("GetUser", "GET", "/v1/users/me", headers=auth),
    ]


def problem_mix(*, deadline_ms: int | None = None) -> list[Call]:
    headers = {"grpc-timeout": f"{deadline_ms}m"} if deadline_ms else {}
    return [
        Call("GetProblem", "GET", "/v1/problems/a-plus-b", headers=headers),
        Call("ListProblems", "GET", "/v1/problems?page_size=5", headers=headers),
    ]


def pause(seconds: float, load: BackgroundLoad | None = None) -> None:
    """Lets the load run on for a while (the steady phases of a scenario; not a test wait)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if load is not None and not load._thread.is_alive():
            return
        time.sleep(min(0.1, max(0.0, end - time.monotonic())))


# -- 1. SIGKILL one of two instances ----------------------------------------------------------


def kill_one_instance(ctx: Context) -> Row:
    platform = ctx.shared_platform()
    first, second = platform.instance_keys("problem")
    generator = LoadGenerator(
        platform.settings.edge_url, read_mix(ctx.token), rate_per_s=150, connections=8, timeout_s=5, duration_s=24
    )
    with background(generator) as load:
        pause(5, load)
        load.mark("fault")
        platform.kill_instance(first, signal.SIGKILL)
        pause(6, load)
        platform.start_instance(first)
        platform.wait_serving(first, time.monotonic() + 60)
        ejected = cluster.wait_until(
            lambda: len(cluster.envoy_healthy_hosts(platform, "problem")) == 2, 30, "problem-1 healthy in Envoy"
        )
        load.mark("recovered")
        stats = load.wait()
    after = stats.failures_between(stats.marks["recovered"] + 1.0)
    passed = stats.failed_share <= 0.001 and after == 0
    return Row.of(
        "1 SIGKILL one of two problem instances",
        stats,
        passed=passed,
        check=f"failed+lost {stats.failed_share:.3%} <= 0.1%, {after} after recovery",
        notes=f"{first} killed 5 s in, restarted 6 s later; back in Envoy {ejected:.1f} s after start",
    )


# -- 3. partition and a slow, flaky host ----------------------------------------------------


def partition_and_latency(ctx: Context) -> Row:
    platform = ctx.shared_platform()
    net = ctx.hosts()
    first, second = platform.instance_keys("problem")
    cut = cluster.Extra(platform, "problem", "problem-h1", net.add_host())
    slow = cluster.Extra(
        platform, "problem", "problem-h2", net.add_host(), proxy=FaultProxy("0", 0, delay_s=0.0)
    )
    extras = [cut, slow]
    try:
        for extra in extras:
            extra.start()
        for extra in extras:
            extra.wait_serving()
        platform.stop_service(second)  # hosts: problem-1 (healthy), h1 (to be cut), h2 (to be slowed)
        want = {cut.grpc_target, slow.grpc_target}
        cluster.wait_until(lambda: want <= set(cluster.envoy_healthy_hosts(platform, "problem")), 30, "hosts in Envoy")
        deadline_ms = 2000
        generator = LoadGenerator(
            platform.settings.edge_url,
            problem_mix(deadline_ms=deadline_ms),
            rate_per_s=100,
            connections=8,
            timeout_s=5,
            duration_s=30,
        )
        with background(generator) as load:
            pause(5, load)
            load.mark("fault")
            cut.host.partition()
            slow.set_faults(delay_s=0.2, chunk_fail_share=0.05)
            routed = cluster.wait_until(
                lambda: set(cluster.envoy_healthy_hosts(platform, "problem")).isdisjoint(want), 30, "routed around"
            )
            pause(12, load)
            load.mark("heal")
            cut.host.heal()
            slow.set_faults(delay_s=0.0, chunk_fail_share=0.0)
            back = cluster.wait_until(
                lambda: want <= set(cluster.envoy_healthy_hosts(platform, "problem")), 30, "hosts back"
            )
            stats = load.wait()
        slowest_ms = max(stats.latencies_s, default=0) * 1000
        late = [t for t in stats.latencies_s if t * 1000 > deadline_ms + 500]
        after = stats.failures_between(stats.marks["fault"] + routed + 1.0, stats.marks["heal"])
        passed = stats.lost == 0 and not late and routed <= 10 and after == 0
        return Row.of(
            "3 partition + 200 ms/5% host",
            stats,
            passed=passed,
            check=f"routed around in {routed:.1f} s (<= 10), 0 lost, none past the {deadline_ms} ms deadline "
            f"(slowest {slowest_ms:.0f} ms), {after} failures once routed",
            notes=f"3 problem hosts: problem-1, h1 partitioned (link down), h2 +200 ms and 5% resets; "
            f"healed after 12 s, both back in Envoy {back:.1f} s later",
            routed_s=routed,
            back_s=back,
        )
    finally:
        for extra in extras:
            extra.stop()
        with contextlib.suppress(Exception):
            if platform.processes.get(second) is None or platform.processes[second].poll() is not None:
                platform.start_instance(second)
                platform.wait_serving(second, time.monotonic() + 60)


SCENARIOS: dict[str, Callable[[Context], Row]] = {
    "kill": kill_one_instance,
    "partition": partition_and_latency,
}


@contextlib.contextmanager
def context(scratch: pathlib.Path) -> Iterator[Context]:
    ctx = Context(scratch)
    try:
        yield ctx
    finally:
        ctx.close()
