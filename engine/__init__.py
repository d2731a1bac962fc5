"""genstep's engine: scenarios, sessions and frames. Pure: torch and numpy, no textual, no rich.

Every name here loads on first use: `Session` brings torch (~1 s), `Scenario` and the loaders bring
pydantic (~0.1 s), and importing `engine.frame` alone (what the app's widgets need to draw) brings
only numpy, so the app's first frame waits for neither.
"""

__all__ = ["DeviceError", "Event", "Frame", "KnobError", "Note", "Scenario", "ScenarioError",
           "Session", "list_scenarios", "load_scenario"]


def __getattr__(name):
    if name in ("list_scenarios", "load_scenario"):
        from genstep.engine import catalog as module
    elif name in ("Scenario", "ScenarioError"):
        from genstep.engine import config as module
    elif name in ("Event", "Frame", "Note"):
        from genstep.engine import frame as module
    elif name == "KnobError":
        from genstep.engine import knobs as module
    elif name in ("Session", "DeviceError"):
        from genstep.engine import session as module
    else:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(module, name)
