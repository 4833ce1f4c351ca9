"""The whole path in one command: corpus -> tag -> synthesize -> mix (the study's four conditions)
-> train a tiny model per condition -> evaluate -> one table.

    python examples/whole_path.py [--workspace whole-path] [--corpus FILE] [--seeds 0] [--passes 1] [--fractions study]

Each step is the example script of the same name (``path_1_tag.py`` ... ``path_5_evaluate.py``),
runnable on its own over the same workspace. On the bundled data it takes a few minutes on
two CPU cores and writes ``WORKSPACE/results.{csv,json,md}``; a toy model trained on 170,000
tokens says nothing about the study's effect: see ``examples/toy_experiment.py`` and
docs/experiment.md for what it does and does not show.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from _workspace import run_main, step_parser
from path_1_tag import tag
from path_2_synthesize import synthesize_documents
from path_3_mix import add_fractions_argument, mix_conditions
from path_4_train import train_conditions
from path_5_evaluate import evaluate_runs, write_results

from alignment_data.report import console


def run_whole_path(workspace: Path, corpus: str | Path | None = None, seeds: tuple[int, ...] = (0,), passes: float = 1.0,
                   fractions: tuple[float | None, ...] = (None,)) -> dict:
    """Run the five steps into ``workspace``; the seconds each took and the results table (as records)."""
    seconds, started = {}, time.perf_counter()

    def timed(name: str, step, *args, **kwargs):
        began = time.perf_counter()
        console.rule(name)
        out = step(*args, **kwargs)
        seconds[name] = round(time.perf_counter() - began, 1)
        return out

    tagged = timed("1. tag", tag, workspace, corpus)
    console.print(f"read {tagged['read']} = kept {tagged['kept']} + flagged {tagged['flagged']} + rejected {tagged['rejected']}")
    documents = timed("2. synthesize", synthesize_documents, workspace)
    console.print(f"{documents['documents']['written']} synthetic documents for {documents['scenarios']['used']} scenarios "
                  f"({documents['scenarios']['held_out']} held out)")
    manifests = timed("3. mix", mix_conditions, workspace, fractions=fractions)
    for name, manifest in manifests.items():
        console.print(f"{name}: {manifest['tokens']['total']:,} tokens, synthetic {manifest['synthetic_fraction']:.2%}")
    runs = timed("4. train", train_conditions, workspace, seeds, passes)
    for name, summary in runs.items():
        console.print(f"{name}: {summary.steps} steps, loss {summary.first_loss:.3f} -> {summary.final_loss:.3f}")
    table = timed("5. evaluate", evaluate_runs, workspace)
    console.print(write_results(table, workspace, "Misalignment rate ± SE (whole-option scoring, 8 formats)"), markup=False)
    seconds["total"] = round(time.perf_counter() - started, 1)
    (workspace / "timings.json").write_text(json.dumps(seconds, indent=2) + "\n")
    console.print(f"seconds by step: {seconds}; results in {workspace}/results.md, .csv, .json", markup=False)
    return {"seconds": seconds, "results": table.to_dict(orient="records")}


def main(argv: list[str] | None = None) -> dict:
    parser = step_parser(__doc__)
    parser.add_argument("--corpus", help="JSONL/JSONL.gz/Parquet corpus (default: the bundled example corpus)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="model initialisation seeds (default: 0)")
    parser.add_argument("--passes", type=float, default=1.0, help="passes over the smallest mix (default: 1)")
    add_fractions_argument(parser)
    args = parser.parse_args(argv)
    return run_whole_path(args.workspace, args.corpus, tuple(args.seeds), args.passes, tuple(args.fractions))


if __name__ == "__main__":
    run_main(main)
