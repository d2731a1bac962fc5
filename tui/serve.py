"""`genstep serve [NAME]`: the same app in a browser tab (textual-serve), for a projector.

Bound to 127.0.0.1 unless the user asks otherwise: anyone who can reach the port can drive it.
The page is ours (`tui.serve_page`): local fonts only, and the app starts when Start is clicked.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from pathlib import Path


def serve_command(scenario: str | None) -> str:
    """The command textual-serve runs for each browser tab."""
    parts = [sys.executable, "-m", "genstep.tui.app"] + ([scenario] if scenario else [])
    return " ".join(shlex.quote(p) for p in parts)


def serve(scenario: str | None, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve the app at http://host:port until interrupted; returns the exit code."""
    from textual_serve.server import Server

    from genstep.tui.serve_page import TEMPLATE_NAME, page

    with tempfile.TemporaryDirectory(prefix="genstep-serve-") as templates:
        (Path(templates) / TEMPLATE_NAME).write_text(page(), encoding="utf-8")
        server = Server(serve_command(scenario), host=host, port=port, title="genstep", templates_path=templates)
        try:
            server.serve()
        except KeyboardInterrupt:
            pass
    return 0
