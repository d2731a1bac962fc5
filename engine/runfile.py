"""A run saved to one file, loaded to continue exactly, and a run written as the command that replays it.

The file (`.genstep`) is a small text header and a blob:

    genstep-run 1\\n
    <sha256 hex of what follows the digest line>\\n
    <length of the JSON header>\\n<JSON header: scenario, seed, device, steps, events, ...>
    <blob: torch.save of the latest state: weights, optimizer state, random generator, history>

The blob is read with `torch.load(weights_only=True)`, which rebuilds tensors and plain containers
only, never arbitrary objects; numpy arrays travel as tensors. The digest covers the header and the
blob, so a truncated or altered file is refused with a clear message before anything is built.

Loading builds the Session afresh from the scenario and seed (its step-0 state is the first
checkpoint, as in any run), then restores the saved state as the checkpoint at the saved step:
continuing is bit-identical to never having stopped (on the CPU), and rewinding below the saved
step replays from step 0 through the saved knob events.
"""

from __future__ import annotations

import hashlib
import io
import json
import shlex
from pathlib import Path

from genstep.engine.errors import ScenarioError

MAGIC = b"genstep-run 1\n"
MAX_BYTES = 1 << 30


def _pack(obj):
    """numpy arrays -> tagged tensors, recursively (weights_only loading takes no numpy)."""
    import numpy as np
    import torch

    if isinstance(obj, np.ndarray):
        return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(obj)), "dtype": obj.dtype.str}
    if isinstance(obj, dict):
        return {k: _pack(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_pack(v) for v in obj)
    return obj


def _unpack(obj):
    import numpy as np

    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            return obj["__ndarray__"].numpy().astype(np.dtype(obj["dtype"]), copy=True)
        return {k: _unpack(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unpack(v) for v in obj)
    return obj


def _scenario_table(sc) -> dict:
    table = sc.model_dump(mode="json")
    if table["data"].get("kind") == "csv":  # the file as resolved when the run started
        table["data"]["path"] = sc.data.resolved_path
    return table


def save(session, path) -> Path:
    """Write the session to `path`, atomically (a crash never leaves half a file)."""
    import torch

    from genstep.engine.records import atomic_write_bytes

    sc = session.scenario
    header = {
        "scenario": _scenario_table(sc), "seed": session.seed, "device": session.device,
        "steps": session.steps, "status": session.status, "message": session.message,
        "events": [e.as_dict() for e in session.events],
        "scheduled": [[p.step, p.knob, p.value] for p in session._pending if p.origin == "scheduled"],
        "notes": [[n.step, n.text, n.trigger] for n in session.notes.fired],
    }
    series = {k: {"steps": s.steps[: s.n].copy(), "values": s.values[: s.n].copy(), "stride": s.stride,
                  "offered": s.offered} for k, s in session.history.series.items()}
    buf = io.BytesIO()
    torch.save(_pack({"state": session._snapshot(), "history": series}), buf)
    head = json.dumps(header, separators=(",", ":")).encode()
    body = f"{len(head)}\n".encode() + head + buf.getvalue()
    data = MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
    return atomic_write_bytes(path, data)


def _verified(path) -> tuple[dict, bytes]:
    """The header and the blob's bytes of a run file whose checksum holds (no torch needed)."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(f"{p}: no such file") from None
    except OSError as e:
        raise ScenarioError(f"{p}: cannot read ({e.strerror or e})") from None
    bad = f"{p}: not a genstep run file"
    if not data.startswith(MAGIC):
        raise ScenarioError(f"{bad} (expected one written by --save or the app's save key)")
    rest = data[len(MAGIC):]
    digest, _, body = rest.partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        raise ScenarioError(f"{bad}: it is truncated or was altered (its checksum does not match)")
    size, _, rest = body.partition(b"\n")
    try:
        n = int(size)
        header = json.loads(rest[:n])
        if not isinstance(header, dict):
            raise ValueError("header")
    except ValueError as e:
        raise ScenarioError(f"{bad}: cannot read its header ({type(e).__name__})") from None
    return header, rest[n:]


def read_scenario(path):
    """The validated scenario of a saved run, without loading torch (what the app checks first)."""
    from genstep.engine.config import validate

    header, _ = _verified(path)
    if not isinstance(header.get("scenario"), dict):
        raise ScenarioError(f"{path}: not a genstep run file: it has no scenario")
    return validate(header["scenario"], f"{path} (its scenario)")


def load(path, device: str | None = None):
    """The Session saved in `path`, ready to continue exactly where it stopped."""
    import torch

    from genstep.engine.frame import Event, Note
    from genstep.engine.history import Series
    from genstep.engine.session import Session, _Pending

    header, raw = _verified(path)
    try:
        buffer = io.BytesIO(raw)
        blob = _unpack(torch.load(buffer, weights_only=True))
    except Exception as e:  # noqa: BLE001 - a well-formed checksum over a malformed file: say so
        raise ScenarioError(f"{path}: not a genstep run file: cannot read its contents ({type(e).__name__})") from None
    sc = read_scenario(path)
    try:
        s = Session(sc, seed=int(header["seed"]), device=device or header["device"])
        for step, knob, value in header["scheduled"]:
            s._pending.append(_Pending(int(step), knob, s._coerce(knob, value), "scheduled"))
        s._restore(blob["state"])
        s.steps = int(header["steps"])
        s.events = [Event(**e) for e in header["events"]]
        s.status, s.message = header["status"], header["message"]
        s.notes.truncate(-1)
        for step, text, trigger in header["notes"]:
            s.notes.fired.append(Note(int(step), text, trigger))
        s.notes.truncate(s.steps)  # re-derives which declared notes are done
        for name, saved in blob["history"].items():
            series = s.history.series[name] = Series(s.history.capacity)
            k = len(saved["steps"])
            series.steps[:k], series.values[:k] = saved["steps"], saved["values"]
            series.n, series.stride, series.offered = k, int(saved["stride"]), int(saved["offered"])
        s._checkpoints[s.steps] = s._snapshot()
    except ScenarioError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as e:
        raise ScenarioError(f"{path}: not a genstep run file: its contents do not fit its scenario "
                            f"({type(e).__name__}: {str(e)[:80]})") from None
    s._pending.sort(key=lambda p: p.step)
    return s


def replay_command(session, name: str, overrides=(), steps: int | None = None) -> str:
    """The command line that replays this run from step 0: `genstep run NAME --seed S --at ...`."""
    parts = ["genstep", "run", name, "--seed", str(session.seed)]
    for o in overrides:
        parts += ["--set", o]
    for e in session.events:
        parts += ["--at", f"{e.step}:{e.knob}={e.new}"]
    parts += ["--steps", str(session.steps if steps is None else steps)]
    return " ".join(shlex.quote(p) for p in parts)
