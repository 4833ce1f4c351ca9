"""One-screen summaries of tokenize runs and mixes (rich tables)."""

from __future__ import annotations

from rich import box
from rich.table import Table

from alignment_data.report import console


def print_tokenized(manifest: dict, output: str) -> None:
    console.print(f"tokenized {manifest['input']} ({manifest['kind'].replace('_', ' ')}) with {manifest['tokenizer']['path']}",
                  markup=False)
    console.print(f"read {manifest['read']} = tokenized {manifest['documents']} + rejected {manifest['rejected']}; "
                  f"{manifest['tokens']:,} tokens, one end-of-document token per document "
                  f"({manifest['tokenizer']['eos_token']!r}, id {manifest['tokenizer']['eos_id']})", markup=False)
    if manifest["tagged"]:
        console.print(f"stored tags: {manifest['tagged']} documents, {manifest['flagged']} flagged as tagged")
    for example in manifest["rejection_examples"][:5]:
        console.print(f"  {example}", markup=False)
    console.print(f"token files, side table and manifest.json in {output}/")


def condition_row(manifest: dict) -> list[str]:
    """The figures of one mix, as a row of :func:`print_conditions`."""
    tokens, documents, base = manifest["tokens"], manifest["documents"], manifest["base"]
    stages = manifest["stages"]
    return [
        manifest["condition"],
        str(base["flagged_removed"]),
        str(documents["replacement"]),
        str(documents["synthetic"]),
        f"{tokens['total']:,}",
        f"{(tokens['base'] + tokens['replacement']) / base['tokens'] - 1:+.2%}",
        f"{manifest['synthetic_fraction']:.3%}",
        "-" if len(stages) == 1 else f"@{stages[-1]['start_step']}",
    ]


def print_conditions(manifests: list[dict], title: str = "data conditions") -> None:
    """One table of several mixes' manifests (documents removed, refilled and added; tokens; shares)."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    for index, column in enumerate(("condition", "removed", "refill", "synth", "tokens", "base", "share", "late")):
        if index:
            table.add_column(column, justify="right", no_wrap=True)
        else:
            table.add_column(column, overflow="fold")
    for manifest in manifests:
        table.add_row(*condition_row(manifest))
    console.print(table)
    console.print("removed, refill, synth: documents flagged and dropped, copies drawn with replacement from the "
                  "retained ones, synthetic documents; tokens: of the mix; base: its base tokens against the unfiltered "
                  "corpus; share: synthetic share of the tokens; late: the step at which the final stage starts")


def print_mix(manifest: dict | None, output: str) -> None:
    if manifest is None:
        console.print(f"Jobs submitted. {output}/manifest.json is written when they finish.")
        return
    print_conditions([manifest], title=f"{manifest['condition']}: {manifest['recipe']['description'] or 'custom recipe'}")
    for stage in manifest["stages"]:
        console.print(f"{stage['folder']}/: starts at step {stage['start_step']}, {stage['tokens']:,} tokens "
                      f"({stage['synthetic_tokens']:,} synthetic), {stage['steps']} steps, {len(stage['files'])} files")
    console.print(f"{manifest['format']} files and manifest.json in {output}/ (the counts add up: "
                  f"{'yes' if all(manifest['balance'].values()) else 'NO'})")
