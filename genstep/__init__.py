"""genstep: step through the training of generative models and watch the dynamics.

The public API for scripts and notebooks (everything the app can do, a script can do headless):

    import genstep
    session = genstep.load("gan-8gaussians", seed=0, **{"train.lr_g": 2e-4})
    session.step(2000)
    print(session.latest()["modes"])        # the collapse, as a number
    frame = session.frame()                 # numpy arrays: data, samples, the family's payload

`genstep.list_scenarios()` names the shipped lessons; `genstep.Session(scenario, seed, device)`
takes a scenario from `genstep.load_scenario(name_or_path, overrides)`. The engine is
`genstep.engine` (pure torch + numpy), the terminal app and command line `genstep.tui`.
Importing this package is cheap: torch loads when a Session is first made.
"""

from __future__ import annotations

__all__ = ["Session", "list_scenarios", "load", "load_scenario"]


def list_scenarios() -> list[tuple[str, str]]:
    """(name, title) of every shipped lesson."""
    from genstep.engine.catalog import list_scenarios as shipped

    return shipped()


def load_scenario(name_or_path: str, overrides=()):
    """A validated scenario from a shipped name or a .toml path, with `section.key=value` overrides."""
    from genstep.engine.catalog import load_scenario as load_one

    return load_one(name_or_path, list(overrides))


def load(name_or_path: str, seed: int = 0, device: str = "auto", **overrides):
    """A ready Session for a lesson. Keyword overrides name scenario fields with dots or double
    underscores: `load("vae-posterior-collapse", train__beta=0.2)` or `**{"train.beta": 0.2}`."""
    from genstep.engine.session import Session as _Session

    sets = [f"{key.replace('__', '.')}={_toml(value)}" for key, value in overrides.items()]
    return _Session(load_scenario(name_or_path, sets), seed=seed, device=device)


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def __getattr__(name):
    if name == "Session":
        from genstep.engine.session import Session

        return Session
    raise AttributeError(f"module 'genstep' has no attribute {name!r}")
