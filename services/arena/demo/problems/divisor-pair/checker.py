"""Divisor Pair's checker: argv = input, contestant's output, jury's answer (testlib's order)."""

import sys

OK, WRONG_ANSWER, PRESENTATION_ERROR, FAIL = 0, 1, 2, 3


def verdict(code: int, message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(code)


def pair(text: str) -> tuple[int, int] | None:
    tokens = text.split()
    if len(tokens) != 2 or not all(t.isdigit() for t in tokens):
        return None
    return int(tokens[0]), int(tokens[1])


def valid(n: int, a: int, b: int) -> bool:
    return a > 1 and b > 1 and a * b == n


with open(sys.argv[1]) as test_input, open(sys.argv[2]) as output, open(sys.argv[3]) as answer:
    n = int(test_input.read())
    jury = pair(answer.read())
    if jury is None or not valid(n, *jury):
        verdict(FAIL, f"the jury's answer for {n} is not a valid pair")
    found = pair(output.read())
    if found is None:
        verdict(PRESENTATION_ERROR, "expected two positive integers")
    if not valid(n, *found):
        verdict(WRONG_ANSWER, f"{found[0]} x {found[1]} is not a pair of divisors greater than 1 of {n}")
    verdict(OK, f"{found[0]} x {found[1]} = {n}")
