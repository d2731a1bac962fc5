"""Opening a lesson: validate its scenario, build its Session, put the training loop around it.

One path for every place a run is opened: the training process (`tui.run.child`), the app's
in-process fallback (`EngineFactory` and the dashboard's worker), the command line's check before
the app starts, and the headless `genstep run` (which needs the Session alone). Importing this
module costs nothing; `validate` imports pydantic but neither numpy nor torch, `open_session`
imports torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# (name, seed, device, overrides) -> (scenario, session): the engine's `open_session`, or a
# test's fake engine
SessionOpener = Callable[[str, int, str, Sequence[str]], tuple[Any, Any]]


def validate(name: str, overrides: Sequence[str] = ()) -> Any:
    """The lesson's Scenario: a shipped name or a TOML path, with dotted overrides; ScenarioError
    (one line naming the file, the field and what was expected) when it is not valid."""
    if is_run_file(name):  # a saved run: its own scenario, checked without torch
        from genstep.engine.errors import ScenarioError
        from genstep.engine.runfile import read_scenario

        if overrides:
            raise ScenarioError(f"{name}: a saved run keeps its own scenario (no --set)")
        return read_scenario(name)
    from genstep.engine.catalog import load_scenario

    return load_scenario(name, list(overrides))


def is_run_file(name: str) -> bool:
    """A saved run (`--save`, the app's S key) rather than a lesson."""
    return str(name).endswith(".genstep")


def open_session(name: str, seed: int = 0, device: str = "auto", overrides: Sequence[str] = (),
                 scenario: Any = None) -> tuple[Any, Any]:
    """(scenario, Session) for the lesson; `scenario` when it was validated already. On the CPU the
    calling thread keeps one torch thread: the lesson models are tiny, and one thread is faster
    than several, far faster on shared cores (the setting belongs to the thread that steps)."""
    if scenario is None:
        scenario = validate(name, overrides)
    from genstep.engine.session import Session, use_one_cpu_thread

    if is_run_file(name):  # continue it exactly where it was saved
        from genstep.engine.runfile import load

        session = load(name, None if device == "auto" else device)
    else:
        session = Session(scenario, seed=seed, device=device)
    if session.device == "cpu":
        use_one_cpu_thread()
    return scenario, session


def build(name: str, seed: int = 0, device: str = "auto", overrides: Sequence[str] = (), autoplay: bool = False,
          scenario: Any = None, opener: SessionOpener | None = None) -> tuple[Any, Any]:
    """(scenario, LocalRun): the lesson's Session with its training loop, not started (`run()`
    starts it, in the thread that called this). `opener` replaces the engine (tests' fakes)."""
    from genstep.tui.run.local import LocalRun, default_speed

    if opener is None:
        scenario, session = open_session(name, seed, device, overrides, scenario)
    else:
        scenario, session = opener(name, seed, device, list(overrides))
    speed = default_speed(int(scenario.lesson.steps))
    return scenario, LocalRun(session, speed, scenario=scenario, autoplay=autoplay)
