"""``python -m arena.webapp --fd N --root DIR``: serve the built web app on an inherited socket.

The launcher binds the loopback socket (so it knows the port before Envoy's config is rendered) and
passes it down; ``--port`` binds one here instead (development).
"""

from __future__ import annotations

import argparse
import pathlib
import signal
import socket
import sys
import threading

from arena.webapp.server import StaticSite, make_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m arena.webapp")
    parser.add_argument("--root", type=pathlib.Path, required=True, help="the build directory (web-bridge/dist)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--fd", type=int, help="an inherited listening socket")
    where.add_argument("--port", type=int, help="a port to bind (on --bind)")
    parser.add_argument(
        "--bind", default="127.0.0.1", help="the address --port binds (default loopback; compose: 0.0.0.0)"
    )
    parser.add_argument("--connect-origin", action="append", default=[], help="an extra origin the page may call")
    parser.add_argument("--edge", default="", help="the edge's URL, when the app is served from another origin")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd) if args.fd is not None else socket.create_server((args.bind, args.port))
    site = StaticSite(args.root, tuple(args.connect_origin), args.edge.rstrip("/"))
    server = make_server(site, sock)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="webapp", daemon=True)
    thread.start()
    if not site.built:
        print(f"{args.root}/index.html is missing: answering 503 (run `make web-app`)", file=sys.stderr, flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
