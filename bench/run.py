"""``make bench``: every benchmark, one after the other, each printing its table.

python -m bench.run [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

from bench import (
    ai_analysis,
    analytics,
    batch,
    board_stream,
    calls,
    getuser,
    instances,
    judge,
    launch,
    leaderboard,
    notification,
    problems,
    sandbox,
    standings,
    watch,
)

BENCHMARKS = {
    "getuser": getuser.main,
    "problems": problems.main,
    "calls": calls.main,
    "instances": instances.main,
    "batch": batch.main,
    "sandbox": sandbox.main,
    "launch": launch.main,
    "judge": judge.main,
    "watch": watch.main,
    "standings": standings.main,
    "leaderboard": leaderboard.main,
    "board_stream": board_stream.main,
    "analytics": analytics.main,
    "ai_analysis": ai_analysis.main,
    "notification": notification.main,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round each (a smoke run)")
    parser.add_argument("only", nargs="*", choices=[*BENCHMARKS, []], help="run only these")
    args = parser.parse_args(argv)
    started = time.monotonic()
    for name, run in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        quick = ["--rounds", "1", "--duration-s", "1", "--warmup-s", "1"] if args.quick else []
        if run(quick) != 0:
            return 1
    print(f"\nall benchmarks done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
