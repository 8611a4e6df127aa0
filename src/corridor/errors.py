"""The exceptions Corridor raises, in one place.

``CorridorError`` is the root. Its subclasses for *user input* (``ScenarioError``,
``DataError``) carry where the problem is (file, key path or row) and what was
expected; the CLI prints them as one line and exits with status 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CorridorError", "UserInputError", "ScenarioError", "DataError"]


class CorridorError(Exception):
    """Root of every error raised on purpose by Corridor."""


class UserInputError(CorridorError):
    """A mistake in something the user gave us (a scenario, a data file, an option).

    ``where`` is a file path, ``at`` the key path ("parameters.x.value") or the
    row/column ("row 12, column road_km"), and ``expected`` says what would be valid.
    """

    def __init__(self, message: str, *, where: str | Path | None = None,
                 at: str | None = None, expected: str | None = None) -> None:
        self.message = message
        self.where = str(where) if where is not None else None
        self.at = at
        self.expected = expected
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = []
        if self.where:
            parts.append(self.where)
        if self.at:
            parts.append(self.at)
        head = ": ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class ScenarioError(UserInputError):
    """A scenario file is unreadable, malformed, or refers to things that do not exist."""


class DataError(UserInputError):
    """A data file (places, routes, parameters, targets) is missing or malformed."""
