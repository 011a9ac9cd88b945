"""``python -m arena.edge``: render the edge's files from the contract and the service table.

Commands:
  envoy-config  the Envoy bootstrap (committed as envoy/envoy.yaml; defaults = the committed file)
  openapi       the OpenAPI document Envoy serves at /openapi.json
  eds           endpoint files from the static service table (the environment's ports)
  watch-eds     keep endpoint files in step with discovery (Consul, or the static table) until stopped

``--descriptor`` (the compiled contract, default build/arena.binpb) may come before or after
the command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import signal
import sys

DEFAULT_DESCRIPTOR = pathlib.Path("build/arena.binpb")


def _write(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


async def _watch(out: pathlib.Path, interval_s: float) -> None:
    from arena.edge.eds import watch
    from arena.kit.config import load_platform
    from arena.wiring import discovery_from_config

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    discovery = discovery_from_config(load_platform())
    try:
        await watch(discovery, out, interval_s, stop)
    finally:
        await discovery.close()


async def _static_eds(out: pathlib.Path) -> list[str]:
    from arena.edge.eds import gather_instances, render_eds, write_eds
    from arena.kit.config import load_platform
    from arena.kit.discovery import StaticDiscovery

    discovery = StaticDiscovery(load_platform())
    try:
        return write_eds(out, render_eds(await gather_instances(discovery)))
    finally:
        await discovery.close()


def _parser() -> argparse.ArgumentParser:
    from arena.edge.envoy_config import EdgeOptions

    defaults = EdgeOptions()
    descriptor = argparse.ArgumentParser(add_help=False)
    descriptor.add_argument(
        "--descriptor", type=pathlib.Path, default=argparse.SUPPRESS, help=f"default {DEFAULT_DESCRIPTOR}"
    )
    parser = argparse.ArgumentParser(
        prog="python -m arena.edge",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[descriptor],
    )
    commands = parser.add_subparsers(dest="command", required=True)

    envoy = commands.add_parser("envoy-config", parents=[descriptor], help="the Envoy bootstrap")
    envoy.add_argument("--out", type=pathlib.Path, default=pathlib.Path("envoy/envoy.yaml"))
    envoy.add_argument("--listen-port", type=int, default=defaults.listen_port)
    envoy.add_argument("--admin-port", type=int, default=defaults.admin_port)
    envoy.add_argument("--unary-timeout-s", type=float, default=defaults.unary_timeout_s)
    envoy.add_argument(
        "--cors-origin",
        action="append",
        dest="cors_origins",
        help="an allowed browser origin (repeatable; default: the development origins)",
    )
    envoy.add_argument("--eds-dir", default=defaults.eds_dir)
    envoy.add_argument("--openapi-path", default=defaults.openapi_path)
    envoy.add_argument("--access-log", default=defaults.access_log_path)
    envoy.add_argument(
        "--envoy-descriptor-path",
        default=None,
        help="the descriptor path written into the config (default: --descriptor as given)",
    )

    openapi = commands.add_parser("openapi", parents=[descriptor], help="the OpenAPI document")
    openapi.add_argument("--out", type=pathlib.Path, default=pathlib.Path("build/openapi.json"))

    eds = commands.add_parser("eds", help="endpoint files from the static table")
    eds.add_argument("--out", type=pathlib.Path, default=pathlib.Path(defaults.eds_dir))

    watch_eds = commands.add_parser("watch-eds", help="endpoint files kept in step with discovery")
    watch_eds.add_argument("--out", type=pathlib.Path, default=pathlib.Path(defaults.eds_dir))
    watch_eds.add_argument("--interval-s", type=float, default=0.5)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    descriptor: pathlib.Path = getattr(args, "descriptor", DEFAULT_DESCRIPTOR)

    if args.command == "envoy-config":
        from arena.contract import Contract
        from arena.edge.envoy_config import EdgeOptions, render_yaml

        options = EdgeOptions(
            listen_port=args.listen_port,
            admin_port=args.admin_port,
            unary_timeout_s=args.unary_timeout_s,
            cors_origins=tuple(args.cors_origins) if args.cors_origins else EdgeOptions().cors_origins,
            eds_dir=args.eds_dir,
            openapi_path=args.openapi_path,
            access_log_path=args.access_log,
            descriptor_path=args.envoy_descriptor_path or str(descriptor),
        )
        _write(args.out, render_yaml(Contract.load(descriptor), options))
    elif args.command == "openapi":
        from arena.contract import Contract
        from arena.edge.openapi import render_openapi

        _write(args.out, json.dumps(render_openapi(Contract.load(descriptor)), indent=1) + "\n")
    elif args.command == "eds":
        changed = asyncio.run(_static_eds(args.out))
        print(f"{args.out}: {len(changed)} endpoint file(s) written")
    elif args.command == "watch-eds":
        asyncio.run(_watch(args.out, args.interval_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
