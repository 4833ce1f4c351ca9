"""A tiny, randomly initialised Llama and a byte-level BPE tokenizer trained in-process: built offline.

The demo, the tests and the benchmarks use it, so nothing is downloaded. Its answers are
random; it shows the evaluation working end to end, not a real model's propensity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from alignment_data.eval.backends.hf import _require_transformers

TINY_LLAMA = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 4, "max_position_embeddings": 512}


@dataclass(frozen=True)
class TinyModelConfig:
    """The tokenizer's vocabulary, the model's shape (``LlamaConfig`` arguments), the seed of the weights,
    and a chat template when the model should look like an instruct model."""

    vocab_size: int = 512
    llama: dict = field(default_factory=lambda: dict(TINY_LLAMA))
    seed: int = 0
    chat_template: str | None = None


def train_tokenizer(texts: Iterable[str], vocab_size: int):
    """A byte-level BPE tokenizer that adds ``<s>`` in front, as Llama tokenizers do."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(list(texts), trainer)
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 0)])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def build_tiny_model(folder: str | Path, texts: Iterable[str], config: TinyModelConfig = TinyModelConfig()) -> Path:
    """Train a tokenizer on ``texts``, build a random Llama, save both to ``folder``; return the folder."""
    torch, transformers = _require_transformers()
    folder = Path(folder)
    tokenizer = train_tokenizer(texts, config.vocab_size)
    if config.chat_template:
        tokenizer.chat_template = config.chat_template
    tokenizer.save_pretrained(folder)
    torch.manual_seed(config.seed)
    llama = transformers.LlamaConfig(
        vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False, **{**TINY_LLAMA, **config.llama},
    )
    model = transformers.LlamaForCausalLM(llama)
    model.save_pretrained(folder)
    return folder
