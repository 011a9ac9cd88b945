"""A standard JavaScript gRPC-Web client (connect-es) through Envoy: unary, error status, server stream.

The client is web-bridge/test/grpc-web-client.mjs; its dependencies are pinned in web-bridge/package-lock.json
(installed with `npm ci --prefix web-bridge`) and its code is generated from api/ here, with
`buf generate --template web-bridge/buf.gen.yaml`, into the git-ignored web-bridge/gen.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import shutil
import subprocess

import pytest

from arena.launcher import Platform
from e2e.test_protocols import publish, wait_for_subscriber

pytestmark = pytest.mark.timeout(90)

TICKS = 3


@pytest.fixture(scope="module")
def js_client(repo_root: pathlib.Path) -> pathlib.Path:
    """The client script, with its packages installed and its code generated from the contract now."""
    bridge = repo_root / "web-bridge"
    for tool in ("node", "npm", "buf"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not on PATH: the JavaScript client test needs Node.js 20+, npm and buf")
    installed = bridge / "node_modules" / ".package-lock.json"  # written by npm ci
    lock = bridge / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=bridge, check=True, timeout=300)
    subprocess.run(["buf", "generate", "--template", "web-bridge/buf.gen.yaml"], cwd=repo_root, check=True, timeout=120)
    return bridge / "test" / "grpc-web-client.mjs"


async def test_connect_es_grpc_web_client_through_the_edge(platform: Platform, js_client: pathlib.Path):
    topic = "contests/js-client/board"
    process = await asyncio.create_subprocess_exec(
        "node",
        str(js_client),
        platform.settings.edge_url,
        topic,
        str(TICKS),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stderr_task = asyncio.create_task(process.stderr.read())
    ready = stdout = b""
    timed_out = False
    try:
        ready = await asyncio.wait_for(process.stdout.readline(), 20)
        if ready == b"READY\n":
            await wait_for_subscriber(platform, topic)
            await publish(platform, topic, TICKS)
            stdout = await asyncio.wait_for(process.stdout.read(), 20)
        await asyncio.wait_for(process.wait(), 5)
    except TimeoutError:
        timed_out = True
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = (await stderr_task).decode()
    assert not timed_out, f"the client did not finish in time; stdout {ready + stdout!r}\n{stderr}"
    assert ready == b"READY\n", f"the client did not get to its stream: {ready!r}\n{stderr}"
    assert process.returncode == 0, stderr
    ticks = [json.loads(line) for line in stdout.decode().splitlines()]
    assert [t["eventType"] for t in ticks] == ["tick"] * TICKS
    assert [t["topic"] for t in ticks] == [topic] * TICKS
    assert [t["payload"]["index"] for t in ticks] == list(range(TICKS))
    sequences = [int(t["sequence"]) for t in ticks]  # int64 is a JSON string
    assert sequences == sorted(sequences) and len(set(sequences)) == TICKS
    # The unary checks ran first: GetJwks returned keys and GetUser("nobody") failed with NotFound.
    assert "GetJwks: " in stderr and "GetUser(nobody): NotFound: " in stderr, stderr
