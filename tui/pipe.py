"""Messages between the app and its training process, over a pipe: plain data, never code.

A message is nested plain values (None, bool, int, float, str, lists, tuples, str-keyed dicts),
numeric numpy arrays, and the engine's Frame records (Frame, Curve, Event, Note, and the payload
dataclasses of the registered families: `engine.frame.record_types()`).
It travels as one JSON header, in which every array is a reference, followed by the arrays' raw
bytes; the whole is preceded by its length. Nothing received is ever run or imported: a record
name outside the list, or an array that is not numeric, is refused.

The run's own messages (`tui.run.messages`: requests, answers, states) are records too; they are
looked up first, and are stdlib dataclasses, so a message without a Frame imports no numpy.
"""

from __future__ import annotations

import functools
import json
import os
import select
import struct
import sys
from dataclasses import fields, is_dataclass
from typing import Any

_LEN = struct.Struct("!Q")
_NUMERIC = "biuf"  # numpy dtype kinds an array may have


def _records() -> dict[str, type]:
    """The engine's Frame records and every registered family's payload classes, by name."""
    from genstep.engine.frame import record_types

    return record_types()


@functools.cache
def _messages() -> dict[str, type]:
    """The run's typed messages, by name (`tui.run.messages.message_types()`)."""
    from genstep.tui.run.messages import message_types

    return message_types()


def encode(message: Any) -> bytes:
    """The message as bytes; TypeError for anything that is not plain data."""
    # no numpy import for messages without arrays: the child's first answer (the validated
    # scenario) is sent before anything there needs numpy, and importing it would cost 40 ms
    # of the app's start-up. If numpy is not loaded, nothing in the message is an array.
    np = sys.modules.get("numpy")
    arrays: list[bytes] = []
    records: dict[str, type] = {}

    def enc(o: Any) -> Any:
        if o is None or isinstance(o, (bool, int, float, str)):
            return o
        if isinstance(o, list):
            return [enc(v) for v in o]
        if isinstance(o, tuple):
            return {"t": [enc(v) for v in o]}
        if isinstance(o, dict):
            if not all(isinstance(k, str) for k in o):
                raise TypeError("only dicts with str keys can be sent")
            return {"d": {k: enc(v) for k, v in o.items()}}
        if np is not None and isinstance(o, np.ndarray):
            if o.dtype.kind not in _NUMERIC:
                raise TypeError(f"only numeric arrays can be sent, not {o.dtype}")
            arrays.append(np.ascontiguousarray(o).tobytes())
            return {"a": [len(arrays) - 1, o.dtype.str, list(o.shape)]}
        if np is not None and isinstance(o, np.generic):
            return enc(o.item())
        name = type(o).__name__
        if type(o) is _messages().get(name):  # the run's own messages: no engine lookup, no numpy
            return {"r": name, "f": {f.name: enc(getattr(o, f.name)) for f in fields(o)}}
        if is_dataclass(o) and not isinstance(o, type):
            records.update(records or _records())
        if is_dataclass(o) and not isinstance(o, type) and type(o) is records.get(name):
            return {"r": name, "f": {f.name: enc(getattr(o, f.name)) for f in fields(o)}}
        raise TypeError(f"a {name} cannot be sent")

    header = json.dumps(enc(message), separators=(",", ":")).encode()
    return b"".join([_LEN.pack(len(header)), header, *(_LEN.pack(len(a)) + a for a in arrays)])


def decode(data: bytes | bytearray) -> Any:
    view = memoryview(data)
    (size,) = _LEN.unpack_from(view, 0)
    header = json.loads(bytes(view[_LEN.size:_LEN.size + size]))
    at = _LEN.size + size
    arrays = []
    while at < len(view):
        (n,) = _LEN.unpack_from(view, at)
        arrays.append(view[at + _LEN.size:at + _LEN.size + n])
        at += _LEN.size + n
    records: dict[str, type] | None = None

    def dec(o: Any) -> Any:
        nonlocal records
        if isinstance(o, list):
            return [dec(v) for v in o]
        if not isinstance(o, dict):
            return o
        if set(o) == {"r", "f"}:
            if o["r"] in _messages():
                return _messages()[o["r"]](**{k: dec(x) for k, x in o["f"].items()})
            records = records or _records()
            if o["r"] not in records:
                raise ValueError(f"refused a record named {o['r']!r:.40}")
            return records[o["r"]](**{k: dec(x) for k, x in o["f"].items()})
        tag, v = next(iter(o.items())) if len(o) == 1 else ("?", None)
        if tag == "t":
            return tuple(dec(x) for x in v)
        if tag == "d":
            return {k: dec(x) for k, x in v.items()}
        if tag == "a":
            import numpy as np

            index, dtype, shape = v
            dt = np.dtype(dtype)
            if dt.kind not in _NUMERIC:
                raise ValueError(f"refused an array of {dt}")
            return np.frombuffer(bytearray(arrays[index]), dtype=dt).reshape(shape)  # writable
        raise ValueError(f"refused a message part {o!r:.60}")

    return dec(header)


class Connection:
    """One direction of a pipe carrying messages, each after its 8-byte length."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, message: Any) -> None:
        data = encode(message)
        view = memoryview(_LEN.pack(len(data)) + data)
        while view:
            view = view[os.write(self.fd, view):]

    def recv(self) -> Any:
        (size,) = _LEN.unpack(self._exactly(_LEN.size))
        return decode(self._exactly(size))

    def poll(self, timeout: float) -> bool:
        return bool(select.select([self.fd], [], [], timeout)[0])

    def _exactly(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = os.read(self.fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("the other end closed the pipe")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)
