"""The benchmark harness reads its load generators' output correctly."""

from __future__ import annotations

import pytest
from bench.harness import Cell, LoadResult, markdown_table, parse_h2load, parse_wrk, percentile

WRK = """Running 2s test @ http://127.0.0.1:1234/v1/users/u
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.95ms    2.01ms  30.48ms   88.51%
    Req/Sec     4.02k   210.33     4.32k    70.00%
  Latency Distribution
     50%    7.91ms
     75%    8.50ms
     90%    9.72ms
     99%   16.16ms
  8002 requests in 2.00s, 3.79MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3999.58
Transfer/sec:      1.89MB
"""

H2LOAD = """finished in 2.00s, 5704.00 req/s, 1.17MB/s
requests: 11408 total, 11440 started, 11408 done, 11400 succeeded, 8 failed, 0 errored, 0 timeout
status codes: 11408 2xx, 0 3xx, 0 4xx, 0 5xx
"""


def test_wrk_latency_counts_and_errors():
    result = parse_wrk(WRK, 2.0)
    assert result == LoadResult(requests=8002, errors=7, duration_s=2.0, p50_ms=7.91, p99_ms=16.16)
    assert result.throughput == pytest.approx(4001)


def test_wrk_microseconds_and_garbage():
    assert parse_wrk(WRK.replace("7.91ms", "791.00us"), 2.0).p50_ms == pytest.approx(0.791)
    with pytest.raises(ValueError):
        parse_wrk("nothing useful", 2.0)


def test_h2load_percentiles_come_from_the_request_log():
    log = [f"1700000000\t200\t{us}" for us in (100, 200, 300, 400, 10_000)]
    result = parse_h2load(H2LOAD, log, 2.0)
    assert (result.requests, result.errors) == (11400, 8)
    assert result.p50_ms == pytest.approx(0.3) and result.p99_ms == pytest.approx(10.0)


def test_percentile_edges():
    assert percentile([], 0.5) == 0.0
    assert percentile([1.0], 0.99) == 1.0
    assert percentile([1.0, 2.0, 3.0], 0.5) == 2.0


def test_the_table_shows_ratios_against_the_baseline():
    cells = [
        Cell("1 process", "base", 1, throughput=1000.0, p50_ms=1.0, p99_ms=2.0, errors=0, rounds=[]),
        Cell("1 process", "fast", 1, throughput=2500.0, p50_ms=0.4, p99_ms=0.8, errors=0, rounds=[]),
    ]
    table = markdown_table(cells, baseline="base")
    assert "| 1 process | 1 | fast | 2,500 | 0.400 | 0.800 | 0 | 2.50 |" in table
    assert "| 1 process | 1 | base | 1,000 | 1.000 | 2.000 | 0 | 1.00 |" in table
