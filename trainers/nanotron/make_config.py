"""Write a nanotron config for a preset, a GPU count and a mix, and print what the run will do as one JSON object.

    python trainers/nanotron/make_config.py --preset 6.9b-pretrain --gpus 64 --output cfg.yaml [--data MIX_DIR]

The JSON holds at least ``parameters``, ``train_steps``, ``tokens`` and ``flops_per_token``
(nanotron's convention), the batch split, the schedule, the stages and the launch commands.
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
from trainers.nanotron.build import ConfigOptions, build_config, write_config  # noqa: E402

HERE = Path(__file__).resolve().parent


def launch_commands(config_path: Path, gpus: int) -> dict[str, str]:
    """How to start the run: torchrun on one node, or the Slurm script for several."""
    per_node = min(gpus, 8)
    return {"one_node": f"bash {HERE / 'train_one_node.sh'} {config_path} {per_node}",
            "slurm": f"sbatch --nodes={max(1, gpus // 8)} {HERE / 'train.slurm'} {config_path}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser, ConfigOptions)
    parser.add_argument("--output", required=True, help="YAML file to write")
    args = parser.parse_args(argv)
    try:
        options = ConfigOptions(**given(args, ConfigOptions))
        config, report = build_config(options)
        path = write_config(config, args.output).resolve()
    except AlignmentDataError as error:
        print(f"make_config: error: {error}", file=sys.stderr)
        return 2
    over = [stage["name"] for stage in report["stages"] if (stage.get("epochs") or 0) > 1]
    if over:
        print(f"make_config: note: stages {', '.join(over)} hold fewer windows than their steps read: nanotron's reader "
              "loops over them (see 'epochs')", file=sys.stderr)
    print(json.dumps({"config": str(path), **report, "launch": launch_commands(path, options.gpus)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
