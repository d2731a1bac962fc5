"""SVG snapshots of the main layouts, fed with fixed frames (the fake engine at a fixed step).

Update after an intended change with: pytest tests/test_app_snapshots.py --snapshot-update
"""

import pytest
from textual.widgets import Input

from fakes import FakeFactory
from genstep.tui.app import GenstepApp
from genstep.tui.screens.dashboard import DashboardScreen


async def loaded(pilot):
    app = pilot.app
    for _ in range(250):
        if isinstance(app.screen, DashboardScreen) and app.screen.frame is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause(0.1)


@pytest.mark.parametrize(
    "scenario, size",
    [
        ("fake-gan", (80, 24)),
        ("fake-gan", (120, 36)),
        ("fake-disjoint", (120, 36)),
        ("fake-vae", (120, 36)),
    ],
)
def test_dashboard_layout(snap_compare, scenario, size):
    app = GenstepApp(scenario, session_factory=FakeFactory(start_step=150))
    assert snap_compare(app, terminal_size=size, run_before=loaded)


def test_refused_knob_value_dialog(snap_compare):
    async def refuse(pilot):
        await loaded(pilot)
        await pilot.press("e")
        await pilot.pause(0.1)
        pilot.app.screen.query_one(Input).cursor_blink = False  # a blinking cursor makes the SVG flaky
        await pilot.press("ctrl+a", *"42", "enter")
        for _ in range(100):
            if "out of range" in str(pilot.app.screen.query_one("#dialog-error").render()):
                break
            await pilot.pause(0.02)

    app = GenstepApp("fake-gan", session_factory=FakeFactory(start_step=150))
    assert snap_compare(app, terminal_size=(80, 24), run_before=refuse)
