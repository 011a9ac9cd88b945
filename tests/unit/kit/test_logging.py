"""The access line: the JSON object structlog would write, written without its processor chain."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
import structlog

from arena.kit import logging as kit_logging

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXNpZ24"
FIELDS = {"code": "OK", "duration_ms": 0.123, "transport": "grpc", "user_id": "u1", "messages": 3}


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    yield stream
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
    kit_logging._access = kit_logging._access_through_structlog
    root.handlers[:], root.level = handlers, level
    logging.getLogger("uvicorn.access").disabled = False


def written(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_access_line_is_the_line_structlog_writes(lines: io.StringIO):
    kit_logging.configure(service="user", instance_id="user-1", stream=lines)
    structlog.contextvars.bind_contextvars(request_id="r" * 32, rpc="/arena.user.v1.UserService/GetUser")
    kit_logging.access("info", dict(FIELDS))
    structlog.get_logger("arena.rpc").info("rpc", **FIELDS)
    direct, chained = written(lines)
    assert ISO_UTC.match(str(direct.pop("timestamp"))) and ISO_UTC.match(str(chained.pop("timestamp")))
    assert direct == chained
    assert direct["request_id"] == "r" * 32 and direct["event"] == "rpc" and direct["service"] == "user"


def test_secrets_never_reach_the_access_line(lines: io.StringIO):
    kit_logging.configure(service="user", instance_id="user-1", stream=lines)
    structlog.contextvars.bind_contextvars(request_id=f"id-{JWT}", token="hunter2", note="Bearer abc")
    kit_logging.access("warning", dict(FIELDS))
    (line,) = written(lines)
    text = lines.getvalue()
    assert JWT not in text and "hunter2" not in text and "abc" not in text
    assert line["request_id"] == "id-[redacted]" and line["token"] == "[redacted]"
    assert line["note"] == "Bearer [redacted]" and line["level"] == "warning"


def test_the_access_line_respects_the_level(lines: io.StringIO):
    kit_logging.configure(service="user", instance_id="user-1", level="warning", stream=lines)
    kit_logging.access("info", dict(FIELDS))
    kit_logging.access("error", dict(FIELDS))
    assert [line["level"] for line in written(lines)] == ["error"]


def test_console_logs_take_the_structlog_path(lines: io.StringIO):
    kit_logging.configure(service="user", instance_id="user-1", fmt="console", stream=lines)
    kit_logging.access("info", dict(FIELDS))
    assert "rpc" in lines.getvalue() and "duration_ms=0.123" in lines.getvalue()
