"""Endpoint (EDS) files and the loop that keeps them in step with discovery."""

from __future__ import annotations

import asyncio
import pathlib

import pytest
import yaml

from arena.edge.eds import CLA_TYPE, render_eds, watch, write_eds
from arena.edge.envoy_config import cluster_names
from arena.kit.discovery import Instance


def instance(service: str, port: int, web_port: int | None = None) -> Instance:
    return Instance(service, f"{service}-{port}", "127.0.0.1", port, port + 1000 if web_port is None else web_port)


def endpoints(document: str) -> list[int]:
    (assignment,) = yaml.safe_load(document)["resources"]
    return [
        e["endpoint"]["address"]["socket_address"]["port_value"]
        for group in assignment["endpoints"]
        for e in group["lb_endpoints"]
    ]


def test_one_discovery_response_per_cluster():
    files = render_eds({"user": [instance("user", 6001)]})
    assert set(files) == {f"{name}.yaml" for name in cluster_names()}
    for name, text in files.items():
        document = yaml.safe_load(text)
        (resource,) = document["resources"]
        assert resource["@type"] == CLA_TYPE
        assert resource["cluster_name"] == name.removesuffix(".yaml")
        assert document["version_info"]


def test_each_cluster_gets_its_instances_ports():
    files = render_eds(
        {"user": [instance("user", 6002), instance("user", 6001)], "problem": [instance("problem", 7001)]}
    )
    assert endpoints(files["user.yaml"]) == [6001, 6002]  # in a stable order
    assert endpoints(files["user_web.yaml"]) == [7001, 7002]
    assert endpoints(files["problem.yaml"]) == [7001]
    assert endpoints(files["execution.yaml"]) == []
    assert sorted(endpoints(files["ops.yaml"])) == [6001, 6002, 7001]  # every instance of every service
    assert sorted(endpoints(files["ops_web.yaml"])) == [7001, 7002, 8001]


def test_unknown_web_ports_and_duplicates_are_left_out():
    files = render_eds({"user": [instance("user", 6001, web_port=0), instance("user", 6001)]})
    assert endpoints(files["user.yaml"]) == [6001]
    assert endpoints(files["user_web.yaml"]) == [7001]


def test_the_version_follows_the_content():
    first = yaml.safe_load(render_eds({"user": [instance("user", 6001)]})["user.yaml"])["version_info"]
    same = yaml.safe_load(render_eds({"user": [instance("user", 6001)]})["user.yaml"])["version_info"]
    other = yaml.safe_load(render_eds({"user": [instance("user", 6002)]})["user.yaml"])["version_info"]
    assert first == same != other


def test_files_are_replaced_atomically_and_only_when_they_change(tmp_path: pathlib.Path):
    files = render_eds({"user": [instance("user", 6001)]})
    assert len(write_eds(tmp_path, files)) == len(files)
    inode = (tmp_path / "user.yaml").stat().st_ino
    assert write_eds(tmp_path, files) == []
    assert (tmp_path / "user.yaml").stat().st_ino == inode  # untouched
    changed = render_eds({"user": [instance("user", 6003)]})
    assert set(write_eds(tmp_path, changed)) == {"user.yaml", "user_web.yaml", "ops.yaml", "ops_web.yaml"}
    assert (tmp_path / "user.yaml").stat().st_ino != inode  # a new file moved into place
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


class FakeDiscovery:
    """A Discovery whose answers the test changes; a service can be made to fail."""

    source = "fake"

    def __init__(self, found: dict[str, list[Instance]]) -> None:
        self.found = found
        self.failing: set[str] = set()
        self.calls = 0

    async def instances(self, service: str) -> list[Instance]:
        self.calls += 1
        if service in self.failing:
            raise ConnectionError("consul is down")
        return list(self.found.get(service, []))

    async def close(self) -> None:
        pass


async def wait_until(condition, timeout_s: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_watch_follows_discovery_keeps_the_last_instances_on_failure_and_stops(tmp_path: pathlib.Path):
    discovery = FakeDiscovery({"user": [instance("user", 6001)]})
    stop = asyncio.Event()
    task = asyncio.create_task(watch(discovery, tmp_path, 0.02, stop))
    user = tmp_path / "user.yaml"
    await wait_until(lambda: user.exists() and endpoints(user.read_text()) == [6001])

    discovery.found["user"] = [instance("user", 6001), instance("user", 6002)]
    await wait_until(lambda: endpoints(user.read_text()) == [6001, 6002])

    discovery.failing.add("user")  # a failed lookup must not empty the cluster
    calls = discovery.calls
    await wait_until(lambda: discovery.calls > calls + 16)
    assert endpoints(user.read_text()) == [6001, 6002]

    discovery.failing.clear()
    discovery.found["user"] = []  # a successful empty answer does
    await wait_until(lambda: endpoints(user.read_text()) == [])

    stop.set()
    await asyncio.wait_for(task, 1)


async def test_watch_leaves_files_alone_until_discovery_first_answers(tmp_path: pathlib.Path):
    discovery = FakeDiscovery({})
    discovery.failing.add("user")
    stop = asyncio.Event()
    task = asyncio.create_task(watch(discovery, tmp_path, 0.01, stop))
    await wait_until(lambda: discovery.calls > 24)
    assert not list(tmp_path.iterdir())
    stop.set()
    await asyncio.wait_for(task, 1)


@pytest.mark.parametrize("bad", [0, -1])
def test_non_positive_ports_never_reach_envoy(bad: int):
    files = render_eds({"user": [Instance("user", "u", "127.0.0.1", bad, bad)]})
    assert endpoints(files["user.yaml"]) == [] and endpoints(files["ops.yaml"]) == []
