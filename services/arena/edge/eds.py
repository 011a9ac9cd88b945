"""Endpoint (EDS) files: where Envoy's clusters find their instances.

Envoy watches the directory and reloads a file when it is atomically replaced, so
instances can change (Consul discovery) without restarting Envoy. Envoy's DNS discovery
cannot be used instead: it reads A records only, without ports, and every instance
here shares 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import tempfile
from collections.abc import Mapping, Sequence

import structlog
import yaml

from arena.edge.envoy_config import OPS_CLUSTER
from arena.kit.discovery import Discovery, Instance
from arena.kit.services import SERVICES

log = structlog.get_logger("arena.edge.eds")


def _assignment(cluster: str, endpoints: Sequence[tuple[str, int]]) -> str:
    document = {
        "version_info": "0",
        "resources": [
            {
                "@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
                "cluster_name": cluster,
                "endpoints": [
                    {
                        "lb_endpoints": [
                            {"endpoint": {"address": {"socket_address": {"address": host, "port_value": port}}}}
                            for host, port in endpoints
                        ]
                    }
                ],
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def render_eds(instances: Mapping[str, Sequence[Instance]]) -> dict[str, str]:
    """One ClusterLoadAssignment file per cluster, by file name."""
    files = {}
    everyone: list[Instance] = []
    for spec in SERVICES:
        found = sorted(instances.get(spec.name, ()), key=lambda i: i.instance_id)
        everyone.extend(found)
        files[f"{spec.name}.yaml"] = _assignment(spec.name, [(i.address, i.grpc_port) for i in found])
        files[f"{spec.name}_web.yaml"] = _assignment(f"{spec.name}_web", [(i.address, i.web_port) for i in found])
    files[f"{OPS_CLUSTER}.yaml"] = _assignment(OPS_CLUSTER, [(i.address, i.grpc_port) for i in everyone])
    files[f"{OPS_CLUSTER}_web.yaml"] = _assignment(f"{OPS_CLUSTER}_web", [(i.address, i.web_port) for i in everyone])
    return files


def write_eds(directory: pathlib.Path, files: Mapping[str, str]) -> list[str]:
    """Writes the files that changed, each atomically (temp file + rename); returns their names."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, content in files.items():
        target = directory / name
        with contextlib.suppress(FileNotFoundError):
            if target.read_text() == content:
                continue
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        with os.fdopen(handle, "w") as out:
            out.write(content)
        os.replace(temporary, target)
        changed.append(name)
    return changed


async def gather_instances(discovery: Discovery) -> dict[str, list[Instance]]:
    found = await asyncio.gather(*(discovery.instances(spec.name) for spec in SERVICES))
    return {spec.name: instances for spec, instances in zip(SERVICES, found, strict=True)}


async def watch(discovery: Discovery, directory: pathlib.Path, *, interval_s: float, stop: asyncio.Event) -> None:
    """Keeps the endpoint files in step with discovery until ``stop`` is set."""
    while not stop.is_set():
        changed = write_eds(directory, render_eds(await gather_instances(discovery)))
        if changed:
            log.info("endpoint files updated", files=changed)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
