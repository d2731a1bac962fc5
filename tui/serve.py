"""`genstep serve [NAME]`: the same app in a browser tab (textual-serve), for a projector.

Bound to 127.0.0.1 unless the user asks otherwise: anyone who can reach the port can drive it.
"""

from __future__ import annotations

import shlex
import sys


def serve_command(scenario: str | None) -> str:
    """The command textual-serve runs for each browser tab."""
    parts = [sys.executable, "-m", "tui.app"] + ([scenario] if scenario else [])
    return " ".join(shlex.quote(p) for p in parts)


def serve(scenario: str | None, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve the app at http://host:port until interrupted; returns the exit code."""
    from textual_serve.server import Server

    server = Server(serve_command(scenario), host=host, port=port, title="genstep")
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    return 0
