"""Checkpoint curves: one evaluation over a list or folder of checkpoints, into one table and one plot."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alignment_data.errors import InputError

COLUMNS = ["checkpoint", "step", "split", "rate", "sem", "n_questions", "n_formats"]


def step_of(path: Path) -> int | None:
    """The training step in a checkpoint's name (the last number: ``checkpoint-2000``, ``step_4000``)."""
    numbers = re.findall(r"\d+", path.name)
    return int(numbers[-1]) if numbers else None


def find_checkpoints(source: str | Path | Sequence[str | Path]) -> list[Path]:
    """Checkpoint folders: a list as given, a model folder itself, or the model folders inside a folder by step."""
    if not isinstance(source, (str, Path)):
        return [Path(item) for item in source]
    folder = Path(source)
    if (folder / "config.json").is_file():
        return [folder]
    if not folder.is_dir():
        raise InputError("no such checkpoint folder", str(folder))
    found = [child for child in folder.iterdir() if (child / "config.json").is_file()]
    if not found:
        raise InputError("no checkpoints (folders with a config.json) inside this folder", str(folder))
    return sorted(found, key=lambda path: (step_of(path) is None, step_of(path) or 0, path.name))


@dataclass
class CheckpointCurve:
    """The rate per checkpoint and split (``table``) and each checkpoint's full result."""

    table: pd.DataFrame
    results: list = field(default_factory=list)

    def save(self, folder: str | Path) -> list[Path]:
        """curve.csv, curve.md (the study's table shape, one row per checkpoint), curve.png, and each
        checkpoint's report in a subfolder."""
        from alignment_data.eval.reports import markdown_table
        from alignment_data.outputs import claim_output_folder

        folder = claim_output_folder(folder, "eval")
        written = [folder / "curve.csv", folder / "curve.md", folder / "curve.png"]
        self.table.to_csv(written[0], index=False)
        rows = [(Path(result.summary["model"]).name, result.summary["by_split"]) for result in self.results]
        written[1].write_text(markdown_table(rows, first="checkpoint"))
        self.plot(written[2])
        for index, result in enumerate(self.results):
            written.extend(result.save(folder / "checkpoints" / f"{index:03d}-{Path(result.summary['model']).name}"))
        return written

    def plot(self, path: Path) -> Path:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axis = plt.subplots(figsize=(6, 3.6))
        table = self.table.assign(x=self.table["step"].where(self.table["step"].notna(), self.table.index))
        for split, rows in table.groupby("split", sort=True):
            axis.errorbar(rows["x"], rows["rate"], yerr=rows["sem"].fillna(0), marker="o", capsize=3, label=split or "all")
        axis.set_xlabel("training step" if self.table["step"].notna().all() else "checkpoint")
        axis.set_ylabel("misalignment rate")
        axis.set_ylim(0, 1)
        axis.legend()
        figure.tight_layout()
        figure.savefig(path, dpi=120)
        plt.close(figure)
        return path


def evaluate_checkpoints(evaluation, checkpoints, backend: str = "hf", backend_options=None) -> CheckpointCurve:
    """Run ``evaluation`` (a :class:`~alignment_data.eval.PropensityEval`) on each checkpoint in order."""
    rows, results = [], []
    for path in find_checkpoints(checkpoints):
        result = evaluation.run(path, backend, backend_options)
        results.append(result)
        splits = {"": {"rate": result.misalignment_rate, "sem": result.sem, "n_questions": result.summary["n_questions"],
                       "n_formats": result.summary["n_formats"]}, **result.by_split}
        for split, values in splits.items():
            rows.append({"checkpoint": str(path), "step": step_of(path), "split": split or "all", **values})
    return CheckpointCurve(pd.DataFrame(rows, columns=COLUMNS), results)
