"""The batch-vs-submission benchmark: same 20 runs on both sides, answers checked, the table."""

from __future__ import annotations

import pytest
from bench import batch
from bench.sandbox import BenchmarkFailed

TESTS = [("1 2\n", "3\n"), ("2 2\n", "4\n"), ("5 5\n", "10\n")]


def test_both_ways_get_the_same_twenty_runs():
    twenty = batch.twenty_tests(TESTS)
    assert len(twenty) == batch.RUNS and twenty[:4] == [*TESTS, TESTS[0]]
    body = batch.problem_body(twenty)
    assert len(body["sample_tests"]) + len(body["hidden_tests"]) == batch.RUNS


def result(index: int, stdout: str, *, status: str = "RUN_STATUS_OK", last: bool = False) -> dict:
    return {"input_index": index, "result": {"status": status, "stdout": stdout}, "last": last}


def test_a_complete_correct_batch_passes():
    batch.check_batch([result(1, "4\n"), result(0, "3"), result(2, "10\n", last=True)], TESTS)


@pytest.mark.parametrize(
    "results",
    [
        [result(0, "3\n"), result(2, "10\n", last=True)],  # a missing input
        [result(0, "3\n"), result(1, "5\n"), result(2, "10\n", last=True)],  # a wrong answer
        [result(0, "3\n"), result(1, "4\n", status="RUN_STATUS_RUNTIME_ERROR"), result(2, "10\n", last=True)],
        [result(0, "3\n"), result(1, "4\n"), result(2, "10\n")],  # never ended
    ],
)
def test_a_short_wrong_or_unfinished_batch_fails_loudly(results):
    with pytest.raises(BenchmarkFailed):
        batch.check_batch(results, TESTS)


def test_a_submission_must_be_accepted_with_every_test():
    batch.check_submission({"verdict": "VERDICT_ACCEPTED", "test_results": [{}] * 20})
    with pytest.raises(BenchmarkFailed):
        batch.check_submission({"verdict": "VERDICT_ACCEPTED", "test_results": [{}] * 19})
    with pytest.raises(BenchmarkFailed):
        batch.check_submission({"verdict": "VERDICT_WRONG_ANSWER", "test_results": [{}] * 20})


def test_the_table_compares_wall_time_with_submitting_and_polling():
    summaries = [
        batch.summarize(batch.BATCH_GRPC, [1.0, 1.2, 0.8], [1, 1, 1]),
        batch.summarize(batch.SUBMIT_POLL, [2.0, 2.5, 3.0], [20, 25, 30]),
    ]
    assert summaries[0].p50_s == 1.0 and summaries[0].runs_per_s == 20.0
    text = batch.table(summaries)
    assert f"| {batch.BATCH_GRPC} | 3 | 1.000 | 1.200 | 20.0 | 1.0 | 2.50 |" in text
    assert f"| {batch.SUBMIT_POLL} | 3 | 2.500 | 3.000 | 8.0 | 25.0 | 1.00 |" in text
