"""One-screen summaries of evaluations, printed by the commands and the demo."""

from __future__ import annotations

from alignment_data.eval.reports import cell, markdown_table
from alignment_data.report import console

KEYS = ("misalignment_rate", "sem", "n_questions", "n_formats", "nonmatch_rate")


def print_propensity(summary: dict, output: str | None = None) -> None:
    counts = summary["counts"]
    console.print(f"{summary['model']} on {summary['questions']}: {summary['scoring']} scoring, "
                  f"{summary['n_formats']} formats, system prompt {summary['system_prompt']!r}", markup=False)
    console.print(markdown_table([(summary["model"], summary["by_split"])]), markup=False)
    nonmatch = "-" if summary["nonmatch_rate"] is None else f"{summary['nonmatch_rate']:.1%}"
    first = summary["position_bias"]["first_option_rate"]
    console.print(f"misalignment rate {cell(summary['misalignment_rate'], summary['sem'])} (mean ± SE across formats) on "
                  f"{summary['n_questions']} questions; non-match rate {nonmatch}; "
                  f"first option chosen {'-' if first is None else f'{first:.1%}'}", markup=False)
    if summary["dropped_formats"]:
        console.print("left out (non-match rate above "
                      f"{summary['drop_nonmatch_above']}): " + ", ".join(d["format"] for d in summary["dropped_formats"]))
    if summary.get("note"):
        console.print(summary["note"], markup=False)
    console.print(f"questions read {counts['read']} = kept {counts['kept']} + skipped {counts['skipped']}"
                  + (f" {counts['skipped_by_reason']}" if counts["skipped"] else ""), markup=False)
    if output:
        console.print(f"{summary['items_per_second']:.0f} prompts/s; summary.json, CSV, table.md and PNG in {output}/", markup=False)


def print_curve(curve, output: str) -> None:
    rows = [(result.summary["model"], result.summary["by_split"]) for result in curve.results]
    console.print(markdown_table(rows, first="checkpoint"), markup=False)
    console.print(f"curve.csv, curve.md, curve.png and one report per checkpoint in {output}/", markup=False)


def print_personality(summary: dict, output: str) -> None:
    console.print(f"high-trait rate {cell(summary['high_rate'], summary['sem'])} on {summary['n_items']} items "
                  f"({summary['kind']}, {summary['n_formats']} formats)", markup=False)
    for trait, values in summary["by_trait"].items():
        console.print(f"  {trait}: {cell(values['rate'], values['sem'])}", markup=False)
    console.print(f"summary.json, records.csv and table.md in {output}/", markup=False)
