"""Screens of the app: the dashboard (and its training driver), the picker and the dialogs."""
