"""Give every written labelled document a ``split`` field (train / valid / test) from its id.

A document's split depends on its id alone (SHA-256 mapped to [0, 1): below 0.6 train,
below 0.8 valid, else test), so adding documents never moves existing ones between splits
and the test split stays unseen by every model and threshold. A document that mirrors
another (``mirror``: the same setup with the opposite choice) takes the split of the one it
mirrors, so a pair never straddles train and valid or test. Rewrites the files in place.

    python scripts/assign_splits.py        # data/labelled/written/*.jsonl
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

WRITTEN = Path(__file__).resolve().parents[1] / "data" / "labelled" / "written"
BOUNDS = (("train", 0.6), ("valid", 0.8), ("test", 1.0))


def split_of(doc_id: str) -> str:
    value = int.from_bytes(hashlib.sha256(doc_id.encode()).digest()[:8], "big") / 2**64
    return next(name for name, bound in BOUNDS if value < bound)


def main() -> None:
    counts: Counter = Counter()
    for path in sorted(WRITTEN.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
        for row in rows:
            row["split"] = split_of(row.get("mirror") or row["id"])
            counts[(row["split"], row["label"])] += 1
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    for split, _ in BOUNDS:
        print(split, {label: n for (s, label), n in sorted(counts.items()) if s == split})


if __name__ == "__main__":
    main()
