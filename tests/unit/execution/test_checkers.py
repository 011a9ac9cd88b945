"""Checkers: whitespace, tokens, float tolerance, and what messages may reveal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arena.execution.checkers import CheckerSpec, check

EXACT, TOKENS, FLOAT = CheckerSpec("EXACT"), CheckerSpec("TOKENS"), CheckerSpec("FLOAT", 1e-6, 1e-6)


@pytest.mark.parametrize(
    ("expected", "actual", "accepted"),
    [
        ("a b\nc\n", "a b\nc\n", True),
        ("a b\nc\n", "a b   \nc", True),  # trailing spaces and the final newline do not matter
        ("a b\nc\n", "a b\nc\n\n\n", True),  # nor trailing empty lines
        ("a b\nc\n", "a  b\nc\n", False),  # inner whitespace does
        ("a b\nc\n", "a b\n\nc\n", False),
        ("a\r\nb\r\n", "a\nb\n", True),  # Windows line ends
        ("x\n", "", False),
    ],
)
def test_exact(expected: str, actual: str, accepted: bool):
    assert check(expected, actual, EXACT, reveal=True).accepted is accepted


@pytest.mark.parametrize(
    ("expected", "actual", "accepted"),
    [
        ("1 2 3\n", "1\n2\n3", True),
        ("1 2 3", "1 2", False),
        ("1 2", "1 2 3", False),
        ("abc", "ABC", False),
        ("", "  \n", True),
    ],
)
def test_tokens(expected: str, actual: str, accepted: bool):
    assert check(expected, actual, TOKENS, reveal=True).accepted is accepted


@pytest.mark.parametrize(
    ("expected", "actual", "accepted"),
    [
        ("2.333333333", "2.3333333", True),  # absolute error 3e-8
        ("1000000", "1000000.5", True),  # relative error 5e-7
        ("0.5", "0.5001", False),
        ("1e-9", "0", True),  # absolute tolerance rescues tiny values
        ("nan", "nan", True),  # NaN only matches NaN
        ("nan", "0", False),
        ("inf", "inf", True),
        ("inf", "1e308", False),
        ("YES 1.5", "YES 1.5000001", True),  # words compared exactly, numbers within tolerance
        ("YES 1.5", "NO 1.5", False),
        ("1.5", "one and a half", False),
        ("1.5 2.5", "1.5", False),
    ],
)
def test_floats(expected: str, actual: str, accepted: bool):
    assert check(expected, actual, FLOAT, reveal=True).accepted is accepted


def test_messages_say_where_and_reveal_expected_output_only_for_samples():
    sample = check("1 2 3", "1 2 4", TOKENS, reveal=True)
    hidden = check("1 2 secret", "1 2 4", TOKENS, reveal=False)
    assert sample.message == "token 3 differs: expected '3', got '4'"
    assert hidden.message == "token 3 differs" and "secret" not in hidden.message
    assert "secret" not in check("secret\n", "x\n", EXACT, reveal=False).message
    assert "secret" not in check("1 secret", "1 2", FLOAT, reveal=False).message


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), max_size=20))
def test_a_correct_float_answer_is_always_accepted(values: list[float]):
    text = " ".join(repr(v) for v in values)
    assert check(text, text, FLOAT, reveal=True).accepted
    assert check(text, " ".join(f"{v:.17g}" for v in values), FLOAT, reveal=True).accepted


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_every_output_is_accepted_against_itself(text: str):
    for spec in (EXACT, TOKENS):
        assert check(text, text, spec, reveal=False).accepted
