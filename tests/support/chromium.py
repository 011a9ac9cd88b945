"""Headless Chromium (Debian's chromium and chromedriver) driven by Selenium, as the browser tests use it."""

from __future__ import annotations

import contextlib
import pathlib
import shutil
from collections.abc import Iterator, Sequence

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",  # root in a container
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-extensions",
    "--disable-background-networking",
    "--no-first-run",
)


@contextlib.contextmanager
def chromium(
    log_dir: pathlib.Path,
    *,
    host_rules: str = "",
    extra_arguments: Sequence[str] = (),
    page_load_timeout_s: float = 20,
    script_timeout_s: float = 5,
) -> Iterator[WebDriver]:
    """A headless Chromium with its console log kept (``goog:loggingPrefs``); ``host_rules`` maps a host
    name to a local server (``MAP host:port 127.0.0.1:port``), so a page can have another origin."""
    binary, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or chromedriver is None:
        pytest.fail("chromium and chromedriver are not on PATH: install the Debian packages chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (*_ARGUMENTS, *extra_arguments, *([f"--host-rules={host_rules}"] if host_rules else [])):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=chromedriver, log_output=str(log_dir / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(page_load_timeout_s)
        driver.set_script_timeout(script_timeout_s)
        yield driver
    finally:
        driver.quit()
