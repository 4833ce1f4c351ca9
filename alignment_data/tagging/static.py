"""The static-embedding stage: a cheap semantic filter before the sentence encoder.

A static embedding model (model2vec) looks every token up in a table distilled offline
from the shipped all-MiniLM-L6-v2 encoder and averages the vectors: no transformer runs,
so a document costs about as much as tokenising it. A logistic head of the same format as
the embedding head (:class:`~alignment_data.tagging.embedding.EmbeddingHead`) scores the
pooled vector. In the cascade the stage may only *clear* documents it is confident are
``not_ai`` (never flag, never clear a guarded document); everything else goes on to the
encoder, whose decision does not see this stage's scores. It needs the ``static`` extra
(``pip install 'alignment-data[static]'``: model2vec, whose runtime is numpy and tokenizers).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

from alignment_data.errors import InputError, MissingExtraError
from alignment_data.schema import Tag
from alignment_data.tagging.base import Tagger
from alignment_data.tagging.embedding import DocumentEmbedder, EmbeddingHead, head_tags
from alignment_data.tagging.policy import FilterPolicy, make_policy

STATIC_INSTALL_HINT = "the static-embedding stage needs the 'static' extra: pip install 'alignment-data[static]'"
DEFAULT_STATIC_MODEL = "static_minilm"
DEFAULT_STATIC_HEAD = "static_head.json"
STATIC_ENCODE_BATCH = 1024


def _models_path(name: str) -> Path:
    return Path(str(resources.files("alignment_data.tagging").joinpath("models", name)))


def default_static_model_path() -> Path:
    return _models_path(DEFAULT_STATIC_MODEL)


def default_static_head_path() -> Path:
    return _models_path(DEFAULT_STATIC_HEAD)


def static_extra_installed() -> bool:
    try:
        import model2vec  # noqa: F401
    except ImportError:
        return False
    return default_static_model_path().is_dir() and default_static_head_path().is_file()


class StaticEncoder:
    """A model2vec model behind the small part of the sentence-transformers interface the embedder uses."""

    def __init__(self, path: str | os.PathLike | None = None):
        try:
            from model2vec import StaticModel
        except ImportError:
            raise MissingExtraError(STATIC_INSTALL_HINT) from None
        path = Path(path) if path else default_static_model_path()
        if not path.is_dir():
            raise InputError("static embedding model folder not found", str(path))
        self.model = StaticModel.from_pretrained(str(path))
        self.dim = int(self.model.dim)

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, chunks, batch_size: int = STATIC_ENCODE_BATCH, normalize_embeddings: bool = True,
               show_progress_bar: bool = False) -> np.ndarray:
        vectors = np.asarray(self.model.encode(list(chunks), batch_size=batch_size, use_multiprocessing=False,
                                               show_progress_bar=False), dtype=np.float32)
        if normalize_embeddings:
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.where(norms > 0, norms, 1.0)
        return vectors


class StaticTagger(Tagger):
    """The four label probabilities from a static embedding and a logistic head (a cascade stage)."""

    name = "static"

    def __init__(self, head_path: str | os.PathLike | None = None, model_path: str | os.PathLike | None = None,
                 policy: str | FilterPolicy = "misaligned", encoder: StaticEncoder | None = None):
        head_path = head_path or default_static_head_path()
        self.head = EmbeddingHead.load(head_path)
        encoder = encoder if encoder is not None else StaticEncoder(model_path)
        if encoder.dim != self.head.dim:
            raise InputError(f"the static head expects {self.head.dim}-dimensional embeddings, but the static "
                             f"model gives {encoder.dim}", str(head_path), field="dim")
        self.embedder = DocumentEmbedder(encoder, self.head.chunk_words, self.head.max_chunks, STATIC_ENCODE_BATCH)
        self.labels = self.head.labels
        self.policy = policy if isinstance(policy, FilterPolicy) else make_policy(policy, thresholds=self.head.thresholds)

    @classmethod
    def from_options(cls, options) -> StaticTagger:
        return cls(getattr(options, "static_head", None), getattr(options, "static_model", None))

    @property
    def thresholds(self) -> dict[str, float]:
        return self.head.thresholds

    def stats_dict(self) -> dict[str, int]:
        return {"chunks": self.embedder.stats.chunks}

    def reset_stats(self) -> None:
        self.embedder.stats = type(self.embedder.stats)()

    def tag_batch(self, texts: list[str]) -> list[Tag]:
        return head_tags(self, texts)
