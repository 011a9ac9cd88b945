"""Benchmark: the problem list (``GET /v1/problems?page_size=20``, anonymous) by REST through Envoy
and native gRPC, against a FastAPI baseline serving the same page from the same store with the
same cache; 100 and 10,000 problems in the store; concurrency 1 and 32. Both cache modes, as in
the GetUser benchmark: (a) both sides keep the serialized page (2 s), (b) both read the store.

    python -m bench.problems [--rounds 3] [--duration-s 1.5] [--sizes 100 10000] [--modes cached ...]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import pathlib
import sys
import tempfile
from collections.abc import Sequence

import httpx
import sqlalchemy as sa

from arena.kit.db import make_engine
from arena.launcher import Platform
from arena.problem.domain import CheckerKind, Difficulty, Visibility
from arena.problem.store import ProblemRow, SqlProblemStore, TagRow
from arena.problem.v1 import problem_service_pb2
from bench import harness
from bench.harness import Cell, H2Load, Wrk, markdown_table, run_interleaved, write_results
from bench.system import CACHED, UNCACHED, cache_ttl_s, fastapi_baseline, grpc_frame, platform_with

BASELINE = "FastAPI baseline"
PAGE_SIZE = 20
MODES = (CACHED, UNCACHED)
TAGS = ("math", "strings", "graphs", "dp", "greedy", "sorting", "implementation", "geometry")
STATEMENT = (
    "Read the input and print the answer. "
    + "The input has one test per line; every number fits in a signed 64-bit integer. " * 6
).strip()


def problem_rows(count: int, *, hidden_every: int = 10) -> tuple[list[dict], list[dict]]:
    """``count`` problems as table rows (every ``hidden_every``-th one hidden), and their tags."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    problems, tags = [], []
    for i in range(count):
        problem_id = f"{i:032x}"
        created = start + dt.timedelta(seconds=i)
        problems.append(
            {
                "problem_id": problem_id,
                "slug": f"bench-problem-{i}",
                "title": f"Bench problem {i}",
                "title_key": f"bench problem {i}",
                "statement": STATEMENT,
                "difficulty": list(Difficulty)[i % 3].value,
                "time_limit_ms": 1000,
                "memory_limit_kib": 256 * 1024,
                "checker_kind": CheckerKind.TOKENS.name,
                "absolute_tolerance": 1e-6,
                "relative_tolerance": 1e-6,
                "visibility": (
                    Visibility.HIDDEN if hidden_every and i % hidden_every == hidden_every - 1 else Visibility.PUBLIC
                ).name,
                "author_id": "bench-author",
                "like_count": i % 7,
                "bookmark_count": i % 5,
                "revision": 1,
                "hidden_test_count": 10,
                "create_time": created,
                "update_time": created,
                "delete_time": None,
            }
        )
        tags += [{"problem_id": problem_id, "tag": TAGS[i % len(TAGS)]}, {"problem_id": problem_id, "tag": "bench"}]
    return problems, tags


async def seed(database_url: str, count: int) -> None:
    """The problem service's own database, migrated and filled in one transaction."""
    engine = make_engine(database_url)
    try:
        await SqlProblemStore(engine).migrate()
        problems, tags = problem_rows(count)
        async with engine.begin() as connection:
            await connection.execute(sa.insert(ProblemRow.__table__), problems)
            await connection.execute(sa.insert(TagRow.__table__), tags)
    finally:
        await engine.dispose()


def scenarios(platform: Platform, baseline_url: str) -> dict:
    grpc_port = platform.settings.ports["problem"].grpc
    body = grpc_frame(problem_service_pb2.ListProblemsRequest(page_size=PAGE_SIZE).SerializeToString())
    return {
        BASELINE: Wrk(f"{baseline_url}/problems?page_size={PAGE_SIZE}"),
        "native gRPC": H2Load(
            f"http://127.0.0.1:{grpc_port}/arena.problem.v1.ProblemService/ListProblems",
            body=body,
            headers=(("content-type", "application/grpc"), ("te", "trailers")),
        ),
        "REST via Envoy": Wrk(f"{platform.settings.edge_url}/v1/problems?page_size={PAGE_SIZE}"),
    }


def check_answers(platform: Platform, baseline_url: str, count: int) -> None:
    """Both sides answer the same page (same problems, same fields), or the ratio measures a difference."""
    edge = httpx.get(f"{platform.settings.edge_url}/v1/problems", params={"page_size": PAGE_SIZE}).json()
    base = httpx.get(f"{baseline_url}/problems", params={"page_size": PAGE_SIZE}).json()
    visible = len([p for p in problem_rows(count)[0] if p["visibility"] == Visibility.PUBLIC.name])
    assert edge["total_size"] == base["total_size"] == visible, (edge["total_size"], base["total_size"], visible)
    assert [p["problem_id"] for p in edge["problems"]] == [p["problem_id"] for p in base["problems"]]
    assert len(edge["problems"]) == min(PAGE_SIZE, visible)
    assert set(edge["problems"][0]) == set(base["problems"][0]), set(edge["problems"][0]) ^ set(base["problems"][0])


def configuration_label(count: int, mode: str) -> str:
    return f"{count:,} problems, {mode}"


def report(cells: Sequence[Cell]) -> str:
    parts = []
    titles = {CACHED: "(a) both sides cache the serialized page (2 s)", UNCACHED: "(b) both sides read the store"}
    for mode in MODES:
        picked = [c for c in cells if c.configuration.endswith(f", {mode}")]
        if picked:
            parts.append(f"### ListProblems {titles[mode]}\n\n" + markdown_table(picked, baseline=BASELINE))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    harness.add_round_arguments(parser, duration_s=1.5, warmup_s=0.5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000], help="problems in the store")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    args = parser.parse_args(argv)
    cells: list[Cell] = []
    for count in args.sizes:
        for mode in args.modes:
            label = configuration_label(count, mode)
            ttl_s = str(cache_ttl_s(mode))
            print(f"ListProblems, {label}:", flush=True)
            with tempfile.TemporaryDirectory(prefix="bench-problems-") as tmp:
                database_url = f"sqlite+aiosqlite:///{tmp}/problem.db"
                asyncio.run(seed(database_url, count))
                with platform_with(pathlib.Path(tmp), env={"ARENA_READ_CACHE_TTL_S": ttl_s}) as platform:
                    baseline_env = {"ARENA_BENCH_PROBLEM_DATABASE_URL": database_url, "ARENA_BENCH_CACHE_TTL_S": ttl_s}
                    with fastapi_baseline(baseline_env, 1, ready_path="/problems?page_size=1") as baseline_url:
                        check_answers(platform, baseline_url, count)
                        cells += run_interleaved(
                            scenarios(platform, baseline_url),
                            configuration=label,
                            concurrencies=args.concurrency,
                            rounds=args.rounds,
                            duration_s=args.duration_s,
                            warmup_s=args.warmup_s,
                        )
    text = report(cells)
    path = write_results("problems", cells, {"page_size": PAGE_SIZE})
    print(f"\n## ListProblems (GET /v1/problems?page_size={PAGE_SIZE}, anonymous)\n\n" + text + f"\n\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
