"""datatrove steps that refill a filtered corpus: copies of kept documents, one per flagged
document, drawn from the documents' keys (see :mod:`alignment_data.mixing.replacement`)."""

from __future__ import annotations

import json
import re

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from alignment_data.errors import InputError
from alignment_data.mixing.replacement import REPLACEMENT_PURPOSE, Arrivals, arrivals_before, count_horizon, cutoff
from alignment_data.pipeline.counts import read_array, read_task_files, write_json
from alignment_data.readers import InputFiles, iter_file_records
from alignment_data.schema import Rejection


def task_files(folder: DataFolderLike, rank: int) -> list[str]:
    """The files a task of ``rank`` wrote to ``folder`` (``00003.jsonl.gz``, ``000_00003.parquet``...)."""
    pattern = re.compile(rf"(?:\d+_)?{rank:05d}\.[a-z.]+")
    return sorted(name for name in get_datafolder(folder).list_files() if pattern.fullmatch(name.rsplit("/", 1)[-1]))


def _global_counts(counts_folder: DataFolderLike) -> tuple[int, int]:
    """(kept, flagged) over every task of the run."""
    parts = read_task_files(counts_folder, ".counts.json")
    return sum(part["kept"] for part in parts), sum(part["flagged"] for part in parts)


class _Replacing(PipelineStep):
    """A step of a filter run's refill: it reads the run's counts and draws with ``seed``."""

    type = "✂️ - FORMAT"

    def __init__(self, counts_folder: DataFolderLike, seed: int = 0):
        super().__init__()
        self.counts_folder = counts_folder
        self.seed = seed


class DrawReplacements(_Replacing):
    """Computes, for each task, the replacement draws that can fall on its kept documents.

    A kept document's draws come from its key and ``seed`` only (see
    :mod:`alignment_data.mixing.replacement`), so any number of tasks draws the same copies:
    each task writes the arrivals of its own kept documents up to a horizon that covers as
    many draws as the whole run flagged (``NNNNN.arrivals.npz``); :class:`ReplaceFlagged`
    then cuts all tasks' arrivals at the same place.
    """

    name = "🎲 Draw replacements"

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        kept, flagged = _global_counts(self.counts_folder)
        keys = read_array(self.counts_folder, f"{rank:05d}.kept_keys.npy")
        drawn = arrivals_before(keys, count_horizon(flagged, kept) if flagged else 0.0, self.seed, REPLACEMENT_PURPOSE)
        with get_datafolder(self.counts_folder).open(f"{rank:05d}.arrivals.npz", "wb") as out:
            np.savez(out, index=drawn.index, number=drawn.number, time=drawn.time, hash=drawn.hash)


class ReplaceFlagged(_Replacing):
    """Writes copies of kept documents, one per flagged document of the whole run.

    The copies are uniform draws with replacement from all kept documents, keyed by their
    ids and the seed, so the filtered corpus keeps its document count (as in the study) and
    the same copies are drawn whatever the number of tasks: every task reads all tasks'
    arrivals (:class:`DrawReplacements`), finds the run's cut-off, and writes the copies
    that fall on its own kept files. Streaming: only the drawn positions are held in memory.
    A copy keeps its document's metadata (so kept and replacement files share one schema)
    and gets the id ``<id>#copy<k>`` (its k-th copy, from 0).
    """

    name = "♻ Replace flagged documents"

    def __init__(self, kept_folder: DataFolderLike, counts_folder: DataFolderLike, seed: int = 0):
        super().__init__(counts_folder, seed)
        self.kept_folder = kept_folder

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        with get_datafolder(self.counts_folder).open(f"{rank:05d}.counts.json", "r") as stream:
            wanted = json.load(stream)["flagged"]
        kept, flagged = _global_counts(self.counts_folder)
        picks: dict[int, list[int]] = {}
        if kept and flagged:
            last = cutoff(Arrivals.concat(self._arrivals()), flagged)
            mine = self._arrivals(rank)[0].not_after(last)
            for index, number in zip(mine.index.tolist(), mine.number.tolist()):
                picks.setdefault(index, []).append(number - 1)
        written = 0
        for index, record in enumerate(self._kept_records(rank) if picks else ()):
            for copy in sorted(picks.get(index, ())):
                yield Document(text=record.text, id=f"{record.id}#copy{copy}", metadata=dict(record.metadata))
                written += 1
        expected = sum(map(len, picks.values()))
        if written != expected:
            raise InputError(f"task {rank} drew {expected} copies but only {written} could be read from its kept files: "
                             "kept files are missing or changed", str(self.kept_folder))
        write_json(self.counts_folder, f"{rank:05d}.replace.json",
                   {"wanted": wanted, "written": written, "unreplaced": 0 if kept else wanted})

    def _arrivals(self, rank: int | None = None) -> list[Arrivals]:
        folder = get_datafolder(self.counts_folder)
        names = sorted(name for name in folder.list_files(recursive=False) if name.endswith(".arrivals.npz"))
        out = []
        for name in names if rank is None else [f"{rank:05d}.arrivals.npz"]:
            with folder.open(name, "rb") as stream:
                stored = np.load(stream)
                out.append(Arrivals(stored["index"], stored["number"], stored["time"], stored["hash"]))
        return out

    def _kept_records(self, rank: int):
        folder = get_datafolder(self.kept_folder)
        files = InputFiles(folder.fs, folder.path, tuple(task_files(folder, rank)), (), False)
        for name in files.names:
            for record in iter_file_records(files, name):
                if isinstance(record, Rejection):
                    raise InputError(f"kept output is unreadable: {record.reason}", record.file, record.line, record.field)
                yield record
