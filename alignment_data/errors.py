"""One error tree for the whole library.

Every error the library raises on purpose is an :class:`AlignmentDataError`; the command
line catches those (printing ``error: <message>``, exit code 2) and lets anything else keep
its traceback, because anything else is a bug. Messages are never empty.

- :class:`InputError`: bad input, located as ``file:line: field: message`` (a ``ValueError``).
- :class:`ConfigError`: an option or setting that cannot work (a ``ValueError``).
- :class:`MissingExtraError`: an optional dependency is not installed (an ``ImportError``).
- :class:`TrainingError`: a model could not be trained (a ``RuntimeError``).
- :class:`RetryableError` / :class:`FatalError`: a remote service failed in a way worth
  retrying (rate limits, 5xx, timeouts) or not (bad key, bad request).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AlignmentDataError(Exception):
    """Base of every error the library raises on purpose."""

    def __init__(self, message: str):
        super().__init__(message or type(self).__name__)


def format_location(file: str | None = None, line: int | None = None, field: str | None = None) -> str:
    """``file:line: field: `` (each part only when known), the prefix of located messages."""
    where = ":".join(str(part) for part in (file, line) if part is not None)
    return (f"{where}: " if where else "") + (f"{field}: " if field else "")


class InputError(AlignmentDataError, ValueError):
    """Bad input, located: ``file:line: field: message``."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None, field: str | None = None):
        self.file, self.line, self.field, self.reason = file, line, field, message or "invalid input"
        super().__init__(format_location(file, line, field) + self.reason)


class ConfigError(AlignmentDataError, ValueError):
    """An option, setting or combination of them that cannot work."""


class MissingExtraError(AlignmentDataError, ImportError):
    """An optional dependency is not installed; the message says how to install it."""


class TrainingError(AlignmentDataError, RuntimeError):
    """A model could not be trained; the message carries the trainer's own reason."""


class RetryableError(AlignmentDataError):
    """A remote call failed in a way that may succeed later (429, 5xx, timeout, dropped connection).

    ``retry_after`` is the wait the server asked for, in seconds, when it named one.
    """

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        self.retry_after, self.status = retry_after, status
        super().__init__(message)


class FatalError(AlignmentDataError):
    """A remote call failed in a way retrying cannot fix (bad key, bad request, unknown model)."""

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        super().__init__(message)


def unknown_choice(kind: str, value: object, choices: Iterable[str], error: type[AlignmentDataError] = ConfigError):
    """The error for a name that is not one of ``choices``, with "did you mean" when one is close."""
    choices = list(choices)
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return error(f"unknown {kind} {value!r}{hint}; expected one of {', '.join(choices)}")
