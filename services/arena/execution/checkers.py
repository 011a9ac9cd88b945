"""Output checkers: plain functions with one contract, ``(expected, actual, checker) -> CheckResult``.

Messages say where the output differs. ``reveal`` decides whether they may quote the expected
output: yes for sample tests, never for hidden ones (their data never leaves the judge).

A problem's own checker program (``PROGRAM``) is run by the judge in the sandbox; what its exit
tells is read here, by ``from_testlib_exit`` (testlib's convention, see problem.proto's CHECKER_KIND_PROGRAM);
so is what an interactive problem's interactor tells (``InteractorSpec``, problem.proto's Interactor).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable

_MESSAGE_QUOTE = 40
CHECKER_MESSAGE_CAP_BYTES = 1024

# testlib's exit codes (testlib.h: _ok, _wa, _pe, _fail, _points).
TESTLIB_OK = 0
TESTLIB_WRONG_ANSWER = 1
TESTLIB_PRESENTATION_ERROR = 2
TESTLIB_FAIL = 3
TESTLIB_POINTS = 7
_POINTS_LINE = re.compile(r"\A\s*points\s+(\S+)\s*(.*)\Z", re.DOTALL)


@dataclasses.dataclass(frozen=True)
class CheckResult:
    accepted: bool
    message: str = ""
    fraction: float = 0.0
    """For a rejected output, the part of the test's points it still earns (a checker program's
    partial verdict); 0 otherwise."""
    checker_failed: bool = False
    """The checker itself failed: a judge error, never the contestant's fault."""


@dataclasses.dataclass(frozen=True)
class CheckerSpec:
    kind: str
    """``EXACT``, ``TOKENS``, ``FLOAT`` or ``PROGRAM``."""
    absolute_tolerance: float = 1e-6
    relative_tolerance: float = 1e-6
    program_language_id: str = ""
    """For ``PROGRAM``: the checker's language."""
    program_source: str = ""
    """For ``PROGRAM``: the checker's source."""


@dataclasses.dataclass(frozen=True)
class InteractorSpec:
    """An interactive problem's interactor: a program in one of the judge's languages, talking with
    the contestant's program over pipes; its exit decides the test by testlib's convention."""

    language_id: str
    source: str


def _checker_text(data: bytes) -> str:
    text = data[:CHECKER_MESSAGE_CAP_BYTES].decode("utf-8", errors="replace").strip()
    return text + (" [truncated]" if len(data) > CHECKER_MESSAGE_CAP_BYTES else "")


def checker_failure(message: str, *, who: str = "checker") -> CheckResult:
    return CheckResult(False, f"{who} failed: {message}", checker_failed=True)


def from_testlib_exit(exit_code: int | None, stdout: bytes, stderr: bytes, *, who: str = "checker") -> CheckResult:
    """What a checker program that exited with ``exit_code`` (None: killed) said, by testlib's rules.

    0 accepted, 1 wrong answer, 2 presentation error (a wrong answer here), 7 partial: the message
    starts with ``points <fraction>`` (0 to 1). 3 (testlib's FAIL) and anything else are the
    checker's failure. The message is the checker's stderr (testlib writes there), else its stdout."""
    message = _checker_text(stderr) or _checker_text(stdout)
    if exit_code == TESTLIB_OK:
        return CheckResult(True, message)
    if exit_code == TESTLIB_WRONG_ANSWER:
        return CheckResult(False, message or "wrong answer")
    if exit_code == TESTLIB_PRESENTATION_ERROR:
        return CheckResult(False, "presentation error" + (f": {message}" if message else ""))
    if exit_code == TESTLIB_POINTS:
        match = _POINTS_LINE.match(message)
        try:
            fraction = float(match.group(1)) if match else math.nan
        except ValueError:
            fraction = math.nan
        if not 0.0 <= fraction <= 1.0:  # also false for NaN
            return checker_failure(
                f"exit 7 needs `points <fraction from 0 to 1>` first; said {message[:80]!r}", who=who
            )
        if fraction == 1.0:
            return CheckResult(True, message)
        return CheckResult(False, message, fraction=fraction)
    if exit_code == TESTLIB_FAIL:
        return checker_failure(message or "FAIL (exit 3)", who=who)
    if exit_code is None:
        return checker_failure("killed by a signal" + (f": {message}" if message else ""), who=who)
    return checker_failure(f"unknown exit code {exit_code}" + (f": {message}" if message else ""), who=who)


def _quote(text: str) -> str:
    return repr(text if len(text) <= _MESSAGE_QUOTE else text[:_MESSAGE_QUOTE] + "…")


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def exact(expected: str, actual: str, spec: CheckerSpec, *, reveal: bool) -> CheckResult:
    """Line by line, ignoring trailing whitespace on each line and trailing empty lines."""
    want, got = _lines(expected), _lines(actual)
    for number, (a, b) in enumerate(zip(want, got, strict=False), start=1):
        if a != b:
            detail = f": expected {_quote(a)}, got {_quote(b)}" if reveal else ""
            return CheckResult(False, f"line {number} differs{detail}")
    if len(want) != len(got):
        return CheckResult(False, f"expected {len(want)} lines, got {len(got)}")
    return CheckResult(True)


def tokens(expected: str, actual: str, spec: CheckerSpec, *, reveal: bool) -> CheckResult:
    """The outputs are equal as sequences of whitespace-separated tokens."""
    want, got = expected.split(), actual.split()
    for number, (a, b) in enumerate(zip(want, got, strict=False), start=1):
        if a != b:
            detail = f": expected {_quote(a)}, got {_quote(b)}" if reveal else ""
            return CheckResult(False, f"token {number} differs{detail}")
    if len(want) != len(got):
        return CheckResult(False, f"expected {len(want)} tokens, got {len(got)}")
    return CheckResult(True)


def _close(want: float, got: float, spec: CheckerSpec) -> bool:
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)  # NaN matches only NaN
    if math.isinf(want) or math.isinf(got):
        return want == got  # an infinity matches only the same infinity
    difference = abs(want - got)
    # Accepted within either tolerance (the usual contest rule), never with a negative one.
    return difference <= spec.absolute_tolerance or difference <= spec.relative_tolerance * abs(want)


def floats(expected: str, actual: str, spec: CheckerSpec, *, reveal: bool) -> CheckResult:
    """Tokens compared as numbers within tolerance where the expected token is a number, exactly otherwise."""
    want, got = expected.split(), actual.split()
    if len(want) != len(got):
        return CheckResult(False, f"expected {len(want)} tokens, got {len(got)}")
    for number, (a, b) in enumerate(zip(want, got, strict=True), start=1):
        try:
            expected_value = float(a)
        except ValueError:
            if a != b:
                detail = f": expected {_quote(a)}, got {_quote(b)}" if reveal else ""
                return CheckResult(False, f"token {number} differs{detail}")
            continue
        try:
            actual_value = float(b)
        except ValueError:
            return CheckResult(False, f"token {number} is not a number" + (f": {_quote(b)}" if reveal else ""))
        if not _close(expected_value, actual_value, spec):
            detail = f": expected {a}, got {_quote(b)}" if reveal else ""
            return CheckResult(False, f"token {number} is off by more than the tolerance{detail}")
    return CheckResult(True)


CHECKERS: dict[str, Callable[..., CheckResult]] = {"EXACT": exact, "TOKENS": tokens, "FLOAT": floats}


def check(expected: str, actual: str, spec: CheckerSpec, *, reveal: bool) -> CheckResult:
    return CHECKERS[spec.kind](expected, actual, spec, reveal=reveal)
