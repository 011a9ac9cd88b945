"""The demo contestants' plan: every unsolved problem ends accepted, failing attempts come first."""

from __future__ import annotations

import random

from arena.demo.activity import attempts
from arena.demo.contest import DEMO_CONTESTANTS, DEMO_PROBLEMS, DEMO_SUBMISSIONS
from arena.demo.problems import load


def test_the_plan_solves_every_open_problem_once_after_its_failing_attempts() -> None:
    solutions = {p.slug: p.solutions for p in load() if p.slug in DEMO_PROBLEMS}
    already = {(who, slug) for who, slug, file in DEMO_SUBMISSIONS if file.startswith("accepted.")}
    for seed in range(20):
        plan = attempts(solutions, random.Random(seed))
        for contestant in DEMO_CONTESTANTS:
            for slug in DEMO_PROBLEMS:
                mine = [f for who, s, f in plan if (who, s) == (contestant, slug)]
                if (contestant, slug) in already:
                    assert mine == []
                    continue
                assert mine and mine[-1].startswith("accepted.") and mine[-1] in solutions[slug]
                assert all(not f.startswith("accepted.") for f in mine[:-1]) and len(mine) <= 3
    assert attempts(solutions, random.Random(1)) == attempts(solutions, random.Random(1))
