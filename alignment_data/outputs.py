"""Output folders that know which command wrote them, so no command writes over another's results."""

from __future__ import annotations

import json
import os
from pathlib import Path

from alignment_data.errors import InputError

MARKERS = ("run.json", "summary.json", "manifest.json")


def folder_owner(folder: str | os.PathLike) -> tuple[str, str] | None:
    """``(command, marker file)`` of the command whose outputs ``folder`` holds, or ``None``."""
    folder = Path(folder)
    for marker in MARKERS:
        path = folder / marker
        if path.is_file():
            try:
                data = json.loads(path.read_text("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                data = {}
            return str(data.get("command", "unknown")) if isinstance(data, dict) else "unknown", marker
    return None


def claim_output_folder(folder: str | os.PathLike, command: str) -> Path:
    """Create ``folder`` for ``command``; refuse one holding another command's outputs."""
    folder = Path(folder)
    owner = folder_owner(folder)
    if owner is not None and owner[0] != command:
        raise InputError(f"this folder holds the outputs of `alignment-data {owner[0]}` ({owner[1]}); "
                         f"choose another --output for `{command}`", str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
