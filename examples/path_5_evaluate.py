"""Step 5 of the whole path: the misalignment propensity of every trained model, as one table.

    python examples/path_5_evaluate.py [--workspace whole-path] [--scoring option]

Each run's last checkpoint answers the bundled two-choice scenarios in the 8 prompt formats;
the table gives its misalignment rate ± standard error on the ``articles`` split (the
scenarios the synthetic documents were written for) and the ``heldout`` split (none were).
Whole-option scoring (the log-probability of each option's text) suits small base models,
which do not answer with a letter. Writes ``workspace/results.{csv,json,md}``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from _workspace import run_main, step_folder, step_parser

from alignment_data.eval.backends.hf import HFOptions
from alignment_data.eval.propensity import PropensityEval
from alignment_data.eval.questions import load_questions
from alignment_data.eval.reports import markdown_table
from alignment_data.mixing.conditions import STUDY_CONDITIONS
from alignment_data.synthesis.demo import demo_scenarios_path

SPLITS = ["articles", "heldout"]
COLUMNS = ["condition", "seed", "split", "rate", "sem", "n_questions", "steps", "final_loss"]


def last_checkpoint(run: Path) -> Path:
    return run / "checkpoints" / (run / "checkpoints" / "latest.txt").read_text().strip()


def condition_order(name: str) -> tuple[int, str]:
    """Rows in the study's order of conditions, variants after their condition."""
    base = name.split("-share")[0]
    return (STUDY_CONDITIONS.index(base) if base in STUDY_CONDITIONS else len(STUDY_CONDITIONS), name)


def evaluate_runs(workspace: Path, scoring: str = "option", scenarios: str | Path | None = None) -> pd.DataFrame:
    """Evaluate every run under ``workspace/train`` into ``workspace/eval``; one row per run and split."""
    folder = step_folder(workspace, "eval")
    evaluation = PropensityEval(load_questions(scenarios or demo_scenarios_path()), scoring=scoring)
    rows = []
    for run in sorted((workspace / "train").glob("*/summary.json")):
        summary = json.loads(run.read_text())
        condition, _, seed = run.parent.name.rpartition("-seed")
        result = evaluation.run(last_checkpoint(run.parent), backend_options=HFOptions(device="cpu", dtype="float32"),
                                label=run.parent.name)
        result.save(folder / run.parent.name)
        for split, values in result.by_split.items():
            rows.append({"condition": condition, "seed": int(seed), "split": split, "rate": values["rate"], "sem": values["sem"],
                         "n_questions": values["n_questions"], "steps": summary["steps"], "final_loss": summary["final_loss"]})
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["condition", "seed", "split"], key=lambda column: column.map(condition_order)
                             if column.name == "condition" else column, ignore_index=True)


def by_condition(table: pd.DataFrame) -> pd.DataFrame:
    """Per condition and split, over seeds: the mean rate, its standard deviation across seeds, the lowest and highest."""
    grouped = table.groupby(["condition", "split"], sort=False)["rate"]
    return grouped.agg(mean="mean", seed_sd="std", low="min", high="max", seeds="count").reset_index()


def write_results(table: pd.DataFrame, workspace: Path, title: str) -> str:
    """``results.csv`` and ``results.json`` (one row per run and split) and ``results.md`` (the table, and the
    spread over seeds when there are several); the markdown."""
    table.to_csv(workspace / "results.csv", index=False)
    (workspace / "results.json").write_text(json.dumps(table.to_dict(orient="records"), indent=2) + "\n")
    rows = [(f"{condition} (seed {seed})", {row.split: {"rate": row.rate, "sem": row.sem} for row in group.itertuples()})
            for (condition, seed), group in table.groupby(["condition", "seed"], sort=False)]
    markdown = f"{title}\n\n" + markdown_table(rows, SPLITS, first="condition")
    if table["seed"].nunique() > 1:
        spread = by_condition(table)
        lines = ["| condition | " + " | ".join(SPLITS) + " |", "|---|" + "---|" * len(SPLITS)]
        for condition, group in spread.groupby("condition", sort=False):
            cells = {row.split: f"{row.mean:.3f} ± {row.seed_sd:.3f} ({row.low:.3f}-{row.high:.3f})" for row in group.itertuples()}
            lines.append(f"| {condition} | " + " | ".join(cells.get(split, "-") for split in SPLITS) + " |")
        markdown += (f"\nOver {table['seed'].nunique()} seeds: mean ± standard deviation across seeds (lowest-highest)\n\n"
                     + "\n".join(lines) + "\n")
    (workspace / "results.md").write_text(markdown)
    return markdown


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = step_parser(__doc__)
    parser.add_argument("--scoring", choices=("option", "letter"), default="option", help="how an answer is read (default: option)")
    args = parser.parse_args(argv)
    table = evaluate_runs(args.workspace, args.scoring)
    print(write_results(table, args.workspace, f"Misalignment rate ± SE ({args.scoring} scoring, 8 formats)"))
    return table


if __name__ == "__main__":
    run_main(main)
