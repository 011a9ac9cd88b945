"""Required-field validation compiled from google.api.field_behavior."""

from __future__ import annotations

import pytest
from google.protobuf import field_mask_pb2

from arena.contest.v1 import contest_pb2, contest_service_pb2
from arena.kit.errors import InvalidArgument
from arena.kit.validation import RequestValidator
from arena.problem.v1 import problem_pb2, problem_service_pb2
from arena.user.v1 import user_service_pb2


def fields(validator: RequestValidator, request) -> list[str]:
    return [v.field for v in validator.violations(request)]


def test_missing_top_level_fields_are_listed():
    validator = RequestValidator(user_service_pb2.CreateUserRequest.DESCRIPTOR)
    assert fields(validator, user_service_pb2.CreateUserRequest()) == ["username", "email", "password"]
    assert fields(validator, user_service_pb2.CreateUserRequest(username="a", email="b", password="c")) == []


def test_nested_required_fields_are_checked_when_the_message_is_present():
    validator = RequestValidator(problem_service_pb2.CreateProblemRequest.DESCRIPTOR)
    assert fields(validator, problem_service_pb2.CreateProblemRequest()) == ["problem"]
    request = problem_service_pb2.CreateProblemRequest(problem=problem_pb2.Problem(title="A+B"))
    assert fields(validator, request) == ["problem.statement", "problem.difficulty"]


def test_repeated_message_elements_are_checked_with_their_index():
    validator = RequestValidator(contest_service_pb2.CreateContestRequest.DESCRIPTOR)
    contest = contest_pb2.Contest(
        title="Round 1",
        scoring_rule=contest_pb2.SCORING_RULE_ICPC,
        problems=[contest_pb2.ContestProblem(problem_id="p1"), contest_pb2.ContestProblem()],
    )
    contest.start_time.GetCurrentTime()
    contest.duration.FromSeconds(3600)
    request = contest_service_pb2.CreateContestRequest(contest=contest)
    assert fields(validator, request) == ["contest.problems[1].problem_id"]


def test_partial_updates_require_the_identifier_not_the_resource_fields():
    validator = RequestValidator(problem_service_pb2.UpdateProblemRequest.DESCRIPTOR)
    request = problem_service_pb2.UpdateProblemRequest(
        problem=problem_pb2.Problem(title="new"), update_mask=field_mask_pb2.FieldMask(paths=["title"])
    )
    assert fields(validator, request) == ["problem.problem_id"]
    request.problem.problem_id = "p1"
    assert fields(validator, request) == []


def test_output_only_fields_are_ignored():
    validator = RequestValidator(problem_service_pb2.CreateProblemRequest.DESCRIPTOR)
    problem = problem_pb2.Problem(title="t", statement="s", difficulty=problem_pb2.DIFFICULTY_EASY, like_count=99)
    assert fields(validator, problem_service_pb2.CreateProblemRequest(problem=problem)) == []


def test_validate_raises_with_every_violation():
    validator = RequestValidator(user_service_pb2.LoginRequest.DESCRIPTOR)
    with pytest.raises(InvalidArgument) as caught:
        validator.validate(user_service_pb2.LoginRequest())
    assert [v.field for v in caught.value.violations] == ["username", "password"]
    assert "username" in caught.value.message and "password" in caught.value.message


def test_types_without_required_fields_are_trivial():
    assert RequestValidator(user_service_pb2.GetJwksRequest.DESCRIPTOR).trivial
    assert not RequestValidator(user_service_pb2.GetUserRequest.DESCRIPTOR).trivial


def test_nul_characters_are_refused_at_any_depth():
    validator = RequestValidator(problem_service_pb2.CreateProblemRequest.DESCRIPTOR)
    problem = problem_pb2.Problem(
        title="ok", statement="fine", difficulty=problem_pb2.DIFFICULTY_EASY, tags=["a", "b\x00"]
    )
    problem.sample_tests.add(input="1\x002", expected_output="3")
    found = {
        v.field: v.description for v in validator.violations(problem_service_pb2.CreateProblemRequest(problem=problem))
    }
    assert found == {
        "problem.tags": "must not contain NUL characters",
        "problem.sample_tests[0].input": "must not contain NUL characters",
    }
    assert not RequestValidator(user_service_pb2.GetUserRequest.DESCRIPTOR).trivial
