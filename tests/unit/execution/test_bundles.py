"""The judge bundle as the judge reads it: an interactor only when the problem has one."""

from __future__ import annotations

from arena.execution.bundles import bundle_from
from arena.execution.checkers import InteractorSpec
from arena.problem.v1 import problem_pb2


def test_an_interactor_reaches_the_judge_with_its_source():
    message = problem_pb2.JudgeBundle(
        problem_id="p", revision=3, interactor=problem_pb2.Interactor(language_id="cpp", source="int main(){}")
    )
    assert bundle_from(message).interactor == InteractorSpec("cpp", "int main(){}")


def test_a_plain_problem_has_no_interactor():
    assert bundle_from(problem_pb2.JudgeBundle(problem_id="p", revision=1)).interactor is None
