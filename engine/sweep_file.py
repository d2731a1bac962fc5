"""A sweep file: JSONL, one finished run per line, appended as each run finishes.

Each line is written whole, flushed and fsynced before the next, so a sweep that is interrupted
(Ctrl+C, a killed job, a crash) keeps every run it finished. A crash in the middle of a write can
leave a last line without its newline: readers ignore it, and `--resume` cuts it off before
appending, so the file stays one JSON object per line.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from genstep.engine.errors import ScenarioError, shorten
from genstep.engine.records import target_problem

RECORD_KEYS = {"seed", "knobs", "status", "final"}  # what makes a line a sweep record


class SweepFileError(ScenarioError):
    pass


def _json_safe(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_safe(x) for x in v]
    return v


def is_record(obj) -> bool:
    return (isinstance(obj, dict) and RECORD_KEYS <= set(obj) and isinstance(obj["knobs"], dict)
            and isinstance(obj["final"], dict) and isinstance(obj["seed"], int) and not isinstance(obj["seed"], bool))


def check_out_path(path) -> Path:
    p = Path(path)
    if p.suffix.lower() != ".jsonl":
        raise SweepFileError(f"--out {shorten(str(p))}: expected a file name ending in .jsonl")
    if why := target_problem(p, show=shorten):
        raise SweepFileError(f"--out {shorten(str(p))}: {why}")
    return p


def read_records(path, *, strict: bool = True) -> tuple[list[dict], int]:
    """(records, bytes of whole lines): every complete line of a sweep file as a record. A last
    line without a newline (a write cut short) is left out; any other line that is not a sweep
    record is an error naming the line (or, with strict=False, skipped)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return [], 0
    except OSError as e:
        raise SweepFileError(f"{p}: cannot read ({e.strerror or e})") from None
    whole = data.rfind(b"\n") + 1  # bytes up to and with the last newline
    records = []
    for i, line in enumerate(data[:whole].split(b"\n")[:-1], start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
            obj = None
        if not is_record(obj):
            if strict:
                raise SweepFileError(f"{p}: line {i}: not a sweep record (a JSON object with "
                                     f"{', '.join(sorted(RECORD_KEYS))})")
            continue
        records.append(obj)
    return records, whole


class SweepFile:
    """Appends records to a sweep file, one whole line at a time.

    A new sweep refuses a file that already has records (resume it, or choose another name); a
    resumed one requires every line to come from the same sweep definition (scenario, steps,
    --set, --at) and first cuts off a half-written last line."""

    def __init__(self, path, sweep: dict, resume: bool):
        self.path = check_out_path(path)
        self.sweep = sweep
        records, whole = read_records(self.path)
        if records and not resume:
            raise SweepFileError(f"{self.path}: already holds {len(records)} runs; pass --resume to "
                                 f"continue that sweep, or choose another --out")
        for i, r in enumerate(records, start=1):
            theirs = r.get("sweep")
            if theirs != sweep:
                diff = [k for k in sweep if not isinstance(theirs, dict) or theirs.get(k) != sweep[k]]
                shown = ", ".join(f"{k} {json.dumps((theirs or {}).get(k))} there, {json.dumps(sweep[k])} here"
                                  for k in diff) if diff else "its definition differs"
                raise SweepFileError(f"{self.path}: run {i} is from another sweep ({shorten(shown, 160)}); "
                                     f"use another --out")
        self.records = records
        size = self.path.stat().st_size if self.path.exists() else 0
        if size > whole:  # a half-written last line: cut it off before appending
            with open(self.path, "r+b") as f:
                f.truncate(whole)
                f.flush()
                os.fsync(f.fileno())
        self._f = None  # opened at the first record: a sweep stopped before any run leaves no file

    def append(self, record: dict) -> None:
        line = (json.dumps(_json_safe(record), allow_nan=False) + "\n").encode("utf-8")
        if self._f is None:
            self._f = open(self.path, "ab")
        self._f.write(line)
        self._f.flush()
        os.fsync(self._f.fileno())
        self.records.append(record)

    def close(self) -> None:
        if self._f is not None and not self._f.closed:
            self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
