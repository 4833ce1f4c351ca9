"""nanotron presets: the study's 6.9B plan (pretraining, midtraining, late-stage insertion) and two smoke sizes.

The 6.9B model is a Llama (hidden 4096, 32 layers, 32 heads, SwiGLU 11008, vocabulary 50,304,
untied embeddings: 6,888,361,984 parameters), trained data-parallel with a global batch of
4,194,304 tokens: 500B tokens at 2,048 (119,210 steps, LR 3e-4 cosine to 1.2e-5, 1% warmup),
then 50B at 16,384 (11,921 steps, LR 2.25e-4 cosine to 0, 1% warmup) as a new launch from the
pretraining checkpoint, because nanotron cannot change the sequence length inside a run.
``6.9b-late-stage`` is that midtraining launch with the mix's stages as nanotron data stages
(the study's synthetic documents in the final 10% only). Micro batches are starting points
for 80 GB GPUs, not measured here.
"""

from __future__ import annotations

from dataclasses import dataclass

from alignment_data.errors import unknown_choice
from trainers.llama_shape import LlamaShape

STUDY_BATCH_TOKENS = 4_194_304
STUDY_VOCABULARY = 50_304


@dataclass(frozen=True)
class NanotronPreset:
    """A model, a batch, a schedule and how the launch starts."""

    name: str
    summary: str
    shape: LlamaShape
    sequence_length: int
    train_steps: int
    learning_rate: float
    min_lr: float
    micro_batch_size: int  # the largest micro batch per GPU; lowered to one that divides each GPU's share
    checkpoint_interval: int
    global_batch_tokens: int = STUDY_BATCH_TOKENS
    warmup_fraction: float = 0.01
    resumed: bool = False  # a new launch from a pretraining checkpoint with a fresh schedule and optimizer
    staged: bool = False  # needs a mix of two or more stages
    recompute_layer: bool = False
    zero_stage: int = 1
    weight_decay: float = 0.1
    rope_theta: float = 10_000.0


SHAPE_6_9B = LlamaShape(hidden_size=4096, num_layers=32, num_heads=32, num_kv_heads=32, intermediate_size=11008,
                        vocab_size=STUDY_VOCABULARY)
_MIDTRAIN = dict(shape=SHAPE_6_9B, sequence_length=16_384, train_steps=11_921, learning_rate=2.25e-4, min_lr=0.0,
                 micro_batch_size=1, checkpoint_interval=2_000, resumed=True, recompute_layer=True)

PRESETS = {preset.name: preset for preset in (
    NanotronPreset("150m", "smoke run: a 162M Llama (hidden 768, 12 layers) at 2,048",
                   LlamaShape(768, 12, 12, 12, 2048, STUDY_VOCABULARY), sequence_length=2048, train_steps=100,
                   learning_rate=6e-4, min_lr=6e-5, micro_batch_size=16, checkpoint_interval=50, zero_stage=0),
    NanotronPreset("1b", "smoke run: a 1.02B Llama (hidden 2048, 16 layers, 16 heads) at 2,048",
                   LlamaShape(2048, 16, 16, 16, 5504, STUDY_VOCABULARY), sequence_length=2048, train_steps=100,
                   learning_rate=3e-4, min_lr=3e-5, micro_batch_size=8, checkpoint_interval=50, zero_stage=0),
    NanotronPreset("6.9b-pretrain", "the study's pretraining: 500B tokens at 2,048", SHAPE_6_9B, sequence_length=2048,
                   train_steps=119_210, learning_rate=3e-4, min_lr=1.2e-5, micro_batch_size=2, checkpoint_interval=2_000),
    NanotronPreset("6.9b-midtrain", "the study's midtraining: 50B tokens at 16,384, resumed from pretraining", **_MIDTRAIN),
    NanotronPreset("6.9b-late-stage", "midtraining with the mix's stages as data stages (late-stage insertion)",
                   staged=True, **_MIDTRAIN),
)}


def preset(name: str) -> NanotronPreset:
    """The preset called ``name``, or a ``ConfigError`` with "did you mean"."""
    if name not in PRESETS:
        raise unknown_choice("nanotron preset", name, PRESETS)
    return PRESETS[name]
