"""Metric rows to files: JSONL or CSV by extension, always written atomically.

Rows go to a temporary file beside the target and are renamed onto it at the end, so a crash
or Ctrl+C never leaves a half-written file under the name the user asked for (an interrupted
run still gets its rows written: `close()` runs in a finally block).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path


class RecordError(ValueError):
    pass


def _fmt(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def target_problem(p: Path, show=str) -> str | None:
    """Why a file cannot be written at `p` (its folder is missing, or `p` is a folder), or None.
    Every writer of the project asks this before it starts, so nothing is half done when it fails;
    `show` renders the folder's name in the message (e.g. shortened)."""
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        return f"the folder {show(str(parent))} does not exist"
    if p.is_dir():
        return "is a folder, expected a file name"
    return None


def check_path(path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in (".jsonl", ".csv"):
        raise RecordError(f"{p}: expected a file name ending in .jsonl or .csv")
    if why := target_problem(p):
        raise RecordError(f"{p}: {why}")
    return p


class MetricsWriter:
    """Collects rows (dicts with a "step") and writes them atomically on close()."""

    def __init__(self, path):
        self.path = check_path(path)
        self.rows: list[dict] = []

    def add(self, step: int, row: dict) -> None:
        self.rows.append({"step": step, **{k: _fmt(v) for k, v in row.items()}})

    def truncate(self, step: int) -> None:
        """Forget rows after `step` (a run that went back to its last good state)."""
        self.rows = [r for r in self.rows if r["step"] <= step]

    def close(self) -> None:
        write_rows(self.rows, self.path)


def write_rows(rows: list[dict], path) -> None:
    path = check_path(path)
    buf = io.StringIO()
    if path.suffix.lower() == ".jsonl":
        for r in rows:
            buf.write(json.dumps(r) + "\n")
    else:
        cols: list[str] = []
        for r in rows:
            cols += [k for k in r if k not in cols]
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    atomic_write_text(path, buf.getvalue())


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it over `path`: readers see the
    old file or the new one, never half of one."""
    path = Path(path)
    if why := target_problem(path):
        raise RecordError(f"{path}: {why}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_history(history, path) -> None:
    """A (downsampled) History as rows, one per step that has any value."""
    by_step: dict[int, dict] = {}
    for name, s in history.series.items():
        for step, v in zip(s.steps[: s.n].tolist(), s.values[: s.n].tolist()):
            by_step.setdefault(step, {})[name] = _fmt(v)
    write_rows([{"step": k, **by_step[k]} for k in sorted(by_step)], path)


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _checked_row(r: dict, p: Path, i: int) -> dict:
    """A row as plain data: "step" a whole number, every metric a finite number or None."""
    step = r.get("step")
    if not (_number(step) and math.isfinite(step) and step == int(step)):
        raise RecordError(f"{p}: line {i}: \"step\" must be a whole number")
    out = {"step": int(step)}
    for k, v in r.items():
        if k == "step":
            continue
        if v is not None and not _number(v):
            raise RecordError(f"{p}: line {i}: {str(k)[:40]!r} must be a number or null")
        out[str(k)] = float(v) if v is not None and math.isfinite(v) else None
    return out


def read_rows(path) -> list[dict]:
    """Rows from a metrics file written by genstep (JSONL or CSV)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise RecordError(f"{p}: cannot read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise RecordError(f"{p}: not UTF-8 text; expected a metrics file (.jsonl or .csv)") from None
    rows = []
    if p.suffix.lower() == ".csv":
        try:
            for i, r in enumerate(csv.DictReader(io.StringIO(text)), start=2):
                try:
                    r = {k: (float(v) if v not in ("", None) else None) for k, v in r.items()}
                except (ValueError, TypeError):
                    raise RecordError(f"{p}: line {i}: expected numbers in every column") from None
                rows.append(_checked_row(r, p, i))
        except csv.Error as e:
            raise RecordError(f"{p}: not a CSV metrics file ({e})") from None
    else:
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except (ValueError, RecursionError):  # JSONDecodeError is a ValueError; so is a 5000-digit int
                raise RecordError(f"{p}: line {i}: not a JSON object") from None
            if not isinstance(r, dict) or "step" not in r:
                raise RecordError(f"{p}: line {i}: expected an object with a \"step\"")
            rows.append(_checked_row(r, p, i))
    if not rows:
        raise RecordError(f"{p}: no metric rows")
    return rows
