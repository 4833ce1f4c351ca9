"""``alignment-data <command>``: each command parses its arguments and calls the library."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from alignment_data import __version__
from alignment_data.schema import InputError


def _tagger_arguments(parser: argparse.ArgumentParser, default: str = "cascade") -> None:
    from alignment_data.tagging.factory import TAGGER_NAMES
    from alignment_data.tagging.policy import POLICY_NAMES

    parser.add_argument("--tagger", choices=TAGGER_NAMES, default=default, help=f"which tagger (default {default})")
    parser.add_argument("--model", help="fastText model file (default: the shipped model)")
    parser.add_argument("--head", help="embedding head file (default: the shipped head)")
    parser.add_argument("--encoder", help="sentence-transformers model folder (default: the shipped all-MiniLM-L6-v2)")
    parser.add_argument("--stages", help="cascade model stages, comma-separated: fasttext[,embedding] "
                        "(default: both when the semantic extra is installed)")
    parser.add_argument("--terms", action="append", default=[], metavar="PATH",
                        help="term file or folder applied over the default lists (repeatable; see docs/tagging.md)")
    parser.add_argument("--policy", choices=POLICY_NAMES, default="misaligned",
                        help="what counts as flagged (default: misaligned AI discourse)")
    parser.add_argument("--threshold", type=float, help="policy threshold (default: the one tuned on validation)")
    parser.add_argument("--escalate", choices=("any_term", "flagged"), help="which documents the blocklist passes on in the cascade")


def _spec(args: argparse.Namespace):
    from alignment_data.tagging.factory import TaggerSpec

    return TaggerSpec(
        name=args.tagger, model=args.model, head=args.head, encoder=args.encoder, terms=tuple(args.terms),
        policy=args.policy, threshold=args.threshold, escalate=args.escalate,
        stages=tuple(args.stages.split(",")) if args.stages else None,
    )


def _training_arguments(parser: argparse.ArgumentParser, output_help: str) -> None:
    parser.add_argument("--labels", required=True, action="append", help="labelled JSONL file or folder (repeatable)")
    parser.add_argument("--train-split", help="only documents of --labels with this 'split' value")
    parser.add_argument("--valid", help="labelled JSONL to choose policy thresholds on")
    parser.add_argument("--valid-split", help="only documents of --valid with this 'split' value")
    parser.add_argument("--output", required=True, help=output_help)
    parser.add_argument("--target-recall", type=float, default=0.95, help="recall the thresholds aim at on --valid")


def _training_data(args: argparse.Namespace):
    from alignment_data.io import read_labelled

    train = [doc for path in args.labels for doc in read_labelled(path, split=args.train_split)]
    valid = read_labelled(args.valid, split=args.valid_split) if args.valid else []
    return train, valid


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, help="JSONL / JSONL.gz / Parquet file or folder (local or fsspec URL)")
    parser.add_argument("--output", required=True, help="run folder (must be new or empty unless --resume)")
    parser.add_argument("--output-format", choices=("jsonl", "parquet"), default="jsonl")
    parser.add_argument("--text-key", default="text")
    parser.add_argument("--id-key", default="id")
    parser.add_argument("--executor", choices=("local", "slurm", "ray"), default="local")
    parser.add_argument("--tasks", type=int, default=1, help="number of tasks (input files are split between them)")
    parser.add_argument("--workers", type=int, default=-1, help="tasks run at once (default: all)")
    parser.add_argument("--executor-option", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to the datatrove executor, e.g. partition=cpu time=12:00:00 (repeatable)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--resume", action="store_true", help="continue a run in the same folder, skipping finished tasks")
    parser.add_argument("--quiet", action="store_true", help="local runs: datatrove's logs go to the run's log files only")


def _executor(args: argparse.Namespace):
    from alignment_data.pipeline.recipes import ExecutorConfig

    options = {}
    for item in args.executor_option:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"expected KEY=VALUE, got {item!r}", field="--executor-option")
        options[key] = int(value) if value.isdigit() else value
    return ExecutorConfig(args.executor, args.tasks, args.workers, options, quiet=args.quiet)


def cmd_tag(args: argparse.Namespace) -> int:
    from alignment_data.pipeline.recipes import run_tag
    from alignment_data.report import print_run_summary

    summary = run_tag(
        args.input, args.output, _spec(args), _executor(args), args.output_format,
        text_key=args.text_key, id_key=args.id_key, batch_size=args.batch_size, resume=args.resume,
    )
    print_run_summary(summary, args.output)
    return 0


def cmd_filter(args: argparse.Namespace) -> int:
    from alignment_data.pipeline.recipes import run_filter
    from alignment_data.report import print_run_summary

    summary = run_filter(
        args.input, args.output, _spec(args), _executor(args), args.output_format,
        replace=not args.no_replace, seed=args.seed, text_key=args.text_key, id_key=args.id_key,
        batch_size=args.batch_size, resume=args.resume,
    )
    print_run_summary(summary, args.output)
    return 0


def cmd_summarize(args: argparse.Namespace) -> int:
    from alignment_data.pipeline.counts import write_summary
    from alignment_data.report import print_run_summary

    print_run_summary(write_summary(args.output), args.output)
    return 0


def cmd_tag_eval(args: argparse.Namespace) -> int:
    from alignment_data.io import read_labelled
    from alignment_data.tagging.evaluate import evaluate_tagger
    from alignment_data.report import print_tag_eval

    documents = read_labelled(args.labels, split=args.split)
    report = evaluate_tagger(_spec(args).build(), documents)
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
    params = FastTextParams(epoch=args.epoch, lr=args.lr, dim=args.dim, word_ngrams=args.word_ngrams,
                            bucket=args.bucket, min_count=args.min_count, seed=args.seed)
    tagger = train_fasttext_tagger(train, args.output, valid, params, args.target_recall,
                                   card={"train_files": args.labels, "valid_file": args.valid})
    size = Path(args.output).stat().st_size / 1e6
    print(f"trained on {len(train)} documents -> {args.output} ({size:.2f} MB); thresholds {tagger.card.get('thresholds', {})}")
    return 0


def cmd_train_embedding(args: argparse.Namespace) -> int:
    from alignment_data.tagging.embedding import DocumentEmbedder, load_encoder
    from alignment_data.tagging.training import train_embedding_tagger

    train, valid = _training_data(args)
    embedder = DocumentEmbedder(load_encoder(args.encoder), args.chunk_words, args.max_chunks)
    name = Path(args.encoder).name if args.encoder else "all-MiniLM-L6-v2"
    tagger = train_embedding_tagger(train, args.output, valid, embedder, name, args.target_recall, args.regularization,
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
    from alignment_data.report import print_analysis

    spec = _spec(args) if args.tagger else None
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
    parser = argparse.ArgumentParser(prog="alignment-data", description="Alignment pretraining data tools.")
    parser.add_argument("--version", action="version", version=f"alignment-data {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    tag = commands.add_parser("tag", help="annotate every document with metadata['ai_discourse']")
    _run_arguments(tag)
    _tagger_arguments(tag)
    tag.set_defaults(func=cmd_tag)

    filt = commands.add_parser("filter", help="write kept, flagged and rejected documents apart (with replacements)")
    _run_arguments(filt)
    _tagger_arguments(filt)
    filt.add_argument("--no-replace", action="store_true", help="do not write replacement copies for flagged documents")
    filt.add_argument("--seed", type=int, default=0, help="seed for drawing replacements")
    filt.set_defaults(func=cmd_filter)

    summarize = commands.add_parser("summarize", help="(re)write summary.json of a finished tag/filter run")
    summarize.add_argument("output")
    summarize.set_defaults(func=cmd_summarize)

    evaluate = commands.add_parser("tag-eval", help="evaluate a tagger on a labelled JSONL file")
    evaluate.add_argument("--labels", required=True, help="labelled JSONL file or folder (text, label)")
    evaluate.add_argument("--split", help="only documents whose 'split' field has this value (e.g. test)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    _tagger_arguments(evaluate)
    evaluate.set_defaults(func=cmd_tag_eval)

    train = commands.add_parser("train-fasttext", help="train a fastText tagger from labelled JSONL")
    _training_arguments(train, "model file (.bin); the card is written beside it (.json)")
    for name, kind, default in (("epoch", int, 50), ("lr", float, 0.2), ("dim", int, 16), ("word-ngrams", int, 2),
                                ("bucket", int, 50_000), ("min-count", int, 2), ("seed", int, 0)):
        train.add_argument(f"--{name}", type=kind, default=default)
    train.set_defaults(func=cmd_train_fasttext)

    train_embedding = commands.add_parser("train-embedding", help="train an embedding head (semantic extra)")
    _training_arguments(train_embedding, "head file (.json)")
    train_embedding.add_argument("--encoder", help="sentence-transformers model folder (default: all-MiniLM-L6-v2)")
    train_embedding.add_argument("--chunk-words", type=int, default=160)
    train_embedding.add_argument("--max-chunks", type=int, default=8)
    train_embedding.add_argument("--regularization", type=float, default=3.0, help="inverse L2 strength (C)")
    train_embedding.set_defaults(func=cmd_train_embedding)

    diversity = commands.add_parser("diversity", help="semantic diversity and coverage of synthetic documents (semantic extra)")
    diversity.add_argument("--input", required=True, help="JSONL / Parquet file or folder of documents")
    diversity.add_argument("--output", required=True, help="folder for CSV tables, PNG plots and summary.json")
    diversity.add_argument("--threshold", type=float, default=0.9, help="cosine similarity that makes two documents near-duplicates")
    diversity.add_argument("--max-docs", type=int, default=20_000, help="sample this many documents at most")
    diversity.add_argument("--seed", type=int, default=0)
    diversity.add_argument("--encoder", help="sentence-transformers model folder (default: all-MiniLM-L6-v2)")
    diversity.add_argument("--text-key", default="text")
    diversity.set_defaults(func=cmd_diversity)

    analyze = commands.add_parser("analyze", help="corpus statistics and plots (PNG, CSV) of a tagged or raw corpus")
    analyze.add_argument("--input", required=True, help="tagged run output (e.g. RUN/tagged) or a raw corpus with --tagger")
    analyze.add_argument("--output", required=True, help="folder for CSV tables and PNG plots")
    analyze.add_argument("--source-key", default="source", help="metadata field to break figures down by")
    analyze.add_argument("--text-key", default="text")
    _tagger_arguments(analyze, default=None)
    analyze.set_defaults(func=cmd_analyze)

    demo = commands.add_parser("demo", help="tag, analyse and filter the bundled example corpus")
    demo.add_argument("--output", default="alignment-data-demo", help="folder for the demo's outputs")
    demo.add_argument("--resume", action="store_true")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from alignment_data.tagging.embedding import MissingExtraError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InputError, MissingExtraError, ValueError) as error:
        print(f"alignment-data {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
