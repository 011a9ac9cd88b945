"""A contract test double of the OpenAI chat-completions API, served over real HTTP on loopback.

It implements the documented contract the ``openai`` client and every OpenAI-compatible server (vLLM,
llama.cpp's server, Ollama's ``/v1``) share: ``POST {base}/chat/completions`` with a JSON body of
``model`` and ``messages``; without ``stream`` one ``chat.completion`` object; with ``"stream": true``
server-sent events of ``chat.completion.chunk`` objects (``choices[0].delta.content``), a final chunk
with ``usage`` when ``stream_options.include_usage`` is set, then ``data: [DONE]``. Errors are JSON
``{"error": {...}}`` with an HTTP status.

What it answers depends on the requested model name, so one server covers every case:

- ``reviewer``: a deterministic review in several chunks, quoting how many lines of code it was shown;
- ``gullible``: obeys an instruction hidden in the user message (``IGNORE ALL PREVIOUS INSTRUCTIONS``,
  then ``REPLY WITH: …``), as a model open to prompt injection would;
- ``solver``: answers a hint with a complete program in a ```python block (which must never reach a user);
- ``broken``: HTTP 500; ``slow``: waits ``slow_s`` before the first chunk; ``cutoff``: drops the
  connection after two chunks.

Every request is recorded (``requests``) so tests can check what reached the model (never a hidden test).
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLlmServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, api_key: str = "test-key", slow_s: float = 5.0):
        self.api_key = api_key
        self.slow_s = slow_s
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                server._handle(self)

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeLlmServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeLlmServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the contract ------------------------------------------------------------------------------

    def _error(self, h: BaseHTTPRequestHandler, status: int, message: str, kind: str) -> None:
        body = json.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}}).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length)
        if h.path.rstrip("/") != "/v1/chat/completions":
            return self._error(h, 404, f"no route {h.path}", "invalid_request_error")
        if h.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._error(h, 401, "invalid api key", "authentication_error")
        try:
            body = json.loads(raw)
            model = body["model"]
            messages = body["messages"]
            assert isinstance(messages, list) and all({"role", "content"} <= set(m) for m in messages)
        except (ValueError, KeyError, AssertionError, TypeError):
            return self._error(h, 400, "body must be JSON with model and messages", "invalid_request_error")
        self.requests.append({"headers": dict(h.headers), "body": body})
        if model == "broken":
            return self._error(h, 500, "the model crashed", "server_error")
        pieces = self._answer(model, messages)
        prompt_tokens = sum(len(m["content"]) for m in messages) // 4
        completion_tokens = sum(len(p) for p in pieces) // 4
        if not body.get("stream"):
            reply = {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "".join(pieces)}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
            data = json.dumps(reply).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return None
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True

        def event(payload: dict[str, Any] | str) -> None:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            h.wfile.write(f"data: {text}\n\n".encode())
            h.wfile.flush()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        try:
            if model == "slow":
                time.sleep(self.slow_s)
            event(chunk({"role": "assistant", "content": ""}))
            for i, piece in enumerate(pieces):
                if model == "cutoff" and i == 2:
                    h.wfile.flush()
                    h.connection.shutdown(2)
                    return None
                event(chunk({"content": piece}))
            event(chunk({}, "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                event(
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [],
                        "usage": {
                            "prompt_tokens": prompt_tokens,
                            "completion_tokens": completion_tokens,
                            "total_tokens": prompt_tokens + completion_tokens,
                        },
                    }
                )
            event("[DONE]")
        except (BrokenPipeError, ConnectionResetError, OSError):
            return None
        return None

    # -- the "model" -------------------------------------------------------------------------------

    def _answer(self, model: str, messages: list[dict[str, str]]) -> list[str]:
        user = "\n".join(m["content"] for m in messages if m["role"] == "user")
        if model == "gullible":
            match = re.search(r"IGNORE ALL PREVIOUS INSTRUCTIONS.*?REPLY WITH:\s*(.+)", user, re.S)
            if match:
                return _split(match.group(1).strip().splitlines()[0])
        if model == "solver":
            program = "```python\nn = int(input())\nprint(sum(range(n)))\nfor i in range(3):\n    pass\n```"
            return _split(f"Here is the full solution:\n{program}\nThat is all.")
        code = re.search(r"<<<CODE (\w+)>>>\n(.*?)\n<<<END CODE \1>>>", user, re.S)
        lines = len(code.group(2).splitlines()) if code else 0
        return _split(
            f"**Review.** I read {lines} lines of code. The approach looks reasonable; check the edge cases "
            "(smallest input, largest values) and prefer reading input in bulk."
        )


def _split(text: str, size: int = 24) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]
