"""Schema-driven fuzzing of the REST API through the real Envoy, with schemathesis.

Every operation of the OpenAPI document that the edge serves gets generated requests, both
schema-valid ones (positive) and schema-violating ones (negative). It gets them once with an
admin token, so that authorization hides no deeper code path, and once anonymously. Not fuzzed:
the server streams (they never end) and the calls that would end this run's own admin session.
Checks on every answer:

- below 500 (schemathesis' ``not_a_server_error``), and no hang: an answer within the timeout;
- every error a JSON ``google.rpc.Status``: integer ``code``, string ``message``, ``details`` a list;
- schema-violating input rejected with a 4xx, never accepted (``negative_data_rejection``);
- the body and its content type as the document says (``response_schema_conformance``,
  ``content_type_conformance``): the document models the transcoder's output (int64, Duration and
  Timestamp as strings, enums as names), so this check is exact, not noisy;

and after each pass every process of the platform must still be running. A failure lists
each offending operation with its status, the body and a curl command that reproduces it.

The platform is this module's own (SQLite), not the session's: fuzzing would disturb the data
that the other end-to-end tests rely on. The examples are derandomized: a given version of this
file sends the same requests on every run (the seed comes from the test function's source).
"""

from __future__ import annotations

import dataclasses
import importlib.util
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

from arena.demo import DEMO_ADMIN
from arena.kit.services import SERVICES
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

# Operations that must not be fuzzed, with the reason. Server streams are found by the
# document's own mark (`x-arena-streaming`), wherever they are.
EXCLUDED_PATHS: dict[str, str] = {
    "rotate": "rotating the signing key changes the keys of every token that the run holds",
}
# These change an account's password or role: never the admin's own, or the run loses its token.
SELF_GUARDED_PATHS = re.compile(r"/v1/users/\{user_id\}:(changePassword|setRole)$")
UNIMPLEMENTED = 12  # google.rpc.Code
_DOTTED_PLACEHOLDER = re.compile(r"\{([^}]*\.[^}]*)\}")
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


def _undot_placeholders(document: dict[str, Any]) -> dict[str, Any]:
    """`{contest.contest_id}` → `{contest__contest_id}` in paths and their parameters.

    Dotted names are valid OpenAPI (the transcoder binds a nested field so), but schemathesis
    4.32 fills path templates with `str.format`, which reads the dot as attribute access and
    gives up on the operation. The URL on the wire is the same whatever the placeholder is called.
    """
    paths = {}
    for path, operations in document["paths"].items():
        for dotted in _DOTTED_PLACEHOLDER.findall(path):
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "path" and parameter["name"] == dotted:
                        parameter["name"] = dotted.replace(".", "__")
        paths[_DOTTED_PLACEHOLDER.sub(lambda m: "{" + m.group(1).replace(".", "__") + "}", path)] = operations
    return {**document, "paths": paths}


@pytest.fixture(scope="module")
def fuzz_targets(fuzz_platform: Platform) -> list[schemathesis.APIOperation]:
    """The operations to fuzz, from the document the running edge serves."""
    served = httpx.get(f"{fuzz_platform.settings.edge_url}/openapi.json", timeout=REQUEST_TIMEOUT_S)
    assert served.status_code == 200, served.text
    # Unsanitized output: a reproducer must send what the fuzzer sent (a `page_token` too).
    config = SchemathesisConfig.from_dict({"output": {"sanitization": {"enabled": False}}})
    schema = schemathesis.openapi.from_dict(_undot_placeholders(served.json()), config=config)
    operations, broken = [], []
    for result in schema.get_all_operations():
        if type(result).__name__ == "Err":  # schemathesis' Result: Ok(operation) or Err(InvalidSchema)
            broken.append(repr(result.err()))
        else:
            operations.append(result.ok())
    assert not broken, f"schemathesis cannot load these operations: {broken}"
    targets = [op for op in operations if _exclusion(op) is None]
    streams = [op for op in operations if op.definition.raw.get("x-arena-streaming")]
    # A guard against a document change that would quietly leave the fuzzer with nothing.
    assert streams and len(targets) >= len(operations) - len(streams) - len(EXCLUDED_PATHS), [
        (op.label, _exclusion(op)) for op in operations
    ]
    return targets


def _exclusion(operation: schemathesis.APIOperation) -> str | None:
    if operation.definition.raw.get("x-arena-streaming"):
        return "a server stream: it never ends"
    for fragment, reason in EXCLUDED_PATHS.items():
        if fragment in operation.path:
            return reason
    return None


def placeholder_services() -> frozenset[str]:
    """The public gRPC services (OpenAPI tags) of processes that still serve `placeholder(...)` servicers.

    Their issues are open: every RPC answers UNIMPLEMENTED (HTTP 501) by design until they are
    built. Only for them is a 501 with code UNIMPLEMENTED not a failure; the transcoder, the
    authorization and the request validation in front of them are fuzzed all the same.
    """
    names = set()
    for spec in SERVICES:
        origin = importlib.util.find_spec(f"arena.{spec.name}.__main__").origin
        if re.search(r"\bplaceholder\(", pathlib.Path(origin).read_text()):
            names.add(spec.public_service.rsplit(".", 1)[-1])
    return frozenset(names)


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


CHECKS = [
    not_a_server_error,
    error_body_is_a_status,
    negative_data_rejection,
    response_schema_conformance,
    content_type_conformance,
]


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
    unimplemented: set[str] = dataclasses.field(default_factory=set)
    out_of_time: list[str] = dataclasses.field(default_factory=list)

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
    placeholders = placeholder_services()
    deadline = time.monotonic() + PASS_BUDGET_S

    def findings(operation: schemathesis.APIOperation, response: Any, failures: list[Exception]) -> list[str]:
        kinds = []
        for failure in failures:
            title = getattr(failure, "title", None) or type(failure).__name__
            if (
                title == "Server error"
                and response.status_code == 501
                and _status_code(response) == UNIMPLEMENTED
                and placeholders.intersection(operation.tags or ())
            ):
                tally.unimplemented.add(operation.label)
                continue
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
                response = case.call(base_url=edge, session=session, timeout=REQUEST_TIMEOUT_S)
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
            try:
                case.validate_response(response, checks=CHECKS)
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
        f"501 UNIMPLEMENTED (placeholder services, tolerated): {sorted(tally.unimplemented) or 'none'}"
    )
    assert_platform_alive(platform)
    assert tally.sent > 0
    if tally.out_of_time:
        pytest.fail(f"{title} ran out of its {PASS_BUDGET_S:g} s budget before: {tally.out_of_time}", pytrace=False)
    if tally.problems:
        pytest.fail(tally.report(title), pytrace=False)


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
