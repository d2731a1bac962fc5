"""The app's run: one lesson's Session, stepped by a loop that takes named requests.

The screens see a run only through a `RunHandle` (`tui.run.handle`). There are two:

- `RemoteRun` (`tui.run.remote`), the default: the Session and its loop live in a child process
  (`python -m genstep.tui.run.child IN OUT`), so the UI's redraws never hold the training's GIL; the two
  talk over a pipe of typed messages (`tui.run.messages`) carried as plain data (`tui.pipe`).
- `LocalRun` (`tui.run.local`), the fallback: the same loop in a thread of the app's process
  (GENSTEP_WORKER=thread, systems without POSIX descriptor passing, and the tests' fakes).

`tui.run.build` opens a Session and puts a loop around it, for the child, the in-process fallback
and the headless `genstep run`. Nothing in this package imports textual, and nothing imported by
this file imports numpy or torch (the command line reads `wanted()` before its first paint).
"""

from genstep.tui.run.handle import RunDied, RunHandle, RunRefused, RunState, available, wanted

__all__ = ["RunDied", "RunHandle", "RunRefused", "RunState", "available", "wanted"]
