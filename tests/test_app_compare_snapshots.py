"""SVG snapshots of comparison mode: two branches side by side at 120x36, one at a time at 80x24.

Fed with fixed frames of the fake engine. Update after an intended change with:
pytest tests/test_app_compare_snapshots.py --snapshot-update
"""

from dataclasses import replace

import pytest

from fakes import FakeFactory, fake_frame, load_scenario
from test_app_snapshots import loaded
from genstep.tui.app import GenstepApp


def compare_frame(name: str, selected: int):
    sc = load_scenario(name)
    main = replace(fake_frame(sc, seed=0, step=300), branch="main")
    knobs = dict(main.knobs) | {"beta": 0.2}
    fork = replace(fake_frame(sc, seed=1, step=500, knobs=knobs), branch="fork 1 @300: beta=0.2")
    frames = (main, fork)
    return replace(frames[selected], branches=frames, selected=selected)


@pytest.mark.parametrize("size, selected", [((120, 36), 1), ((80, 24), 0)])
def test_compare_layout(snap_compare, size, selected):
    async def show(pilot):
        await loaded(pilot)
        pilot.app.screen.show_frame(compare_frame("fake-vae", selected))
        await pilot.pause(0.2)

    app = GenstepApp("fake-vae", session_factory=FakeFactory(start_step=150))
    assert snap_compare(app, terminal_size=size, run_before=show)
