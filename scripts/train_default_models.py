"""Reproduce the shipped fastText model, its card and the cascade settings.

Trains on the written train split plus the weak labels, chooses the policy thresholds on
the valid split (for the fastText tagger alone and for the cascade), and records the
figures on the untouched test split in the model card.

    python scripts/assign_splits.py
    python scripts/train_default_models.py
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from alignment_data.io import read_labelled
from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.cascade import CascadeTagger, ModelStage
from alignment_data.tagging.evaluate import evaluate_tagger
from alignment_data.tagging.fasttext import FastTextParams, FastTextTagger, write_card
from alignment_data.tagging.policy import make_policy
from alignment_data.tagging.training import train_fasttext_tagger, tune_thresholds

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "data" / "labelled"
MODELS = ROOT / "alignment_data" / "tagging" / "models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-recall", type=float, default=0.95)
    parser.add_argument("--escalate", default="any_term", choices=("any_term", "flagged"))
    args = parser.parse_args()

    written = LABELLED / "written"
    train = read_labelled(written, split="train") + read_labelled(LABELLED / "weak")
    valid = read_labelled(written, split="valid")
    test = read_labelled(written, split="test")
    model_path = MODELS / "fasttext_ai_discourse.bin"
    params = FastTextParams()
    card = {"train": "data/labelled/written (split=train) + data/labelled/weak", "valid": "data/labelled/written (split=valid)"}
    fasttext = train_fasttext_tagger(train, model_path, valid, params, args.target_recall, card)
    report = {"fasttext": {}, "cascade": {}}
    for name in ("misaligned", "ai"):
        tagger = FastTextTagger(model_path, policy=name)
        report["fasttext"][name] = evaluate_tagger(tagger, test)

    def cascade(policy_name: str, thresholds: dict) -> CascadeTagger:
        policy = make_policy(policy_name, thresholds=thresholds)
        return CascadeTagger(BlocklistTagger(), [ModelStage(FastTextTagger(model_path))], policy, args.escalate)

    cascade_thresholds = tune_thresholds(cascade("misaligned", {}), valid, args.target_recall)
    for name in ("misaligned", "ai"):
        report["cascade"][name] = evaluate_tagger(cascade(name, cascade_thresholds), test)
    write_card(model_path, {**fasttext.card, "test": {name: _short(r) for name, r in report["fasttext"].items()}})
    (MODELS / "cascade.json").write_text(json.dumps({
        "escalate": args.escalate,
        "thresholds": cascade_thresholds,
        "target_recall": args.target_recall,
        "test": {name: _short(r) for name, r in report["cascade"].items()},
    }, indent=2, sort_keys=True) + "\n")
    size = model_path.stat().st_size / 1e6
    print(f"model {model_path.name}: {size:.2f} MB, fastText thresholds {fasttext.card['thresholds']}, cascade {cascade_thresholds}")
    for kind, by_policy in report.items():
        for name, r in by_policy.items():
            print(f"{kind:9s} policy={name:10s} test flagged_rate={r['flagged_rate']} accuracy={r.get('accuracy')}")


def _short(report: dict) -> dict:
    return {key: report[key] for key in ("n", "flagged_rate", "accuracy") if key in report}


if __name__ == "__main__":
    main()
