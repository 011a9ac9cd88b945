"""The ai_analysis benchmark's generated programs, its sources per language and a tiny run end to end."""

from __future__ import annotations

import ast

from bench import ai_analysis
from bench.ai_analysis_sources import LANGUAGE_OF, SOURCES

from arena.ai_analysis.grammars import GRAMMARS, parse


def test_generated_programs_are_valid_distinct_and_deterministic():
    programs = [ai_analysis.generate_program(seed) for seed in range(30)]
    assert programs == [ai_analysis.generate_program(seed) for seed in range(30)]
    assert len(set(programs)) == 30
    for source in programs:
        ast.parse(source)
        assert 20 <= len(source.splitlines()) <= 400


def test_the_corpus_has_renamed_copies():
    rows = ai_analysis.corpus(100, seed=3)
    assert len(rows) == len({sid for sid, _, _ in rows}) == 100
    copies = [src for _, _, src in rows if src.startswith("# solution")]
    assert len(copies) == 2
    ast.parse(copies[0])


def test_every_analysed_grammar_has_a_200_line_source():
    assert set(SOURCES) == set(GRAMMARS) == set(LANGUAGE_OF)
    for name, source in SOURCES.items():
        assert not parse(GRAMMARS[name], source.encode()).root_node.has_error
        assert 180 <= len(source.splitlines()) <= 270


def test_a_tiny_run_prints_every_table(capsys):
    assert ai_analysis.main(["--rounds", "1", "--repeat", "1", "--indexed", "60", "--report", "60"]) == 0
    out = capsys.readouterr().out
    for title in ("AnalyzeCode", "python3", "javascript", "Plagiarism index", "Similarity report"):
        assert title in out
