"""The problem-list benchmark's data and report."""

from __future__ import annotations

import asyncio

from bench import problems, system
from bench.harness import Cell

from arena.kit.db import make_engine
from arena.problem.store import Filters, SqlProblemStore


def test_the_seeded_rows_are_distinct_and_some_are_hidden():
    rows, tags = problems.problem_rows(50)
    assert len({r["problem_id"] for r in rows}) == len({r["slug"] for r in rows}) == 50
    assert sum(r["visibility"] == "HIDDEN" for r in rows) == 5
    assert len(tags) == 100 and {t["tag"] for t in tags} >= {"bench", "math"}


def test_a_seeded_store_lists_like_the_service_would(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/problem.db"

    async def listed():
        await problems.seed(url, 30)
        engine = make_engine(url)
        try:
            return await SqlProblemStore(engine).list(Filters(), "create_time desc", 20, None)
        finally:
            await engine.dispose()

    page = asyncio.run(listed())
    assert page.total == 27 and len(page.problems) == 20 and page.next_cursor
    assert page.problems[0].content.slug == "bench-problem-28"  # newest first; 29 is hidden


def test_the_report_has_a_table_per_cache_mode():
    cells = [
        Cell(problems.configuration_label(10_000, mode), scenario, 32, rate, 1.0, 2.0, 0, rounds=[])
        for mode in (system.CACHED, system.UNCACHED)
        for scenario, rate in ((problems.BASELINE, 1000.0), ("native gRPC", 1500.0))
    ]
    cached, uncached = problems.report(cells).split("### ListProblems (b)")
    assert "| 10,000 problems, cached | 32 | native gRPC | 1,500 |" in cached and "1.50 |" in cached
    assert "store each time" in uncached and "cached |" not in uncached
