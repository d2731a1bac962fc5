"""Test-wide settings."""

import os

import pytest

# one intra-op thread per test process: the models are tiny, and with pytest -n 2 on 2 cores
# two threads per worker oversubscribe the machine (measured: ~10x slower steps).
os.environ.setdefault("OMP_NUM_THREADS", "1")

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass


# ---------------------------------------------------------------- keeping shared runs on one worker
#
# Several lesson modules train once in a module-scoped fixture and check many claims against that
# run. Under pytest-xdist's default `--dist load` a module's tests are handed out in small batches
# to whichever worker is free, so both workers often train the same fixture (measured with -n 2:
# the clip-vs-gp fixture, three seeds, set up on both workers, 65-75 s each; likewise the
# beta-vae sweep and others). pyproject.toml sets `--dist loadgroup`;
# here every test that uses one of these fixtures gets an xdist_group mark, so one worker runs them
# all and trains the fixture once. Where the fixture trains one seed at a time (a parametrized
# fixture, or a cache filled on demand), the group is per seed, so the two workers can share the
# seeds between them. Everything else is still scheduled test by test.

# module -> {fixture: per_seed}; per_seed: the seed is the fixture's own parameter, or the test's
# `seed` parameter for a cache filled per seed on first use
SHARED_RUNS = {
    "test_lesson_ae.py": {"holes": True, "sweep": True},
    "test_lesson_ar.py": {"runs": True},
    "test_lesson_clip_gp.py": {"runs": True},
    "test_lesson_diffusion.py": {"roll": False, "few": False},
    "test_lesson_gan.py": {"horizon": True},
    "test_lesson_gan25.py": {"runs": True},
    "test_lesson_ssl.py": {"run": True},
    "test_lesson_vae.py": {"horizon": True},
    "test_lesson_wgan.py": {"at_horizon": True},
    "test_sweep.py": {"local_sweep": False},
    "test_packaging.py": {"installed": False},  # builds and installs the wheel
}


def _shared_run_group(item) -> str | None:
    fixtures = SHARED_RUNS.get(item.path.name, {})
    used = [name for name in fixtures if name in item.fixturenames]
    if not used:
        return None
    group = f"{item.path.stem}:{'+'.join(used)}"
    params = item.callspec.params if hasattr(item, "callspec") else {}
    if all(fixtures[name] for name in used):
        seed = next((params[k] for k in (*used, "seed") if k in params), None)
        if seed is not None:
            group += f":seed{seed}"  # no "]" in a group name: xdist would not see the group
    assert "]" not in group, group
    return group


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        group = _shared_run_group(item)
        if group and not any(True for _ in item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(group))
