"""Benchmark: the ai_analysis service's hot paths, each against a baseline doing the same work more simply.

1. AnalyzeCode on a ~200-line solution per language (``bench.ai_analysis_sources``), through the use case
   (``AiAnalysisApp.analyze``, in-memory store, no model): uncached (cache off) and cached, against the
   bare tree-sitter parse of the same source (the floor every analysis pays).
2. The plagiarism index: adding one submission (parse, winnow, index) with 10,000 already indexed,
   against fingerprinting alone (the same parse and winnow) and against comparing the newcomer with every
   indexed submission one by one (what an index-less checker does).
3. A similarity report for 500 submissions of one problem, through the use case (``AiAnalysisApp.report``,
   in-memory ports): cold (every submission read and fingerprinted) and warm (all indexed already),
   against fingerprinting all 500 and comparing all 124,750 pairs from scratch.

Programs for 2 and 3 are generated (random functions, loops, branches and expressions; 2 % of them
renamed copies of others), so postings are as short as in a real problem's submissions.
Scenarios of one table run interleaved (A B C A B C ...); one process, one core, no I/O.

    python -m bench.ai_analysis [--rounds 3] [--repeat 20] [--indexed 10000] [--report 500]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import itertools
import random
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence

from arena.ai_analysis import similarity
from arena.ai_analysis.app import AiAnalysisApp, FailingTest, Quotas, SourceRef, SubmissionRecord
from arena.ai_analysis.domain import ProblemContext
from arena.ai_analysis.grammars import GRAMMARS, grammar_for, parse
from arena.ai_analysis.store import InMemoryAnalysisStore
from arena.core.identity import Identity
from bench.ai_analysis_sources import LANGUAGE_OF, SOURCES
from bench.harness import percentile, write_results

CALLER = Identity("bench", "bench", frozenset({"USER", "SETTER", "ADMIN"}), "t", "s", 9e9)


@dataclasses.dataclass(frozen=True)
class Timing:
    table: str
    scenario: str
    calls: int
    p50_ms: float
    p99_ms: float
    mean_ms: float


# -- generated programs -----------------------------------------------------------------------------


def _expression(rng: random.Random, names: Sequence[str], depth: int = 0) -> str:
    if depth >= 2 or rng.random() < 0.35:
        return rng.choice([*names, str(rng.randint(0, 99))])
    op = rng.choice(["+", "-", "*", "//", "%", "<<", "^"])
    return f"({_expression(rng, names, depth + 1)} {op} {_expression(rng, names, depth + 1)})"


def _statements(rng: random.Random, names: list[str], indent: str, depth: int) -> list[str]:
    out: list[str] = []
    for _ in range(rng.randint(2, 5)):
        kind = rng.random()
        if kind < 0.35 or depth >= 2:
            target = rng.choice(names) if rng.random() < 0.5 else f"v{len(names)}"
            out.append(f"{indent}{target} = {_expression(rng, names)}")
            if target not in names:
                names.append(target)
        elif kind < 0.55:
            var = f"i{depth}"
            out.append(f"{indent}for {var} in range({rng.choice(names)} % {rng.randint(5, 50)}):")
            out.extend(_statements(rng, [*names, var], indent + "    ", depth + 1))
        elif kind < 0.75:
            out.append(
                f"{indent}if {rng.choice(names)} {rng.choice(['<', '>', '==', '!='])} {_expression(rng, names)}:"
            )
            out.extend(_statements(rng, list(names), indent + "    ", depth + 1))
        elif kind < 0.85:
            out.append(f"{indent}while {rng.choice(names)} > {rng.randint(0, 9)}:")
            out.append(f"{indent}    {names[0]} = {names[0]} // 2")
            out.extend(_statements(rng, list(names), indent + "    ", depth + 1))
            out.append(f"{indent}    break")
        else:
            out.append(f"{indent}acc.append({_expression(rng, names)})")
    return out


def generate_program(seed: int) -> str:
    """A random but plausible Python solution (tens to a few hundred lines)."""
    rng = random.Random(seed)
    lines = ["import sys", "", "acc = []", ""]
    functions = []
    for f in range(rng.randint(3, 6)):
        params = [f"p{j}" for j in range(rng.randint(1, 3))]
        name = f"f{f}_{rng.randint(0, 999)}"
        functions.append((name, len(params)))
        lines.append(f"def {name}({', '.join(params)}):")
        lines.extend(_statements(rng, list(params), "    ", 0))
        lines.append(f"    return {_expression(rng, params)}")
        lines.append("")
    lines.append("data = list(map(int, sys.stdin.read().split())) or [1, 2, 3]")
    for name, arity in functions:
        lines.append(f"acc.append({name}({', '.join(f'data[{k} % len(data)]' for k in range(arity))}))")
    lines.append("print(sum(acc))")
    return "\n".join(lines) + "\n"


def renamed_copy(source: str, tag: str) -> str:
    """Identifiers renamed, a comment and a blank line added: a disguised copy."""
    renamed = re.sub(r"\b([fvpi]\d+(?:_\d+)?)\b", lambda m: f"{m.group(1)}_{tag}", source)
    return f"# solution {tag}\n\n" + renamed


def corpus(count: int, seed: int = 7, copy_share: float = 0.02) -> list[tuple[str, str, str]]:
    """(submission id, author, source): ``count`` submissions, ``copy_share`` of them copies of earlier ones."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str]] = []
    for i in range(count):
        if out and i % round(1 / copy_share) == round(1 / copy_share) - 1:
            _, _, source = rng.choice(out)
            out.append((f"s{i:05d}", f"u{i}", renamed_copy(source, str(i))))
        else:
            out.append((f"s{i:05d}", f"u{i}", generate_program(seed * 1_000_003 + i)))
    return out


# -- ports for the use cases ------------------------------------------------------------------------


class NoProblems:
    async def context(self, problem_id: str) -> tuple[ProblemContext, tuple[str, ...]]:
        raise AssertionError("the benchmark analyses without a problem")


class MemorySubmissions:
    def __init__(self, rows: Sequence[tuple[str, str, str]]) -> None:
        self.records = {sid: SubmissionRecord(sid, user, "p1", "python3", src, "") for sid, user, src in rows}

    async def source(self, submission_id: str) -> SubmissionRecord:
        return self.records[submission_id]

    async def refs(self, problem_id: str, contest_id: str) -> list[SourceRef]:
        return [SourceRef(r.submission_id, r.user_id, "p1", "python3", "") for r in self.records.values()]

    async def own(self, submission_id: str) -> tuple[SubmissionRecord, FailingTest | None]:
        return self.records[submission_id], None


def make_app(rows: Sequence[tuple[str, str, str]] = (), *, cache_entries: int = 2048) -> AiAnalysisApp:
    return AiAnalysisApp(
        InMemoryAnalysisStore(),
        NoProblems(),
        MemorySubmissions(rows),
        quotas=Quotas(10**9, 10**9),
        cache_entries=cache_entries,
    )


# -- measuring ----------------------------------------------------------------------------------------


def measure(
    table: str, runs: dict[str, Callable[[], object]], *, rounds: int, repeat: int, warm: bool = True
) -> list[Timing]:
    samples: dict[str, list[float]] = {name: [] for name in runs}
    if warm:
        for run in runs.values():
            run()
    for _ in range(rounds):
        for name, run in runs.items():
            for _ in range(repeat):
                started = time.perf_counter()
                run()
                samples[name].append((time.perf_counter() - started) * 1000)
    return [summarize(table, name, values) for name, values in samples.items()]


def summarize(table: str, name: str, values_ms: Sequence[float]) -> Timing:
    ordered = sorted(values_ms)
    return Timing(
        table, name, len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.99), statistics.fmean(ordered)
    )


def markdown(timings: Sequence[Timing], baseline: str) -> str:
    reference = next(t for t in timings if t.scenario == baseline)
    lines = [
        f"| scenario | calls | p50 ms | p99 ms | mean ms | x {baseline} (p50) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        ratio = t.p50_ms / reference.p50_ms if reference.p50_ms else float("nan")
        lines.append(f"| {t.scenario} | {t.calls} | {t.p50_ms:.3f} | {t.p99_ms:.3f} | {t.mean_ms:.3f} | {ratio:.2f} |")
    return "\n".join(lines)


def run_sync(loop: asyncio.AbstractEventLoop, make: Callable[[], Awaitable[object]]) -> Callable[[], object]:
    return lambda: loop.run_until_complete(make())


# -- the three tables ---------------------------------------------------------------------------------


def analyze_code(loop: asyncio.AbstractEventLoop, *, rounds: int, repeat: int) -> dict[str, list[Timing]]:
    out: dict[str, list[Timing]] = {}
    uncached, cached = make_app(cache_entries=0), make_app()
    for grammar_name, source in SOURCES.items():
        language = LANGUAGE_OF[grammar_name]
        grammar = GRAMMARS[grammar_name]
        lines = len(source.splitlines())
        runs: dict[str, Callable[[], object]] = {
            "tree-sitter parse only": lambda g=grammar, s=source: parse(g, s.encode()),
            "AnalyzeCode, uncached": run_sync(
                loop, lambda lang=language, s=source: uncached.analyze(CALLER, lang, s, "", "")
            ),
            "AnalyzeCode, cached": run_sync(
                loop, lambda lang=language, s=source: cached.analyze(CALLER, lang, s, "", "")
            ),
        }
        out[f"{language} ({lines} lines)"] = measure(language, runs, rounds=rounds, repeat=repeat)
    return out


def index_add(indexed: int, *, rounds: int, repeat: int) -> list[Timing]:
    grammar = grammar_for("python3")
    rows = corpus(indexed + rounds * repeat * 3 + 10, seed=11)
    index = similarity.SimilarityIndex()
    entries: list[similarity.Entry] = []
    for sid, user, source in rows[:indexed]:
        entry = similarity.Entry(sid, user, "p1/python", similarity.program_fingerprints(grammar, source))
        index.add(entry)
        entries.append(entry)
    fresh = iter(rows[indexed:])

    def add() -> object:
        sid, user, source = next(fresh)
        index.add(similarity.Entry(sid, user, "p1/python", similarity.program_fingerprints(grammar, source)))
        return None

    def fingerprint_only() -> object:
        return similarity.program_fingerprints(grammar, rows[indexed - 1][2])

    def compare_with_all() -> object:
        new = similarity.program_fingerprints(grammar, rows[indexed - 2][2])
        return [e for e in entries if similarity.similarity_of(new, e.fingerprints) >= similarity.SUSPICIOUS]

    runs = {
        "fingerprint only (parse + winnow)": fingerprint_only,
        f"add to the index ({indexed:,} indexed)": add,
        f"compare with all {indexed:,}, no index": compare_with_all,
    }
    return measure("index", runs, rounds=rounds, repeat=repeat, warm=False)


def report(loop: asyncio.AbstractEventLoop, count: int, *, rounds: int) -> list[Timing]:
    rows = corpus(count, seed=23)
    grammar = grammar_for("python3")

    def cold() -> object:
        app = make_app(rows)
        return loop.run_until_complete(app.report(CALLER, "p1", "", 0.5, 1000, ""))

    warm_app = make_app(rows)
    loop.run_until_complete(warm_app.report(CALLER, "p1", "", 0.5, 1000, ""))

    def warm() -> object:
        return loop.run_until_complete(warm_app.report(CALLER, "p1", "", 0.5, 1000, ""))

    def from_scratch() -> object:
        fps = [(sid, user, similarity.program_fingerprints(grammar, src)) for sid, user, src in rows]
        pairs = []
        for (a, ua, fa), (b, ub, fb) in itertools.combinations(fps, 2):
            if ua != ub and similarity.similarity_of(fa, fb) >= 0.5:
                pairs.append((similarity.compare(fa, fb), a, b))  # fragments only for the pairs reported
        pairs.sort(key=lambda p: (-p[0].similarity, p[1], p[2]))
        return pairs[:1000]

    check_report(cold(), from_scratch())
    runs = {
        f"all pairs from scratch ({count} x {count - 1} / 2 compares)": from_scratch,
        "GetSimilarityReport, cold (reads and indexes all)": cold,
        "GetSimilarityReport, warm (all indexed)": warm,
    }
    return measure("report", runs, rounds=rounds, repeat=1, warm=False)


def check_report(report_result: object, scratch: object) -> None:
    """The use case ranks the same pairs as the brute-force comparison (same work, same answer)."""
    pairs = getattr(report_result, "pairs")  # noqa: B009
    ours = {frozenset((p.left.submission_id, p.right.submission_id)) for p in pairs}
    theirs = {frozenset((a, b)) for _, a, b in scratch}  # type: ignore[attr-defined]
    assert ours == theirs and ours, (len(ours), len(theirs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20, help="calls of each scenario per round")
    parser.add_argument("--indexed", type=int, default=10_000)
    parser.add_argument("--report", type=int, default=500)
    parser.add_argument("--duration-s", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--warmup-s", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duration_s is not None:  # bench.run --quick: a smoke run
        args.rounds, args.repeat, args.indexed, args.report = 1, 3, 500, 100
    gc.collect()
    loop = asyncio.new_event_loop()
    try:
        per_language = analyze_code(loop, rounds=args.rounds, repeat=args.repeat)
        index = index_add(args.indexed, rounds=args.rounds, repeat=args.repeat)
        reports = report(loop, args.report, rounds=args.rounds)
    finally:
        loop.close()
    every = [t for ts in per_language.values() for t in ts] + index + reports
    path = write_results("ai_analysis", [], {"timings": [dataclasses.asdict(t) for t in every], **vars(args)})
    print("\n## AnalyzeCode on a ~200-line solution (use case, in-memory store, no model)\n")
    for title, timings in per_language.items():
        print(f"### {title}\n\n{markdown(timings, 'tree-sitter parse only')}\n")
    print(f"## Plagiarism index: one more submission with {args.indexed:,} indexed\n")
    print(markdown(index, "fingerprint only (parse + winnow)") + "\n")
    print(f"## Similarity report for {args.report} submissions of one problem\n")
    baseline = next(t.scenario for t in reports if t.scenario.startswith("all pairs"))
    print(markdown(reports, baseline) + f"\n\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
