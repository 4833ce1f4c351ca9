"""Helpers the trainer tests share: a tiny word-level tokenizer and mix folders of learnable token documents."""

import numpy as np

EOS = 0


def make_tokenizer(folder, vocab_size: int = 100):
    """A word-level fast tokenizer of exactly ``vocab_size`` ids (id 0 is the EOS), saved as a folder; returns the folder."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<|endoftext|>": EOS, "<unk>": 1, **{f"w{i}": i for i in range(2, vocab_size)}}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|endoftext|>", unk_token="<unk>").save_pretrained(folder)
    return folder


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
