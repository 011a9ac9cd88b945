# Guess the Number's interactor, testlib-style: run as `interactor input answer-output answer`.
import os
import sys


def say(*words: object) -> None:
    """Tells the program something; a program that stopped reading cannot have found the number."""
    try:
        print(*words, flush=True)
    except BrokenPipeError:
        print("the program stopped reading", file=sys.stderr)
        os._exit(2)  # not sys.exit: flushing the broken pipe again at exit would end with status 120


with open(sys.argv[1]) as test:
    secret, high = map(int, test.read().split())
if not 1 <= secret <= high:
    print(f"bad test: {secret} is not in 1..{high}", file=sys.stderr)
    sys.exit(3)
say(high)
queries = 0
while True:
    line = sys.stdin.readline(64)  # bounded: an endless line is cut, then refused
    if not line:
        print("the program ended without an answer", file=sys.stderr)
        sys.exit(2)
    parts = line.split()
    if len(parts) != 2 or parts[0] not in ("?", "!") or not parts[1].isdigit():
        print(f"expected `? y` or `! x`, got {line[:20]!r}", file=sys.stderr)
        sys.exit(2)
    guess = int(parts[1])
    if parts[0] == "!":
        if guess == secret:
            print(f"found in {queries} questions", file=sys.stderr)
            sys.exit(0)
        print(f"answered {guess}, which is wrong", file=sys.stderr)
        sys.exit(1)
    queries += 1
    if queries > 32:
        print("more than 32 questions", file=sys.stderr)
        sys.exit(1)
    say("<" if secret < guess else ">" if secret > guess else "=")
