"""ai_analysis through Envoy with no model configured: REST, gRPC-Web and native gRPC; the streamed review
as NDJSON; hints; comparisons and reports for SETTER/ADMIN only; clear errors for bad requests."""

from __future__ import annotations

import asyncio
import json

import grpc
import httpx
import pytest

from arena.ai_analysis.v1 import analysis_service_pb2, analysis_service_pb2_grpc
from arena.launcher import Platform
from e2e.conftest import admin_token, error_reason, register_and_login
from support.grpcweb_client import WebChannel

pytestmark = pytest.mark.timeout(180)

SLOW = (
    "import os\n"
    "n = int(input())\n"
    "a = list(map(int, input().split()))\n"
    "best = 0\n"
    "for i in range(n):\n"
    "    for j in range(n):\n"
    "        best = max(best, a[i] + a[j])\n"
    "print(best)\n"
)
ORIGINAL = (
    "def read_pair():\n"
    "    first, second = map(int, input().split())\n"
    "    return first, second\n\n"
    "def add(x, y):\n"
    "    total = x\n"
    "    total += y\n"
    "    return total\n\n"
    "def main():\n"
    "    a, b = read_pair()\n"
    "    result = add(a, b)\n"
    "    print(result)\n\n"
    "main()\n"
)
COPY = (
    "# my own work\n"
    "def plus(p, q):\n"
    "    s = p\n"
    "    s += q\n"
    "    return s\n\n"
    "def get_two():\n"
    "    u, v = map(int, input().split())\n"
    "    return u, v\n\n"
    "def main():\n"
    "    m, k = get_two()\n"
    "    r = plus(m, k)\n"
    "    print(r)\n\n"
    "main()\n"
)


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def user(platform: Platform) -> str:
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        return register_and_login(rest, "ai-user")


def test_analyze_code_over_rest_and_get_it_back(rest: httpx.Client, user: str):
    response = rest.post(
        "/v1/analyses", json={"language_id": "python3", "source": SLOW, "problem_id": "a-plus-b"}, headers=auth(user)
    )
    assert response.status_code == 200, response.text
    analysis = response.json()["analysis"]
    assert analysis["complexity"]["time"] == "O(n^2)"
    assert 0 < analysis["complexity"]["confidence"] <= 1
    assert analysis["code_summary"]["lines"] == 8 and analysis["code_summary"]["max_loop_depth"] == 2
    unused = next(f for f in analysis["findings"] if f["rule_id"] == "unused-import")
    assert (unused["line_start"], unused["column"], unused["severity"]) == (1, 8, "SEVERITY_INFO")
    assert analysis["model"] == "arena-static-1" and analysis["note"] == ""
    fetched = rest.get(f"/v1/analyses/{analysis['analysis_id']}", headers=auth(user))
    assert fetched.status_code == 200 and fetched.json()["analysis"] == analysis
    stranger = register_and_login(rest, "ai-stranger")
    hidden = rest.get(f"/v1/analyses/{analysis['analysis_id']}", headers=auth(stranger))
    assert hidden.status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"language_id": "go", "source": "package main\nfunc main() {}\n"}, 400, "ANALYSIS_LANGUAGE_UNSUPPORTED"),
        ({"language_id": "cobol", "source": "DISPLAY 'HI'."}, 400, "VALIDATION_FAILED"),
        ({"language_id": "python3", "source": "x = 1\n" * 11_000}, 400, "SOURCE_TOO_LARGE"),
        ({"language_id": "python3", "source": ""}, 400, "VALIDATION_FAILED"),
    ],
)
def test_bad_analysis_requests_are_clear_errors(rest: httpx.Client, user: str, body: dict, status: int, reason: str):
    response = rest.post("/v1/analyses", json=body, headers=auth(user))
    assert response.status_code == status, response.text
    assert error_reason(response.json()) == reason


def test_analysis_needs_a_signed_in_caller(rest: httpx.Client):
    response = rest.post("/v1/analyses", json={"language_id": "python3", "source": "print(1)\n"})
    assert response.status_code == 401


def test_the_stream_over_rest_ndjson_grpc_web_and_native_grpc(platform: Platform, rest: httpx.Client, user: str):
    body = {"language_id": "python3", "source": SLOW}
    lines = []
    with rest.stream("POST", "/v1/analyses:stream", json=body, headers=auth(user), timeout=20) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.strip():
                lines.append(json.loads(line))
    kinds = [next(k for k in ("finding", "text_delta", "analysis") if m.get(k)) for m in lines]
    assert kinds == ["finding", "finding", "text_delta", "analysis"]  # ruff's unused import and the analyser's
    assert [m["finding"]["rule_id"] for m in lines[:2]] == ["ruff/F401", "unused-import"]
    assert lines[-1]["last"] is True and lines[-1]["analysis"]["review"] == ""

    request = analysis_service_pb2.AnalyzeCodeStreamRequest(language_id="python3", source=SLOW)

    async def web() -> list[analysis_service_pb2.AnalyzeCodeStreamResponse]:
        async with WebChannel(platform.settings.edge_url) as channel:
            stub = analysis_service_pb2_grpc.AiAnalysisServiceStub(channel)
            return [m async for m in stub.AnalyzeCodeStream(request, metadata=[("authorization", f"Bearer {user}")])]

    async def native() -> list[analysis_service_pb2.AnalyzeCodeStreamResponse]:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
            stub = analysis_service_pb2_grpc.AiAnalysisServiceStub(channel)
            call = stub.AnalyzeCodeStream(request, metadata=[("authorization", f"Bearer {user}")], timeout=20)
            return [m async for m in call]

    for messages in (asyncio.run(web()), asyncio.run(native())):
        assert [m.WhichOneof("chunk") for m in messages] == ["finding", "finding", "text_delta", "analysis"]
        assert messages[-1].last and messages[-1].analysis.complexity.time == "O(n^2)"


def test_a_stream_refusal_is_an_http_status(rest: httpx.Client, user: str):
    body = {"language_id": "rust", "source": "fn main() {}\n"}
    with rest.stream("POST", "/v1/analyses:stream", json=body, headers=auth(user), timeout=20) as response:
        assert response.status_code == 400
        assert error_reason(json.loads(response.read())) == "ANALYSIS_LANGUAGE_UNSUPPORTED"


def test_hint_ladder_over_rest(rest: httpx.Client, user: str):
    texts = []
    for level in (1, 2, 3):
        response = rest.post(
            "/v1/problems/a-plus-b:hint",
            json={"level": level, "language_id": "python3", "source": SLOW},
            headers=auth(user),
        )
        assert response.status_code == 200, response.text
        hint = response.json()["hint"]
        assert (hint["level"], hint["max_level"], hint["source"]) == (level, 3, "static")
        texts.append(hint["text"])
    assert len(set(texts)) == 3 and "```text" in texts[2] and "```" not in texts[0]
    bad = rest.post("/v1/problems/a-plus-b:hint", json={"level": 9}, headers=auth(user))
    assert bad.status_code == 400 and error_reason(bad.json()) == "VALIDATION_FAILED"
    missing = rest.post("/v1/problems/no-such-problem:hint", json={}, headers=auth(user))
    assert missing.status_code == 404


def _submit(rest: httpx.Client, token: str, source: str) -> dict:
    response = rest.post(
        "/v1/submissions",
        json={"problem_id": "a-plus-b", "language_id": "python3", "source": source},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    return response.json()["submission"]


def test_compare_and_report_for_admins_only(platform: Platform, rest: httpx.Client, user: str):
    admin = admin_token(rest)
    copier = register_and_login(rest, "ai-copier")
    original = _submit(rest, user, ORIGINAL)
    copy = _submit(rest, copier, COPY)
    body = {"left_submission_id": original["submission_id"], "right_submission_id": copy["submission_id"]}

    refused = rest.post("/v1/submissions:compare", json=body, headers=auth(user))
    assert refused.status_code == 403 and error_reason(refused.json()) == "ROLE_REQUIRED"
    compared = rest.post("/v1/submissions:compare", json=body, headers=auth(admin))
    assert compared.status_code == 200, compared.text
    result = compared.json()
    assert result["suspicious"] is True and result["similarity"] >= 0.5
    assert result["method"].startswith("winnowing") and result["fragments"]

    report_body = {"problem_id": original["problem_id"], "min_similarity": 0.5}
    denied = rest.post("/v1/similarity:report", json=report_body, headers=auth(copier))
    assert denied.status_code == 403
    report = rest.post("/v1/similarity:report", json=report_body, headers=auth(admin))
    assert report.status_code == 200, report.text
    data = report.json()
    pair = {data["pairs"][0]["left_submission_id"], data["pairs"][0]["right_submission_id"]}
    assert any(
        {p["left_submission_id"], p["right_submission_id"]} == {original["submission_id"], copy["submission_id"]}
        for p in data["pairs"]
    ), data
    assert pair and data["submission_count"] >= 2
    again = rest.post("/v1/similarity:report", json=report_body, headers=auth(admin)).json()
    assert again["newly_indexed_count"] == 0  # incremental: nothing new to read
    scope = rest.post("/v1/similarity:report", json={}, headers=auth(admin))
    assert scope.status_code == 400 and error_reason(scope.json()) == "SIMILARITY_SCOPE_REQUIRED"

    async def native_compare() -> analysis_service_pb2.CompareSubmissionsResponse:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
            stub = analysis_service_pb2_grpc.AiAnalysisServiceStub(channel)
            return await stub.CompareSubmissions(
                analysis_service_pb2.CompareSubmissionsRequest(**body),
                metadata=[("authorization", f"Bearer {admin}")],
                timeout=20,
            )

    assert asyncio.run(native_compare()).suspicious


def test_python_is_also_checked_by_ruff_inside_the_judges_sandbox(rest: httpx.Client, user: str):
    source = "import os\n\n\ndef f(x=[]):\n    return x\n\n\nprint(undefined_name)\n"
    response = rest.post("/v1/analyses", json={"language_id": "python3", "source": source}, headers=auth(user))
    assert response.status_code == 200, response.text
    analysis = response.json()["analysis"]
    ruff = {f["rule_id"]: f for f in analysis["findings"] if f["rule_id"].startswith("ruff/")}
    assert set(ruff) == {"ruff/F401", "ruff/B006", "ruff/F821"}, analysis["findings"]
    assert (ruff["ruff/F821"]["line_start"], ruff["ruff/F821"]["severity"]) == (8, "SEVERITY_ERROR")
    assert analysis["note"] == ""
