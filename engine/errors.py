"""The engine's one user-facing error, and the helpers that keep its message to one readable line.

Free of pydantic, numpy and torch, so the command line can use it before anything heavy loads.
"""

from __future__ import annotations

_SHOW = 60  # user-supplied text (keys, values, overrides) is quoted up to this many characters in messages


def one_line(text: str) -> str:
    """`text` with every line break and control character escaped, so a message is always one line."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))


def shorten(text: str, limit: int = _SHOW) -> str:
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"


def show(value) -> str:
    """repr(value), shortened; huge ints are not spelled out (and may exceed int->str limits)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return shorten(repr(value))


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file, the field and what was expected.

    The message is always one line: whatever it quotes from the user is escaped by `one_line`."""

    def __init__(self, message: str = ""):
        super().__init__(one_line(message))
