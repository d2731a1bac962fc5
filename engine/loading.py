"""Reading a scenario: TOML bytes to a raw table, dotted overrides applied, then validated.

Kept apart from the schema (engine/config.py): this is the I/O and the `--set` syntax, that is
what a scenario is allowed to contain.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from genstep.engine.config import MAX_TOML_BYTES, Scenario, ScenarioError, shorten, validate


def read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:  # bounded: /dev/zero or a runaway file must not hang or fill memory
            data = f.read(MAX_TOML_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, expected a scenario .toml file") from None
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read ({e.strerror or e})") from None
    if len(data) > MAX_TOML_BYTES:
        raise ScenarioError(f"{path}: too large for a scenario file (over {MAX_TOML_BYTES >> 20} MiB)")
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows editors) is fine
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {e.start}); expected a TOML scenario file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: invalid TOML: {e}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: invalid TOML: nested too deeply") from None
    except ValueError as e:  # e.g. an integer past Python's int-string limit (4300 digits)
        raise ScenarioError(f"{path}: invalid TOML: {shorten(str(e).split(':')[0], 80)}") from None


def parse_override(text: str) -> tuple[list[str], object]:
    """`model.hidden=64` -> (["model", "hidden"], 64). The value is read as a TOML value, or a bare string."""
    shown = shorten(repr(text))
    if "=" not in text:
        raise ScenarioError(f"--set {shown}: expected dotted.key=value, e.g. model.hidden=64")
    key, _, value = text.partition("=")
    parts = [p.strip() for p in key.strip().split(".")]
    if not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", p) for p in parts):
        raise ScenarioError(f"--set {shown}: {shorten(repr(key.strip()))} is not a dotted key like model.hidden")
    value = value.strip()
    try:
        doc = tomllib.loads(f"v = {value}")
        # one TOML value, nothing after it ("1\nfamily='vae'" must not set a second key)
        parsed = doc["v"] if set(doc) == {"v"} else value
    except (ValueError, RecursionError):  # TOMLDecodeError is a ValueError; so is a 5000-digit int
        parsed = value  # a bare word such as wgan-gp
    return parts, parsed


def apply_overrides(raw: dict, overrides) -> dict:
    for text in overrides:
        parts, value = parse_override(text)
        node = raw
        for i, p in enumerate(parts[:-1]):
            nxt = node.get(p)
            if nxt is None:
                nxt = node[p] = {}
            if not isinstance(nxt, dict):
                raise ScenarioError(f"--set {text!r}: {'.'.join(parts[: i + 1])} is a value, not a section")
            node = nxt
        node[parts[-1]] = value
    return raw


def load(path: Path, overrides=(), name: str | None = None) -> Scenario:
    """Read, override and validate. File errors name the file; override errors name the --set."""
    raw = read_toml(path)
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: expected a TOML table at the top level")
    raw.setdefault("name", name or path.stem)
    if overrides:
        validate(_resolve_csv(raw, path), str(path))  # the file alone must be valid
        raw = apply_overrides(raw, overrides)
        source = f"{path} with --set {' '.join(shorten(o) for o in overrides)}"
    else:
        source = str(path)
    return validate(_resolve_csv(raw, path), source)


def _resolve_csv(raw: dict, path: Path) -> dict:
    """A copy of `raw` whose csv data section knows its file's path (raw itself is left alone,
    and never deep-copied: a table nested thousands deep must not hit the recursion limit)."""
    data = raw.get("data")
    if isinstance(data, dict) and data.get("kind") == "csv" and isinstance(data.get("path"), str):
        p = Path(data["path"])
        return {**raw, "data": {**data, "resolved_path": str(p if p.is_absolute() else path.parent / p)}}
    return raw
