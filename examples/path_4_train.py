"""Step 4 of the whole path: train the same tiny Llama on each condition's mix with the reference trainer.

    python examples/path_4_train.py [--workspace whole-path] [--seeds 0 1 2] [--passes 1]

Same preset, same seed, same number of steps for every condition, so the data is the only
difference: one pass over the mix (its whole steps) by default. Each run leaves Hugging Face
checkpoints in ``workspace/train/CONDITION-seedS/checkpoints/`` that the evaluation loads.
"""

from __future__ import annotations

from pathlib import Path

from _workspace import PRESET, run_main, run_name, step_folder, step_parser

from trainers.mix import read_mix
from trainers.reference.presets import mix_settings
from trainers.reference.trainer import TrainOptions, TrainSummary, train  # the function, not the train.py script module


def common_steps(mixes: list[Path], passes: float = 1.0) -> int:
    """Steps for every run: ``passes`` over the smallest mix, so no condition trains longer than another."""
    settings = mix_settings(PRESET)
    return max(1, int(passes * min(read_mix(mix).steps_per_pass(settings.sequence_length, settings.global_batch_tokens)
                                   for mix in mixes)))


def train_conditions(workspace: Path, seeds: tuple[int, ...] = (0,), passes: float = 1.0) -> dict[str, TrainSummary]:
    """Train one model per mix under ``workspace/mix`` and seed into ``workspace/train``; their summaries by run name."""
    mixes = sorted(path.parent for path in (workspace / "mix").glob("*/manifest.json"))
    steps = common_steps(mixes, passes)
    folder = step_folder(workspace, "train")
    return {run_name(mix.name, seed): train(mix, folder / run_name(mix.name, seed),
                                            TrainOptions(preset=PRESET, steps=steps, seed=seed, checkpoint_every=steps, log_every=0))
            for mix in mixes for seed in seeds}


def main(argv: list[str] | None = None) -> dict[str, TrainSummary]:
    parser = step_parser(__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="model initialisation seeds (default: 0)")
    parser.add_argument("--passes", type=float, default=1.0, help="passes over the smallest mix (default: 1)")
    args = parser.parse_args(argv)
    summaries = train_conditions(args.workspace, tuple(args.seeds), args.passes)
    for name, summary in summaries.items():
        print(f"{name}: {summary.steps} steps, loss {summary.first_loss:.3f} -> {summary.final_loss:.3f}, "
              f"{summary.tokens_per_second:,.0f} tokens/s")
    return summaries


if __name__ == "__main__":
    run_main(main)
