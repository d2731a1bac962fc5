"""genstep's engine: scenarios, sessions and frames. Pure: torch and numpy, no textual, no rich.

Every name here loads on first use: `Session` brings torch (~1 s), `Scenario` and the loaders bring
pydantic (~0.1 s), and importing `engine.frame` alone (what the app's widgets need to draw) brings
only numpy, so the app's first frame waits for neither.
"""

from importlib import import_module

_WHERE = {
    "list_scenarios": "engine.catalog", "load_scenario": "engine.catalog",
    "Scenario": "engine.config", "ScenarioError": "engine.config",
    "Event": "engine.frame", "Frame": "engine.frame", "Note": "engine.frame",
    "KnobError": "engine.knobs",
    "Session": "engine.session", "DeviceError": "engine.session",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
