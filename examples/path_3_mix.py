"""Step 3 of the whole path: the study's four data conditions from the stored tags, tokenized once.

    python examples/path_3_mix.py [--workspace whole-path] [--fractions study 0.25 ...]

``unfiltered`` (the corpus as it is), ``filtered`` (flagged documents out, their tokens refilled
from the kept ones), ``misalignment_upsampled`` (+ misaligned synthetic documents) and
``alignment_upsampled`` (filtered + aligned synthetic documents). The sequence length and
global batch are the reference trainer's preset's, so the stages fall on the steps it trains.
``--fractions`` builds the two upsampled conditions at other synthetic shares as well (the
study's: 0.8% and 1.0%); those mix folders are named ``CONDITION-shareF``.
"""

from __future__ import annotations

from pathlib import Path

from _workspace import PRESET, run_main, step_folder, step_parser

from alignment_data.mixing.conditions import STUDY_CONDITIONS, condition
from alignment_data.mixing.demo import demo_tokenizer_path
from alignment_data.mixing.mixer import DiscourseMixer
from alignment_data.pipeline.recipes import ExecutorConfig
from trainers.reference.presets import mix_settings


def share(text: str) -> float | None:
    """``study`` (the preset's share) or a share of the mix's tokens in (0, 1)."""
    return None if text == "study" else float(text)


def add_fractions_argument(parser, default: list[float | None] | None = None) -> None:
    default = default or [None]
    parser.add_argument("--fractions", type=share, nargs="+", default=default, metavar="F",
                        help="synthetic shares of the upsampled conditions: study (the study's) and/or numbers "
                             f"(default: {' '.join('study' if f is None else f'{f:g}' for f in default)})")


def mix_name(name: str, fraction: float | None) -> str:
    """The folder name of a condition's mix: the preset's name, or ``NAME-shareF`` when its synthetic share was changed."""
    return f"{name}-share{fraction:g}" if fraction is not None and condition(name).synthetic is not None else name


def mix_conditions(workspace: Path, conditions: tuple[str, ...] = STUDY_CONDITIONS, fractions: tuple[float | None, ...] = (None,),
                   seed: int = 0) -> dict[str, dict]:
    """Build each condition at each synthetic share (``None``: the study's) into ``workspace/mix/NAME`` from
    ``workspace/tag`` and ``workspace/synthesize``; their manifests by folder name."""
    folder = step_folder(workspace, "mix")
    synthetic = workspace / "synthesize" / "documents" / "documents.jsonl"
    mixer = DiscourseMixer(str(workspace / "tag"), demo_tokenizer_path(), str(synthetic), work_dir=folder / "inputs",
                           executor=ExecutorConfig(quiet=True))
    settings = mix_settings(PRESET, seed=seed, shard_tokens=1 << 20)
    manifests = {}
    for name in conditions:
        for fraction in fractions:
            folder_name = mix_name(name, fraction)
            if folder_name not in manifests:
                changes = {"fraction": fraction} if folder_name != name else {}
                manifests[folder_name] = mixer.build(name, folder / folder_name, settings, **changes)
    return manifests


def main(argv: list[str] | None = None) -> dict[str, dict]:
    parser = step_parser(__doc__)
    add_fractions_argument(parser)
    args = parser.parse_args(argv)
    manifests = mix_conditions(args.workspace, fractions=tuple(args.fractions))
    for name, manifest in manifests.items():
        print(f"{name}: {manifest['tokens']['total']:,} tokens, synthetic {manifest['synthetic_fraction']:.2%}, "
              f"{sum(stage['steps'] for stage in manifest['stages'])} steps")
    return manifests


if __name__ == "__main__":
    run_main(main)
