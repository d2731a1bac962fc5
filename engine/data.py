"""Data registry: 2D distributions by name, sampled with the session's own torch.Generator.

Every sampler returns (points (n, 2) float32, labels (n,) int64) on the generator's device;
labels are the cluster / mode a point came from (-1 where that means nothing), so the app can
colour latent points by cluster. Mode centres and the per-mode standard deviation are exposed
for the mode-coverage metrics.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

MAX_CSV_ROWS = 1_000_000  # more than this is sampled down (documented in the README)


class DataError(ValueError):
    """A data source that cannot be built (bad CSV, too few points): the message says why."""


@dataclass
class Data:
    """A 2D distribution. `sample(n, gen)` draws n points using only `gen`."""

    kind: str
    centres: np.ndarray | None  # (K, 2) mode centres, for mode coverage
    sd: float | None  # per-mode standard deviation, for HQ
    bounds: tuple[float, float, float, float]  # extent to draw
    _sampler: object = None

    def sample(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return self._sampler(n, gen)


def _pad_bounds(xmin, xmax, ymin, ymax, frac=0.15, minimum=0.5):
    w, h = xmax - xmin, ymax - ymin
    side = max(w, h, minimum)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half = side * (0.5 + frac)
    return (cx - half, cx + half, cy - half, cy + half)


def _mixture(centres: np.ndarray, sd: float, kind: str) -> Data:
    c = torch.tensor(centres, dtype=torch.float32)

    def sample(n, gen):
        dev = gen.device
        idx = torch.randint(len(c), (n,), generator=gen, device=dev)
        noise = torch.randn(n, 2, generator=gen, device=dev) * sd
        return c.to(dev)[idx] + noise, idx

    r = np.abs(centres).max() + 3 * sd
    return Data(kind, centres.astype(np.float32), sd, _pad_bounds(-r, r, -r, r), sample)


def ring(n_modes: int = 8, radius: float = 2.0, sd: float = 0.02) -> Data:
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return _mixture(centres, sd, "ring")


def grid(size: int = 5, spacing: float = 2.0, sd: float = 0.05) -> Data:
    ticks = (np.arange(size) - (size - 1) / 2) * spacing
    centres = np.array([(x, y) for x in ticks for y in ticks])
    return _mixture(centres, sd, "grid")


def moons(noise: float = 0.05) -> Data:
    def sample(n, gen):
        dev = gen.device
        which = torch.randint(2, (n,), generator=gen, device=dev)
        t = torch.rand(n, generator=gen, device=dev) * math.pi
        x = torch.where(which == 0, torch.cos(t), 1 - torch.cos(t))
        y = torch.where(which == 0, torch.sin(t), 0.5 - torch.sin(t))
        pts = torch.stack([x - 0.5, y - 0.25], dim=1) * 1.5
        return pts + noise * torch.randn(n, 2, generator=gen, device=dev), which

    return Data("moons", None, None, _pad_bounds(-2.3, 2.3, -1.5, 1.5), sample)


def swissroll(noise: float = 0.05) -> Data:
    def sample(n, gen):
        dev = gen.device
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=gen, device=dev))
        pts = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / 5.0
        label = torch.clamp(((t / math.pi - 1.5) / 3 * 4).long(), 0, 3)  # 4 arcs along the roll
        return pts + noise * torch.randn(n, 2, generator=gen, device=dev), label

    return Data("swissroll", None, None, _pad_bounds(-2.2, 2.8, -2.6, 2.2), sample)


def lines(theta0: float = 1.0) -> Data:
    """P0 = (0, Z), Z ~ U[0, 1] (Arjovsky et al. 2017, Example 1). theta0 only sets the extent."""

    def sample(n, gen):
        dev = gen.device
        z = torch.rand(n, generator=gen, device=dev)
        return torch.stack([torch.zeros_like(z), z], dim=1), torch.zeros(n, dtype=torch.long, device=dev)

    r = max(abs(theta0), 1.0) * 1.25
    return Data("lines", None, None, (-r, r, 0.5 - r, 0.5 + r), sample)


def read_points_csv(path: str | Path) -> np.ndarray:
    """Two numeric columns x,y; a header row is optional. Errors name the file and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise DataError(f"{path}: cannot read the points file ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file; expected CSV rows of two numbers x,y") from None
    rows = []
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != 2:
            raise DataError(f"{path}: line {lineno}: expected 2 columns x,y, found {len(row)}")
        try:
            x, y = float(row[0]), float(row[1])
        except ValueError:
            if lineno == 1 and not rows:
                continue  # a header row
            raise DataError(f"{path}: line {lineno}: expected two numbers x,y, got {','.join(row)!r}") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise DataError(f"{path}: line {lineno}: x and y must be finite numbers")
        rows.append((x, y))
    pts = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 10:
        raise DataError(f"{path}: needs at least 10 points, found {len(pts)}")
    if np.ptp(pts, axis=0).max() == 0:
        raise DataError(f"{path}: all points are identical; nothing to learn")
    if len(pts) > MAX_CSV_ROWS:
        keep = np.random.default_rng(0).choice(len(pts), MAX_CSV_ROWS, replace=False)
        pts = pts[np.sort(keep)]
    return pts


def points(path: str | Path, standardize: bool = True) -> Data:
    pts = read_points_csv(path)
    if standardize:  # the models' default scales assume data of unit-ish spread
        pts = (pts - pts.mean(0)) / max(pts.std(0).max(), 1e-12)
    table = torch.tensor(pts, dtype=torch.float32)

    def sample(n, gen):
        dev = gen.device
        idx = torch.randint(len(table), (n,), generator=gen, device=dev)
        return table.to(dev)[idx], torch.full((n,), -1, dtype=torch.long, device=dev)

    lo, hi = pts.min(0), pts.max(0)
    return Data("csv", None, None, _pad_bounds(lo[0], hi[0], lo[1], hi[1]), sample)


def build(cfg) -> Data:
    """Build the data source named by a validated `data` config section."""
    k = cfg.kind
    if k == "ring":
        return ring(cfg.n_modes, cfg.radius, cfg.sd)
    if k == "grid":
        return grid(cfg.size, cfg.spacing, cfg.sd)
    if k == "moons":
        return moons(cfg.noise)
    if k == "swissroll":
        return swissroll(cfg.noise)
    if k == "lines":
        return lines()
    if k == "csv":
        return points(cfg.resolved_path, cfg.standardize)
    raise DataError(f"unknown data kind {k!r}")


KINDS = ("ring", "grid", "moons", "swissroll", "lines", "csv")
