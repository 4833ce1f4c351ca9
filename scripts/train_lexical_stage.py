"""Train the lexical stage and record the cascade variant that pools it between fastText and the encoder.

Fits the lexical model (word and word-pair TF-IDF, logistic regression, C=10 chosen on the valid split) on
every written train document, the short texts of r4_short.jsonl included (with ``--with-weak``
also on the weak labels, as the fastText model is; docs/benchmarks.md, twelfth round); records the
variant ``fasttext+lexical+embedding`` in cascade.json (the shipped fastText model and
embedding head, the lexical model pooled between them, deciding nothing; with ``--stance``
it also splits the decision's misaligned + aligned probability in its own proportion of the
two) with its stage
confidences and policy thresholds tuned on the valid split (without r4_short's one-line
texts, as the variant without the lexical stage was tuned on documents); records figures
on the test split; and with ``--default`` makes it the default stages (it is not: see
docs/benchmarks.md, fourth and twelfth rounds). The fastText model and embedding head are not retrained.

    python scripts/assign_splits.py
    python scripts/train_lexical_stage.py [--regularization 10] [--stance] [--with-weak] [--default]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from alignment_data.readers import read_labelled  # noqa: E402
from alignment_data.tagging.blocklist import BlocklistTagger  # noqa: E402
from alignment_data.tagging.cascade import CascadeTagger, ModelStage, default_cascade_config  # noqa: E402
from alignment_data.tagging.embedding import EmbeddingTagger  # noqa: E402
from alignment_data.tagging.fasttext import FastTextTagger  # noqa: E402
from alignment_data.tagging.policy import make_policy  # noqa: E402
from alignment_data.tagging.training import (  # noqa: E402
    cascade_test_figures,
    leave_out_ids,
    split_source,
    train_lexical_tagger,
    tune_cascade,
)

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = ROOT / "data" / "labelled" / "written"
MODELS = ROOT / "alignment_data" / "tagging" / "models"
VARIANT = "fasttext+lexical+embedding"
SHORT_PREFIX = "r4s-"  # the ids of r4_short.jsonl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regularization", type=float, default=10.0)
    parser.add_argument("--target-recall", type=float, default=0.95)
    parser.add_argument("--stance", action="store_true", help="the lexical model also splits misaligned from aligned")
    parser.add_argument("--default", action="store_true", help="make the variant the default stages of cascade.json")
    parser.add_argument("--with-weak", action="store_true",
                        help="also train on the weak labels of data/labelled/weak (real AI-safety writing, capability "
                             "summaries, web pages), as the fastText model does")
    parser.add_argument("--valid-without", nargs="*", default=[SHORT_PREFIX], metavar="ID_PREFIX",
                        help="leave the valid documents with these id prefixes out of tuning (default: r4_short's)")
    args = parser.parse_args()

    train, valid, test = (read_labelled(WRITTEN, split=name) for name in ("train", "valid", "test"))
    train_source = split_source("train")
    if args.with_weak:
        train = train + read_labelled(WRITTEN.parent / "weak")
        train_source += " + data/labelled/weak"
    documents_valid = leave_out_ids(valid, args.valid_without)
    lexical = train_lexical_tagger(train, MODELS / "lexical.json", documents_valid, args.target_recall, args.regularization,
                                   {"train": train_source, "valid": split_source("valid", args.valid_without)})
    config = default_cascade_config()
    base = config["variants"]["fasttext+embedding"]
    focus = next(stage.get("focus_words", 0) for stage in base["stages"] if stage["name"] == "embedding")
    stages = [ModelStage(FastTextTagger()), ModelStage(lexical, pool_only=True, stance=args.stance), ModelStage(EmbeddingTagger(precision="float32"), focus_words=focus)]
    cascade = CascadeTagger(BlocklistTagger(), stages, make_policy("misaligned"), config["escalate"], combine=True,
                            guard=tuple(config["guard"]), unmatched=base.get("unmatched", "clear"))
    variant = {**tune_cascade(cascade, documents_valid, args.target_recall), "combine": True,
               "unmatched": cascade.unmatched}
    variant["test"] = cascade_test_figures(cascade, variant["thresholds"], test)
    config["variants"][VARIANT] = variant
    if args.default:
        config["default_stages"] = VARIANT.split("+")
    (MODELS / "cascade.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"lexical: {len(lexical.model.vocabulary)} terms, thresholds {lexical.thresholds}, "
          f"{(MODELS / 'lexical.json').stat().st_size / 1e6:.1f} MB")
    print(f"{VARIANT}: {variant['stages']} thresholds {variant['thresholds']}")
    print(f"test (misaligned policy): {variant['test']['misaligned']['flagged_rate']}")


if __name__ == "__main__":
    main()
