"""``make faults``: the fault suite of issue 16, results as a Markdown table and a JSON file.

python -m bench.faults [scenario ...]     (default: all; names: see --help)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import pathlib
import signal
import sys
import tempfile
import time
import traceback

from bench.faults.scenarios import SCENARIOS, Row, context
from bench.harness import RESULTS_DIR


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds through every cleanup (namespaces, processes)


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def markdown(rows: list[Row]) -> str:
    lines = [
        "| scenario | sent | failed | lost | recovery s | passed | check | notes |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for row in rows:
        recovery = "-" if row.recovery_s is None else f"{row.recovery_s:.1f}"
        lines.append(
            f"| {row.scenario} | {row.sent} | {row.failed} | {row.lost} | {recovery} | "
            f"{'yes' if row.passed else 'NO'} | {_cell(row.check)} | {_cell(row.notes)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], help="run only these")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (every process's logs)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    chosen = [name for name in SCENARIOS if name in args.scenarios] or list(SCENARIOS)
    rows: list[Row] = []
    started = time.monotonic()
    keep = tempfile.mkdtemp(prefix="arena-faults-") if args.keep else None
    with (
        contextlib.nullcontext(keep) if keep else tempfile.TemporaryDirectory(prefix="arena-faults-") as scratch,
        context(pathlib.Path(scratch)) as ctx,
    ):
        for name in chosen:
            print(f"==> {name}", flush=True)
            began = time.monotonic()
            try:
                row = SCENARIOS[name](ctx)
            except Exception as error:
                traceback.print_exc()
                last_line = (str(error).strip().splitlines() or [""])[-1][:300]
                row = Row(name, 0, 0, 0, None, False, "did not complete", f"{type(error).__name__}: {last_line}")
            row.details["elapsed_s"] = round(time.monotonic() - began, 1)
            rows.append(row)
            print(markdown([row]).splitlines()[-1], flush=True)
    table = markdown(rows)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"faults-{stamp}.json"
    path.write_text(
        json.dumps({"benchmark": "faults", "time": stamp, "rows": [dataclasses.asdict(r) for r in rows]}, indent=1)
    )
    print(f"\n## Faults under load ({time.monotonic() - started:.0f} s)\n\n{table}\n\nresults: {path}")
    if keep:
        print(f"logs of every process: {keep}/*/logs")
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
