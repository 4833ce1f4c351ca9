"""The cascade: cheap stages first, each later stage sees only what the one before escalates.

The blocklist decides documents it finds nothing in (``not_ai``) and escalates the rest;
each model stage decides a document when it is confident enough (see :class:`ModelStage`)
and escalates it otherwise; the last stage decides everything it receives.
Counts, time and the share escalated are kept per stage in :attr:`CascadeTagger.stats`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from alignment_data.schema import NOT_AI, Tag
from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.policy import FilterPolicy, make_policy

ESCALATE_RULES = ("any_term", "flagged")


class LabelTagger(Protocol):
    name: str

    def tag_batch(self, texts: list[str]) -> list[Tag]: ...


@dataclass
class StageStats:
    seen: int = 0
    decided: int = 0
    escalated: int = 0
    flagged: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "seen": self.seen,
            "decided": self.decided,
            "escalated": self.escalated,
            "flagged": self.flagged,
            "share_escalated": round(self.escalated / self.seen, 6) if self.seen else 0.0,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ModelStage:
    """A label-predicting tagger and when it decides on its own.

    The stage decides a document when its top label is one of ``decides`` (all labels when
    empty) with probability at least ``confidence``; otherwise it escalates the document.
    A cheap stage that should only clear unrelated text uses ``decides={"not_ai"}``.
    """

    tagger: LabelTagger
    confidence: float = 0.0
    decides: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.tagger.name

    def decides_on(self, tag: Tag) -> bool:
        return (not self.decides or tag.label in self.decides) and max(tag.scores.values(), default=1.0) >= self.confidence


@dataclass
class CascadeTagger:
    """Blocklist, then model stages (fastText, then optionally an embedding model).

    ``escalate`` says which documents the blocklist passes on: ``any_term`` (any term of any
    category, cues included, the default: the models then judge every document that
    mentions anything relevant) or ``flagged`` (only documents the study's rule flags).
    ``policy`` decides ``flagged`` on the final label probabilities, or is ``blocklist`` to
    flag exactly what the blocklist flags, as the study did. With ``combine``, a stage deciding a document
    that earlier model stages also scored decides on the mean of their probabilities (the
    word model and the embedding model make different mistakes, so their mean is better
    than either).
    """

    blocklist: BlocklistTagger
    stages: list[ModelStage]
    policy: FilterPolicy = field(default_factory=lambda: make_policy("misaligned"))
    escalate: str = "any_term"
    combine: bool = False
    stats: dict[str, StageStats] = field(init=False)
    name = "cascade"

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a cascade needs at least one model stage after the blocklist")
        if self.escalate not in ESCALATE_RULES:
            raise ValueError(f"unknown escalate rule {self.escalate!r}; expected one of {', '.join(ESCALATE_RULES)}")
        self.reset_stats()

    def reset_stats(self) -> None:
        self.stats = {name: StageStats() for name in [self.blocklist.name] + [stage.name for stage in self.stages]}
        for stage in self.stages:
            getattr(stage.tagger, "reset_counters", lambda: None)()

    def tag(self, text: str) -> Tag:
        return self.tag_batch([text])[0]

    def tag_batch(self, texts: list[str]) -> list[Tag]:
        start = time.perf_counter()
        scans = [self.blocklist.scan(text) for text in texts]
        first = [tag for tag, _ in scans]
        results: list[Tag | None] = [None] * len(texts)
        pending: list[int] = []
        for index, (tag, any_term) in enumerate(scans):
            if tag.flagged if self.escalate == "flagged" else any_term:
                pending.append(index)
            else:
                # nothing to pass on (a document the study's rule flags always is): not AI discourse
                results[index] = Tag(flagged=False, label=NOT_AI, reasons=tag.reasons, terms=tag.terms, stage=tag.stage)
        self._count(self.blocklist.name, len(texts), len(pending), [tag for tag in results if tag is not None], start)
        earlier: dict[int, list[dict[str, float]]] = {}
        for position, stage in enumerate(self.stages):
            if not pending:
                break
            start = time.perf_counter()
            last = position == len(self.stages) - 1
            tags = stage.tagger.tag_batch([texts[index] for index in pending])
            still: list[int] = []
            decided: list[Tag] = []
            for index, tag in zip(pending, tags):
                if last or stage.decides_on(tag):
                    if self.combine and index in earlier:
                        tag = _mean_tag(earlier[index] + [tag.scores], tag.stage)
                    results[index] = self._final(first[index], tag, cleared=not last and tag.label == NOT_AI)
                    decided.append(results[index])
                else:
                    still.append(index)
                    earlier.setdefault(index, []).append(tag.scores)
            self._count(stage.name, len(pending), len(still), decided, start)
            pending = still
        return results  # type: ignore[return-value]

    def _final(self, blocklist_tag: Tag, model_tag: Tag, cleared: bool = False) -> Tag:
        """The document's tag; ``cleared`` (judged not_ai before the last stage) is never flagged
        by a model policy, since that stage's job was to clear it."""
        if self.policy.name == "blocklist":
            flagged = blocklist_tag.flagged
        else:
            flagged = not cleared and self.policy.flags(model_tag.scores)
        reasons = blocklist_tag.reasons + ((f"{model_tag.stage}:{model_tag.label}",) if flagged else ())
        return Tag(flagged, model_tag.label, reasons, blocklist_tag.terms, model_tag.scores, model_tag.stage)

    def _count(self, name: str, seen: int, escalated: int, decided: list[Tag], start: float) -> None:
        stats = self.stats[name]
        stats.seen += seen
        stats.escalated += escalated
        stats.decided += seen - escalated
        stats.flagged += sum(1 for tag in decided if tag.flagged)
        stats.seconds += time.perf_counter() - start

    def stats_dict(self) -> dict[str, dict]:
        """Per stage: seen, decided, escalated, flagged, share escalated, seconds, and the
        stage's own counters (the embedding stage reports chunks and subsampled documents)."""
        out = {name: stats.to_dict() for name, stats in self.stats.items()}
        for stage in self.stages:
            out[stage.name].update(getattr(stage.tagger, "counters", dict)())
        return out


def _mean_tag(scores: list[dict[str, float]], stage: str) -> Tag:
    """A tag whose probabilities are the mean of several stages' probabilities."""
    labels = {label for row in scores for label in row}
    mean = {label: sum(row.get(label, 0.0) for row in scores) / len(scores) for label in labels}
    return Tag(False, max(mean, key=mean.__getitem__), scores=mean, stage=stage)
