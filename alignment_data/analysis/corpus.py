"""Corpus statistics for notebooks: how much AI discourse, of which kind, where, how long.

:func:`analyze_corpus` streams a tagged corpus (or tags a raw one on the way) into
counters and fixed-bin length histograms, so memory stays flat however large the corpus;
:class:`CorpusReport` turns them into pandas DataFrames and PNG plots.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alignment_data.errors import InputError
from alignment_data.outputs import claim_output_folder
from alignment_data.readers import iter_records
from alignment_data.schema import TAG_KEY, Record, Rejection, Tag

# Word-count bins: 0, 1, 2, 4, ... 2**24 words.
LENGTH_BINS = np.array([0] + [2**power for power in range(25)])


def bin_labels() -> list[str]:
    """``0``, ``1``, ``2-3``, ``4-7``, ... and the open last bin."""
    edges = [int(edge) for edge in LENGTH_BINS]
    inner = [str(low) if high - low == 1 else f"{low}-{high - 1}" for low, high in zip(edges, edges[1:])]
    return inner + [f">={edges[-1]}"]


def _histogram() -> np.ndarray:
    return np.zeros(len(LENGTH_BINS), dtype=np.int64)


@dataclass
class CorpusReport:
    """Streaming counts of a corpus; the properties turn them into DataFrames."""

    read: int = 0
    rejected: Counter = field(default_factory=Counter)
    flagged: int = 0
    labels: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    terms_flagged: Counter = field(default_factory=Counter)
    terms_all: Counter = field(default_factory=Counter)
    stages: Counter = field(default_factory=Counter)
    sources: dict[str, Counter] = field(default_factory=dict)
    length_histograms: dict[str, np.ndarray] = field(default_factory=dict)
    length_sums: Counter = field(default_factory=Counter)

    def add(self, tag: Tag, words: int, source: str) -> None:
        self.read += 1
        label = tag.label or "unlabelled"
        self.labels[label] += 1
        self.stages[tag.stage] += 1
        self.terms_all.update(tag.terms)
        self.categories.update(tag.categories)
        by_source = self.sources.setdefault(source, Counter())
        by_source["documents"] += 1
        by_source[f"label:{label}"] += 1
        group = "flagged" if tag.flagged else "kept"
        if tag.flagged:
            self.flagged += 1
            self.reasons.update(tag.reasons)
            self.terms_flagged.update(tag.terms)
            by_source["flagged"] += 1
        for key in (group, f"label:{label}"):
            histogram = self.length_histograms.setdefault(key, _histogram())
            histogram[np.searchsorted(LENGTH_BINS, words, side="right") - 1] += 1
            self.length_sums[key] += words

    @property
    def overview(self) -> pd.DataFrame:
        total = self.read
        rows = [
            ("documents", total, 1.0 if total else 0.0),
            ("flagged", self.flagged, self.flagged / total if total else 0.0),
            ("kept", total - self.flagged, (total - self.flagged) / total if total else 0.0),
            ("rejected (not in documents)", sum(self.rejected.values()), None),
        ]
        rows += [(f"label: {label}", count, count / total) for label, count in sorted(self.labels.items())]
        return pd.DataFrame(rows, columns=["what", "count", "share"])

    @property
    def reasons_table(self) -> pd.DataFrame:
        """Why flagged documents were flagged: the cause the policy recorded (a model stage and
        threshold, or the blocklist categories under the blocklist policy)."""
        rows = [(reason, count, count / self.flagged) for reason, count in self.reasons.most_common()]
        return pd.DataFrame(rows, columns=["reason", "flagged_documents", "share_of_flagged"])

    @property
    def categories_table(self) -> pd.DataFrame:
        """Documents on which each blocklist category fired the study's rule, flagged or not."""
        rows = [(category, count, count / self.read) for category, count in self.categories.most_common()]
        return pd.DataFrame(rows, columns=["category", "documents", "share_of_documents"])

    @property
    def stages_table(self) -> pd.DataFrame:
        """Documents decided by each stage of the tagger."""
        rows = [(stage, count, count / self.read) for stage, count in self.stages.most_common()]
        return pd.DataFrame(rows, columns=["stage", "documents", "share_of_documents"])

    def top_terms(self, n: int = 20, flagged_only: bool = True) -> pd.DataFrame:
        counter = self.terms_flagged if flagged_only else self.terms_all
        base = self.flagged if flagged_only else self.read
        rows = [(term, count, count / base if base else 0.0) for term, count in counter.most_common(n)]
        return pd.DataFrame(rows, columns=["term", "documents", "share"])

    @property
    def by_source(self) -> pd.DataFrame:
        rows = []
        for source, counts in sorted(self.sources.items()):
            documents = counts["documents"]
            row = {"source": source, "documents": documents, "flagged": counts["flagged"],
                   "share_flagged": counts["flagged"] / documents}
            row.update({key.removeprefix("label:"): value for key, value in counts.items() if key.startswith("label:")})
            rows.append(row)
        return pd.DataFrame(rows).fillna(0) if rows else pd.DataFrame(columns=["source", "documents", "flagged", "share_flagged"])

    @property
    def lengths(self) -> pd.DataFrame:
        """Per group (kept, flagged, each label): documents, mean words and histogram quantiles."""
        rows = []
        for key, histogram in sorted(self.length_histograms.items()):
            count = int(histogram.sum())
            rows.append({
                "group": key, "documents": count, "mean_words": self.length_sums[key] / count,
                "median_words_approx": _quantile(histogram, 0.5), "p90_words_approx": _quantile(histogram, 0.9),
            })
        return pd.DataFrame(rows)

    @property
    def length_distribution(self) -> pd.DataFrame:
        """Documents per word-count bin (rows) and group (columns)."""
        frame = pd.DataFrame({key: histogram for key, histogram in sorted(self.length_histograms.items())}, index=bin_labels())
        return frame.loc[(frame.sum(axis=1) > 0).to_numpy()]

    def summary(self) -> dict:
        return {
            "command": "analyze",
            "documents": self.read,
            "flagged": self.flagged,
            "share_flagged": round(self.flagged / self.read, 6) if self.read else 0.0,
            "rejected": dict(self.rejected),
            "labels": dict(sorted(self.labels.items())),
            "stages": dict(self.stages),
            "top_reasons": dict(self.reasons.most_common(10)),
            "blocklist_categories": dict(self.categories.most_common()),
            "top_terms": dict(self.terms_flagged.most_common(20)),
        }

    def save(self, folder: str | os.PathLike) -> list[Path]:
        """Write the tables as CSV, the plots as PNG and ``summary.json``; return the paths."""
        from alignment_data.analysis.plots import plot_lengths, plot_reasons, plot_terms

        folder = claim_output_folder(folder, "analyze")
        written = []
        tables = {
            "overview.csv": self.overview, "reasons.csv": self.reasons_table, "top_terms.csv": self.top_terms(50),
            "blocklist_categories.csv": self.categories_table, "decided_by_stage.csv": self.stages_table,
            "by_source.csv": self.by_source, "lengths.csv": self.lengths, "length_distribution.csv": self.length_distribution,
        }
        for name, frame in tables.items():
            frame.to_csv(folder / name, index=name == "length_distribution.csv")
            written.append(folder / name)
        for name, plot in (("reasons.png", plot_reasons), ("top_terms.png", plot_terms), ("lengths.png", plot_lengths)):
            plot(self, folder / name)
            written.append(folder / name)
        (folder / "summary.json").write_text(json.dumps(self.summary(), indent=2) + "\n")
        written.append(folder / "summary.json")
        return written


def _quantile(histogram: np.ndarray, q: float) -> int:
    """Lower edge of the bin holding quantile ``q`` (the bins double, so this is within 2x)."""
    cumulative = np.cumsum(histogram)
    index = int(np.searchsorted(cumulative, q * cumulative[-1], side="left"))
    return int(LENGTH_BINS[min(index, len(LENGTH_BINS) - 1)])


def analyze_corpus(
    source: str | os.PathLike | Iterable[Record],
    tagger=None,
    source_key: str = "source",
    text_key: str = "text",
    batch_size: int = 256,
) -> CorpusReport:
    """Statistics of a corpus: a path (file or folder, JSONL or Parquet, local or URL) or an iterable of records.

    Documents must carry ``metadata["ai_discourse"]`` (the output of ``alignment-data tag``)
    unless a ``tagger`` is given, which then tags every document.
    """
    records = iter_records(source, text_key=text_key) if isinstance(source, (str, os.PathLike)) else iter(source)
    report = CorpusReport()
    batch: list[Record] = []
    for record in records:
        if isinstance(record, Rejection):
            report.rejected[record.reason] += 1
            continue
        if tagger is None:
            _add(report, record, _stored_tag(record), source_key)
            continue
        batch.append(record)
        if len(batch) >= batch_size:
            _add_batch(report, batch, tagger, source_key)
            batch = []
    if batch:
        _add_batch(report, batch, tagger, source_key)
    return report


def _stored_tag(record: Record) -> Tag:
    data = record.metadata.get(TAG_KEY)
    if not isinstance(data, dict):
        raise InputError(f"no {TAG_KEY!r} tag: analyse the output of `alignment-data tag`, or pass a tagger",
                         record.file, record.line, f"metadata.{TAG_KEY}")
    return Tag.from_dict(data, record.file, record.line)


def _add_batch(report: CorpusReport, batch: list[Record], tagger, source_key: str) -> None:
    for record, tag in zip(batch, tagger.tag_batch([record.text for record in batch])):
        _add(report, record, tag, source_key)


def _add(report: CorpusReport, record: Record, tag: Tag, source_key: str) -> None:
    report.add(tag, len(record.text.split()), str(record.metadata.get(source_key, "unknown")))
