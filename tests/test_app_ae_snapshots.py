"""SVG snapshots of the autoencoder lessons at 80x24 and 120x36: the picture with its second plane
(the latent codes against the prior's rings for the autoencoder; the rate-distortion plane with the
run's path, a knob change and the entropy bound for the beta-VAE) and, on the tall terminal, the
other plane in the lesson panel.

Fed with the real engine: each lesson's Session is opened on the CPU, stepped by a fixed plan and
served paused (one torch thread, so the frame is the same on every run, as tests/test_golden.py
relies on). Update after an intended change with:
pytest tests/test_app_ae_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from test_app_snapshots import loaded  # noqa: E402
from genstep.tui.app import GenstepApp  # noqa: E402

# steps, or knob=value, in order: what the user did before the snapshot
PLANS = {
    "ae-latent-holes": ["200"],  # the autoencoder: reconstructions on the data, prior samples off it
    "beta-vae-tradeoff": ["300", "beta=3", "100"],  # a VAE, then beta 3: the path turns on the plane
}


class SteppedEngine:
    """The engine at a fixed point of each lesson's plan; a Session is built once per lesson and
    shared by both sizes (the app never steps it: it opens paused)."""

    sessions: dict[str, tuple] = {}

    def __call__(self, name, seed=0, device="auto", overrides=()):
        if name not in self.sessions:
            from genstep.tui.run.build import open_session

            sc, s = open_session(name, 0, "cpu", overrides)
            for item in PLANS[name]:
                knob, _, value = item.partition("=")
                s.set(knob, value) if value else s.step(int(knob))
            self.sessions[name] = (sc, s)
        return self.sessions[name]

    def scenarios(self):
        return [(name, name) for name in PLANS]

    def summaries(self):
        return {}


@pytest.mark.parametrize("name", list(PLANS))
@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_autoencoder_lessons_in_the_app(snap_compare, name, size):
    app = GenstepApp(name, seed=0, device="cpu", session_factory=SteppedEngine())
    assert snap_compare(app, terminal_size=size, run_before=loaded)
