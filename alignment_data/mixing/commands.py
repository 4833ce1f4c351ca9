"""``alignment-data tokenize`` and ``alignment-data mix``: parse the flags, call the library."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from alignment_data.errors import ConfigError
from alignment_data.options import add_arguments, given


def _executor_arguments(parser: argparse.ArgumentParser) -> None:
    from alignment_data.pipeline.recipes import ExecutorConfig

    add_arguments(parser, ExecutorConfig)
    parser.add_argument("--executor-option", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to the datatrove executor, typed (repeatable)")


def cmd_tokenize(args: argparse.Namespace) -> int:
    from alignment_data.cli import _executor, _spec
    from alignment_data.mixing.report import print_tokenized
    from alignment_data.mixing.tokenizer import TrainingTokenizer
    from alignment_data.pipeline.tokenize import TokenizeOptions, run_tokenize

    options = TokenizeOptions(**given(args, TokenizeOptions))
    tokenizer = TrainingTokenizer.from_path(args.tokenizer, options.eos_token)
    manifest = run_tokenize(args.input, args.output, tokenizer, args.synthetic, _spec(args), _executor(args), options)
    if manifest is None:
        print(f"Jobs submitted. {args.output}/manifest.json is written when they finish.")
    else:
        print_tokenized(manifest, args.output)
    return 0


def cmd_mix(args: argparse.Namespace) -> int:
    from alignment_data.cli import _executor, _spec
    from alignment_data.mixing.conditions import condition
    from alignment_data.mixing.mixer import INPUTS, DiscourseMixer
    from alignment_data.mixing.recipes import MixSettings, load_recipe
    from alignment_data.mixing.report import print_mix

    if (args.condition is None) == (args.recipe is None):
        raise ConfigError("give either --condition NAME (a preset) or --recipe FILE (a recipe, or the manifest.json of a mix)")
    recorded = None
    if args.recipe:
        recipe, recorded = load_recipe(args.recipe)
    else:
        recipe = condition(args.condition)
    recipe = recipe.with_changes(fraction=args.fraction, placement=args.placement, fraction_of=args.fraction_of,
                                 policy=args.policy, threshold=args.threshold)
    settings = MixSettings(**{**(asdict(recorded) if recorded else {}), **given(args, MixSettings)})
    work_dir = Path(args.output) / INPUTS
    if recorded is not None:
        mixer = DiscourseMixer.from_manifest(args.recipe, work_dir, _executor(args), base=args.base, synthetic=args.synthetic,
                                             tokenizer=args.tokenizer)
    else:
        if args.base is None or args.tokenizer is None:
            raise ConfigError("give --base and --tokenizer (only --recipe with a mix's manifest.json brings its own)")
        mixer = DiscourseMixer(args.base, args.tokenizer, args.synthetic, work_dir=work_dir, tagger=_spec(args),
                               executor=_executor(args), eos_token=args.eos_token)
    print_mix(mixer.build(recipe, args.output, settings), args.output)
    return 0


def add_mixing_commands(commands) -> None:
    """Add ``tokenize`` and ``mix`` to the command line's subcommands."""
    from alignment_data.cli import _tagger_arguments
    from alignment_data.mixing.conditions import PRESETS
    from alignment_data.mixing.recipes import FRACTION_OF, MixSettings
    from alignment_data.pipeline.tokenize import TokenizeOptions

    tokenize = commands.add_parser("tokenize", help="tokenize a corpus, a tag run or synthetic documents once: "
                                   "datatrove token files + a side table per document")
    tokenize.add_argument("--input", required=True, help="corpus (JSONL/Parquet, local or URL), tag run folder, or "
                          "synthetic documents with --synthetic")
    tokenize.add_argument("--tokenizer", required=True, help="training tokenizer: a tokenizer.json or a folder holding one")
    tokenize.add_argument("--output", required=True, help="new local folder for the token files, side table and manifest")
    tokenize.add_argument("--synthetic", action="store_true", help="the input is synthetic documents (stance, scenario, "
                          "surface form, split are checked and kept)")
    add_arguments(tokenize, TokenizeOptions)
    _executor_arguments(tokenize)
    _tagger_arguments(tokenize, default=None)
    tokenize.set_defaults(func=cmd_tokenize)

    mix = commands.add_parser("mix", help="build a data condition (the study's four, their late variants, or a recipe) "
                              "from tokenized inputs, token-exact")
    mix.add_argument("--condition", metavar="NAME", help=f"a preset: {', '.join(PRESETS)}")
    mix.add_argument("--recipe", metavar="FILE", help="a recipe (YAML or JSON), or a mix's manifest.json to build it again")
    mix.add_argument("--base", help="corpus (JSONL/Parquet, local or URL), tag run folder, or tokenized folder")
    mix.add_argument("--synthetic", help="synthetic documents (JSONL/Parquet) or a tokenized folder of them")
    mix.add_argument("--tokenizer", help="training tokenizer: a tokenizer.json or a folder holding one")
    mix.add_argument("--output", required=True, help="new local folder for the stages and manifest.json")
    mix.add_argument("--fraction", type=float, help="share of the final mix's tokens that are synthetic, in (0, 1)")
    mix.add_argument("--placement", help="uniform, or last:F (synthetic documents only in the final fraction F)")
    mix.add_argument("--fraction-of", choices=FRACTION_OF, help="--fraction of the whole stream (default) or of the final stage")
    mix.add_argument("--eos-token", help="end-of-document token (default: the tokenizer folder's, else <|endoftext|>)")
    add_arguments(mix, MixSettings)
    _executor_arguments(mix)
    _tagger_arguments(mix, default=None)
    mix.set_defaults(func=cmd_mix)
