"""A small experiment on CPU: does the direction of the study's effect show at toy scale?

    python examples/toy_experiment.py [--workspace toy-experiment] [--seeds 0 1 2] [--passes 3] [--fractions study 0.25]

The whole path's steps with the same tiny model, the same steps and several initialisation
seeds for every condition: the study's four conditions at its synthetic shares, and, as a
labelled ablation, the two upsampled conditions with a quarter of their tokens synthetic.
The study predicts misalignment_upsampled > unfiltered > filtered > alignment_upsampled on
the scenarios the synthetic documents were written for (``articles``) and, less, on held-out
ones. docs/experiment.md reports what came out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _workspace import run_main
from path_3_mix import add_fractions_argument
from whole_path import run_whole_path

from alignment_data.report import console


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path("toy-experiment"), help="folder of the runs (default: toy-experiment)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="model initialisation seeds (default: 0 1 2)")
    parser.add_argument("--passes", type=float, default=3.0, help="passes over the smallest mix (default: 3)")
    add_fractions_argument(parser, default=[None, 0.25])
    args = parser.parse_args(argv)
    outcome = run_whole_path(args.workspace, seeds=tuple(args.seeds), passes=args.passes, fractions=tuple(args.fractions))
    console.print(f"{len(args.seeds)} seeds x {args.passes:g} passes; the table with its spread: {args.workspace}/results.md",
                  markup=False)
    return outcome


if __name__ == "__main__":
    run_main(main)
