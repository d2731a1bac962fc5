"""Shipped scenarios by name, and loading a scenario from a name or a path."""

from __future__ import annotations

from pathlib import Path

from genstep.engine.config import Scenario, ScenarioError
from genstep.engine.loading import load, read_toml


def scenario_dir() -> Path:
    """The shipped scenarios: engine/scenarios/ in an installed wheel, scenarios/ in a checkout."""
    here = Path(__file__).resolve().parent
    installed = here / "scenarios"
    return installed if installed.is_dir() else here.parent / "scenarios"


def list_scenarios() -> list[tuple[str, str]]:
    """(name, title) of every shipped scenario, sorted by name."""
    out = []
    for path in sorted(scenario_dir().glob("*.toml")):
        try:
            title = read_toml(path).get("lesson", {}).get("title", "")
        except ScenarioError:
            title = "(unreadable)"
        out.append((path.stem, str(title)))
    return out


def resolve(name_or_path: str) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or "/" in name_or_path:
        return p
    shipped = scenario_dir() / f"{name_or_path}.toml"
    if shipped.exists():
        return shipped
    names = ", ".join(n for n, _ in list_scenarios())
    raise ScenarioError(f"unknown scenario {name_or_path!r}: expected a shipped name ({names}) or a path to a .toml file")


def load_scenario(name_or_path: str, overrides=()) -> Scenario:
    path = resolve(name_or_path)
    return load(path, overrides, name=path.stem)
