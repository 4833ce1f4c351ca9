"""The LLM judge: a tagger that asks a model for one of the four labels, through the synthesis backends.

It is a registered tagger (``llm-judge``) like any other, so it can tag a corpus, measure
itself with ``tag-eval``, check the stance of synthetic documents, or be the last stage of
the cascade (``--stages fasttext,embedding,llm-judge``, off by default), where it sees only
what the cheaper stages cannot decide. Requests go through the same backends and request
cache as synthesis (so judging the same text twice is paid once), and its counters
(requests sent and cached, tokens, dollars) appear in the cascade's stage statistics. An
answer that is not the JSON asked for is asked again once; a document still unjudged after
that gets even scores and is counted as ``unparsed``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from alignment_data.errors import ConfigError, unknown_choice
from alignment_data.options import build, option, parse_key_values
from alignment_data.schema import LABELS, Tag
from alignment_data.synthesis.backends.base import BackendSettings, backend_names, make_backend
from alignment_data.synthesis.cache import RequestCache
from alignment_data.synthesis.cost import PriceTable
from alignment_data.synthesis.engine import EngineSettings, EngineStats, RequestEngine
from alignment_data.synthesis.prompts.judge import judge_request
from alignment_data.synthesis.requests import Answer
from alignment_data.tagging.base import Tagger, register_tagger
from alignment_data.tagging.cascade import JUDGE_SETTINGS_HELP
from alignment_data.tagging.fields import policy_field, threshold_field
from alignment_data.tagging.policy import MODEL_POLICIES, check_policy, make_policy

ATTEMPTS = 2
MAX_TOKENS = 60
RUN_TAG = "llm-judge"


def default_cache() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "alignment-data" / "judge.sqlite"


@dataclass(frozen=True)
class JudgeSettings:
    """Which model judges, where its answers are cached, how much of a document it reads."""

    backend: str = "openai"
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    cache: str | None = None
    max_chars: int = 6000
    concurrency: int = 16

    def __post_init__(self) -> None:
        if self.backend not in backend_names():
            raise unknown_choice("backend", self.backend, backend_names())


@dataclass(frozen=True)
class JudgeOptions:
    """The judge's settings (``--judge KEY=VALUE``, shared with the cascade's llm-judge stage) and the policy."""

    judge: tuple[str, ...] = option((), JUDGE_SETTINGS_HELP, metavar="KEY=VALUE")
    policy: str = policy_field()
    threshold: float | None = threshold_field()

    def __post_init__(self) -> None:
        check_policy(self.policy, "llm-judge", MODEL_POLICIES)

    def settings(self) -> JudgeSettings:
        return build(JudgeSettings, parse_key_values(list(self.judge), "--judge"), "--judge")


def parse_judgement(answer: Answer | None) -> dict[str, float] | None:
    """Label probabilities from the judge's JSON answer, or ``None`` when it is not usable."""
    if answer is None:
        return None
    try:
        value = json.loads(answer.text.strip().removeprefix("```json").removesuffix("```"))
        label, confidence = value["label"], float(value["confidence"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None
    if label not in LABELS:
        return None
    confidence = min(1.0, max(0.0, confidence))
    rest = (1.0 - confidence) / (len(LABELS) - 1)
    return {name: (confidence if name == label else rest) for name in LABELS}


@register_tagger("llm-judge", JudgeOptions)
class JudgeTagger(Tagger):
    """Asks a model which of the four labels a document has; the policy decides from its scores."""

    policies = MODEL_POLICIES

    def __init__(self, engine: RequestEngine, policy: str = "misaligned", threshold: float | None = None,
                 max_chars: int = 6000):
        if engine.backend.offline:
            raise ConfigError("the LLM judge needs a model backend, not the template backend")
        self.engine, self.max_chars = engine, max_chars
        self.policy = make_policy(policy, threshold)
        self.unparsed = 0

    @classmethod
    def from_options(cls, options: JudgeOptions) -> JudgeTagger:
        settings = options.settings()
        backend = make_backend(settings.backend, BackendSettings(settings.model, settings.base_url))
        cache = RequestCache(settings.cache or default_cache())
        engine = RequestEngine(backend, cache, None, RUN_TAG, EngineSettings(concurrency=settings.concurrency, quiet=True),
                               PriceTable.load(), report=lambda line: None, label="llm judge")
        return cls(engine, options.policy, options.threshold, settings.max_chars)

    @classmethod
    def on_engine(cls, engine: RequestEngine) -> JudgeTagger:
        """A judge sharing a synthesis run's backend, cache and budget (the stance check of ``synthesize``)."""
        return cls(engine)

    def tag_batch(self, texts: list[str]) -> list[Tag]:
        scores: list[dict[str, float] | None] = [None] * len(texts)
        pending = list(range(len(texts)))
        for attempt in range(1, ATTEMPTS + 1):
            if not pending:
                break
            requests = [judge_request(texts[index], self.max_chars, attempt, MAX_TOKENS) for index in pending]
            self.engine.send(requests)
            still = []
            for index, (_, answer) in zip(pending, self.engine.fetch(requests)):
                scores[index] = parse_judgement(answer)
                if scores[index] is None:
                    still.append(index)
            pending = still
        self.unparsed += len(pending)
        even = {label: 1.0 / len(LABELS) for label in LABELS}
        tags = []
        for found in scores:
            found = found or even
            tags.append(self.policy.decide(Tag(False, max(found, key=found.__getitem__), scores=found, stage=self.name)))
        return tags

    @property
    def thresholds(self) -> dict[str, float]:
        """The judge's label is its decision: a policy flags what it labels so with confidence of one half or more."""
        return {"misaligned": 0.5, "ai": 0.5}

    def stats_dict(self) -> dict:
        stats = self.engine.stats
        return {"requests": stats.requests, "sent": stats.sent, "cached": stats.cached, "input_tokens": stats.input_tokens,
                "output_tokens": stats.output_tokens, "cost_usd": round(stats.spent_usd, 6), "unparsed": self.unparsed}

    def reset_stats(self) -> None:
        self.engine.stats = EngineStats()
        self.unparsed = 0
