"""Output checkers: plain functions with one contract, ``(expected, actual, checker) -> CheckResult``.

Messages say where the output differs. ``reveal`` decides whether they may quote the expected
output: yes for sample tests, never for hidden ones (their data never leaves the judge).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

_MESSAGE_QUOTE = 40


@dataclasses.dataclass(frozen=True)
class CheckResult:
    accepted: bool
    message: str = ""


@dataclasses.dataclass(frozen=True)
class CheckerSpec:
    kind: str
    """``EXACT``, ``TOKENS`` or ``FLOAT``."""
    absolute_tolerance: float = 1e-6
    relative_tolerance: float = 1e-6


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
