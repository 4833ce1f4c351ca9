"""``alignment-data demo``: tag, analyse and filter the bundled example corpus.

The corpus mixes real web pages, real AI-safety and AI-research writing and the project's
own labelled documents, with three broken lines that must be rejected and counted.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

from alignment_data.analysis import analyze_corpus
from alignment_data.pipeline.recipes import ExecutorConfig, run_filter, run_tag
from alignment_data.report import console, print_run_summary
from alignment_data.schema import InputError
from alignment_data.tagging.factory import TaggerSpec

MARKER = "demo.json"


def demo_corpus_path() -> Path:
    return Path(str(resources.files("alignment_data").joinpath("data", "demo_corpus.jsonl.gz")))


def _prepare(output: Path, resume: bool) -> None:
    """Reuse a folder only if a previous demo made it (its marker file says so)."""
    if output.exists() and any(output.iterdir()) and not resume:
        if not (output / MARKER).is_file():
            raise InputError("folder exists and was not made by the demo; choose another --output", str(output))
        for name in ("tag", "analysis", "filter"):
            shutil.rmtree(output / name, ignore_errors=True)
    output.mkdir(parents=True, exist_ok=True)
    (output / MARKER).write_text(json.dumps({"corpus": str(demo_corpus_path())}) + "\n")


def run_demo(output: str | Path = "alignment-data-demo", resume: bool = False) -> dict:
    """Run the three steps and print a one-screen summary; return the filter summary."""
    output = Path(output)
    _prepare(output, resume)
    corpus = str(demo_corpus_path())
    spec = TaggerSpec("cascade")
    executor = ExecutorConfig(quiet=True)

    console.rule("1. tag: blocklist -> fastText cascade, every document annotated")
    tagged = run_tag(corpus, str(output / "tag"), spec, executor, resume=resume)
    print_run_summary(tagged, str(output / "tag"))

    console.rule("2. analyze: where the AI discourse is and why it was flagged")
    report = analyze_corpus(output / "tag" / "tagged")
    report.save(output / "analysis")
    console.print(report.by_source[["source", "documents", "flagged", "share_flagged"]].to_string(index=False))
    console.print("top terms in flagged documents: " + ", ".join(report.top_terms(8)["term"]))

    console.rule("3. filter: misaligned AI discourse out, replacements in")
    filtered = run_filter(corpus, str(output / "filter"), spec, executor, resume=resume)
    console.print(
        f"read {filtered['read']} = kept {filtered['kept']} + flagged {filtered['flagged']} + rejected {filtered['rejected']}; "
        f"{filtered['replacements']['written']} replacements keep the corpus at {filtered['kept'] + filtered['replacements']['written']} documents"
    )
    console.print(f"outputs: {output}/tag, {output}/analysis (CSV, PNG), {output}/filter (kept, flagged, replacements, rejected)")
    return filtered
