"""Each family's metric glossary is the one place a metric is defined: every metric a shipped lesson
reports is in its family's glossary, and the README's table is `genstep list --metrics`."""

import re
from pathlib import Path

import pytest

from genstep.engine.catalog import list_scenarios, load_scenario
from genstep.engine.families import FAMILIES
from genstep.tui.headless import metrics_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_glossary_is_the_families_glossary():
    text = README.read_text()
    m = re.search(r"<!-- metrics:begin -->\n(.*?)\n<!-- metrics:end -->", text, re.S)
    assert m, "README.md lost its metrics markers"
    assert m.group(1).strip() == metrics_table(), "regenerate the README table with: genstep list --metrics"


@pytest.mark.parametrize("name", [n for n, _ in list_scenarios()])
def test_every_metric_a_lesson_reports_is_in_its_familys_glossary(name):
    pytest.importorskip("torch")
    from genstep.engine.session import Session

    sc = load_scenario(name, ["probe.every=1", "probe.samples=200", "probe.w1_points=50"])
    s = Session(sc, seed=0, device="cpu")
    s.step(1)
    reported = set(s.latest())
    documented = set(FAMILIES[sc.family].metrics)
    assert reported and reported <= documented, f"undocumented: {sorted(reported - documented)}"
