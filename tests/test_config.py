"""Scenario validation: every error names the file, the field path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from genstep.engine import ScenarioError, list_scenarios, load_scenario
from genstep.engine.data import DataError, read_points_csv

DATA = Path(__file__).parent / "data"
SHIPPED = {"gan-8gaussians", "wgan-disjoint", "vae-posterior-collapse"}


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


BASE = """family = "gan"
[lesson]
title = "t"
[data]
kind = "ring"
"""


def test_the_shipped_scenarios_are_listed_with_titles_and_load():
    names = dict(list_scenarios())
    assert SHIPPED <= set(names)
    for name in SHIPPED:
        sc = load_scenario(name)
        assert sc.name == name and names[name] == sc.lesson.title
        assert sc.lesson.summary and sc.lesson.watch and sc.lesson.cure and sc.lesson.cure_steps > 0
        assert sc.knobs, name


@pytest.mark.parametrize("body,expected", [
    (BASE + "[model]\nhiden = 3\n", r"model\.hiden: unknown key"),
    (BASE + "[train]\nlr_g = \"fast\"\n", r"train\.lr_g: input should be a valid number"),
    (BASE + "[train]\nlr_g = -1\n", r"train\.lr_g: input should be greater than 0 \(got -1\)"),
    (BASE + "[train]\nloss = \"hinge\"\n", r"train\.loss: input should be 'ns', 'minimax'"),
    (BASE + "[train]\nn_critic = 1e9\n", r"train\.n_critic: "),
    (BASE.replace('kind = "ring"', 'kind = "spiral"'), r"data: expected one of 'ring'.*got 'spiral'"),
    ('family = "gan"\n[data]\nkind = "ring"\n', r"lesson: required field is missing"),
    ('family = "gmm"\n', r"expected one of 'gan', 'vae'(, '[a-z_-]+')*, got 'gmm'"),  # every registered family
    (BASE + "[knobs]\nbeta = {}\n", r"knobs\.beta: not a training setting of this family"),
    (BASE + "[knobs]\nlr_g = { min = 1, max = 0 }\n", r"knobs\.lr_g: .*min \(1.0\) must not exceed max"),
    (BASE.replace('title = "t"', 'title = "t"\ncure = ["n_critic=0"]') + "[knobs]\nn_critic = {min = 1, max = 5}\n",
     r"lesson\.cure\[0\]: n_critic: 0 is out of range"),
    (BASE + "[[lesson.notes]]\ntext = \"x\"\nwhen = \"modes <=\"\n", r"lesson\.notes\.0\.when: .*expected a condition"),
    (BASE + "[probe]\nsamples = nan\n", r"probe\.samples: "),
    ("this is = not toml [", r"invalid TOML"),
    ("", r"family: required field is missing"),
])
def test_bad_scenarios_name_the_file_and_field(tmp_path, body, expected):
    p = write(tmp_path, body)
    with pytest.raises(ScenarioError, match=expected) as e:
        load_scenario(str(p))
    assert str(e.value).startswith(str(p))


def test_non_utf8_and_missing_files(tmp_path):
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(str(p))
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(str(tmp_path / "missing.toml"))
    with pytest.raises(ScenarioError, match="unknown scenario 'nope': expected a shipped name"):
        load_scenario("nope")


def test_overrides_go_through_the_same_validation(tmp_path):
    sc = load_scenario("gan-8gaussians", ["model.hidden=32", "train.loss=wgan-gp"])
    assert sc.model.hidden == 32 and sc.train.loss == "wgan-gp"
    with pytest.raises(ScenarioError, match=r"with --set model\.hiden=3: model\.hiden: unknown key"):
        load_scenario("gan-8gaussians", ["model.hiden=3"])
    with pytest.raises(ScenarioError, match=r"expected dotted\.key=value"):
        load_scenario("gan-8gaussians", ["model.hidden"])
    with pytest.raises(ScenarioError, match=r"model\.hidden: input should be greater than or equal to 1"):
        load_scenario("gan-8gaussians", ["model.hidden=0"])
    with pytest.raises(ScenarioError, match=r"data\.kind is a value, not a section"):
        load_scenario("gan-8gaussians", ["data.kind.x.y=1"])


def test_csv_points_header_optional_and_bad_rows_named(tmp_path):
    good = write(tmp_path, "x,y\n" + "\n".join(f"{i},{i % 3}" for i in range(20)), "p.csv")
    assert read_points_csv(good).shape == (20, 2)
    no_header = write(tmp_path, "\n".join(f"{i},{i * 2}" for i in range(12)), "q.csv")
    assert read_points_csv(no_header).shape == (12, 2)
    bad = write(tmp_path, "x,y\n1,2\n3,four\n", "b.csv")
    with pytest.raises(DataError, match=r"b\.csv: line 3: expected two numbers x,y"):
        read_points_csv(bad)
    few = write(tmp_path, "1,2\n3,4\n", "f.csv")
    with pytest.raises(DataError, match="needs at least 10 points, found 2"):
        read_points_csv(few)
    same = write(tmp_path, "1,1\n" * 12, "c.csv")
    with pytest.raises(DataError, match="all points are identical"):
        read_points_csv(same)


def test_a_csv_scenario_resolves_its_path_beside_the_file(tmp_path):
    write(tmp_path, "\n".join(f"{i},{(i * 7) % 5}" for i in range(50)), "pts.csv")
    p = write(tmp_path, 'family = "gan"\n[lesson]\ntitle = "mine"\n[data]\nkind = "csv"\npath = "pts.csv"\n')
    sc = load_scenario(str(p))
    from genstep.engine import data

    d = data.build(sc.data)
    assert d.kind == "csv"
