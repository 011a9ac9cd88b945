"""The edge files a launched platform needs: endpoint files, OpenAPI document, Envoy config.

It reads the launch settings through the ``Layout`` protocol below, so it never imports the
launcher (which imports this module to start Envoy).
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Mapping
from typing import Protocol

from arena.contract import Contract
from arena.edge.eds import render_eds, write_eds
from arena.edge.envoy_config import EdgeOptions, render_yaml
from arena.edge.openapi import render_openapi
from arena.kit.discovery import Instance
from arena.kit.services import SERVICES_BY_NAME

COMMITTED_CONFIG = pathlib.Path("envoy/envoy.yaml")
DESCRIPTOR = pathlib.Path("build/arena.binpb")


class Ports(Protocol):
    @property
    def grpc(self) -> int: ...
    @property
    def web(self) -> int: ...


class Layout(Protocol):
    """What the edge needs to know of a launch (``arena.launcher.LaunchSettings`` is one)."""

    @property
    def repo_root(self) -> pathlib.Path: ...
    @property
    def data_dir(self) -> pathlib.Path: ...
    @property
    def log_dir(self) -> pathlib.Path: ...
    @property
    def descriptor(self) -> pathlib.Path | None: ...
    @property
    def ports(self) -> Mapping[str, Ports]: ...
    @property
    def edge_port(self) -> int: ...
    @property
    def admin_port(self) -> int: ...
    @property
    def unary_timeout_s(self) -> float: ...
    @property
    def cors_origins(self) -> tuple[str, ...] | None: ...
    @property
    def webapp_port(self) -> int: ...


def static_instances(settings: Layout) -> dict[str, list[Instance]]:
    return {
        name: [Instance(name, f"{name}-127.0.0.1-{ports.grpc}", "127.0.0.1", ports.grpc, ports.web)]
        for name, ports in settings.ports.items()
    }


def render_for_launch(settings: Layout, instances: Mapping[str, list[Instance]] | None = None) -> pathlib.Path:
    """Writes the edge files for these settings; returns the Envoy config to start with.

    With the default ports and timeouts this is the committed ``envoy/envoy.yaml`` (its
    paths are relative to the repository); anything else (tests on free ports) gets a
    config rendered next to its own data. ``instances`` (default: one per service, on
    ``settings.ports``) fill the first endpoint files; a watcher may keep them up to date in
    ``eds_dir_for(settings)``.
    """
    root = settings.repo_root
    descriptor = settings.descriptor or root / DESCRIPTOR
    if not descriptor.is_file():
        raise FileNotFoundError(f"{descriptor} is missing: run `make descriptors`")
    contract = Contract.load(descriptor)
    origins = settings.cors_origins or EdgeOptions().cors_origins
    if _uses_committed_config(settings):
        options, config = EdgeOptions(), root / COMMITTED_CONFIG
    else:
        edge_dir = settings.data_dir / "edge"
        options = EdgeOptions(
            listen_port=settings.edge_port,
            admin_port=settings.admin_port,
            unary_timeout_s=settings.unary_timeout_s,
            descriptor_path=str(descriptor),
            eds_dir=str(edge_dir / "eds"),
            openapi_path=str(edge_dir / "openapi.json"),
            access_log_path=str(settings.log_dir / "envoy-access.log"),
            cors_origins=origins,
            webapp_port=settings.webapp_port,
        )
        config = edge_dir / "envoy.yaml"
        edge_dir.mkdir(parents=True, exist_ok=True)
        config.write_text(render_yaml(contract, options))
    write_eds(root / options.eds_dir, render_eds(instances if instances is not None else static_instances(settings)))
    openapi = root / options.openapi_path
    openapi.parent.mkdir(parents=True, exist_ok=True)
    openapi.write_text(json.dumps(render_openapi(contract), indent=1))
    return config


def _wanted_options(settings: Layout) -> EdgeOptions:
    defaults = EdgeOptions()
    return EdgeOptions(
        listen_port=settings.edge_port,
        admin_port=settings.admin_port,
        unary_timeout_s=settings.unary_timeout_s,
        cors_origins=settings.cors_origins or defaults.cors_origins,
        webapp_port=settings.webapp_port,
    )


def _uses_committed_config(settings: Layout) -> bool:
    """Default ports and timeouts: the committed envoy/envoy.yaml (its paths relative to the repository)."""
    return (
        _wanted_options(settings) == EdgeOptions()
        and settings.descriptor is None
        and all((p.grpc, p.web) == (spec_grpc, spec_grpc + 1000) for p, spec_grpc in _default_pairs(settings))
    )


def eds_dir_for(settings: Layout) -> pathlib.Path:
    """Where Envoy reads the endpoint files of a launch with these settings."""
    if _uses_committed_config(settings):
        return settings.repo_root / EdgeOptions().eds_dir
    return settings.data_dir / "edge" / "eds"


def _default_pairs(settings: Layout) -> list[tuple[Ports, int]]:
    return [(ports, SERVICES_BY_NAME[name].grpc_port) for name, ports in settings.ports.items()]
