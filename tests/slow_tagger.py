"""A registered tagger of another module that sleeps, so a run can be killed while its workers tag."""

import time
from dataclasses import dataclass

from alignment_data.schema import Tag
from alignment_data.tagging.base import Tagger, register_tagger


@dataclass(frozen=True)
class SlowOptions:
    seconds: float = 0.5


@register_tagger("slow", SlowOptions)
class SlowTagger(Tagger):
    policies = ("blocklist",)

    def __init__(self, seconds: float):
        self.seconds = seconds

    @classmethod
    def from_options(cls, options):
        return cls(options.seconds)

    def tag_batch(self, texts):
        time.sleep(self.seconds * len(texts))
        return [Tag(False, stage="slow") for _ in texts]
