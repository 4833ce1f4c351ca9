"""The batch ledger: every batch is recorded as an intent before it is submitted.

An intent names the requests of one batch (custom id and request hash), the run it belongs
to and, once known, the provider's file and batch ids. States::

    planned    recorded; the provider may or may not have the batch (a kill can strike
               between submitting and recording), so a restart reconciles it with the
               provider's batch list before anything is submitted again
    uploaded   (OpenAI) the input file is uploaded; the batch may or may not exist
    submitted  the provider's batch id is recorded
    collected  its results are in the request cache
    abandoned  looked for in the provider's list and not there: it never reached the
               provider, and its requests are sent again under a new intent

Custom ids start with the intent's prefix, so results and batches found in the provider's
list can be told apart from other runs' without trusting anything but the ids.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import orjson

from alignment_data.synthesis.store import connect

PLANNED, UPLOADED, SUBMITTED, COLLECTED, ABANDONED = "planned", "uploaded", "submitted", "collected", "abandoned"
OPEN_STATES = (PLANNED, UPLOADED, SUBMITTED)
INTENT_PREFIX = 10


def custom_id(intent: str, request_hash: str) -> str:
    """``<intent prefix>_<hash prefix>``: 64 characters of ``[0-9a-f_]``, within both providers' rules."""
    return f"{intent[:INTENT_PREFIX]}_{request_hash[:64 - INTENT_PREFIX - 1]}"


@dataclass
class Intent:
    intent: str
    run: str
    backend: str
    model: str
    state: str
    requests: list[tuple[str, str]]
    estimate_usd: float
    created: float
    batch_id: str | None = None
    file_id: str | None = None
    submit_started: float | None = None

    @property
    def hash_by_custom_id(self) -> dict[str, str]:
        return dict(self.requests)

    @property
    def prefix(self) -> str:
        return self.intent[:INTENT_PREFIX]


class BatchLedger:
    """Batch intents of every run that used this store."""

    def __init__(self, path: str | Path):
        self.db = connect(path)

    def plan(self, run: str, backend: str, model: str, hashes: list[str], estimate_usd: float,
             name: str | None = None) -> Intent:
        """Record a new intent for ``hashes`` (committed before anything is sent)."""
        name = name or uuid.uuid4().hex
        intent = Intent(name, run, backend, model, PLANNED, [(custom_id(name, h), h) for h in hashes], estimate_usd,
                        time.time())
        self.db.execute("INSERT INTO intents (intent, run, backend, model, state, requests, estimate_usd, created) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (name, run, backend, model, PLANNED, orjson.dumps(intent.requests), estimate_usd, intent.created))
        return intent

    def _update(self, intent: Intent, **fields) -> None:
        for key, value in fields.items():
            setattr(intent, key, value)
        assignments = ", ".join(f"{key} = ?" for key in fields)
        self.db.execute(f"UPDATE intents SET {assignments} WHERE intent = ?", (*fields.values(), intent.intent))

    def submitting(self, intent: Intent) -> None:
        """Note the time a submission starts (a restart looks for batches created after it)."""
        self._update(intent, submit_started=time.time())

    def uploaded(self, intent: Intent, file_id: str) -> None:
        self._update(intent, state=UPLOADED, file_id=file_id)

    def submitted(self, intent: Intent, batch_id: str) -> None:
        self._update(intent, state=SUBMITTED, batch_id=batch_id)

    def collected(self, intent: Intent) -> None:
        self._update(intent, state=COLLECTED)

    def abandoned(self, intent: Intent) -> None:
        self._update(intent, state=ABANDONED)

    def _intents(self, where: str, args: tuple) -> list[Intent]:
        rows = self.db.execute("SELECT intent, run, backend, model, state, requests, estimate_usd, created, batch_id, "
                               f"file_id, submit_started FROM intents WHERE {where} ORDER BY created", args)
        return [Intent(name, run, backend, model, state, [tuple(pair) for pair in orjson.loads(requests)], estimate,
                       created, batch_id, file_id, started)
                for name, run, backend, model, state, requests, estimate, created, batch_id, file_id, started in rows]

    def open_intents(self, run: str, backend: str) -> list[Intent]:
        """Intents of ``run`` on ``backend`` whose results are not collected yet, oldest first."""
        marks = ",".join("?" * len(OPEN_STATES))
        return self._intents(f"run = ? AND backend = ? AND state IN ({marks})", (run, backend, *OPEN_STATES))

    def known_batch_ids(self, backend: str) -> set[str]:
        """Provider batch ids some intent already claims."""
        rows = self.db.execute("SELECT batch_id FROM intents WHERE backend = ? AND batch_id IS NOT NULL", (backend,))
        return {row[0] for row in rows}
