"""Submissions judged live: REST (NDJSON), gRPC-Web and native gRPC through Envoy; bad inputs; secrecy."""

from __future__ import annotations

import json
import os
import signal
import time

import grpc
import httpx
import pytest

from arena.demo.problems import load
from arena.execution.v1 import execution_pb2, execution_service_pb2, execution_service_pb2_grpc
from arena.launcher import Platform
from e2e.conftest import admin_token, error_reason, register_and_login
from support.grpcweb_client import WebChannel

pytestmark = pytest.mark.timeout(120)

DEMO = {p.slug: p for p in load()}
A_PLUS_B = DEMO["a-plus-b"]
ACCEPTED_PY = A_PLUS_B.solutions["accepted.py"][1]
WRONG_PY = A_PLUS_B.solutions["wrong.py"][1]
# Accepted, but slow enough per test that a test can act while it is being judged.
SLOW_ACCEPTED_PY = "import time\ntime.sleep(0.25)\na, b = map(int, input().split())\nprint(a + b)\n"
HIDDEN_MARKER = "zebra-hidden-7f3a9c"


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def user_token(platform: Platform) -> str:
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        return register_and_login(rest, "judged-user")


@pytest.fixture(scope="module")
def other_token(platform: Platform) -> str:
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        return register_and_login(rest, "judged-other")


def submit(rest: httpx.Client, token: str, source: str, *, problem: str = "a-plus-b", language: str = "python3",
           **extra) -> dict:  # fmt: skip
    body = {"problem_id": problem, "language_id": language, "source": source, **extra}
    response = rest.post("/v1/submissions", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()["submission"]


# How long the start of a stream may take through the edge: "at once" for a person or a client's
# connect timeout, and far below the 15 s heartbeat or a program's run that used to come first.
STARTS_WITHIN_S = 1.0


def watch_messages(rest: httpx.Client, token: str, submission_id: str, *, after: int = 0,
                   stop_after: int | None = None, timeout: httpx.Timeout | float = 60) -> list[dict]:  # fmt: skip
    """The watch stream's messages as REST (newline-delimited JSON) delivers them: the snapshot first."""
    messages = []
    with rest.stream(
        "GET", f"/v1/submissions/{submission_id}:watch", params={"after_sequence": after}, headers=auth(token),
        timeout=timeout,
    ) as response:  # fmt: skip
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if not line.strip():
                continue
            message = json.loads(line)
            messages.append(message)
            if message["last"] or (stop_after is not None and len(messages) == stop_after + 1):
                break
    assert "submission" in messages[0] and "event" not in messages[0], messages[0]
    assert all("event" in m and "submission" not in m for m in messages[1:]), messages
    return messages


def watch_rest(rest: httpx.Client, token: str, submission_id: str, *, after: int = 0, stop_after: int | None = None):
    """The watch stream's events (after its snapshot) as REST delivers them."""
    return [m["event"] for m in watch_messages(rest, token, submission_id, after=after, stop_after=stop_after)[1:]]


def assert_complete_accepted_log(events: list[dict], test_count: int) -> None:
    """Every step once, in order: queued, compiling, running, each test by ordinal, finished."""
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    types = [e["type"].removeprefix("SUBMISSION_EVENT_TYPE_") for e in events]
    assert types == ["QUEUED", "COMPILING", "RUNNING", *["TEST_FINISHED"] * test_count, "FINISHED"]
    ordinals = [e["test_result"]["ordinal"] for e in events if e["type"].endswith("TEST_FINISHED")]
    assert ordinals == list(range(1, test_count + 1))
    assert [e["test_count"] for e in events] == [test_count] * len(events)  # on every event, not only some
    verdicts = [e["test_result"]["verdict"] for e in events if "test_result" in e]
    assert set(verdicts) == {"VERDICT_ACCEPTED"}, [e["test_result"] for e in events if "test_result" in e]
    assert events[-1]["verdict"] == "VERDICT_ACCEPTED"
    assert events[-1]["score"] == 1


def test_a_submission_is_judged_live_over_rest(rest: httpx.Client, user_token: str):
    submission = submit(rest, user_token, ACCEPTED_PY)
    assert submission["status"] == "SUBMISSION_STATUS_QUEUED"
    assert submission["queue_position"] >= 1
    assert submission["test_count"] == len(A_PLUS_B.tests)
    events = watch_rest(rest, user_token, submission["submission_id"])
    assert_complete_accepted_log(events, len(A_PLUS_B.tests))

    final = rest.get(f"/v1/submissions/{submission['submission_id']}", headers=auth(user_token)).json()["submission"]
    assert final["verdict"] == "VERDICT_ACCEPTED"
    assert final["status"] == "SUBMISSION_STATUS_FINISHED"
    assert final["passed_test_count"] == len(A_PLUS_B.tests)
    assert [r["ordinal"] for r in final["test_results"]] == list(range(1, len(A_PLUS_B.tests) + 1))
    assert final["source"] == ACCEPTED_PY
    assert final["problem_id"] != "a-plus-b"  # the problem's id is stored, not the slug it was named by


def test_a_late_watcher_replays_and_a_reconnecting_one_misses_nothing(rest: httpx.Client, user_token: str):
    submission = submit(rest, user_token, SLOW_ACCEPTED_PY, run_all_tests=True)
    sid = submission["submission_id"]
    first = watch_rest(rest, user_token, sid, stop_after=4)  # disconnects while tests are still running
    assert [e["sequence"] for e in first] == [1, 2, 3, 4]
    rest_of_it = watch_rest(rest, user_token, sid, after=first[-1]["sequence"])
    assert_complete_accepted_log(first + rest_of_it, len(A_PLUS_B.tests))
    late = watch_rest(rest, user_token, sid)  # after the verdict: the whole log, then the end
    assert late == first + rest_of_it


async def test_native_grpc_and_grpc_web_watchers_see_every_test_in_order(platform: Platform, user_token: str):
    metadata = (("authorization", f"Bearer {user_token}"),)
    request = execution_service_pb2.CreateSubmissionRequest(
        submission=execution_pb2.Submission(problem_id="a-plus-b", language_id="python3", source=SLOW_ACCEPTED_PY)
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
        stub = execution_service_pb2_grpc.ExecutionServiceStub(channel)
        created = (await stub.CreateSubmission(request, metadata=metadata)).submission
        watch = execution_service_pb2.WatchSubmissionRequest(submission_id=created.submission_id)
        native = [m async for m in stub.WatchSubmission(watch, metadata=metadata)]
    async with WebChannel(platform.settings.edge_url) as channel:
        stub = execution_service_pb2_grpc.ExecutionServiceStub(channel)
        web = [m async for m in stub.WatchSubmission(watch, metadata=metadata)]
    for snapshot in (native.pop(0), web.pop(0)):
        assert snapshot.submission.submission_id == created.submission_id and not snapshot.HasField("event")
        assert snapshot.submission.source == "" and not snapshot.last
    for messages in (native, web):
        assert messages[-1].last and messages[-1].event.verdict == 1  # ACCEPTED
        assert [m.event.sequence for m in messages] == list(range(1, len(messages) + 1))
        ordinals = [m.event.test_result.ordinal for m in messages if m.event.type == 4]
        assert ordinals == list(range(1, len(A_PLUS_B.tests) + 1))
    assert [m.event for m in native] == [m.event for m in web]


def test_wrong_answers_stop_at_the_first_failure_unless_all_tests_are_asked_for(rest: httpx.Client, user_token: str):
    first_failure = watch_rest(rest, user_token, submit(rest, user_token, WRONG_PY)["submission_id"])
    final = first_failure[-1]
    assert final["verdict"] == "VERDICT_WRONG_ANSWER"
    results = [e["test_result"] for e in first_failure if "test_result" in e]
    failed = [r for r in results if r["verdict"] == "VERDICT_WRONG_ANSWER"]
    assert len(failed) == 1
    assert all(r["verdict"] == "VERDICT_SKIPPED" for r in results if r["ordinal"] > failed[0]["ordinal"])

    all_tests = watch_rest(rest, user_token, submit(rest, user_token, WRONG_PY, run_all_tests=True)["submission_id"])
    results = [e["test_result"] for e in all_tests if "test_result" in e]
    assert len(results) == len(A_PLUS_B.tests)
    assert not any(r["verdict"] == "VERDICT_SKIPPED" for r in results)


def test_a_compile_error_is_reported_with_the_compiler_output(rest: httpx.Client, user_token: str):
    events = watch_rest(rest, user_token, submit(rest, user_token, "int main( {", language="c")["submission_id"])
    assert events[-1]["verdict"] == "VERDICT_COMPILATION_ERROR"
    assert "error" in events[-1]["compile_output"]
    assert not any("test_result" in e for e in events)


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"problem_id": "a-plus-b", "language_id": "cobol", "source": "x"}, 400, "LANGUAGE_UNSUPPORTED"),
        ({"problem_id": "no-such-problem", "language_id": "python3", "source": "x"}, 404, "RESOURCE_NOT_FOUND"),
        ({"problem_id": "a-plus-b", "language_id": "python3", "source": "   "}, 400, "VALIDATION_FAILED"),
        ({"problem_id": "a-plus-b", "language_id": "python3", "source": "#" * 70_000}, 400, "PAYLOAD_TOO_LARGE"),
        ({"problem_id": "a-plus-b", "language_id": "python3"}, 400, "VALIDATION_FAILED"),
        ({"problem_id": "a-plus-b", "language_id": "python3", "source": "x", "contest_id": "c1"}, 404,
         "RESOURCE_NOT_FOUND"),  # the contest service answers for its contests (tests/e2e/test_contests.py)
    ],
)  # fmt: skip
def test_bad_submissions_are_refused_clearly(rest: httpx.Client, user_token: str, body, status, reason):
    response = rest.post("/v1/submissions", json=body, headers=auth(user_token))
    assert response.status_code == status, response.text
    assert error_reason(response.json()) == reason


def test_a_10_mb_source_is_refused_at_the_edge_and_by_grpc(platform: Platform, rest: httpx.Client, user_token: str):
    huge = "#" * (10 * 1024 * 1024)
    response = rest.post(
        "/v1/submissions",
        json={"problem_id": "a-plus-b", "language_id": "python3", "source": huge},
        headers=auth(user_token),
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    with grpc.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
        stub = execution_service_pb2_grpc.ExecutionServiceStub(channel)
        request = execution_service_pb2.CreateSubmissionRequest(
            submission=execution_pb2.Submission(problem_id="a-plus-b", language_id="python3", source=huge)
        )
        with pytest.raises(grpc.RpcError) as caught:
            stub.CreateSubmission(request, metadata=(("authorization", f"Bearer {user_token}"),), timeout=10)
    assert caught.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INVALID_ARGUMENT)


def test_submissions_need_a_token(rest: httpx.Client):
    response = rest.post("/v1/submissions", json={"problem_id": "a-plus-b", "language_id": "python3", "source": "x"})
    assert response.status_code == 401


def test_sources_are_private_and_lists_are_per_user(rest: httpx.Client, user_token: str, other_token: str):
    mine = submit(rest, user_token, ACCEPTED_PY)
    seen_by_other = rest.get(f"/v1/submissions/{mine['submission_id']}", headers=auth(other_token))
    assert seen_by_other.status_code == 200
    assert seen_by_other.json()["submission"]["source"] == ""

    listed = rest.get("/v1/submissions", headers=auth(other_token)).json()
    assert mine["submission_id"] not in [s["submission_id"] for s in listed.get("submissions", [])]
    own = rest.get("/v1/submissions", params={"page_size": 2}, headers=auth(user_token)).json()
    assert len(own["submissions"]) == 2 and own["next_page_token"]
    assert all(s["source"] == "" for s in own["submissions"])
    second = rest.get(
        "/v1/submissions", params={"page_size": 2, "page_token": own["next_page_token"]}, headers=auth(user_token)
    ).json()
    assert not {s["submission_id"] for s in second["submissions"]} & {s["submission_id"] for s in own["submissions"]}

    someone_else = rest.get("/v1/submissions", params={"user_id": "someone"}, headers=auth(other_token))
    assert someone_else.status_code == 403
    everyone = rest.get("/v1/submissions", params={"user_id": mine["user_id"]}, headers=auth(admin_token(rest)))
    assert mine["submission_id"] in [s["submission_id"] for s in everyone.json()["submissions"]]
    forged = rest.get("/v1/submissions", params={"page_token": "bm90LWEtdG9rZW4"}, headers=auth(user_token))
    assert forged.status_code == 400


def test_run_code_and_a_streamed_batch(rest: httpx.Client, user_token: str):
    ran = rest.post(
        "/v1/code:run",
        json={"language_id": "python3", "source": "print(input()[::-1])", "stdin": "arena\n"},
        headers=auth(user_token),
    )
    assert ran.status_code == 200, ran.text
    assert ran.json()["result"]["status"] == "RUN_STATUS_OK"
    assert ran.json()["result"]["stdout"] == "anera\n"

    too_long = rest.post(
        "/v1/code:run",
        json={"language_id": "python3", "source": "print(1)", "time_limit": "60s"},
        headers=auth(user_token),
    )
    assert too_long.status_code == 400

    inputs = ["1 2\n", "40 2\n", "oops\n"]
    results = []
    with rest.stream(
        "POST", "/v1/code:runBatch", json={"language_id": "python3", "source": ACCEPTED_PY, "inputs": inputs},
        headers=auth(user_token),
    ) as response:  # fmt: skip
        assert response.status_code == 200
        results = [json.loads(line) for line in response.iter_lines() if line.strip()]
    assert sorted(r["input_index"] for r in results) == [0, 1, 2]
    assert [r["completed_count"] for r in results] == [1, 2, 3]
    assert [r["last"] for r in results] == [False, False, True]
    by_index = {r["input_index"]: r["result"] for r in results}
    assert by_index[0]["stdout"] == "3\n" and by_index[1]["stdout"] == "42\n"
    assert by_index[2]["status"] == "RUN_STATUS_RUNTIME_ERROR"
    assert "ValueError" in by_index[2]["stderr"]


def test_hidden_tests_never_leave_the_problem_and_execution_services(
    platform: Platform, rest: httpx.Client, user_token: str
):
    admin = admin_token(rest)
    problem = {
        "slug": "echo-secret",
        "title": "Echo the secret",
        "statement": "Print the input.",
        "difficulty": "DIFFICULTY_EASY",
        "sample_tests": [{"input": "public\n", "expected_output": "public\n"}],
        "hidden_tests": [{"input": f"{HIDDEN_MARKER}-in\n", "expected_output": f"{HIDDEN_MARKER}-out\n"}],
    }
    created = rest.post("/v1/problems", json=problem, headers=auth(admin))
    assert created.status_code in (200, 409), created.text
    bodies = []
    for source in ("print(input())", "print('wrong')", "import sys; sys.exit(3)"):
        submission = submit(rest, user_token, source, problem="echo-secret", run_all_tests=True)
        bodies.append(json.dumps(watch_rest(rest, user_token, submission["submission_id"])))
        bodies.append(rest.get(f"/v1/submissions/{submission['submission_id']}", headers=auth(user_token)).text)
    bodies.append(rest.get("/v1/problems/echo-secret", headers=auth(user_token)).text)
    bodies.append(rest.get("/v1/problems", params={"query": "Echo the secret"}, headers=auth(user_token)).text)
    bodies.append(rest.get("/v1/problems/echo-secret/tests", headers=auth(user_token)).text)
    assert "public" in "".join(bodies)  # the samples are visible...
    for body in bodies:
        assert HIDDEN_MARKER not in body  # ...the hidden test never is
    logs = {path.name: path.read_text(errors="replace") for path in platform.settings.log_dir.glob("*.log")}
    assert logs
    leaked = [name for name, text in logs.items() if HIDDEN_MARKER in text]
    assert not leaked, f"hidden test data in the logs of {leaked}"


def test_a_judge_killed_mid_run_and_restarted_finishes_the_submission(
    platform: Platform, rest: httpx.Client, user_token: str
):
    submission = submit(rest, user_token, SLOW_ACCEPTED_PY, run_all_tests=True)
    sid = submission["submission_id"]
    before = watch_rest(rest, user_token, sid, stop_after=6)  # three tests done, the rest still to run
    assert before[-1]["type"] == "SUBMISSION_EVENT_TYPE_TEST_FINISHED"
    judge = platform.processes["execution"]
    os.kill(judge.pid, signal.SIGKILL)
    judge.wait(timeout=10)

    platform.start_service("execution")
    platform.wait_serving("execution", time.monotonic() + 60)
    # Envoy routes to it again once its active health check has seen it serving.
    deadline = time.monotonic() + 30
    while rest.get("/v1/languages").status_code != 200:
        assert time.monotonic() < deadline, "the edge never routed to the restarted judge"
        time.sleep(0.1)
    after = watch_rest(rest, user_token, sid, after=before[-1]["sequence"])
    events = before + after
    # Nothing lost, nothing judged twice: each test once, the sequence unbroken, one verdict.
    ordinals = [e["test_result"]["ordinal"] for e in events if "test_result" in e]
    assert ordinals == list(range(1, len(A_PLUS_B.tests) + 1))
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "SUBMISSION_EVENT_TYPE_FINISHED"
    assert events[-1]["verdict"] == "VERDICT_ACCEPTED"
    final = rest.get(f"/v1/submissions/{sid}", headers=auth(user_token)).json()["submission"]
    assert final["passed_test_count"] == len(A_PLUS_B.tests)


def test_resuming_a_finished_submission_at_or_past_its_end_ends_at_once(rest: httpx.Client, user_token: str):
    sid = submit(rest, user_token, ACCEPTED_PY)["submission_id"]
    last = watch_rest(rest, user_token, sid)[-1]
    assert last["type"] == "SUBMISSION_EVENT_TYPE_FINISHED"
    for after in (last["sequence"], last["sequence"] + 1, 10_000):
        # Bounded: the stream used to send nothing, then end with 503 "max connection age" after ~36 s.
        messages = watch_messages(rest, user_token, sid, after=after, timeout=httpx.Timeout(10, read=5))
        assert len(messages) == 1 and messages[0]["last"] is True
        snapshot = messages[0]["submission"]
        assert snapshot["status"] == "SUBMISSION_STATUS_FINISHED" and snapshot["verdict"] == "VERDICT_ACCEPTED"
        assert snapshot["test_count"] == len(A_PLUS_B.tests) and snapshot["source"] == ""
    again = watch_messages(rest, user_token, sid, after=last["sequence"] - 1, timeout=10)
    assert [m["event"]["sequence"] for m in again[1:]] == [last["sequence"]] and again[-1]["last"]


def test_resuming_past_the_end_of_an_unfinished_submission_is_out_of_range(rest: httpx.Client, user_token: str):
    # Its first test sleeps for seconds: it stays unfinished for the whole test.
    sid = submit(rest, user_token, "import time\ntime.sleep(5)\n")["submission_id"]
    response = rest.get(f"/v1/submissions/{sid}:watch", params={"after_sequence": 500}, headers=auth(user_token))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == grpc.StatusCode.OUT_OF_RANGE.value[0]
    violations = next(d for d in body["details"] if d["@type"].endswith("BadRequest"))["field_violations"]
    assert [v["field"] for v in violations] == ["after_sequence"]
    assert "last event" in violations[0]["description"]
    # At the current end it is a normal resume: the snapshot at once, then whatever comes next.
    current = watch_messages(rest, user_token, sid, stop_after=1, timeout=httpx.Timeout(10, read=STARTS_WITHIN_S))
    resumed = watch_messages(rest, user_token, sid, after=current[1]["event"]["sequence"], stop_after=0,
                             timeout=httpx.Timeout(10, read=STARTS_WITHIN_S))  # fmt: skip
    assert resumed[0]["submission"]["status"] != "SUBMISSION_STATUS_FINISHED" and not resumed[0]["last"]


def test_every_stream_of_the_judge_starts_at_once_through_the_edge(rest: httpx.Client, user_token: str):
    """The status line (and, for a watch, the snapshot) comes before anything is judged or run."""
    sid = submit(rest, user_token, "import time\ntime.sleep(5)\n")["submission_id"]
    at_once = httpx.Timeout(10, read=STARTS_WITHIN_S)
    first = watch_messages(rest, user_token, sid, after=1, stop_after=0, timeout=at_once)
    assert first[0]["submission"]["submission_id"] == sid
    batch = {"language_id": "python3", "source": "import time\ntime.sleep(5)\nprint(1)\n", "inputs": ["", ""]}
    with rest.stream("POST", "/v1/code:runBatch", json=batch, headers=auth(user_token), timeout=at_once) as response:
        assert response.status_code == 200  # the headers, while the programs still sleep; leaving cancels them
        assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/submissions/0123456789abcdef0123456789abcdef", {}, 404),
        ("/v1/submissions/0123456789abcdef0123456789abcdef:watch", {}, 404),
        ("/v1/submissions/0123456789abcdef0123456789abcdef:watch", {"after_sequence": -1}, 400),
        ("/v1/submissions", {"verdict": "VERDICT_NONSENSE"}, 400),
        ("/v1/submissions", {"verdict": 99}, 400),
        ("/v1/submissions", {"page_size": -5}, 400),
    ],
)
def test_bad_reads_are_clear_errors(rest: httpx.Client, user_token: str, path, params, status):
    response = rest.get(path, params=params, headers=auth(user_token), timeout=10)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json()["code"], int)


@pytest.mark.parametrize(
    "body",
    [
        {"language_id": "python3", "source": "print(1)", "memory_limit_kib": -1},
        {"language_id": "python3", "source": "print(1)", "memory_limit_kib": 10},
        {"language_id": "python3", "source": "print(1)", "time_limit": "-1s"},
        {"language_id": "python3", "source": "print(1)", "stdin": "x" * (1024 * 1024 + 1)},
        {"language_id": "brainfuck", "source": "+"},
        {"language_id": "python3"},
    ],
)
def test_bad_runs_are_refused(rest: httpx.Client, user_token: str, body):
    response = rest.post("/v1/code:run", json=body, headers=auth(user_token))
    assert response.status_code in (400, 413), response.text


def test_a_batch_with_too_many_inputs_is_refused_before_anything_runs(rest: httpx.Client, user_token: str):
    body = {"language_id": "python3", "source": "print(1)", "inputs": [""] * 51}
    response = rest.post("/v1/code:runBatch", json=body, headers=auth(user_token))
    assert response.status_code == 400, response.text


def test_languages_say_how_the_sandbox_measures_cpu(rest: httpx.Client):
    """Where a cgroup is writable (as here, root on cgroup v1) every process of a run counts."""
    body = rest.get("/v1/languages").json()
    assert {lang["language_id"] for lang in body["languages"]} >= {"python3", "c", "cpp"}
    assert body["sandbox"]["cpu_accounting"] in {"cgroup-v1", "cgroup-v2"}, body["sandbox"]
    assert body["sandbox"]["neutral_paths"] is True


# -- subtasks and checker programs --------------------------------------------------------------------

TRIANGULAR = DEMO["triangular-numbers"]
DIVISOR_PAIR = DEMO["divisor-pair"]


def judged(rest: httpx.Client, token: str, submission: dict) -> tuple[list[dict], dict]:
    events = watch_rest(rest, token, submission["submission_id"])
    final = rest.get(f"/v1/submissions/{submission['submission_id']}", headers=auth(token)).json()["submission"]
    return events, final


def test_a_subtask_problem_shows_each_groups_score_and_the_total_over_rest(rest: httpx.Client, user_token: str):
    language, source = TRIANGULAR.solutions["wrong.c"]  # 32-bit sums: right for the first subtask only
    events, final = judged(rest, user_token, submit(rest, user_token, source, problem="triangular-numbers",
                                                    language=language))  # fmt: skip
    expected_groups = [
        {"name": "n ≤ 1000", "points": 40, "max_points": 40, "verdict": "VERDICT_ACCEPTED"},
        {"name": "n ≤ 10⁹", "points": 0, "max_points": 60, "verdict": "VERDICT_WRONG_ANSWER"},
    ]
    assert final["group_results"] == expected_groups
    assert (final["verdict"], final["points"], final["max_points"], final["score"]) == (
        "VERDICT_WRONG_ANSWER",
        40,
        100,
        0.4,
    )
    assert events[-1]["group_results"] == expected_groups and events[-1]["points"] == 40
    skipped = [r["ordinal"] for r in final["test_results"] if r["verdict"] == "VERDICT_SKIPPED"]
    assert skipped == [7, 8]  # the rest of the failed group, nothing else


def test_a_full_solution_to_the_subtask_problem_earns_every_point(rest: httpx.Client, user_token: str):
    _, final = judged(rest, user_token, submit(rest, user_token, TRIANGULAR.solutions["accepted.py"][1],
                                               problem="triangular-numbers"))  # fmt: skip
    assert final["verdict"] == "VERDICT_ACCEPTED"
    assert [g["points"] for g in final["group_results"]] == [40, 60] and final["points"] == 100


def test_a_checker_program_accepts_any_valid_answer_and_rejects_a_wrong_one(rest: httpx.Client, user_token: str):
    _, final = judged(rest, user_token, submit(rest, user_token, DIVISOR_PAIR.solutions["accepted.py"][1],
                                               problem="divisor-pair"))  # fmt: skip
    assert final["verdict"] == "VERDICT_ACCEPTED", final
    assert final["points"] == 100 and final["max_points"] == 100 and final.get("group_results", []) == []
    _, wrong = judged(rest, user_token, submit(rest, user_token, DIVISOR_PAIR.solutions["wrong.py"][1],
                                               problem="divisor-pair"))  # fmt: skip
    assert wrong["verdict"] == "VERDICT_WRONG_ANSWER"
    first = wrong["test_results"][0]  # a sample: the checker's message is shown
    assert "not a pair of divisors" in first["checker_message"]


# -- interactive problems -----------------------------------------------------------------------------

GUESS = DEMO["guess-the-number"]


def test_the_interactive_demo_problem_is_judged_through_rest(rest: httpx.Client, user_token: str):
    shown = rest.get("/v1/problems/guess-the-number").json()["problem"]
    assert shown["interactor"] == {"language_id": "python3", "source": ""}  # the source stays private
    for name in ("accepted.py", "accepted.c"):
        language, source = GUESS.solutions[name]
        _, final = judged(rest, user_token, submit(rest, user_token, source, problem="guess-the-number",
                                                   language=language))  # fmt: skip
        assert final["verdict"] == "VERDICT_ACCEPTED", (name, final)
        assert final["passed_test_count"] == len(GUESS.tests)
        assert final["test_results"][0]["checker_message"].startswith("found in")  # a sample: the interactor's word
    _, wrong = judged(rest, user_token, submit(rest, user_token, GUESS.solutions["wrong.py"][1],
                                               problem="guess-the-number"))  # fmt: skip
    assert wrong["verdict"] == "VERDICT_WRONG_ANSWER"
    assert "which is wrong" in wrong["test_results"][0]["checker_message"]
