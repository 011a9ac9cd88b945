"""Every demo problem's reference solution is ACCEPTED in every language; wrong ones are not."""

from __future__ import annotations

import pytest

from arena.demo.problems import load
from arena.execution.domain import Verdict
from arena.execution.judge import Judge, Steps
from integration.execution.conftest import bundle_of

pytestmark = pytest.mark.timeout(300)
PROBLEMS = load()
CASES = [(p, name) for p in PROBLEMS for name in p.solutions]


class Recorder(Steps):
    def __init__(self) -> None:
        self.steps: list[str] = []

    async def compiling(self) -> None:
        self.steps.append("compiling")

    async def running(self) -> None:
        self.steps.append("running")

    async def test_finished(self, outcome) -> None:
        self.steps.append(f"test {outcome.ordinal} {outcome.verdict.name}")


def test_every_language_has_a_reference_solution_for_every_problem():
    for problem in PROBLEMS:
        languages = {language for name, (language, _) in problem.solutions.items() if name.startswith("accepted")}
        assert languages == {"python3", "c", "cpp", "javascript", "java"}, problem.slug


@pytest.mark.parametrize(("problem", "name"), CASES, ids=[f"{p.slug}/{n}" for p, n in CASES])
async def test_reference_solutions(judge: Judge, languages, problem, name: str):
    language_id, source = problem.solutions[name]
    if language_id not in languages:
        pytest.fail(f"{language_id} is not available on this machine")
    recorder = Recorder()
    final = await judge.judge(languages[language_id], source, bundle_of(problem), run_all_tests=False, steps=recorder)
    if name.startswith("accepted"):
        assert final.verdict is Verdict.ACCEPTED, (recorder.steps, final)
        assert final.passed == final.test_count == len(problem.tests)
        assert recorder.steps[:2] == ["compiling", "running"]
        assert recorder.steps[2:] == [f"test {i} ACCEPTED" for i in range(1, len(problem.tests) + 1)]
    elif name.startswith("wrong"):
        assert final.verdict is Verdict.WRONG_ANSWER, (recorder.steps, final)
        assert "SKIPPED" in recorder.steps[-1]  # stopped at the first failure, the rest skipped
    elif name.startswith("slow"):
        assert final.verdict is Verdict.TIME_LIMIT_EXCEEDED, (recorder.steps, final)
