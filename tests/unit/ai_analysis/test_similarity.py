"""Winnowing fingerprints, pair similarity and the incremental index, measured on the generated corpus."""

from __future__ import annotations

import ast
import itertools
import re

import pytest
from tests.unit.ai_analysis import corpus

from arena.ai_analysis import similarity
from arena.ai_analysis.grammars import grammar_for


def fp(language: str, source: str) -> similarity.Fingerprints:
    return similarity.program_fingerprints(grammar_for(language), source)


@pytest.fixture(scope="module")
def programs() -> list[corpus.Program]:
    return corpus.build()


@pytest.fixture(scope="module")
def fingerprints(programs) -> dict[str, similarity.Fingerprints]:
    return {p.submission_id: fp(p.language, p.source) for p in programs}


def test_the_corpus_is_real_code(programs):
    assert len(programs) == len(corpus.ORIGINALS) * (1 + len(corpus.DISGUISES))
    for p in programs:
        if p.language == "python3":
            ast.parse(p.source)  # every disguised Python copy is still a valid program
        else:
            grammar = grammar_for(p.language)
            assert grammar is not None
            assert not similarity.parse(grammar, p.source.encode()).root_node.has_error, p.submission_id


def scores(programs, fingerprints) -> list[tuple[float, bool]]:
    out = []
    for a, b in itertools.combinations(programs, 2):
        if a.problem == b.problem and a.language == b.language:
            comparison = similarity.compare(fingerprints[a.submission_id], fingerprints[b.submission_id])
            out.append((comparison.similarity, a.origin == b.origin))
    return out


def precision_recall(results: list[tuple[float, bool]], threshold: float) -> tuple[float, float]:
    tp = sum(1 for s, same in results if s >= threshold and same)
    fp_ = sum(1 for s, same in results if s >= threshold and not same)
    fn = sum(1 for s, same in results if s < threshold and same)
    return tp / (tp + fp_ or 1), tp / (tp + fn or 1)


def test_precision_and_recall_on_the_corpus(programs, fingerprints):
    """The figures of the closing note: at the suspicious threshold every copy is found and nothing else."""
    results = scores(programs, fingerprints)
    positives = sum(1 for _, same in results if same)
    negatives = len(results) - positives
    assert positives == 12 * 21 and negatives > 100  # C(7, 2) per original; the rest are independent pairs
    precision, recall = precision_recall(results, similarity.SUSPICIOUS)
    print(
        f"corpus: {positives} copy pairs, {negatives} independent pairs; at {similarity.SUSPICIOUS}: "
        f"precision {precision:.3f}, recall {recall:.3f}"
    )
    assert precision == 1.0
    assert recall == 1.0
    lowest_copy = min(s for s, same in results if same)
    highest_independent = max(s for s, same in results if not same)
    assert highest_independent < similarity.SUSPICIOUS <= lowest_copy


@pytest.mark.parametrize("how", corpus.DISGUISES)
def test_each_disguise_alone_keeps_a_copy_suspicious(how: str):
    for problem, _, language, source in corpus.ORIGINALS:
        comparison = similarity.compare(fp(language, source), fp(language, corpus.disguise(source, language, how)))
        assert comparison.suspicious, (problem, language, how, comparison.similarity)


def test_renaming_and_whitespace_change_nothing():
    source = corpus.PY_GRAPH_A
    changed = corpus.comments_and_whitespace(corpus.rename(source), "python3")
    assert similarity.compare(fp("python3", source), fp("python3", changed)).similarity == 1.0


def test_fragments_point_at_the_copied_lines():
    helper = corpus.PY_GRAPH_A.split("def main")[0]  # imports and bfs: lines 1-17
    other = "x = int(input())\nprint(x * 2)\n" * 3 + corpus.rename(helper)
    comparison = similarity.compare(fp("python3", corpus.PY_GRAPH_A), fp("python3", other))
    assert comparison.fragments
    first = comparison.fragments[0]
    assert 2 <= first.left_start <= 6 and first.left_end >= 14
    assert first.right_start >= 7  # shifted by the six inserted lines
    assert first.right_start - first.left_start == 6


def test_base_code_is_not_counted():
    template = "import sys\n\ndef read_ints():\n    return list(map(int, sys.stdin.readline().split()))\n\n"
    template += "def write(values):\n    sys.stdout.write(' '.join(map(str, values)) + '\\n')\n\n"
    a = template + "n = read_ints()[0]\nwrite([n * 2])\n"
    b = template + "values = read_ints()\nvalues.sort()\nwrite(values)\nprint(len(values))\n"
    without_base = similarity.compare(fp("python3", a), fp("python3", b)).similarity
    base = fp("python3", template)
    with_base = similarity.compare(
        similarity.program_fingerprints(grammar_for("python3"), a, base),
        similarity.program_fingerprints(grammar_for("python3"), b, base),
    ).similarity
    assert without_base >= similarity.SUSPICIOUS > with_base


def test_languages_without_a_grammar_use_the_reduced_lexer():
    go = 'package main\nimport "fmt"\nfunc main() {\n\tvar n int\n\tfmt.Scan(&n)\n\tfor i := 0; i < n; i++ {\n'
    go += "\t\tfmt.Println(i * i)\n\t}\n}\n"
    renamed = re.sub(r"\bi\b", "k", re.sub(r"\bn\b", "count", go)).replace("\tvar", "\t// read it\n\tvar")
    unrelated = 'package main\nimport "os"\nfunc main() {\n\tos.Exit(3)\n}\n'
    same = similarity.compare(similarity.program_fingerprints(None, go), similarity.program_fingerprints(None, renamed))
    other = similarity.compare(
        similarity.program_fingerprints(None, go), similarity.program_fingerprints(None, unrelated)
    )
    assert same.similarity > 0.8 > other.similarity


def test_the_index_ranks_exactly_what_pairwise_comparison_finds(programs, fingerprints):
    index = similarity.SimilarityIndex()
    for p in programs:
        index.add(
            similarity.Entry(p.submission_id, p.author, f"{p.problem}/{p.language}", fingerprints[p.submission_id])
        )
    index.add(similarity.Entry(programs[0].submission_id, "x", "ignored", fingerprints[programs[0].submission_id]))
    assert len(index) == len(programs)
    entries = [e for p in programs if (e := index.get(p.submission_id)) is not None]
    pairs = index.candidates(entries, similarity.SUSPICIOUS)
    expected = {
        tuple(sorted((a.submission_id, b.submission_id)))
        for a, b in itertools.combinations(programs, 2)
        if a.problem == b.problem
        and a.language == b.language
        and a.author != b.author
        and similarity.compare(fingerprints[a.submission_id], fingerprints[b.submission_id]).suspicious
    }
    assert {tuple(sorted((p.left.submission_id, p.right.submission_id))) for p in pairs} == expected
    assert [p.comparison.similarity for p in pairs] == sorted((p.comparison.similarity for p in pairs), reverse=True)


def test_the_same_author_is_never_paired_with_themselves():
    index = similarity.SimilarityIndex()
    f = fp("python3", corpus.PY_SUM_A)
    index.add(similarity.Entry("s1", "ana", "sum/python", f))
    index.add(similarity.Entry("s2", "ana", "sum/python", f))
    index.add(similarity.Entry("s3", "bob", "sum/python", f))
    pairs = index.candidates([index.get("s1"), index.get("s2"), index.get("s3")], 0.5)  # type: ignore[list-item]
    assert {(p.left.submission_id, p.right.submission_id) for p in pairs} == {("s1", "s3"), ("s2", "s3")}


def test_winnowing_guarantee_a_long_enough_match_is_always_found():
    stream = [similarity.Token(f"t{i % 37}", i) for i in range(300)]
    shared = stream[100 : 100 + similarity.K + similarity.W - 1]
    other = (
        [similarity.Token(f"u{i}", i) for i in range(50)] + shared + [similarity.Token(f"v{i}", i) for i in range(50)]
    )
    a, b = similarity.fingerprint(stream), similarity.fingerprint(other)
    assert a.hashes.keys() & b.hashes.keys()
