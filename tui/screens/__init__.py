"""Screens of the app, and only screens: the dashboard (with the keys that steer its run), the
picker and the dialogs. The run they drive lives in `tui.run`."""
