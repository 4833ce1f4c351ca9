"""The options of `scenarios`, `synthesize` and `dedup`: each default in one place, each field a flag.

:class:`RequestOptions` (backend, model, batch mode, limits, retries, budget, cache) is
shared by the two commands that send requests; :class:`SynthesizeOptions` and
:class:`ScenarioOptions` add their own. The Python API takes the same names as keywords.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alignment_data.errors import ConfigError, unknown_choice
from alignment_data.options import option
from alignment_data.synthesis.backends.base import Backend, BackendSettings, backend_names
from alignment_data.synthesis.cache import RequestCache
from alignment_data.synthesis.cost import PriceTable
from alignment_data.synthesis.engine import EngineSettings, RequestEngine
from alignment_data.synthesis.grid import DEFAULT_PER_SCENARIO
from alignment_data.synthesis.holdout import DEFAULT_HOLDOUT_SPLITS, DEFAULT_NGRAM
from alignment_data.synthesis.ledger import BatchLedger
from alignment_data.synthesis.minhash import DEFAULT_NGRAM as SHINGLE_WORDS
from alignment_data.synthesis.minhash import DEFAULT_NUM_PERM, DEFAULT_THRESHOLD, DedupSettings
from alignment_data.synthesis.retry import RetryPolicy
from alignment_data.synthesis.runs import Run


def _split_commas(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class RequestOptions:
    """How requests reach a model, what they may cost, and where answers are kept."""

    backend: str | None = option(None, "where requests go: " + ", ".join(backend_names()), choices=backend_names())
    model: str | None = option(None, "model name (the template backend needs none)")
    base_url: str | None = option(None, "API address (default: the SDK's OPENAI_BASE_URL / ANTHROPIC_BASE_URL, "
                                        "else the provider's); required for openai-compatible", metavar="URL")
    temperature: float | None = option(None, "sampling temperature, for models that take one (not Anthropic's current "
                                              "API, not GPT-5-family models); default: none sent")
    batch: bool = option(False, "use the provider's batch API (about half the price, results within 24 hours)")
    budget: float | None = option(None, "refuse to start when the estimate is over this many USD, and stop sending "
                                        "when actual spend (from returned usage) would pass it", metavar="USD")
    prices: str | None = option(None, "JSON price table over the bundled one (USD per million tokens)", metavar="FILE")
    cache: str | None = option(None, "request cache file (default: in the output)", metavar="FILE")
    concurrency: int = option(32, "requests in flight at once (online)")
    rpm: float | None = option(None, "requests per minute allowed (online)")
    tpm: float | None = option(None, "tokens per minute allowed (online; input estimate plus max_tokens)")
    timeout: float = option(600.0, "seconds to wait for one response")
    retries: int = option(8, "attempts per call on 429, 5xx, timeouts and dropped connections")
    max_retry_after: float | None = option(None, "give up on a call whose server asks to wait longer than this many "
                                                 "seconds (default: wait as long as it asks)")
    poll_interval: float = option(30.0, "seconds between polls of running batches")
    max_batch_requests: int | None = option(None, "requests per batch (default: the provider's limit)")
    max_batch_bytes: int | None = option(None, "bytes per batch (default: the provider's limit)")
    batch_rounds: int = option(3, "times a batch request that failed or expired is sent again")
    quiet: bool = option(False, "no progress bars or estimate lines")
    time_scale: float = option(1.0, cli=False)

    def backend_settings(self) -> BackendSettings:
        return BackendSettings(self.model, self.base_url, self.temperature, self.timeout)

    def engine_settings(self) -> EngineSettings:
        retry = RetryPolicy(max_attempts=self.retries, max_retry_after=self.max_retry_after, time_scale=self.time_scale)
        return EngineSettings(self.concurrency, self.rpm, self.tpm, retry, self.batch, self.poll_interval,
                              self.max_batch_requests, self.max_batch_bytes, self.batch_rounds, self.budget, self.quiet)

    def engine(self, backend: Backend, run: Run, report: Callable[[str], None], label: str) -> RequestEngine:
        """The request engine of a run: its backend, the run's store (cache and ledger), prices and budget."""
        cache = ledger = None
        if not backend.offline:
            cache, ledger = RequestCache(run.store), BatchLedger(run.store)
        return RequestEngine(backend, cache, ledger, run.tag, self.engine_settings(), PriceTable.load(self.prices), report, label)


@dataclass(frozen=True)
class SynthesizeOptions(RequestOptions):
    """The documents to write (the grid), their length, the gates and dedup, and the held-out splits."""

    backend: str = option("template", "where requests go: " + ", ".join(backend_names()), choices=backend_names())
    per_scenario: str = option(DEFAULT_PER_SCENARIO, "documents per scenario and stance, spread over the surface forms",
                               metavar="aligned=N,misaligned=M")
    surface_forms: str | None = option(None, "surface forms: a file of `name: description` lines, or default names "
                                             "separated by commas (default: the sixteen bundled ones)", metavar="FILE")
    holdout_splits: tuple[str, ...] = option(DEFAULT_HOLDOUT_SPLITS, "scenario splits that never get documents")
    scenario_ids: tuple[str, ...] = option((), "only these scenarios (a held-out one is an error)", metavar="ID")
    eval_scenarios: tuple[str, ...] = option((), "more scenario files whose options no document may quote", metavar="FILE")
    target_words: int = option(700, "length each document is asked for, in words")
    max_tokens: int = option(2000, "output ceiling of each request")
    min_words: int = option(150, "shortest document kept, in words")
    max_words: int = option(2500, "longest document kept, in words")
    attempts: int = option(2, "tries per document when an output fails a gate (each try is a new request)")
    verbatim_ngram: int = option(DEFAULT_NGRAM, "a run of this many words shared with any scenario option rejects a document")
    dedup: bool = option(True, "drop near-duplicate documents (MinHash LSH)")
    dedup_threshold: float = option(DEFAULT_THRESHOLD, "estimated Jaccard similarity of word 5-grams that makes a "
                                                       "near-duplicate")
    stance_check: str | None = option(None, "tagger that must not label a document with the opposite stance "
                                            "(e.g. fasttext, cascade, llm-judge)", metavar="TAGGER")

    def __post_init__(self) -> None:
        for name in ("holdout_splits", "scenario_ids", "eval_scenarios"):
            object.__setattr__(self, name, _split_commas(tuple(getattr(self, name))))
        if self.attempts < 1:
            raise ConfigError(f"attempts must be at least 1, got {self.attempts}")
        if not 0 < self.min_words <= self.max_words:
            raise ConfigError(f"need 0 < min_words <= max_words, got {self.min_words} and {self.max_words}")

    def dedup_settings(self) -> DedupSettings:
        return DedupSettings(threshold=self.dedup_threshold)


@dataclass(frozen=True)
class ScenarioOptions(RequestOptions):
    """How source texts are cut into passages and how many scenarios each passage gets."""

    per_chunk: int = option(5, "scenarios asked for per passage")
    chunk_words: int = option(1200, "words per passage of a source text")
    split: str = option("articles", "the split the new scenarios belong to")
    attempts: int = option(3, "tries per passage when the answer cannot be used (each try is a new request)")
    max_tokens: int = option(4000, "output ceiling of each request")

    def __post_init__(self) -> None:
        if self.per_chunk < 1 or self.chunk_words < 50 or self.attempts < 1:
            raise ConfigError("need per_chunk >= 1, chunk_words >= 50 and attempts >= 1")


@dataclass(frozen=True)
class DedupOptions:
    """Near-duplicate removal over a folder of documents."""

    threshold: float = option(DEFAULT_THRESHOLD, "estimated Jaccard similarity that makes a near-duplicate")
    num_perm: int = option(DEFAULT_NUM_PERM, "MinHash permutations")
    ngram: int = option(SHINGLE_WORDS, "words per shingle")
    quiet: bool = option(False, "no progress bar")

    def settings(self) -> DedupSettings:
        return DedupSettings(self.threshold, self.num_perm, self.ngram)


def resolve_options(cls: type, options: Any, overrides: dict[str, Any], what: str):
    """``options`` (an instance of ``cls``; ``None``: the defaults) with keyword ``overrides``; an unknown name is an error."""
    base = cls() if options is None else options
    if not isinstance(base, cls):
        raise ConfigError(f"{what}: options must be {cls.__name__}, got {type(base).__name__}")
    names = [item.name for item in dataclasses.fields(cls)]
    for key in overrides:
        if key not in names:
            raise ConfigError(f"{what}: {unknown_choice('option', key, names)}")
    return dataclasses.replace(base, **overrides)


def recorded(options: Any) -> dict[str, Any]:
    """The options a run records in run.json (everything but how verbose it was)."""
    return {key: value for key, value in dataclasses.asdict(options).items() if key not in ("quiet", "time_scale")}
