"""Error types: problems in the user's environment versus bugs in ours."""

from __future__ import annotations


class UserFacingError(Exception):
    """Something in the environment or the input is wrong; the message tells the user what.

    These are shown as a friendly message (CLI: one line on stderr, GUI: a message box),
    never as a crash report.
    """


class BadInputError(UserFacingError):
    """The user asked for something that cannot be done with what they gave (a path, a name)."""


class CatalogError(UserFacingError):
    """The catalogue file cannot be used as it is (newer schema, not a catalogue, locked)."""


class BusyError(UserFacingError):
    """Someone else (another window, the CLI, the watcher) is doing this right now."""


class RootOfflineError(BadInputError):
    """A library root is not mapped or not mounted on this workstation: its collections are
    offline here (nothing about them is changed until it returns)."""
