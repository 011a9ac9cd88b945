"""The fault suite's load generator counts every request as succeeded, failed or lost."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest
from bench.faults.load import BackgroundLoad, Call, LoadGenerator, classify


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: ClassVar[dict[str, int]] = {}
    flaky_left: ClassVar[list[int]] = [0]

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        _Handler.hits[path] = _Handler.hits.get(path, 0) + 1
        if path == "/ok":
            self._answer(200, b"{}")
        elif path == "/unavailable":
            self._answer(503, b'{"code": 14, "message": "down"}')
        elif path == "/internal":
            self._answer(500, b'{"code": 13, "message": "bug"}')
        elif path == "/flaky":  # 503 for the first attempts, then 200
            if _Handler.flaky_left[0] > 0:
                _Handler.flaky_left[0] -= 1
                self._answer(503, b'{"code": 14}')
            else:
                self._answer(200, b"{}")
        elif path == "/slow":
            time.sleep(1.0)
            self._answer(200, b"{}")
        else:
            self._answer(404, b"not json")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def run(url: str, calls: list[Call], **options: object) -> LoadGenerator:
    generator = LoadGenerator(url, calls, **options)  # type: ignore[arg-type]
    BackgroundLoad(generator).start().wait(30)
    return generator


def test_counts_successes_failures_and_lost(server: str) -> None:
    calls = [
        Call("ok", "GET", "/ok"),
        Call("down", "GET", "/unavailable"),
        Call("bug", "GET", "/internal"),
        Call("slow", "GET", "/slow"),
    ]
    generator = run(server, calls, rate_per_s=200, connections=4, timeout_s=0.3, duration_s=20, max_requests=20)
    stats = generator.stats
    assert stats.sent == 20
    assert stats.succeeded == 5
    assert stats.failures == {"503 UNAVAILABLE": 5, "500 INTERNAL": 5, "lost": 5}
    assert (stats.failed, stats.lost) == (10, 5)
    assert stats.succeeded + stats.failed + stats.lost == stats.sent
    assert stats.by_call["slow"] == {"lost": 5}
    assert len(stats.failure_times) == 15
    assert stats.recovery_s() is not None


def test_bounded_by_count_and_by_time(server: str) -> None:
    by_count = run(server, [Call("ok", "GET", "/ok")], rate_per_s=500, connections=2, duration_s=30, max_requests=7)
    assert by_count.stats.sent == 7
    by_time = run(server, [Call("ok", "GET", "/ok")], rate_per_s=20, connections=1, duration_s=0.5, max_requests=10**6)
    assert 0 < by_time.stats.sent <= 11  # 20/s for half a second, paced, never a burst to catch up
    assert by_time.stats.bad == 0


def test_client_retries_idempotent_503_only(server: str) -> None:
    _Handler.flaky_left[0] = 2
    before = _Handler.hits.get("/flaky", 0)
    generator = run(
        server, [Call("flaky", "GET", "/flaky")], connections=1, duration_s=10, max_requests=1, client_attempts=3
    )
    assert generator.stats.succeeded == 1 and generator.stats.attempts == 3
    assert _Handler.hits["/flaky"] - before == 3
    # Not idempotent: one attempt, whatever the answer.
    _Handler.flaky_left[0] = 2
    before = _Handler.hits["/flaky"]
    once = run(
        server,
        [Call("flaky", "GET", "/flaky", idempotent=False)],
        connections=1,
        duration_s=10,
        max_requests=1,
        client_attempts=3,
    )
    assert once.stats.failures == {"503 UNAVAILABLE": 1} and once.stats.attempts == 1
    assert _Handler.hits["/flaky"] - before == 1


def test_transport_errors_are_failures_not_lost() -> None:
    from support.ports import free_port

    generator = run(f"http://127.0.0.1:{free_port()}", [Call("x", "GET", "/")], connections=1, max_requests=3)
    assert generator.stats.failed == 3 and generator.stats.lost == 0
    assert list(generator.stats.failures) == ["transport ConnectError"]


def test_marks_and_recovery(server: str) -> None:
    generator = LoadGenerator(server, [Call("ok", "GET", "/ok")], connections=1, max_requests=1)
    stats = generator.stats
    stats.marks["fault"] = 100.0
    stats.failure_times = [99.0, 101.0, 104.5]
    assert stats.recovery_s() == pytest.approx(4.5)
    assert stats.burst_s() == pytest.approx(5.5)
    assert stats.failures_between(100.0, 104.0) == 1


def test_bad_settings_are_refused(server: str) -> None:
    with pytest.raises(ValueError, match="at least one call"):
        LoadGenerator(server, [])
    with pytest.raises(ValueError, match="positive"):
        LoadGenerator(server, [Call("ok", "GET", "/ok")], rate_per_s=0)
    with pytest.raises(ValueError, match="client_attempts"):
        LoadGenerator(server, [Call("ok", "GET", "/ok")], client_attempts=0)


def test_classify_reads_the_grpc_code_of_a_json_error() -> None:
    import httpx

    assert classify(httpx.Response(503, json={"code": 14, "message": "x"})) == "503 UNAVAILABLE"
    assert classify(httpx.Response(504, json={"code": 4})) == "504 DEADLINE_EXCEEDED"
    assert classify(httpx.Response(502, text="<html>")) == "502"
