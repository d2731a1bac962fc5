"""One lazily filled run per seed, for lesson tests whose claims share an expensive run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class PerSeed(dict):
    """seed -> run(seed), each seed run on first use: a worker that gets one seed's tests
    (tests/conftest.py groups them by seed) trains that seed alone."""

    def __init__(self, run: Callable[[int], Any]):
        super().__init__()
        self.run = run

    def __missing__(self, seed: int) -> Any:
        self[seed] = self.run(seed)
        return self[seed]
