"""Views by the family (or lesson kind) they draw. Adding one: a new module here that calls
`register_view`, and one name in the import line below; a family without one gets `GenericView`."""

from __future__ import annotations

from genstep.engine.frame import Frame
from genstep.tui.views.base import GenericView, Panel, View

VIEWS: dict[str, type[View]] = {}


def register_view(key: str, view: type[View]) -> type[View]:
    """Draw frames whose `view` (or, when that is empty, `family`) is `key` with `view`."""
    VIEWS[key] = view
    return view


def view_class(frame: Frame) -> type[View]:
    return VIEWS.get(frame.view) or VIEWS.get(frame.family) or GenericView


class ViewSet:
    """One instance of each view a dashboard has met, so a view's state (its cursor) is shared
    by the panels and kept while the lesson runs."""

    def __init__(self) -> None:
        self._views: dict[type[View], View] = {}

    def for_frame(self, frame: Frame) -> View:
        cls = view_class(frame)
        view = self._views.get(cls)
        if view is None:
            view = self._views[cls] = cls()
        return view


from genstep.tui.views import ae, autoregressive, diffusion, gan, ssl, vae  # noqa: E402,F401 - shipped views register on import

__all__ = ["GenericView", "Panel", "VIEWS", "View", "ViewSet", "register_view", "view_class"]
