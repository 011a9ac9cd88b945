"""One builder for problems in tests: content, stored-looking problems, callers, and inserting through
a store or the use cases (tests/unit/problem and tests/integration/db/test_problem_store.py share it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any

from arena.core.identity import Identity
from arena.kit.ids import new_id
from arena.problem.app import ProblemApp
from arena.problem.domain import Checker, Content, Difficulty, Problem, Visibility, validate
from arena.problem.domain import TestCase as Case
from arena.problem.store import ProblemStore

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def caller(user_id: str, *roles: str) -> Identity:
    """A signed-in caller with these roles (USER when none is given)."""
    return Identity(user_id, user_id, frozenset(roles or {"USER"}), "t", "s", 9e9)


ALICE = caller("alice", "USER", "SETTER")
BOB = caller("bob", "USER", "SETTER")
ROOT = caller("root", "USER", "SETTER", "ADMIN")
USER = caller("ursula")
USER2 = caller("victor")


def content(**changes: Any) -> Content:
    """What an author writes, as they wrote it (not validated): a sum of two integers with one sample
    and two hidden tests. The slug is empty, so it is derived from the title."""
    base = Content(
        slug="",
        title="Sum of Two",
        statement="Print the sum of two integers.",
        difficulty=Difficulty.EASY,
        tags=("math",),
        time_limit_ms=1000,
        memory_limit_kib=256 * 1024,
        checker=Checker(),
        visibility=Visibility.PUBLIC,
        sample_tests=(Case("1 2\n", "3\n", True, "1 + 2 = 3"),),
        hidden_tests=(Case("40 2\n", "42\n", False), Case("-1 1\n", "0\n", False)),
    )
    return dataclasses.replace(base, **changes)


def valid(**changes: Any) -> Content:
    """The content as the use cases hand it to a store: validated and cleaned."""
    return validate(content(**changes))


def problem(
    author_id: str = "author",
    visibility: Visibility = Visibility.PUBLIC,
    *,
    problem_id: str = "p1",
    when: dt.datetime = T0,
    **changes: Any,
) -> Problem:
    """A problem as a store would return it, without a store."""
    written = content(visibility=visibility, **changes)
    return Problem(
        problem_id=problem_id,
        content=written,
        author_id=author_id,
        like_count=0,
        bookmark_count=0,
        revision=1,
        create_time=when,
        update_time=when,
        hidden_test_count=len(written.hidden_tests),
    )


_tick = itertools.count(1)


async def insert(
    store: ProblemStore, author: str = "alice", when: dt.datetime | None = None, **changes: Any
) -> Problem:
    """Stores valid content straight through the port, each problem a second later than the last unless ``when``."""
    return await store.insert(new_id(), valid(**changes), author, when or T0 + dt.timedelta(seconds=next(_tick)))


async def new(app: ProblemApp, who: Identity = ALICE, **changes: Any) -> Problem:
    """Creates a problem through the use case (validated there)."""
    return await app.create(who, content(**changes))
