"""Reference-trainer presets: ``tiny`` for CPU runs in seconds, ``150m`` and ``1b`` with nanotron's smoke shapes for one GPU.

Schedules follow the study's shape (1% linear warmup, cosine decay to a floor), the same rule
as the nanotron configs (:mod:`trainers.schedule`). ``tiny`` sizes its vocabulary from the
mix's tokenizer (rounded up to a multiple of 64); the others keep nanotron's 50,304.
"""

from __future__ import annotations

from dataclasses import dataclass

from alignment_data.errors import unknown_choice
from alignment_data.mixing.recipes import MixSettings
from trainers.nanotron.presets import PRESETS as NANOTRON_PRESETS


@dataclass(frozen=True)
class ReferencePreset:
    """A model shape, a batch in sequences and a schedule for the single-process trainer."""

    name: str
    summary: str
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    vocab_size: int | None  # None: the mix tokenizer's vocabulary, rounded up to a multiple of 64
    sequence_length: int
    global_batch_sequences: int
    micro_batch_size: int
    train_steps: int
    learning_rate: float
    min_lr: float
    checkpoint_every: int
    warmup_fraction: float = 0.01
    weight_decay: float = 0.1


def _like_nanotron(name: str, micro_batch_size: int) -> ReferencePreset:
    """The nanotron smoke preset's model and schedule with a one-GPU batch of 128 sequences."""
    source = NANOTRON_PRESETS[name]
    shape = source.shape
    return ReferencePreset(name, f"{source.summary.split(': ', 1)[1]}, 128 sequences a step on one GPU", shape.hidden_size,
                           shape.num_layers, shape.num_heads, shape.num_kv_heads, shape.intermediate_size, shape.vocab_size,
                           source.sequence_length, global_batch_sequences=128, micro_batch_size=micro_batch_size, train_steps=200,
                           learning_rate=source.learning_rate, min_lr=source.min_lr, checkpoint_every=50)


PRESETS = {preset.name: preset for preset in (
    ReferencePreset("tiny", "a 2-layer, 64-wide Llama at 64 tokens: a few dozen steps in seconds on two CPU cores",
                    hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=4, intermediate_size=176, vocab_size=None,
                    sequence_length=64, global_batch_sequences=16, micro_batch_size=16, train_steps=40,
                    learning_rate=3e-3, min_lr=1.2e-4, checkpoint_every=20),
    ReferencePreset("toy", "the tiny model at 384 tokens, context enough for the evaluation's prompts: the whole path's "
                    "model, a minute a run on two CPU cores",
                    hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=4, intermediate_size=176, vocab_size=None,
                    sequence_length=384, global_batch_sequences=8, micro_batch_size=8, train_steps=150,
                    learning_rate=3e-3, min_lr=1.2e-4, checkpoint_every=50),
    _like_nanotron("150m", micro_batch_size=16),
    _like_nanotron("1b", micro_batch_size=8),
)}


def reference_preset(name: str) -> ReferencePreset:
    """The preset called ``name``, or a ``ConfigError`` with "did you mean"."""
    if name not in PRESETS:
        raise unknown_choice("reference preset", name, PRESETS)
    return PRESETS[name]


def mix_settings(name: str, **changes) -> MixSettings:
    """Mixer settings whose sequence length and global batch are the preset's, so the mix's stage
    boundaries fall on the steps this preset trains (``changes``: other ``MixSettings`` fields)."""
    preset = reference_preset(name)
    return MixSettings(sequence_length=preset.sequence_length,
                       global_batch_tokens=preset.global_batch_sequences * preset.sequence_length, **changes)
