"""``alignment-data <command>``: each command parses its arguments and calls the library.

Flags and their defaults come from the library's options dataclasses (see
:mod:`alignment_data.options`). Errors the library raises on purpose
(:class:`~alignment_data.errors.AlignmentDataError`) print one line and exit with code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from alignment_data import __version__
from alignment_data.errors import AlignmentDataError, ConfigError
from alignment_data.options import add_arguments, flag_name, given, parse_key_values


def _tagger_arguments(parser: argparse.ArgumentParser, default: str | None = "cascade") -> None:
    from alignment_data.tagging.base import option_classes, tagger_names

    names = tagger_names()
    parser.add_argument("--tagger", default=None, metavar="NAME",
                        help=f"which tagger: {', '.join(names)}" + (f" (default: {default})" if default else ""))
    add_arguments(parser, *option_classes())
    parser.set_defaults(default_tagger=default)


def _spec(args: argparse.Namespace):
    """The tagger the flags describe; a flag of another tagger is an error, not silently ignored."""
    from alignment_data.options import cli_fields
    from alignment_data.tagging.base import option_classes, tagger_class
    from alignment_data.tagging.spec import TaggerSpec

    name = args.tagger or args.default_tagger
    if name is None:
        return None
    cls = tagger_class(name)
    values = given(args, cls.Options)
    own = {item.name for item, _, _ in cli_fields(cls.Options)}
    stray = sorted({key for other in option_classes() for key in given(args, other)} - own)
    if stray:
        flags = ", ".join(flag_name(key) for key in stray)
        accepted = ", ".join(flag_name(key) for key in sorted(own)) or "none"
        raise ConfigError(f"{flags} does not apply to the {name} tagger (its options: {accepted})")
    return TaggerSpec(name, values)


def _executor(args: argparse.Namespace):
    from alignment_data.pipeline.recipes import ExecutorConfig

    return ExecutorConfig(**given(args, ExecutorConfig), options=parse_key_values(args.executor_option, "--executor-option"))


def _run_options(args: argparse.Namespace):
    from alignment_data.pipeline.recipes import RunOptions

    return RunOptions(**given(args, RunOptions))


def _run_arguments(parser: argparse.ArgumentParser, input_required: bool = True) -> None:
    from alignment_data.pipeline.recipes import ExecutorConfig, RunOptions

    parser.add_argument("--input", required=input_required,
                        help="JSONL / JSONL.gz / JSONL.zst / Parquet file or folder (local or fsspec URL)")
    parser.add_argument("--output", required=True, help="run folder, local or fsspec URL (must be new or empty unless --resume)")
    add_arguments(parser, RunOptions, ExecutorConfig)
    parser.add_argument("--executor-option", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to the datatrove executor, typed (true/false, numbers, text), "
                             "e.g. partition=cpu time=12:00:00 skip_completed=false (repeatable)")
    parser.add_argument("--resume", action="store_true", help="continue a run in the same folder, skipping finished tasks")


def _training_arguments(parser: argparse.ArgumentParser, output_help: str) -> None:
    from alignment_data.tagging.training import DEFAULT_TARGET_RECALL

    parser.add_argument("--labels", required=True, action="append", help="labelled JSONL file or folder (repeatable)")
    parser.add_argument("--train-split", help="only documents of --labels with this 'split' value")
    parser.add_argument("--valid", help="labelled JSONL to choose policy thresholds on")
    parser.add_argument("--valid-split", help="only documents of --valid with this 'split' value")
    parser.add_argument("--output", required=True, help=output_help)
    parser.add_argument("--target-recall", type=float, default=DEFAULT_TARGET_RECALL,
                        help=f"recall the thresholds aim at on --valid (default: {DEFAULT_TARGET_RECALL})")


def _training_data(args: argparse.Namespace):
    from alignment_data.readers import read_labelled

    train = [doc for path in args.labels for doc in read_labelled(path, split=args.train_split)]
    valid = read_labelled(args.valid, split=args.valid_split) if args.valid else []
    return train, valid


def cmd_tag(args: argparse.Namespace) -> int:
    from alignment_data.pipeline.recipes import run_tag
    from alignment_data.report import print_run_summary

    summary = run_tag(args.input, args.output, _spec(args), _executor(args), _run_options(args), resume=args.resume)
    print_run_summary(summary, args.output)
    return 0


def cmd_filter(args: argparse.Namespace) -> int:
    from alignment_data.pipeline.recipes import run_filter, run_filter_from_tags
    from alignment_data.report import print_run_summary

    if (args.input is None) == (args.from_tags is None):
        raise ConfigError("give either --input (tag and filter a corpus) or --from-tags RUN (re-decide a tag run)")
    from alignment_data.pipeline.recipes import FilterOptions

    common = {"executor": _executor(args), "options": _run_options(args), "refill": FilterOptions(**given(args, FilterOptions)),
              "resume": args.resume}
    if args.from_tags:
        spec_flags = {key for key in vars(args) if getattr(args, key) is not None} & {"model", "head", "encoder", "terms",
                                                                                     "stages", "escalate", "tagger"}
        if spec_flags:
            raise ConfigError(f"{', '.join(map(flag_name, sorted(spec_flags)))}: --from-tags decides from stored "
                              "tags and loads no tagger; only --policy and --threshold apply")
        summary = run_filter_from_tags(args.from_tags, args.output, args.policy, args.threshold, **common)
    else:
        summary = run_filter(args.input, args.output, _spec(args), **common)
    print_run_summary(summary, args.output)
    return 0


def cmd_summarize(args: argparse.Namespace) -> int:
    from alignment_data.pipeline.counts import write_summary
    from alignment_data.report import print_run_summary

    print_run_summary(write_summary(args.output), args.output)
    return 0


def cmd_tag_eval(args: argparse.Namespace) -> int:
    from alignment_data.readers import read_labelled
    from alignment_data.report import print_tag_eval
    from alignment_data.tagging.quality import measure_tagger

    documents = read_labelled(args.labels, split=args.split)
    report = measure_tagger(_spec(args).build(), documents)
    report["labels_file"] = args.labels
    report["split"] = args.split
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_tag_eval(report)
    return 0


def cmd_train_fasttext(args: argparse.Namespace) -> int:
    from alignment_data.tagging.fasttext import FastTextParams
    from alignment_data.tagging.training import train_fasttext_tagger

    train, valid = _training_data(args)
    tagger = train_fasttext_tagger(train, args.output, valid, FastTextParams(**given(args, FastTextParams)), args.target_recall,
                                   card={"train_files": args.labels, "valid_file": args.valid})
    size = Path(args.output).stat().st_size / 1e6
    print(f"trained on {len(train)} documents -> {args.output} ({size:.2f} MB); thresholds {tagger.card.get('thresholds', {})}")
    return 0


def cmd_train_embedding(args: argparse.Namespace) -> int:
    from alignment_data.tagging.embedding import DocumentEmbedder, HeadParams, load_encoder
    from alignment_data.tagging.training import train_embedding_tagger

    train, valid = _training_data(args)
    params = HeadParams(**given(args, HeadParams))
    embedder = DocumentEmbedder(load_encoder(args.encoder), params.chunk_words, params.max_chunks)
    name = Path(args.encoder).name if args.encoder else "all-MiniLM-L6-v2"
    tagger = train_embedding_tagger(train, args.output, valid, embedder, name, args.target_recall, params.regularization,
                                    card={"train_files": args.labels, "valid_file": args.valid})
    print(f"trained on {len(train)} documents -> {args.output}; thresholds {tagger.thresholds}")
    return 0


def cmd_diversity(args: argparse.Namespace) -> int:
    from alignment_data.analysis.diversity import analyze_diversity
    from alignment_data.report import print_diversity
    from alignment_data.tagging.embedding import DocumentEmbedder, load_encoder

    embedder = DocumentEmbedder(load_encoder(args.encoder))
    report = analyze_diversity(args.input, embedder, threshold=args.threshold, max_docs=args.max_docs,
                               text_key=args.text_key, seed=args.seed)
    written = report.save(args.output)
    print_diversity(report, written)
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from alignment_data.analysis import analyze_corpus
    from alignment_data.outputs import claim_output_folder
    from alignment_data.report import print_analysis

    claim_output_folder(args.output, "analyze")
    spec = _spec(args)
    report = analyze_corpus(args.input, tagger=spec.build() if spec else None, source_key=args.source_key,
                            text_key=args.text_key)
    written = report.save(args.output)
    print_analysis(report, written)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from alignment_data.demo import run_demo

    run_demo(args.output, resume=args.resume)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from alignment_data.analysis.diversity import DEFAULT_MAX_DOCS, DEFAULT_THRESHOLD
    from alignment_data.pipeline.recipes import FilterOptions
    from alignment_data.synthesis.commands import add_synthesis_commands
    from alignment_data.tagging.embedding import HeadParams
    from alignment_data.tagging.fasttext import FastTextParams

    parser = argparse.ArgumentParser(prog="alignment-data", description="Alignment pretraining data tools.")
    parser.add_argument("--version", action="version", version=f"alignment-data {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    tag = commands.add_parser("tag", help="annotate every document with metadata['ai_discourse']")
    _run_arguments(tag)
    _tagger_arguments(tag)
    tag.set_defaults(func=cmd_tag)

    filt = commands.add_parser("filter", help="write kept, flagged and rejected documents apart (with replacements)")
    _run_arguments(filt, input_required=False)
    filt.add_argument("--from-tags", metavar="RUN", help="decide from the stored tags of a finished tag run "
                      "instead of tagging --input (no model is loaded; --policy and --threshold re-decide)")
    _tagger_arguments(filt)
    add_arguments(filt, FilterOptions)
    filt.set_defaults(func=cmd_filter)

    summarize = commands.add_parser("summarize", help="(re)write summary.json of a finished tag/filter run")
    summarize.add_argument("output")
    summarize.set_defaults(func=cmd_summarize)

    evaluate = commands.add_parser("tag-eval", help="measure a tagger on a labelled JSONL file")
    evaluate.add_argument("--labels", required=True, help="labelled JSONL file or folder (text, label)")
    evaluate.add_argument("--split", help="only documents whose 'split' field has this value (e.g. test)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    _tagger_arguments(evaluate)
    evaluate.set_defaults(func=cmd_tag_eval)

    train = commands.add_parser("train-fasttext", help="train a fastText tagger from labelled JSONL")
    _training_arguments(train, "model file (.bin); the card is written beside it (.json)")
    add_arguments(train, FastTextParams)
    train.set_defaults(func=cmd_train_fasttext)

    train_embedding = commands.add_parser("train-embedding", help="train an embedding head (semantic extra)")
    _training_arguments(train_embedding, "head file (.json)")
    train_embedding.add_argument("--encoder", help="sentence-transformers model folder (default: all-MiniLM-L6-v2)")
    add_arguments(train_embedding, HeadParams)
    train_embedding.set_defaults(func=cmd_train_embedding)

    diversity = commands.add_parser("diversity", help="semantic diversity and coverage of synthetic documents (semantic extra)")
    diversity.add_argument("--input", required=True, help="JSONL / Parquet file or folder of documents (local or URL)")
    diversity.add_argument("--output", required=True, help="local folder for CSV tables, PNG plots and summary.json")
    diversity.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                           help=f"cosine similarity that makes two documents near-duplicates (default: {DEFAULT_THRESHOLD})")
    diversity.add_argument("--max-docs", type=int, default=DEFAULT_MAX_DOCS,
                           help=f"sample this many documents at most (default: {DEFAULT_MAX_DOCS})")
    diversity.add_argument("--seed", type=int, default=0)
    diversity.add_argument("--encoder", help="sentence-transformers model folder (default: all-MiniLM-L6-v2)")
    diversity.add_argument("--text-key", default="text")
    diversity.set_defaults(func=cmd_diversity)

    analyze = commands.add_parser("analyze", help="corpus statistics and plots (PNG, CSV) of a tagged or raw corpus")
    analyze.add_argument("--input", required=True, help="tagged run output (e.g. RUN/tagged), local or URL, "
                         "or a raw corpus with --tagger")
    analyze.add_argument("--output", required=True, help="local folder for CSV tables and PNG plots")
    analyze.add_argument("--source-key", default="source", help="metadata field to break figures down by")
    analyze.add_argument("--text-key", default="text")
    _tagger_arguments(analyze, default=None)
    analyze.set_defaults(func=cmd_analyze)

    from alignment_data.mixing.commands import add_mixing_commands

    add_mixing_commands(commands)

    demo = commands.add_parser("demo", help="tag, analyse and filter the bundled example corpus")
    demo.add_argument("--output", default="alignment-data-demo", help="folder for the demo's outputs")
    demo.add_argument("--resume", action="store_true")
    demo.set_defaults(func=cmd_demo)
    add_synthesis_commands(commands)

    from alignment_data.eval.commands import add_eval_commands

    add_eval_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AlignmentDataError as error:
        print(f"alignment-data {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
