"""A real browser calls Arena through Envoy from another origin, so CORS preflights happen for real.

Headless Chromium (driven by Selenium through chromedriver) loads web-bridge/browser/index.html, which
uses the connect-es gRPC-Web client (resolved by an import map from web-bridge/node_modules, no bundler)
and the code generated from api/ into web-bridge/gen. The page and those files come from a small static
server on a free loopback port.

The page must come from an origin the edge allows, and the platform fixture renders Envoy with the
default ``EdgeOptions.cors_origins``. Rather than binding one of those fixed ports, Chromium is told
(``--host-rules``) to connect to the static server whenever it opens PAGE_ORIGIN: the page's origin,
and so the Origin header of its calls, is PAGE_ORIGIN, while the same page opened at the static
server's own address is a disallowed origin, which the browser must refuse.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import json
import pathlib
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import httpx
import pytest
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from arena.edge.envoy_config import EdgeOptions
from arena.launcher import Platform
from e2e.test_js_client import js_client  # noqa: F401 - the fixture: npm ci and buf generate, once
from e2e.test_protocols import publish, wait_for_subscriber
from support.chromium import chromium

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("js_client")]

PAGE_ORIGIN = "http://localhost:5173"
"""An origin the edge allows by default (the Vite dev server's); the static server answers for it."""
PAGE_PATH = "/browser/index.html"
TICKS = 3
PAGE_LOAD_TIMEOUT_S = 15
WAIT_S = 20
GRPC_WEB_HEADERS = "content-type,x-grpc-web,x-user-agent"


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    """web-bridge/ as files; ES modules need a JavaScript MIME type, whatever /etc/mime.types says."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".html": "text/html; charset=utf-8",
    }

    def end_headers(self) -> None:
        self.send_header("cache-control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def static_port(repo_root: pathlib.Path) -> Iterator[int]:
    """A static HTTP server for web-bridge/ (the page, node_modules/, gen/) on a free loopback port."""
    handler = functools.partial(_StaticHandler, directory=str(repo_root / "web-bridge"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="static-web-bridge", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def browser(static_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Chromium whose PAGE_ORIGIN is served by the static server."""
    assert PAGE_ORIGIN in EdgeOptions().cors_origins, "the page's origin must be one the edge allows"
    page_host = urllib.parse.urlsplit(PAGE_ORIGIN).netloc
    with chromium(
        tmp_path_factory.mktemp("chromedriver"),
        host_rules=f"MAP {page_host} 127.0.0.1:{static_port}",
        page_load_timeout_s=PAGE_LOAD_TIMEOUT_S,
    ) as driver:
        yield driver


def page_url(origin: str, platform: Platform, topic: str) -> str:
    query = urllib.parse.urlencode({"edge": platform.settings.edge_url, "topic": topic, "ticks": TICKS})
    return f"{origin}{PAGE_PATH}?{query}"


def page_results(browser: WebDriver) -> dict[str, Any]:
    return browser.execute_script("return window.results ?? null") or {}


def console(browser: WebDriver) -> list[str]:
    """The browser console's entries since the last call."""
    try:
        return [entry["message"] for entry in browser.get_log("browser")]
    except WebDriverException as error:
        return [f"(console unavailable: {error.msg})"]


def wait_until(browser: WebDriver, what: str, condition: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The page's results once ``condition`` holds for them; fails after WAIT_S with what the page shows."""

    def check(driver: WebDriver) -> dict[str, Any] | None:
        results = page_results(driver)
        return results if condition(results) else None

    try:
        return WebDriverWait(browser, WAIT_S, poll_frequency=0.1).until(check)
    except TimeoutException:
        pytest.fail(
            f"the page did not get to {what} within {WAIT_S} s: "
            f"results {json.dumps(page_results(browser))}\nconsole {console(browser)}"
        )


def text(browser: WebDriver, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def access_log_lines(platform: Platform, match: Callable[[dict[str, Any]], bool], timeout_s: float = 5.0) -> list:
    """The edge's access log lines that ``match`` (the log reaches its file within half a second)."""
    path = platform.settings.log_dir / "envoy-access.log"
    deadline = time.monotonic() + timeout_s
    while True:
        lines = [json.loads(line) for line in path.read_text(errors="replace").splitlines() if line.startswith("{")]
        found = [line for line in lines if match(line)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_page_calls_arena_through_the_edge_from_an_allowed_origin(platform: Platform, browser: WebDriver):
    topic = f"contests/browser-{secrets.token_hex(4)}/board"
    browser.get(page_url(PAGE_ORIGIN, platform, topic))
    results = wait_until(browser, "its stream", lambda r: r.get("phase") in ("subscribed", "done", "failed"))
    assert results["phase"] == "subscribed", f"{results}\nconsole {console(browser)}"

    async def publish_when_subscribed() -> None:
        await wait_for_subscriber(platform, topic)
        await publish(platform, topic, TICKS)

    asyncio.run(asyncio.wait_for(publish_when_subscribed(), WAIT_S))
    results = wait_until(browser, f"{TICKS} ticks", lambda r: r.get("phase") in ("done", "failed"))
    assert results["phase"] == "done", f"{results}\nconsole {console(browser)}"

    # What the page shows.
    assert text(browser, "origin") == PAGE_ORIGIN
    assert int(text(browser, "jwks-count")) >= 1
    assert text(browser, "get-user-code") == "NotFound"
    assert text(browser, "get-user-message")
    assert text(browser, "tick-count") == str(TICKS)
    assert [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#ticks li")] == [str(i) for i in range(TICKS)]
    # And what it kept.
    assert results["origin"] == PAGE_ORIGIN and results["errors"] == []
    assert results["jwks"]["keys"] >= 1 and results["jwks"]["alg"] == "EdDSA"
    assert results["getUser"]["code"] == "NotFound" and "nobody" in results["getUser"]["message"]
    ticks = results["ticks"]
    assert [t["index"] for t in ticks] == list(range(TICKS))
    assert [t["topic"] for t in ticks] == [topic] * TICKS
    sequences = [int(t["sequence"]) for t in ticks]  # int64 is a JSON string
    assert sequences == sorted(sequences) and len(set(sequences)) == TICKS

    # The browser asked first: Envoy answered its preflights (OPTIONS from Chromium) for these methods.
    preflights = access_log_lines(
        platform,
        lambda line: (
            line.get("method") == "OPTIONS"
            and "Chrome" in (line.get("user_agent") or "")
            and line.get("path") == "/arena.realtime.v1.RealtimeService/Subscribe"
        ),
    )
    assert preflights and all(line["status"] in (200, 204) for line in preflights), preflights


def test_the_browser_refuses_calls_from_a_disallowed_origin(platform: Platform, browser: WebDriver, static_port: int):
    """The same page at the static server's own address: an origin the edge does not allow."""
    origin = f"http://127.0.0.1:{static_port}"
    assert origin not in EdgeOptions().cors_origins
    console(browser)  # drop earlier entries
    browser.get(page_url(origin, platform, f"contests/browser-{secrets.token_hex(4)}/board"))
    results = wait_until(browser, "an outcome", lambda r: r.get("phase") in ("subscribed", "done", "failed"))
    assert results["phase"] == "failed", results
    assert results["origin"] == origin and "jwks" not in results, results
    # fetch() rejects without saying why; connect-es makes that an Unknown ConnectError.
    assert (results.get("error") or {}).get("code") == "Unknown", results
    assert text(browser, "jwks-count") == ""
    messages = console(browser)
    assert any("CORS policy" in message and "GetJwks" in message for message in messages), messages


def test_preflight_allows_only_the_allowed_origin(platform: Platform, static_port: int):
    """What the browser relies on, asked directly: only an allowed origin gets CORS headers back."""
    disallowed = (f"http://127.0.0.1:{static_port}", f"http://evil-{secrets.token_hex(4)}.example")
    url = f"{platform.settings.edge_url}/arena.user.v1.UserService/GetJwks"
    with httpx.Client(timeout=10) as client:
        for origin in (PAGE_ORIGIN, *disallowed):
            preflight = client.options(
                url,
                headers={
                    "origin": origin,
                    "access-control-request-method": "POST",
                    "access-control-request-headers": GRPC_WEB_HEADERS,
                },
            )
            call = client.post(
                url,
                content=b"\x00\x00\x00\x00\x00",
                headers={"origin": origin, "content-type": "application/grpc-web+proto", "x-grpc-web": "1"},
            )
            assert call.status_code == 200, call.text  # the edge serves; reading the answer is the browser's call
            if origin == PAGE_ORIGIN:
                assert preflight.status_code in (200, 204), preflight.text
                assert preflight.headers.get("access-control-allow-origin") == origin
                allowed = {h.strip() for h in preflight.headers["access-control-allow-headers"].split(",")}
                assert set(GRPC_WEB_HEADERS.split(",")) <= allowed
                assert "POST" in preflight.headers["access-control-allow-methods"]
                assert call.headers.get("access-control-allow-origin") == origin
                assert "grpc-status" in call.headers["access-control-expose-headers"]
            else:
                assert "access-control-allow-origin" not in preflight.headers, (origin, dict(preflight.headers))
                assert "access-control-allow-origin" not in call.headers, (origin, dict(call.headers))
