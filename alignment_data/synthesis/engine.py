"""The request engine: answers for a list of requests, each paid for at most once.

``send`` shapes every request into its wire body and hash, takes what the cache already
holds, prints the estimate of the rest (tokens and dollars) before anything is sent,
refuses to start over the budget, then sends the rest online (asynchronously, under the
concurrency and rate limits, with our own retries) or through the provider's batch API
(:mod:`alignment_data.synthesis.batches`). Every answer is committed to the cache the moment
it arrives; ``fetch`` reads answers back (parsed now, so a changed parser costs nothing).
The offline template backend skips all of this: it is free and instant.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from alignment_data.errors import ConfigError, FatalError, RetryableError
from alignment_data.synthesis.backends.base import Backend
from alignment_data.synthesis.cache import RequestCache
from alignment_data.synthesis.cost import Budget, Estimate, Price, PriceTable, estimate_input_tokens, expected_output_tokens
from alignment_data.synthesis.ledger import BatchLedger
from alignment_data.synthesis.progress import RequestProgress
from alignment_data.synthesis.ratelimit import RateLimiter
from alignment_data.synthesis.requests import Answer, ChatRequest
from alignment_data.synthesis.retry import RetryPolicy, RetryStats, with_retries

ABORTING_STATUSES = (401, 403, 404)
T = TypeVar("T")
MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end from synchronous code, also where an event loop already runs (a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass(frozen=True)
class EngineSettings:
    """How requests are sent: concurrency, rate limits, retries, batch mode and its limits, budget."""

    concurrency: int = 32
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    retry: RetryPolicy = RetryPolicy()
    batch: bool = False
    poll_interval: float = 30.0
    max_batch_requests: int | None = None
    max_batch_bytes: int | None = None
    max_batch_rounds: int = 3
    budget: float | None = None
    quiet: bool = False

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {self.concurrency}")


@dataclass
class EngineStats:
    """What this invocation sent, found cached, paid and retried."""

    requests: int = 0
    cached: int = 0
    sent: int = 0
    answered: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    spent_usd: float = 0.0
    unpriced: int = 0
    estimates: list[dict] = field(default_factory=list)
    retry: RetryStats = field(default_factory=RetryStats)
    batches: Counter = field(default_factory=Counter)
    stopped: str | None = None

    def to_dict(self) -> dict:
        return {"requests": self.requests, "cached": self.cached, "sent": self.sent, "answered": self.answered,
                "failed": self.failed, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "spent_usd": round(self.spent_usd, 6), "unpriced_answers": self.unpriced, "estimates": self.estimates,
                **self.retry.to_dict(), "batches": dict(self.batches), "stopped": self.stopped}


@dataclass
class Pending:
    request: ChatRequest
    body: dict
    estimate_usd: float


class RequestEngine:
    """Sends requests through one backend, with one cache, ledger, budget and run tag."""

    def __init__(self, backend: Backend, cache: RequestCache | None, ledger: BatchLedger | None, run: str,
                 settings: EngineSettings = EngineSettings(), prices: PriceTable | None = None,
                 report: Callable[[str], None] = print, label: str = "requests"):
        self.backend, self.cache, self.ledger, self.run, self.settings = backend, cache, ledger, run, settings
        self.report, self.label = report, label
        self.stats = EngineStats()
        if settings.batch and backend.batch_api() is None:
            raise ConfigError(f"the {backend.name} backend has no batch API; leave out --batch")
        if backend.offline:
            self.price: Price | None = Price(0.0, 0.0)
            self.budget = Budget(None)
            return
        if cache is None:
            raise ConfigError(f"the {backend.name} backend needs a request cache")
        self.price = (prices or PriceTable.load()).price(backend.model, settings.batch)
        self.budget = Budget(settings.budget, cache.spent(run))
        self.rng = random.Random(0)

    def key(self, request: ChatRequest) -> str:
        """The request's hash: its identity in the cache, in batches and in document metadata."""
        return self.backend.hash(self.backend.body(request))

    def send(self, requests: list[ChatRequest]) -> dict[str, str]:
        """Get every request an answer the cache lacks; why the ones still without an answer have none.

        The estimate of what is missing is printed before anything is sent, and a run whose
        estimate does not fit the budget is refused.
        """
        self.stats.requests += len(requests)
        if self.backend.offline:
            return {}
        pending: dict[str, Pending] = {}
        for request in requests:
            body = self.backend.body(request)
            pending.setdefault(self.backend.hash(body), Pending(request, body, self._estimate_usd(request)))
        known = self.cache.known(pending)
        self.stats.cached += len(known)
        missing = {key: item for key, item in pending.items() if key not in known}
        if not missing:
            return {}
        estimate = Estimate(price=self.price)
        for item in missing.values():
            estimate.add(item.request)
        self.stats.estimates.append(estimate.to_dict())
        self.report(f"{self.label}: {len(known):,} of {len(pending):,} answered before; {estimate.line()}")
        self.budget.check_estimate(estimate)
        failures = run_async(self._send(missing))
        answered = self.cache.known(missing)
        failures = {key: failures.get(key, "no answer") for key in missing if key not in answered}
        self.stats.failed += len(failures)
        return failures

    def fetch(self, requests: list[ChatRequest]) -> list[tuple[str, Answer | None]]:
        """``(hash, answer)`` per request, from the cache (the template backend writes it on the spot)."""
        keys = [self.key(request) for request in requests]
        if self.backend.offline:
            return [(key, self.backend.answer(self.backend.render(self.backend.body(request))))
                    for key, request in zip(keys, requests)]
        cached = self.cache.get_many(keys)
        return [(key, self.backend.answer(cached[key].raw) if key in cached else None) for key in keys]

    def _estimate_usd(self, request: ChatRequest) -> float:
        if self.price is None:
            return 0.0
        return self.price.cost(estimate_input_tokens(request), expected_output_tokens(request))

    async def _send(self, missing: dict[str, Pending]) -> dict[str, str]:
        progress = RequestProgress(len(missing), self.label, self.settings.quiet)
        try:
            if self.settings.batch:
                from alignment_data.synthesis.batches import BatchRunner

                return await BatchRunner(self, progress).run(missing)
            return await self._send_online(missing, progress)
        finally:
            progress.close()
            await self.backend.aclose()

    def record(self, key: str, raw: dict, mode: str, progress: RequestProgress) -> float:
        """Commit one answer to the cache and count its usage; its cost (0 when unpriced)."""
        answer = self.backend.answer(raw)
        cost = None if self.price is None else self.price.cost(answer.input_tokens, answer.output_tokens)
        if self.cache.put(key, self.backend.name, self.backend.model, mode, raw, answer.input_tokens, answer.output_tokens,
                          cost, self.run):
            self.stats.answered += 1
            self.stats.input_tokens += answer.input_tokens
            self.stats.output_tokens += answer.output_tokens
            self.stats.spent_usd += cost or 0.0
            self.stats.unpriced += cost is None
        progress.advance(1, answer.input_tokens, answer.output_tokens, cost)
        return cost or 0.0

    async def _send_online(self, missing: dict[str, Pending], progress: RequestProgress) -> dict[str, str]:
        limiter = RateLimiter(self.settings.requests_per_minute, self.settings.tokens_per_minute)
        queue = iter(missing.items())
        failures: dict[str, str] = {}

        async def one(body: dict, charged: int) -> dict:
            await limiter.acquire(charged)
            raw = await self.backend.send(body)
            try:
                self.backend.answer(raw)
            except MALFORMED as error:
                raise RetryableError(f"{self.backend.name}: malformed response ({type(error).__name__}: {error})") from None
            return raw

        async def worker() -> None:
            for key, item in queue:
                if not self.budget.reserve(item.estimate_usd):
                    self.stats.stopped = "budget"
                    failures[key] = "not sent: the budget is reached"
                    continue
                charged = estimate_input_tokens(item.request) + item.request.max_tokens
                self.stats.sent += 1
                try:
                    raw = await with_retries(lambda body=item.body, charged=charged: one(body, charged), self.settings.retry,
                                             self.stats.retry, self.rng)
                except (RetryableError, FatalError) as error:
                    self.budget.settle(item.estimate_usd, 0.0)
                    if isinstance(error, FatalError) and error.status in ABORTING_STATUSES:
                        raise
                    failures[key] = str(error)
                    progress.advance(1)
                    continue
                cost = self.record(key, raw, "online", progress)
                answer = self.backend.answer(raw)
                limiter.settle(charged, answer.input_tokens + answer.output_tokens)
                self.budget.settle(item.estimate_usd, cost)

        await asyncio.gather(*(worker() for _ in range(min(self.settings.concurrency, len(missing)))))
        if self.stats.stopped == "budget":
            self.report(f"{self.label}: stopped at the budget (${self.budget.spent:,.4f} of ${self.budget.limit:,.2f} "
                        f"spent by this run); {sum(1 for r in failures.values() if r.startswith('not sent'))} requests not sent")
        return failures
