"""Schema-driven fuzzing of the REST API through the real Envoy, with schemathesis.

Every operation of the OpenAPI document that the edge serves (all of them, PATCH and server
streams included, loaded as the document says: no rewriting) gets generated requests, both
schema-valid ones (positive) and schema-violating ones (negative). It gets them once with an
admin token, so that authorization hides no deeper code path, and once anonymously. The only
requests left out are those that would end this run's own admin session (its password or role).
Checks on every answer:

- below 500 (schemathesis' ``not_a_server_error``), and no hang: an answer within the timeout (every
  service is built: no 501 UNIMPLEMENTED is tolerated any more);
- every error a JSON ``google.rpc.Status``: integer ``code``, string ``message``, ``details`` a list
  with an ``ErrorInfo`` whose reason the contract defines and a ``RequestInfo`` with the request id
  the edge answered with (Envoy's own errors included);
- schema-violating input rejected with a 4xx, never accepted (``negative_data_rejection``);
- the body and its content type as the document says (``response_schema_conformance``,
  ``content_type_conformance``): the document models the transcoder's output (int64, Duration and
  Timestamp as strings, enums as names), so this check is exact, not noisy;

A server stream never ends by itself, so it is read for a bounded time (``STREAM_READ_S``): its
status and headers, then each complete NDJSON line that arrived is checked as one answer (the
document's 200 schema, ``application/x-ndjson``); an error is a finite JSON Status, checked like
any other. A stream with nothing to say within that time (a subscription with no traffic yet)
is counted and shown, not failed: silence is not an error.

After each pass every process of the platform must still be running and the admin token must
still work (the signing key is rotated during the run: tokens signed before stay valid). A failure lists
each offending operation with its status, the body and a curl command that reproduces it.

The platform is this module's own (SQLite), not the session's: fuzzing would disturb the data
that the other end-to-end tests rely on. The examples are derandomized: a given version of this
file sends the same requests on every run (the seed comes from the test function's source).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.errors import FailureGroup

from arena.contract import Contract
from arena.demo import DEMO_ADMIN
from arena.kit.status import known_reasons
from arena.launcher import Platform
from e2e.conftest import settings_on_free_ports

# Examples per operation and generation mode (positive and negative each), for each pass.
ADMIN_EXAMPLES = 15
ANONYMOUS_EXAMPLES = 5
# Wall-clock budget of one pass: past it no more requests are sent and the pass fails (normally ~40-60 s).
PASS_BUDGET_S = 150.0
# The client gives up after this. Envoy's route timeout is shorter, so a slow handler shows up as a 504 with a body.
REQUEST_TIMEOUT_S = 10.0
EDGE_TIMEOUT_S = 8.0
# How many failing requests of one kind per operation the report shows in full.
SHOWN_PER_PROBLEM = 1

# These change an account's password or role: never the admin's own, or the run loses its token.
SELF_GUARDED_PATHS = re.compile(r"/v1/users/\{user_id\}:(changePassword|setRole)$")
NDJSON = "application/x-ndjson"
# How long a server stream is read (its headers, then whatever lines arrive), and at most how many lines.
STREAM_READ_S = 2.0
STREAM_LINES = 5
_MESSAGE_VARIABLE_PART = re.compile(r"[:\"(\[{]")


@pytest.fixture(scope="module")
def fuzz_platform(tmp_path_factory: pytest.TempPathFactory, descriptor_set_path: pathlib.Path):
    launch = settings_on_free_ports(
        tmp_path_factory.mktemp("fuzz-platform"), descriptor_set_path, unary_timeout_s=EDGE_TIMEOUT_S
    )
    running = Platform(launch)
    running.start(timeout_s=120)
    yield running
    running.stop()


@dataclasses.dataclass(frozen=True)
class Admin:
    token: str
    user_id: str


@pytest.fixture(scope="module")
def admin(fuzz_platform: Platform) -> Admin:
    with httpx.Client(base_url=fuzz_platform.settings.edge_url, timeout=REQUEST_TIMEOUT_S) as client:
        login = client.post(
            "/v1/auth:login", json={"username": DEMO_ADMIN["username"], "password": DEMO_ADMIN["password"]}
        )
        assert login.status_code == 200, login.text
        token = login.json()["tokens"]["access_token"]
        me = client.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        return Admin(token=token, user_id=me.json()["user"]["user_id"])


def _one_ndjson_line(ctx: schemathesis.DeserializationContext, response: schemathesis.Response) -> Any:
    """An NDJSON answer as schemathesis validates it here: a stream one line at a time (see `fuzz`); a
    whole NDJSON document served as a google.api.HttpBody (`x-arena-http-body`) is the string the
    document describes, once every line of it is checked to be a JSON object."""
    if ctx.operation.definition.raw.get("x-arena-http-body") == NDJSON:
        text = response.content.decode()
        for line in text.splitlines():
            assert isinstance(json.loads(line), dict), f"an NDJSON line is not a JSON object: {line[:200]!r}"
        return text
    return json.loads(response.content)


@pytest.fixture(scope="module")
def fuzz_targets(fuzz_platform: Platform, contract: Contract) -> list[schemathesis.APIOperation]:
    """The operations to fuzz: every one of the document the running edge serves, as it is served."""
    served = httpx.get(f"{fuzz_platform.settings.edge_url}/openapi.json", timeout=REQUEST_TIMEOUT_S)
    assert served.status_code == 200, served.text
    schemathesis.deserializer(NDJSON)(_one_ndjson_line)
    # Unsanitized output: a reproducer must send what the fuzzer sent (a `page_token` too).
    config = SchemathesisConfig.from_dict({"output": {"sanitization": {"enabled": False}}})
    schema = schemathesis.openapi.from_dict(served.json(), config=config)
    operations, broken = [], []
    for result in schema.get_all_operations():
        if type(result).__name__ == "Err":  # schemathesis' Result: Ok(operation) or Err(InvalidSchema)
            broken.append(repr(result.err()))
        else:
            operations.append(result.ok())
    assert not broken, f"schemathesis cannot load these operations: {broken}"
    # One operation per HTTP rule of the contract (55 today), streams and PATCH included: a guard
    # against a document change that would quietly leave the fuzzer with less to do.
    methods = [m for s in contract.public_services() for m in s.methods]
    assert len(operations) == sum(len(m.bindings) for m in methods), sorted(op.label for op in operations)
    assert {op.method.upper() for op in operations} == {"GET", "POST", "PATCH", "DELETE"}
    assert len([op for op in operations if is_stream(op)]) == len([m for m in methods if m.server_streaming])
    return operations


def is_stream(operation: schemathesis.APIOperation) -> bool:
    return bool(operation.definition.raw.get("x-arena-streaming"))


# -- checks -------------------------------------------------------------------------------


def error_body_is_a_status(ctx, response, case) -> bool | None:
    """A 4xx (or 5xx) answer is a JSON google.rpc.Status: integer `code`, string `message`, list `details`."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"the error body is not JSON: {response.content[:200]!r}") from None
    assert isinstance(body, dict), f"the error body is not a JSON object: {body!r:.200}"
    assert isinstance(body.get("code"), int) and not isinstance(body["code"], bool), f"no integer `code`: {body!r:.300}"
    assert isinstance(body.get("message"), str), f"no string `message`: {body!r:.300}"
    assert isinstance(body.get("details", []), list), f"`details` is not a list: {body!r:.300}"
    return None


def error_carries_error_info_and_request_info(ctx, response, case) -> bool | None:
    """Every error has an ErrorInfo with a contract reason and a RequestInfo with the edge's request id."""
    if response.status_code < 400:
        return None
    try:
        details = json.loads(response.content).get("details")
    except (ValueError, AttributeError):
        return None  # error_body_is_a_status reports it
    if not isinstance(details, list):
        return None
    by_type = {d.get("@type", "").rsplit("/", 1)[-1]: d for d in details if isinstance(d, dict)}
    info = by_type.get("google.rpc.ErrorInfo")
    assert info is not None, f"no ErrorInfo in the details: {details!r:.300}"
    assert info.get("reason") in known_reasons(), f"ErrorInfo reason not in ErrorReason: {info!r:.300}"
    request_id = (response.headers.get("x-request-id") or [None])[0]
    request_info = by_type.get("google.rpc.RequestInfo")
    assert request_info is not None, f"no RequestInfo in the details: {details!r:.300}"
    assert request_info.get("request_id") == request_id, f"RequestInfo is not {request_id!r}: {request_info!r}"
    return None


CHECKS = [
    not_a_server_error,
    error_body_is_a_status,
    error_carries_error_info_and_request_info,
    negative_data_rejection,
    response_schema_conformance,
    content_type_conformance,
]
# For a stream that is open but sent no line within the read time: nothing to parse yet.
OPEN_STREAM_CHECKS = [not_a_server_error, negative_data_rejection, content_type_conformance]


# -- the fuzzing loop ---------------------------------------------------------------------


@dataclasses.dataclass
class Problem:
    operation: str
    kind: str
    examples: list[str] = dataclasses.field(default_factory=list)
    count: int = 0


@dataclasses.dataclass
class Tally:
    sent: int = 0
    unsendable: int = 0
    problems: dict[tuple[str, str], Problem] = dataclasses.field(default_factory=dict)
    not_generated: list[str] = dataclasses.field(default_factory=list)
    out_of_time: list[str] = dataclasses.field(default_factory=list)
    streams_read: int = 0
    stream_lines: int = 0
    quiet_streams: dict[str, int] = dataclasses.field(default_factory=dict)

    def record(self, operation: str, kind: str, example: str) -> None:
        problem = self.problems.setdefault((operation, kind), Problem(operation, kind))
        problem.count += 1
        if len(problem.examples) < SHOWN_PER_PROBLEM:
            problem.examples.append(example)

    def report(self, title: str) -> str:
        operations = len({p.operation for p in self.problems.values()})
        lines = [f"{title}: {len(self.problems)} problem(s) in {operations} operation(s), {self.sent} requests sent"]
        kinds: dict[str, int] = {}
        for problem in self.problems.values():
            kinds[problem.kind] = kinds.get(problem.kind, 0) + 1
        lines += [f"  {count} operation(s): {kind}" for kind, count in sorted(kinds.items())]
        for problem in sorted(self.problems.values(), key=lambda p: (p.operation, p.kind)):
            lines.append(f"\n* {problem.operation}: {problem.kind} ({problem.count}x), e.g.")
            lines += [f"    {line}" for example in problem.examples for line in example.splitlines()]
        return "\n".join(lines)


def _curl(case: schemathesis.Case, edge: str, token: str | None) -> str:
    """The request as a curl command; the admin token as `$ADMIN_TOKEN`, to be set from a login first."""
    curl = case.as_curl_command(base_url=edge)
    if token:
        curl = curl.replace(f"'Authorization: Bearer {token}'", '"Authorization: Bearer $ADMIN_TOKEN"')
    return curl


def _status_body(response: schemathesis.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _status_code(response: schemathesis.Response) -> int | None:
    code = _status_body(response).get("code")
    return code if isinstance(code, int) else None


def _message_stem(response: schemathesis.Response) -> str:
    """The error message up to its first variable part: one bug's reports group together."""
    message = _status_body(response).get("message")
    if not isinstance(message, str):
        return f"body {response.content[:80]!r}"
    stem = _MESSAGE_VARIABLE_PART.split(message, maxsplit=1)[0].strip()[:80]
    return f"code {_status_code(response)} {stem!r}"


class QuietStream(Exception):
    """A stream sent not even its headers within the read time (open, with nothing to say yet)."""


def read_stream(case: schemathesis.Case, edge: str, session: requests.Session) -> list[schemathesis.Response]:
    """A server stream's answer, read for at most ``STREAM_READ_S``: one Response per complete line.

    An error (any status but 200) is one finite JSON body, returned whole. A 200 with no complete
    line yet is one Response with no content.
    """
    kwargs = case.as_transport_kwargs(base_url=edge)
    kwargs.pop("stream", None)
    started = time.monotonic()
    try:
        answer = session.request(**kwargs, stream=True, timeout=(REQUEST_TIMEOUT_S, STREAM_READ_S))
    except requests.ReadTimeout:
        raise QuietStream from None
    with answer:
        if answer.status_code != 200:
            answer.content  # noqa: B018 - a JSON Status, which ends
            return [schemathesis.Response.from_requests(answer, verify=True)]
        received = bytearray()
        try:
            for chunk in answer.iter_content(chunk_size=None):
                received += chunk
                if received.count(b"\n") >= STREAM_LINES or time.monotonic() - started > STREAM_READ_S:
                    break
        except (requests.ConnectionError, requests.Timeout):
            pass  # the read time is up (or the stream ended early): judge what arrived
        lines = [line for line in bytes(received).split(b"\n")[:-1] if line.strip()][:STREAM_LINES]
        answer._content = b""
        answer._content_consumed = True
        first = schemathesis.Response.from_requests(answer, verify=True)
    if not lines:
        return [first]
    return [
        schemathesis.Response(
            status_code=first.status_code,
            headers=first.headers,
            content=line,
            request=first.request,
            elapsed=first.elapsed,
            verify=True,
            message=first.message,
            http_version=first.http_version,
        )
        for line in lines
    ]


def fuzz(
    operations: list[schemathesis.APIOperation],
    edge: str,
    examples: int,
    prepare: Callable[[schemathesis.Case, GenerationMode], None],
    token: str | None,
    admissible: Callable[[schemathesis.APIOperation, schemathesis.Case], bool] = lambda op, case: True,
) -> Tally:
    """Sends `examples` positive and `examples` negative requests to each operation; never raises on a finding."""
    tally = Tally()
    session = requests.Session()
    deadline = time.monotonic() + PASS_BUDGET_S

    def findings(operation: schemathesis.APIOperation, response: Any, failures: list[Exception]) -> list[str]:
        kinds = []
        for failure in failures:
            title = getattr(failure, "title", None) or type(failure).__name__
            if title == "Server error":
                detail = _message_stem(response)
            else:
                detail = (getattr(failure, "message", "") or str(failure)).strip().splitlines()[0][:160]
            kinds.append(f"{response.status_code} {title}: {detail}")
        return kinds

    def exercise(operation: schemathesis.APIOperation, mode: GenerationMode) -> None:
        strategy = operation.as_strategy(generation_mode=mode).filter(lambda case: admissible(operation, case))

        @given(case=strategy)
        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        def one(case: schemathesis.Case) -> None:
            if time.monotonic() > deadline:
                return
            prepare(case, mode)
            try:
                if is_stream(operation):
                    responses = read_stream(case, edge, session)
                    tally.streams_read += 1
                else:
                    responses = [case.call(base_url=edge, session=session, timeout=REQUEST_TIMEOUT_S)]
            except QuietStream:
                tally.sent += 1
                tally.quiet_streams[operation.label] = tally.quiet_streams.get(operation.label, 0) + 1
                return
            except requests.Timeout:
                tally.sent += 1
                tally.record(operation.label, f"no answer within {REQUEST_TIMEOUT_S:g} s", _curl(case, edge, token))
                return
            except requests.ConnectionError as error:
                tally.sent += 1
                tally.record(operation.label, f"connection failed: {error!s:.120}", _curl(case, edge, token))
                return
            except (requests.RequestException, ValueError, UnicodeError):
                # The client could not even put this request on the wire (e.g. a header with a newline).
                tally.unsendable += 1
                return
            tally.sent += 1
            for response in responses:
                open_stream = is_stream(operation) and response.status_code == 200
                if open_stream and response.content:
                    tally.stream_lines += 1
                checks = OPEN_STREAM_CHECKS if open_stream and not response.content else CHECKS
                try:
                    case.validate_response(response, checks=checks)
                except (FailureGroup, AssertionError) as error:
                    failures = list(getattr(error, "exceptions", None) or [error])
                    kinds = findings(operation, response, failures)
                    if kinds:
                        body = response.text[:300].replace("\n", " ")
                        example = f"{_curl(case, edge, token)}\n→ {response.status_code} {body}"
                        for kind in kinds:
                            tally.record(operation.label, kind, example)

        if time.monotonic() > deadline:
            tally.out_of_time.append(f"{operation.label} ({mode.value})")
            return
        try:
            one()
        except HypothesisException as error:  # e.g. nothing to violate in a negative example
            tally.not_generated.append(f"{operation.label} ({mode.value}): {type(error).__name__}")

    with session:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                exercise(operation, mode)
    return tally


def assert_platform_alive(platform: Platform) -> None:
    dead = {name: process.returncode for name, process in platform.processes.items() if process.poll() is not None}
    if dead:
        pytest.fail(f"platform processes died during fuzzing (exit codes): {dead}; logs in {platform.settings.log_dir}")


def _run_and_report(platform: Platform, title: str, run: Callable[[], Tally]) -> None:
    started = time.monotonic()
    tally = run()
    elapsed = time.monotonic() - started
    print(
        f"\n{title}: {tally.sent} requests ({tally.unsendable} unsendable skipped) in {elapsed:.0f} s; "
        f"not generated: {tally.not_generated or 'none'}; "
        f"streams read: {tally.streams_read} ({tally.stream_lines} lines checked), "
        f"open without headers after {STREAM_READ_S:g} s: {tally.quiet_streams or 'none'}"
    )
    assert_platform_alive(platform)
    assert tally.sent > 0
    if tally.out_of_time:
        pytest.fail(f"{title} ran out of its {PASS_BUDGET_S:g} s budget before: {tally.out_of_time}", pytrace=False)
    if tally.problems:
        pytest.fail(tally.report(title), pytrace=False)


def test_a_streams_lines_are_the_ndjson_the_document_describes(fuzz_platform: Platform, fuzz_targets, admin: Admin):
    """Generated requests rarely name a live stream: one known submission's watch shows the lines are checked."""
    edge = fuzz_platform.settings.edge_url
    bearer = {"Authorization": f"Bearer {admin.token}"}
    source = "a, b = map(int, input().split())\nprint(a + b)\n"
    created = httpx.post(
        f"{edge}/v1/submissions",
        json={"problem_id": "a-plus-b", "language_id": "python3", "source": source},
        headers=bearer,
        timeout=REQUEST_TIMEOUT_S,
    )
    assert created.status_code == 200, created.text
    (watch,) = [op for op in fuzz_targets if op.path == "/v1/submissions/{submission_id}:watch"]
    case = watch.Case(path_parameters={"submission_id": created.json()["submission"]["submission_id"]}, headers=bearer)
    with requests.Session() as session:
        responses = read_stream(case, edge, session)
    assert responses[0].status_code == 200 and responses[0].headers["content-type"] == [NDJSON]
    assert all(response.content for response in responses), "no line within the read time"
    for response in responses:
        case.validate_response(response, checks=CHECKS)
    first, *events = [json.loads(response.content) for response in responses]
    assert first["submission"]["submission_id"]  # the watch starts with the submission's snapshot
    assert events and events[0]["event"]["sequence"]  # then one event per line


def test_fuzz_as_admin(fuzz_platform: Platform, fuzz_targets, admin: Admin):
    """Every operation, valid and invalid input, with an admin token: no 5xx, no hang, Status errors."""

    def prepare(case: schemathesis.Case, mode: GenerationMode) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {admin.token}"}

    def not_the_admin(operation: schemathesis.APIOperation, case: schemathesis.Case) -> bool:
        if not SELF_GUARDED_PATHS.search(operation.path):
            return True
        value = (case.path_parameters or {}).get("user_id")
        wire = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        return wire not in {"me", admin.user_id}

    _run_and_report(
        fuzz_platform,
        "admin pass",
        lambda: fuzz(
            fuzz_targets, fuzz_platform.settings.edge_url, ADMIN_EXAMPLES, prepare, admin.token, not_the_admin
        ),
    )
    me = httpx.get(
        f"{fuzz_platform.settings.edge_url}/v1/users/me",
        headers={"Authorization": f"Bearer {admin.token}"},
        timeout=REQUEST_TIMEOUT_S,
    )
    assert me.status_code == 200, f"the admin token stopped working during the pass: {me.text}"


def test_fuzz_anonymously(fuzz_platform: Platform, fuzz_targets):
    """Every operation without a valid token: positive examples send none, negative ones a mangled one."""

    def prepare(case: schemathesis.Case, mode: GenerationMode) -> None:
        if mode is GenerationMode.POSITIVE:
            headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
            case.headers = headers

    _run_and_report(
        fuzz_platform,
        "anonymous pass",
        lambda: fuzz(fuzz_targets, fuzz_platform.settings.edge_url, ANONYMOUS_EXAMPLES, prepare, None),
    )
