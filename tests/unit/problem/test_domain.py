"""The problem domain's rules, without I/O: validation, slugs, who may see and change a problem."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from arena.kit.auth import Identity
from arena.kit.errors import InvalidArgument
from arena.problem import domain
from arena.problem.domain import (
    Checker,
    CheckerKind,
    Content,
    Difficulty,
    Problem,
    Visibility,
    can_edit,
    can_see,
    slugify,
    validate,
)
from arena.problem.domain import TestCase as Case

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def content(**changes) -> Content:
    base = Content(
        slug="two-sum",
        title="Two Sum",
        statement="Add two numbers.",
        difficulty=Difficulty.EASY,
        tags=("math",),
        time_limit_ms=1000,
        memory_limit_kib=256 * 1024,
        checker=Checker(),
        visibility=Visibility.PUBLIC,
        sample_tests=(Case("1 2\n", "3\n", True, "one plus two"),),
        hidden_tests=(Case("5 7\n", "12\n", False),),
    )
    return dataclasses.replace(base, **changes)


def problem(author_id: str = "author", visibility: Visibility = Visibility.PUBLIC, **changes) -> Problem:
    return Problem(
        problem_id="p1",
        content=content(visibility=visibility, **changes),
        author_id=author_id,
        like_count=0,
        bookmark_count=0,
        revision=1,
        create_time=NOW,
        update_time=NOW,
        hidden_test_count=1,
    )


def caller(user_id: str, *roles: str) -> Identity:
    return Identity(user_id, user_id, frozenset(roles or {"USER"}), "t", "s", 9e9)


def violations(bad: Content) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as caught:
        validate(bad)
    assert caught.value.reason == "VALIDATION_FAILED"
    return {v.field: v.description for v in caught.value.violations}


# -- validation: what passes, cleaned -------------------------------------------------------------


def test_a_valid_problem_passes_unchanged():
    assert validate(content()) == content()


def test_title_is_trimmed_and_normalized():
    cleaned = validate(content(title="  Cafe\u0301 Queries \n"))
    assert cleaned.title == "Caf\u00e9 Queries"


def test_an_empty_slug_is_derived_from_the_title():
    assert validate(content(slug="", title="Longest Path in a DAG!")).slug == "longest-path-in-a-dag"
    assert validate(content(slug="  ", title="Caf\u00e9 au lait")).slug == "cafe-au-lait"


def test_tags_are_lowercased_trimmed_and_deduplicated_in_order():
    assert validate(content(tags=(" Graphs", "dp", "graphs", "DP ", "bfs"))).tags == ("graphs", "dp", "bfs")


def test_sample_and_hidden_flags_come_from_the_group_not_the_caller():
    cleaned = validate(
        content(
            sample_tests=(Case("a", "b", False, "why"),),
            hidden_tests=(Case("c", "d", True, "secret explanation"),),
        )
    )
    assert cleaned.sample_tests == (Case("a", "b", True, "why"),)
    # Hidden tests carry no explanation: nothing about them is meant to be shown.
    assert cleaned.hidden_tests == (Case("c", "d", False, ""),)


@pytest.mark.parametrize("kind", list(CheckerKind))
def test_every_checker_kind_is_accepted(kind: CheckerKind):
    checker = Checker(kind, absolute_tolerance=1e-3, relative_tolerance=0.0)
    assert validate(content(checker=checker)).checker == checker


@pytest.mark.parametrize(
    ("time_limit_ms", "memory_limit_kib"),
    [(100, 16 * 1024), (10_000, 1024 * 1024), (domain.DEFAULT_TIME_LIMIT_MS, domain.DEFAULT_MEMORY_LIMIT_KIB)],
)
def test_limits_at_the_bounds_are_accepted(time_limit_ms: int, memory_limit_kib: int):
    cleaned = validate(content(time_limit_ms=time_limit_ms, memory_limit_kib=memory_limit_kib))
    assert (cleaned.time_limit_ms, cleaned.memory_limit_kib) == (time_limit_ms, memory_limit_kib)


def test_the_largest_allowed_sizes_pass():
    validate(
        content(
            title="x" * domain.TITLE_MAX,
            slug="a" * domain.SLUG_MAX,
            statement="s" * domain.STATEMENT_MAX_BYTES,
            tags=tuple(f"t{i}" for i in range(domain.MAX_TAGS)),
            sample_tests=(),
            hidden_tests=tuple(Case(str(i), str(i), False) for i in range(domain.MAX_TESTS)),
        )
    )


# -- validation: what fails, and which field it names ---------------------------------------------


@pytest.mark.parametrize("title", ["", "   ", "x" * (domain.TITLE_MAX + 1)])
def test_bad_titles_are_refused(title: str):
    assert set(violations(content(title=title, slug="ok"))) == {"problem.title"}


@pytest.mark.parametrize("statement", ["", " \n\t ", "é" * (domain.STATEMENT_MAX_BYTES // 2 + 1)])
def test_bad_statements_are_refused(statement: str):
    assert set(violations(content(statement=statement))) == {"problem.statement"}


@pytest.mark.parametrize(
    "slug", ["Two-Sum", "two_sum", "two--sum", "-two", "two-", "two sum", "ü", "a" * (domain.SLUG_MAX + 1)]
)
def test_bad_slugs_are_refused(slug: str):
    assert set(violations(content(slug=slug))) == {"problem.slug"}


@pytest.mark.parametrize(
    "tags",
    [
        ("has space",),
        ("-leading",),
        ("x" * 33,),
        ("ünicode",),
        ("",),
        tuple(f"t{i}" for i in range(domain.MAX_TAGS + 1)),
    ],
)
def test_bad_tags_are_refused(tags: tuple[str, ...]):
    assert set(violations(content(tags=tags))) == {"problem.tags"}


@pytest.mark.parametrize("time_limit_ms", [0, 99, 10_001, -5])
def test_time_limits_out_of_range_are_refused(time_limit_ms: int):
    assert set(violations(content(time_limit_ms=time_limit_ms))) == {"problem.time_limit"}


@pytest.mark.parametrize("memory_limit_kib", [0, 16 * 1024 - 1, 1024 * 1024 + 1])
def test_memory_limits_out_of_range_are_refused(memory_limit_kib: int):
    assert set(violations(content(memory_limit_kib=memory_limit_kib))) == {"problem.memory_limit_kib"}


@pytest.mark.parametrize("tolerance", [-1e-9, 1.0000001, math.nan, math.inf])
def test_bad_checker_tolerances_are_refused(tolerance: float):
    bad = content(checker=Checker(CheckerKind.FLOAT, absolute_tolerance=tolerance))
    assert set(violations(bad)) == {"problem.checker.absolute_tolerance"}
    bad = content(checker=Checker(CheckerKind.FLOAT, relative_tolerance=tolerance))
    assert set(violations(bad)) == {"problem.checker.relative_tolerance"}


def test_too_many_tests_are_refused():
    tests = tuple(Case("1", "1", False) for _ in range(domain.MAX_TESTS))
    assert set(violations(content(hidden_tests=tests))) == {"problem.hidden_tests"}  # one sample + 100


def test_an_oversized_test_field_is_named():
    big = "x" * (domain.MAX_TEST_FIELD_BYTES + 1)
    bad = content(hidden_tests=(Case("1", "1", False), Case("1", big, False)))
    assert set(violations(bad)) == {"problem.hidden_tests[1].expected_output"}
    bad = content(sample_tests=(Case(big, "1", True),))
    assert set(violations(bad)) == {"problem.sample_tests[0].input"}


def test_all_tests_together_have_a_size_limit():
    chunk = "x" * domain.MAX_TEST_FIELD_BYTES  # each field is at the limit, the sum is over it
    tests = tuple(Case(chunk, "", False) for _ in range(domain.MAX_TOTAL_TEST_BYTES // len(chunk) + 1))
    assert set(violations(content(hidden_tests=tests))) == {"problem.hidden_tests"}


def test_every_bad_field_is_reported_at_once_with_the_prefix():
    bad = content(title="", statement="", slug="Bad Slug", time_limit_ms=1, memory_limit_kib=1, tags=("Bad Tag",))
    with pytest.raises(InvalidArgument) as caught:
        validate(bad, prefix="p")
    assert {v.field for v in caught.value.violations} == {
        "p.title",
        "p.statement",
        "p.slug",
        "p.tags",
        "p.time_limit",
        "p.memory_limit_kib",
    }


# -- slugs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  A   B  ", "a-b"),
        ("Ünïcödé Trees", "unicode-trees"),
        ("!!!", "problem"),
        ("日本語", "problem"),
        ("x" * 100, "x" * 64),
        ("a" * 63 + " b", "a" * 63),  # never ends in `-` after cutting
    ],
)
def test_slugify(title: str, slug: str):
    assert slugify(title) == slug
    assert domain.SLUG_PATTERN.match(slug) and len(slug) <= domain.SLUG_MAX


# -- who may see and change a problem -------------------------------------------------------------


def test_only_the_author_or_an_admin_may_edit():
    public = problem(author_id="alice")
    assert can_edit(public, caller("alice", "USER", "SETTER"))
    assert can_edit(public, caller("root", "USER", "SETTER", "ADMIN"))
    assert not can_edit(public, caller("bob", "USER", "SETTER"))
    assert not can_edit(public, caller("carol"))
    assert not can_edit(public, None)


def test_hidden_problems_are_seen_only_by_the_author_and_admins():
    hidden = problem(author_id="alice", visibility=Visibility.HIDDEN)
    assert can_see(hidden, caller("alice", "SETTER"))
    assert can_see(hidden, caller("root", "ADMIN"))
    assert not can_see(hidden, caller("bob", "SETTER"))
    assert not can_see(hidden, None)
    public = problem(author_id="alice")
    assert can_see(public, None) and can_see(public, caller("bob"))


def test_tests_are_numbered_samples_first():
    p = problem(
        sample_tests=(Case("s1", "o", True), Case("s2", "o", True)),
        hidden_tests=(Case("h1", "o", False),),
    )
    assert [(t.ordinal, t.input, t.sample) for t in p.tests] == [(1, "s1", True), (2, "s2", True), (3, "h1", False)]


def test_identity_and_counters_are_not_updatable():
    assert {"slug", "title", "statement", "sample_tests", "hidden_tests", "visibility"} <= domain.UPDATABLE_FIELDS
    assert not {"problem_id", "author_id", "like_count", "revision", "create_time"} & domain.UPDATABLE_FIELDS


def test_every_updatable_field_is_a_content_field():
    # The app applies changes with dataclasses.replace(content, **changes), checked against this set.
    assert not domain.UPDATABLE_FIELDS - {f.name for f in dataclasses.fields(Content)}
