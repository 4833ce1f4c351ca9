"""Helpers the trainer tests share: a word-level tokenizer and mix folders of learnable token documents."""

import numpy as np

from trainers.random_mix import EOS_ID as EOS
from trainers.random_mix import word_level_tokenizer as make_tokenizer  # noqa: F401 (the tests' tokenizer)


def counting_documents(count: int, low: int, high: int, seed: int, length: tuple[int, int] = (8, 40)) -> list[list[int]]:
    """Documents that count upwards through ids ``low..high-1`` (wrapping), each ending with the EOS: easy to learn."""
    rng = np.random.default_rng(seed)
    span = high - low
    documents = []
    for _ in range(count):
        start, size = int(rng.integers(span)), int(rng.integers(*length))
        documents.append([low + (start + offset) % span for offset in range(size)] + [EOS])
    return documents


def make_mix(folder, tokenizer_dir, stages: dict[str, tuple[int, int, int]], vocab_size: int = 100, **batch):
    """A mix folder whose stage ``name`` holds ``count`` counting documents over ids ``low..high-1``; returns its MixPlan."""
    from trainers.mix import write_mix

    documents = {name: counting_documents(count, low, high, seed=position)
                 for position, (name, (count, low, high)) in enumerate(stages.items())}
    return write_mix(folder, documents, tokenizer_dir, vocab_size, condition="test", **batch)
