"""Benchmark: what starting a sandboxed run costs before bubblewrap, as CPU time of the starting processes.

Every run used to begin with setpriv → nice → sh → prlimit (four execs) before bwrap; it now begins with
one exec of the launcher (``arena/execution/launch.c``). Each scenario starts ``/bin/true`` through its
prefix ``--runs`` times per round, in interleaved rounds, and reports the CPU time (user + system of the
children, from ``getrusage``) per start: CPU time, unlike wall time, hardly moves with the machine's load.
The baseline is ``/bin/true`` started directly. Needs root (the prefixes change uid), as the judge does.

    python -m bench.launch [--rounds 3] [--runs 200]
"""

from __future__ import annotations

import argparse
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile

from arena.execution.launch import build_launch
from bench.harness import write_results

UID = 64_998
LIMITS = {"cpu": (2, 3), "nofile": (64, 64), "fsize": (1 << 20, 1 << 20), "stack": (8 << 20, 8 << 20), "core": (0, 0)}
BARE, LAUNCHER, CHAIN = "/bin/true directly", "launcher (one exec)", "setpriv, nice, sh, prlimit (before)"


def prefixes(launch: pathlib.Path) -> dict[str, list[str]]:
    setpriv, prlimit = shutil.which("setpriv"), shutil.which("prlimit")
    spec = ",".join(f"{name}={soft}:{hard}" for name, (soft, hard) in LIMITS.items())
    runs = {BARE: [], LAUNCHER: [str(launch), str(UID), "10", "0", "", spec]}
    if setpriv and prlimit:  # util-linux: the chain the launcher replaced, as the second reference
        limits = [f"--{name}={soft}:{hard}" for name, (soft, hard) in LIMITS.items()]
        runs[CHAIN] = [setpriv, f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--", "/usr/bin/nice", "-n10",
                       "/bin/sh", "-c", 'exec "$@"', "sandbox", prlimit, *limits, "--"]  # fmt: skip
    return runs


def cpu_ms_per_start(prefix: list[str], runs: int) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        subprocess.run([*prefix, "/bin/true"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) / runs * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=200, help="starts per scenario and round")
    parser.add_argument("--duration-s", type=float, default=None, help=argparse.SUPPRESS)  # bench.run --quick
    parser.add_argument("--warmup-s", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duration_s is not None:
        args.runs = 20
    with tempfile.TemporaryDirectory() as scratch:
        runs = prefixes(build_launch(pathlib.Path(scratch)))
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, prefix in runs.items():
                samples[name].append(cpu_ms_per_start(prefix, args.runs))
    cpu = {name: sorted(values)[len(values) // 2] for name, values in samples.items()}
    lines = ["| start | CPU ms per start (median round) | extra over /bin/true ms |", "|---|---:|---:|"]
    lines += [f"| {name} | {value:.2f} | {value - cpu[BARE]:.2f} |" for name, value in cpu.items()]
    path = write_results("launch", [], {"cpu_ms_per_start": cpu, "runs": args.runs, "rounds": args.rounds})
    print("\n## Starting a sandboxed run, before bubblewrap (CPU time)\n\n" + "\n".join(lines) + f"\n\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
