"""Data registry: 2D distributions by name, sampled with the session's own torch.Generator.

Every sampler returns (points (n, 2) float32, labels (n,) int64) on the generator's device;
labels are the cluster / mode a point came from (-1 where that means nothing), so the app can
colour latent points by cluster. Mode centres and the per-mode standard deviation are exposed
for the mode-coverage metrics.
"""

from __future__ import annotations

import csv
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from genstep.engine.config import shorten

MAX_CSV_ROWS = 1_000_000  # more points than this are sampled down (docs/reliability.md)


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


_BLOCK_CHARS = 1 << 22  # a CSV file is read and parsed about 4 MB (~200k lines) at a time


def read_points_csv(path: str | Path, max_rows: int = MAX_CSV_ROWS) -> np.ndarray:
    """Two numeric columns x,y; a header row (line 1) is optional. Errors name the file and the line.

    The file is read in blocks, each parsed in bulk by numpy; only a block numpy refuses is gone
    through line by line, to name the line. A file of more than `max_rows` points is sampled down
    to `max_rows`, uniformly at random and seeded (the same file always gives the same points),
    with memory bounded by `max_rows` however long the file. A UTF-8 byte-order mark is fine.
    One constant column (points on a line) is allowed; all points identical is an error.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise DataError(f"{path}: not a regular file; expected a CSV file of points x,y")
    sample = _Sample(max_rows)
    try:
        with open(path, encoding="utf-8-sig", newline=None) as f:  # universal newlines
            lineno = 0
            while lines := f.readlines(_BLOCK_CHARS):
                sample.add(_parse_block(lines, lineno, path))
                lineno += len(lines)
    except OSError as e:
        raise DataError(f"{path}: cannot read the points file ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: line {_first_non_utf8_line(path)}: not UTF-8 text; "
                        "expected CSV rows of two numbers x,y") from None
    if sample.seen < 10:
        raise DataError(f"{path}: needs at least 10 points, found {sample.seen}")
    pts = sample.result()
    if (pts == pts[0]).all():
        raise DataError(f"{path}: all points are identical; nothing to learn")
    return pts


def _parse_block(lines: list[str], offset: int, path: Path) -> np.ndarray:
    """(n, 2) points from lines offset+1 ...; a header is allowed on line 1 of the file only."""
    if offset == 0 and lines and _is_header(lines[0]):
        lines, offset = lines[1:], 1
    try:
        with warnings.catch_warnings():  # "input contained no data" and the like: not for the user
            warnings.simplefilter("ignore")
            pts = np.loadtxt(lines, delimiter=",", comments=None, dtype=np.float64, ndmin=2)
        if pts.shape[1:] == (2,) and len(pts) and np.isfinite(pts).all():
            return pts
    except ValueError:
        pass
    return _parse_lines(lines, offset, path)  # the slow way: says which line is wrong, and how


def _cells(line: str, lineno: int, path: Path) -> list[str]:
    try:
        return next(csv.reader([line]), [])
    except csv.Error as e:
        raise DataError(f"{path}: line {lineno}: not a CSV row ({e})") from None


def _is_header(line: str) -> bool:
    row = _cells(line, 1, Path("?"))
    if len(row) != 2:
        return False
    try:
        float(row[0]), float(row[1])
    except ValueError:
        return True
    return False


def _parse_lines(lines: list[str], offset: int, path: Path) -> np.ndarray:
    rows = []
    for lineno, line in enumerate(lines, start=offset + 1):
        row = _cells(line, lineno, path)
        if not row or all(not c.strip() for c in row):
            continue
        shown = shorten(repr(line.rstrip("\r\n")))
        if len(row) != 2:
            sep = next((c for c in (";", "\t", "|") if c in line), None)
            if sep is None and len(row) == 1 and " " in row[0].strip():
                sep = " "
            hint = f"; separate x and y with a comma, not {sep!r}" if sep else ""
            raise DataError(f"{path}: line {lineno}: expected 2 columns x,y, found {len(row)}{hint}")
        try:
            x, y = float(row[0]), float(row[1])
        except ValueError:
            raise DataError(f"{path}: line {lineno}: expected two numbers x,y, got {shown}") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise DataError(f"{path}: line {lineno}: x and y must be finite numbers, got {shown}")
        rows.append((x, y))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)


def _first_non_utf8_line(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            for lineno, raw in enumerate(f, start=1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    return str(lineno)
    except OSError:
        pass
    return "?"


class _Sample:
    """At most `cap` rows, drawn uniformly without replacement from a stream of blocks (Algorithm R,
    one block at a time, seeded), kept in the stream's order: memory stays O(cap)."""

    def __init__(self, cap: int, seed: int = 0):
        self.cap, self.seen = cap, 0
        self.rng = np.random.default_rng(seed)
        self.parts: list[np.ndarray] = []
        self.buf = self.index = None

    def add(self, pts: np.ndarray) -> None:
        if self.buf is None:  # still keeping everything
            room = self.cap - self.seen
            self.parts.append(pts[:room])
            self.seen += min(len(pts), room)
            if len(pts) <= room:
                return
            self.buf = np.concatenate(self.parts)
            self.index = np.arange(self.cap)
            self.parts = []
            pts = pts[room:]
        at = self.seen + np.arange(len(pts))  # each row's place in the stream
        slot = self.rng.integers(0, at + 1)  # row `at` takes slot `slot` when slot < cap
        keep = slot < self.cap
        self.buf[slot[keep]] = pts[keep]
        self.index[slot[keep]] = at[keep]
        self.seen += len(pts)

    def result(self) -> np.ndarray:
        if self.buf is None:
            return np.concatenate(self.parts) if self.parts else np.empty((0, 2))
        return self.buf[np.argsort(self.index, kind="stable")]


def points(path: str | Path, standardize: bool = True) -> Data:
    pts = read_points_csv(path)
    if standardize:  # the models' default scales assume data of unit-ish spread
        with np.errstate(all="ignore"):
            std = (pts - pts.mean(0)) / max(pts.std(0).max(), 1e-12)
            if not np.isfinite(std).all():  # values near the float64 limit overflow the sums: scale first
                scaled = pts / np.abs(pts).max()
                std = (scaled - scaled.mean(0)) / max(scaled.std(0).max(), 1e-300)
        pts = std
    big = float(np.abs(pts).max())
    if not big < 1e30:  # float32 holds ~3e38; the models need room above the data's scale
        raise DataError(f"{path}: values up to {big:.3g} are too large to train on; "
                        "rescale them (or set standardize = true)")
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


