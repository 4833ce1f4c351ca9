"""Build taggers from a small picklable spec, as the CLI and pipeline workers need."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources

from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.cascade import CascadeTagger, ModelStage
from alignment_data.tagging.fasttext import FastTextTagger
from alignment_data.tagging.policy import make_policy

TAGGER_NAMES = ("blocklist", "fasttext", "embedding", "cascade")
STAGE_NAMES = ("fasttext", "embedding")


def default_cascade_config() -> dict:
    """Stage settings and policy thresholds chosen on the validation split (scripts/train_default_models.py)."""
    text = resources.files("alignment_data.tagging").joinpath("models", "cascade.json").read_text("utf-8")
    return json.loads(text)


def default_stages() -> tuple[str, ...]:
    """fastText then the embedding model when the ``semantic`` extra is installed, else fastText alone."""
    from alignment_data.tagging.embedding import semantic_extra_installed

    return STAGE_NAMES if semantic_extra_installed() else ("fasttext",)


@dataclass(frozen=True)
class TaggerSpec:
    """Which tagger to build and how: the same spec builds the same tagger in any process.

    ``stages`` lists the cascade's model stages after the blocklist (default: see
    :func:`default_stages`); ``model`` is a fastText model, ``head`` an embedding head and
    ``encoder`` a sentence-transformers model folder, each defaulting to the shipped one.
    """

    name: str = "cascade"
    model: str | None = None
    head: str | None = None
    encoder: str | None = None
    terms: tuple[str, ...] = ()
    policy: str = "misaligned"
    threshold: float | None = None
    escalate: str | None = None
    stages: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.name not in TAGGER_NAMES:
            raise ValueError(f"unknown tagger {self.name!r}; expected one of {', '.join(TAGGER_NAMES)}")
        if self.name != "cascade" and self.policy == "blocklist":
            raise ValueError("policy 'blocklist' applies to the cascade; the blocklist tagger always uses it")
        unknown = set(self.stages or ()) - set(STAGE_NAMES)
        if unknown or (self.stages is not None and not self.stages):
            raise ValueError(f"cascade stages must be a non-empty sequence of {', '.join(STAGE_NAMES)}; got {self.stages}")

    def to_dict(self) -> dict:
        return asdict(self)

    def resolved_stages(self) -> tuple[str, ...]:
        return self.stages or default_stages()

    def build(self):
        blocklist = BlocklistTagger.from_terms(*self.terms) if self.terms else BlocklistTagger()
        if self.name == "blocklist":
            return blocklist
        if self.name == "fasttext":
            return FastTextTagger(self.model, policy=self.policy, threshold=self.threshold)
        if self.name == "embedding":
            return self._embedding(self.policy, self.threshold)
        return self._cascade(blocklist)

    def _embedding(self, policy: str = "misaligned", threshold: float | None = None):
        from alignment_data.tagging.embedding import EmbeddingTagger

        return EmbeddingTagger(self.head, self.encoder, policy=policy, threshold=threshold)

    def _cascade(self, blocklist: BlocklistTagger) -> CascadeTagger:
        names = self.resolved_stages()
        config = default_cascade_config()
        variant = config["variants"].get("+".join(names), {})
        settings = {stage["name"]: stage for stage in variant.get("stages", [])}
        stages = []
        for name in names:
            tagger = FastTextTagger(self.model) if name == "fasttext" else self._embedding()
            setting = settings.get(name, {})
            stages.append(ModelStage(tagger, setting.get("confidence", 0.0), frozenset(setting.get("decides", ()))))
        custom = (self.model is not None and "fasttext" in names) or (self.head is not None and "embedding" in names)
        thresholds = variant["thresholds"] if variant and not custom else stages[-1].tagger.thresholds
        return CascadeTagger(
            blocklist=blocklist,
            stages=stages,
            policy=make_policy(self.policy, self.threshold, thresholds),
            escalate=self.escalate or config["escalate"],
            combine=variant.get("combine", False),
        )
