"""Every public RPC of every service refuses callers without the role its contract declares.

Walks the contract itself (the arena.common.v1.access option of each method), so a method
added later is covered without touching this test. Over native gRPC and over REST, through Envoy.
"""

from __future__ import annotations

import contextlib
import re
import uuid

import grpc
import httpx
import pytest
from google.protobuf import message_factory

from arena.common.v1 import access_pb2
from arena.contract import Contract, Method
from arena.launcher import Platform
from e2e.conftest import admin_token, register_and_login

pytestmark = pytest.mark.timeout(120)
_PATH_VARIABLE = re.compile(r"\{[^}]+\}")
NEEDS_TOKEN = {access_pb2.ACCESS_AUTHENTICATED, access_pb2.ACCESS_SETTER, access_pb2.ACCESS_ADMIN}


@pytest.fixture(scope="module")
def tokens(platform: Platform) -> dict[str, str]:
    with httpx.Client(base_url=platform.settings.edge_url) as rest:
        user = register_and_login(rest, f"walk{uuid.uuid4().hex[:8]}")
        setter_name = f"setter{uuid.uuid4().hex[:8]}"
        register_and_login(rest, setter_name)
        admin = admin_token(rest)
        found = rest.get("/v1/users", headers={"authorization": f"Bearer {admin}"}, params={"page_size": 200}).json()
        setter_id = next(u["user_id"] for u in found["users"] if u["username"] == setter_name)
        promoted = rest.post(
            f"/v1/users/{setter_id}:setRole", json={"role": "ROLE_SETTER"}, headers={"authorization": f"Bearer {admin}"}
        )
        assert promoted.status_code == 200, promoted.text
        setter = register_and_login(rest, setter_name)  # a new login carries the new role
    return {"USER": user, "SETTER": setter, "ADMIN": admin}


def protected(contract: Contract) -> list[Method]:
    return [m for s in contract.public_services() for m in s.methods]


async def call_grpc(channel: grpc.aio.Channel, method: Method, token: str | None) -> grpc.StatusCode:
    request_class = message_factory.GetMessageClass(method.input)
    metadata = [("authorization", f"Bearer {token}")] if token else []
    serializer = request_class.SerializeToString
    if method.server_streaming:
        call = channel.unary_stream(method.grpc_path, request_serializer=serializer, response_deserializer=bytes)(
            request_class(), metadata=metadata, timeout=10
        )
        with contextlib.suppress(grpc.aio.AioRpcError):
            await call.read()
        code = await call.code()
        call.cancel()
        return code
    try:
        await channel.unary_unary(method.grpc_path, request_serializer=serializer, response_deserializer=bytes)(
            request_class(), metadata=metadata, timeout=10
        )
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def expectations(method: Method) -> list[tuple[str | None, grpc.StatusCode]]:
    """(whose token, the status that must come back) for every caller below the method's access."""
    access = method.access
    cases: list[tuple[str | None, grpc.StatusCode]] = []
    if access in NEEDS_TOKEN:
        cases.append((None, grpc.StatusCode.UNAUTHENTICATED))
    if access in (access_pb2.ACCESS_SETTER, access_pb2.ACCESS_ADMIN):
        cases.append(("USER", grpc.StatusCode.PERMISSION_DENIED))
    if access == access_pb2.ACCESS_ADMIN:
        cases.append(("SETTER", grpc.StatusCode.PERMISSION_DENIED))
    return cases


async def test_every_rpc_refuses_callers_without_the_role_over_grpc(platform: Platform, contract: Contract, tokens):
    wrong = []
    checked = 0
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.settings.edge_port}") as channel:
        for method in protected(contract):
            for role, expected in expectations(method):
                code = await call_grpc(channel, method, tokens[role] if role else None)
                checked += 1
                if code != expected:
                    wrong.append(f"{method.full_name} as {role or 'anonymous'}: {code.name}, want {expected.name}")
            if method.access == access_pb2.ACCESS_PUBLIC:
                code = await call_grpc(channel, method, None)
                if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                    wrong.append(f"public {method.full_name} refused an anonymous caller: {code.name}")
    assert not wrong, "\n".join(wrong)
    assert checked > 40


def test_every_rpc_refuses_callers_without_the_role_over_rest(platform: Platform, contract: Contract, tokens):
    http_status = {grpc.StatusCode.UNAUTHENTICATED: 401, grpc.StatusCode.PERMISSION_DENIED: 403}
    wrong = []
    with httpx.Client(base_url=platform.settings.edge_url, timeout=10) as rest:
        for method in protected(contract):
            if method.server_streaming:
                continue  # the gRPC walk covers streams; their REST form starts a long-lived response
            binding = method.bindings[0]
            path = _PATH_VARIABLE.sub("walk-id", binding.path)
            for role, expected in expectations(method):
                headers = {"authorization": f"Bearer {tokens[role]}"} if role else {}
                body = {} if binding.body else None
                response = rest.request(binding.verb, path, json=body, headers=headers)
                if response.status_code != http_status[expected]:
                    wrong.append(f"{binding.verb} {binding.path} as {role or 'anonymous'}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
