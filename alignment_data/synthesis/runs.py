"""What a synthesis run leaves on disk: run.json (its tag and settings), the request store, outputs written whole.

A run is named by a tag made on its first invocation and kept in ``run.json``; batches carry
it, and the budget counts what answers paid for under it. Rerunning into the same output
resumes: the tag stays, the settings of each invocation are appended to the history, and
every output file is rewritten from the request cache, atomically (a temporary file, then a
rename), so a killed run never leaves half a file behind.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from alignment_data import __version__
from alignment_data.errors import ConfigError, InputError

STORE_NAME = "requests.sqlite"


@dataclass(frozen=True)
class Run:
    tag: str
    folder: Path
    store: Path


def open_run(folder: Path, command: str, settings: dict[str, Any], run_file: Path | None = None,
             cache: str | None = None) -> Run:
    """The run recorded in ``run_file`` (default ``folder/run.json``), created on first use."""
    run_file = run_file or folder / "run.json"
    record: dict[str, Any] = {}
    if run_file.is_file():
        try:
            record = json.loads(run_file.read_text("utf-8"))
        except json.JSONDecodeError as error:
            raise InputError(f"unreadable run record ({error}); choose another output", str(run_file)) from None
        if record.get("command") != command:
            raise InputError(f"written by `alignment-data {record.get('command')}`, not `{command}`", str(run_file))
    tag = record.get("run_tag") or uuid.uuid4().hex[:16]
    history = record.get("history", [])
    if not history or history[-1]["settings"] != settings:
        history.append({"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "settings": settings,
                        "version": __version__})
    write_json(run_file, {"command": command, "run_tag": tag, "history": history})
    store = Path(cache) if cache else folder / STORE_NAME
    if store.exists() and store.is_dir():
        raise ConfigError(f"--cache {store} is a folder; give a file")
    return Run(tag, folder, store)


def write_json(path: Path, value: Any) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=False) + "\n", "utf-8")
    os.replace(temporary, path)


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write ``rows`` as JSONL, atomically; how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    count = 0
    with open(temporary, "wb") as out:
        for row in rows:
            out.write(orjson.dumps(row) + b"\n")
            count += 1
    os.replace(temporary, path)
    return count
