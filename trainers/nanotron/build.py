"""Build a nanotron config from a preset, a GPU count and a mix folder, as typed schema objects.

:func:`build_config` returns the :class:`~trainers.nanotron.schema.Config` (built through the
mirror, so nanotron's checks run on it) and a report of what the run will do. The data
stages come from the mix's manifest and token folders; each dataset block names the
tokenizer of the token files' metadata, the model's (padded) vocabulary and the token size,
the three fields with which nanotron accepts a padded vocabulary without loading a tokenizer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from alignment_data.errors import ConfigError, InputError
from alignment_data.options import option
from trainers.mix import MixPlan, read_mix
from trainers.nanotron import schema
from trainers.nanotron.presets import PRESETS, preset
from trainers.schedule import LRSchedule


@dataclass(frozen=True)
class ConfigOptions:
    """What ``make_config.py`` takes; ``None`` means the preset's value."""

    preset: str = option(None, "preset", choices=tuple(PRESETS))
    gpus: int = option(None, "GPUs in the run, all data-parallel: micro batch and accumulation follow so the global batch stays fixed")
    data: str | None = option(None, "mix folder written with --format tokens; without one nanotron trains on random tokens")
    checkpoints: str = option("checkpoints", "folder nanotron saves checkpoints in")
    resume_from: str | None = option(None, "pretraining checkpoints folder (with latest.txt) that a resumed preset starts from")
    train_steps: int | None = option(None, "optimizer steps instead of the preset's")
    global_batch_tokens: int | None = option(None, "tokens per optimizer step instead of the preset's 4,194,304 (smoke runs)")
    micro_batch_size: int | None = option(None, "largest micro batch per GPU instead of the preset's")
    checkpoint_interval: int | None = option(None, "steps between checkpoints instead of the preset's")
    seed: int = option(42, "seed of the model's initialisation and of the data order nanotron draws")
    run: str | None = option(None, "run name (default: PRESET-CONDITION)")


@dataclass(frozen=True)
class BatchLayout:
    """How a global batch of sequences is split: per GPU, micro batch x accumulation."""

    sequences: int
    data_parallel: int
    micro_batch_size: int
    accumulation: int


def batch_layout(global_batch_tokens: int, sequence_length: int, gpus: int, largest_micro_batch: int) -> BatchLayout:
    """The split that keeps ``global_batch_tokens`` on ``gpus`` data-parallel GPUs, or a ``ConfigError`` saying why none does."""
    if gpus is None or gpus < 1:
        raise ConfigError(f"--gpus must be a positive number of GPUs, got {gpus}")
    if global_batch_tokens % sequence_length:
        raise ConfigError(f"a global batch of {global_batch_tokens:,} tokens is not a whole number of {sequence_length:,}-token sequences")
    sequences = global_batch_tokens // sequence_length
    if sequences % gpus:
        fits = [count for count in range(1, sequences + 1) if sequences % count == 0]
        below = max(count for count in fits if count < gpus) if gpus > 1 else None
        above = min((count for count in fits if count > gpus), default=None)
        hint = " or ".join(f"{count:,}" for count in (below, above) if count)
        raise ConfigError(f"{gpus:,} GPUs cannot reach the global batch of {global_batch_tokens:,} tokens: its {sequences:,} "
                          f"sequence{'s' * (sequences != 1)} of {sequence_length:,} do not split evenly over {gpus:,} GPUs "
                          f"(use {hint} GPU{'s' * (hint != '1')})")
    per_gpu = sequences // gpus
    micro = max(size for size in range(1, min(largest_micro_batch, per_gpu) + 1) if per_gpu % size == 0)
    return BatchLayout(sequences, gpus, micro, per_gpu // micro)


def _stage_report(plan: MixPlan, starts: list[int], train_steps: int, layout: BatchLayout, sequence_length: int) -> list[dict]:
    out = []
    for position, (stage, start) in enumerate(zip(plan.stages, starts)):
        steps = (starts[position + 1] if position + 1 < len(starts) else train_steps + 1) - start
        windows = sum(file.windows(sequence_length) for file in stage.files)
        needed = steps * layout.sequences
        out.append({"name": stage.name, "folder": str(stage.folder), "start_step": start, "steps": steps, "tokens": stage.tokens,
                    "windows": windows, "epochs": round(needed / windows, 4) if windows else None})
    return out


def _data_stages(plan: MixPlan | None, starts: list[int], vocab_size: int, seed: int) -> list[schema.DatasetStageArgs]:
    """One nanotron data stage per mix stage; without a mix, one stage of nanotron's random tokens."""
    if plan is None:
        return [schema.DatasetStageArgs("random-tokens", 1, schema.DataArgs(dataset=None, seed=seed, num_loading_workers=1))]
    return [schema.DatasetStageArgs(stage.name, start, schema.DataArgs(
        dataset=schema.NanosetDatasetsArgs(dataset_folder=str(stage.folder.resolve()), tokenizer_name=plan.tokenizer_name,
                                           vocab_size=vocab_size, token_size_in_bytes=plan.token_size),
        seed=seed, num_loading_workers=1)) for stage, start in zip(plan.stages, starts)]


def build_config(options: ConfigOptions) -> tuple[schema.Config, dict[str, Any]]:
    """The nanotron config for ``options`` and a report (parameters, steps, tokens, FLOPs, batch, stages)."""
    if options.preset is None:
        raise ConfigError(f"--preset is required; one of {', '.join(PRESETS)}")
    chosen = preset(options.preset)
    steps = options.train_steps or chosen.train_steps
    batch_tokens = options.global_batch_tokens or chosen.global_batch_tokens
    layout = batch_layout(batch_tokens, chosen.sequence_length, options.gpus, options.micro_batch_size or chosen.micro_batch_size)
    shape = chosen.shape
    plan = read_mix(options.data) if options.data else None
    if plan is not None and plan.tokenizer.vocab_size > shape.vocab_size:
        raise InputError(f"the mix's tokenizer has {plan.tokenizer.vocab_size:,} ids, more than the model's vocabulary of "
                         f"{shape.vocab_size:,}: its token files do not fit this model", file=str(plan.folder))
    if chosen.staged and (plan is None or len(plan.stages) < 2):
        raise ConfigError(f"{chosen.name} trains on the stages of a staged mix: give --data with a mix of two or more stages "
                          f"(a uniform mix is one stage: use {chosen.name.replace('late-stage', 'midtrain')})")
    if chosen.resumed and not options.resume_from:
        raise ConfigError(f"{chosen.name} is a new launch from a pretraining checkpoint: give --resume-from PRETRAINING_CHECKPOINTS")
    starts = plan.start_steps(chosen.sequence_length, batch_tokens, steps) if plan else [1]
    lr = LRSchedule.for_run(chosen.learning_rate, chosen.min_lr, steps, chosen.warmup_fraction)
    config = schema.Config(
        general=schema.GeneralArgs(project="alignment-data", run=options.run or f"{chosen.name}-{plan.condition if plan else 'random-tokens'}",
                                   seed=options.seed, ignore_sanity_checks=True),
        parallelism=schema.ParallelismArgs(dp=layout.data_parallel, pp=1, tp=1, pp_engine=schema.PipelineEngine.ONE_F_ONE_B,
                                           tp_mode=schema.TensorParallelLinearMode.ALL_REDUCE, tp_linear_async_communication=False,
                                           recompute_layer=chosen.recompute_layer),
        model=schema.ModelArgs(
            model_config=schema.LlamaConfig(hidden_size=shape.hidden_size, num_hidden_layers=shape.num_layers,
                                            num_attention_heads=shape.num_heads, num_key_value_heads=shape.num_kv_heads,
                                            intermediate_size=shape.intermediate_size, vocab_size=shape.vocab_size,
                                            tie_word_embeddings=shape.tie_embeddings, max_position_embeddings=chosen.sequence_length,
                                            rope_theta=chosen.rope_theta, rope_interleaved=False, rms_norm_eps=1e-5),
            init_method=schema.RandomInit(std=0.02), dtype=schema.TorchDtype("bfloat16"), make_vocab_size_divisible_by=1),
        tokenizer=schema.TokenizerArgs(tokenizer_name_or_path=plan.tokenizer_name) if plan else None,
        checkpoints=schema.CheckpointsArgs(
            checkpoints_path=Path(options.checkpoints), checkpoint_interval=options.checkpoint_interval or chosen.checkpoint_interval,
            save_initial_state=False, save_final_state=True,
            resume_checkpoint_path=schema.XPath(options.resume_from) if options.resume_from else None,
            # A resumed preset keeps the weights only: nanotron loads its step counter with the LR scheduler, and its LR
            # lambdas take each loaded optimizer group's learning rate as their base, so both start fresh.
            load_lr_scheduler=not chosen.resumed, load_optimizer=not chosen.resumed),
        logging=schema.LoggingArgs(log_level="info", log_level_replica="info", iteration_step_info_interval=1),
        tokens=schema.TokensArgs(sequence_length=chosen.sequence_length, train_steps=steps, micro_batch_size=layout.micro_batch_size,
                                 batch_accumulation_per_replica=layout.accumulation),
        optimizer=schema.OptimizerArgs(
            optimizer_factory=schema.AdamWOptimizerArgs(adam_eps=1e-8, adam_beta1=0.9, adam_beta2=0.95, torch_adam_is_fused=True),
            zero_stage=chosen.zero_stage, weight_decay=chosen.weight_decay, clip_grad=1.0, accumulate_grad_in_fp32=True,
            learning_rate_scheduler=schema.LRSchedulerArgs(
                learning_rate=lr.learning_rate, lr_warmup_steps=lr.warmup_steps, lr_warmup_style="linear", lr_decay_style="cosine",
                lr_decay_steps=lr.decay_steps, min_decay_lr=lr.min_lr)),
        data_stages=_data_stages(plan, starts, shape.vocab_size, options.seed),
        lighteval=None,
    )
    tokens = steps * layout.sequences * chosen.sequence_length
    flops_per_token = shape.flops_per_token(chosen.sequence_length)
    report = {
        "preset": chosen.name,
        "parameters": shape.parameters(),
        "train_steps": steps,
        "tokens": tokens,
        "flops_per_token": flops_per_token,
        "flops_formula": "nanotron get_flops: 3 x forward matmuls, full S^2 attention, lm_head counted, embedding not",
        "total_flops": flops_per_token * tokens,
        "sequence_length": chosen.sequence_length,
        "global_batch_tokens": batch_tokens,
        "gpus": options.gpus,
        **{key: value for key, value in dataclasses.asdict(layout).items() if key != "sequences"},
        "global_batch_sequences": layout.sequences,
        "learning_rate": dataclasses.asdict(lr),
        "resume_from": options.resume_from,
        "condition": plan.condition if plan else None,
        "stages": _stage_report(plan, starts, steps, layout, chosen.sequence_length) if plan else
        [{"name": "random-tokens", "start_step": 1, "steps": steps}],
    }
    return config, report


def write_config(config: schema.Config, path: str | Path) -> Path:
    """Write ``config`` as nanotron YAML after reloading that YAML through the strict mirror, as nanotron's ``save_as_yaml`` does."""
    text = schema.config_to_yaml(config)
    reloaded = schema.config_from_dict(yaml.safe_load(text))
    if schema.config_to_yaml(reloaded) != text:
        raise ConfigError("the config does not read back as written; this is a bug in the config builder")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
