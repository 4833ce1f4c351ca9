"""Train a Llama on a mix's token files and stages in one process; print the run's summary as JSON.

    python trainers/reference/train.py --data MIX_DIR --output RUN_DIR [--preset tiny] [--steps N] [--checkpoint-every K]

Checkpoints land in ``RUN_DIR/checkpoints/step-NNNNNN/`` (Hugging Face model + tokenizer),
the per-step log in ``RUN_DIR/log.jsonl``, the summary (tokens per second included) in
``RUN_DIR/summary.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import from the repository root, not from this folder
    sys.path[0] = str(Path(__file__).resolve().parents[2])

from alignment_data.errors import AlignmentDataError  # noqa: E402
from alignment_data.options import add_arguments, given  # noqa: E402
from trainers.reference.trainer import TrainOptions, train  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="mix folder written with --format tokens")
    parser.add_argument("--output", required=True, help="run folder: checkpoints, log.jsonl, summary.json")
    add_arguments(parser, TrainOptions)
    args = parser.parse_args(argv)
    try:
        summary = train(args.data, args.output, TrainOptions(**given(args, TrainOptions)))
    except AlignmentDataError as error:
        print(f"train: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
