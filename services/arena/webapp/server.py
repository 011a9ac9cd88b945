"""A static file server for the built web app (stdlib ``ThreadingHTTPServer``).

Envoy sends only the app's own paths here (``/``, ``/assets/...`` and the client-side routes), so
every path that is not a file under the build directory is a client-side route: it gets
``index.html``. Paths never leave the build directory (``..`` and symlinks out are refused).
"""

from __future__ import annotations

import dataclasses
import html
import http.server
import mimetypes
import pathlib
import socket
import urllib.parse
from typing import ClassVar

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self' {connect}; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
"""No inline scripts and no eval: an injected ``<script>`` or ``onerror=`` does not run. Inline styles are
allowed: CodeMirror styles its editor at run time (a style, unlike a script, cannot run code)."""

MISSING_BUILD = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Arena: web app not built</title></head>
<body><main><h1>The Arena web app is not built</h1>
<p>Run <code>make web-app</code> (or <code>make up</code>, which builds it) and reload this page.
The API itself is up: try <a href="/v1/health">/v1/health</a>.</p></main></body></html>
"""

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


@dataclasses.dataclass(frozen=True)
class StaticSite:
    """What the server serves: the build directory and the origins the page may call."""

    root: pathlib.Path
    connect_origins: tuple[str, ...] = ()
    """Besides the page's own origin (the edge, normally), where the app's calls may go."""
    edge: str = ""
    """The edge the app calls when it is not the page's own origin (the app served from another origin,
    which the edge's CORS policy must allow): named in index.html and allowed by the CSP."""

    @property
    def built(self) -> bool:
        return (self.root / "index.html").is_file()

    def csp(self) -> str:
        origins = (*self.connect_origins, self.edge) if self.edge else self.connect_origins
        return CSP.format(connect=" ".join(origins)).replace("  ", " ").replace(" ;", ";")

    def index(self, page: bytes) -> bytes:
        """index.html, naming the edge in a ``<meta name="arena-edge">`` when it is another origin."""
        if not self.edge:
            return page
        meta = f'<meta name="arena-edge" content="{html.escape(self.edge, quote=True)}" />'
        return page.replace(b"<head>", b"<head>\n    " + meta.encode(), 1)

    def resolve(self, raw_path: str) -> tuple[pathlib.Path, bool]:
        """The file for a request path and whether it is a hashed asset; index.html for app routes."""
        path = urllib.parse.unquote(urllib.parse.urlsplit(raw_path).path)
        root = self.root.resolve()
        candidate = (root / path.lstrip("/")).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate, candidate.is_relative_to(root / "assets")
        return root / "index.html", False


class _Handler(http.server.BaseHTTPRequestHandler):
    site: ClassVar[StaticSite]
    server_version = "arena-webapp"
    sys_version = ""

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        site = self.site
        if not site.built:
            self._answer(503, "text/html; charset=utf-8", MISSING_BUILD, "no-store", body=body)
            return
        path, hashed = site.resolve(self.path)
        if not path.is_file():
            self._answer(503, "text/html; charset=utf-8", MISSING_BUILD, "no-store", body=body)
            return
        content_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # Vite names assets by content hash: they never change. Everything else is revalidated.
        cache = "public, max-age=31536000, immutable" if hashed else "no-cache"
        data = path.read_bytes()
        if path.name == "index.html" and path.parent == site.root.resolve():
            data = site.index(data)
        self._answer(200, content_type, data, cache, body=body)

    def _answer(self, status: int, content_type: str, data: bytes, cache: str, *, body: bool) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.send_header("cache-control", cache)
        self.send_header("content-security-policy", self.site.csp())
        self.send_header("x-content-type-options", "nosniff")
        self.send_header("referrer-policy", "same-origin")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # Envoy's access log has every request.


def make_server(site: StaticSite, sock: socket.socket) -> http.server.ThreadingHTTPServer:
    """A server for ``site`` on an already bound, listening socket (the launcher binds it)."""
    handler = type("Handler", (_Handler,), {"site": site})
    server = http.server.ThreadingHTTPServer(sock.getsockname()[:2], handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.daemon_threads = True
    return server
