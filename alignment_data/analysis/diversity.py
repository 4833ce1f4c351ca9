"""Semantic diversity of a set of (synthetic) documents, before paying to train on them.

Each document is embedded (see :class:`~alignment_data.tagging.embedding.DocumentEmbedder`).
The report gives the mean pairwise cosine similarity, overall and within each scenario,
stance and surface form; near-duplicate clusters (documents linked by cosine similarity at
or above a threshold, joined transitively); each document's nearest-neighbour similarity;
and coverage: documents per scenario, stance and surface form, and scenarios missing a
stance. Pairwise work is done in blocks, so memory stays at one block of similarities.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alignment_data.outputs import claim_output_folder
from alignment_data.readers import iter_records
from alignment_data.schema import STANCES, Record, Rejection

GROUP_KEYS = ("scenario_id", "stance", "surface_form")
BLOCK = 1024
DEFAULT_THRESHOLD = 0.9
DEFAULT_MAX_DOCS = 20_000


@dataclass
class DiversityReport:
    documents: pd.DataFrame  # id, scenario_id, stance, surface_form, nearest_similarity, cluster
    mean_similarity: float
    threshold: float
    read: int
    sampled: int
    rejected: int
    group_similarity: dict[str, pd.DataFrame]

    @property
    def clusters(self) -> pd.DataFrame:
        """Near-duplicate clusters of two or more documents, largest first."""
        frame = self.documents[self.documents["cluster"] >= 0]
        if frame.empty:
            return pd.DataFrame(columns=["cluster", "size", "ids", "scenarios", "stances"])
        grouped = frame.groupby("cluster")
        table = pd.DataFrame({
            "size": grouped.size(),
            "ids": grouped["id"].apply(lambda ids: list(ids)[:10]),
            "scenarios": grouped["scenario_id"].nunique(),
            "stances": grouped["stance"].apply(lambda values: sorted(set(values))),
        }).reset_index()
        return table.sort_values(["size", "cluster"], ascending=[False, True]).reset_index(drop=True)

    @property
    def coverage(self) -> pd.DataFrame:
        """Documents per scenario and stance, with the number of distinct surface forms."""
        docs = self.documents
        table = docs.pivot_table(index="scenario_id", columns="stance", values="id", aggfunc="count", fill_value=0)
        for stance in STANCES:
            if stance not in table.columns:
                table[stance] = 0
        table["surface_forms"] = docs.groupby("scenario_id")["surface_form"].nunique()
        table["documents"] = docs.groupby("scenario_id").size()
        return table.reset_index()

    def summary(self) -> dict:
        docs = self.documents
        coverage = self.coverage
        clustered = int((docs["cluster"] >= 0).sum())
        return {
            "command": "diversity",
            "read": self.read,
            "rejected": self.rejected,
            "documents_analysed": self.sampled,
            "mean_pairwise_cosine": round(self.mean_similarity, 6),
            "near_duplicate_threshold": self.threshold,
            "near_duplicate_clusters": int(docs.loc[docs["cluster"] >= 0, "cluster"].nunique()),
            "documents_in_clusters": clustered,
            "share_in_clusters": round(clustered / len(docs), 6) if len(docs) else 0.0,
            "median_nearest_similarity": round(float(docs["nearest_similarity"].median()), 6) if len(docs) > 1 else None,
            "scenarios": int(docs["scenario_id"].nunique()),
            "scenarios_missing_a_stance": int(((coverage[list(STANCES)] == 0).any(axis=1)).sum()),
            "stances": docs["stance"].value_counts().to_dict(),
            "surface_forms": docs["surface_form"].value_counts().to_dict(),
        }

    def save(self, folder: str | os.PathLike) -> list[Path]:
        from alignment_data.analysis.plots import plot_nearest_similarity

        folder = claim_output_folder(folder, "diversity")
        written = []
        tables = {"documents.csv": self.documents, "clusters.csv": self.clusters, "coverage.csv": self.coverage}
        tables.update({f"similarity_by_{key}.csv": frame for key, frame in self.group_similarity.items()})
        for name, frame in tables.items():
            frame.to_csv(folder / name, index=False)
            written.append(folder / name)
        plot_nearest_similarity(self, folder / "nearest_similarity.png")
        written.append(folder / "nearest_similarity.png")
        (folder / "summary.json").write_text(json.dumps(self.summary(), indent=2) + "\n")
        written.append(folder / "summary.json")
        return written


def _field(record: Record, key: str) -> str:
    value = record.metadata.get(key)
    if value is None and isinstance(record.metadata.get("metadata"), dict):
        value = record.metadata["metadata"].get(key)
    return "unknown" if value is None else str(value)


def mean_pairwise_similarity(embeddings: np.ndarray) -> float:
    """Mean cosine similarity over distinct pairs of unit vectors, in O(n d)."""
    n = len(embeddings)
    if n < 2:
        return float("nan")
    total = embeddings.sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))


def nearest_and_clusters(embeddings: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Each row's highest similarity to another row, and its near-duplicate cluster (-1 if none)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(embeddings)
    nearest = np.full(n, np.nan, dtype=np.float32)
    sources, targets = [], []
    for start in range(0, n if n > 1 else 0, BLOCK):
        block = embeddings[start : start + BLOCK] @ embeddings.T
        rows = np.arange(len(block))
        block[rows, start + rows] = -np.inf  # not its own neighbour
        nearest[start : start + len(block)] = block.max(axis=1)
        row, column = np.nonzero(block >= threshold)
        keep = column > start + row
        sources.append(start + row[keep])
        targets.append(column[keep])
    clusters = np.full(n, -1)
    if sources and sum(len(part) for part in sources):
        edges = coo_matrix((np.ones(sum(map(len, sources))), (np.concatenate(sources), np.concatenate(targets))), shape=(n, n))
        _, components = connected_components(edges, directed=False)
        sizes = np.bincount(components)
        numbers = {component: number for number, component in enumerate(sorted(set(components[sizes[components] > 1])))}
        clusters = np.array([numbers.get(component, -1) for component in components])
    return nearest, clusters


def analyze_diversity(
    source, embedder, threshold: float = DEFAULT_THRESHOLD, max_docs: int | None = DEFAULT_MAX_DOCS,
    text_key: str = "text", seed: int = 0
) -> DiversityReport:
    """Diversity of the documents at ``source`` (a path, or an iterable of records).

    Documents carry ``scenario_id``, ``stance`` and ``surface_form`` as fields or in
    ``metadata`` (missing ones count as "unknown"). Above ``max_docs`` a uniform sample
    (reservoir, ``seed``) is analysed, and the report says so.
    """
    records = iter_records(source, text_key=text_key) if isinstance(source, (str, os.PathLike)) else iter(source)
    rng = random.Random(seed)
    sample: list[Record] = []
    read = rejected = 0
    for record in records:
        if isinstance(record, Rejection):
            rejected += 1
            continue
        read += 1
        if max_docs is None or len(sample) < max_docs:
            sample.append(record)
        else:
            slot = rng.randrange(read)
            if slot < max_docs:
                sample[slot] = record
    embeddings = embedder.embed([record.text for record in sample]) if sample else np.zeros((0, 1), dtype=np.float32)
    nearest, clusters = nearest_and_clusters(embeddings, threshold)
    documents = pd.DataFrame({
        "id": [record.id for record in sample],
        **{key: [_field(record, key) for record in sample] for key in GROUP_KEYS},
        "nearest_similarity": nearest,
        "cluster": clusters,
    })
    group_similarity = {}
    for key in GROUP_KEYS:
        rows = []
        for value, index in documents.groupby(key).groups.items():
            rows.append({key: value, "documents": len(index),
                         "mean_pairwise_cosine": mean_pairwise_similarity(embeddings[np.asarray(index)])})
        group_similarity[key] = pd.DataFrame(rows)
    return DiversityReport(documents, mean_pairwise_similarity(embeddings), threshold, read, len(sample), rejected, group_similarity)
