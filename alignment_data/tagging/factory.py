"""Build taggers from a small picklable spec, as the CLI and pipeline workers need."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources

from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.cascade import CascadeTagger, ModelStage
from alignment_data.tagging.fasttext import FastTextTagger
from alignment_data.tagging.policy import make_policy

TAGGER_NAMES = ("blocklist", "fasttext", "cascade")


def default_cascade_config() -> dict:
    """Stage confidences and policy thresholds chosen on the validation split (see scripts/)."""
    text = resources.files("alignment_data.tagging").joinpath("models", "cascade.json").read_text("utf-8")
    return json.loads(text)


@dataclass(frozen=True)
class TaggerSpec:
    """Which tagger to build and how: the same spec builds the same tagger in any process."""

    name: str = "cascade"
    model: str | None = None
    terms: tuple[str, ...] = ()
    policy: str = "misaligned"
    threshold: float | None = None
    escalate: str | None = None

    def __post_init__(self) -> None:
        if self.name not in TAGGER_NAMES:
            raise ValueError(f"unknown tagger {self.name!r}; expected one of {', '.join(TAGGER_NAMES)}")
        if self.name != "cascade" and self.policy == "blocklist":
            raise ValueError("policy 'blocklist' applies to the cascade; the blocklist tagger always uses it")

    def to_dict(self) -> dict:
        return asdict(self)

    def build(self):
        blocklist = BlocklistTagger.from_terms(*self.terms) if self.terms else BlocklistTagger()
        if self.name == "blocklist":
            return blocklist
        if self.name == "fasttext":
            return FastTextTagger(self.model, policy=self.policy, threshold=self.threshold)
        config = default_cascade_config()
        fasttext = FastTextTagger(self.model)
        thresholds = config["thresholds"] if self.model is None else fasttext.card.get("thresholds", {})
        return CascadeTagger(
            blocklist=blocklist,
            stages=[ModelStage(fasttext)],
            policy=make_policy(self.policy, self.threshold, thresholds),
            escalate=self.escalate or config["escalate"],
        )
