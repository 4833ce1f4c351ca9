"""Request and token rate limits for asynchronous senders: token buckets that refill continuously.

Providers state limits per minute but enforce them over shorter windows, so a bucket holds
at most ``burst_seconds`` worth of its rate: a run starts at full speed and never bursts
past what a second's share allows. Tokens are charged before a request goes (its estimated
input plus its output ceiling, as providers count them) and corrected by the usage the
answer reports.
"""

from __future__ import annotations

import asyncio
import time

from alignment_data.errors import ConfigError


class TokenBucket:
    """``per_minute`` units a minute, at most ``burst_seconds`` of them at once."""

    def __init__(self, per_minute: float, burst_seconds: float = 1.0):
        if per_minute <= 0:
            raise ConfigError(f"a rate limit must be positive, got {per_minute}")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_seconds)
        self.level = self.capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    async def acquire(self, amount: float = 1.0) -> None:
        """Wait until ``amount`` units are free, then take them (first come, first served).

        An amount larger than the bucket waits for a full bucket.
        """
        amount = min(amount, self.capacity)
        async with self._lock:
            self._refill()
            while self.level < amount:
                await asyncio.sleep((amount - self.level) / self.rate)
                self._refill()
            self.level -= amount

    def adjust(self, amount: float) -> None:
        """Give back (positive) or charge (negative) units after the fact."""
        self._refill()
        self.level = min(self.capacity, self.level + amount)


class RateLimiter:
    """Requests per minute and tokens per minute, either or both (``None``: no limit)."""

    def __init__(self, requests_per_minute: float | None = None, tokens_per_minute: float | None = None):
        self.requests = TokenBucket(requests_per_minute) if requests_per_minute else None
        self.tokens = TokenBucket(tokens_per_minute) if tokens_per_minute else None

    async def acquire(self, tokens: int) -> None:
        if self.requests is not None:
            await self.requests.acquire(1)
        if self.tokens is not None:
            await self.tokens.acquire(tokens)

    def settle(self, charged: int, used: int) -> None:
        """Correct the token bucket once the answer says how many tokens the request used."""
        if self.tokens is not None:
            self.tokens.adjust(charged - used)
