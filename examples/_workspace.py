"""Where each step of the whole path reads and writes, under one workspace folder.

    WORKSPACE/tag/            step 1: the tag run (tagged/, summary.json)
    WORKSPACE/synthesize/     step 2: template documents for the bundled scenarios
    WORKSPACE/mix/NAME/       step 3: one token mix per condition (manifest.json, stage-*/)
    WORKSPACE/train/RUN/      step 4: a tiny model per condition and seed (checkpoints/, summary.json)
    WORKSPACE/eval/RUN/       step 5: its propensity evaluation; WORKSPACE/results.{csv,json,md}: the table
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
if str(REPOSITORY) not in sys.path:  # trainers/ lives beside the package, not inside it
    sys.path.insert(0, str(REPOSITORY))

DEFAULT_WORKSPACE = Path("whole-path")
MARKER = "whole-path.json"
PRESET = "toy"


def step_folder(workspace: Path, step: str) -> Path:
    """``workspace/step``, emptied for a fresh run of that step; the workspace must be new or the path's own."""
    from alignment_data.errors import InputError

    workspace = Path(workspace)
    if workspace.exists() and any(workspace.iterdir()) and not (workspace / MARKER).is_file():
        raise InputError("folder exists and was not made by the whole path; choose another --workspace", str(workspace))
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / MARKER).write_text('{"made_by": "examples/whole_path.py"}\n')
    shutil.rmtree(workspace / step, ignore_errors=True)
    return workspace / step


def step_parser(doc: str) -> argparse.ArgumentParser:
    """A step's command line: its docstring's first line as the description, and ``--workspace``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=DEFAULT_WORKSPACE,
                        help=f"folder of the whole path's steps (default: {DEFAULT_WORKSPACE})")
    return parser


def run_name(condition: str, seed: int) -> str:
    return f"{condition}-seed{seed}"


def run_main(main) -> None:
    """Run a script's ``main``: the library's errors (bad input, impossible settings) print as one
    line naming the file and exit 2, as the ``alignment-data`` command does; anything else is a bug."""
    from alignment_data.errors import AlignmentDataError

    try:
        main()
    except AlignmentDataError as error:
        print(f"{Path(sys.argv[0]).name}: error: {error}", file=sys.stderr)
        sys.exit(2)
