"""Provider batches, each paid for once: record the intent, submit, poll, collect, resubmit only failures.

The protocol, for every batch:

1. split the requests to the provider's limits (requests and bytes per batch);
2. record the intent (its requests, with custom ids that start with the intent's prefix)
   in the ledger *before* submitting; OpenAI batches also carry the run and intent in
   their metadata;
3. submit once; after a failure that may have reached the provider (a timeout, a dropped
   connection, a 5xx), look for the batch in the provider's list before trying again;
4. poll until it ends, download the output and error files, commit every answer to the
   cache, and send again (a new intent) only what failed retryably or expired.

On restart, before anything new is submitted, every open intent of the run is settled:
one never recorded as submitted is looked for in the provider's batch list (found: it is
polled and collected; not found: it never reached the provider and its requests are sent
afresh), and recorded ones are polled and collected.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from alignment_data.errors import RetryableError
from alignment_data.synthesis.backends.base import BatchAPI
from alignment_data.synthesis.ledger import PLANNED, SUBMITTED, UPLOADED, Intent, custom_id
from alignment_data.synthesis.progress import RequestProgress
from alignment_data.synthesis.retry import with_retries

T = TypeVar("T")


class BatchRunner:
    """Runs the requests of one ``send`` through the backend's batch API."""

    def __init__(self, engine, progress: RequestProgress):
        settings = engine.settings
        self.engine, self.progress, self.settings = engine, progress, settings
        self.api: BatchAPI = engine.backend.batch_api(settings.max_batch_requests, settings.max_batch_bytes)
        self.ledger, self.stats, self.budget = engine.ledger, engine.stats, engine.budget
        self.failed: dict[str, tuple[str, bool]] = {}

    def _retrying(self, call: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        return with_retries(call, self.settings.retry, self.stats.retry, self.engine.rng)

    async def wait(self) -> None:
        await asyncio.sleep(self.settings.poll_interval)

    def _open_intents(self) -> list[Intent]:
        return self.ledger.open_intents(self.engine.run, self.engine.backend.name)

    async def run(self, missing: dict) -> dict[str, str]:
        """Settle what earlier invocations left open, then submit and settle rounds of what is still missing."""
        earlier = self._open_intents()
        for intent in earlier:
            self.budget.commit(intent.estimate_usd)
        await self.settle(earlier)
        for _ in range(self.settings.max_batch_rounds):
            answered = self.engine.cache.known(missing)
            todo = {key: item for key, item in missing.items()
                    if key not in answered and self.failed.get(key, ("", True))[1]}
            if not todo or self.budget.stopped:
                break
            self.failed = {key: value for key, value in self.failed.items() if key not in todo}
            await self.settle(await self.submit_all(todo))
        return {key: reason for key, (reason, _) in self.failed.items()}

    async def submit_all(self, todo: dict) -> list[Intent]:
        """Split ``todo`` into batches within the limits and submit them; the intents submitted."""
        intents: list[Intent] = []
        name, keys, entries, size, estimate = uuid.uuid4().hex, [], [], 0, 0.0
        submitted: set[str] = set()
        for key, item in todo.items():
            entry = self.api.entry(custom_id(name, key), item.body)
            if len(entry) > self.api.max_bytes:
                self.failed[key] = (f"the request alone is larger than a batch may be ({len(entry):,} bytes)", False)
                continue
            if entries and (len(entries) >= self.api.max_requests or size + len(entry) > self.api.max_bytes):
                if not await self._submit_shard(name, keys, entries, estimate, intents):
                    break
                submitted.update(keys)
                name, keys, entries, size, estimate = uuid.uuid4().hex, [], [], 0, 0.0
                entry = self.api.entry(custom_id(name, key), item.body)
            keys.append(key)
            entries.append(entry)
            size += len(entry)
            estimate += item.estimate_usd
        else:
            if entries and await self._submit_shard(name, keys, entries, estimate, intents):
                submitted.update(keys)
        if self.budget.stopped:
            for key in todo.keys() - submitted:
                self.failed.setdefault(key, ("not submitted: the budget is reached", False))
        return intents

    async def _submit_shard(self, name: str, keys: list[str], entries: list[bytes], estimate: float,
                            intents: list[Intent]) -> bool:
        if not self.budget.reserve(estimate):
            self.stats.stopped = "budget"
            self.engine.report(f"{self.engine.label}: the budget is reached; no more batches are submitted")
            return False
        engine = self.engine
        intent = self.ledger.plan(engine.run, engine.backend.name, engine.backend.model, keys, estimate, name=name)
        await self._submit(intent, entries)
        intents.append(intent)
        return True

    async def _submit(self, intent: Intent, entries: list[bytes]) -> None:
        """Submit a recorded intent; after a failure, look for the batch before creating it again."""
        self.ledger.submitting(intent)
        prepared = await self._retrying(lambda: self.api.prepare(intent, entries))
        if prepared:
            self.ledger.uploaded(intent, prepared)
        policy = self.settings.retry
        for attempt in range(policy.max_attempts):
            try:
                batch_id = await self.api.create(intent, entries, prepared)
            except RetryableError as error:
                if attempt == policy.max_attempts - 1:
                    raise
                wait = policy.wait(error, attempt, self.engine.rng)
                self.stats.retry.record(error, wait)
                await asyncio.sleep(wait * policy.time_scale)
                batch_id = await self._find(intent)
                if batch_id is None:
                    continue
            self.ledger.submitted(intent, batch_id)
            self.stats.batches["submitted"] += 1
            return

    async def _find(self, intent: Intent) -> str | None:
        claimed = self.ledger.known_batch_ids(self.engine.backend.name)
        found = await self._retrying(lambda: self.api.find(intent, claimed, self.wait))
        if found is not None:
            self.stats.batches["found again"] += 1
        return found

    async def settle(self, intents: list[Intent]) -> None:
        """Reconcile intents never recorded as submitted, then poll and collect every submitted one."""
        for intent in intents:
            if intent.state in (PLANNED, UPLOADED):
                batch_id = await self._find(intent)
                if batch_id is None:
                    self.ledger.abandoned(intent)
                    self.budget.settle(intent.estimate_usd, 0.0)
                    self.stats.batches["never submitted"] += 1
                    continue
                self.ledger.submitted(intent, batch_id)
        active = [intent for intent in intents if intent.state == SUBMITTED]
        while active:
            done = 0
            for intent in list(active):
                status = await self._retrying(lambda intent=intent: self.api.status(intent.batch_id))
                done += status.done
                if status.ended:
                    await self._collect(intent)
                    active.remove(intent)
            self.progress.note(f"{len(active)} batches running, {done:,} of their requests done" if active else "")
            if active:
                await self.wait()

    async def _collect(self, intent: Intent) -> None:
        results, note = await self._retrying(lambda: self.api.results(intent.batch_id))
        by_custom_id = intent.hash_by_custom_id
        seen, spent = set(), 0.0
        for result in results:
            key = by_custom_id.get(result.custom_id)
            if key is None:
                continue
            seen.add(key)
            if result.raw is None:
                self.failed[key] = (f"batch {intent.batch_id}: {result.error}", result.retryable)
                continue
            try:
                spent += self.engine.record(key, result.raw, "batch", self.progress)
            except (KeyError, IndexError, TypeError, ValueError) as error:
                self.failed[key] = (f"batch {intent.batch_id}: malformed answer ({error})", True)
        for key in set(by_custom_id.values()) - seen:
            self.failed[key] = (f"batch {intent.batch_id} ended ({note}) with no result for it", not note.startswith("failed"))
        self.ledger.collected(intent)
        self.budget.settle(intent.estimate_usd, spent)
        self.stats.batches["collected"] += 1

    async def cancel(self) -> int:
        """Cancel the run's open batches and collect what they finished; how many were cancelled."""
        intents = self._open_intents()
        for intent in intents:
            if intent.state in (PLANNED, UPLOADED):
                batch_id = await self._find(intent)
                if batch_id is None:
                    self.ledger.abandoned(intent)
                    continue
                self.ledger.submitted(intent, batch_id)
        submitted = [intent for intent in intents if intent.state == SUBMITTED]
        for intent in submitted:
            await self._retrying(lambda intent=intent: self.api.cancel(intent.batch_id))
        await self.settle(submitted)
        return len(submitted)
