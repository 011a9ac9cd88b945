"""The fault scenarios of issue 16, each a function returning its row.

Every scenario runs steady REST load through Envoy (``load.LoadGenerator``), injects its
fault, undoes it, and reports requests sent, failed and lost, the time to recover and
whether its check held. Time is bounded everywhere: load by count and duration, waits by
deadlines.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import pathlib
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

from arena.launcher import LaunchError, Platform
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
    _shared: contextlib.ExitStack = dataclasses.field(default_factory=contextlib.ExitStack)

    def shared_platform(self) -> Platform:
        """Two instances of problem, one of everything else (started once)."""
        if self.platform is None:
            self.platform = self._shared.enter_context(
                cluster.launch(self.scratch / "shared", instances_by_service={"problem": 2})
            )
            self.token = cluster.login(self.platform.settings.edge_url, *DEMO_USER)
        return self.platform

    def drop_shared(self) -> None:
        """Stops the shared platform (before a scenario that starts its own: two cores only)."""
        self._shared.close()
        self.platform = None

    def hosts(self) -> Network:
        if self.network is None:
            self.network = self._exit.enter_context(Network())
        return self.network

    def close(self) -> None:
        try:
            self._shared.close()
        finally:
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
    first, _second = platform.instance_keys("problem")
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


# -- 2. rolling restart of everything ------------------------------------------------------------


def get_json(url: str, token: str | None = None) -> Any:
    import json
    import urllib.request

    headers = {"authorization": f"Bearer {token}"} if token else {}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
        return json.load(response)


def rolling_restart(ctx: Context) -> Row:
    from arena.kit.services import SERVICES
    from bench.faults.streams import BoardFollower, NotificationFollower, StreamClients

    ctx.drop_shared()
    broker = True  # several instances always run the broker; said in the row's notes
    with cluster.launch(ctx.scratch / "rolling", instances=2, demo_activity_s=2.0, broker=broker) as platform:
        edge = platform.settings.edge_url
        token = cluster.login(edge, *DEMO_USER)
        auth = {"authorization": f"Bearer {token}"}
        contest_id = get_json(f"{edge}/v1/contests?page_size=5")["contests"][0]["contest_id"]
        streams = StreamClients(edge)
        notifications = NotificationFollower("StreamNotifications", auth)
        board = BoardFollower("GetLeaderboardStream", {}, contest_id)
        streams.start([notifications, board])
        submit = Call(
            "CreateSubmission",
            "POST",
            "/v1/submissions",
            body={"problem_id": "a-plus-b", "language_id": "python3", "source": ACCEPTED_SOURCE},
            headers=auth,
            idempotent=False,
        )
        reads = LoadGenerator(edge, read_mix(token), rate_per_s=40, connections=4, timeout_s=5, duration_s=400)
        writes = LoadGenerator(
            edge,
            [submit],
            rate_per_s=1,
            connections=1,
            timeout_s=10,
            duration_s=400,
            on_success=lambda call, response: streams.watch(response.json()["submission"]["submission_id"], auth),
        )
        restarted: list[str] = []
        start_failures: list[str] = []
        with background(reads) as read_load, background(writes) as write_load:
            pause(3, read_load)
            read_load.mark("fault")
            for spec in SERVICES:
                for key in platform.instance_keys(spec.name):
                    process = platform.processes[key]
                    platform.kill_instance(key, signal.SIGTERM)
                    process.wait(30)
                    platform.start_instance(key)
                    try:
                        platform.wait_serving(key, time.monotonic() + 60)
                    except LaunchError as error:  # a finding: note it, start it once more, go on
                        start_failures.append(f"{key}: {str(error).strip().splitlines()[-1][:160]}")
                        platform.start_instance(key)
                        platform.wait_serving(key, time.monotonic() + 60)
                    # The next one goes only once Envoy routes to this one again (registered, in the
                    # endpoint files and past Envoy's first health check), as a careful operator does.
                    target = f"127.0.0.1:{platform.instance_ports(key).grpc}"
                    cluster.wait_until(
                        lambda s=spec.name, t=target: t in cluster.envoy_healthy_hosts(platform, s),
                        30,
                        f"{key} healthy in Envoy",
                        interval_s=0.1,
                    )
                    restarted.append(key)
            read_load.mark("done")
            pause(3, read_load)
            reads.stop()
            writes.stop()
            stats = read_load.wait()
            write_stats = write_load.wait()
        pause(3)
        streams.stop(timeout_s=90)
        listed = get_json(f"{edge}/v1/notifications?page_size=100", token).get("notifications", [])
    first_seen = min(notifications.log.seen, default=0)
    # What was made while the follower still followed, less the last second (a notification made then may
    # still have been on its way): the demo contestants keep submitting, so later notifications exist that
    # no follower could have seen.
    cutoff = streams.stopped_at or dt.datetime.now(dt.UTC)
    expected = {
        int(n["sequence"])
        for n in listed
        if int(n["sequence"]) >= first_seen > 0
        and dt.datetime.fromisoformat(n["create_time"].replace("Z", "+00:00")) < cutoff - dt.timedelta(seconds=1)
    }
    missed = sorted(expected - set(notifications.log.seen))
    unfinished = [s for s, done in streams.watched.items() if not done]
    gaps = len(streams.watch_log.gaps) + len(notifications.log.gaps) + len(board.log.gaps) + len(missed)
    passed = stats.bad == 0 and write_stats.bad == 0 and gaps == 0 and not unfinished and not start_failures
    logs = [streams.watch_log, notifications.log, board.log]
    return Row(
        "2 rolling restart (SIGTERM) of all 16 instances",
        stats.sent + write_stats.sent,
        stats.failed + write_stats.failed,
        stats.lost + write_stats.lost,
        stats.recovery_s(),
        passed,
        f"0 failed: reads {stats.bad}/{stats.sent}, CreateSubmission {write_stats.bad}/{write_stats.sent}; "
        f"stream gaps {gaps} (watch {len(streams.watch_log.gaps)}, notifications {len(notifications.log.gaps)} "
        f"+ {len(missed)} missed, board {len(board.log.gaps)}); {len(streams.watched) - len(unfinished)}/"
        f"{len(streams.watched)} watched submissions followed to their verdict; instances that failed to start "
        f"again: {start_failures or 'none'}",
        "; ".join(f"{log.name}: {log.messages} messages, {log.reconnects} reconnects" for log in logs)
        + f", {board.log.repeats} repeats; {len(restarted)} instances restarted one at a time in "
        f"{stats.marks['done'] - stats.marks['fault']:.0f} s; cross-instance broker: {'yes' if broker else 'no'}",
        {
            "reads": stats.summary(),
            "writes": write_stats.summary(),
            "streams": {log.name: log.summary() for log in logs},
            "missed_notifications": missed[:20],
            "unfinished_watches": unfinished[:20],
            "start_failures": start_failures,
        },
    )


# -- 3. partition and a slow, flaky host ----------------------------------------------------


def partition_and_latency(ctx: Context) -> Row:
    platform = ctx.shared_platform()
    net = ctx.hosts()
    _first, second = platform.instance_keys("problem")
    cut = cluster.Extra(platform, "problem", "problem-h1", net.add_host())
    slow = cluster.Extra(platform, "problem", "problem-h2", net.add_host(), proxy=FaultProxy("0", 0, delay_s=0.0))
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
        # Calls already on their way to the cut host end at their deadline (its TCP connections
        # hang: the link is down, nothing answers); count failures after those could have ended.
        settled = stats.marks["fault"] + routed + deadline_ms / 1000 + 0.5
        after = stats.failures_between(settled, stats.marks["heal"])
        passed = stats.lost == 0 and not late and routed <= 10 and after == 0
        return Row.of(
            "3 partition + 200 ms/5% host",
            stats,
            passed=passed,
            check=f"routed around in {routed:.1f} s (<= 10), 0 lost, none past the {deadline_ms} ms deadline "
            f"(slowest {slowest_ms:.0f} ms), {after} failures once routed and in-flight calls ended",
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


# -- 4. a slow dependency, then a dead one ------------------------------------------------------


@contextlib.contextmanager
def only_problem_hosts(platform: Platform, targets: set[str]) -> Iterator[None]:
    """Stops the launcher's problem instances while the body runs with ``targets`` as the only hosts."""
    keys = platform.instance_keys("problem")
    for key in keys:
        platform.stop_service(key)
    try:
        cluster.wait_until(lambda: set(cluster.eds_targets(platform, "problem")) == targets, 30, "problem hosts")
        yield
    finally:
        for key in keys:
            process = platform.processes.get(key)
            if process is None or process.poll() is not None:
                platform.start_instance(key)
        for key in keys:
            platform.wait_serving(key, time.monotonic() + 60)
        cluster.wait_until(
            lambda: len(cluster.envoy_healthy_hosts(platform, "problem")) >= len(keys), 30, "problem back"
        )


def breaker_states(platform: Platform, key: str, upstream: str) -> list[float]:
    """The caller's breaker gauges for an upstream (0 closed, 1 open, 2 half-open), from its /metrics."""
    import urllib.request

    url = f"http://127.0.0.1:{platform.instance_ports(key).web}/metrics"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    values = []
    with contextlib.suppress(OSError), opener.open(url, timeout=2) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("arena_client_breaker_state{") and f'upstream="{upstream}"' in line:
                values.append(float(line.rsplit(" ", 1)[1]))
    return values


class KitCaller:
    """A service-to-service caller: the kit's client (registry discovery, deadline, breakers) calling
    ProblemService.GetProblem every ``interval_s`` in a thread, recording each outcome and its time."""

    def __init__(self, registry_dir: pathlib.Path, *, deadline_s: float = 1.0, interval_s: float = 0.05) -> None:
        import threading

        self.registry_dir = registry_dir
        self.deadline_s = deadline_s
        self.interval_s = interval_s
        self.outcomes: list[tuple[float, str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="kit-caller", daemon=True)

    def __enter__(self) -> KitCaller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    async def _run(self) -> None:
        from arena.core.errors import ArenaError
        from arena.kit.client import Clients
        from arena.kit.metrics import Metrics
        from arena.kit.registry import RegistryDiscovery
        from arena.problem.v1 import problem_service_pb2, problem_service_pb2_grpc

        discovery = RegistryDiscovery(self.registry_dir)
        clients = Clients(discovery, Metrics("faults"), caller="faults")
        stub = clients.stub(problem_service_pb2_grpc.ProblemServiceStub, "problem")
        request = problem_service_pb2.GetProblemRequest(problem_id="a-plus-b")
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    await stub.GetProblem(request, timeout_s=self.deadline_s)
                    outcome = "ok"
                except ArenaError as error:
                    outcome = f"{type(error).__name__} {error.reason}"
                self.outcomes.append((started, outcome, time.monotonic() - started))
                await asyncio.sleep(self.interval_s)
        finally:
            await clients.close()
            await discovery.close()

    def between(self, start: float, end: float = float("inf")) -> dict[str, int]:
        counts: dict[str, int] = {}
        for at, outcome, _ in self.outcomes:
            if start <= at < end:
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def slowest_s(self) -> float:
        return max((took for _, _, took in self.outcomes), default=0.0)

    def recovery_s(self, since: float) -> float | None:
        """From ``since`` to the last call after it that failed."""
        failed = [at + took for at, outcome, took in self.outcomes if at >= since and outcome != "ok"]
        return max(failed) - since if failed else None


def envoy_counter(platform: Platform, name: str) -> int:
    """One counter of Envoy's admin /stats (0 when absent)."""
    import urllib.request

    url = f"http://127.0.0.1:{platform.settings.admin_port}/stats?filter=^{name}$"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with contextlib.suppress(OSError, ValueError), opener.open(url, timeout=2) as response:
        for line in response.read().decode().splitlines():
            key, _, value = line.partition(": ")
            if key == name:
                return int(value)
    return 0


def slow_then_dead(ctx: Context) -> Row:
    platform = ctx.shared_platform()
    net = ctx.hosts()
    host = cluster.Extra(platform, "problem", "problem-s1", net.add_host(), proxy=FaultProxy("0", 0))
    analytics = platform.instance_keys("analytics")[0]
    deadline_ms = 1000
    rss_keys = ["envoy", analytics]
    try:
        host.start()
        host.wait_serving()
        with only_problem_hosts(platform, {host.grpc_target}):
            headers = {"grpc-timeout": f"{deadline_ms}m"}
            calls = [
                *problem_mix(deadline_ms=deadline_ms),
                Call("GetProblemInsights", "GET", "/v1/problems/a-plus-b/insights", headers=headers),
            ]
            generator = LoadGenerator(
                platform.settings.edge_url, calls, rate_per_s=60, connections=6, timeout_s=5, duration_s=40
            )
            rss_before = {k: cluster.tree_rss_kib(platform.processes[k].pid) for k in rss_keys}
            breakers: list[float] = []
            ejections = envoy_counter(platform, "cluster.problem.outlier_detection.ejections_enforced_total")
            with background(generator) as load, KitCaller(platform.settings.registry_dir) as caller:
                pause(4, load)
                load.mark("fault")
                host.set_faults(delay_s=2.0)
                for _ in range(80):
                    breakers += breaker_states(platform, analytics, "problem")
                    pause(0.1, load)
                load.mark("slow_healed")
                host.set_faults(delay_s=0.0)
                recovered_slow = cluster.wait_until(
                    lambda: host.grpc_target in cluster.envoy_healthy_hosts(platform, "problem"), 30, "slow host back"
                )
                pause(4, load)
                load.mark("dead")
                assert host.process is not None
                host.process.kill()
                host.process.wait(10)
                for _ in range(60):
                    breakers += breaker_states(platform, analytics, "problem")
                    pause(0.1, load)
                load.mark("revive")
                host.start()
                host.wait_serving()
                recovered_dead = cluster.wait_until(
                    lambda: host.grpc_target in cluster.envoy_healthy_hosts(platform, "problem"), 30, "host back"
                )
                load.mark("recovered")
                stats = load.wait()
            ejections = (
                envoy_counter(platform, "cluster.problem.outlier_detection.ejections_enforced_total") - ejections
            )
            rss_after = {k: cluster.tree_rss_kib(platform.processes[k].pid) for k in rss_keys}
    finally:
        host.stop()
    late = [t for t in stats.latencies_s if t * 1000 > deadline_ms + 500]
    unclear = {k: n for k, n in stats.failures.items() if not k.startswith(("503", "504"))}
    after = stats.failures_between(stats.marks["recovered"] + 2.0)
    growth = {k: rss_after[k] - rss_before[k] for k in rss_keys}
    flat = all(g < 0.2 * rss_before[k] + 20_000 for k, g in growth.items())
    opened = any(v == 1 for v in breakers)
    marks = stats.marks
    kit_slow = caller.between(marks["fault"], marks["slow_healed"])
    kit_dead = caller.between(marks["dead"], marks["revive"])
    kit_after = caller.between(marks["recovered"] + 2.0)
    kit_recovery = caller.recovery_s(marks["revive"])
    kit_ok = caller.slowest_s() <= caller.deadline_s + 0.5 and set(kit_after) <= {"ok"}
    passed = stats.lost == 0 and not late and not unclear and after == 0 and flat and kit_ok
    row = Row.of(
        "4 slow (2 s) then dead problem",
        stats,
        passed=passed,
        check=f"0 lost ({stats.lost}), no answer past the {deadline_ms} ms deadline + 0.5 s ({len(late)}), "
        f"errors only 503/504 ({dict(stats.failures)}), none 2 s after recovery ({after}), "
        f"RSS growth KiB {growth}",
        notes=f"kit client (GetProblem every 50 ms, 1 s deadline): slow {kit_slow}, dead {kit_dead}, slowest "
        f"{caller.slowest_s():.2f} s, recovered {kit_recovery if kit_recovery is None else round(kit_recovery, 1)} s "
        f"after the host served again; Envoy outlier ejections {ejections}; "
        f"analytics' breaker for problem opened: {'yes' if opened else 'no (insights made no problem call)'}; "
        f"slow host back in Envoy {recovered_slow:.1f} s after the delay ended, dead one {recovered_dead:.1f} s "
        "after it served again. Discovery's 0.3 s health probe drops a 2 s-slow host, so callers get "
        "UNAVAILABLE at once rather than waiting",
        breaker_samples=len(breakers),
        kit_caller={"slow": kit_slow, "dead": kit_dead, "after": kit_after, "slowest_s": caller.slowest_s()},
        envoy_ejections=ejections,
        breaker_opened=opened,
        rss_before_kib=rss_before,
        rss_after_kib=rss_after,
    )
    row.recovery_s = stats.recovery_s("revive")  # from the dead host serving again to the last failure
    return row


# -- 6. retries bounded end to end ----------------------------------------------------------------


def retry_budget(ctx: Context) -> Row:
    from arena.edge.envoy_config import EdgeOptions
    from arena.kit.client import ClientSettings

    platform = ctx.shared_platform()
    upstream = cluster.FailingUpstream()
    upstream.start()
    client_attempts = 3
    envoy_attempts = 1 + EdgeOptions().num_retries
    kit_attempts = ClientSettings().retry_max_attempts
    get_problem = "/arena.problem.v1.ProblemService/GetProblem"
    try:
        upstream.register(platform.settings.registry_dir, "problem", "problem-failing")
        with only_problem_hosts(platform, {f"127.0.0.1:{upstream.port}"}):
            cluster.wait_until(
                lambda: f"127.0.0.1:{upstream.port}" in cluster.envoy_healthy_hosts(platform, "problem"),
                30,
                "failing upstream healthy in Envoy",
            )
            # Leg 1: REST client retries (503) x Envoy's retries -> the upstream.
            edge = LoadGenerator(
                platform.settings.edge_url,
                [Call("GetProblem", "GET", "/v1/problems/a-plus-b")],
                rate_per_s=20,
                connections=2,
                timeout_s=10,
                duration_s=15,
                max_requests=100,
                client_attempts=client_attempts,
            )
            edge_stats = BackgroundLoad(edge).start().wait()
            edge_calls = upstream.calls_by_method.get(get_problem, 0)
            # Leg 2: the kit's client (gRPC retry policy, breaker) calling the upstream directly.
            before = upstream.calls
            kit_requests = 30
            kit_outcomes = asyncio.run(kit_leg(upstream, kit_requests))
            service_calls = upstream.calls - before
    finally:
        (platform.settings.registry_dir / "problem-failing.json").unlink(missing_ok=True)
        upstream.stop()
    edge_budget = edge_stats.sent * client_attempts * envoy_attempts
    service_budget = kit_requests * kit_attempts
    passed = 0 < edge_calls <= edge_budget and 0 < service_calls <= service_budget and edge_stats.lost == 0
    stats = edge_stats
    return Row.of(
        "6 retries bounded (failing upstream)",
        stats,
        passed=passed,
        check=f"GetProblem: {edge_calls} upstream attempts for {edge_stats.sent} requests <= budget {edge_budget} "
        f"({client_attempts} REST client x {envoy_attempts} Envoy); kit client: {service_calls} for {kit_requests} "
        f"calls <= {service_budget} ({kit_attempts} attempts)",
        notes=f"per REST request {edge_calls / max(1, edge_stats.sent):.2f} upstream attempts, all answered "
        f"{dict(edge_stats.failures)}; kit client calls ended {kit_outcomes} (its breaker opens after "
        f"{ClientSettings().breaker_fail_max} failures and then fails fast without reaching the upstream)",
        kit_outcomes=kit_outcomes,
        upstream_calls=dict(upstream.calls_by_method),
    )


async def kit_leg(upstream: cluster.FailingUpstream, requests: int) -> dict[str, int]:
    """``requests`` sequential GetProblem calls through the kit's client to the failing upstream."""
    import collections

    from arena.core.errors import ArenaError
    from arena.kit.client import Clients
    from arena.kit.discovery import Instance
    from arena.kit.metrics import Metrics
    from arena.problem.v1 import problem_service_pb2, problem_service_pb2_grpc

    class OneInstance:
        source = "static"

        async def instances(self, service: str) -> list[Instance]:
            return [Instance(service, "problem-failing", "127.0.0.1", upstream.port, upstream.web_port)]

        async def close(self) -> None:
            pass

    clients = Clients(OneInstance(), Metrics("faults"), caller="faults")
    stub = clients.stub(problem_service_pb2_grpc.ProblemServiceStub, "problem")
    outcomes: collections.Counter[str] = collections.Counter()
    try:
        for _ in range(requests):
            try:
                await stub.GetProblem(problem_service_pb2.GetProblemRequest(problem_id="a-plus-b"), timeout_s=2.0)
                outcomes["ok"] += 1
            except ArenaError as error:
                outcomes[f"{type(error).__name__} {error.reason}"] += 1
    finally:
        await clients.close()
    return dict(outcomes)


# -- 7. saturation, memory flat ------------------------------------------------------------------


def saturation(ctx: Context, duration_s: float = 60.0) -> Row:
    platform = ctx.shared_platform()
    calls = [*read_mix(ctx.token), Call("ListLanguages", "GET", "/v1/languages")]
    warm = LoadGenerator(platform.settings.edge_url, calls, rate_per_s=2000, connections=16, duration_s=5)
    BackgroundLoad(warm).start().wait()
    start = cluster.platform_rss_kib(platform)
    generator = LoadGenerator(
        platform.settings.edge_url, calls, rate_per_s=5000, connections=16, timeout_s=5, duration_s=duration_s
    )
    stats = BackgroundLoad(generator).start().wait()
    end = cluster.platform_rss_kib(platform)
    growth = {k: end.get(k, 0) - v for k, v in start.items()}
    flat = {k: g < 0.1 * start[k] + 10_000 for k, g in growth.items()}
    passed = stats.bad == 0 and all(flat.values())
    rate = stats.sent / max(0.001, stats.ended - stats.started)
    worst = max(growth, key=lambda k: growth[k])
    return Row.of(
        f"7 {duration_s:.0f} s mixed REST at saturation",
        stats,
        passed=passed,
        check=f"0 errors ({stats.bad}); RSS flat (< 10% + 10 MiB) for every process: "
        f"{sum(flat.values())}/{len(flat)}; largest growth {worst} {growth[worst]} KiB",
        notes=f"{rate:.0f} req/s over 16 connections (the closed-loop generator and the platform share the 2 "
        f"cores), p50 {stats.p(0.5) * 1000:.1f} ms, p99 {stats.p(0.99) * 1000:.1f} ms",
        rss_start_kib=start,
        rss_end_kib=end,
    )


# -- 5. the database restarted while submissions arrive ----------------------------------------

ACCEPTED_SOURCE = "a, b = map(int, input().split())\nprint(a + b)\n"


def database_restart(ctx: Context) -> Row:
    import json
    import urllib.request

    from bench.faults.postgres import server

    ctx.drop_shared()
    postgres = server(ctx.scratch / "postgres")
    postgres.start()
    try:
        url = postgres.create_database("arena_execution")
        with cluster.launch(ctx.scratch / "db", env={"ARENA_EXECUTION_DATABASE_URL": url}) as platform:
            edge = platform.settings.edge_url
            token = cluster.login(edge, *DEMO_USER)
            created: list[str] = []

            def remember(call: Call, response: Any) -> None:
                created.append(response.json()["submission"]["submission_id"])

            submit = Call(
                "CreateSubmission",
                "POST",
                "/v1/submissions",
                body={"problem_id": "a-plus-b", "language_id": "python3", "source": ACCEPTED_SOURCE},
                headers={"authorization": f"Bearer {token}"},
                idempotent=False,
            )
            generator = LoadGenerator(
                edge, [submit], rate_per_s=4, connections=2, timeout_s=10, duration_s=24, on_success=remember
            )
            with background(generator) as load:
                pause(6, load)
                load.mark("fault")
                postgres.stop()
                pause(4, load)
                back_s = postgres.start_again()
                load.mark("heal")
                stats = load.wait()
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

            def status(submission_id: str) -> dict[str, Any]:
                request = urllib.request.Request(
                    f"{edge}/v1/submissions/{submission_id}", headers={"authorization": f"Bearer {token}"}
                )
                with opener.open(request, timeout=5) as response:
                    return dict(json.load(response)["submission"])

            final: dict[str, str] = {}

            def all_final() -> bool:
                for submission_id in created:
                    if submission_id in final:
                        continue
                    with contextlib.suppress(OSError, ValueError, KeyError):
                        found = status(submission_id)
                        if found.get("status") == "SUBMISSION_STATUS_FINISHED":
                            final[submission_id] = str(found.get("verdict"))
                return len(final) == len(created)

            with contextlib.suppress(TimeoutError):
                cluster.wait_until(all_final, 180, "every verdict", interval_s=1.0)
    finally:
        postgres.stop()
    internal = {k: n for k, n in stats.failures.items() if "INTERNAL" in k or k.startswith("500")}
    unclear = {k: n for k, n in stats.failures.items() if not k.startswith("503")}
    verdicts: dict[str, int] = {}
    for verdict in final.values():
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    lost = len(created) - len(final)
    passed = stats.succeeded == len(created) and lost == 0 and not internal and not unclear and stats.lost == 0
    return Row.of(
        "5 PostgreSQL restarted under submissions",
        stats,
        passed=passed,
        check=f"{len(created)} accepted submissions, {len(final)} with a final verdict ({lost} lost); client errors "
        f"{dict(stats.failures) or 'none'} (never INTERNAL: {not internal})",
        notes=f"execution on PostgreSQL, stopped 6 s in for 4 s (up again in {back_s:.1f} s); verdicts {verdicts}",
        verdicts=verdicts,
    )


# -- the scale figure: a CPU-bound RPC with one and two instances --------------------------------


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat)."""
    import os

    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scale(ctx: Context, round_s: float = 6.0) -> Row:
    import os

    from bench.harness import Wrk

    ctx.drop_shared()
    # ListProblems with the read cache off: every call reads SQLite and builds its page (CPU in Python).
    with cluster.launch(
        ctx.scratch / "scale", instances_by_service={"problem": 2}, env={"ARENA_READ_CACHE_TTL_S": "0"}
    ) as platform:
        first, second = platform.instance_keys("problem")
        load = Wrk(f"{platform.settings.edge_url}/v1/problems?page_size=20")
        load.run(duration_s=2, connections=16)  # warm-up
        rounds: list[dict[str, Any]] = []
        for instances in (2, 1, 2, 1):
            if instances == 1:
                platform.stop_service(second)
            else:
                if platform.processes.get(second) is None:
                    platform.start_instance(second)
                    platform.wait_serving(second, time.monotonic() + 60)
            cluster.wait_until(
                lambda n=instances: len(cluster.envoy_healthy_hosts(platform, "problem")) == n, 30, "instances"
            )
            pids = {k: p.pid for k, p in platform.processes.items() if k in ("envoy", first, second)}
            before = {k: cpu_s(pid) for k, pid in pids.items()}
            result = load.run(duration_s=round_s, connections=32)
            used = {k: round((cpu_s(pid) - before[k]) / result.duration_s, 2) for k, pid in pids.items()}
            rounds.append(
                {"instances": instances, "req_s": round(result.throughput), "errors": result.errors, "cpu_per_s": used}
            )
        if platform.processes.get(second) is None:
            platform.start_instance(second)
    one = sorted(r["req_s"] for r in rounds if r["instances"] == 1)
    two = sorted(r["req_s"] for r in rounds if r["instances"] == 2)
    best_one, best_two = max(one), max(two)
    ratio = best_two / best_one if best_one else 0.0
    last_two = next(r for r in reversed(rounds) if r["instances"] == 2)
    envoy_cpu = last_two["cpu_per_s"].get("envoy", 0.0)
    problem_cpu = sum(v for k, v in last_two["cpu_per_s"].items() if k != "envoy")
    errors = sum(r["errors"] for r in rounds)
    load_average = os.getloadavg()[0]
    bottleneck = (
        "the problem service (its processes use the CPU)"
        if problem_cpu >= 1.5
        else f"not the problem service: the 2 cores are shared by Envoy ({envoy_cpu:.2f} CPU), wrk and the "
        f"instances ({problem_cpu:.2f} CPU together)"
    )
    stats = LoadStats(sent=sum(r["req_s"] for r in rounds), failed=errors)
    return Row(
        "scale: ListProblems (cache off), 1 vs 2 instances",
        stats.sent,
        errors,
        0,
        None,
        errors == 0,
        f"2 instances {best_two} req/s vs 1 instance {best_one} req/s: {ratio:.2f}x (best of 2 rounds each; "
        "1.7x expected only if the edge and the load generator leave the second core free)",
        f"bottleneck: {bottleneck}; CPU per second with 2 instances {last_two['cpu_per_s']}; machine load "
        f"average {load_average:.1f} (other work shares the cores)",
        {"rounds": rounds, "ratio": ratio},
    )


SCENARIOS: dict[str, Callable[[Context], Row]] = {
    # On one shared platform (two problem instances), in this order:
    "kill": kill_one_instance,
    "partition": partition_and_latency,
    "slow": slow_then_dead,
    "retries": retry_budget,
    "saturation": saturation,
    # Each on a platform of its own:
    "rolling": rolling_restart,
    "database": database_restart,
    "scale": scale,
}


@contextlib.contextmanager
def context(scratch: pathlib.Path) -> Iterator[Context]:
    ctx = Context(scratch)
    try:
        yield ctx
    finally:
        ctx.close()
