"""Train the default models: the fastText tagger, the embedding head and the cascade settings.

The shipped fastText model, head and cascade settings are what this script makes on today's
labelled set with ``--valid-without r3- r4s- r6-`` (the models of docs/benchmarks.md's ninth
round of issue 11, shipped since its eleventh), followed by scripts/tune_flag_budget.py,
which sets the default cascade's misaligned threshold. Trains fastText on
the written train split plus the weak labels, and the embedding head on the written train
split alone (with the weak labels it flagged three times as many
unrelated validation documents at the same recall); chooses stage confidences and policy
thresholds on the valid split, without the documents whose ids start with a prefix given
to ``--valid-without``; records figures on the untouched test split in the model
cards and in cascade.json.

    python scripts/assign_splits.py
    python scripts/train_default_models.py --valid-without r3- r4s- r6-   # add --no-embedding without the semantic extra
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from alignment_data.readers import read_labelled
from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.cascade import CascadeTagger, ModelStage, default_guard
from alignment_data.tagging.fasttext import FastTextParams, FastTextTagger, write_card
from alignment_data.tagging.policy import make_policy
from alignment_data.tagging.quality import measure_tagger
from alignment_data.tagging.training import (
    leave_out_ids,
    split_source,
    train_embedding_tagger,
    train_fasttext_tagger,
    tune_cascade,
)

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "data" / "labelled"
MODELS = ROOT / "alignment_data" / "tagging" / "models"
CACHE = ROOT / "scripts" / ".cache"


def short(report: dict) -> dict:
    """The figures worth keeping in a card: flag rates, accuracy, per-label precision/recall."""
    out = {key: report[key] for key in ("n", "flagged_rate", "accuracy") if key in report}
    if "per_label" in report:
        out["per_label"] = {label: {k: m[k] for k in ("precision", "recall")} for label, m in report["per_label"].items()}
    return out


def load_cache(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        return {}
    with np.load(path) as stored:
        return {key: stored[key] for key in stored.files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-recall", type=float, default=0.95)
    parser.add_argument("--escalate", default="any_term", choices=("any_term", "flagged"))
    parser.add_argument("--no-embedding", action="store_true", help="skip the embedding head (no semantic extra)")
    parser.add_argument("--focus-words", type=int, default=40,
                        help="the embedding stage reads long documents only near their terms, in pieces of this many words (0: whole)")
    parser.add_argument("--unmatched", default="screen", choices=("clear", "screen"),
                        help="what a cascade of two stages or more does with a document that has no term (fastText alone clears it)")
    parser.add_argument("--valid-without", nargs="*", default=[], metavar="ID_PREFIX",
                        help="leave the valid documents with these id prefixes out of tuning, e.g. r3- r4s- r6- "
                             "(the batches added for issue 11)")
    parser.add_argument("--keep-fasttext", action="store_true",
                        help="keep the shipped fastText model; retrain the embedding head and retune the cascade")
    args = parser.parse_args()

    written = LABELLED / "written"
    written_train = read_labelled(written, split="train")
    train = written_train + read_labelled(LABELLED / "weak")
    valid = leave_out_ids(read_labelled(written, split="valid"), args.valid_without)
    test = read_labelled(written, split="test")
    valid_source = {"valid": split_source("valid", args.valid_without)}

    model_path = MODELS / "fasttext_ai_discourse.bin"
    if args.keep_fasttext:
        fasttext = FastTextTagger(model_path)
        fasttext_test = fasttext.card.get("test", {})
    else:
        fasttext = train_fasttext_tagger(train, model_path, valid, FastTextParams(), args.target_recall,
                                         {"train": "data/labelled/written (split=train) + data/labelled/weak", **valid_source})
        fasttext_test = {name: short(measure_tagger(FastTextTagger(model_path, policy=name), test)) for name in ("misaligned", "ai")}
        write_card(model_path, {**fasttext.card, "test": fasttext_test})
    print(f"fastText: {model_path.stat().st_size / 1e6:.2f} MB, thresholds {fasttext.thresholds}")

    stage_taggers = {"fasttext": lambda: FastTextTagger(model_path)}
    if not args.no_embedding:
        from alignment_data.tagging.embedding import DocumentEmbedder, EmbeddingTagger

        embedder = DocumentEmbedder()
        cache_file = CACHE / f"embeddings-{embedder.chunk_words}-{embedder.max_chunks}.npz"
        by_text = load_cache(cache_file)
        keyed = {doc.id: by_text[_key(doc.text)] for doc in written_train + valid if _key(doc.text) in by_text}
        head_path = MODELS / "embedding_head.json"
        embedding = train_embedding_tagger(written_train, head_path, valid, embedder, target_recall=args.target_recall,
                                           embeddings=keyed,
                                           card={"train": "data/labelled/written (split=train)", **valid_source})
        CACHE.mkdir(exist_ok=True)
        np.savez(cache_file, **{**by_text, **{_key(doc.text): keyed[doc.id] for doc in written_train + valid}})
        embedding_test = {name: short(measure_tagger(EmbeddingTagger(head_path, policy=name, encoder=embedder.encoder, precision="float32"), test))
                          for name in ("misaligned", "ai")}
        embedding.head.card["test"] = embedding_test
        embedding.head.save(head_path)
        stage_taggers["embedding"] = lambda: EmbeddingTagger(head_path, encoder=embedder.encoder, precision="float32")
        print(f"embedding head: thresholds {embedding.head.thresholds}")

    guard = default_guard()  # kept as shipped: the term categories only the last stage may clear
    variants = {}
    for names in [("fasttext",), ("fasttext", "embedding")]:
        if not all(name in stage_taggers for name in names):
            continue
        stages = [ModelStage(stage_taggers[name](), focus_words=args.focus_words if name == "embedding" else 0) for name in names]
        combine = len(names) > 1
        unmatched = args.unmatched if combine else "clear"  # fastText alone would read every web page
        cascade = CascadeTagger(BlocklistTagger(), stages, make_policy("misaligned"), args.escalate, combine, guard=guard,
                                unmatched=unmatched)
        settings = {**tune_cascade(cascade, valid, args.target_recall), "combine": combine, "unmatched": unmatched}
        settings["test"] = {}
        for name in ("misaligned", "ai"):
            cascade.policy = make_policy(name, thresholds=settings["thresholds"])
            cascade.reset_stats()
            report = measure_tagger(cascade, test)
            settings["test"][name] = {**short(report), "stages": report["stages"]}
        variants["+".join(names)] = settings
        print(f"cascade {'+'.join(names)}: {settings['stages']} thresholds {settings['thresholds']}")
    shipped = json.loads((MODELS / "cascade.json").read_text())
    derived = sorted(set(shipped["variants"]) - set(variants))  # e.g. the static variant, built on fasttext+embedding
    shipped.update({"escalate": args.escalate, "guard": list(guard), "variants": {**shipped["variants"], **variants}})
    (MODELS / "cascade.json").write_text(json.dumps(shipped, indent=2) + "\n")
    if derived:
        print(f"kept variants {derived} as they were: rerun scripts/train_static_stage.py to retune them on the new stages")
    for kind, figures in [("fasttext", fasttext_test)] + ([("embedding", embedding_test)] if not args.no_embedding else []) + \
            [(f"cascade {name}", v["test"]) for name, v in variants.items()]:
        for policy, r in figures.items():
            print(f"{kind:28s} policy={policy:10s} test flagged_rate={r['flagged_rate']} accuracy={r.get('accuracy')}")


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


if __name__ == "__main__":
    main()
