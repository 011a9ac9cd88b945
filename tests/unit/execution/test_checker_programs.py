"""What a checker program's exit tells, by testlib's rules: never the contestant's fault when it fails."""

from __future__ import annotations

import pytest

from arena.execution.checkers import from_testlib_exit
from arena.execution.domain import RunStatus, Verdict, decide_verdict


def verdict(exit_code: int | None, stderr: bytes = b"", stdout: bytes = b"") -> Verdict:
    return decide_verdict(RunStatus.OK, from_testlib_exit(exit_code, stdout, stderr))


def test_ok_wrong_answer_and_presentation_error():
    assert verdict(0, b"ok 3 numbers") is Verdict.ACCEPTED
    assert verdict(1, b"wrong answer expected 3, found 4") is Verdict.WRONG_ANSWER
    assert verdict(2) is Verdict.WRONG_ANSWER
    assert from_testlib_exit(2, b"", b"extra token").message == "presentation error: extra token"


def test_partial_points_are_a_fraction_of_the_test():
    result = from_testlib_exit(7, b"", b"points 0.25 two of eight edges")
    assert (result.accepted, result.fraction, result.checker_failed) == (False, 0.25, False)
    assert from_testlib_exit(7, b"points 1\n", b"").accepted  # on stdout, and a whole fraction is a pass
    assert from_testlib_exit(7, b"", b"points 0").fraction == 0.0


@pytest.mark.parametrize(
    ("exit_code", "stderr"),
    [
        (3, b"FAIL answer file is empty"),  # testlib's FAIL: the checker or the answer is wrong
        (7, b"points 1.5 too many"),  # a fraction out of range
        (7, b"points nan"),
        (7, b"partially right"),  # no points line
        (4, b""),  # an exit code testlib does not define
        (42, b"garbage"),
        (-1, b""),
        (None, b""),  # killed by a signal
    ],
)
def test_a_failing_checker_is_a_judge_error_never_wrong_answer(exit_code: int | None, stderr: bytes):
    result = from_testlib_exit(exit_code, b"", stderr)
    assert result.checker_failed
    assert verdict(exit_code, stderr) is Verdict.INTERNAL_ERROR


def test_messages_are_capped():
    assert len(from_testlib_exit(1, b"", b"x" * 10_000).message) < 1100
