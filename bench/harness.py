"""The benchmark harness every Arena benchmark uses.

A benchmark names its scenarios (each a load generator pointed at a running system), and
the harness warms each up, then runs interleaved rounds (A B C A B C ...) so drift on a
shared, noisy machine hits every scenario alike, takes each scenario's median round, and
reports p50/p99 latency and throughput with ratios against a baseline measured in the same
run. Results go to ``bench/results/<name>-<time>.json`` and print as a Markdown table.

Load comes from native generators, never from Python (it would be the bottleneck): h2load
for HTTP/2 and gRPC, wrk for HTTP/1.1. Every run is bounded by a duration.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import pathlib
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from typing import Protocol

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"


@dataclasses.dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    duration_s: float
    p50_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


class Load(Protocol):
    """Something that drives requests at one endpoint for a while."""

    def run(self, *, duration_s: float, connections: int) -> LoadResult: ...


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(
            f"{tool} is not installed (Debian: apt-get install {'wrk' if tool == 'wrk' else 'nghttp2-client'})"
        )
    return path


# -- h2load (HTTP/2, gRPC) ------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def parse_h2load(summary: str, log_lines: Sequence[str], duration_s: float) -> LoadResult:
    """Latencies from h2load's per-request log (µs), counts from its summary."""
    durations_ms = sorted(int(line.split("\t")[2]) / 1000 for line in log_lines if line.count("\t") >= 2)
    succeeded = re.search(
        r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", summary
    )
    if succeeded is None:
        raise ValueError(f"unexpected h2load output:\n{summary}")
    done, ok, failed, errored = (int(g) for g in succeeded.groups())
    return LoadResult(
        requests=ok,
        errors=failed + errored + (done - ok - failed),
        duration_s=duration_s,
        p50_ms=percentile(durations_ms, 0.50),
        p99_ms=percentile(durations_ms, 0.99),
    )


@dataclasses.dataclass(frozen=True)
class H2Load:
    """h2load against an HTTP/2 (cleartext) endpoint; with ``body`` a POST, as gRPC is."""

    url: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def run(self, *, duration_s: float, connections: int) -> LoadResult:
        with tempfile.TemporaryDirectory(prefix="h2load-") as tmp:
            log = pathlib.Path(tmp) / "requests.log"
            command = [
                _require("h2load"),
                f"--duration={max(1, round(duration_s))}",  # whole seconds only
                f"--clients={connections}",
                "--max-concurrent-streams=1",
                "--threads=1",
                f"--log-file={log}",
            ]
            if self.body is not None:
                data = pathlib.Path(tmp) / "body"
                data.write_bytes(self.body)
                command.append(f"--data={data}")
            for key, value in self.headers:
                command += ["-H", f"{key}: {value}"]
            command.append(self.url)
            done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"h2load failed: {done.stderr or done.stdout}")
            lines = log.read_text().splitlines() if log.exists() else []
        return parse_h2load(done.stdout, lines, duration_s)


# -- wrk (HTTP/1.1) -----------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str, duration_s: float) -> LoadResult:
    percentiles = dict(re.findall(r"^\s+(50|99)\.?0*%\s+(\S+)\s*$", output, re.MULTILINE))
    requests = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    if requests is None or "50" not in percentiles or "99" not in percentiles:
        raise ValueError(f"unexpected wrk output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return LoadResult(
        requests=int(requests.group(1)),
        errors=errors,
        duration_s=_ms(requests.group(2) + requests.group(3)) / 1000,
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
    )


def _lua_string(data: bytes) -> str:
    return '"' + "".join(f"\\{b}" for b in data) + '"'


@dataclasses.dataclass(frozen=True)
class Wrk:
    """wrk against an HTTP/1.1 endpoint (keep-alive connections, one request in flight each)."""

    url: str
    method: str = "GET"
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def run(self, *, duration_s: float, connections: int) -> LoadResult:
        script_lines = [f'wrk.method = "{self.method}"']
        if self.body is not None:
            script_lines.append(f"wrk.body = {_lua_string(self.body)}")
        script_lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in self.headers]
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write("\n".join(script_lines) + "\n")
            script.flush()
            command = [
                _require("wrk"),
                "--latency",
                f"--duration={max(1, round(duration_s))}s",
                f"--connections={connections}",
                "--threads=1",
                f"--script={script.name}",
                "--timeout=5s",
                self.url,
            ]
            done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
        return parse_wrk(done.stdout, duration_s)


# -- running and reporting ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Cell:
    """One scenario at one concurrency in one configuration, summarized over the rounds."""

    configuration: str
    scenario: str
    concurrency: int
    throughput: float
    p50_ms: float
    p99_ms: float
    errors: int
    rounds: list[dict]


def run_interleaved(
    scenarios: dict[str, Load],
    *,
    configuration: str,
    concurrencies: Sequence[int],
    rounds: int,
    duration_s: float,
    warmup_s: float,
    progress: Callable[[str], None] = print,
) -> list[Cell]:
    """Warm up each scenario, then interleave rounds; each cell is its median round."""
    cells = []
    for concurrency in concurrencies:
        for load in scenarios.values():
            load.run(duration_s=warmup_s, connections=concurrency)
        results: dict[str, list[LoadResult]] = {name: [] for name in scenarios}
        for round_index in range(rounds):
            for name, load in scenarios.items():
                result = load.run(duration_s=duration_s, connections=concurrency)
                results[name].append(result)
                progress(
                    f"  [{configuration} c={concurrency} round {round_index + 1}/{rounds}] {name}: "
                    f"{result.throughput:,.0f} req/s, p50 {result.p50_ms:.3f} ms"
                )
        for name, measured in results.items():
            cells.append(
                Cell(
                    configuration=configuration,
                    scenario=name,
                    concurrency=concurrency,
                    throughput=statistics.median(r.throughput for r in measured),
                    p50_ms=statistics.median(r.p50_ms for r in measured),
                    p99_ms=statistics.median(r.p99_ms for r in measured),
                    errors=sum(r.errors for r in measured),
                    rounds=[dataclasses.asdict(r) for r in measured],
                )
            )
    return cells


def markdown_table(cells: Sequence[Cell], *, baseline: str) -> str:
    """Throughput and latency per cell, with the throughput ratio against the baseline in the same row group."""
    by_group = {(c.configuration, c.concurrency, c.scenario): c for c in cells}
    lines = [
        "| configuration | concurrency | scenario | req/s | p50 ms | p99 ms | errors | x " + baseline + " |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for cell in cells:
        reference = by_group.get((cell.configuration, cell.concurrency, baseline))
        ratio = cell.throughput / reference.throughput if reference and reference.throughput else float("nan")
        lines.append(
            f"| {cell.configuration} | {cell.concurrency} | {cell.scenario} | {cell.throughput:,.0f} | "
            f"{cell.p50_ms:.3f} | {cell.p99_ms:.3f} | {cell.errors} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def write_results(name: str, cells: Sequence[Cell], extra: dict) -> pathlib.Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(
        json.dumps(
            {"benchmark": name, "time": stamp, "cells": [dataclasses.asdict(c) for c in cells], **extra}, indent=1
        )
    )
    return path


def add_round_arguments(parser: argparse.ArgumentParser, *, duration_s: float = 2.0, warmup_s: float = 1.0) -> None:
    """The options every benchmark takes (``bench.run --quick`` sets them all)."""
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--duration-s", type=float, default=duration_s, help="measured time per cell and round")
    parser.add_argument("--warmup-s", type=float, default=warmup_s, help="warm-up before the first round")
