"""The lexical tagger: word and word-pair TF-IDF with a multinomial logistic regression.

A sentence encoder's pooled embedding says what a document is about far better than what
the AI in it chose: a story where the assistant hides the second log file and its mirror
where it reports it embed almost the same. The words that carry the choice ("instead",
"without telling", "declined", "reported") are what a full-rank bag of word pairs weighs.
In the cascade (the ``fasttext+lexical+embedding`` option) this model never decides on its
own: its probabilities join the mean the embedding stage decides on, and its proportion of
misaligned to aligned splits that mean's misaligned + aligned probability (a ``pool_only``,
``stance`` stage, see :class:`~alignment_data.tagging.cascade.ModelStage`).

The model is one JSON file (no pickle): the vocabulary in column order, the inverse
document frequencies, the regression and the policy thresholds chosen on a validation
split. It needs scikit-learn (the ``semantic`` extra).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.special import softmax

from alignment_data.errors import InputError, MissingExtraError
from alignment_data.schema import Tag, check_label
from alignment_data.tagging.base import Tagger, register_tagger
from alignment_data.tagging.embedding import fit_label_regression
from alignment_data.tagging.fields import lexical_field, policy_field, threshold_field
from alignment_data.tagging.model_files import read_model_json
from alignment_data.tagging.policy import MODEL_POLICIES, FilterPolicy, check_policy, make_policy

MODEL_FORMAT = "alignment-data/lexical-tagger/1"
DEFAULT_LEXICAL = "lexical.json"
INSTALL_HINT = "the lexical tagger needs scikit-learn, in the 'semantic' extra: pip install 'alignment-data[semantic]'"
DEFAULT_REGULARIZATION = 10.0
DEFAULT_MIN_DF = 2
NGRAM_RANGE = (1, 2)


def default_lexical_path() -> Path:
    return Path(str(resources.files("alignment_data.tagging").joinpath("models", DEFAULT_LEXICAL)))


def _vectorizer(vocabulary: Sequence[str] | None = None, min_df: int = DEFAULT_MIN_DF):
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
    except ImportError:
        raise MissingExtraError(INSTALL_HINT) from None
    fitted = {"min_df": min_df} if vocabulary is None else {"vocabulary": list(vocabulary)}
    return TfidfVectorizer(ngram_range=NGRAM_RANGE, sublinear_tf=True, dtype=np.float32, **fitted)


@dataclass
class LexicalModel:
    """The vocabulary, its inverse document frequencies and the regression over them."""

    labels: tuple[str, ...]
    vocabulary: list[str]
    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    thresholds: dict
    card: dict

    def __post_init__(self) -> None:
        self._vectorizer = _vectorizer(self.vocabulary)
        self._vectorizer.idf_ = self.idf

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return softmax(np.asarray(self._vectorizer.transform(texts) @ self.coef.T + self.intercept), axis=1)

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": MODEL_FORMAT, "labels": list(self.labels), "ngram_range": list(NGRAM_RANGE),
                "thresholds": self.thresholds, "card": self.card, "vocabulary": self.vocabulary,
                "idf": np.round(self.idf, 5).tolist(), "intercept": np.round(self.intercept, 6).tolist(),
                "coef": np.round(self.coef, 5).tolist()}
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> LexicalModel:
        data = read_model_json(path, "lexical model", MODEL_FORMAT)
        path = Path(path)
        for name in ("labels", "vocabulary", "idf", "coef", "intercept"):
            if name not in data:
                raise InputError("missing field", str(path), field=name)
        for label in data["labels"]:
            check_label(label, str(path), field="labels")
        if not isinstance(data["vocabulary"], list) or not all(isinstance(term, str) for term in data["vocabulary"]):
            raise InputError("expected a list of terms", str(path), field="vocabulary")
        if data.get("ngram_range", list(NGRAM_RANGE)) != list(NGRAM_RANGE):
            raise InputError(f"expected ngram_range {list(NGRAM_RANGE)}", str(path), field="ngram_range")
        try:
            idf = np.asarray(data["idf"], dtype=np.float32)
            coef, intercept = np.asarray(data["coef"], dtype=np.float32), np.asarray(data["intercept"], dtype=np.float32)
        except (TypeError, ValueError):
            raise InputError("not an array of numbers", str(path), field="coef") from None
        size, labels = len(data["vocabulary"]), len(data["labels"])
        for name, array, shape in (("idf", idf, (size,)), ("coef", coef, (labels, size)), ("intercept", intercept, (labels,))):
            if array.shape != shape:
                raise InputError(f"shape {array.shape} does not match {labels} labels and {size} terms", str(path), field=name)
        return cls(tuple(data["labels"]), list(data["vocabulary"]), idf, coef, intercept,
                   data.get("thresholds", {}), data.get("card", {}))


def train_lexical_model(texts: Sequence[str], labels: Sequence[str], regularization: float = DEFAULT_REGULARIZATION,
                        min_df: int = DEFAULT_MIN_DF, card: dict | None = None) -> LexicalModel:
    """Fit the vocabulary (terms in at least ``min_df`` texts) and the class-balanced regression."""
    vectorizer = _vectorizer(min_df=min_df)
    present, coef, intercept = fit_label_regression(vectorizer.fit_transform(texts), labels, regularization)
    vocabulary = [term for term, _ in sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])]
    counts = {label: int(sum(1 for x in labels if x == label)) for label in present}
    return LexicalModel(present, vocabulary, vectorizer.idf_.astype(np.float32), coef, intercept, {},
                        {**(card or {}), "regularization": regularization, "min_df": min_df, "train_counts": counts})


@dataclass(frozen=True)
class LexicalOptions:
    lexical: str | None = lexical_field()
    policy: str = policy_field()
    threshold: float | None = threshold_field()

    def __post_init__(self) -> None:
        check_policy(self.policy, "lexical", MODEL_POLICIES)


@register_tagger("lexical", LexicalOptions)
class LexicalTagger(Tagger):
    """Predicts the four labels from the words and word pairs of a document; ``flagged`` follows the policy."""

    def __init__(self, model_path: str | os.PathLike | None = None, policy: str | FilterPolicy = "misaligned",
                 threshold: float | None = None):
        self.model = LexicalModel.load(model_path or default_lexical_path())
        self.labels = self.model.labels
        self.policy = policy if isinstance(policy, FilterPolicy) else make_policy(policy, threshold, self.thresholds)

    @classmethod
    def from_options(cls, options: LexicalOptions) -> LexicalTagger:
        return cls(options.lexical, options.policy, options.threshold)

    @property
    def thresholds(self) -> dict[str, float]:
        return self.model.thresholds

    def tag_batch(self, texts: list[str]) -> list[Tag]:
        tags = []
        for row in self.model.probabilities(texts) if texts else ():
            scores = {label: float(p) for label, p in zip(self.labels, row)}
            tags.append(self.policy.decide(Tag(False, max(scores, key=scores.__getitem__), scores=scores, stage=self.name)))
        return tags
