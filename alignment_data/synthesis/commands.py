"""The command line of synthesis: `scenarios`, `synthesize` and `dedup`, each a call into the library.

Importing this module also registers the ``llm-judge`` tagger, so the tagging commands
offer ``--tagger llm-judge`` and its flags.
"""

from __future__ import annotations

import argparse

import alignment_data.synthesis.judge  # noqa: F401  (registers the llm-judge tagger)
from alignment_data.errors import ConfigError
from alignment_data.options import add_arguments, given


def cmd_scenarios(args: argparse.Namespace) -> int:
    from alignment_data.synthesis.options import ScenarioOptions
    from alignment_data.synthesis.report import print_scenarios
    from alignment_data.synthesis.scenarios import generate_scenarios

    print_scenarios(generate_scenarios(args.sources, args.output, ScenarioOptions(**given(args, ScenarioOptions))))
    return 0


def cmd_synthesize(args: argparse.Namespace) -> int:
    from alignment_data.synthesis.options import SynthesizeOptions

    if args.cancel:
        from alignment_data.synthesis.cancel import cancel_batches

        done = cancel_batches(args.output, quiet=bool(args.quiet))
        print(f"cancelled {done['cancelled_batches']} batches of run {done['run_tag']}; collected {done['answers_collected']} "
              f"answers they had finished (${done['spent_usd']:,.4f}); rerun the same command to send only what is missing")
        return 0
    if not args.scenarios:
        raise ConfigError("--scenarios FILE is needed (or --cancel to cancel the open batches of --output)")
    from alignment_data.synthesis.documents import synthesize
    from alignment_data.synthesis.report import print_synthesis

    print_synthesis(synthesize(args.scenarios, args.output, SynthesizeOptions(**given(args, SynthesizeOptions))))
    return 0


def cmd_dedup(args: argparse.Namespace) -> int:
    from alignment_data.synthesis.dedup import dedup_documents
    from alignment_data.synthesis.options import DedupOptions
    from alignment_data.synthesis.report import print_dedup

    print_dedup(dedup_documents(args.input, args.output, DedupOptions(**given(args, DedupOptions))))
    return 0


def add_synthesis_commands(commands) -> None:
    """Add `scenarios`, `synthesize` and `dedup` to the ``alignment-data`` subcommands."""
    from alignment_data.synthesis.options import DedupOptions, ScenarioOptions, SynthesizeOptions

    scenarios = commands.add_parser("scenarios", help="two-choice scenarios from source texts (txt, md, jsonl) through a model")
    scenarios.add_argument("--sources", required=True, help="source text file or folder (.txt, .md, .jsonl with a text field)")
    scenarios.add_argument("--output", required=True, help="JSONL file of scenarios (sidecars: .rejects.jsonl, .summary.json)")
    add_arguments(scenarios, ScenarioOptions)
    scenarios.set_defaults(func=cmd_scenarios)

    synthesize = commands.add_parser("synthesize", help="scenario-grounded synthetic documents over a quota grid "
                                                        "(template backend offline, or a model; resumable)")
    synthesize.add_argument("--scenarios", help="scenario JSONL or Parquet file or folder (the shared record)")
    synthesize.add_argument("--output", required=True, help="run folder; rerunning into it resumes")
    synthesize.add_argument("--cancel", action="store_true",
                            help="cancel the open batches of the run in --output, collect what they finished, and stop")
    add_arguments(synthesize, SynthesizeOptions)
    synthesize.set_defaults(func=cmd_synthesize)

    dedup = commands.add_parser("dedup", help="remove near-duplicate documents (MinHash LSH) and report the rate")
    dedup.add_argument("--input", required=True, help="documents: JSONL/Parquet file or folder, or a synthesize output folder")
    dedup.add_argument("--output", required=True, help="folder for kept documents, duplicates and summary.json")
    add_arguments(dedup, DedupOptions)
    dedup.set_defaults(func=cmd_dedup)
