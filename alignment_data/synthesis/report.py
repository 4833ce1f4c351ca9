"""One-screen summaries of `scenarios`, `synthesize` and `dedup` (rich tables)."""

from __future__ import annotations

from alignment_data.report import _share, _table, console


def _money(summary: dict) -> str:
    requests = summary["requests"]
    spent = f"${requests['spent_usd']:,.4f} this invocation, ${summary['spent_usd_by_run']:,.4f} by the run"
    if requests.get("unpriced_answers"):
        spent += f" ({requests['unpriced_answers']} answers had no price)"
    return (f"requests: {requests['requests']:,} needed, {requests['cached']:,} cached, {requests['sent']:,} sent, "
            f"{requests['answered']:,} answered, {requests['failed']:,} without an answer; tokens in "
            f"{requests['input_tokens']:,} out {requests['output_tokens']:,}; {spent}")


def _stopped(summary: dict) -> None:
    if summary.get("stopped") == "budget":
        console.print(f"STOPPED AT THE BUDGET (${summary.get('budget_usd')}): rerun with a larger --budget to go on",
                      markup=False)
    retries = summary["requests"]
    if retries.get("total_retries"):
        console.print(f"retried {retries['total_retries']} calls {retries['retries']}; longest wait "
                      f"{retries['longest_wait_s']:g} s (server asked up to {retries['longest_server_wait_s']:g} s)", markup=False)


def print_synthesis(summary: dict) -> None:
    scenarios, documents, grid = summary["scenarios"], summary["documents"], summary["grid"]
    console.print(f"synthesize {summary['scenarios_file']} with {summary['backend']} ({summary['model']})"
                  f"{' through batches' if summary['batch'] else ''}", markup=False)
    console.print(f"scenarios: {scenarios['read']} read, {scenarios['used']} used, {scenarios['held_out']} held out "
                  f"(splits {', '.join(scenarios['holdout_splits'])}); {len(summary['surface_forms'])} surface forms", markup=False)
    table = _table(None, "documents", "count", "share")
    for key in ("slots", "written", "near_duplicates", "gave_up", "unanswered"):
        table.add_row(key.replace("_", " "), str(documents[key]), _share(documents[key], documents["slots"]))
    console.print(table)
    console.print(f"slots = written + near duplicates + gave up + unanswered: {'holds' if documents['accounted'] else 'DOES NOT HOLD'}")
    if documents["rejected_by_reason"]:
        console.print("outputs rejected (each retried while attempts last): " +
                      ", ".join(f"{reason} {count}" for reason, count in documents["rejected_by_reason"].items()), markup=False)
    console.print(f"near-duplicate rate {documents['near_duplicate_rate']:.2%}; quoted options rejected "
                  f"{summary['verbatim']['rejected']}", markup=False)
    state = "filled" if grid["filled"] else f"NOT filled ({grid['unfilled_cells_total']} cells short)"
    console.print(f"quota grid: {grid['cells_filled']} of {grid['cells']} cells {state}; "
                  f"{grid['documents_written']} of {grid['documents_wanted']} documents", markup=False)
    if "stance_check" in summary:
        console.print(f"stance check: {summary['stance_check']}", markup=False)
    console.print(_money(summary), markup=False)
    _stopped(summary)
    console.print(f"outputs: {summary['files']['documents']}, {summary['files']['rejects']}", markup=False)


def print_scenarios(summary: dict) -> None:
    console.print(f"scenarios from {summary['sources']} with {summary['backend']} ({summary['model']}): "
                  f"{summary['passages']} passages, {summary['skipped_sources']} sources skipped", markup=False)
    console.print(f"{summary['scenarios']} scenarios written; {summary['rejected']} rejections "
                  f"{summary['rejected_by_reason']}; {summary['gave_up_passages']} passages gave up", markup=False)
    console.print(_money(summary), markup=False)
    _stopped(summary)
    console.print(f"outputs: {summary['files']['scenarios']}, {summary['files']['rejects']}", markup=False)


def print_dedup(summary: dict) -> None:
    table = _table(None, "documents", "count", "share")
    for key in ("read", "kept", "duplicates", "rejected"):
        table.add_row(key, str(summary[key]), _share(summary[key], summary["read"]))
    console.print(table)
    console.print(f"read = kept + duplicates + rejected: {'holds' if summary['balanced'] else 'DOES NOT HOLD'}; "
                  f"near-duplicate rate {summary['near_duplicate_rate']:.2%} at threshold {summary['threshold']:g}; "
                  f"{summary['documents_per_second'] or 0:,.0f} documents/s", markup=False)
    console.print(f"outputs: {summary['files']['documents']}, {summary['files']['duplicates']}", markup=False)
