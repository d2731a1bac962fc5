"""`genstep serve` in a real browser, as a teaching assistant uses it: open the page, click Start,
wait for `step 0`, press space and see the step count move, press q and see the app's process end.

A headless Chromium (the system's, through Playwright's `executable_path`; no browser download)
drives the served page on a free port of 127.0.0.1. What the browser's terminal draws is read from
the websocket frames the page receives (the terminal paints on a canvas, so there is no text in
the page to read). The test also checks that the page fetched nothing from outside this machine.

No silent skip: if chromium or playwright is missing the test fails and says how to install them
(`.ci/run` installs chromium; playwright is in the dev extra). GENSTEP_SKIP_BROWSER=1 skips it for
a developer who knows. GENSTEP_CHROMIUM names another chromium binary.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

SCENARIO = "wgan-disjoint"
LOAD_S = 90.0  # torch's import and the first frame, on a busy 2-core machine
# the status line once the lesson has loaded: "step 0  ║ paused  0 steps/s  ×1/tick  cpu  seed 0"
# (before that the device reads "…"), read from the terminal's text without its escape codes
STATUS = re.compile(r"step (\d+)(?: · [\w ]{1,40}?)?  [\u25ba\u2551\u25a0] (running|paused|stopped)[^\n]{0,60}?  (?:cpu|cuda)\b")
ANSI = re.compile(r"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>NOPc78]")
HOW = ("the browser test needs chromium and playwright: as root `apt-get install -y chromium` (.ci/run "
       "does it), and `.venv/bin/pip install -c constraints.txt -e '.[dev]'` (playwright is in the dev "
       "extra; no `playwright install` is needed). Set GENSTEP_SKIP_BROWSER=1 to skip this test knowingly.")


def _chromium() -> str:
    for name in (os.environ.get("GENSTEP_CHROMIUM"), "chromium", "chromium-browser"):
        path = name and shutil.which(name)
        if path:
            return path
    pytest.fail(f"no chromium on PATH. {HOW}", pytrace=False)


@pytest.fixture
def browser():
    if os.environ.get("GENSTEP_SKIP_BROWSER") == "1":
        pytest.skip("GENSTEP_SKIP_BROWSER=1: the served app was not tried in a browser")
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"playwright is not installed. {HOW}", pytrace=False)
    playwright = sync_playwright().start()
    try:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []  # chromium's sandbox refuses root
        chrome = playwright.chromium.launch(executable_path=executable, headless=True, args=args, timeout=30_000)
        try:
            yield chrome
        finally:
            chrome.close()
    finally:
        playwright.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(server: subprocess.Popen) -> None:
    """End the server, the apps it started and their training processes (in sessions of their own)."""
    try:
        family = psutil.Process(server.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for p in [server, *family]:
        try:
            p.send_signal(signal.SIGTERM)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    _, alive = psutil.wait_procs([psutil.Process(server.pid), *family] if server.poll() is None else family,
                                 timeout=5)
    for p in alive:
        p.kill()
    server.wait(5)


@pytest.fixture
def served(tmp_path):
    """`genstep serve SCENARIO` on a free port of 127.0.0.1: (its URL, its process, its log)."""
    port = _free_port()
    genstep = Path(sys.executable).parent / "genstep"
    command = [str(genstep)] if genstep.exists() else [sys.executable, "-m", "genstep.tui.cli"]
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([*command, "serve", SCENARIO, "--port", str(port)], stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, f"genstep serve exited {server.returncode}:\n{log.read_text()[-2000:]}"
                assert time.monotonic() < deadline, f"genstep serve did not listen in 30 s:\n{log.read_text()[-2000:]}"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/", server, log
    finally:
        _stop(server)


class Screen:
    """What the page's terminal was sent: the app's output, from the websocket frames."""

    def __init__(self, page) -> None:
        self.page, self.data = page, bytearray()
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:
        self.data.extend(payload if isinstance(payload, bytes) else payload.encode())

    def text(self) -> str:
        return ANSI.sub("", self.data.decode("utf-8", errors="replace"))

    def status(self) -> tuple[int, str] | None:
        """The status line's last `step N` and state, or None before the first frame."""
        found = STATUS.findall(self.text())
        return (int(found[-1][0]), found[-1][1]) if found else None

    def ended(self) -> bool:
        """The page says the app's connection closed (the app quit or died)."""
        return self.page.evaluate("document.body.classList.contains('-closed')")

    def wait(self, what: str, ready, timeout: float, log: Path) -> None:
        """Until `ready()`; the page's events are taken in while waiting (a plain sleep would not)."""
        deadline = time.monotonic() + timeout
        while not ready():
            ended = self.ended()
            if ended or time.monotonic() > deadline:
                why = "the app ended first" if ended else f"not within {timeout:.0f} s"
                tail = ANSI.sub("", self.text())[-1500:]
                raise AssertionError(f"{what}: {why}; status line last seen: {self.status()}\n"
                                     f"--- the terminal's last text:\n{tail}\n--- genstep serve's log:\n"
                                     f"{log.read_text(errors='replace')[-3000:]}")
            self.page.wait_for_timeout(100)


def _app_processes(server: subprocess.Popen) -> list[psutil.Process]:
    """The app processes the server started for a browser tab (`python -m genstep.tui.app ...`)."""
    found = []
    for p in psutil.Process(server.pid).children(recursive=True):
        try:
            if "genstep.tui.app" in " ".join(p.cmdline()):
                found.append(p)
        except psutil.NoSuchProcess:
            pass
    return found


def test_the_served_app_starts_on_click_takes_keys_and_quits(browser, served):
    url, server, log = served
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    screen = Screen(page)
    page.goto(url, timeout=20_000)

    # the start card, and no app yet: a page left open starts nothing
    page.wait_for_selector("#start", state="visible", timeout=10_000)
    assert not _app_processes(server)
    page.click("#start")
    screen.wait("the lesson's first frame (step 0, on its device) after Start", lambda: screen.status() is not None,
                LOAD_S, log)
    assert screen.status() == (0, "paused")
    assert len(_app_processes(server)) >= 1

    # space plays: the step count moves
    page.keyboard.press(" ")
    screen.wait("the step count moving after space", lambda: screen.status()[0] > 0, 30, log)
    assert screen.status()[1] == "running"

    # q quits: the app's process ends and the page says so
    apps = _app_processes(server)
    page.keyboard.press("q")
    gone, alive = psutil.wait_procs(apps, timeout=30)
    assert not alive, f"q did not end the app's process: {[p.pid for p in alive]}"
    page.wait_for_selector("#ended", state="visible", timeout=10_000)
    assert server.poll() is None  # the server stays up for the next Start

    outside = [u for u in requests if not u.startswith(url) and not u.startswith(url.replace("http", "ws", 1))]
    assert not outside, f"the page fetched from outside this machine: {outside}"
