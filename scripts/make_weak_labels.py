"""Weak labels for real documents: AI-safety writing, capability writing and ordinary web pages.

Reads the externally written corpora (see docs/data.md for provenance and
licences) and writes labelled JSONL under data/labelled/weak/. Rules, from the source and
its own metadata only (never from our taggers):

- Stampy AI-safety FAQ and Alignment Forum posts: ``ai_misaligned`` (they discuss how AI
  systems could act against human intent).
- Alignment Newsletter summaries: by the newsletter's own section, capability sections
  ``ai_neutral``, safety sections ``ai_misaligned``; news, forecasting, governance and
  field-building sections are skipped as ambiguous.
- Alignment paper abstracts: Zotero tag ``NotSafety`` gives ``ai_neutral``, a safety tag
  ``ai_misaligned``; untagged or ambiguous rows are skipped.
- DCLM and Dolma web pages: ``not_ai``, skipping pages that mention obvious AI words.

Only the even-numbered records of each file are written, so the odd-numbered ones stay
unseen by every model and can be used for evaluation.

    python scripts/make_weak_labels.py --external ../shared/external --output data/labelled/weak
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

CAPABILITY_SECTIONS = {
    "Deep learning", "Reinforcement learning", "Adversarial examples", "Meta learning", "Machine learning",
    "Unsupervised learning", "Exploration", "Hierarchical RL", "Multiagent RL", "Applications",
    "Miscellaneous (AI)", "Miscellaneous (Capabilities)", "Recommender systems", "Privacy and security",
    "Fairness and bias",
}
AMBIGUOUS_SECTIONS = {"News", "Forecasting", "AI governance", "Field building", "Previous newsletters"}
OBVIOUS_AI = re.compile(r"\b(AI|A\.I\.|artificial intelligence|robots?|machine learning|neural networks?|chatbots?)\b", re.I)

LICENCES = {
    "ai-discourse-real/alignment_forum_posts.jsonl": "MIT (awestover/filtering-for-misalignment)",
    "ai-discourse-real/stampy_aisafety_faq.jsonl": "MIT (moirage/alignment-research-dataset)",
    "ai-discourse-real/alignment_newsletter_summaries.jsonl": "MIT (StampyAI/alignment-research-dataset)",
    "ai-discourse-real/ai_alignment_papers_abstracts.jsonl": "MIT (StampyAI/alignment-research-dataset)",
    "web-sample/dclm_human_annotated_web.jsonl": "MIT (mlfoundations/dclm); Common Crawl pages",
    "web-sample/dolma_test_fixture_docs.jsonl": "Apache-2.0 (allenai/dolma); Common Crawl pages",
}


def weak_label(relative: str, record: dict) -> tuple[str, str] | None:
    """The weak label and the rule that gave it, or None to skip the record."""
    if relative.endswith(("stampy_aisafety_faq.jsonl", "alignment_forum_posts.jsonl")):
        return "ai_misaligned", "ai-safety source"
    if relative.endswith("alignment_newsletter_summaries.jsonl"):
        section = record.get("category") or ""
        if section in AMBIGUOUS_SECTIONS or not section:
            return None
        if section in CAPABILITY_SECTIONS:
            return "ai_neutral", f"newsletter section {section!r}"
        return "ai_misaligned", f"newsletter section {section!r}"
    if relative.endswith("ai_alignment_papers_abstracts.jsonl"):
        tags = {tag.strip() for tag in (record.get("manual_tags") or "").split(";") if tag.strip()}
        if "NotSafety" in tags:
            return "ai_neutral", "zotero tag NotSafety"
        if any("Safety" in tag and "Ambigu" not in tag for tag in tags) and not any("Ambigu" in tag for tag in tags):
            return "ai_misaligned", "zotero safety tag"
        return None
    if OBVIOUS_AI.search(record["text"]):
        return None
    return "not_ai", "web page without AI words"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--external", required=True, type=Path)
    parser.add_argument("--output", required=True, type=Path)
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    out_files = {"ai-discourse-real": "real_ai_discourse.jsonl", "web-sample": "real_web.jsonl"}
    for folder, name in out_files.items():
        rows = []
        for relative, licence in LICENCES.items():
            if not relative.startswith(folder):
                continue
            with open(args.external / relative, encoding="utf-8") as stream:
                for number, line in enumerate(stream):
                    if number % 2:
                        continue
                    record = json.loads(line)
                    decided = weak_label(relative, record)
                    if decided is None:
                        continue
                    label, rule = decided
                    rows.append({
                        "id": f"weak-{record['id']}", "label": label, "text": record["text"],
                        "source": relative, "licence": licence, "weak_rule": rule,
                    })
        with open(args.output / name, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["label"]] = counts.get(row["label"], 0) + 1
        print(f"{name}: {len(rows)} documents {counts}")
    licences = args.output / "LICENSES"
    licences.mkdir(exist_ok=True)
    for licence in sorted((args.external / "ai-discourse-real").glob("LICENSE*")) + sorted((args.external / "web-sample").glob("LICENSE*")):
        shutil.copy(licence, licences / licence.name)


if __name__ == "__main__":
    main()
