"""One-screen summaries printed by the commands (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

console = Console()


def _table(title: str | None, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    return table


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def print_run_summary(summary: dict | None, output: str) -> None:
    if summary is None:
        console.print(f"Jobs submitted. {output}/summary.json is written when they finish.")
        return
    read = summary["read"]
    source = f"the tags of {summary['from_tags']}" if summary.get("from_tags") else summary.get("input", "")
    console.print(f"{summary.get('command', 'run')} of {source}", markup=False)
    skipped = summary.get("skipped_files", {})
    if skipped.get("count"):
        console.print(f"skipped {skipped['count']} files that are not JSONL or Parquet: {', '.join(skipped['examples'])}",
                      markup=False)
    if summary.get("tag_run"):
        console.print(f"the tag run read {summary['tag_run']['read']} records and rejected {summary['tag_run']['rejected']}")
    counts = _table(None, "documents", "count", "share")
    for key in ("read", "kept", "flagged", "rejected"):
        counts.add_row(key, str(summary[key]), _share(summary[key], read))
    console.print(counts)
    balance = "holds" if summary["balanced"] else "DOES NOT HOLD"
    console.print(f"read = kept + flagged + rejected: {balance}")
    if summary.get("labels"):
        labels = _table("labels", "label", "documents", "flagged")
        for label, count in summary["labels"].items():
            labels.add_row(label, str(count), str(summary["flagged_by_label"].get(label, 0)))
        console.print(labels)
    decision = summary.get("decision", {}).get("policy")
    if decision:
        threshold = f" >= {decision['threshold']:g}" if "threshold" in decision and decision["name"] != "blocklist" else ""
        console.print(f"flagged = policy {decision['name']}{threshold}; label = the most probable label, which may differ")
    if summary.get("flagged_by_reason"):
        reasons = _table("why documents were flagged", "cause", "documents")
        for reason, count in list(summary["flagged_by_reason"].items())[:6]:
            reasons.add_row(reason, str(count))
        console.print(reasons)
    if summary.get("stages"):
        stages = _table("cascade stages", "stage", "seen", "decided", "escalated", "flagged", "seconds")
        for name, stats in summary["stages"].items():
            stages.add_row(name, str(stats["seen"]), str(stats["decided"]),
                           f"{stats['escalated']} ({stats['share_escalated']:.1%})", str(stats["flagged"]), f"{stats['seconds']:.2f}")
        console.print(stages)
    if summary["rejected"]:
        console.print(f"rejected by reason: {summary['rejected_by_reason']}")
        for example in summary["rejection_examples"][:5]:
            console.print(f"  {example}", markup=False)
    if summary.get("replacements"):
        replaced = summary["replacements"]
        console.print(f"replacements written: {replaced['written']} of {replaced['wanted']} (unreplaced {replaced['unreplaced']})")
    if summary.get("seconds"):
        console.print(f"{summary['seconds']:.1f} s ({read / max(summary['seconds'], 1e-9):.0f} documents/s); outputs and summary.json in {output}/")


def print_tag_eval(report: dict) -> None:
    title = f"{report['tagger']} on {report.get('labels_file', '')} (n={report['n']})"
    table = _table(title, "true label", "documents", "flagged", "precision", "recall")
    per_label = report.get("per_label", {})
    for label, count in report["counts"].items():
        metrics = per_label.get(label, {})
        table.add_row(label, str(count), f"{report['flagged_rate'][label]:.1%}",
                      _metric(metrics.get("precision")), _metric(metrics.get("recall")))
    console.print(table)
    if "policy" in report:
        console.print(f"policy: {report['policy']}")
    if "accuracy" in report:
        console.print(f"accuracy: {report['accuracy']:.3f}")


def _metric(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_analysis(report, written) -> None:
    console.print(report.overview.to_string(index=False))
    console.print(report.reasons_table.head(9).to_string(index=False))
    console.print(report.top_terms(10).to_string(index=False))
    folder = written[0].parent if written else ""
    console.print(f"tables, plots and summary.json in {folder}/")


def print_diversity(report, written) -> None:
    summary = report.summary()
    table = _table("semantic diversity", "measure", "value")
    for key in ("read", "rejected", "documents_analysed", "mean_pairwise_cosine", "near_duplicate_threshold",
                "near_duplicate_clusters", "documents_in_clusters", "share_in_clusters", "median_nearest_similarity",
                "scenarios", "scenarios_missing_a_stance"):
        table.add_row(key, str(summary[key]))
    console.print(table)
    console.print(f"stances: {summary['stances']}")
    console.print(f"surface forms: {summary['surface_forms']}")
    clusters = report.clusters.head(5)
    for _, row in clusters.iterrows():
        console.print(f"  cluster {row['cluster']}: {row['size']} documents, e.g. {', '.join(map(str, row['ids'][:4]))}")
    folder = written[0].parent if written else ""
    console.print(f"tables, plot and summary.json in {folder}/")
