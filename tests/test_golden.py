"""The shipped lessons' numbers do not move under a refactor: the `--json` finals of each lesson for
seeds 0-2, with its cure applied half-way, equal (bit for bit) those recorded before the engine
was restructured around the family registry (tests/data/golden_finals.json, recorded at 83d9c43)."""

import json
from pathlib import Path

import pytest

from genstep.engine.catalog import load_scenario
from genstep.engine.session import Session, use_one_cpu_thread

GOLDEN = json.loads((Path(__file__).parent / "data" / "golden_finals.json").read_text())["runs"]


@pytest.mark.slow
@pytest.mark.parametrize("run", GOLDEN, ids=lambda r: f"{r['scenario']}-{r['seed']}")
def test_finals_are_bit_identical_to_the_recorded_ones(run):
    use_one_cpu_thread()
    s = Session(load_scenario(run["scenario"]), seed=run["seed"], device="cpu")
    for ev in run["events"]:
        s.schedule(ev["step"], ev["knob"], ev["new"])
    s.step(run["steps"])
    assert [e.as_dict() for e in s.events] == run["events"]
    final = s.latest()
    assert sorted(final) == sorted(run["final"])
    for name, want in run["final"].items():
        assert final[name] == want, (name, final[name], want)
