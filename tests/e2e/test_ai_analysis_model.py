"""ai_analysis with a model configured: a platform of its own whose ai_analysis process talks to the
OpenAI-compatible contract double (tests/support/fake_llm_server.py) over real HTTP. The review streams
through Envoy as NDJSON, gRPC-Web and native gRPC, after the findings; hints come from the model, filtered;
a model that fails leaves a note, never an error."""

from __future__ import annotations

import asyncio
import json
import pathlib

import grpc
import httpx
import pytest

from arena.ai_analysis.v1 import analysis_service_pb2, analysis_service_pb2_grpc
from arena.launcher import Platform
from e2e.conftest import register_and_login, settings_on_free_ports
from support.fake_llm_server import FakeLlmServer
from support.grpcweb_client import WebChannel

pytestmark = pytest.mark.timeout(240)

SOURCE = "import os\nn = int(input())\nfor i in range(n):\n    for j in range(n):\n        print(i * j)\n"


@pytest.fixture(scope="module")
def llm():
    with FakeLlmServer() as server:
        yield server


@pytest.fixture(scope="module")
def model_platform(tmp_path_factory: pytest.TempPathFactory, descriptor_set_path: pathlib.Path, llm: FakeLlmServer):
    settings = settings_on_free_ports(
        tmp_path_factory.mktemp("model-platform"),
        descriptor_set_path,
        extra_env={
            "ARENA_AI_MODEL_BASE_URL": llm.base_url,
            "ARENA_AI_MODEL": "reviewer",
            "ARENA_AI_MODEL_API_KEY": llm.api_key,
            "ARENA_AI_MODEL_TIMEOUT_S": "5",
        },
    )
    running = Platform(settings)
    running.start(timeout_s=120)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def token(model_platform: Platform) -> str:
    with httpx.Client(base_url=model_platform.settings.edge_url, timeout=10) as rest:
        return register_and_login(rest, "ai-model-user")


def test_the_review_streams_after_the_findings_over_every_protocol(
    model_platform: Platform, token: str, llm: FakeLlmServer
):
    with httpx.Client(base_url=model_platform.settings.edge_url, timeout=20) as rest:
        lines = []
        body = {"language_id": "python3", "source": SOURCE}
        with rest.stream(
            "POST", "/v1/analyses:stream", json=body, headers={"authorization": f"Bearer {token}"}
        ) as response:
            assert response.status_code == 200, response.read()
            lines = [json.loads(line) for line in response.iter_lines() if line.strip()]
    kinds = [next(k for k in ("finding", "text_delta", "analysis") if m.get(k)) for m in lines]
    assert kinds[0] == "finding" and kinds[-1] == "analysis"
    assert kinds.count("text_delta") > 4  # the summary, then the model's pieces as they came
    final = lines[-1]["analysis"]
    assert final["review"].startswith("**Review.** I read 5 lines of code")
    assert final["model"] == "arena-static-1+reviewer" and final["note"] == ""
    sent = llm.requests[-1]["body"]
    assert sent["stream"] is True and "<<<CODE " in sent["messages"][1]["content"]

    request = analysis_service_pb2.AnalyzeCodeStreamRequest(language_id="python3", source=SOURCE)
    metadata = [("authorization", f"Bearer {token}")]

    async def web() -> list[analysis_service_pb2.AnalyzeCodeStreamResponse]:
        async with WebChannel(model_platform.settings.edge_url) as channel:
            stub = analysis_service_pb2_grpc.AiAnalysisServiceStub(channel)
            return [m async for m in stub.AnalyzeCodeStream(request, metadata=metadata)]

    async def native() -> list[analysis_service_pb2.AnalyzeCodeStreamResponse]:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{model_platform.settings.edge_port}") as channel:
            stub = analysis_service_pb2_grpc.AiAnalysisServiceStub(channel)
            return [m async for m in stub.AnalyzeCodeStream(request, metadata=metadata, timeout=20)]

    for messages in (asyncio.run(web()), asyncio.run(native())):
        chunks = [m.WhichOneof("chunk") for m in messages]
        assert chunks[0] == "finding" and chunks[-1] == "analysis" and chunks.count("text_delta") > 4
        assert messages[-1].analysis.review.startswith("**Review.**")


def test_hints_come_from_the_model(model_platform: Platform, token: str):
    with httpx.Client(base_url=model_platform.settings.edge_url, timeout=20) as rest:
        response = rest.post(
            "/v1/problems/a-plus-b:hint",
            json={"level": 2, "language_id": "python3", "source": SOURCE},
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    hint = response.json()["hint"]
    assert hint["source"] == "reviewer" and hint["note"] == "" and hint["text"]
