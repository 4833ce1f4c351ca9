"""The synthesis part of ``alignment-data demo``: bundled scenarios -> template documents -> dedup.

Offline and a second or two: the template backend writes a document for every cell of the
grid of the twenty `articles` scenarios (the ten held-out ones get none), the run drops
near-duplicates as it writes, and `dedup` then sweeps the result at a lower threshold to
show the rate it reports.
"""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

from alignment_data.report import console
from alignment_data.synthesis.dedup import dedup_documents
from alignment_data.synthesis.documents import synthesize

DEMO_DEDUP_THRESHOLD = 0.5


def demo_scenarios_path() -> Path:
    return Path(str(resources.files("alignment_data").joinpath("data", "demo_scenarios.jsonl")))


def run_synthesis_demo(output: str | Path) -> dict | None:
    """Write template documents for the bundled scenarios into ``output/synthesize``, dedup into ``output/dedup``.

    Without the ``synthesis`` extra (datasketch for near-duplicates) the step says so and is skipped.
    """
    output = Path(output)
    console.rule("4. synthesize: template documents for the bundled scenarios (offline, held-out scenarios skipped)")
    if importlib.util.find_spec("datasketch") is None:
        console.print("skipped: synthesis needs the synthesis extra: pip install 'alignment-data[synthesis]'", markup=False)
        return None
    summary = synthesize(demo_scenarios_path(), output / "synthesize", backend="template", quiet=True)
    scenarios, documents, grid = summary["scenarios"], summary["documents"], summary["grid"]
    console.print(f"{scenarios['used']} scenarios x 2 stances x {len(summary['surface_forms'])} surface forms: "
                  f"{documents['written']} of {grid['documents_wanted']} documents written "
                  f"(grid {'filled' if grid['filled'] else 'not filled'}); {scenarios['held_out']} held-out scenarios "
                  f"skipped; {summary['verbatim']['rejected']} quoted an option; near-duplicates "
                  f"{documents['near_duplicate_rate']:.1%}", markup=False)
    console.rule(f"5. dedup: near-duplicates at MinHash Jaccard >= {DEMO_DEDUP_THRESHOLD}")
    deduped = dedup_documents(output / "synthesize", output / "dedup", threshold=DEMO_DEDUP_THRESHOLD, quiet=True)
    console.print(f"read {deduped['read']} = kept {deduped['kept']} + duplicates {deduped['duplicates']} + rejected "
                  f"{deduped['rejected']}; near-duplicate rate {deduped['near_duplicate_rate']:.1%}", markup=False)
    console.print(f"outputs: {output}/synthesize (documents/, rejects.jsonl, summary.json), {output}/dedup", markup=False)
    return deduped
