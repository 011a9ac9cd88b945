"""Endpoint (EDS) files: where Envoy's clusters find their instances.

One file per cluster (``<service>.yaml`` for the gRPC ports, ``<service>_web.yaml`` for the
gRPC-Web ports, ``ops.yaml``/``ops_web.yaml`` for every instance of every service), each a
v3 ``DiscoveryResponse`` holding one ``ClusterLoadAssignment``, the form Envoy's
``path_config_source`` reads. Envoy watches the directory and reloads a file when one is
moved into it, so files are replaced atomically (temporary file, then rename) and only when
their content changed; instances can come and go (Consul) without restarting Envoy.

Envoy's DNS discovery cannot be used instead: it reads A records only, without ports, and
every instance here shares 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import pathlib
import tempfile
from collections.abc import Iterable, Mapping, Sequence

import structlog
import yaml

from arena.edge.envoy_config import OPS_CLUSTER
from arena.kit.discovery import Discovery, Instance
from arena.kit.services import SERVICES

log = structlog.get_logger("arena.edge.eds")

CLA_TYPE = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"


def _assignment(cluster: str, endpoints: Iterable[tuple[str, int, Instance]]) -> str:
    lb_endpoints = []
    seen: set[tuple[str, int]] = set()
    for address, port, instance in endpoints:
        if port <= 0 or (address, port) in seen:
            continue  # no such listener (a web port Consul did not know), or listed twice
        seen.add((address, port))
        lb_endpoints.append(
            {
                "endpoint": {"address": {"socket_address": {"address": address, "port_value": port}}},
                "metadata": {
                    "filter_metadata": {"arena": {"instance_id": instance.instance_id, "version": instance.version}}
                },
            }
        )
    resource = {
        "@type": CLA_TYPE,
        "cluster_name": cluster,
        "endpoints": [{"lb_endpoints": lb_endpoints}] if lb_endpoints else [],
    }
    version = hashlib.sha256(yaml.safe_dump(resource, sort_keys=True).encode()).hexdigest()[:16]
    return yaml.safe_dump({"version_info": version, "resources": [resource]}, sort_keys=False)


def render_eds(instances: Mapping[str, Sequence[Instance]]) -> dict[str, str]:
    """One ClusterLoadAssignment document per cluster, by file name.

    ``instances`` maps a service's short name to its healthy instances; a service that is
    missing gets empty clusters (Envoy answers 503 for it).
    """
    files = {}
    everyone: list[Instance] = []
    for spec in SERVICES:
        found = sorted(instances.get(spec.name, ()), key=lambda i: (i.instance_id, i.address, i.grpc_port))
        everyone.extend(found)
        files[f"{spec.name}.yaml"] = _assignment(spec.name, ((i.address, i.grpc_port, i) for i in found))
        files[f"{spec.name}_web.yaml"] = _assignment(f"{spec.name}_web", ((i.address, i.web_port, i) for i in found))
    # Every process serves OpsService: any instance of any service answers it.
    files[f"{OPS_CLUSTER}.yaml"] = _assignment(OPS_CLUSTER, ((i.address, i.grpc_port, i) for i in everyone))
    files[f"{OPS_CLUSTER}_web.yaml"] = _assignment(f"{OPS_CLUSTER}_web", ((i.address, i.web_port, i) for i in everyone))
    return files


def write_eds(directory: pathlib.Path | str, files: Mapping[str, str]) -> list[str]:
    """Writes the files that changed, each atomically (temp file + rename); returns their names."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, content in files.items():
        target = directory / name
        with contextlib.suppress(FileNotFoundError):
            if target.read_text() == content:
                continue
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(content)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)  # Envoy's watcher sees the file moved into place
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        changed.append(name)
    return changed


async def gather_instances(
    discovery: Discovery, previous: Mapping[str, list[Instance]] | None = None
) -> dict[str, list[Instance]]:
    """Every service's instances. A service whose lookup fails keeps ``previous`` (if known)."""
    found = await asyncio.gather(*(discovery.instances(spec.name) for spec in SERVICES), return_exceptions=True)
    result: dict[str, list[Instance]] = {}
    for spec, instances in zip(SERVICES, found, strict=True):
        if isinstance(instances, BaseException):
            if isinstance(instances, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise instances
            if previous is None or spec.name not in previous:
                raise instances
            log.warning("discovery failed; keeping the last known instances", service=spec.name, error=str(instances))
            result[spec.name] = list(previous[spec.name])
        else:
            result[spec.name] = list(instances)
    return result


async def watch(
    discovery: Discovery,
    directory: pathlib.Path | str,
    interval_s: float = 2.0,
    stop: asyncio.Event | None = None,
) -> None:
    """Keeps the endpoint files in step with discovery until ``stop`` is set (or forever).

    A failed lookup never empties a cluster: the service keeps its last known instances
    (and before the first success, its files are left as they are).
    """
    stop = stop or asyncio.Event()
    known: dict[str, list[Instance]] | None = None
    while not stop.is_set():
        try:
            known = await gather_instances(discovery, known)
        except Exception as error:  # the first lookup failed: try again next round
            log.warning("discovery failed; endpoint files left as they are", error=str(error))
        else:
            changed = write_eds(directory, render_eds(known))
            if changed:
                log.info(
                    "endpoint files updated",
                    files=changed,
                    instances={name: len(found) for name, found in known.items()},
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
