"""Reading a tagger's JSON model file, with one clear error for each way it can be wrong."""

from __future__ import annotations

import json
import os
from pathlib import Path

from alignment_data.errors import InputError


def read_model_json(path: str | os.PathLike, kind: str, model_format: str) -> dict:
    """The object stored at ``path``; an error names the file (and line or field) when it is
    missing, not JSON, or not of ``model_format``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{kind} not found", str(path))
    try:
        data = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error.msg}", str(path), error.lineno) from None
    if not isinstance(data, dict) or data.get("format") != model_format:
        raise InputError(f"not {_article(kind)} {kind} (expected format {model_format!r})", str(path), field="format")
    return data


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"
