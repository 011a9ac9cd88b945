"""``python -m arena.edge``: render the edge's files from the contract and the service table.

Commands:
  envoy-config  the Envoy bootstrap (committed as envoy/envoy.yaml)
  openapi       the OpenAPI document Envoy serves at /openapi.json
  eds           endpoint files from the static service table (the environment's ports)
  watch-eds     keep endpoint files in step with discovery (Consul) until interrupted
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import signal
import sys

from arena.contract import Contract
from arena.edge.eds import render_eds, watch, write_eds
from arena.edge.envoy_config import EdgeOptions, render_yaml
from arena.edge.openapi import render_openapi
from arena.kit.config import load_platform
from arena.kit.discovery import StaticDiscovery, from_config


def _write(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


async def _watch(out: pathlib.Path, interval_s: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    discovery = from_config(load_platform())
    try:
        await watch(discovery, out, interval_s=interval_s, stop=stop)
    finally:
        await discovery.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m arena.edge", description=__doc__)
    parser.add_argument("--descriptor", type=pathlib.Path, default=pathlib.Path("build/arena.binpb"))
    commands = parser.add_subparsers(dest="command", required=True)
    envoy = commands.add_parser("envoy-config")
    envoy.add_argument("--out", type=pathlib.Path, default=pathlib.Path("envoy/envoy.yaml"))
    openapi = commands.add_parser("openapi")
    openapi.add_argument("--out", type=pathlib.Path, default=pathlib.Path("build/openapi.json"))
    eds = commands.add_parser("eds")
    eds.add_argument("--out", type=pathlib.Path, default=pathlib.Path("build/eds"))
    watch_eds = commands.add_parser("watch-eds")
    watch_eds.add_argument("--out", type=pathlib.Path, default=pathlib.Path("build/eds"))
    watch_eds.add_argument("--interval-s", type=float, default=2.0)
    args = parser.parse_args(argv)

    if args.command == "envoy-config":
        _write(args.out, render_yaml(Contract.load(args.descriptor), EdgeOptions()))
    elif args.command == "openapi":
        _write(args.out, json.dumps(render_openapi(Contract.load(args.descriptor)), indent=1))
    elif args.command == "eds":
        discovery = StaticDiscovery(load_platform())
        from arena.edge.eds import gather_instances

        write_eds(args.out, render_eds(asyncio.run(gather_instances(discovery))))
    elif args.command == "watch-eds":
        asyncio.run(_watch(args.out, args.interval_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
