"""API keys come from the environment only, and only the client that sends them ever holds them.

Nothing else reads them: they are never part of a request hash, a cache row, a batch
record, a log line or an output file.
"""

from __future__ import annotations

import os

from alignment_data.errors import ConfigError


def api_key(variable: str, backend: str, required: bool = True) -> str | None:
    """The key in environment variable ``variable``; a missing one is a :class:`ConfigError` naming it."""
    value = os.environ.get(variable, "").strip()
    if value:
        return value
    if required:
        raise ConfigError(f"the {backend} backend needs an API key: set the environment variable {variable} "
                          f"(keys are read from the environment only, never from flags or files)")
    return None
