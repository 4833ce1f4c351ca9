"""Evaluation reports: summary.json, CSV tables, a markdown table like the study's, PNG bar charts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from alignment_data.eval import metrics
from alignment_data.outputs import claim_output_folder


@dataclass
class EvalResult:
    """Per-item records (one row per item and format) and the summary computed from them."""

    records: pd.DataFrame
    summary: dict[str, Any]


def cell(rate: float | None, sem: float | None) -> str:
    """``0.412 ± 0.010``, as the study's tables write a rate and its standard error."""
    if rate is None:
        return "-"
    return f"{rate:.3f} ± {sem:.3f}" if sem is not None else f"{rate:.3f}"


def markdown_table(rows: list[tuple[str, dict[str, dict]]], splits: list[str] | None = None, first: str = "model") -> str:
    """Rows of ``(label, by_split)`` as a markdown table: one column per split, ``rate ± SE`` cells."""
    splits = splits or sorted({split for _, by_split in rows for split in by_split})
    lines = [f"| {first} | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
    for label, by_split in rows:
        lines.append(f"| {label} | " + " | ".join(cell(by_split.get(s, {}).get("rate"), by_split.get(s, {}).get("sem"))
                                                 for s in splits) + " |")
    return "\n".join(lines) + "\n"


def group_table(summary: dict) -> pd.DataFrame:
    """Split, topic and category breakdowns as one long table."""
    rows = [{"group_by": key.removeprefix("by_"), "group": name, **values}
            for key in ("by_split", "by_topic", "by_category") for name, values in summary[key].items()]
    return pd.DataFrame(rows, columns=["group_by", "group", "rate", "sem", "n_questions", "n_formats"])


def bar_chart(labels: list[str], rates: list[float | None], errors: list[float | None], title: str, path: Path,
              ylabel: str = "misalignment rate") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(max(4.0, 0.7 * len(labels) + 2), 3.6))
    values = [rate if rate is not None else 0.0 for rate in rates]
    axis.bar(range(len(labels)), values, yerr=[e or 0.0 for e in errors], capsize=4, color="#4C72B0")
    axis.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
    axis.set_ylim(0, 1)
    axis.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def write_report(result, folder: str | Path) -> list[Path]:
    """All report files of one evaluation in ``folder`` (claimed for the ``eval`` command)."""
    folder = claim_output_folder(folder, "eval")
    summary, records = result.summary, result.records
    kept = summary["kept_formats"]
    written = [folder / "summary.json"]
    written[0].write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")
    csv = records.assign(topics=records["topics"].map("|".join))
    for name, table in (("records.csv", csv), ("per_question.csv", metrics.per_question(records, kept)),
                        ("per_format.csv", pd.DataFrame(summary["per_format"])), ("groups.csv", group_table(summary))):
        table.to_csv(folder / name, index=False)
        written.append(folder / name)
    (folder / "table.md").write_text(markdown_table([(summary["model"], summary["by_split"])]))
    written.append(folder / "table.md")
    splits = summary["by_split"]
    if splits:
        written.append(bar_chart(list(splits), [v["rate"] for v in splits.values()], [v["sem"] for v in splits.values()],
                                 "by split (mean ± SE across formats)", folder / "by_split.png"))
    per_format = summary["per_format"]
    written.append(bar_chart([row["format"] for row in per_format], [row["rate"] for row in per_format],
                             [None] * len(per_format), "by format", folder / "by_format.png"))
    return written
