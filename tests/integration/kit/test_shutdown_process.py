"""SIGTERM on real service processes: in-flight calls finish, streams end cleanly, Consul is left, exit 0."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from arena.realtime.v1 import realtime_service_pb2, realtime_service_pb2_grpc
from arena.user.v1 import user_service_pb2, user_service_pb2_grpc
from support.consul_emulator import ConsulEmulator
from support.ports import free_ports

pytestmark = pytest.mark.timeout(90)


class ServiceProcess:
    def __init__(self, name: str, tmp_path, consul: ConsulEmulator, extra_env: dict[str, str] | None = None) -> None:
        self.grpc_port, self.web_port = free_ports(2)
        prefix = f"ARENA_{name.upper()}_"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
        env.update(
            {
                "ARENA_DATA_DIR": str(tmp_path),
                "ARENA_CONSUL_HTTP_ADDR": consul.address,
                "ARENA_SHUTDOWN_GRACE_S": "5",
                prefix + "GRPC_PORT": str(self.grpc_port),
                prefix + "WEB_PORT": str(self.web_port),
                **(extra_env or {}),
            }
        )
        self.log = tmp_path / f"{name}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"arena.{name}"], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.instance_id = f"{name}-127.0.0.1-{self.grpc_port}"

    def wait_registered(self, consul: ConsulEmulator, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.instance_id not in consul.registered():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "never registered"
            time.sleep(0.05)
        while httpx.get(f"http://127.0.0.1:{self.web_port}/healthz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)

    async def wait_in_flight(self, method: str, count: int, timeout_s: float = 10.0) -> None:
        """Waits until the process's /metrics shows ``count`` calls of ``method`` being served."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient() as http:
            while True:
                text = (await http.get(f"http://127.0.0.1:{self.web_port}/metrics")).text
                serving = sum(
                    sample.value
                    for family in text_string_to_metric_families(text)
                    if family.name == "arena_rpc_in_flight"
                    for sample in family.samples
                    if sample.labels.get("method", "").endswith(f"/{method}")
                )
                if serving >= count:
                    return
                assert self.process.poll() is None, self.log.read_text()
                assert time.monotonic() < deadline, f"{count} {method} calls never in flight at once"
                await asyncio.sleep(0.005)

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


async def first_refusal(stub: user_service_pb2_grpc.UserServiceStub, timeout_s: float = 10.0) -> grpc.aio.AioRpcError:
    """The error of the first new call the shutting-down process refuses (it may take a moment to start)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await stub.GetJwks(user_service_pb2.GetJwksRequest(), timeout=5)
        except grpc.aio.AioRpcError as error:
            return error
        assert time.monotonic() < deadline, "new calls were never refused"
        await asyncio.sleep(0.01)


@pytest.fixture
def consul():
    emulator = ConsulEmulator().start()
    yield emulator
    emulator.stop()


async def test_sigterm_lets_in_flight_unary_calls_finish_and_deregisters(tmp_path, consul: ConsulEmulator):
    service = ServiceProcess("user", tmp_path, consul)
    try:
        service.wait_registered(consul)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
            stub = user_service_pb2_grpc.UserServiceStub(channel)
            # Registrations hash passwords with argon2 for tens of milliseconds each: in flight.
            calls = [
                stub.CreateUser(
                    user_service_pb2.CreateUserRequest(
                        username=f"inflight{i}", email=f"inflight{i}@example.com", password="long enough secret"
                    )
                )
                for i in range(4)
            ]
            await service.wait_in_flight("CreateUser", len(calls))
            service.terminate()
            results = await asyncio.gather(*calls, return_exceptions=True)
            assert all(not isinstance(r, Exception) for r in results), results
            refused = await first_refusal(stub)
            assert refused.code() == grpc.StatusCode.UNAVAILABLE
        assert service.process.wait(10) == 0
        deregistered = [r.path for r in consul.requests_to("/v1/agent/service/deregister/")]
        assert deregistered == [f"/v1/agent/service/deregister/{service.instance_id}"]
        assert service.instance_id not in consul.registered()
    finally:
        service.kill()


async def test_sigterm_ends_open_streams_with_a_last_message(tmp_path, consul: ConsulEmulator):
    service = ServiceProcess("realtime", tmp_path, consul)
    try:
        service.wait_registered(consul)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
            stream = realtime_service_pb2_grpc.RealtimeServiceStub(channel).Subscribe(
                realtime_service_pb2.SubscribeRequest(topics=["contests/shutdown/board"])
            )
            await service.wait_in_flight("Subscribe", 1)  # the stream is attached
            service.terminate()
            messages = []
            while (message := await asyncio.wait_for(stream.read(), 10)) is not grpc.aio.EOF:
                messages.append(message)
            assert messages and messages[-1].last is True
            assert await stream.code() == grpc.StatusCode.OK
        assert service.process.wait(10) == 0
        assert consul.requests_to(f"/v1/agent/service/deregister/{service.instance_id}")
    finally:
        service.kill()


def children_of(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as handle:
        return [int(child) for child in handle.read().split()]


async def test_several_processes_share_the_ports_and_stop_together(tmp_path, consul: ConsulEmulator):
    service = ServiceProcess("user", tmp_path, consul, {"ARENA_USER_PROCESSES": "2"})
    try:
        service.wait_registered(consul)
        children = children_of(service.process.pid)
        assert len(children) == 2
        for _ in range(20):  # new connections land on either process (the kernel spreads them)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
                assert (
                    await user_service_pb2_grpc.UserServiceStub(channel).GetJwks(user_service_pb2.GetJwksRequest())
                ).keys
        assert len(consul.requests_to("/v1/agent/service/register")) == 1  # one instance in discovery
        service.terminate()
        assert service.process.wait(15) == 0
        for child in children:
            assert not os.path.exists(f"/proc/{child}")
    finally:
        service.kill()
