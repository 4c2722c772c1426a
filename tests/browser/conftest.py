"""The browser tests' fixtures: ``review-scorer serve`` in a process of its own, over the whole
local stack with the demo model, and Chromium headless driven by Selenium.

Chromium and its driver are Debian's (``make browser`` installs them); Selenium is given both
paths, so Selenium Manager never looks for, or downloads, a browser or a driver.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1000, 1000)
SCREENSHOTS_ENV = "REVIEW_SCORER_SCREENSHOTS"
"""A folder to save the README's screenshots in as well (``make screenshots``: docs/)."""
START_SECONDS = 120


@dataclass(frozen=True)
class Served:
    url: str  # http://127.0.0.1:<port>, no trailing slash
    log: Path

    def post_json(self, path: str, document: Any) -> Any:
        """The API's answer to ``document`` posted to ``path``, as a client other than the
        page gets it."""
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            self.url + path,
            data=json.dumps(document).encode("utf-8"),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (as above)
            return json.loads(answer.read())


@pytest.fixture(scope="module")
def served(demo_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``review-scorer serve --port 0`` with the demo model until the module's tests are done."""
    with serving(demo_model, tmp_path_factory.mktemp("serve")) as site:
        yield site


@contextmanager
def serving(model: Path, folder: Path) -> Iterator[Served]:
    """``review-scorer serve --port 0 --model MODEL``, its output in ``folder``; then SIGTERM,
    and it must stop cleanly (exit status 0)."""
    out, log = folder / "stdout.txt", folder / "stderr.txt"
    command = [sys.executable, "-m", "review_scorer_local", "serve", "--port", "0"]
    with out.open("w") as stdout, log.open("w") as stderr:
        process = subprocess.Popen(
            [*command, "--model", str(model)],
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "REVIEW_SCORER_CACHE": str(folder / "cache")},
        )
    try:
        url = _served_url(process, out, log)
        yield Served(url, log)
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=60)
    assert status == 0, f"serve did not stop cleanly ({status}); see {log}"


def _served_url(process: subprocess.Popen[bytes], out: Path, log: Path) -> str:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        found = re.search(r"serving (http://127\.0\.0\.1:\d+)/", out.read_text())
        if found:
            return found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"serve did not start: {log.read_text()[-2000:]}")


def chromium(*arguments: str) -> WebDriver:
    """Debian's Chromium, headless, in a window of :data:`WINDOW`, with ``arguments`` (command
    line switches) added; the caller quits it."""
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed: run `make browser`")
    options = Options()
    options.binary_location = str(CHROMIUM)
    options.add_argument("--headless=new")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.add_argument("--disable-dev-shm-usage")  # containers' /dev/shm is small
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium's sandbox refuses to run as root
    for argument in arguments:
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: WebDriver, served: Served) -> WebDriver:
    """The page, freshly loaded, in a window of :data:`WINDOW`."""
    browser.set_window_size(*WINDOW)
    browser.get(served.url + "/")
    return browser


def screenshot(browser: WebDriver, folder: Path, name: str, readme_name: str = "") -> None:
    """Save the window as ``folder/name``; with ``readme_name``, and the environment variable
    :data:`SCREENSHOTS_ENV` set, a copy goes into that folder (the README's pictures) too."""
    path = folder / name
    assert browser.save_screenshot(str(path)), f"no screenshot saved at {path}"
    target = os.environ.get(SCREENSHOTS_ENV)
    if readme_name and target:
        shutil.copyfile(path, Path(target) / readme_name)
