"""The Arena web app (web-bridge/app, built into web-bridge/dist) in a real headless Chromium, served by the
platform's own Envoy as `make up` serves it, calling the services over gRPC-Web with live streams.

One user's path through the app, in order (the tests share the browser and its session): sign-up with
validation errors under the fields, a bad login, the problem list and a problem whose statement tries
to inject HTML, Run on custom input, a wrong then a right answer judged live test by test with a reload
in the middle of judging (the page resumes the stream after the last event it saw), the notifications
bell, a contest's live board moved by another user's verdict, 403 and 404 pages, and axe-core on every
main page. The run writes the README's screenshots to docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from arena.edge.envoy_config import EdgeOptions
from arena.launcher import Platform
from arena.webapp.server import StaticSite, make_server
from e2e.conftest import admin_token
from support.chromium import chromium

pytestmark = pytest.mark.timeout(180)

T = TypeVar("T")
WAIT_S = 30
PASSWORD = "correct horse battery"
RUN_ID = secrets.token_hex(3)
USERNAME = f"web-{RUN_ID}"
OTHER_ORIGIN = "http://localhost:5173"
"""Where the app is also served from, to call the edge across origins (the Vite dev server's origin)."""
SCREENSHOTS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Markdown renders; raw HTML and javascript: links must not.
STATEMENT = """Read two integers *a* and *b* and print their sum, slowly.

<img src="x" onerror="window.pwned = 1">

<script>window.pwned = 2</script>

[a trap](javascript:window.pwned=3)
"""
TESTS = [(f"{i} {i}\n", f"{2 * i}\n") for i in range(1, 9)]
SLOW = "import sys, time\na, b = map(int, sys.stdin.read().split())\ntime.sleep(0.6)\n"
WRONG = SLOW + "print(a + b + (1 if a == 8 else 0))\n"  # fails only the last test
RIGHT = SLOW + "print(a + b)\n"
ACCEPTED_A_PLUS_B = "a, b = map(int, input().split())\nprint(a + b)\n"


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# -- the platform's side ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dist(repo_root: pathlib.Path) -> pathlib.Path:
    built = repo_root / "web-bridge" / "dist"
    if not (built / "index.html").is_file():
        pytest.fail("web-bridge/dist is not built: run `make web-app` (make test builds it first)")
    return built


@pytest.fixture(scope="module")
def edge(platform: Platform, dist: pathlib.Path) -> str:
    return platform.settings.edge_url


@pytest.fixture(scope="module")
def slow_problem(edge: str) -> dict[str, Any]:
    """A problem that takes a few seconds to judge (8 tests of 0.6 s), so a reload lands mid-judging."""
    with httpx.Client(base_url=edge, timeout=30) as rest:
        body = {
            "slug": f"web-slow-{RUN_ID}",
            "title": f"Slow sum {RUN_ID}",
            "statement": STATEMENT,
            "difficulty": "DIFFICULTY_MEDIUM",
            "tags": ["web-e2e", "math"],
            "time_limit": "2s",
            "memory_limit_kib": 262144,
            "checker": {"kind": "CHECKER_KIND_TOKENS"},
            "sample_tests": [{"input": i, "expected_output": o} for i, o in TESTS[:1]],
            "hidden_tests": [{"input": i, "expected_output": o} for i, o in TESTS[1:]],
        }
        created = rest.post("/v1/problems", json=body, headers=auth(admin_token(rest)))
        assert created.status_code == 200, created.text
        return dict(created.json()["problem"])


@pytest.fixture(scope="module")
def contest(edge: str) -> dict[str, Any]:
    """A running ICPC contest on A + B and Mean value, not frozen."""
    with httpx.Client(base_url=edge, timeout=30) as rest:
        created = rest.post(
            "/v1/contests",
            json={
                "title": f"Web Cup {RUN_ID}",
                "description": "The web app's end-to-end contest.",
                "scoring_rule": "SCORING_RULE_ICPC",
                "start_time": rfc3339(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)),
                "duration": "7200s",
                "problems": [{"problem_id": "a-plus-b"}, {"problem_id": "mean-value"}],
            },
            headers=auth(admin_token(rest)),
        )
        assert created.status_code == 200, created.text
        return dict(created.json()["contest"])


@pytest.fixture(scope="module")
def rival(edge: str) -> dict[str, str]:
    """Another user, driven through REST."""
    username = f"rival-{RUN_ID}"
    with httpx.Client(base_url=edge, timeout=30) as rest:
        created = rest.post(
            "/v1/users", json={"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        )
        assert created.status_code == 200, created.text
        login = rest.post("/v1/auth:login", json={"username": username, "password": PASSWORD}).json()
        return {"username": username, "user_id": login["user"]["user_id"], "token": login["tokens"]["access_token"]}


# -- the browser's side -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def other_origin_port(edge: str, dist: pathlib.Path) -> Iterator[int]:
    """The same build served from another origin (as a CDN would), naming the edge it calls."""
    sock = socket.create_server(("127.0.0.1", 0))
    server = make_server(StaticSite(dist, edge=edge), sock)
    thread = threading.Thread(target=server.serve_forever, name="webapp-other-origin", daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, other_origin_port: int) -> Iterator[WebDriver]:
    with chromium(
        tmp_path_factory.mktemp("chromedriver"),
        # OTHER_ORIGIN (one the edge's CORS policy allows) is the second static server.
        host_rules=f"MAP {OTHER_ORIGIN.removeprefix('http://')} 127.0.0.1:{other_origin_port}",
        extra_arguments=("--window-size=1280,1000", "--force-device-scale-factor=1"),
        script_timeout_s=30,
    ) as driver:
        yield driver


def console(browser: WebDriver) -> list[str]:
    try:
        return [entry["message"] for entry in browser.get_log("browser")]
    except WebDriverException as error:
        return [f"(console unavailable: {error.msg})"]


def wait_for(browser: WebDriver, what: str, condition: Callable[[WebDriver], T], timeout_s: float = WAIT_S) -> T:
    """``condition``'s first truthy value, polled; fails after the timeout with what the page shows."""

    def check(driver: WebDriver) -> T | None:
        try:
            return condition(driver)
        except WebDriverException:
            return None

    try:
        return WebDriverWait(browser, timeout_s, poll_frequency=0.1).until(check)
    except TimeoutException:
        main = browser.find_element(By.TAG_NAME, "body").text
        pytest.fail(
            f"the page did not get to {what} within {timeout_s} s; it shows:\n{main}\nconsole {console(browser)}"
        )


def element(browser: WebDriver, selector: str) -> WebElement:
    return wait_for(browser, f"an element {selector}", lambda d: d.find_element(By.CSS_SELECTOR, selector))


def text_of(browser: WebDriver, selector: str) -> str:
    return wait_for(browser, f"text in {selector}", lambda d: d.find_element(By.CSS_SELECTOR, selector).text.strip())


def open_page(browser: WebDriver, edge: str, path: str) -> None:
    browser.get(edge + path)
    wait_for(browser, "the app to start", lambda d: "Loading Arena" not in d.find_element(By.ID, "main").text)


def fill(form: WebElement, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def field_error(browser: WebDriver, name: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f'.field-error[data-field="{name}"]').text


def axe(browser: WebDriver, repo_root: pathlib.Path, page: str) -> None:
    """axe-core on the current page: no serious or critical violations."""
    source = (repo_root / "web-bridge" / "node_modules" / "axe-core" / "axe.min.js").read_text()
    browser.execute_script(source)
    violations = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ["violations"] })
          .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                                     nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }))))
          .catch((e) => done([{ id: "axe-failed", impact: "critical", help: String(e), nodes: [] }]));
        """
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"accessibility violations on {page}: {serious}"


def screenshot(browser: WebDriver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOTS / name)), name


def edit_and_submit(browser: WebDriver, source: str) -> str:
    """Puts ``source`` in the editor, submits it, returns the submission id from the page it lands on."""
    element(browser, "#editor .cm-content")
    Select(browser.find_element(By.ID, "language")).select_by_value("python3")
    browser.execute_script("window.arenaEditor.text = arguments[0]", source)
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, "the submission page", lambda d: "/submissions/" in d.current_url)
    return browser.current_url.rsplit("/", 1)[1]


def test_the_edge_serves_the_app_beside_the_api(edge: str, dist: pathlib.Path):
    with httpx.Client(base_url=edge, timeout=10) as client:
        index = client.get("/")
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
        csp = index.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert index.headers["cache-control"] == "no-cache"
        asset = next(p.name for p in (dist / "assets").iterdir() if p.suffix == ".js")
        script = client.get(f"/assets/{asset}")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert "immutable" in script.headers["cache-control"]
        # Client-side routes get the page; the API is still the API.
        for route in ("/problems", "/problems/a-plus-b", "/contests/x", "/submissions/y", "/signin"):
            routed = client.get(route)
            assert routed.status_code == 200 and routed.text == index.text, route
        assert client.head("/problems").status_code == 200
        health = client.get("/v1/health")
        assert health.status_code == 200 and health.json()["status"] == "SERVING_STATUS_SERVING"
        unknown = client.get("/v1/no-such-thing")
        assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/json")
        assert client.get("/assets/missing.js").text == index.text  # unknown files: the app (its own 404 page)
        assert client.post("/problems").status_code == 404  # only GET and HEAD reach the app


def test_without_a_build_the_app_route_says_how_to_build(tmp_path: pathlib.Path):
    sock = socket.create_server(("127.0.0.1", 0))
    server = make_server(StaticSite(tmp_path / "dist"), sock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = httpx.get(f"http://127.0.0.1:{sock.getsockname()[1]}/problems", timeout=5)
        assert answer.status_code == 503 and "make web-app" in answer.text
        assert answer.headers["cache-control"] == "no-store"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_sign_up_shows_field_errors_then_signs_in(browser: WebDriver, edge: str, repo_root: pathlib.Path):
    open_page(browser, edge, "/signup")
    axe(browser, repo_root, "sign-up")
    form = element(browser, "form[aria-label='Create an account']")
    fill(form, {"username": "x", "email": "not-an-email", "password": "short"})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, "field errors", lambda d: field_error(d, "username"))
    assert "3-32" in field_error(browser, "username")
    assert "email" in field_error(browser, "email")
    assert field_error(browser, "password")
    assert form.find_element(By.NAME, "username").get_attribute("aria-invalid") == "true"
    assert "marked fields" in form.find_element(By.CSS_SELECTOR, ".form-error").text
    axe(browser, repo_root, "sign-up with errors")

    fill(form, {"username": USERNAME, "email": f"{USERNAME}@example.com", "password": PASSWORD})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert text_of(browser, "#who") == USERNAME
    wait_for(browser, "the problem list", lambda d: d.current_url.endswith("/problems"))
    # The refresh token is sealed: neither it nor the access token sits in web storage as text.
    stored = browser.execute_script("return JSON.stringify({...sessionStorage, ...localStorage})")
    assert "refresh" in stored and "eyJ" not in stored, stored


def test_a_bad_login_says_so(browser: WebDriver, edge: str):
    browser.find_element(By.ID, "signout").click()
    element(browser, "#signin-link").click()
    form = element(browser, "form[aria-label='Sign in']")
    fill(form, {"username": USERNAME, "password": "not my password"})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = wait_for(browser, "the error", lambda d: d.find_element(By.CSS_SELECTOR, ".form-error .error"))
    assert "Wrong username or password" in error.text and error.get_attribute("data-status") == "401"
    fill(form, {"password": PASSWORD})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert text_of(browser, "#who") == USERNAME


def test_problem_list_filters_and_a_safe_statement(
    browser: WebDriver, edge: str, slow_problem: dict[str, Any], repo_root: pathlib.Path
):
    open_page(browser, edge, "/problems")
    element(browser, "table.table tbody tr")
    axe(browser, repo_root, "problem list")
    form = browser.find_element(By.CSS_SELECTOR, "form.filters")
    Select(form.find_element(By.NAME, "difficulty")).select_by_value("MEDIUM")
    fill(form, {"tag": "web-e2e", "q": "slow"})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(
        browser,
        "the filtered list",
        lambda d: "tag=web-e2e" in d.current_url and "1 problem" in d.find_element(By.ID, "main").text,
    )
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.table tbody td:first-child a")]
    assert titles == [slow_problem["title"]]

    browser.find_element(By.LINK_TEXT, slow_problem["title"]).click()
    statement = element(browser, ".statement")
    assert statement.find_elements(By.CSS_SELECTOR, "em")  # Markdown renders
    assert not statement.find_elements(By.CSS_SELECTOR, "img, script")  # HTML does not
    assert '<img src="x"' in statement.text
    assert not [a for a in statement.find_elements(By.TAG_NAME, "a") if "javascript" in (a.get_attribute("href") or "")]
    assert browser.execute_script("return window.pwned ?? null") is None
    assert "Time limit 2.00 s" in text_of(browser, ".meta") and "256.0 MiB" in text_of(browser, ".meta")
    assert len(browser.find_elements(By.CSS_SELECTOR, "section.sample")) == 1

    like = browser.find_element(By.XPATH, "//button[contains(., 'Like')]")
    assert like.get_attribute("aria-pressed") == "false"
    like.click()
    wait_for(browser, "the like", lambda d: like.get_attribute("aria-pressed") == "true" and "(1)" in like.text)
    bookmark = browser.find_element(By.XPATH, "//button[contains(., 'Bookmark')]")
    bookmark.click()
    wait_for(browser, "the bookmark", lambda d: bookmark.get_attribute("aria-pressed") == "true")
    element(browser, "#editor .cm-content")
    axe(browser, repo_root, "problem page")


def test_run_on_custom_input(browser: WebDriver, slow_problem: dict[str, Any]):
    browser.execute_script("window.arenaEditor.text = arguments[0]", RIGHT)
    stdin = browser.find_element(By.ID, "stdin")
    stdin.clear()
    stdin.send_keys("20 22")
    browser.find_element(By.ID, "run").click()
    assert wait_for(browser, "the run's output", lambda d: d.find_element(By.ID, "run-stdout").text) == "42"
    assert "Run: Ok" in browser.find_element(By.ID, "run-output").text
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, "problem.png")


def test_verdicts_arrive_live_and_survive_a_reload(
    browser: WebDriver, edge: str, slow_problem: dict[str, Any], repo_root: pathlib.Path
):
    edit_and_submit(browser, WRONG)
    wait_for(browser, "the first test result", lambda d: d.find_elements(By.CSS_SELECTOR, "#tests tbody tr"))
    judging = browser.find_element(By.ID, "judging")
    assert judging.get_attribute("data-verdict") == "", "the first test arrived after the verdict: not live"
    browser.refresh()  # mid-judging
    resumed = wait_for(
        browser, "the resumed stream", lambda d: d.find_element(By.ID, "judging").get_attribute("data-resumed-from")
    )
    assert int(resumed) >= 1
    assert "Resumed after event" in text_of(browser, "#watch-status")
    wait_for(browser, "the verdict", lambda d: d.find_element(By.ID, "judging").get_attribute("data-verdict"))
    judging = browser.find_element(By.ID, "judging")
    assert judging.get_attribute("data-verdict") == "WRONG_ANSWER"
    rows = browser.find_elements(By.CSS_SELECTOR, "#tests tbody tr")
    assert [r.get_attribute("data-ordinal") for r in rows] == [str(i) for i in range(1, 9)]
    assert [r.get_attribute("data-verdict") for r in rows] == ["ACCEPTED"] * 7 + ["WRONG_ANSWER"]
    assert "Wrong answer" in text_of(browser, "#verdict")

    browser.find_element(By.LINK_TEXT, "Problem").click()
    edit_and_submit(browser, RIGHT)
    wait_for(
        browser, "the verdict", lambda d: d.find_element(By.ID, "judging").get_attribute("data-verdict") == "ACCEPTED"
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "#tests tbody tr[data-verdict=ACCEPTED]")) == 8
    axe(browser, repo_root, "submission page")
    screenshot(browser, "submission.png")

    # The AI review, streamed: a review text and the findings (the static analysis when no model is set).
    element(browser, "#analyze").click()
    wait_for(
        browser,
        "the AI review",
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, "#ai-review .findings li")
            and d.find_element(By.ID, "analyze").is_enabled()
        ),
    )
    review = browser.find_element(By.ID, "ai-review")
    assert review.find_element(By.CSS_SELECTOR, ".review").text, review.text
    assert not review.find_elements(By.CSS_SELECTOR, ".error"), review.text

    # My submissions: both, with their verdicts.
    browser.find_element(By.ID, "nav-submissions").click()
    table = element(browser, "#submissions")
    wait_for(browser, "both submissions", lambda d: len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) >= 2)
    assert "Accepted" in table.text and "Wrong answer" in table.text


def test_the_bell_counts_the_verdict_notifications(browser: WebDriver):
    wait_for(browser, "unread notifications", lambda d: int(d.find_element(By.ID, "unread-count").text or 0) >= 2)
    browser.find_element(By.ID, "bell").click()
    panel = element(browser, "#notifications-panel")
    wait_for(browser, "the notifications", lambda d: len(panel.find_elements(By.CSS_SELECTOR, "li.unread")) >= 2)
    browser.find_element(By.ID, "mark-all-read").click()
    wait_for(browser, "no unread", lambda d: d.find_element(By.ID, "unread-count").text == "0")
    browser.find_element(By.ID, "bell").click()


def test_the_board_moves_live_when_another_user_is_judged(
    browser: WebDriver, edge: str, contest: dict[str, Any], rival: dict[str, str], repo_root: pathlib.Path
):
    contest_id = contest["contest_id"]
    open_page(browser, edge, "/contests")
    element(browser, "ul.cards")
    axe(browser, repo_root, "contest list")
    open_page(browser, edge, f"/contests/{contest_id}")
    browser.find_element(By.XPATH, "//button[normalize-space()='Register']").click()
    wait_for(browser, "the registration", lambda d: "Registered" in d.find_element(By.CSS_SELECTOR, ".meta").text)
    element(browser, "#leaderboard table")  # redrawn on every board version: looked up afresh below
    me = wait_for(browser, "my row", lambda d: d.find_element(By.CSS_SELECTOR, "#leaderboard tr.me"))
    assert me.get_attribute("aria-current") == "true" and "(you)" in me.text

    with httpx.Client(base_url=edge, timeout=30) as rest:
        registered = rest.post(f"/v1/contests/{contest_id}:register", json={}, headers=auth(rival["token"]))
        assert registered.status_code == 200, registered.text
        version = int(browser.find_element(By.ID, "leaderboard").get_attribute("data-version"))
        submitted = rest.post(
            "/v1/submissions",
            json={
                "problem_id": contest["problems"][0]["problem_id"],
                "language_id": "python3",
                "source": ACCEPTED_A_PLUS_B,
                "contest_id": contest_id,
            },
            headers=auth(rival["token"]),
        )
        assert submitted.status_code == 200, submitted.text
    rival_row = f"#leaderboard tr[data-user-id='{rival['user_id']}']"
    wait_for(
        browser,
        "the rival's solve on the board",
        lambda d: d.find_element(By.CSS_SELECTOR, f"{rival_row} td.score").text == "1",
    )
    assert int(browser.find_element(By.ID, "leaderboard").get_attribute("data-version")) > version
    assert "solved" in browser.find_element(By.CSS_SELECTOR, f"{rival_row} td.cell[data-label=A]").get_attribute(
        "class"
    )
    assert browser.find_element(By.ID, "leaderboard").get_attribute("data-frozen") == "false"
    axe(browser, repo_root, "contest page")
    screenshot(browser, "contest.png")


def test_a_frozen_board_announcements_and_questions(browser: WebDriver, edge: str, repo_root: pathlib.Path):
    with httpx.Client(base_url=edge, timeout=30) as rest:
        admin = admin_token(rest)
        created = rest.post(
            "/v1/contests",
            json={
                "title": f"Frozen Cup {RUN_ID}",
                "scoring_rule": "SCORING_RULE_ICPC",
                "start_time": rfc3339(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)),
                "duration": "3600s",
                "freeze_before_end": "3600s",  # frozen from the start
                "problems": [{"problem_id": "a-plus-b"}],
            },
            headers=auth(admin),
        )
        assert created.status_code == 200, created.text
        cid = created.json()["contest"]["contest_id"]
        announced = rest.post(
            f"/v1/contests/{cid}/announcements", json={"text": f"Welcome {RUN_ID}"}, headers=auth(admin)
        )
        assert announced.status_code == 200, announced.text
    open_page(browser, edge, f"/contests/{cid}")
    wait_for(
        browser,
        "the frozen board",
        lambda d: d.find_element(By.ID, "leaderboard").get_attribute("data-frozen") == "true",
    )
    assert "frozen" in text_of(browser, "#leaderboard .frozen")
    assert f"Welcome {RUN_ID}" in text_of(browser, ".clarifications .announcement")

    # A question needs text: the error shows under the field; then it is asked and listed.
    form = element(browser, "form[aria-label='Ask a question']")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert (
        wait_for(browser, "the field error", lambda d: field_error(d, "text")) == "is required"
    )  # the server's own words, under the field
    assert form.find_element(By.NAME, "text").get_attribute("aria-invalid") == "true"
    form.find_element(By.NAME, "text").send_keys("Is the input one line?")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # Only contestants may ask: the refusal says why, in the form.
    refusal = wait_for(browser, "the refusal", lambda d: d.find_element(By.CSS_SELECTOR, "form .form-error .error"))
    assert refusal.get_attribute("data-status") == "400" and "regist" in refusal.text, refusal.text
    browser.find_element(By.XPATH, "//button[normalize-space()='Register']").click()
    wait_for(browser, "the registration", lambda d: "Registered" in d.find_element(By.CSS_SELECTOR, ".meta").text)
    form = element(browser, "form[aria-label='Ask a question']")
    form.find_element(By.NAME, "text").send_keys("Is the input one line?")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(
        browser,
        "the question",
        lambda d: "Is the input one line?" in d.find_element(By.CSS_SELECTOR, ".clarifications").text,
    )
    assert field_error(browser, "text") == ""
    axe(browser, repo_root, "frozen contest page")


def test_forbidden_and_missing_pages_say_so(browser: WebDriver, edge: str, rival: dict[str, str]):
    open_page(browser, edge, f"/submissions?user={rival['user_id']}")
    error = element(browser, "main .error")
    assert error.get_attribute("data-status") == "403" and "permission" in error.text
    open_page(browser, edge, "/problems/no-such-problem")
    error = element(browser, "main .error")
    assert error.get_attribute("data-status") == "404" and "Not found" in error.text
    open_page(browser, edge, "/contests/no-such-contest")
    assert element(browser, "main .error").get_attribute("data-status") == "404"


def test_the_app_works_from_another_origin(browser: WebDriver, edge: str):
    """Served elsewhere, the app calls the edge across origins: CORS preflights, credentials, streams."""
    assert OTHER_ORIGIN in EdgeOptions().cors_origins and not edge.startswith(OTHER_ORIGIN)
    browser.get(OTHER_ORIGIN + "/signin")
    form = element(browser, "form[aria-label='Sign in']")
    assert browser.execute_script("return location.origin") == OTHER_ORIGIN
    fill(form, {"username": USERNAME, "password": PASSWORD})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert text_of(browser, "#who") == USERNAME
    element(browser, "table.table tbody tr")  # ListProblems with the bearer token, cross-origin
    browser.find_element(By.ID, "nav-submissions").click()
    table = element(browser, "#submissions")
    assert "Accepted" in table.text
    wait_for(
        browser,
        "the bell's stream",
        lambda d: d.find_element(By.CSS_SELECTOR, ".bell-holder").get_attribute("data-unread"),
    )
