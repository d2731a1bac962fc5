"""Bounded metric history: every curve keeps at most `capacity` points.

When a curve fills up, every other point is dropped and from then on only every
`stride`-th point offered is kept, so memory stays bounded over any run length while the curve keeps
its shape end to end. Rewinding truncates.
"""

from __future__ import annotations

import numpy as np

from genstep.engine.frame import Curve


class Series:
    __slots__ = ("steps", "values", "n", "stride", "offered")

    def __init__(self, capacity: int):
        self.steps = np.empty(capacity, dtype=np.int64)
        self.values = np.empty(capacity, dtype=np.float64)
        self.n = 0
        self.stride = 1
        self.offered = 0  # points offered so far; every stride-th is kept

    def add(self, step: int, value: float) -> None:
        self.offered += 1
        if (self.offered - 1) % self.stride:
            return
        if self.n == len(self.steps):
            keep = (self.n + 1) // 2
            self.steps[:keep] = self.steps[: self.n : 2]
            self.values[:keep] = self.values[: self.n : 2]
            self.n = keep
            self.stride *= 2
        self.steps[self.n] = step
        self.values[self.n] = value
        self.n += 1

    def truncate(self, step: int) -> None:
        self.n = int(np.searchsorted(self.steps[: self.n], step, side="right"))

    def last(self) -> float | None:
        return float(self.values[self.n - 1]) if self.n else None


class History:
    def __init__(self, capacity: int = 4096):
        self.capacity = capacity
        self.series: dict[str, Series] = {}

    def add(self, step: int, values: dict[str, float]) -> None:
        for k, v in values.items():
            s = self.series.get(k)
            if s is None:
                s = self.series[k] = Series(self.capacity)
            s.add(step, v)

    def truncate(self, step: int) -> None:
        for s in self.series.values():
            s.truncate(step)

    def latest(self) -> dict[str, float]:
        return {k: s.last() for k, s in self.series.items() if s.n}

    def curves(self) -> dict[str, Curve]:
        return {k: Curve(s.steps[: s.n].copy(), s.values[: s.n].copy()) for k, s in self.series.items()}

    def clear(self) -> None:
        self.series.clear()
