"""The cross-instance watch benchmark's helpers: which submissions count (judged by A) and the table."""

from __future__ import annotations

import pytest
from bench import watch_across
from bench.sandbox import BenchmarkFailed
from bench.watch import Watched


def watched(*latencies: float) -> Watched:
    return Watched(list(latencies), list(range(1, len(latencies) + 1)), 0)


def test_a_submission_counts_when_the_judging_instance_was_fed_first():
    assert watch_across.usable(watch_across.Pair(watched(1, 1, 2), watched(3, 4, 5)))
    assert not watch_across.usable(watch_across.Pair(watched(5, 6, 7), watched(1, 1, 2)))  # B judged it


def test_the_table_gives_the_other_instance_as_a_ratio_of_the_judging_one():
    pairs = [watch_across.Pair(watched(1, 2, 3, 4), watched(2, 4, 6, 8))]
    cells = watch_across.summary_cells(pairs)
    assert [c.scenario for c in cells] == [watch_across.SAME, watch_across.OTHER]
    other = watch_across.table(cells).splitlines()[-1]
    assert other.startswith(f"| {watch_across.OTHER} |") and other.endswith("| 2.00 | 2.00 |")
    with pytest.raises(BenchmarkFailed):
        watch_across.summary_cells([])
