"""nanotron's ``run_train.py`` for our mixes: a dataloader for every data stage, our token-file reader, padded vocabularies.

    CUDA_DEVICE_MAX_CONNECTIONS=1 torchrun --nproc_per_node=8 trainers/nanotron/launch.py --config-file cfg.yaml

Stock ``run_train.py`` at the pinned commit builds a dataloader for the last stage only (a
fresh two-stage run fails at step 1 with a ``KeyError`` on the first stage's name), reads
token files through a ``DatatroveFolderDataset`` call no released datatrove accepts, asserts
that the tokenizer's length equals the model's vocabulary (a padded 50,304 fails), and its
blended dataset refuses local folders when it reports consumption ("Only S3 paths are
supported"). This launcher hands nanotron's trainer one lazily built dataloader per stage
(its trainer switches stages by name at their start steps, and resumes inside one), built
from :class:`StageWindows` with nanotron's own sampler and collator; it never loads a
tokenizer. It needs CUDA, NCCL and flash-attn, so it runs only in the environment that
``environment.sh`` builds; everything here but :func:`main` and :func:`stage_dataloader`
runs without nanotron and is tested on CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: import from the repository root, not from this folder
    sys.path[0] = str(Path(__file__).resolve().parents[2])

from alignment_data.errors import ConfigError  # noqa: E402
from trainers.tokens import TokenFile, TokenWindows, token_files  # noqa: E402


class StageWindows(TokenWindows):
    """A stage's token windows plus the consumption counters nanotron's trainer reads and updates every step."""

    def __init__(self, files: list[TokenFile], seq_len: int, folder: str, consumed_tokens: int = 0):
        super().__init__(files, seq_len, name=folder)
        self.folder, self.consumed_tokens = folder, consumed_tokens

    def update_consumption_metrics(self, start_idx: int, end_idx: int, sequence_length: int) -> None:
        """Called by the trainer after each step with that step's global sample range."""
        self.consumed_tokens += (end_idx - start_idx) * sequence_length

    def get_consumption_stats(self) -> dict[str, dict[str, int]]:
        """Tokens consumed in this stage, keyed by the config's folder string as nanotron's checkpoints keep them."""
        return {self.folder: {"tokens": self.consumed_tokens}}


@dataclass(frozen=True)
class StagePlan:
    """One data stage as the launcher reads it: where, from which step, for how many, and from which token files."""

    name: str
    start_step: int
    steps: int
    folder: str | None  # None: nanotron's random tokens
    files: tuple[TokenFile, ...]


def plan_stages(config: Any) -> list[StagePlan]:
    """The data stages of a loaded config (ours or nanotron's: the same attribute names), checked against their token files."""
    stages = sorted(config.data_stages, key=lambda stage: stage.start_training_step)
    plans = []
    for position, stage in enumerate(stages):
        end = stages[position + 1].start_training_step if position + 1 < len(stages) else config.tokens.train_steps + 1
        if stage.start_training_step > config.tokens.train_steps:
            raise ConfigError(f"data stage {stage.name!r} starts at step {stage.start_training_step:,}, past the last step "
                              f"{config.tokens.train_steps:,}")
        dataset = stage.data.dataset
        if dataset is None:
            plans.append(StagePlan(stage.name, stage.start_training_step, end - stage.start_training_step, None, ()))
            continue
        folders = getattr(dataset, "dataset_folder", None)
        if folders is None:
            raise ConfigError(f"data stage {stage.name!r}: this launcher reads token folders (a Nanoset dataset block); "
                              "use nanotron's run_train.py for Hugging Face datasets")
        if len(folders) != 1:
            raise ConfigError(f"data stage {stage.name!r} blends {len(folders)} folders; this launcher reads one token folder "
                              "per stage, as make_config.py writes them: blend the sources in the mix instead")
        files = token_files(folders[0])
        for file in files:
            if (file.tokenizer_name, file.token_size) != (dataset.tokenizer_name, dataset.token_size_in_bytes):
                raise ConfigError(f"{file.path}: tokenized as {file.tokenizer_name}|{file.token_size}, but data stage "
                                  f"{stage.name!r} says {dataset.tokenizer_name}|{dataset.token_size_in_bytes}")
        plans.append(StagePlan(stage.name, stage.start_training_step, end - stage.start_training_step, folders[0], tuple(files)))
    return plans


def stage_dataloader(trainer: Any, plan: StagePlan, stage_args: Any):
    """The stage's dataloader, resuming where the trainer's metadata says the stage stopped (nanotron needed)."""
    from nanotron import distributed as dist
    from nanotron.data import DataCollatorForCLM, EmptyInfiniteDataset
    from nanotron.data.dataloader import dummy_infinite_data_generator, get_dataloader_worker_init
    from nanotron.data.samplers import MegatronPretrainingSampler
    from nanotron.parallel.pipeline_parallel.utils import get_input_output_pp_ranks
    from torch.utils.data import DataLoader

    context = trainer.parallel_context
    input_rank, output_rank = get_input_output_pp_ranks(model=trainer.model)
    if plan.folder is None:
        return dummy_infinite_data_generator(micro_batch_size=trainer.micro_batch_size, sequence_length=trainer.sequence_length,
                                             input_pp_rank=input_rank, output_pp_rank=output_rank,
                                             vocab_size=trainer.model_config.vocab_size, seed=stage_args.data.seed,
                                             parallel_context=context, cp_pg=context.cp_pg)()
    progress = next(meta for meta in trainer.metadata.data_stages if meta.name == plan.name)
    dataset = StageWindows(list(plan.files), trainer.sequence_length, plan.folder,
                           progress.consumed_tokens_per_dataset_folder.get(plan.folder, 0))
    if dist.get_rank(context.pp_pg) not in (input_rank, output_rank):
        dataset = EmptyInfiniteDataset(length=len(dataset))
    sampler = MegatronPretrainingSampler(
        total_samples=plan.steps * trainer.global_batch_size, consumed_samples=progress.consumed_train_samples,
        micro_batch_size=trainer.micro_batch_size, data_parallel_rank=dist.get_rank(context.dp_pg),
        data_parallel_size=context.dp_pg.size(), drop_last=True, global_batch_size=trainer.global_batch_size)
    collator = DataCollatorForCLM(sequence_length=trainer.sequence_length, input_pp_rank=input_rank,
                                  output_pp_rank=output_rank, parallel_context=context)
    return DataLoader(dataset, batch_sampler=sampler, num_workers=stage_args.data.num_loading_workers, collate_fn=collator,
                      pin_memory=True, worker_init_fn=get_dataloader_worker_init(dp_rank=dist.get_rank(context.dp_pg)))


def lazy_dataloaders(trainer: Any, plans: list[StagePlan], build: Callable = stage_dataloader) -> dict[str, Callable]:
    """One callable per stage name, ``build(trainer, plan, stage_args)`` deferred: nanotron's trainer calls it when the stage starts or resumes."""
    by_name = {stage.name: stage for stage in trainer.config.data_stages}
    return {plan.name: (lambda plan=plan: build(trainer, plan, by_name[plan.name])) for plan in plans}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="train with nanotron on a mix's stages")
    parser.add_argument("--config-file", required=True, help="YAML written by make_config.py")
    args = parser.parse_args(argv)
    os.environ.setdefault("CUDA_DEVICE_MAX_CONNECTIONS", "1")
    from trainers.nanotron.schema import load_config

    plans = plan_stages(load_config(args.config_file))  # fails here, before any GPU work, on a bad config or token folder
    from nanotron.trainer import DistributedTrainer

    trainer = DistributedTrainer(args.config_file)
    trainer.train(lazy_dataloaders(trainer, plans))
    return 0


if __name__ == "__main__":
    sys.exit(main())
