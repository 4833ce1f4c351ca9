"""Shared inputs of the benchmarks: the external corpora and the labelled splits."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = ROOT.parent / "shared" / "external"
AI_DISCOURSE = EXTERNAL / "ai-discourse-real"
WEB = EXTERNAL / "web-sample"
LABELLED = ROOT / "data" / "labelled"


def read_texts(folder: Path, half: str = "all") -> dict[str, list[tuple[str, str]]]:
    """``{file name: [(id, text)]}`` for every JSONL file in ``folder``.

    ``half="odd"`` keeps the odd-numbered records only: the even ones are weak training
    labels of the shipped fastText model (scripts/make_weak_labels.py).
    """
    out = {}
    for path in sorted(folder.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.open(encoding="utf-8")]
        if half == "odd":
            rows = rows[1::2]
        out[path.name] = [(str(row["id"]), row["text"]) for row in rows]
    return out
