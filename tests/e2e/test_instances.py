"""Two instances of every service behind one Envoy: registry discovery, EDS files, kills and restarts."""

from __future__ import annotations

import json
import pathlib
import re
import signal
import sqlite3
import time
from collections.abc import Callable

import httpx
import pytest
import yaml

from arena.demo.problems import load
from arena.kit.services import SERVICES
from arena.launcher import LaunchSettings, Platform, ServicePorts
from e2e.conftest import admin_token, register_and_login
from support.ports import free_ports

pytestmark = pytest.mark.timeout(300)


def _wait_for(condition: Callable[[], bool], deadline_s: float, what: str) -> float:
    """Polls ``condition`` until true; returns how long it took (fails after ``deadline_s``)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > deadline_s:
            pytest.fail(f"{what} did not happen within {deadline_s} s")
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def two_of_everything(tmp_path_factory: pytest.TempPathFactory, descriptor_set_path: pathlib.Path):
    ports = free_ports(4 * len(SERVICES) + 2)
    first = {spec.name: ServicePorts(ports[2 + 4 * i], ports[3 + 4 * i]) for i, spec in enumerate(SERVICES)}
    second = {f"{spec.name}-2": ServicePorts(ports[4 + 4 * i], ports[5 + 4 * i]) for i, spec in enumerate(SERVICES)}
    settings = LaunchSettings(
        data_dir=tmp_path_factory.mktemp("instances"),
        edge_port=ports[0],
        admin_port=ports[1],
        ports=first,
        instance_ports_by_key=second,
        instances=2,
        shutdown_grace_s=3.0,
        descriptor=descriptor_set_path,
        demo_data=True,  # loaded through Envoy, over both instances of everything
    )
    platform = Platform(settings)
    platform.start(timeout_s=180)
    yield platform
    platform.stop()


def _eds_ports(platform: Platform, cluster: str) -> set[int]:
    document = yaml.safe_load((platform.eds_dir() / f"{cluster}.yaml").read_text())
    ports = set()
    for locality in document["resources"][0]["endpoints"]:
        for endpoint in locality["lb_endpoints"]:
            ports.add(endpoint["endpoint"]["address"]["socket_address"]["port_value"])
    return ports


def _served_problem_calls(platform: Platform, key: str) -> float:
    """ListProblems calls one problem instance has served (its own /metrics)."""
    web = platform.instance_ports(key).web
    text = httpx.get(f"http://127.0.0.1:{web}/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("arena_rpc_handled_total") and "ListProblems" in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_every_instance_runs_registers_and_is_in_the_endpoint_files(two_of_everything: Platform):
    platform = two_of_everything
    keys = [key for spec in SERVICES for key in platform.instance_keys(spec.name)]
    assert platform.instance_keys("problem") == ["problem-1", "problem-2"]
    assert len(keys) == 16 and set(keys) <= set(platform.processes)
    assert all(platform.processes[key].poll() is None for key in keys)
    registered = {p.stem for p in platform.settings.registry_dir.glob("*.json")}
    assert registered == set(keys)
    for spec in SERVICES:
        expected = {platform.instance_ports(key).grpc for key in platform.instance_keys(spec.name)}
        assert _eds_ports(platform, spec.name) == expected
    health = httpx.get(f"{platform.settings.edge_url}/v1/health", timeout=10).json()
    assert health["status"] == "SERVING_STATUS_SERVING"
    for service in health["services"]:
        assert len(service["instances"]) == 2, service
        assert {i["status"] for i in service["instances"]} == {"SERVING_STATUS_SERVING"}, service


def test_rest_calls_are_spread_over_both_problem_instances(two_of_everything: Platform):
    platform = two_of_everything
    before = {key: _served_problem_calls(platform, key) for key in platform.instance_keys("problem")}
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        for _ in range(40):
            assert rest.get("/v1/problems").status_code == 200
    served = {key: _served_problem_calls(platform, key) - before[key] for key in before}
    assert sum(served.values()) == 40
    assert min(served.values()) >= 5, served  # round robin, give or take Envoy's per-worker state


def test_a_killed_instance_leaves_the_endpoint_files_within_a_second_and_comes_back(two_of_everything: Platform):
    platform = two_of_everything
    victim = platform.instance_ports("problem-2").grpc
    survivor = platform.instance_ports("problem-1").grpc
    assert _eds_ports(platform, "problem") == {victim, survivor}
    failures = 0
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        platform.kill_instance("problem-2", signal.SIGKILL)
        killed_at = time.monotonic()
        gone_after = None
        while time.monotonic() - killed_at < 3:
            if rest.get("/v1/problems").status_code != 200:
                failures += 1
            if gone_after is None and _eds_ports(platform, "problem") == {survivor}:
                gone_after = time.monotonic() - killed_at
            if gone_after is not None and time.monotonic() - killed_at > 1.5:
                break
        assert gone_after is not None and gone_after < 1.5, gone_after
        assert failures == 0  # idempotent GETs retried on the other host
        assert (platform.settings.registry_dir / "problem-2.json").exists()  # left behind, probed out
        platform.start_instance("problem-2")
        platform.wait_serving("problem-2", time.monotonic() + 60)
        _wait_for(lambda: _eds_ports(platform, "problem") == {victim, survivor}, 5, "the restarted instance's return")

        def routed_again() -> bool:  # once Envoy's own health check has passed too
            assert rest.get("/v1/problems").status_code == 200
            return _served_problem_calls(platform, "problem-2") > 0

        _wait_for(routed_again, 20, "traffic to the restarted instance")


def test_a_drained_instance_deregisters_and_leaves_before_it_stops(two_of_everything: Platform):
    platform = two_of_everything
    entry = platform.settings.registry_dir / "user-2.json"
    assert entry.exists()
    assert json.loads(entry.read_text())["instance_id"] == "user-2"
    platform.kill_instance("user-2", signal.SIGTERM)
    _wait_for(lambda: not entry.exists(), 5, "user-2's deregistration")
    _wait_for(lambda: _eds_ports(platform, "user") == {platform.instance_ports("user-1").grpc}, 2, "EDS update")
    assert platform.processes["user-2"].wait(15) == 0
    platform.start_instance("user-2")
    platform.wait_serving("user-2", time.monotonic() + 60)
    _wait_for(lambda: entry.exists(), 5, "user-2's registration")


def test_instance_keys_and_ports_reject_unknown_names(two_of_everything: Platform):
    platform = two_of_everything
    with pytest.raises(KeyError, match="problem-3"):
        platform.instance_ports("problem-3")
    with pytest.raises(KeyError, match="nosuch"):
        platform.instance_keys("nosuch")
    assert re.fullmatch(r"problem-\d", platform.instance_keys("problem")[1])


def test_two_judges_drain_one_queue_and_judge_every_submission_once(two_of_everything: Platform):
    platform = two_of_everything
    (accepted,) = [p.solutions["accepted.py"][1] for p in load() if p.slug == "a-plus-b"]
    with httpx.Client(base_url=platform.settings.edge_url, timeout=30) as rest:
        headers = {"authorization": f"Bearer {register_and_login(rest, 'two-judges')}"}
        ids = []
        for _ in range(20):
            created = rest.post(
                "/v1/submissions",
                json={"problem_id": "a-plus-b", "language_id": "python3", "source": accepted},
                headers=headers,
            )
            assert created.status_code == 200, created.text
            ids.append(created.json()["submission"]["submission_id"])

        def all_finished() -> bool:
            for submission_id in ids:
                got = rest.get(f"/v1/submissions/{submission_id}", headers=headers)
                assert got.status_code == 200, got.text
                if got.json()["submission"]["status"] != "SUBMISSION_STATUS_FINISHED":
                    return False
            return True

        _wait_for(all_finished, 180, "all 20 submissions judged")
        verdicts = {rest.get(f"/v1/submissions/{i}", headers=headers).json()["submission"]["verdict"] for i in ids}
        assert verdicts == {"VERDICT_ACCEPTED"}
    marks = ",".join("?" * len(ids))
    with sqlite3.connect(platform.settings.data_dir / "execution.db") as db:
        owners = dict(
            db.execute(f"SELECT submission_id, claimed_by FROM submissions WHERE submission_id IN ({marks})", ids)
        )
        counts = {
            (sid, kind): n
            for sid, kind, n in db.execute(
                f"SELECT submission_id, type, count(*) FROM submission_events WHERE submission_id IN ({marks})"
                " GROUP BY submission_id, type",
                ids,
            )
        }
        tests = dict(
            db.execute(f"SELECT submission_id, test_count FROM submissions WHERE submission_id IN ({marks})", ids)
        )
    assert set(owners) == set(ids)
    assert set(owners.values()) == {"execution-1", "execution-2"}, owners  # both judges took part
    for sid in ids:  # one claim, one run, one verdict each: nobody judged a submission twice
        assert counts[(sid, "RUNNING")] == 1 and counts[(sid, "FINISHED")] == 1, (sid, counts)
        assert counts[(sid, "TEST_FINISHED")] == tests[sid] > 0


def test_breakers_per_upstream_instance_are_in_the_debug_view_and_the_metrics(two_of_everything: Platform):
    platform = two_of_everything
    with httpx.Client(base_url=platform.settings.edge_url, timeout=30) as rest:
        token = admin_token(rest)
        response = rest.get("/v1/debug/client-stats", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    seen = {
        (process["instance_id"], upstream["upstream"], upstream["instance_id"]): upstream["breaker_state"]
        for process in response.json()["processes"]
        for upstream in process["upstreams"]
    }
    # The judges (the test above, in file order) asked both problem instances for judge bundles, each through
    # its own breaker.
    judged_by = {
        instance for (caller, upstream, instance) in seen if caller.startswith("execution") and upstream == "problem"
    }
    assert judged_by == {"problem-1", "problem-2"}, seen
    assert set(seen.values()) == {"BREAKER_STATE_CLOSED"}
    metrics = httpx.get(f"http://127.0.0.1:{platform.instance_ports('execution-1').web}/metrics", timeout=5).text
    assert re.search(
        r'arena_client_breaker_state\{instance="problem-[12]",service="execution",upstream="problem"\} 0\.0', metrics
    )
