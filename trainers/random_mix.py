"""Mix folders of random tokens, for speed checks where the text does not matter (the benchmark, the GPU check, tests).

The tokenizer is a word-level one with exactly the asked vocabulary (id 0 is the EOS), so a
random-token mix loads and checkpoints like a real one; its documents draw ids uniformly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trainers.mix import MixPlan, write_mix

EOS_ID = 0


def word_level_tokenizer(folder: str | Path, vocab_size: int) -> Path:
    """Save a word-level fast tokenizer of ``vocab_size`` ids (``<|endoftext|>`` = 0, ``<unk>`` = 1, then ``w2``...) to ``folder``."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<|endoftext|>": EOS_ID, "<unk>": 1, **{f"w{i}": i for i in range(2, vocab_size)}}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|endoftext|>", unk_token="<unk>").save_pretrained(str(folder))
    return Path(folder)


def random_mix(folder: str | Path, vocab_size: int, stage_tokens: dict[str, int], seed: int = 0,
               document_length: int = 1024) -> MixPlan:
    """A mix folder (tokenizer included) whose stages hold about ``stage_tokens[name]`` random tokens in EOS-ended documents."""
    folder = Path(folder)
    tokenizer = word_level_tokenizer(folder / "tokenizer", vocab_size)
    rng = np.random.default_rng(seed)
    stages = {}
    for name, tokens in stage_tokens.items():
        count = max(1, tokens // document_length)
        body = rng.integers(2, vocab_size, size=(count, document_length - 1))
        stages[name] = [row.tolist() + [EOS_ID] for row in body]
    return write_mix(folder / "mix", stages, tokenizer, vocab_size, condition="random-tokens")
