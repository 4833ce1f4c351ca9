"""Train a tagger model and choose its policy thresholds on a validation split.

The threshold of each policy is the highest one that still reaches ``target_recall`` on
the validation documents the policy targets, so it flags as little as possible beyond
them; or, given a flag budget, the one that flags at most that many of the documents it
does not target. The chosen thresholds, and the validation figures they give, go into the
model card.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from alignment_data.errors import InputError
from alignment_data.schema import LabelledDocument
from alignment_data.tagging.embedding import DEFAULT_REGULARIZATION
from alignment_data.tagging.fasttext import FastTextParams, FastTextTagger, write_card
from alignment_data.tagging.lexical import DEFAULT_REGULARIZATION as LEXICAL_REGULARIZATION
from alignment_data.tagging.lexical import LexicalTagger, train_lexical_model
from alignment_data.tagging.policy import make_policy

TUNED_POLICIES = ("misaligned", "ai")
DEFAULT_TARGET_RECALL = 0.95


def leave_out_ids(documents: Sequence[LabelledDocument], prefixes: Sequence[str]) -> list[LabelledDocument]:
    """``documents`` without those whose id starts with one of ``prefixes`` (batches a tuning split leaves out)."""
    return [doc for doc in documents if not doc.id.startswith(tuple(prefixes))]


def split_source(split: str, prefixes: Sequence[str] = ()) -> str:
    """How a model card names the written documents of ``split`` that :func:`leave_out_ids` kept."""
    left_out = f", without ids {', '.join(prefixes)}*" if prefixes else ""
    return f"data/labelled/written (split={split}{left_out})"


def choose_threshold(scores: Sequence[float], positive: Sequence[bool], target_recall: float) -> float:
    """The highest threshold ``t`` with recall(score >= t) >= ``target_recall`` over the positives.

    Positives scored 0 (in a cascade: never escalated to a model) cannot be reached by any
    threshold. When too many are unreachable for the target, the threshold aims at 99% of
    the reachable positives instead of flagging everything a model sees.
    """
    positives = sorted((score for score, is_positive in zip(scores, positive) if is_positive), reverse=True)
    if not positives:
        raise InputError("no positive examples to choose a threshold on", field="label")
    reachable = sum(1 for score in positives if score > 0)
    target = min(target_recall, 0.99 * reachable / len(positives)) if reachable else target_recall
    needed = min(len(positives), max(1, math.ceil(target * len(positives) - 1e-9)))
    return float(positives[needed - 1])


def budget_threshold(scores: Sequence[float], positive: Sequence[bool], max_negatives: int) -> float:
    """The score of the ``max_negatives``-th highest negative, rounded down to 6 decimals.

    At most ``max_negatives`` negatives score at or above it (with ties at the cut, the next
    higher score is taken; with a budget of 0, it is just above the highest negative). For
    a run that must flag no more unrelated documents than a reference flags on the same
    split (the cascade shipped before), instead of reaching a recall target. Negatives
    scored 0 (in a cascade: never escalated to a model) are never flagged; with fewer
    negatives than the budget, it is the lowest positive score.
    """
    if max_negatives < 0:
        raise InputError(f"a flag budget must be 0 or more, not {max_negatives}", field="max_negatives")
    negatives = sorted((score for score, is_positive in zip(scores, positive) if not is_positive and score > 0), reverse=True)
    if len(negatives) <= max_negatives:
        positives = [score for score, is_positive in zip(scores, positive) if is_positive and score > 0]
        if not positives:
            raise InputError("no positive examples reach a model to choose a threshold on", field="label")
        return math.floor(min(positives) * 1e6) / 1e6
    cut = negatives[max_negatives]  # the highest-scoring negative that must stay unflagged
    above = [score for score in negatives if score > cut]
    threshold = min(above) if above else float(np.nextafter(cut, 1.0))
    rounded = math.floor(threshold * 1e6) / 1e6
    return rounded if rounded > cut else math.ceil(threshold * 1e6) / 1e6


def thresholds_from_scores(
    scores: Sequence[dict[str, float]], true_labels: Sequence[str], target_recall: float
) -> dict[str, float]:
    """Per policy, the threshold reaching ``target_recall`` given each document's label probabilities."""
    thresholds = {}
    for name in TUNED_POLICIES:
        policy = make_policy(name)
        summed = [policy.score(row) for row in scores]
        thresholds[name] = round(choose_threshold(summed, [label in policy.labels for label in true_labels], target_recall), 6)
    return thresholds


def tune_thresholds(tagger, documents: Sequence[LabelledDocument], target_recall: float) -> dict[str, float]:
    """Per policy, the threshold reaching ``target_recall`` on ``documents`` with ``tagger``'s scores."""
    tags = []
    for start in range(0, len(documents), 64):
        tags.extend(tagger.tag_batch([doc.text for doc in documents[start : start + 64]]))
    return thresholds_from_scores([tag.scores for tag in tags], [doc.label for doc in documents], target_recall)


def train_fasttext_tagger(
    train: Sequence[LabelledDocument],
    output_path: str | os.PathLike,
    valid: Sequence[LabelledDocument] = (),
    params: FastTextParams = FastTextParams(),
    target_recall: float = DEFAULT_TARGET_RECALL,
    card: dict | None = None,
) -> FastTextTagger:
    """Train, then (with ``valid``) choose thresholds for ``target_recall`` and record them."""
    tagger = FastTextTagger.train(((doc.text, doc.label) for doc in train), output_path, params, card)
    if valid:
        thresholds = tune_thresholds(tagger, valid, target_recall)
        write_card(output_path, {**tagger.card, "thresholds": thresholds, "target_recall": target_recall, "valid_n": len(valid)})
        tagger = FastTextTagger(output_path)
    return tagger


def train_embedding_tagger(
    train: Sequence[LabelledDocument],
    output_path: str | os.PathLike,
    valid: Sequence[LabelledDocument] = (),
    embedder=None,
    encoder_name: str = "all-MiniLM-L6-v2",
    target_recall: float = DEFAULT_TARGET_RECALL,
    regularization: float = DEFAULT_REGULARIZATION,
    card: dict | None = None,
    embeddings: dict[str, np.ndarray] | None = None,
):
    """Embed, fit the head, choose thresholds on ``valid`` and save the head as JSON.

    ``embeddings`` (document id -> pooled embedding) skips encoding documents already embedded.
    """
    from alignment_data.tagging.embedding import DocumentEmbedder, EmbeddingTagger, train_head

    embedder = embedder or DocumentEmbedder()
    train_x = embed_documents(embedder, train, embeddings)
    head = train_head(train_x, [doc.label for doc in train], encoder_name, embedder.chunk_words,
                      embedder.max_chunks, regularization, card)
    if valid:
        probabilities = head.probabilities(embed_documents(embedder, valid, embeddings))
        scores = [dict(zip(head.labels, map(float, row))) for row in probabilities]
        head.thresholds = thresholds_from_scores(scores, [doc.label for doc in valid], target_recall)
        head.card.update({"target_recall": target_recall, "valid_n": len(valid)})
    head.save(output_path)
    return EmbeddingTagger(output_path, encoder=embedder.encoder, precision=embedder.precision)


def train_lexical_tagger(
    train: Sequence[LabelledDocument],
    output_path: str | os.PathLike,
    valid: Sequence[LabelledDocument] = (),
    target_recall: float = DEFAULT_TARGET_RECALL,
    regularization: float = LEXICAL_REGULARIZATION,
    card: dict | None = None,
) -> LexicalTagger:
    """Fit the lexical model, choose its thresholds on ``valid`` and save it as JSON."""
    for doc in train:
        if not doc.text.strip():
            raise InputError("empty or whitespace-only document", doc.id, field="text")
    model = train_lexical_model([doc.text for doc in train], [doc.label for doc in train],
                                regularization, card=card)
    if valid:
        scores = [dict(zip(model.labels, map(float, row))) for row in model.probabilities([doc.text for doc in valid])]
        model.thresholds = thresholds_from_scores(scores, [doc.label for doc in valid], target_recall)
        model.card.update({"target_recall": target_recall, "valid_n": len(valid)})
    model.save(output_path)
    return LexicalTagger(output_path)


def embed_documents(embedder, documents: Sequence[LabelledDocument], cache: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Pooled embeddings of ``documents``, reusing and filling ``cache`` (id -> vector) when given."""
    cache = {} if cache is None else cache
    missing = [doc for doc in documents if doc.id not in cache]
    for start in range(0, len(missing), 256):
        batch = missing[start : start + 256]
        for doc, vector in zip(batch, embedder.embed([doc.text for doc in batch])):
            cache[doc.id] = vector
    return np.stack([cache[doc.id] for doc in documents])


def _focus(stage) -> dict:
    return {"focus_words": stage.focus_words} if stage.focus_words else {}


def tune_cascade(
    cascade, documents: Sequence[LabelledDocument], target_recall: float = DEFAULT_TARGET_RECALL, stage_recall: float = 0.98
) -> dict:
    """Choose the cascade's stage confidences and policy thresholds on labelled ``documents``.

    Every stage but the last (and but a pool-only one, which decides nothing) only clears
    unrelated text (``decides={"not_ai"}``): its
    confidence is the lowest P(not_ai) at which it still passes ``stage_recall`` of the AI
    documents that reach it. The policy thresholds then reach ``target_recall`` end to end
    (see :func:`choose_threshold` for positives that never reach the last stage).
    Sets them on ``cascade`` and returns them as the settings stored in cascade.json.
    """
    texts = [doc.text for doc in documents]
    is_ai = [doc.label != "not_ai" for doc in documents]
    scans = [cascade.blocklist.scan(text) for text in texts]
    reaching = [index for index, (tag, any_term) in enumerate(scans) if (tag.flagged if cascade.escalate == "flagged" else any_term)]
    settings = []
    for stage in cascade.stages[:-1]:
        if stage.pool_only:  # decides nothing, passes everything on
            settings.append({"name": stage.name, "pool_only": True, **({"stance": True} if stage.stance else {})})
            continue
        tags = stage.tagger.tag_batch([texts[index] for index in reaching])
        ai_not_ai = sorted(tag.scores.get("not_ai", 0.0) for index, tag in zip(reaching, tags) if is_ai[index])
        keep = math.ceil(stage_recall * len(ai_not_ai) - 1e-9)
        confidence = max(0.5, float(np.nextafter(ai_not_ai[keep - 1], 1.0))) if ai_not_ai else 0.5
        stage.confidence, stage.decides = confidence, frozenset({"not_ai"})
        settings.append({"name": stage.name, "confidence": round(confidence, 6), "decides": ["not_ai"], **_focus(stage)})
        reaching = [index for index, tag in zip(reaching, tags) if not stage.decides_on(tag)]
    settings.append({"name": cascade.stages[-1].name, **_focus(cascade.stages[-1])})
    thresholds = thresholds_from_scores(last_stage_scores(cascade, texts), [doc.label for doc in documents], target_recall)
    cascade.policy = make_policy(cascade.policy.name, thresholds=thresholds)
    cascade.reset_stats()
    return {"stages": settings, "thresholds": thresholds, "target_recall": target_recall, "stage_recall": stage_recall}


def last_stage_scores(cascade, texts: Sequence[str]) -> list[dict[str, float]]:
    """Each text's label probabilities where the cascade's last stage decided it, else ``{}``.

    Only the documents the last stage decides can be flagged: the others count as
    unreachable when a threshold is chosen.
    """
    return [tag.scores if tag.stage == cascade.stages[-1].name else {} for tag in cascade.tag_batch(texts)]


def cascade_budget_threshold(cascade, documents: Sequence[LabelledDocument], policy: str, max_others: int) -> float:
    """The ``policy`` threshold at which ``cascade`` flags at most ``max_others`` of the ``documents`` it does not target.

    The stage confidences stay as they are (see :func:`budget_threshold`).
    """
    targeted = make_policy(policy)
    summed = [targeted.score(row) for row in last_stage_scores(cascade, [doc.text for doc in documents])]
    return budget_threshold(summed, [doc.label in targeted.labels for doc in documents], max_others)


def cascade_test_figures(cascade, thresholds: dict[str, float], test: Sequence[LabelledDocument]) -> dict:
    """Per tuned policy, the cascade's flag rates, accuracy and stage counts on ``test`` (for cascade.json)."""
    from alignment_data.tagging.quality import measure_tagger

    figures = {}
    for name in TUNED_POLICIES:
        cascade.policy = make_policy(name, thresholds=thresholds)
        cascade.reset_stats()
        report = measure_tagger(cascade, test)
        figures[name] = {**{key: report[key] for key in ("n", "flagged_rate", "accuracy") if key in report},
                         "stages": report["stages"]}
    return figures
