"""Filter policies: which tagged documents count as flagged.

A label-predicting tagger flags a document when the summed probability of the policy's
labels reaches its threshold. ``misaligned`` (our default) targets misaligned AI discourse
only; ``ai`` targets all AI discourse; ``blocklist`` reproduces the study's rule (whatever
the blocklist flags) inside a cascade.
"""

from __future__ import annotations

from dataclasses import dataclass

from alignment_data.schema import AI_LABELS, AI_MISALIGNED, LABELS

POLICY_NAMES = ("misaligned", "ai", "blocklist")


@dataclass(frozen=True)
class FilterPolicy:
    name: str
    labels: frozenset[str]
    threshold: float = 0.5

    def __post_init__(self) -> None:
        unknown = set(self.labels) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown labels in policy {self.name!r}: {sorted(unknown)}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"policy threshold must be in [0, 1], got {self.threshold}")

    def flags(self, scores: dict[str, float]) -> bool:
        return sum(scores.get(label, 0.0) for label in self.labels) >= self.threshold

    def to_dict(self) -> dict:
        return {"name": self.name, "labels": sorted(self.labels), "threshold": self.threshold}


def make_policy(name: str, threshold: float | None = None, thresholds: dict[str, float] | None = None) -> FilterPolicy:
    """A named policy; the threshold comes from ``threshold``, else ``thresholds[name]`` (a model card), else 0.5."""
    if name not in POLICY_NAMES:
        raise ValueError(f"unknown policy {name!r}; expected one of {', '.join(POLICY_NAMES)}")
    if threshold is None:
        threshold = (thresholds or {}).get(name, 0.5)
    labels = {"misaligned": {AI_MISALIGNED}, "ai": set(AI_LABELS), "blocklist": set(AI_LABELS)}[name]
    return FilterPolicy(name, frozenset(labels), threshold)
