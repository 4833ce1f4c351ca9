"""The fastText tagger: a four-label bag-of-words classifier, fast enough for every document.

A model is a fastText ``.bin`` file plus a model card beside it (same name, ``.json``)
holding the labels, the policy thresholds chosen on a validation split and how it was
trained. Texts go through :func:`~alignment_data.tagging.normalize.normalize` before
training and prediction.

fastText's trainer (``fasttext-numpy2-wheel`` 0.9.2) reads memory it never initialised, so
its results depend on what the process allocated before (a second training in one process
gives different weights or stops with "Encountered NaN"). Every training therefore runs in a
fresh child process with zero-filled allocations (see :func:`_run_training_process`), which
makes it deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from alignment_data.errors import InputError, TrainingError
from alignment_data.options import option
from alignment_data.schema import LABELS, Tag, check_label
from alignment_data.tagging.base import Tagger, register_tagger
from alignment_data.tagging.fields import model_field, policy_field, threshold_field
from alignment_data.tagging.normalize import normalize
from alignment_data.tagging.policy import MODEL_POLICIES, FilterPolicy, check_policy, make_policy

LABEL_PREFIX = "__label__"
CARD_FORMAT = "alignment-data/fasttext-tagger/1"
DEFAULT_MODEL = "fasttext_ai_discourse.bin"


def default_model_path() -> Path:
    """The model shipped with the package."""
    return Path(str(resources.files("alignment_data.tagging").joinpath("models", DEFAULT_MODEL)))


def card_path(model_path: str | os.PathLike) -> Path:
    return Path(model_path).with_suffix(".json")


@dataclass(frozen=True)
class FastTextParams:
    """Training settings; small ``dim`` and ``bucket`` keep the model a few MB."""

    epoch: int = option(50, "training epochs")
    lr: float = option(0.2, "learning rate")
    dim: int = option(16, "word vector size")
    word_ngrams: int = option(2, "longest word n-gram used as a feature")
    bucket: int = option(50_000, "hash buckets for n-grams (the model's size grows with dim x bucket)")
    min_count: int = option(2, "words seen fewer times are ignored")
    seed: int = option(0, "training seed")
    balance: bool = option(True, "repeat documents of smaller classes until every class matches the largest")


@dataclass(frozen=True)
class FastTextOptions:
    model: str | None = model_field()
    policy: str = policy_field()
    threshold: float | None = threshold_field()

    def __post_init__(self) -> None:
        check_policy(self.policy, "fasttext", MODEL_POLICIES)


def _run_training_process(train_file: str, model_file: str, params: dict) -> None:
    """Train in a fresh interpreter (see the module docstring); raise with fastText's message on failure."""
    code = "import json, sys; from alignment_data.tagging.fasttext import _train_in_child; _train_in_child(*json.loads(sys.argv[1]))"
    # fastText initialises one block in ten of its input matrix per training thread and leaves
    # the rest as it finds it in memory it never clears. glibc's MALLOC_PERTURB_=255 fills
    # every allocation with zeros, so those rows start at zero (as they did when fastText's
    # matrices were zero-filled std::vectors) instead of at whatever the heap held.
    env = {**os.environ, "MALLOC_PERTURB_": "255"}
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps([train_file, model_file, params])], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
        hint = " (the learning rate may be too high for this data: try a lower lr)" if "NaN" in message else ""
        raise TrainingError(f"fastText training failed: {message}{hint}")


def _train_in_child(train_file: str, model_file: str, params: dict) -> None:
    import fasttext

    model = fasttext.train_supervised(
        input=train_file,
        epoch=params["epoch"],
        lr=params["lr"],
        dim=params["dim"],
        wordNgrams=params["word_ngrams"],
        bucket=params["bucket"],
        minCount=params["min_count"],
        seed=params["seed"],
        loss="softmax",
        thread=1,
        verbose=0,
    )
    model.save_model(model_file)


@register_tagger("fasttext", FastTextOptions)
class FastTextTagger(Tagger):
    """Predicts ``not_ai`` / ``ai_neutral`` / ``ai_misaligned`` / ``ai_aligned`` with probabilities.

    ``flagged`` follows the policy (default ``misaligned``, with the threshold from the model
    card). Load the shipped model with ``FastTextTagger()``, another with
    ``FastTextTagger("model.bin")``, or train one with :meth:`train`.
    """

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        policy: str | FilterPolicy = "misaligned",
        threshold: float | None = None,
    ):
        import fasttext

        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        if not self.model_path.is_file():
            raise InputError("fastText model not found", str(self.model_path))
        self.card = read_card(self.model_path)
        try:
            self._model = fasttext.load_model(str(self.model_path))
        except ValueError as error:
            raise InputError(f"not a fastText model: {error}", str(self.model_path)) from None
        labels = [label.removeprefix(LABEL_PREFIX) for label in self._model.get_labels()]
        unknown = sorted(set(labels) - set(LABELS))
        if unknown:
            raise InputError(f"model predicts unknown labels {unknown}; expected {list(LABELS)}", str(self.model_path))
        self.labels = tuple(label for label in LABELS if label in labels)
        self.policy = policy if isinstance(policy, FilterPolicy) else make_policy(policy, threshold, self.thresholds)

    @classmethod
    def from_options(cls, options: FastTextOptions) -> FastTextTagger:
        return cls(options.model, options.policy, options.threshold)

    @property
    def thresholds(self) -> dict[str, float]:
        """Policy thresholds chosen on a validation split (from the model card)."""
        return self.card.get("thresholds", {})

    def scores(self, text: str) -> dict[str, float]:
        """Probability of each label for one document."""
        labels, probs = self._model.predict(normalize(text), k=-1)
        scores = dict.fromkeys(self.labels, 0.0)
        for label, prob in zip(labels, probs):
            scores[label[len(LABEL_PREFIX):]] = min(1.0, max(0.0, float(prob)))
        return scores

    def tag_batch(self, texts: list[str]) -> list[Tag]:
        tags = []
        for text in texts:
            scores = self.scores(text)
            tags.append(self.policy.decide(Tag(False, max(scores, key=scores.__getitem__), scores=scores, stage=self.name)))
        return tags

    @classmethod
    def train(
        cls,
        examples: Iterable[tuple[str, str]],
        output_path: str | os.PathLike,
        params: FastTextParams = FastTextParams(),
        card: dict | None = None,
    ) -> FastTextTagger:
        """Train on ``(text, label)`` pairs, save the model and its card, and load it."""
        examples = list(examples)
        if not examples:
            raise InputError("no training examples")
        for index, (text, label) in enumerate(examples, 1):
            check_label(label, "<training examples>", index)
            if not isinstance(text, str) or not text.strip():
                raise InputError("empty or non-string text", "<training examples>", index, "text")
        counts = Counter(label for _, label in examples)
        if len(counts) < 2:
            raise InputError(f"need at least two labels to train, got {dict(counts)}")
        lines = [f"{LABEL_PREFIX}{label} {normalize(text).strip()}" for text, label in examples]
        if params.balance:
            lines = _balanced(lines, [label for _, label in examples], params.seed)
        random.Random(params.seed).shuffle(lines)
        output_path = Path(output_path)
        output_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            train_file = os.path.join(tmp, "train.txt")
            Path(train_file).write_text("\n".join(lines) + "\n", encoding="utf-8")
            _run_training_process(train_file, str(output_path), asdict(params))
        write_card(
            output_path,
            {
                **(card or {}),
                "format": CARD_FORMAT,
                "labels": sorted(counts),
                "params": asdict(params),
                "train_counts": dict(sorted(counts.items())),
                "train_sha256": hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest(),
            },
        )
        return cls(output_path)


def _balanced(lines: Sequence[str], labels: Sequence[str], seed: int) -> list[str]:
    """Repeat lines of smaller classes (deterministically) until every class matches the largest."""
    by_label: dict[str, list[str]] = {}
    for line, label in zip(lines, labels):
        by_label.setdefault(label, []).append(line)
    target = max(len(group) for group in by_label.values())
    rng = random.Random(seed)
    out: list[str] = []
    for label in sorted(by_label):
        group = by_label[label]
        out.extend(group)
        out.extend(rng.choices(group, k=target - len(group)))
    return out


def read_card(model_path: str | os.PathLike) -> dict:
    path = card_path(model_path)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"model card is not valid JSON: {error.msg}", str(path), error.lineno) from None


def write_card(model_path: str | os.PathLike, card: dict) -> Path:
    path = card_path(model_path)
    path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
