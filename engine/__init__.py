"""genstep's engine: scenarios, sessions and frames. Pure: torch and numpy, no textual, no rich.

`Session` (and with it torch, ~1 s to import) loads on first use, so listing and validating
scenarios, and the app's first frame, never wait for torch.
"""

from engine.catalog import list_scenarios, load_scenario
from engine.config import Scenario, ScenarioError
from engine.frame import Event, Frame, Note
from engine.knobs import KnobError

__all__ = ["DeviceError", "Event", "Frame", "KnobError", "Note", "Scenario", "ScenarioError",
           "Session", "list_scenarios", "load_scenario"]


def __getattr__(name):
    if name in ("Session", "DeviceError"):
        from engine import session

        return getattr(session, name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
