"""The served page and the status line work offline and in any font (no browser needed here;
tests/test_serve_browser.py drives the real thing)."""

import asyncio
import re

import jinja2
from textual.app import App

from genstep.tui.serve_page import PAGE, page
from genstep.tui.widgets.status import PAUSED, RUNNING, STOPPED, StatusBar

STATIC = "http://127.0.0.1:8123/static/"
# WGL4's box drawing and geometric shapes that terminal fonts (Consolas, Menlo, DejaVu Sans Mono,
# Liberation Mono, Courier New) all draw; ASCII and Latin-1 are in every one of them
EVERY_FONT = set(chr(c) for c in range(0x20, 0x7F)) | set(chr(c) for c in range(0xA0, 0x100)) | set("…►◄▲▼■□║│─")


def rendered() -> str:
    """The page as textual-serve's server fills it in (its context, for a page on port 8123)."""
    return jinja2.Template(page()).render(
        config={"static": {"url": STATIC}}, app_websocket_url="ws://127.0.0.1:8123/ws", font_size=16,
        application={"name": "genstep"})


def test_the_page_fetches_nothing_from_outside_the_machine_it_is_served_from():
    html = rendered()
    urls = re.findall(r"""(?:href|src)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""", html)
    urls = [u for pair in urls for u in pair if u]
    assert urls, "found no links at all: the pattern is wrong"
    assert all(u.startswith(STATIC) for u in urls), urls
    assert "googleapis" not in PAGE and "https://" not in PAGE


def test_the_terminal_font_is_a_local_monospace_stack():
    html = rendered()
    faces = re.findall(r"@font-face\s*{([^}]*)}", html)
    assert faces and all('font-family: "Roboto Mono"' in f for f in faces)  # the name textual.js asks for
    for face in faces:
        sources = re.findall(r"(local|url)\(", face)
        assert sources[:3] == ["local"] * 3 and sources[-1] == "url"  # local fonts first, our own file last
        assert "DejaVu Sans Mono" in face and "Menlo" in face and "Consolas" in face


def test_the_app_starts_only_from_the_start_button():
    html = rendered()
    assert 'id="start"' in html and 'class="textual-terminal"' in html
    # without ?run=1 the terminal is removed before textual.js connects it on load
    assert 'document.getElementById("terminal").remove()' in html
    assert html.index('id="terminal"') < html.index('getElementById("terminal").remove()')


def test_the_status_line_uses_glyphs_every_font_has():
    assert {RUNNING, PAUSED, STOPPED} <= EVERY_FONT

    class One(App):
        def compose(self):
            yield StatusBar()

    async def lines() -> list[str]:
        app = One()
        out = []
        async with app.run_test(size=(100, 3)) as pilot:
            bar = app.query_one(StatusBar)
            bar.title, bar.device = "WGAN on disjoint supports", "cpu"
            for running, problem in ((False, ""), (True, ""), (False, "loss_d became nan")):
                bar.running, bar.problem = running, problem
                await pilot.pause()
                out.append(str(bar.render()))
        return out

    shown = asyncio.run(lines())
    assert [PAUSED in shown[0], RUNNING in shown[1], STOPPED in shown[2]] == [True, True, True]
    for line in shown:
        assert set(line) <= EVERY_FONT, sorted(set(line) - EVERY_FONT)
