"""``alignment-data demo``: tag the bundled example corpus once, analyse it, filter it from the stored tags.

The corpus mixes real web pages, real AI-safety and AI-research writing and the project's
own labelled documents, with three broken lines that must be rejected and counted.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

from alignment_data.analysis import analyze_corpus
from alignment_data.errors import InputError
from alignment_data.mixing.demo import run_mixing_demo
from alignment_data.pipeline.recipes import ExecutorConfig, run_filter_from_tags, run_tag
from alignment_data.report import console, print_run_summary
from alignment_data.synthesis.demo import run_synthesis_demo
from alignment_data.tagging.cascade import default_stages
from alignment_data.tagging.spec import TaggerSpec

MARKER = "demo.json"


def demo_corpus_path() -> Path:
    return Path(str(resources.files("alignment_data").joinpath("data", "demo_corpus.jsonl.gz")))


def _prepare(output: Path, resume: bool) -> None:
    """Reuse a folder only if a previous demo made it (its marker file says so)."""
    if output.exists() and any(output.iterdir()) and not resume:
        if not (output / MARKER).is_file():
            raise InputError("folder exists and was not made by the demo; choose another --output", str(output))
        for entry in output.iterdir():  # a folder the demo made: its old outputs go
            if entry.is_dir():
                shutil.rmtree(entry)
            elif entry.name != MARKER:
                entry.unlink()
    output.mkdir(parents=True, exist_ok=True)
    (output / MARKER).write_text(json.dumps({"corpus": str(demo_corpus_path())}) + "\n")


def run_demo(output: str | Path = "alignment-data-demo", resume: bool = False) -> dict:
    """Tag once, analyse, filter from the stored tags; print a one-screen summary; return the filter summary."""
    output = Path(output)
    _prepare(output, resume)
    corpus = str(demo_corpus_path())
    executor = ExecutorConfig(quiet=True)

    console.rule(f"1. tag: the cascade (blocklist -> {' -> '.join(default_stages())}) annotates every document")
    tagged = run_tag(corpus, str(output / "tag"), TaggerSpec("cascade"), executor, resume=resume)
    print_run_summary(tagged, str(output / "tag"))

    console.rule("2. analyze: where the AI discourse is and why it was flagged")
    report = analyze_corpus(output / "tag" / "tagged")
    report.save(output / "analysis")
    console.print(report.by_source[["source", "documents", "flagged", "share_flagged"]].to_string(index=False))
    console.print("top terms in flagged documents: " + ", ".join(report.top_terms(8)["term"]))

    console.rule("3. filter from the stored tags: misaligned AI discourse out, replacements in (no model loaded)")
    filtered = run_filter_from_tags(str(output / "tag"), str(output / "filter"), executor=executor, resume=resume)
    console.print(
        f"read {tagged['read']} = kept {filtered['kept']} + flagged {filtered['flagged']} + rejected {tagged['rejected']}; "
        f"{filtered['replacements']['written']} replacements keep the corpus at "
        f"{filtered['kept'] + filtered['replacements']['written']} documents"
    )
    console.print(f"outputs: {output}/tag, {output}/analysis (CSV, PNG), {output}/filter (kept, flagged, replacements)")
    run_synthesis_demo(output)

    console.rule("6. mix: the study's data conditions from the same tags, token-exact, tokenized once")
    run_mixing_demo(output / "mix", output / "tag", executor)

    from alignment_data.eval.demo import run_eval_demo

    run_eval_demo(output / "eval")
    return filtered
