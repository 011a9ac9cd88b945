"""The GetUser benchmark compares like with like: both sides cached the same way, or both reading the store."""

from __future__ import annotations

import datetime as dt
import types

import pytest
from bench import baseline_fastapi, getuser, system
from bench.harness import Cell
from fastapi.testclient import TestClient


def cell(configuration: str, scenario: str, concurrency: int, throughput: float) -> Cell:
    return Cell(configuration, scenario, concurrency, throughput, 1.0, 2.0, 0, rounds=[])


def test_both_sides_get_the_same_expiry_in_each_mode():
    assert system.cache_ttl_s(system.CACHED) == 2.0
    assert system.cache_ttl_s(system.UNCACHED) == 0.0
    with pytest.raises(ValueError):
        system.cache_ttl_s("sometimes")


def test_the_report_has_one_table_per_cache_mode_with_ratios_inside_each():
    cells = []
    for mode, scale in ((system.CACHED, 10.0), (system.UNCACHED, 1.0)):
        label = getuser.configuration_label(1, mode)
        assert getuser.mode_of(label) == mode
        cells += [
            cell(label, getuser.BASELINE, 1, 100 * scale),
            cell(label, "native gRPC", 1, 50 * scale),
            cell(label, "REST via Envoy", 1, 40 * scale),
        ]
    text = getuser.report(cells)
    cached, uncached = text.split("### GetUser (b)")
    assert "(a) both sides cache" in cached and "store each time" not in cached
    assert "| 1 process, cached | 1 | native gRPC | 500 |" in cached and "| 0.50 |" in cached
    assert "| 1 process, store each time | 1 | native gRPC | 50 |" in uncached
    assert "native gRPC = 0.50x FastAPI" in uncached and "REST via Envoy = 0.80x native gRPC" in uncached
    assert getuser.configuration_label(2, system.CACHED) == "2 processes, cached"


class CountingUsers:
    def __init__(self) -> None:
        self.reads = 0

    async def get_user(self, user_id: str):
        self.reads += 1
        if user_id != "u1":
            return None
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        role = types.SimpleNamespace(name="USER")
        return types.SimpleNamespace(
            user_id="u1", username="ada", display_name="Ada", bio="", country_code="", role=role,
            create_time=now, update_time=now,
        )  # fmt: skip


@pytest.mark.parametrize(("ttl", "reads"), [("2", 1), ("0", 3)])
def test_the_baseline_caches_its_json_bytes_like_the_service_or_reads_each_time(monkeypatch, ttl, reads):
    monkeypatch.setenv("ARENA_BENCH_CACHE_TTL_S", ttl)
    monkeypatch.setattr(baseline_fastapi, "_cache_ready", False)
    users = CountingUsers()
    monkeypatch.setitem(baseline_fastapi._stores, "user", users)
    client = TestClient(baseline_fastapi.app)
    answers = [client.get("/users/u1") for _ in range(3)]
    assert all(a.status_code == 200 and a.json()["user"]["username"] == "ada" for a in answers)
    assert users.reads == reads
    assert client.get("/users/nobody").status_code == 404
