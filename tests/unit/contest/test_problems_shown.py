"""Before the start, a contest's problems show as labels and points only, except to its managers."""

from __future__ import annotations

import datetime as dt

from tests.unit.contest.test_domain import T0, contest, ident

from arena.contest.domain import problems_shown


def test_before_the_start_only_managers_see_which_problems() -> None:
    c = contest()
    before, after = T0 - dt.timedelta(minutes=1), T0
    for stranger in (None, ident("ann"), ident("other-setter", "SETTER")):
        hidden = problems_shown(c, stranger, before)
        assert [(p.problem_id, p.title, p.label, p.max_score) for p in hidden] == [
            ("", "", p.label, p.max_score) for p in c.spec.problems
        ]
        assert problems_shown(c, stranger, after) == c.spec.problems
    for manager in (ident("setter", "SETTER"), ident("root", "ADMIN")):
        assert problems_shown(c, manager, before) == c.spec.problems
