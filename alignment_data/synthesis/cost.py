"""What requests will cost before they are sent, what they did cost, and the budget between.

Prices are USD per million tokens from a table (the bundled ``data/prices.json``, overridden
by ``--prices FILE`` in the same shape); batch prices are the table's batch columns, or the
online price times ``batch_discount``. A model name matches its own entry or the longest
entry it starts with (``gpt-4o-mini-2024-07-18`` takes ``gpt-4o-mini``).

The estimate counts about four characters per input token plus a few per message, and the
output tokens each request expects (its ``max_tokens`` is the ceiling, shown beside it).
Actual spend is always taken from the usage each answer returns.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alignment_data.errors import ConfigError, InputError
from alignment_data.synthesis.requests import ChatRequest

CHARS_PER_TOKEN = 4.0
TOKENS_PER_MESSAGE = 4
PER_TOKENS = 1_000_000


@dataclass(frozen=True)
class Price:
    """USD per million input and output tokens."""

    input: float
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / PER_TOKENS


FREE = Price(0.0, 0.0)


class PriceTable:
    """Model prices, online and batch."""

    def __init__(self, models: dict[str, dict[str, float]], batch_discount: float = 0.5):
        self.models, self.batch_discount = models, batch_discount

    @classmethod
    def load(cls, path: str | Path | None = None) -> PriceTable:
        """The bundled table, with the entries of ``path`` (same shape) over it."""
        bundled = json.loads(resources.files("alignment_data").joinpath("data", "prices.json").read_text("utf-8"))
        models = dict(bundled["models"])
        discount = bundled.get("batch_discount", 0.5)
        if path is not None:
            try:
                extra = json.loads(Path(path).read_text("utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise InputError(f"cannot read the price table: {error}", str(path)) from None
            if not isinstance(extra, dict) or not isinstance(extra.get("models"), dict):
                raise InputError('expected {"models": {"MODEL": {"input": USD, "output": USD}}}', str(path), field="models")
            for model, entry in extra["models"].items():
                if not isinstance(entry, dict) or not all(isinstance(entry.get(k), (int, float)) for k in ("input", "output")):
                    raise InputError("needs numbers input and output (USD per million tokens)", str(path), field=f"models.{model}")
            models.update(extra["models"])
            discount = extra.get("batch_discount", discount)
        return cls(models, discount)

    def entry(self, model: str) -> dict[str, float] | None:
        if model in self.models:
            return self.models[model]
        prefixes = [name for name in self.models if model.startswith(name)]
        return self.models[max(prefixes, key=len)] if prefixes else None

    def price(self, model: str, batch: bool) -> Price | None:
        """The price of ``model`` online or in a provider batch, or ``None`` when the table has none."""
        entry = self.entry(model)
        if entry is None:
            return None
        if not batch:
            return Price(entry["input"], entry["output"])
        return Price(entry.get("batch_input", entry["input"] * self.batch_discount),
                     entry.get("batch_output", entry["output"] * self.batch_discount))


def estimate_input_tokens(request: ChatRequest) -> int:
    return math.ceil((len(request.system) + len(request.user)) / CHARS_PER_TOKEN) + 2 * TOKENS_PER_MESSAGE


def expected_output_tokens(request: ChatRequest) -> int:
    return min(request.max_tokens, request.expected_output_tokens or request.max_tokens)


@dataclass
class Estimate:
    """Tokens and dollars of requests not yet answered."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    max_output_tokens: int = 0
    price: Price | None = None

    def add(self, request: ChatRequest) -> None:
        self.requests += 1
        self.input_tokens += estimate_input_tokens(request)
        self.output_tokens += expected_output_tokens(request)
        self.max_output_tokens += request.max_tokens

    @property
    def usd(self) -> float | None:
        return None if self.price is None else self.price.cost(self.input_tokens, self.output_tokens)

    @property
    def max_usd(self) -> float | None:
        return None if self.price is None else self.price.cost(self.input_tokens, self.max_output_tokens)

    def line(self) -> str:
        tokens = f"~{self.input_tokens:,} input + ~{self.output_tokens:,} output tokens"
        if self.price is None:
            return f"{self.requests:,} requests to send, {tokens}; no price for this model (give --prices FILE)"
        return (f"{self.requests:,} requests to send, {tokens}: about ${self.usd:,.2f} "
                f"(at most ${self.max_usd:,.2f} if every answer used its max_tokens)")

    def to_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "max_output_tokens": self.max_output_tokens,
                "usd": None if self.usd is None else round(self.usd, 6),
                "max_usd": None if self.max_usd is None else round(self.max_usd, 6)}


class Budget:
    """A spending limit over a run (all its invocations), from the usage answers return.

    A request is sent only while spend so far, the estimates of requests in flight and its
    own estimate stay within the limit; once they would not, the run stops sending and ends
    cleanly with what it has.
    """

    def __init__(self, limit: float | None, spent: float = 0.0):
        if limit is not None and limit < 0:
            raise ConfigError(f"--budget must not be negative, got {limit}")
        self.limit, self.spent, self.reserved = limit, spent, 0.0
        self.stopped = False

    def check_estimate(self, estimate: Estimate) -> None:
        """Refuse to start when the estimate does not fit in what is left of the budget."""
        if self.limit is None:
            return
        if estimate.usd is None:
            raise ConfigError("--budget needs a price for the model: add it to a --prices FILE")
        if self.spent + estimate.usd > self.limit:
            raise ConfigError(f"the estimate (${estimate.usd:,.2f}, plus ${self.spent:,.2f} already spent by this run) "
                              f"is over --budget ${self.limit:,.2f}; nothing was sent")

    def reserve(self, usd: float) -> bool:
        """Hold ``usd`` for a request about to go; ``False`` (and stop) when it would pass the limit."""
        if self.limit is not None and self.spent + self.reserved + usd > self.limit:
            self.stopped = True
        if self.stopped:
            return False
        self.reserved += usd
        return True

    def commit(self, usd: float) -> None:
        """Hold ``usd`` for work already submitted (an open batch of an earlier invocation)."""
        self.reserved += usd

    def settle(self, reserved: float, actual: float) -> None:
        self.reserved -= reserved
        self.spent += actual
