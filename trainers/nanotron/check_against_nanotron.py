"""Check the schema mirror and the launcher's stages against nanotron's own code, on CPU.

    pip install --target DEPS --no-deps dacite einops psutil torchtyping   # what nanotron's modules import
    PYTHONPATH=DEPS python trainers/nanotron/check_against_nanotron.py --nanotron-src NANOTRON/src [--traps] [--stages] CONFIG.yaml ...

nanotron's modules import flash-attn, triton and grouped_gemm at module level, so this
script puts empty stand-ins for those GPU-only packages on the import path (nothing of
theirs runs in what is checked). For every config it loads it with nanotron's
``get_config_from_file`` and with :func:`trainers.nanotron.schema.load_config`: both must
accept, or refuse with the same exception. ``--traps`` adds the known traps, each a small
change to a config this project generates. ``--stages`` replays, step by step, nanotron's
own stage switching (``DistributedTrainer._update_dataloader_based_on_training_stages``)
over the launcher's lazy dataloaders, fresh and resumed after each stage's first step and
after the step before it, and checks that every step trains on the stage the config plans
and that a resumed stage restarts at what it had consumed; then it reads each stage's first
micro batches through the launcher's real dataloader (nanotron's sampler, collator and a
worker process, on a single-process gloo group) and compares them with the stage's windows.
Prints one JSON line per case; exits 1 on any failure. :data:`TRAPS` is also what the tests
check the mirror with.
"""

from __future__ import annotations

import argparse
import copy
import importlib.abc
import importlib.machinery
import json
import sys
import tempfile
import types
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import from the repository root, not from this folder
    sys.path[0] = str(Path(__file__).resolve().parents[2])

import yaml  # noqa: E402

GPU_ONLY_PACKAGES = ("flash_attn", "flash_attn_2_cuda", "triton", "grouped_gemm", "transformer_engine")


def _unset(key: str):
    def change(config: dict) -> None:
        del config["optimizer"]["learning_rate_scheduler"][key]
    return change


def _dict_dataset_folder(config: dict) -> None:
    dataset = config["data_stages"][0]["data"]["dataset"]
    dataset["dataset_folder"] = {folder: 1.0 for folder in dataset["dataset_folder"]}


def _unknown_model_key(config: dict) -> None:
    config["model"]["model_config"]["moe_layer_recompute"] = True


def _unknown_section_key(config: dict) -> None:
    config["parallelism"]["moe_layer_recompute"] = True


def _padded_vocabulary_without_dataset_fields(config: dict) -> None:
    dataset = config["data_stages"][0]["data"]["dataset"]
    for key in ("tokenizer_name", "vocab_size", "token_size_in_bytes"):
        dataset.pop(key)
    config["tokenizer"] = None


def _null_warmup_style(config: dict) -> None:
    config["optimizer"]["learning_rate_scheduler"]["lr_warmup_style"] = None


def _no_first_stage(config: dict) -> None:
    for stage in config["data_stages"]:
        stage["start_training_step"] += 1


def _other_tokenizer_name(config: dict) -> None:
    config["data_stages"][0]["data"]["dataset"]["tokenizer_name"] = "gpt2"
    config["tokenizer"]["tokenizer_name_or_path"] = "gpt2"


def _float_steps(config: dict) -> None:
    config["tokens"]["train_steps"] = float(config["tokens"]["train_steps"])


def _adamw_missing_field(config: dict) -> None:
    del config["optimizer"]["optimizer_factory"]["adam_eps"]


# Each trap: a name, what it does to a generated config that uses a mix, and the exception nanotron raises.
TRAPS: list[tuple[str, Callable[[dict], None], str]] = [
    ("unset lr_warmup_style", _unset("lr_warmup_style"), "ValueError"),
    ("null lr_warmup_style", _null_warmup_style, "WrongTypeError"),
    ("dict dataset_folder", _dict_dataset_folder, "UnionMatchError"),
    ("unknown key in model_config", _unknown_model_key, "TypeError"),
    ("unknown key in a section", _unknown_section_key, "UnexpectedDataError"),
    ("padded vocabulary without the three dataset fields", _padded_vocabulary_without_dataset_fields, "AssertionError"),
    ("no stage starting at step 1", _no_first_stage, "AssertionError"),
    ("AdamW block missing a field", _adamw_missing_field, "UnionMatchError"),
    ("tokenizer_name other than the token files' metadata", _other_tokenizer_name, "UnionMatchError"),
    ("train_steps as a float", _float_steps, "WrongTypeError"),
]


def apply_trap(config: dict, change: Callable[[dict], None]) -> dict:
    """A deep copy of ``config`` with ``change`` applied."""
    trapped = copy.deepcopy(config)
    change(trapped)
    return trapped


class _Anything(type):
    """A stand-in class: any attribute is another stand-in, calling one returns a decorated function unchanged."""

    def __getattr__(cls, name):
        return _Anything(name, (object,), {})

    def __call__(cls, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return _Anything("result", (object,), {})

    def __getitem__(cls, item):
        return cls


class _StandInModule(types.ModuleType):
    __path__: list[str] = []

    def __getattr__(self, name):
        if name == "__version__":
            return "2.6.3"  # nanotron compares flash-attn's version at import
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(name, (object,), {})


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in GPU_ONLY_PACKAGES:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return _StandInModule(spec.name)

    def exec_module(self, module):
        pass


def nanotron_loader(nanotron_src: str):
    """nanotron's ``get_config_from_file`` from a source checkout, with the GPU-only packages stood in for."""
    sys.path.insert(0, nanotron_src)
    sys.meta_path.insert(0, _StandInFinder())
    from nanotron.config import get_config_from_file

    return get_config_from_file


def outcome(load: Callable[[str], object], path: Path) -> str:
    """``"ok"`` or the name of the exception ``load`` raised; the mirror's errors name nanotron's exception."""
    from trainers.nanotron.strict import NanotronConfigError

    try:
        load(str(path))
    except NanotronConfigError as error:
        return error.nanotron_error
    except Exception as error:  # nanotron's loader: any exception is its verdict
        return type(error).__name__
    return "ok"


def replay_stages(config_path: Path, resume_after: int | None = None) -> dict:
    """The stage nanotron's trainer feeds each step from, given the launcher's lazy dataloaders (``--stages``)."""
    from types import SimpleNamespace

    from nanotron.config import get_config_from_file
    from nanotron.serialize.metadata import DataStageMetadata, TrainingMetadata
    from nanotron.trainer import DistributedTrainer

    from trainers.nanotron.launch import lazy_dataloaders, plan_stages
    from trainers.nanotron.schema import load_config

    config = get_config_from_file(str(config_path))
    plans = plan_stages(load_config(config_path))
    batch = config.global_batch_size
    metadata = TrainingMetadata(consumed_train_samples=0, consumed_tokens_total=0, last_train_step=0, last_stage_idx=0,
                                data_stages=[DataStageMetadata(name=stage.name, start_training_step=stage.start_training_step,
                                                               consumed_train_samples=0, sequence_length=stage.sequence_length)
                                             for stage in config.data_stages])
    started = []  # (step, stage, samples the stage had consumed when its dataloader was built)

    def build(trainer, plan, stage_args):
        progress = next(meta for meta in trainer.metadata.data_stages if meta.name == plan.name)
        started.append((trainer.iteration_step, plan.name, progress.consumed_train_samples))
        return [plan.name]

    def launch(last_step: int):
        trainer = SimpleNamespace(config=config, metadata=metadata, iteration_step=last_step, current_dataloader=None,
                                  current_base_dl=None, parallel_context=None)
        return trainer, lazy_dataloaders(trainer, plans, build)

    trainer, loaders = launch(0)
    fed, planned = [], []
    for step in range(1, config.tokens.train_steps + 1):
        if resume_after is not None and step == resume_after + 1:
            trainer, loaders = launch(resume_after)  # a new launch from the checkpoint written after resume_after
        trainer.iteration_step = step
        DistributedTrainer._update_dataloader_based_on_training_stages(trainer, loaders)
        fed.append(trainer.current_base_dl[0])
        planned.append(next(plan.name for plan in reversed(plans) if plan.start_step <= step))
        metadata.last_train_step, metadata.consumed_train_samples = step, metadata.consumed_train_samples + batch
        metadata.current_stage.consumed_train_samples += batch
    starts = {plan.name: plan.start_step for plan in plans}
    resumed_right = all(consumed == (step - starts[name]) * batch for step, name, consumed in started)
    return {"steps": len(fed), "stage_per_step_as_planned": fed == planned, "stage_starts": started,
            "resumed_where_stopped": resumed_right}


def read_stage_batches(config_path: Path) -> dict:
    """Each mix stage's first micro batches through the launcher's real dataloader (nanotron's sampler and collator, on CPU)."""
    from types import SimpleNamespace

    import numpy as np
    import torch.distributed
    from nanotron.config import get_config_from_file
    from nanotron.serialize.metadata import DataStageMetadata

    from trainers.nanotron.launch import StageWindows, plan_stages, stage_dataloader
    from trainers.nanotron.schema import load_config

    config = get_config_from_file(str(config_path))
    world = torch.distributed.group.WORLD
    metadata = SimpleNamespace(data_stages=[DataStageMetadata(name=stage.name, start_training_step=stage.start_training_step,
                                                              consumed_train_samples=0, sequence_length=stage.sequence_length)
                                            for stage in config.data_stages])
    trainer = SimpleNamespace(config=config, metadata=metadata, model=SimpleNamespace(input_pp_rank=0, output_pp_rank=0),
                              parallel_context=SimpleNamespace(pp_pg=world, dp_pg=world, cp_pg=world, context_parallel_size=1),
                              micro_batch_size=config.tokens.micro_batch_size, sequence_length=config.tokens.sequence_length,
                              global_batch_size=config.global_batch_size, model_config=config.model.model_config)
    matches = {}
    for plan, stage in zip(plan_stages(load_config(config_path)), config.data_stages):
        if plan.folder is None:
            continue
        loader = iter(stage_dataloader(trainer, plan, stage))
        windows = StageWindows(list(plan.files), trainer.sequence_length, plan.folder)
        expected = np.stack([windows.window(index) for index in range(2 * trainer.micro_batch_size)])
        got = [next(loader) for _ in range(2)]
        inputs = np.concatenate([np.asarray(batch["input_ids"]) for batch in got])
        labels = np.concatenate([np.asarray(batch["label_ids"]) for batch in got])
        matches[plan.name] = bool((inputs == expected[:, :-1]).all() and (labels == expected[:, 1:]).all())
    return matches


def _check_stages(paths: list[Path]) -> int:
    import torch.distributed

    from trainers.nanotron.launch import plan_stages
    from trainers.nanotron.schema import load_config

    if not torch.distributed.is_initialized():  # nanotron's logging asks the default process group for its rank
        torch.distributed.init_process_group("gloo", init_method="tcp://127.0.0.1:29517", rank=0, world_size=1)
    failures = 0
    for path in paths:
        starts = [plan.start_step for plan in plan_stages(load_config(path))]
        resume_points = sorted({start for start in starts} | {start - 1 for start in starts if start > 1})
        for resume_after in [None] + resume_points:
            result = replay_stages(path, resume_after)
            ok = result["stage_per_step_as_planned"] and result["resumed_where_stopped"]
            failures += not ok
            print(json.dumps({"case": f"stages: {path}", "resumed_after_step": resume_after, **result, "agree": ok}))
        batches = read_stage_batches(path)
        failures += not all(batches.values())
        print(json.dumps({"case": f"dataloaders: {path}", "first_batches_are_the_stage_windows": batches, "agree": all(batches.values())}))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nanotron-src", required=True, help="the src/ folder of a nanotron checkout at the pinned commit")
    parser.add_argument("--traps", action="store_true", help="also check each trap against the first config that uses a mix")
    parser.add_argument("--stages", action="store_true", help="replay nanotron's stage switching over the launcher's dataloaders")
    parser.add_argument("configs", nargs="*", type=Path)
    args = parser.parse_args(argv)
    from trainers.nanotron.schema import load_config

    nanotron = nanotron_loader(args.nanotron_src)
    cases = [(str(path), path, None) for path in args.configs]
    with tempfile.TemporaryDirectory() as scratch:
        if args.traps:
            base = next((path for path in args.configs if (yaml.safe_load(path.read_text())["data_stages"][0]["data"]["dataset"])), None)
            if base is None:
                parser.error("--traps needs a config whose first stage reads a mix (make_config.py --data ...)")
            for name, change, expected in TRAPS:
                trapped = Path(scratch) / f"{name.replace(' ', '_')}.yaml"
                trapped.write_text(yaml.safe_dump(apply_trap(yaml.safe_load(base.read_text()), change), sort_keys=False))
                cases.append((f"trap: {name}", trapped, expected))
        disagreements = 0
        for label, path, expected in cases:
            theirs, ours = outcome(nanotron, path), outcome(load_config, path)
            agree = theirs == ours and (expected is None or theirs == expected)
            disagreements += not agree
            print(json.dumps({"case": label, "nanotron": theirs, "mirror": ours, "expected": expected or "any", "agree": agree}))
    if args.stages:
        disagreements += _check_stages([path for path in args.configs if outcome(load_config, path) == "ok"])
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
