"""Corpus analysis and diversity figures, each beside a baseline from the same run.

- ``analyze_corpus`` over a tagged corpus (built by tagging the web corpus of
  tagging_speed.py with the blocklist) against merely reading its records.
- ``analyze_diversity`` on the project's written labelled documents (a realistic set of
  documents with surface forms): time to embed, time for the blockwise near-duplicate pass
  against a full n x n similarity matrix, and the memory each needs.

    python benchmarks/analysis_speed.py [--mb 40] [--diversity-docs 2200]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import orjson  # noqa: E402
from _data import LABELLED, ROOT, WEB  # noqa: E402
from tagging_speed import build_corpus  # noqa: E402

from alignment_data.analysis import analyze_corpus  # noqa: E402
from alignment_data.analysis.diversity import analyze_diversity, nearest_and_clusters  # noqa: E402
from alignment_data.readers import iter_records  # noqa: E402
from alignment_data.tagging import BlocklistTagger  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def tagged_corpus(megabytes: float):
    raw = OUT / "analysis_raw.jsonl"
    build_corpus(raw, WEB, megabytes)
    tagged = OUT / "analysis_tagged.jsonl"
    tagger = BlocklistTagger()
    with open(raw, "rb") as source, open(tagged, "wb") as out:
        for line in source:
            row = orjson.loads(line)
            row["metadata"] = {"ai_discourse": tagger.tag(row["text"]).to_dict(), "source": "web"}
            out.write(orjson.dumps(row) + b"\n")
    return tagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=40.0)
    parser.add_argument("--diversity-docs", type=int, default=2200)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict = {}

    path = tagged_corpus(args.mb)
    size = path.stat().st_size
    start = time.perf_counter()
    count = sum(1 for _ in iter_records(path))
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    report = analyze_corpus(path)
    analyze_seconds = time.perf_counter() - start
    assert report.read == count
    results["analyze_corpus"] = {
        "file_mb": round(size / 1e6, 1), "documents": count,
        "read_records_mb_s": round(size / 1e6 / read_seconds, 1),
        "analyze_mb_s": round(size / 1e6 / analyze_seconds, 1),
        "analyze_share_of_read": round(read_seconds / analyze_seconds, 3),
    }

    try:
        from alignment_data.tagging.embedding import DocumentEmbedder
        embedder = DocumentEmbedder()
    except ImportError as error:
        results["diversity"] = f"skipped: {error}"
    else:
        source = LABELLED / "written"
        start = time.perf_counter()
        diversity = analyze_diversity(source, embedder, threshold=0.9, max_docs=args.diversity_docs)
        total = time.perf_counter() - start
        # the pairwise pass alone, blockwise against a full matrix, on unit vectors of the same shape
        vectors = np.random.default_rng(0).normal(size=(diversity.sampled, embedder.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        start = time.perf_counter()
        nearest_and_clusters(vectors, 0.9)
        blockwise = time.perf_counter() - start
        start = time.perf_counter()
        full = vectors @ vectors.T
        np.fill_diagonal(full, -np.inf)
        full.max(axis=1)
        full_seconds = time.perf_counter() - start
        summary = diversity.summary()
        results["diversity"] = {
            "documents": diversity.sampled,
            "total_seconds": round(total, 1),
            "docs_s": round(diversity.sampled / total, 2),
            "blockwise_pairwise_seconds": round(blockwise, 3),
            "blockwise_peak_block_mb": round(min(1024, diversity.sampled) * diversity.sampled * 4 / 1e6, 1),
            "full_matrix_seconds": round(full_seconds, 3),
            "full_matrix_mb": round(full.nbytes / 1e6, 1),
            "full_matrix_mb_at_1m_docs": round(1e6 * 1e6 * 4 / 1e6),
            "mean_pairwise_cosine": summary["mean_pairwise_cosine"],
            "near_duplicate_clusters": summary["near_duplicate_clusters"],
            "documents_in_clusters": summary["documents_in_clusters"],
        }
        diversity.save(OUT / "diversity_written")
    (OUT / "analysis_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
