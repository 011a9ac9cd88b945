"""Benchmark: a 100-row leaderboard page (``GetLeaderboard``, anonymous) over native gRPC straight to the
contest service, and REST through Envoy, against a FastAPI + orjson endpoint serving the same standings
(``baseline_fastapi.py``): the same contest in the same database (1,000 contestants, 10 problems, 10,000
judged submissions, ICPC), read through the same ``Boards`` (a version check at most every 2 s, standings
computed once per board version), the page kept as serialized bytes per (view, version, page) on both
sides — protobuf bytes in the servicer, orjson bytes in the baseline. Both are checked to answer the
same rows first. Concurrency 1 and 32; target: native gRPC at least 2x the baseline. For reference, the
baseline also building the page's JSON on every request (what an uncached page costs).

    python -m bench.leaderboard [--rounds 3] [--duration-s 2] [--concurrency 1 32]
"""

from __future__ import annotations

import argparse
import asyncio
import pathlib
import sys
import tempfile
from collections.abc import Sequence

import httpx

from arena.contest.domain import ScoringRule
from arena.contest.v1 import contest_service_pb2
from arena.launcher import Platform
from bench import harness
from bench.contest_data import CONTEST_ID, seed, synthetic
from bench.harness import Cell, H2Load, Wrk, markdown_table, run_interleaved, write_results
from bench.system import fastapi_baseline, grpc_frame, platform_with

BASELINE = "FastAPI + orjson baseline"
NATIVE = "native gRPC"
BUILT = "FastAPI + orjson, page built per request"
PAGE_SIZE = 100
TARGET_RATIO = 2.0
CONFIGURATION = "1,000 contestants, cached pages"


def scenarios(platform: Platform, baseline_url: str) -> dict:
    grpc_port = platform.settings.ports["contest"].grpc
    request = contest_service_pb2.GetLeaderboardRequest(contest_id=CONTEST_ID, page_size=PAGE_SIZE)
    return {
        BASELINE: Wrk(f"{baseline_url}/contests/{CONTEST_ID}/leaderboard?page_size={PAGE_SIZE}"),
        BUILT: Wrk(f"{baseline_url}/contests/{CONTEST_ID}/leaderboard?page_size={PAGE_SIZE}&build_each_time=true"),
        NATIVE: H2Load(
            f"http://127.0.0.1:{grpc_port}/arena.contest.v1.ContestService/GetLeaderboard",
            body=grpc_frame(request.SerializeToString()),
            headers=(("content-type", "application/grpc"), ("te", "trailers")),
        ),
        "REST via Envoy": Wrk(
            f"{platform.settings.edge_url}/v1/contests/{CONTEST_ID}/leaderboard?page_size={PAGE_SIZE}"
        ),
    }


def same_page(edge: dict, base: dict) -> list[str]:
    """What differs between the REST page and the baseline's (empty: the same page)."""
    problems = []
    a, b = edge["leaderboard"], base["leaderboard"]
    if len(a["rows"]) != len(b["rows"]):
        problems.append(f"rows: {len(a['rows'])} != {len(b['rows'])}")
    if [r["user_id"] for r in a["rows"]] != [r["user_id"] for r in b["rows"]]:
        problems.append("different rows")
    if a["rows"] and b["rows"] and a["rows"][0] != b["rows"][0]:
        problems.append(f"first row differs: {a['rows'][0]} != {b['rows'][0]}")
    if set(a) != set(b):
        problems.append(f"fields differ: {set(a) ^ set(b)}")
    return problems


def check_answers(platform: Platform, baseline_url: str) -> None:
    params = {"page_size": PAGE_SIZE}
    edge = httpx.get(f"{platform.settings.edge_url}/v1/contests/{CONTEST_ID}/leaderboard", params=params).json()
    base = httpx.get(f"{baseline_url}/contests/{CONTEST_ID}/leaderboard", params=params).json()
    differences = same_page(edge, base)
    if differences:
        raise AssertionError("the baseline does not serve the same page: " + "; ".join(differences))


def verdict(cells: Sequence[Cell]) -> list[str]:
    """One line per concurrency: native gRPC against the baseline, and whether it meets the target."""
    by = {(c.concurrency, c.scenario): c for c in cells}
    lines = []
    for (concurrency, scenario), cell in sorted(by.items()):
        base = by.get((concurrency, BASELINE))
        if scenario != NATIVE or base is None or not base.throughput:
            continue
        ratio = cell.throughput / base.throughput
        met = "meets" if ratio >= TARGET_RATIO else "misses"
        lines.append(
            f"- concurrency {concurrency}: native gRPC {ratio:.2f}x the baseline ({met} the {TARGET_RATIO:g}x target)"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    harness.add_round_arguments(parser, duration_s=2.0, warmup_s=1.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-leaderboard-") as tmp:
        database_url = f"sqlite+aiosqlite:///{tmp}/contest.db"
        asyncio.run(seed(database_url, synthetic(ScoringRule.ICPC)))
        with platform_with(pathlib.Path(tmp)) as platform:
            env = {"ARENA_BENCH_CONTEST_DATABASE_URL": database_url, "ARENA_BENCH_CACHE_TTL_S": "2"}
            ready = f"/contests/{CONTEST_ID}/leaderboard?page_size=1"
            with fastapi_baseline(env, 1, ready_path=ready) as baseline_url:
                check_answers(platform, baseline_url)
                cells = run_interleaved(
                    scenarios(platform, baseline_url),
                    configuration=CONFIGURATION,
                    concurrencies=args.concurrency,
                    rounds=args.rounds,
                    duration_s=args.duration_s,
                    warmup_s=args.warmup_s,
                )
    path = write_results("leaderboard", cells, {"page_size": PAGE_SIZE})
    print(
        f"\n## Leaderboard page ({PAGE_SIZE} rows, GetLeaderboard, anonymous)\n\n"
        + markdown_table(cells, baseline=BASELINE)
        + "\n\n"
        + "\n".join(verdict(cells))
        + f"\n\nresults: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
