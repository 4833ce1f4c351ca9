"""The local sqlite file behind the request cache and the batch ledger.

Write-ahead logging and a commit per change make every recorded answer and batch intent
durable the moment it is written, so a process killed at any instant loses nothing it had
recorded; several processes (datatrove workers calling the LLM judge) may share one file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    hash TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    mode TEXT NOT NULL,
    raw BLOB NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL,
    run TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_run ON answers (run);
CREATE TABLE IF NOT EXISTS intents (
    intent TEXT PRIMARY KEY,
    run TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    state TEXT NOT NULL,
    batch_id TEXT,
    file_id TEXT,
    requests BLOB NOT NULL,
    estimate_usd REAL NOT NULL,
    created REAL NOT NULL,
    submit_started REAL
);
CREATE INDEX IF NOT EXISTS intents_run ON intents (run, state);
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating) the store at ``path`` in autocommit mode with write-ahead logging."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), timeout=60.0, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(SCHEMA)
    return connection
