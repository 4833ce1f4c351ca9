"""How well a tagger does on labelled documents: flag rates, confusion matrix, precision and recall.

(Model evaluation, the propensity of a trained model, is :mod:`alignment_data.eval`.)
"""

from __future__ import annotations

from collections.abc import Sequence

from alignment_data.schema import LABELS, LabelledDocument


def measure_tagger(tagger, documents: Sequence[LabelledDocument], batch_size: int = 64) -> dict:
    """Run ``tagger`` over ``documents`` and compare with their labels.

    Returns ``n``; ``counts`` per true label; ``flagged_rate`` (true label -> share flagged);
    and, when the tagger predicts labels, ``confusion`` (true -> predicted -> count),
    ``per_label`` precision, recall and F1, and ``accuracy``.
    """
    tags = []
    for start in range(0, len(documents), batch_size):
        tags.extend(tagger.tag_batch([doc.text for doc in documents[start : start + batch_size]]))
    return measure_tags(tagger, documents, tags)


def measure_tags(tagger, documents: Sequence[LabelledDocument], tags: Sequence) -> dict:
    """:func:`measure_tagger` for tags ``tagger`` has already made of ``documents`` (in order)."""
    present = [label for label in LABELS if any(doc.label == label for doc in documents)]
    counts = {label: sum(1 for doc in documents if doc.label == label) for label in present}
    flagged = {label: sum(1 for doc, tag in zip(documents, tags) if doc.label == label and tag.flagged) for label in present}
    report: dict = {
        "tagger": tagger.name,
        "n": len(documents),
        "counts": counts,
        "flagged": flagged,
        "flagged_rate": {label: round(flagged[label] / counts[label], 6) for label in present},
    }
    policy = getattr(tagger, "policy", None)
    if policy is not None:
        report["policy"] = policy.to_dict()
    if any(tag.label is not None for tag in tags):
        report.update(_label_metrics(documents, tags))
    stats = tagger.stats_dict()
    if stats:
        report["stages"] = stats
    return report


def _label_metrics(documents: Sequence[LabelledDocument], tags) -> dict:
    confusion = {true: dict.fromkeys(LABELS, 0) for true in LABELS}
    for doc, tag in zip(documents, tags):
        confusion[doc.label][tag.label or "none"] = confusion[doc.label].get(tag.label or "none", 0) + 1
    per_label = {}
    for label in LABELS:
        true_positive = confusion[label][label]
        predicted = sum(confusion[true].get(label, 0) for true in LABELS)
        actual = sum(confusion[label].values())
        precision = true_positive / predicted if predicted else None
        recall = true_positive / actual if actual else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if actual and predicted else None)
        per_label[label] = {
            "precision": _round(precision),
            "recall": _round(recall),
            "f1": _round(f1),
            "support": actual,
            "predicted": predicted,
        }
    correct = sum(confusion[label][label] for label in LABELS)
    return {"confusion": confusion, "per_label": per_label, "accuracy": round(correct / len(documents), 6) if documents else None}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
