"""The launcher's layout of several instances: keys, ports, ids, environment, endpoint files."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from arena.edge.launch import eds_dir_for, render_for_launch
from arena.kit.discovery import Instance
from arena.launcher import LaunchError, LaunchSettings, Platform, ServicePorts, _instances_from_env, _others_serve


def test_one_instance_keeps_the_service_names_and_the_static_table(tmp_path: pathlib.Path):
    settings = LaunchSettings(data_dir=tmp_path)
    assert not settings.several
    assert settings.instance_keys("problem") == ["problem"]
    assert settings.instance_ports("problem") == ServicePorts(50052, 51052)
    env = settings.instance_env("problem")
    assert "ARENA_REGISTRY_DIR" not in env and "ARENA_INSTANCE_ID" not in env
    assert env["ARENA_PROBLEM_GRPC_PORT"] == "50052"


def test_instance_k_adds_100_per_instance_and_is_named_service_k(tmp_path: pathlib.Path):
    settings = LaunchSettings(data_dir=tmp_path, instances=2, instances_by_service={"execution": 3})
    assert settings.several and settings.registry_dir == tmp_path / "registry"
    assert settings.instance_keys("problem") == ["problem-1", "problem-2"]
    assert settings.instance_keys("execution") == ["execution-1", "execution-2", "execution-3"]
    assert len(settings.all_instance_keys()) == 7 * 2 + 3
    assert settings.instance_ports("problem-1") == ServicePorts(50052, 51052)
    assert settings.instance_ports("problem-2") == ServicePorts(50152, 51152)
    assert settings.instance_ports("execution-3") == ServicePorts(50253, 51253)
    env = settings.instance_env("problem-2")
    assert env["ARENA_INSTANCE_ID"] == "problem-2"
    assert env["ARENA_PROBLEM_GRPC_PORT"] == "50152" and env["ARENA_PROBLEM_WEB_PORT"] == "51152"
    assert env["ARENA_REGISTRY_DIR"] == str(tmp_path / "registry")
    assert settings.instance_env("problem-1")["ARENA_INSTANCE_ID"] == "problem-1"
    # Judges' workspaces are unique on the machine, even with another platform's execution-2 running.
    assert settings.instance_env("execution-2")["ARENA_SANDBOX_DIR"] == "/tmp/arena-sandbox/execution-2-50153"
    assert "ARENA_SANDBOX_DIR" not in env


def test_chosen_ports_of_further_instances_win(tmp_path: pathlib.Path):
    settings = LaunchSettings(
        data_dir=tmp_path, instances_by_service={"user": 2}, instance_ports_by_key={"user-2": ServicePorts(7001, 7002)}
    )
    assert settings.instance_keys("problem") == ["problem"]  # the others keep one instance
    assert settings.instance_ports("user-2") == ServicePorts(7001, 7002)


@pytest.mark.parametrize("key", ["problem-3", "problem-0", "nosuch", "problem-x", "user-2", "problem"])
def test_unknown_instance_keys_are_refused(tmp_path: pathlib.Path, key: str):
    settings = LaunchSettings(data_dir=tmp_path, instances=2, instances_by_service={"user": 1})
    with pytest.raises(KeyError):
        settings.instance_ports(key)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"instances": 0}, "1 to 16"),
        ({"instances": 17}, "1 to 16"),
        ({"instances_by_service": {"nosuch": 2}}, "nosuch"),
    ],
)
def test_impossible_counts_are_refused(tmp_path: pathlib.Path, changes: dict, message: str):
    with pytest.raises(ValueError, match=message):
        LaunchSettings(data_dir=tmp_path, **changes)


def test_counts_come_from_the_environment():
    assert _instances_from_env({}) == (1, {})
    assert _instances_from_env({"ARENA_INSTANCES": "2", "ARENA_PROBLEM_INSTANCES": "3"}) == (2, {"problem": 3})
    for bad in ("two", "0", "99", "1.5"):
        with pytest.raises(LaunchError, match="ARENA_INSTANCES"):
            _instances_from_env({"ARENA_INSTANCES": bad})


def test_every_instance_is_in_the_first_endpoint_files(tmp_path: pathlib.Path, descriptor_set_path: pathlib.Path):
    settings = LaunchSettings(data_dir=tmp_path, descriptor=descriptor_set_path, edge_port=18080, instances=2)
    instances = {
        "problem": [
            Instance("problem", "problem-1", "127.0.0.1", 50052, 51052),
            Instance("problem", "problem-2", "127.0.0.1", 50152, 51152),
        ]
    }
    render_for_launch(settings, instances)
    eds = eds_dir_for(settings)
    assert eds == tmp_path / "edge" / "eds"
    document = yaml.safe_load((eds / "problem.yaml").read_text())
    ports = [
        e["endpoint"]["address"]["socket_address"]["port_value"]
        for e in document["resources"][0]["endpoints"][0]["lb_endpoints"]
    ]
    assert ports == [50052, 50152]
    assert yaml.safe_load((eds / "user.yaml").read_text())["resources"][0]["endpoints"] == []


class _Exited:
    def __init__(self, code: int | None) -> None:
        self.code = code

    def poll(self) -> int | None:
        return self.code


def test_make_up_carries_on_when_another_instance_of_the_service_still_runs(tmp_path: pathlib.Path):
    platform = Platform(LaunchSettings(data_dir=tmp_path, instances_by_service={"problem": 2}))
    platform.processes.update({"problem-1": _Exited(-9), "problem-2": _Exited(None), "user": _Exited(1)})  # type: ignore[dict-item]
    assert _others_serve(platform, "problem-1")
    assert not _others_serve(platform, "user")  # its only instance
    assert not _others_serve(platform, "envoy")
    platform.processes["problem-2"] = _Exited(-9)  # type: ignore[assignment]
    assert not _others_serve(platform, "problem-1")
