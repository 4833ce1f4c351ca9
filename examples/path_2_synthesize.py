"""Step 2 of the whole path: scenario-grounded synthetic documents, written offline by the template backend.

    python examples/path_2_synthesize.py [--workspace whole-path] [--scenarios FILE]

Every non-held-out scenario gets documents in both stances (aligned: the AI names the
tempting action and rejects it; misaligned: it takes it) across the surface forms; the
held-out scenarios get none, so the evaluation can compare the two. With an API key, swap
``backend="template"`` for ``openai`` or ``anthropic`` (docs/synthesis.md).
"""

from __future__ import annotations

from pathlib import Path

from _workspace import run_main, step_folder, step_parser

from alignment_data.synthesis.demo import demo_scenarios_path
from alignment_data.synthesis.documents import synthesize


def synthesize_documents(workspace: Path, scenarios: str | Path | None = None) -> dict:
    """Write the documents into ``workspace/synthesize``; the run's summary (``["files"]["documents"]`` is the file)."""
    return synthesize(scenarios or demo_scenarios_path(), step_folder(workspace, "synthesize"), backend="template", quiet=True)


def main(argv: list[str] | None = None) -> dict:
    parser = step_parser(__doc__)
    parser.add_argument("--scenarios", help="scenarios JSONL (default: the 30 bundled scenarios, 10 held out)")
    args = parser.parse_args(argv)
    summary = synthesize_documents(args.workspace, args.scenarios)
    stances = summary["grid"]["written_by_stance"]
    print(f"{summary['documents']['written']} documents ({', '.join(f'{n} {s}' for s, n in stances.items())}) from "
          f"{summary['scenarios']['used']} scenarios; {summary['scenarios']['held_out']} held out; in {summary['files']['documents']}")
    return summary


if __name__ == "__main__":
    run_main(main)
