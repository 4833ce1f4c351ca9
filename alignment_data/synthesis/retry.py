"""Retries we run ourselves: backoff with jitter, and any wait the server asks for, honoured.

The SDKs' own retries are switched off (``max_retries=0``): the OpenAI SDK gives up on a
``retry-after`` over 120 seconds, and neither SDK counts or reports what it retried. Here
429, 408, 409, every 5xx (529 included), timeouts, dropped connections and malformed
bodies are retried up to ``max_attempts`` times; the wait is the server's
``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date) when it names one, however
long, else ``min(max_delay, base_delay * 2**n)`` with jitter. ``time_scale`` multiplies
every wait (simulations and tests shorten them; the waits recorded are the unscaled ones).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from alignment_data.errors import ConfigError, FatalError, RetryableError

T = TypeVar("T")
RETRYABLE_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a failed call."""

    max_attempts: int = 8
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float | None = None
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.time_scale < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ConfigError("retry delays and time_scale must not be negative")

    def wait(self, error: RetryableError, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (0 first), unscaled."""
        if error.retry_after is not None:
            if self.max_retry_after is not None and error.retry_after > self.max_retry_after:
                raise FatalError(f"{error} (the server asked to wait {error.retry_after:g} s, over the "
                                 f"--max-retry-after of {self.max_retry_after:g} s)", error.status)
            return error.retry_after
        return min(self.max_delay, self.base_delay * 2**retry) * rng.uniform(0.5, 1.0)


@dataclass
class RetryStats:
    """What was retried and why, and the waits, for the run summary."""

    retries: Counter = field(default_factory=Counter)
    longest_wait: float = 0.0
    longest_server_wait: float = 0.0

    def record(self, error: RetryableError, wait: float) -> None:
        self.retries[str(error.status) if error.status else _cause(error)] += 1
        self.longest_wait = max(self.longest_wait, wait)
        if error.retry_after is not None:
            self.longest_server_wait = max(self.longest_server_wait, error.retry_after)

    def to_dict(self) -> dict:
        return {"retries": dict(sorted(self.retries.items())), "total_retries": sum(self.retries.values()),
                "longest_wait_s": round(self.longest_wait, 3), "longest_server_wait_s": round(self.longest_server_wait, 3)}


def _cause(error: RetryableError) -> str:
    text = str(error).lower()
    for word in ("timeout", "timed out", "malformed", "connection"):
        if word in text:
            return "timeout" if word.startswith("time") else word
    return "other"


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy, stats: RetryStats,
                       rng: random.Random | None = None) -> T:
    """Await ``call()`` until it succeeds, retrying :class:`RetryableError` as the policy says."""
    rng = rng or random.Random()
    for retry in range(policy.max_attempts):
        try:
            return await call()
        except RetryableError as error:
            if retry == policy.max_attempts - 1:
                raise RetryableError(f"{error} (gave up after {policy.max_attempts} attempts)", error.retry_after,
                                     error.status) from error
            wait = policy.wait(error, retry, rng)
            stats.record(error, wait)
            await asyncio.sleep(wait * policy.time_scale)
    raise AssertionError("unreachable")


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait a response asks for: ``retry-after-ms``, else ``retry-after`` in seconds or as an HTTP date."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def status_error(status: int, headers: Mapping[str, str], message: str) -> RetryableError | FatalError:
    """The library error for an HTTP error status: retryable for 408, 409, 429 and 5xx, else fatal.

    A server's ``x-should-retry`` header overrides the status.
    """
    should = (headers.get("x-should-retry") or "").lower()
    retryable = status in RETRYABLE_STATUSES or status >= 500
    if should in ("true", "false"):
        retryable = should == "true"
    if retryable:
        return RetryableError(message, retry_after_seconds(headers), status)
    return FatalError(message, status)
