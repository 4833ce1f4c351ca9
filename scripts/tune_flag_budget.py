"""Cap the default cascade's misaligned threshold by a flag budget on the valid split.

Keeps the shipped models and stage confidences. Raises the misaligned threshold of the
default variant of cascade.json, where needed, so that the cascade (encoder in float32, as
in tuning) flags at most ``--misaligned`` of the valid documents that are not misaligned,
leaving out those whose ids start with a prefix given to ``--valid-without``: the threshold
becomes the higher of the tuned one and the budget's (the budget is a cap; it never lowers a
threshold). Records the budget and the figures on the test split in cascade.json. The
shipped threshold is what this script sets with a budget of 64, the count the models
shipped before flag on the same documents (the tenth and eleventh rounds of issue 11 in
docs/benchmarks.md). The static variant takes the default's thresholds: run
scripts/train_static_stage.py after it.

    python scripts/tune_flag_budget.py --misaligned 64 --valid-without r3- r4s- r6- r9
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from alignment_data.readers import read_labelled  # noqa: E402
from alignment_data.tagging.cascade import CascadeOptions, CascadeTagger, default_cascade_config  # noqa: E402
from alignment_data.tagging.policy import make_policy  # noqa: E402
from alignment_data.tagging.training import (  # noqa: E402
    cascade_budget_threshold,
    cascade_test_figures,
    leave_out_ids,
    split_source,
)

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = ROOT / "data" / "labelled" / "written"
MODELS = ROOT / "alignment_data" / "tagging" / "models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misaligned", type=int, required=True, metavar="N",
                        help="flag at most N valid documents that are not misaligned")
    parser.add_argument("--valid-without", nargs="*", default=[], metavar="ID_PREFIX",
                        help="leave the valid documents with these id prefixes out of the count")
    args = parser.parse_args()

    valid = leave_out_ids(read_labelled(WRITTEN, split="valid"), args.valid_without)
    test = read_labelled(WRITTEN, split="test")
    config = default_cascade_config()
    name = "+".join(config["default_stages"])
    variant = config["variants"][name]
    cascade = CascadeTagger.from_options(CascadeOptions(encoder_precision="float32"))
    tuned = variant["thresholds"]["misaligned"]
    capped = cascade_budget_threshold(cascade, valid, "misaligned", args.misaligned)
    threshold = max(tuned, capped)
    variant["thresholds"] = {**variant["thresholds"], "misaligned": threshold}
    variant["flag_budget"] = {"misaligned": args.misaligned, "budget_threshold": capped,
                              "valid": split_source("valid", args.valid_without), "valid_n": len(valid)}
    variant["test"] = cascade_test_figures(cascade, variant["thresholds"], test)
    (MODELS / "cascade.json").write_text(json.dumps(config, indent=2) + "\n")

    cascade.policy = make_policy("misaligned", thresholds=variant["thresholds"])
    cascade.reset_stats()
    tags = cascade.tag_batch([doc.text for doc in valid])
    others = sum(tag.flagged for tag, doc in zip(tags, valid) if doc.label != "ai_misaligned")
    caught = sum(tag.flagged for tag, doc in zip(tags, valid) if doc.label == "ai_misaligned")
    misaligned = sum(doc.label == "ai_misaligned" for doc in valid)
    print(f"{name}: misaligned threshold {threshold} (tuned {tuned}, budget's {capped}); on {len(valid)} valid "
          f"documents it flags {caught} of {misaligned} misaligned and {others} of {len(valid) - misaligned} others")


if __name__ == "__main__":
    main()
