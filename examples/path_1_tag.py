"""Step 1 of the whole path: tag every document of a corpus once with the default cascade.

    python examples/path_1_tag.py [--workspace whole-path] [--corpus FILE]

The tags (``metadata["ai_discourse"]``) are stored with the documents, so the mixer later
filters and counts from them without loading a model again.
"""

from __future__ import annotations

from pathlib import Path

from _workspace import run_main, step_folder, step_parser

from alignment_data.demo import demo_corpus_path
from alignment_data.pipeline.recipes import ExecutorConfig, run_tag
from alignment_data.tagging.spec import TaggerSpec


def tag(workspace: Path, corpus: str | Path | None = None) -> dict:
    """Tag ``corpus`` (default: the bundled example corpus) into ``workspace/tag``; the run's summary."""
    return run_tag(str(corpus or demo_corpus_path()), str(step_folder(workspace, "tag")), TaggerSpec("cascade"), ExecutorConfig(quiet=True))


def main(argv: list[str] | None = None) -> dict:
    parser = step_parser(__doc__)
    parser.add_argument("--corpus", help="JSONL/JSONL.gz/Parquet corpus (default: the bundled example corpus)")
    args = parser.parse_args(argv)
    summary = tag(args.workspace, args.corpus)
    print(f"read {summary['read']} = kept {summary['kept']} + flagged {summary['flagged']} + rejected {summary['rejected']}; "
          f"tags in {args.workspace / 'tag'}")
    return summary


if __name__ == "__main__":
    run_main(main)
