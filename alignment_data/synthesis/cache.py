"""One request cache for the online and batch paths, keyed on the request hash.

A row holds the provider's answer as it came back (raw JSON), its token usage and cost, and
the run that paid for it. Because answers are stored raw, changing how they are parsed or
judged re-reads them for free; because the key is the exact wire body, adding scenarios or
surface forms pays only for requests never answered before. Failed calls are not stored:
they are sent again. Keys and secrets are never part of a row.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson

from alignment_data.synthesis.store import connect

CHUNK = 500


@dataclass(frozen=True)
class CachedAnswer:
    hash: str
    raw: dict
    mode: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    run: str


class RequestCache:
    """Answers by request hash, in a sqlite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = connect(self.path)

    def known(self, hashes: Iterable[str]) -> set[str]:
        """The hashes among ``hashes`` that have an answer."""
        hashes, found = list(hashes), set()
        for start in range(0, len(hashes), CHUNK):
            part = hashes[start:start + CHUNK]
            rows = self.db.execute(f"SELECT hash FROM answers WHERE hash IN ({','.join('?' * len(part))})", part)
            found.update(row[0] for row in rows)
        return found

    def get_many(self, hashes: Iterable[str]) -> dict[str, CachedAnswer]:
        hashes, out = list(hashes), {}
        for start in range(0, len(hashes), CHUNK):
            part = hashes[start:start + CHUNK]
            rows = self.db.execute("SELECT hash, raw, mode, input_tokens, output_tokens, cost_usd, run FROM answers "
                                   f"WHERE hash IN ({','.join('?' * len(part))})", part)
            for hash_, raw, mode, tokens_in, tokens_out, cost, run in rows:
                out[hash_] = CachedAnswer(hash_, orjson.loads(raw), mode, tokens_in, tokens_out, cost, run)
        return out

    def get(self, hash_: str) -> CachedAnswer | None:
        return self.get_many([hash_]).get(hash_)

    def put(self, hash_: str, backend: str, model: str, mode: str, raw: dict, input_tokens: int, output_tokens: int,
            cost_usd: float | None, run: str) -> bool:
        """Record an answer (committed at once); ``False`` when the hash already had one."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO answers (hash, backend, model, mode, raw, input_tokens, output_tokens, cost_usd, run, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (hash_, backend, model, mode, orjson.dumps(raw), input_tokens, output_tokens, cost_usd, run, time.time()))
        return cursor.rowcount == 1

    def spent(self, run: str) -> float:
        """Dollars the answers paid for by ``run`` cost (unpriced answers count nothing)."""
        row = self.db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM answers WHERE run = ?", (run,)).fetchone()
        return float(row[0])
