"""Benchmark: recomputing a contest's standings from scratch — 10,000 judged submissions from 1,000
contestants on 10 problems — with the scoring the service runs (``arena.contest.domain.standings``),
ICPC and IOI (three subtasks per problem), against the least any recomputation must do: one sort of the
10,000 results by (submit time, submission id) plus one sort of the 1,000 rows by a score key (a plain
``sorted``; the scoring reduces duplicates, orders attempts and ranks, so it cannot beat two sorts).

Scenarios run in interleaved rounds (A B C A B C ...), ``--repeat`` calls each per round; the table gives
the absolute time per recomputation (p50 and p99 over every call) and the p50 as a multiple of the sort's.
Also what the service does per new board version: ``ranking.LiveStandings`` brought up to a board with one
more result (rescoring only that contestant, then ranking again). No servers, no I/O: one process, one core.

    python -m bench.standings [--rounds 3] [--repeat 5] [--contestants 1000] [--problems 10] [--submissions 10000]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import itertools
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from arena.contest.domain import JURY, ScoringRule, Verdict, standings
from arena.contest.ranking import Added, LiveStandings
from bench.contest_data import Synthetic, synthetic
from bench.harness import percentile, write_results

BASELINE = "plain sort of the results and rows"
ICPC, IOI = "standings(), ICPC", "standings(), IOI (3 subtasks)"
LIVE_ICPC, LIVE_IOI = "LiveStandings, one new result, ICPC", "LiveStandings, one new result, IOI"


@dataclasses.dataclass(frozen=True)
class Timing:
    scenario: str
    calls: int
    p50_ms: float
    p99_ms: float
    mean_ms: float


def plain_sort(data: Synthetic) -> object:
    ordered = sorted(data.results, key=lambda r: (r.submit_time, r.submission_id))
    solved: dict[str, int] = {}
    for r in ordered:
        solved[r.user_id] = solved.get(r.user_id, 0) + (r.verdict.value == 1)
    return sorted(data.participants, key=lambda p: (-solved.get(p.user_id, 0), p.user_id))


def live(data: Synthetic) -> Callable[[], object]:
    """What the service does per board version: the held standings brought up to a board with one more
    result (a new attempt of an existing contestant, alternately accepted and rejected)."""
    held = LiveStandings(JURY)
    held.update(data.contest, data.participants, data.results)
    results = data.results
    counter = itertools.count()

    def next_version() -> object:
        k = next(counter)
        base = data.results[(k * 7919) % len(data.results)]
        verdict = Verdict.ACCEPTED if k % 2 else Verdict.WRONG_ANSWER
        nonlocal results
        new = dataclasses.replace(base, submission_id=f"live-{k}", verdict=verdict)
        added = Added(results, (new,))  # as the service's fold says what it applied to the held board
        results = (*results, new)
        return held.update(data.contest, data.participants, results, added=added)

    return next_version


def scenarios(icpc: Synthetic, ioi: Synthetic) -> dict[str, Callable[[], object]]:
    return {
        BASELINE: lambda: plain_sort(icpc),
        ICPC: lambda: standings(icpc.contest, icpc.participants, icpc.results),
        IOI: lambda: standings(ioi.contest, ioi.participants, ioi.results),
        LIVE_ICPC: live(icpc),
        LIVE_IOI: live(ioi),
    }


def measure(runs: dict[str, Callable[[], object]], *, rounds: int, repeat: int) -> list[Timing]:
    """Each scenario once to warm up, then ``rounds`` interleaved rounds of ``repeat`` calls each."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()
    for _ in range(rounds):
        for name, run in runs.items():
            for _ in range(repeat):
                gc.collect()
                started = time.perf_counter()
                run()
                samples[name].append((time.perf_counter() - started) * 1000)
    return [summarize(name, values) for name, values in samples.items()]


def summarize(name: str, values_ms: Sequence[float]) -> Timing:
    ordered = sorted(values_ms)
    return Timing(name, len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.99), statistics.fmean(ordered))


def table(timings: Sequence[Timing], *, baseline: str) -> str:
    reference = next(t for t in timings if t.scenario == baseline)
    lines = [
        f"| computation | calls | p50 ms | p99 ms | mean ms | x {baseline} (p50 time) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        ratio = t.p50_ms / reference.p50_ms if reference.p50_ms else float("nan")
        lines.append(f"| {t.scenario} | {t.calls} | {t.p50_ms:.1f} | {t.p99_ms:.1f} | {t.mean_ms:.1f} | {ratio:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="calls of each scenario per round")
    parser.add_argument("--contestants", type=int, default=1000)
    parser.add_argument("--problems", type=int, default=10)
    parser.add_argument("--submissions", type=int, default=10_000)
    # bench.run --quick passes the load benchmarks' options: accepted, only --rounds matters here
    parser.add_argument("--duration-s", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--warmup-s", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duration_s is not None:  # the quick smoke run
        args.repeat = 1
    size = {"contestants": args.contestants, "problems": args.problems, "submissions": args.submissions}
    icpc, ioi = synthetic(ScoringRule.ICPC, **size), synthetic(ScoringRule.IOI, **size)
    check(icpc, ioi)
    timings = measure(scenarios(icpc, ioi), rounds=args.rounds, repeat=args.repeat)
    path = write_results("standings", [], {"timings": [dataclasses.asdict(t) for t in timings], **size})
    print(
        f"\n## Standings recomputation ({args.submissions:,} submissions, {args.contestants:,} contestants, "
        f"{args.problems} problems)\n\n" + table(timings, baseline=BASELINE) + f"\n\nresults: {path}"
    )
    return 0


def check(icpc: Synthetic, ioi: Synthetic) -> None:
    """The data exercise the scoring: every contestant ranked, some solves and some partial scores."""
    board = standings(icpc.contest, icpc.participants, icpc.results)
    assert len(board.rows) == len(icpc.participants)
    assert board.rows[0].solved_count > 0 and any(c.rejected_attempts for r in board.rows for c in r.cells)
    scores = {r.score for r in standings(ioi.contest, ioi.participants, ioi.results).rows}
    assert len(scores) > 10, scores


if __name__ == "__main__":
    sys.exit(main())
