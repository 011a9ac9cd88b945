"""The web app's static server: content types, caching, the CSP, the app-route fallback, no escapes."""

from __future__ import annotations

import pathlib
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from arena.webapp.server import StaticSite, make_server

INDEX = "<!doctype html><html><head><title>app</title></head><body></body></html>"


@pytest.fixture
def dist(tmp_path: pathlib.Path) -> pathlib.Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log(1)")
    (root / "assets" / "index-abc123.css").write_text("body{}")
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside")
    return root


def serve(site: StaticSite) -> Iterator[str]:
    sock = socket.create_server(("127.0.0.1", 0))
    server = make_server(site, sock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def url(dist: pathlib.Path) -> Iterator[str]:
    yield from serve(StaticSite(dist))


def test_files_with_their_types_and_caching(url: str):
    index = httpx.get(url + "/")
    assert index.status_code == 200 and index.headers["content-type"] == "text/html; charset=utf-8"
    assert index.headers["cache-control"] == "no-cache"
    script = httpx.get(url + "/assets/index-abc123.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8" and script.text == "console.log(1)"
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert httpx.get(url + "/assets/index-abc123.css").headers["content-type"] == "text/css; charset=utf-8"
    icon = httpx.get(url + "/favicon.svg")
    assert icon.headers["content-type"] == "image/svg+xml" and icon.headers["cache-control"] == "no-cache"
    assert script.headers["x-content-type-options"] == "nosniff"


def test_every_answer_carries_a_csp_without_inline_scripts(url: str):
    csp = httpx.get(url + "/problems").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


def test_client_side_routes_get_the_page_and_nothing_escapes_the_build(url: str):
    for path in ("/problems/a-plus-b", "/contests/x?y=1", "/assets/nope.js", "/../secret.txt", "/%2e%2e/secret.txt"):
        answer = httpx.get(url + path)
        assert answer.status_code == 200 and answer.text == INDEX, path
        assert answer.headers["cache-control"] == "no-cache", path


def test_head_has_headers_and_no_body(url: str):
    answer = httpx.head(url + "/assets/index-abc123.js")
    assert answer.status_code == 200 and answer.headers["content-length"] == "14" and answer.content == b""


def test_without_a_build_every_path_is_a_503_page(tmp_path: pathlib.Path):
    for base in serve(StaticSite(tmp_path / "missing")):
        answer = httpx.get(base + "/problems")
        assert answer.status_code == 503 and "make web-app" in answer.text
        assert answer.headers["cache-control"] == "no-store"


def test_extra_connect_origins_are_named_in_the_csp(dist: pathlib.Path):
    csp = StaticSite(dist, ("http://localhost:8080",)).csp()
    assert "connect-src 'self' http://localhost:8080;" in csp
    assert "connect-src 'self';" in StaticSite(dist).csp()


def test_served_from_another_origin_the_page_names_the_edge(dist: pathlib.Path):
    for base in serve(StaticSite(dist, edge='http://edge.example:8080/"x')):
        answer = httpx.get(base + "/contests")
        assert '<meta name="arena-edge" content="http://edge.example:8080/&quot;x" />' in answer.text
        assert "connect-src 'self' http://edge.example:8080/\"x;" in answer.headers["content-security-policy"]
        assert httpx.get(base + "/assets/index-abc123.js").text == "console.log(1)"
