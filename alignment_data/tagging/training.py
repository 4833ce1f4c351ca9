"""Train a tagger model and choose its policy thresholds on a validation split.

The threshold of each policy is the highest one that still reaches ``target_recall`` on
the validation documents the policy targets, so it flags as little as possible beyond
them. The chosen thresholds, and the validation figures they give, go into the model card.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

from alignment_data.io import LabelledDocument
from alignment_data.tagging.fasttext import FastTextParams, FastTextTagger, write_card
from alignment_data.tagging.policy import make_policy

TUNED_POLICIES = ("misaligned", "ai")


def choose_threshold(scores: Sequence[float], positive: Sequence[bool], target_recall: float) -> float:
    """The highest threshold ``t`` with recall(score >= t) >= ``target_recall`` over the positives."""
    positives = sorted((score for score, is_positive in zip(scores, positive) if is_positive), reverse=True)
    if not positives:
        raise ValueError("no positive examples to choose a threshold on")
    needed = min(len(positives), max(1, math.ceil(target_recall * len(positives) - 1e-9)))
    return float(positives[needed - 1])


def tune_thresholds(tagger, documents: Sequence[LabelledDocument], target_recall: float) -> dict[str, float]:
    """Per policy, the threshold reaching ``target_recall`` on ``documents`` with ``tagger``'s scores."""
    tags = []
    for start in range(0, len(documents), 64):
        tags.extend(tagger.tag_batch([doc.text for doc in documents[start : start + 64]]))
    thresholds = {}
    for name in TUNED_POLICIES:
        labels = make_policy(name).labels
        scores = [sum(tag.scores.get(label, 0.0) for label in labels) for tag in tags]
        thresholds[name] = round(choose_threshold(scores, [doc.label in labels for doc in documents], target_recall), 6)
    return thresholds


def train_fasttext_tagger(
    train: Sequence[LabelledDocument],
    output_path: str | os.PathLike,
    valid: Sequence[LabelledDocument] = (),
    params: FastTextParams = FastTextParams(),
    target_recall: float = 0.95,
    card: dict | None = None,
) -> FastTextTagger:
    """Train, then (with ``valid``) choose thresholds for ``target_recall`` and record them."""
    tagger = FastTextTagger.train(((doc.text, doc.label) for doc in train), output_path, params, card)
    if valid:
        thresholds = tune_thresholds(tagger, valid, target_recall)
        write_card(output_path, {**tagger.card, "thresholds": thresholds, "target_recall": target_recall, "valid_n": len(valid)})
        tagger = FastTextTagger(output_path)
    return tagger
