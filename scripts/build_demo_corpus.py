"""Build the bundled example corpus that ``alignment-data demo`` tags, analyses and filters.

A small, realistic mix: real web pages (mostly not about AI), real AI-safety and AI-research
writing, and documents from the project's labelled test split (aligned, misaligned and
neutral AI discourse, hard negatives), plus three deliberately broken lines that the
pipeline must reject and count. Provenance and licences: alignment_data/data/DEMO_DATA.md.

    python scripts/build_demo_corpus.py --external ../shared/external
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAKE = {
    "web-sample/dclm_human_annotated_web.jsonl": ("web", 150),
    "web-sample/dolma_test_fixture_docs.jsonl": ("web", 30),
    "ai-discourse-real/stampy_aisafety_faq.jsonl": ("ai_safety_faq", 25),
    "ai-discourse-real/alignment_forum_posts.jsonl": ("ai_forum", 15),
    "ai-discourse-real/alignment_newsletter_summaries.jsonl": ("ai_newsletter", 25),
    "ai-discourse-real/ai_alignment_papers_abstracts.jsonl": ("ai_papers", 25),
}
WRITTEN_PER_LABEL = 15
MAX_WORDS = 1200  # keeps the demo quick: longer documents cost the encoder up to 8 chunks each
BROKEN_LINES = [
    b'{"id": "broken-json", "text": "this line was cut off in the middle\n',
    b'{"id": "empty-text", "text": "   "}\n',
    b'{"id": "no-text", "body": "the text is under another key"}\n',
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--external", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = []
    for relative, (source, count) in TAKE.items():
        with open(args.external / relative, encoding="utf-8") as stream:
            records = [json.loads(line) for line in stream]
        odd = records[1::2]  # the even records are weak training labels; keep the demo unseen
        odd = [record for record in odd if len(record["text"].split()) <= MAX_WORDS]
        for record in rng.sample(odd, min(count, len(odd))):
            rows.append({"id": str(record["id"]), "text": record["text"], "source": source, "origin": relative})
    written = [json.loads(line) for path in sorted((ROOT / "data/labelled/written").glob("*.jsonl")) for line in open(path, encoding="utf-8")]
    test = [row for row in written if row["split"] == "test"]
    for label in ("ai_misaligned", "ai_aligned", "ai_neutral", "not_ai"):
        candidates = [row for row in test if row["label"] == label]
        for row in rng.sample(candidates, min(WRITTEN_PER_LABEL, len(candidates))):
            rows.append({"id": row["id"], "text": row["text"], "source": "project_written", "origin": "data/labelled/written (split=test)"})
    rng.shuffle(rows)
    lines = [json.dumps(row, ensure_ascii=False).encode() + b"\n" for row in rows]
    for broken in BROKEN_LINES:
        lines.insert(rng.randrange(len(lines)), broken)
    out = ROOT / "alignment_data" / "data" / "demo_corpus.jsonl.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out, "wb", mtime=0) as stream:
        stream.writelines(lines)
    print(f"{out}: {len(rows)} documents + {len(BROKEN_LINES)} broken lines, {out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
