"""One contract for every AnalysisStore: the in-memory fake, SQLite and PostgreSQL pass the same assertions.

An analysis comes back exactly as stored (the static result round-trips through JSON); fingerprints come
back as stored, a second add of a submission is ignored, and the index rebuilt from the store ranks the
same pairs as the one it was saved from.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from tests.unit.ai_analysis import corpus

from arena.ai_analysis import similarity
from arena.ai_analysis.domain import Analysis, ProblemContext
from arena.ai_analysis.grammars import grammar_for
from arena.ai_analysis.static import analyse
from arena.ai_analysis.store import AnalysisStore, InMemoryAnalysisStore, SqlAnalysisStore
from arena.kit.db import make_engine

pytestmark = pytest.mark.timeout(120)

T0 = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
SOURCE = "import os\ndef f(n, seen=[]):\n    return f(n - 1)\nfor i in range(int(input())):\n    print(i)\n"


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[AnalysisStore]:  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield InMemoryAnalysisStore()
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database(f"ai_{uuid.uuid4().hex[:12]}")
        engine = make_engine(url)
    else:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/ai.db")
    sql = SqlAnalysisStore(engine)
    await sql.migrate()
    await sql.migrate()  # idempotent
    yield sql
    await engine.dispose()


async def test_an_analysis_round_trips(store: AnalysisStore):
    grammar = grammar_for("python3")
    assert grammar is not None
    result = analyse(grammar, SOURCE, ProblemContext("p1", "t", "1 ≤ n ≤ 10^5", 1.0))
    assert result.findings and result.summary.functions  # something to round-trip
    analysis = Analysis("a1", "ana", "python3", "p1", "s1", result, "arena-static-1+m", T0, "review", "note")
    await store.add_analysis(analysis)
    assert await store.get_analysis("a1") == analysis
    assert await store.get_analysis("missing") is None


async def test_fingerprints_round_trip_and_rebuild_the_same_index(store: AnalysisStore):
    programs = [p for p in corpus.build() if p.problem == "sum" and p.language == "python3"]
    original = similarity.SimilarityIndex()
    for p in programs:
        entry = similarity.Entry(
            p.submission_id,
            p.author,
            "p1/python",
            similarity.program_fingerprints(grammar_for(p.language), p.source),
            "c1",
        )
        original.add(entry)
        await store.add_fingerprints(entry, "p1", p.language)
    first = programs[0]
    await store.add_fingerprints(
        similarity.Entry(first.submission_id, "other", "x", similarity.Fingerprints({}, 0)), "p1", "c"
    )
    loaded = await store.all_fingerprints()
    assert len(loaded) == len(programs)
    by_id = {e.submission_id: e for e in loaded}
    assert by_id[first.submission_id] == original.get(first.submission_id)  # the second add was ignored
    rebuilt = similarity.SimilarityIndex()
    for entry in loaded:
        rebuilt.add(entry)

    def ranked(index: similarity.SimilarityIndex) -> list[tuple[str, str, float]]:
        entries = [e for p in programs if (e := index.get(p.submission_id)) is not None]
        return [
            (x.left.submission_id, x.right.submission_id, x.comparison.similarity)
            for x in index.candidates(entries, 0.5)
        ]

    assert ranked(rebuilt) == ranked(original) and ranked(original)
