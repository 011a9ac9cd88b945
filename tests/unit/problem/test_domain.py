"""The problem domain's rules, without I/O: validation, slugs, who may see and change a problem."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from arena.core.errors import InvalidArgument
from arena.problem import domain
from arena.problem.domain import (
    Checker,
    CheckerKind,
    Content,
    Difficulty,
    Embargo,
    Filters,
    Interactor,
    Visibility,
    VisibleProblems,
    can_edit,
    can_see,
    check_embargo,
    listing,
    slugify,
    validate,
    visible_to,
)
from arena.problem.domain import TestCase as Case
from support.problems import T0, caller, content, problem


def violations(bad: Content) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as caught:
        validate(bad)
    assert caught.value.reason == "VALIDATION_FAILED"
    return {v.field: v.description for v in caught.value.violations}


# -- validation: what passes, cleaned -------------------------------------------------------------


def test_a_valid_problem_passes_unchanged():
    assert validate(content(slug="sum-of-two")) == content(slug="sum-of-two")


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
    language, source = ("python3", "import sys\nsys.exit(0)\n") if kind is CheckerKind.PROGRAM else ("", "")
    checker = Checker(kind, 1e-3, 0.0, program_language_id=language, program_source=source)
    assert validate(content(checker=checker)).checker == checker


def test_a_checker_program_needs_a_language_and_a_source():
    found = violations(content(checker=Checker(CheckerKind.PROGRAM, program_language_id="C Sharp!")))
    assert set(found) == {"problem.checker.program_language_id", "problem.checker.program_source"}
    huge = Checker(CheckerKind.PROGRAM, program_language_id="cpp", program_source="x" * (64 * 1024 + 1))
    assert set(violations(content(checker=huge))) == {"problem.checker.program_source"}


def test_a_builtin_checker_keeps_no_program():
    stray = Checker(CheckerKind.TOKENS, program_language_id="python3", program_source="print(1)")
    cleaned = validate(content(checker=stray)).checker
    assert (cleaned.program_language_id, cleaned.program_source) == ("", "")


# -- test groups (subtasks) --------------------------------------------------------------------


def test_valid_groups_are_kept_with_their_names_cleaned():
    groups = (domain.TestGroup(" small ", 40, (2,)), domain.TestGroup("large", 60, (3,)))
    cleaned = validate(content(test_groups=groups, run_whole_failed_groups=True))
    assert cleaned.test_groups == (domain.TestGroup("small", 40, (2,)), domain.TestGroup("large", 60, (3,)))
    assert cleaned.run_whole_failed_groups is True


def test_tests_outside_every_group_are_allowed():
    assert validate(content(test_groups=(domain.TestGroup("all hidden", 100, (2, 3)),))).test_groups


@pytest.mark.parametrize(
    ("groups", "field", "words"),
    [
        ((domain.TestGroup("empty", 10, ()),), "problem.test_groups[0].test_ordinals", "at least one test"),
        ((domain.TestGroup("minus", -1, (1,)),), "problem.test_groups[0].points", "between 0"),
        ((domain.TestGroup("nan", math.nan, (1,)),), "problem.test_groups[0].points", "between 0"),
        ((domain.TestGroup("", 10, (1,)),), "problem.test_groups[0].name", "characters"),
        (
            (domain.TestGroup("a", 10, (1, 2)), domain.TestGroup("b", 10, (2, 3))),
            "problem.test_groups[1].test_ordinals",
            "test 2 is also in test_groups[0]",
        ),
        ((domain.TestGroup("a", 10, (2, 2)),), "problem.test_groups[0].test_ordinals", "twice"),
        ((domain.TestGroup("a", 10, (4,)),), "problem.test_groups[0].test_ordinals", "does not exist"),
        ((domain.TestGroup("a", 10, (0,)),), "problem.test_groups[0].test_ordinals", "does not exist"),
        (
            (domain.TestGroup("a", 10, (1,)), domain.TestGroup("a", 10, (2,))),
            "problem.test_groups[1].name",
            "another group",
        ),
    ],
)
def test_bad_groups_are_field_violations(groups, field: str, words: str):
    found = violations(content(test_groups=groups))
    assert field in found, found
    assert words in found[field]


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
    assert can_see(hidden, caller("alice", "SETTER"), T0)
    assert can_see(hidden, caller("root", "ADMIN"), T0)
    assert not can_see(hidden, caller("bob", "SETTER"), T0)
    assert not can_see(hidden, None, T0)
    public = problem(author_id="alice")
    assert can_see(public, None, T0) and can_see(public, caller("bob"), T0)


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


# -- visibility as data: one rule for a problem and for a list --------------------------------------

CALLERS = [None, caller("carol"), caller("alice", "SETTER"), caller("bob", "SETTER"), caller("root", "ADMIN")]


@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("who", CALLERS, ids=lambda c: c.user_id if c else "anonymous")
def test_a_caller_sees_public_problems_and_the_hidden_ones_they_may_edit(visibility, who):
    p = problem(author_id="alice", visibility=visibility)
    expected = visibility is Visibility.PUBLIC or can_edit(p, who)
    assert can_see(p, who, T0) is expected
    assert visible_to(who).includes(p, T0) is expected


@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("who", CALLERS, ids=lambda c: c.user_id if c else "anonymous")
def test_an_embargoed_problem_is_seen_only_by_those_who_may_edit_it_until_the_embargo_ends(visibility, who):
    p = dataclasses.replace(problem(author_id="alice", visibility=visibility), embargo_end=T0 + dt.timedelta(hours=1))
    before, at_end = T0 + dt.timedelta(minutes=59), T0 + dt.timedelta(hours=1)
    assert p.embargoed_at(before) and not p.embargoed_at(at_end)
    assert can_see(p, who, before) is can_edit(p, who)
    assert visible_to(who).includes(p, before) is can_edit(p, who)
    assert can_see(p, who, at_end) is (visibility is Visibility.PUBLIC or can_edit(p, who))
    never = problem(author_id="alice", visibility=visibility)
    assert never.embargo_end is None and not never.embargoed_at(T0)


def test_an_embargo_is_checked_and_cleaned():
    a, b = "a" * 32, "b" * 32
    end = T0 + dt.timedelta(hours=1)
    assert check_embargo("c-1", [a, b, a], end) == Embargo("c-1", (a, b), end)
    assert check_embargo("c-1", [], None) == Embargo("c-1", (), None)
    assert check_embargo("c-1", [], end).end is None  # lifting needs no end
    assert check_embargo("c-1", [a], T0 - dt.timedelta(days=1)).problem_ids == (a,)  # in the past: hides nothing
    with pytest.raises(InvalidArgument) as caught:
        check_embargo("", [a, "a-plus-b"], None)
    assert {v.field: v.description for v in caught.value.violations} == {
        "contest_id": "must be 1-64 letters, digits, `-` or `_`",
        "problem_ids[1]": "must be a problem id (32 hexadecimal digits)",
        "end_time": "is required to embargo problems",
    }
    with pytest.raises(InvalidArgument) as caught:
        check_embargo("x" * 65, [f"{i:032x}" for i in range(101)], end)
    assert [v.field for v in caught.value.violations] == ["contest_id", "problem_ids"]


def test_what_each_caller_may_see_is_a_plain_value():
    assert visible_to(None) == domain.PUBLIC_ONLY == VisibleProblems()
    assert visible_to(caller("alice", "SETTER")) == VisibleProblems(all_hidden=False, hidden_of_author="alice")
    assert visible_to(caller("root", "ADMIN")).all_hidden
    hash(visible_to(caller("root", "ADMIN")))  # part of a cached page's key


def test_filters_match_difficulty_tag_and_title_text_case_insensitively_and_literally():
    p = problem(title="100% Graph_Walk", tags=("graphs", "bfs"), difficulty=Difficulty.MEDIUM)
    assert Filters().matches(p)
    assert Filters(difficulty=Difficulty.MEDIUM, tag="GRAPHS", query="graph_w").matches(p)
    assert Filters(query="0% g").matches(p)
    assert not Filters(difficulty=Difficulty.EASY).matches(p)
    assert not Filters(tag="dp").matches(p)
    assert not Filters(query="graph walk").matches(p)  # `_` is a character, not a wildcard


def test_a_listing_takes_plain_request_values():
    who = caller("alice", "SETTER")
    asked = listing(who, difficulty=Difficulty.HARD, tag="t" * 40, query="q" * 200, order=" title ")
    assert asked.filters == Filters(Difficulty.HARD, "t" * domain.TAG_MAX, "q" * domain.TITLE_MAX)
    assert (asked.order, asked.viewer_id, asked.visible) == ("title", "alice", visible_to(who))
    anonymous = listing(None)
    assert (anonymous.order, anonymous.viewer_id, anonymous.visible) == ("create_time desc", None, domain.PUBLIC_ONLY)
    assert listing(None, tag="x") == listing(None, tag="x")  # equal requests, one cache key


def test_an_unknown_order_is_invalid():
    with pytest.raises(InvalidArgument) as caught:
        listing(None, order="random")
    assert caught.value.violations[0].field == "order_by"
    for order in domain.ORDERS:
        assert listing(None, order=order).order == order


def test_an_interactor_needs_a_language_and_a_source_and_no_checker_program():
    assert validate(content(interactor=Interactor("python3", "print(1)\n"))).interactor == Interactor(
        "python3", "print(1)\n"
    )
    assert set(violations(content(interactor=Interactor("C Sharp!", "")))) == {
        "problem.interactor.language_id",
        "problem.interactor.source",
    }
    huge = Interactor("cpp", "x" * (64 * 1024 + 1))
    assert set(violations(content(interactor=huge))) == {"problem.interactor.source"}
    program = Checker(CheckerKind.PROGRAM, program_language_id="python3", program_source="print(1)")
    assert set(violations(content(interactor=Interactor("c", "int main(){}"), checker=program))) == {
        "problem.checker.kind"
    }
