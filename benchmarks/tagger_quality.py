"""Tagger quality: recall on real AI discourse, flag rate on real web text, and held-out scores.

- Blocklist (the study's rule) against a naive keyword baseline ("AI", "artificial
  intelligence", "robot" anywhere): recall on every real AI-discourse document, share of
  real web pages flagged (the study flagged 9.30% of its pretraining data).
- fastText, the embedding model and the cascades, with policies ``ai`` and ``misaligned``,
  on the odd-numbered real documents, which no model saw.
- Every tagger on the held-out test split of the labelled set: flag rates per true label
  under the ``misaligned`` policy, per-label precision and recall.

The blocklist's recall is also given per half of the real documents: term additions since
the thirteenth round of issue 11 were chosen on the even half, so the odd half judges them.

    python benchmarks/tagger_quality.py [--blocklist-only]
"""

from __future__ import annotations

import argparse
import json
import os
import re

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from _data import AI_DISCOURSE, LABELLED, ROOT, WEB, read_texts  # noqa: E402

from alignment_data.readers import read_labelled  # noqa: E402
from alignment_data.tagging import TaggerSpec, measure_tagger  # noqa: E402

NAIVE = re.compile(r"\b(AI|artificial intelligence|robots?)\b", re.IGNORECASE)
STUDY_WEB_FLAG_RATE = 0.093


def flagged(tagger, texts: list[str]) -> list[bool]:
    out: list[bool] = []
    for start in range(0, len(texts), 256):
        out.extend(tag.flagged for tag in tagger.tag_batch(texts[start : start + 256]))
    return out


def share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4)


def flag_rate(tagger, texts: list[str]) -> float:
    return sum(flagged(tagger, texts)) / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocklist-only", action="store_true", help="only the blocklist's figures (seconds, not minutes)")
    args = parser.parse_args()
    results: dict = {}
    blocklist = TaggerSpec("blocklist").build()
    ai = read_texts(AI_DISCOURSE)
    web = [text for rows in read_texts(WEB).values() for _, text in rows]
    flags = {name: flagged(blocklist, [text for _, text in rows]) for name, rows in ai.items()}  # tagged once
    all_ai = [text for rows in ai.values() for _, text in rows]
    results["blocklist"] = {
        "recall_ai_discourse_real": share([f for file_flags in flags.values() for f in file_flags]),
        "recall_by_file": {name: share(file_flags) for name, file_flags in flags.items()},
        "recall_by_half": {
            half: share([f for file_flags in flags.values() for f in file_flags[start::2]])
            for half, start in (("even", 0), ("odd", 1))
        },
        "web_sample_flagged": round(flag_rate(blocklist, web), 4),
        "study_web_flag_rate": STUDY_WEB_FLAG_RATE,
        "documents": {"ai_discourse_real": len(all_ai), "web_sample": len(web)},
    }
    results["naive_keywords"] = {
        "recall_ai_discourse_real": round(sum(bool(NAIVE.search(text)) for text in all_ai) / len(all_ai), 4),
        "web_sample_flagged": round(sum(bool(NAIVE.search(text)) for text in web) / len(web), 4),
    }

    if args.blocklist_only:
        print(json.dumps(results, indent=2))
        return
    unseen_ai = [text for rows in read_texts(AI_DISCOURSE, half="odd").values() for _, text in rows]
    unseen_web = [text for rows in read_texts(WEB, half="odd").values() for _, text in rows]
    specs = {"fasttext": TaggerSpec("fasttext"), "cascade fasttext": TaggerSpec.of("cascade", stages=("fasttext",))}
    try:
        TaggerSpec("embedding").build()
    except ImportError as error:
        results["embedding"] = f"skipped: {error}"
    else:
        specs["embedding"] = TaggerSpec("embedding")
        specs["cascade fasttext+embedding"] = TaggerSpec.of("cascade", stages=("fasttext", "embedding"))
    results["unseen_real"] = {"documents": {"ai_discourse_real": len(unseen_ai), "web_sample": len(unseen_web)}}
    for name, spec in specs.items():
        entry = {}
        for policy in ("ai", "misaligned"):
            tagger = TaggerSpec(spec.name, {**spec.to_dict()["options"], "policy": policy}).build()
            entry[f"policy_{policy}"] = {
                "ai_discourse_real_flagged": round(flag_rate(tagger, unseen_ai), 4),
                "web_sample_flagged": round(flag_rate(tagger, unseen_web), 4),
            }
        results["unseen_real"][name] = entry

    test = read_labelled(LABELLED / "written", split="test")
    results["test_split"] = {"documents": len(test), "taggers": {}}
    for name, spec in {"blocklist": TaggerSpec("blocklist"), **specs}.items():
        report = measure_tagger(spec.build(), test)
        entry = {"flagged_rate": report["flagged_rate"]}
        if "per_label" in report:
            entry["accuracy"] = report["accuracy"]
            entry["per_label"] = {label: {key: m[key] for key in ("precision", "recall")} for label, m in report["per_label"].items()}
        if "stages" in report:
            entry["stages"] = {stage: {"seen": s["seen"], "escalated": s["escalated"]} for stage, s in report["stages"].items()}
        results["test_split"]["taggers"][name] = entry

    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "tagger_quality.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
