"""PNG plots of a :class:`~alignment_data.analysis.corpus.CorpusReport`, like the study's filter figure."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _save(figure, path: str | os.PathLike) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_reasons(report, path: str | os.PathLike) -> None:
    """Horizontal bars: flagged documents per reason (term category or model decision)."""
    table = report.reasons_table
    figure, axes = plt.subplots(figsize=(7, 0.4 * max(len(table), 3) + 1))
    axes.barh(table["reason"][::-1], table["flagged_documents"][::-1], color="#c0504d")
    axes.set_xlabel("flagged documents")
    axes.set_title(f"Why documents were flagged ({report.flagged} of {report.read})")
    _save(figure, path)


def plot_terms(report, path: str | os.PathLike, top: int = 20) -> None:
    """Horizontal bars: the ``top`` terms by number of flagged documents containing them."""
    table = report.top_terms(top)
    figure, axes = plt.subplots(figsize=(7, 0.3 * max(len(table), 3) + 1))
    axes.barh(table["term"][::-1], table["documents"][::-1], color="#4f81bd")
    axes.set_xlabel("flagged documents containing the term")
    axes.set_title(f"Top {len(table)} matched terms in flagged documents")
    _save(figure, path)


def plot_lengths(report, path: str | os.PathLike) -> None:
    """Document length (words, doubling bins) of kept and flagged documents, as shares."""
    frame = report.length_distribution
    groups = [group for group in ("kept", "flagged") if group in frame.columns]
    figure, axes = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(len(groups), 1)
    for offset, group in enumerate(groups):
        shares = frame[group] / max(frame[group].sum(), 1)
        axes.bar([x + offset * width for x in range(len(frame))], shares, width=width, label=group)
    axes.set_xticks(range(len(frame)), frame.index, rotation=45, ha="right")
    axes.set_xlabel("words per document")
    axes.set_ylabel("share of group")
    axes.legend()
    axes.set_title("Length distribution")
    _save(figure, path)


def plot_nearest_similarity(report, path: str | os.PathLike) -> None:
    """Histogram of each document's highest cosine similarity to another document."""
    values = report.documents["nearest_similarity"].dropna()
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.hist(values, bins=40, range=(min(0.0, float(values.min())) if len(values) else 0.0, 1.0), color="#4f81bd")
    axes.axvline(report.threshold, color="#c0504d", linestyle="--", label=f"near-duplicate threshold {report.threshold}")
    axes.set_xlabel("cosine similarity to the nearest other document")
    axes.set_ylabel("documents")
    axes.set_title(f"Nearest-neighbour similarity ({len(values)} documents, mean pairwise {report.mean_similarity:.3f})")
    axes.legend()
    _save(figure, path)
