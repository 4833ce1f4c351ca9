"""Filter policies: which tagged documents count as flagged.

A policy decides from what a tag stores, so the live taggers and a re-decision from stored
tags (``alignment-data filter --from-tags``) decide the same way by construction:

- ``misaligned`` (our default) flags when P(ai_misaligned) reaches the threshold;
- ``ai`` flags when P(ai_neutral) + P(ai_misaligned) + P(ai_aligned) reaches it;
- both never flag a document a cheap stage cleared as unrelated (``tag.cleared``);
- ``blocklist`` flags what the study's blocklist rule flags (``tag.categories``).
"""

from __future__ import annotations

from dataclasses import dataclass

from alignment_data.errors import ConfigError, unknown_choice
from alignment_data.schema import AI_LABELS, AI_MISALIGNED, LABELS, Tag

POLICY_NAMES = ("misaligned", "ai", "blocklist")
MODEL_POLICIES = ("misaligned", "ai")
DEFAULT_POLICY = "misaligned"
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class FilterPolicy:
    name: str
    labels: frozenset[str]
    threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        unknown = set(self.labels) - set(LABELS)
        if unknown:
            raise ConfigError(f"unknown labels in policy {self.name!r}: {sorted(unknown)}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"policy threshold must be in [0, 1], got {self.threshold}")

    def score(self, scores: dict[str, float]) -> float:
        """The probability this policy thresholds: the sum over its labels."""
        return sum(scores.get(label, 0.0) for label in self.labels)

    def flags(self, scores: dict[str, float]) -> bool:
        return self.score(scores) >= self.threshold

    def decide(self, tag: Tag) -> Tag:
        """``tag`` with ``flagged`` and ``reasons`` set by this policy."""
        if self.name == "blocklist":
            return tag.decided(tag.blocklist_flagged, tag.categories)
        if tag.cleared:
            return tag.decided(False, ())
        if not tag.scores:
            raise ConfigError(f"policy {self.name!r} needs label probabilities, and a tag decided by "
                              f"{tag.stage or 'an unknown stage'!r} has none: use a model tagger or policy 'blocklist'")
        return tag.decided(self.flags(tag.scores), (f"{tag.stage}: {self.name} >= {self.threshold:g}",))

    def to_dict(self) -> dict:
        return {"name": self.name, "labels": sorted(self.labels), "threshold": self.threshold}


def make_policy(name: str, threshold: float | None = None, thresholds: dict[str, float] | None = None) -> FilterPolicy:
    """A named policy; the threshold comes from ``threshold``, else ``thresholds[name]`` (a model card), else 0.5."""
    if name not in POLICY_NAMES:
        raise unknown_choice("policy", name, POLICY_NAMES)
    if threshold is None:
        threshold = (thresholds or {}).get(name, DEFAULT_THRESHOLD)
    labels = {"misaligned": {AI_MISALIGNED}, "ai": set(AI_LABELS), "blocklist": set(AI_LABELS)}[name]
    return FilterPolicy(name, frozenset(labels), threshold)


def check_policy(policy: str, tagger: str, allowed: tuple[str, ...]) -> None:
    """Refuse a policy the tagger's tags cannot decide (the blocklist has no probabilities, for example)."""
    if policy not in allowed:
        raise ConfigError(f"policy {policy!r} does not apply to the {tagger} tagger; it decides {', '.join(allowed)}")
