"""Installed, genstep adds one top-level name: `genstep`, with the engine and the app below it.

A wheel built from this checkout, installed (without dependencies: this environment has them) into
an empty folder and imported from outside the checkout: `import engine` fails, `import genstep`
gives the public API, every family and view sub-package is in the wheel (they are found, not
listed), the shipped scenarios come along, and `genstep list` runs from it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp / "dist"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp / "dist").glob("genstep-*.whl")
    target = tmp / "site"
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert inst.returncode == 0, inst.stderr[-2000:]
    return target, tmp


def _python(installed, code: str):
    target, cwd = installed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(target)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def test_only_genstep_is_a_top_level_name(installed):
    target, _ = installed
    tops = sorted(p.name for p in target.iterdir() if not p.name.endswith((".dist-info", ".pth")) and p.name != "bin")
    assert tops == ["genstep"]
    r = _python(installed, "import engine")
    assert r.returncode != 0 and "No module named 'engine'" in r.stderr


def test_the_public_api_and_every_family_come_from_the_wheel(installed):
    import json

    from genstep.engine.families import FAMILIES
    from genstep.tui.views import VIEWS

    target, _ = installed
    code = ("import json, genstep, genstep.tui.views as v; from genstep.engine.families import FAMILIES; "
            "print(json.dumps([genstep.__file__, genstep.Session.__name__, sorted(FAMILIES), sorted(v.VIEWS), "
            "[n for n, _ in genstep.list_scenarios()]]))")
    r = _python(installed, code)
    assert r.returncode == 0, r.stderr
    where, session, families, views, scenarios = json.loads(r.stdout)
    assert where.startswith(str(target)) and session == "Session"
    assert families == sorted(FAMILIES) and views == sorted(VIEWS)  # sub-packages are found, not listed
    assert scenarios == sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))


def test_genstep_list_runs_from_the_wheel(installed):
    r = _python(installed, "import sys; from genstep.tui.cli import main; sys.exit(main(['list']))")
    assert r.returncode == 0, r.stderr
    assert "gan-8gaussians" in r.stdout and "vae-posterior-collapse" in r.stdout
