"""Evaluation stays clean: held-out scenarios get no documents, and no document quotes an option.

Scenarios of a held-out split (``--holdout-splits``, default ``heldout``) are skipped and
counted; naming one explicitly is an error. :class:`VerbatimIndex` finds any run of ``n``
words (lower-cased word tokens, default 8) that a document shares with an option of any
evaluation scenario, held-out ones included, in one Aho-Corasick pass per document.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick_rs

from alignment_data.errors import ConfigError
from alignment_data.schema import Scenario
from alignment_data.synthesis.paraphrase import words

DEFAULT_HOLDOUT_SPLITS = ("heldout",)
DEFAULT_NGRAM = 8


@dataclass(frozen=True)
class HoldoutSplit:
    """The scenarios that get documents, and how many were held out."""

    eligible: list[Scenario]
    held_out: int
    holdout_splits: tuple[str, ...]


def select_scenarios(scenarios: list[Scenario], holdout_splits: Iterable[str] = DEFAULT_HOLDOUT_SPLITS,
                     ids: Iterable[str] | None = None) -> HoldoutSplit:
    """Scenarios outside the held-out splits (only ``ids`` when given; a held-out or unknown id is an error)."""
    holdout = tuple(holdout_splits)
    by_id = {scenario.id: scenario for scenario in scenarios}
    if ids:
        chosen = []
        for scenario_id in ids:
            if scenario_id not in by_id:
                close = difflib.get_close_matches(scenario_id, list(by_id), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(f"unknown scenario id {scenario_id!r}{hint}: not in the scenarios file")
            if by_id[scenario_id].split in holdout:
                raise ConfigError(f"scenario {scenario_id!r} belongs to the held-out split {by_id[scenario_id].split!r}: "
                                  "held-out scenarios never get documents")
            chosen.append(by_id[scenario_id])
        return HoldoutSplit(chosen, sum(1 for s in scenarios if s.split in holdout), holdout)
    eligible = [scenario for scenario in scenarios if scenario.split not in holdout]
    if not eligible:
        raise ConfigError(f"every scenario belongs to a held-out split ({', '.join(holdout)}): nothing to write documents for")
    return HoldoutSplit(eligible, len(scenarios) - len(eligible), holdout)


class VerbatimIndex:
    """Every ``n``-word run of every option of the evaluation scenarios, to find quoted options fast."""

    def __init__(self, scenarios: Iterable[Scenario], n: int = DEFAULT_NGRAM):
        if n < 3:
            raise ConfigError(f"the verbatim check needs runs of at least 3 words, got {n}")
        self.n = n
        owners: dict[str, tuple[str, str]] = {}
        for scenario in scenarios:
            for option in scenario.options:
                tokens = words(option.text)
                if len(tokens) < 3:
                    continue
                span = min(n, len(tokens))  # an option shorter than n words counts when quoted whole
                for start in range(len(tokens) - span + 1):
                    owners.setdefault(" " + " ".join(tokens[start:start + span]) + " ", (scenario.id, option.label))
        self.patterns = list(owners)
        self.owners = [owners[pattern] for pattern in self.patterns]
        self.matcher = ahocorasick_rs.AhoCorasick(self.patterns) if self.patterns else None

    def find(self, text: str) -> tuple[str, str, str] | None:
        """``(scenario id, option label, the quoted words)`` of the first option ``text`` quotes, or ``None``."""
        if self.matcher is None:
            return None
        found = self.matcher.find_matches_as_indexes(" " + " ".join(words(text)) + " ", overlapping=False)
        if not found:
            return None
        pattern = found[0][0]
        scenario_id, label = self.owners[pattern]
        return scenario_id, label, self.patterns[pattern].strip()
