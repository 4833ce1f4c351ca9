"""``alignment-data eval``, ``export-lm-eval`` and ``personality``: argument wiring only; the work is in the library."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from alignment_data.errors import ConfigError
from alignment_data.options import add_arguments, cli_fields, flag_name, given


def _question_arguments(parser: argparse.ArgumentParser) -> None:
    from alignment_data.eval.anthropic import MULTI_OPTION, SOURCES
    from alignment_data.eval.questions import KINDS

    parser.add_argument("--questions", required=True, help="question file or folder: our scenarios, the study's released "
                        "format, Anthropic advanced-ai-risk or persona files (JSONL or Parquet)")
    parser.add_argument("--question-kind", default="auto", choices=KINDS, help="how to read --questions (default: auto)")
    parser.add_argument("--multi-option", default="skip", choices=MULTI_OPTION,
                        help="Anthropic items with 3-8 options: skip them (counted) or keep the two labelled options")
    parser.add_argument("--anthropic-source", choices=SOURCES, help="human- or lm-written, when the folder name does not say")


def _questions(args: argparse.Namespace):
    from alignment_data.eval.questions import load_questions

    return load_questions(args.questions, args.question_kind, args.multi_option, args.anthropic_source)


def _backend_arguments(parser: argparse.ArgumentParser) -> None:
    from alignment_data.eval.backends.base import backend_class, backend_names

    parser.add_argument("--model", required=True, action="append",
                        help="model folder (hf) or served model name (openai); repeat it, or give a folder of checkpoints, "
                             "for a checkpoint curve")
    parser.add_argument("--backend", default="hf", choices=backend_names(), help="scoring backend (default: hf)")
    add_arguments(parser, *(backend_class(name).Options for name in backend_names()))


def _backend_options(args: argparse.Namespace):
    """The chosen backend's options from the flags; a flag of another backend is an error."""
    from alignment_data.eval.backends.base import backend_class, backend_names

    options_class = backend_class(args.backend).Options
    own = {item.name for item, _, _ in cli_fields(options_class)}
    stray = sorted({key for name in backend_names() for key in given(args, backend_class(name).Options)} - own)
    if stray:
        raise ConfigError(f"{', '.join(map(flag_name, stray))} does not apply to the {args.backend} backend")
    return options_class(**given(args, options_class))


def _is_curve(models: list[str], backend: str) -> bool:
    return len(models) > 1 or (backend == "hf" and Path(models[0]).is_dir() and not (Path(models[0]) / "config.json").is_file())


def _report(result, args: argparse.Namespace, printer) -> int:
    """Save ``result`` to --output; print it as one JSON object (--json) or as a summary."""
    result.save(args.output)
    if args.json:
        print(json.dumps(result.summary, allow_nan=False))
    else:
        printer(result.summary, args.output)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from alignment_data.eval.propensity import EvalOptions, PropensityEval
    from alignment_data.eval.summaries import KEYS, print_curve, print_propensity

    evaluation = PropensityEval(_questions(args), EvalOptions(**given(args, EvalOptions)))
    options = _backend_options(args)
    if _is_curve(args.model, args.backend):
        curve = evaluation.run_checkpoints(args.model if len(args.model) > 1 else args.model[0], args.backend, options)
        curve.save(args.output)
        last = curve.results[-1].summary
        if args.json:
            print(json.dumps({**{key: last[key] for key in KEYS}, "checkpoints": [r.summary for r in curve.results]}))
        else:
            print_curve(curve, args.output)
        return 0
    return _report(evaluation.run(args.model[0], args.backend, options), args, print_propensity)


def cmd_export_lm_eval(args: argparse.Namespace) -> int:
    from alignment_data.eval.propensity import PropensityEval

    evaluation = PropensityEval(_questions(args), formats=args.formats, system_prompt=args.system_prompt, scoring=args.scoring)
    name = args.name or Path(args.questions).name.split(".")[0].replace("-", "_")
    written = evaluation.export_lm_eval(args.output, name)
    manifest = json.loads(written[-1].read_text())
    print(f"{len(manifest['tasks'])} tasks and the group {name!r} for {manifest['n_questions']} questions in {args.output}/")
    print(f"run: {manifest['run']}")
    return 0


def cmd_personality(args: argparse.Namespace) -> int:
    from alignment_data.eval.personality import PersonalityEval
    from alignment_data.eval.questions import load_questions
    from alignment_data.eval.summaries import print_personality
    from alignment_data.eval.trait import load_trait_items
    from alignment_data.readers import iter_objects

    first = next(iter(iter_objects(args.items)))[2]
    items = load_trait_items(args.items) if "response_high1" in first else load_questions(args.items, "persona")
    evaluation = PersonalityEval(items, styles=args.styles, formats=args.formats, system_prompt=args.system_prompt,
                                 chat_template=args.chat_template)
    return _report(evaluation.run(args.model[0], args.backend, _backend_options(args)), args, print_personality)


def add_eval_commands(commands) -> None:
    """Add the evaluation subcommands to the command line's subparsers."""
    from alignment_data.eval.prompts import SCORINGS
    from alignment_data.eval.propensity import CHAT_TEMPLATE, EvalOptions

    evaluate = commands.add_parser("eval", help="misalignment propensity of a model (or checkpoints) on two-choice questions")
    _question_arguments(evaluate)
    _backend_arguments(evaluate)
    add_arguments(evaluate, EvalOptions)
    evaluate.add_argument("--output", required=True, help="folder for summary.json, CSV tables, table.md and PNG charts")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(func=cmd_eval)

    export = commands.add_parser("export-lm-eval", help="write the evaluation as an lm-evaluation-harness task folder")
    _question_arguments(export)
    export.add_argument("--formats", default="paper8", help="grid or formats, as for eval (default: paper8)")
    export.add_argument("--system-prompt", default="none", metavar="P", help="none, ai, helpful, hhh, or a text (default: none)")
    export.add_argument("--scoring", default="letter", choices=SCORINGS, help="letter or option choices (default: letter)")
    export.add_argument("--output", required=True, help="task folder to write")
    export.add_argument("--name", help="group name (default: the questions file's stem)")
    export.set_defaults(func=cmd_export_lm_eval)

    personality = commands.add_parser("personality", help="high-trait rate on persona statements or TRAIT-style items")
    personality.add_argument("--items", required=True, help="persona JSONL (e.g. the Dark Triad files) or TRAIT-style items")
    _backend_arguments(personality)
    personality.add_argument("--styles", default="all", help="TRAIT prompt styles, comma-separated (default: all)")
    personality.add_argument("--formats", default="paper8", help="formats for persona statements (default: paper8)")
    personality.add_argument("--system-prompt", default="none", metavar="P", help="none, ai, helpful, hhh, or a text")
    personality.add_argument("--chat-template", default="auto", choices=CHAT_TEMPLATE)
    personality.add_argument("--output", required=True, help="folder for summary.json, records.csv and table.md")
    personality.add_argument("--json", action="store_true", help="print one JSON object")
    personality.set_defaults(func=cmd_personality)
