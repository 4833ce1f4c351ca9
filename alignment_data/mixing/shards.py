"""Cutting a planned stream into stages and output files as it is produced, writing each
file's list of spans to copy.

Token files hold whole samples (``shard_size`` tokens, a multiple of sequence length + 1):
a document that crosses a file or stage boundary is split there, its first piece ending
the earlier file (the index marks the cut) and the rest opening the next one, so a
trainer stepping through stage 0 stops exactly at the step where stage 1 starts. Text
files hold whole documents: a text file (and a stage) starts at the first document that
starts in it.

``OUTPUT/plan/plan.json`` lists the stages and files; ``OUTPUT/plan/NNNNN.parquet`` holds,
per file, one row per span: ``source``, ``part``, ``row``, ``copy``, ``token_start`` (in the
source token file), ``tokens``, ``end_of_document``, ``first_piece``, ``document_tokens``,
``offset`` (in the stream), ``text_start`` and ``text_bytes`` (the document's JSON line).
Spans are written in row groups as they come, so memory holds one group at a time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from alignment_data.mixing.plan import SYNTHETIC, Items, Stage
from alignment_data.mixing.recipes import MixSettings

SUFFIXES = {"tokens": ".ds", "jsonl": ".jsonl", "parquet": ".parquet"}
GROUP = 65_536  # spans per row group of a plan file


class _PlanFile:
    """One output file's span list, written in row groups."""

    def __init__(self, folder: Path, number: int, stage: int, index: int, start: int, output_format: str):
        self.entry = {"stage": stage, "index": index, "start": start, "end": start,
                      "file": f"stage-{stage}/{index:05d}{SUFFIXES[output_format]}", "plan": f"{folder.name}/{number:05d}.parquet",
                      "tokens": 0, "documents": 0, "documents_starting": 0, "synthetic_tokens": 0}
        self.path = folder / f"{number:05d}.parquet"
        self.writer: pq.ParquetWriter | None = None
        self.pending: list[pa.Table] = []
        self.rows = 0

    def add(self, spans: dict[str, np.ndarray]) -> None:
        if not len(spans["tokens"]):
            return
        entry = self.entry
        entry["end"] = int(spans["offset"][-1] + spans["tokens"][-1])
        entry["tokens"] += int(spans["tokens"].sum())
        entry["documents"] += int(spans["end_of_document"].sum())
        entry["documents_starting"] += int(spans["first_piece"].sum())
        entry["synthetic_tokens"] += int(spans["tokens"][spans["source"] == SYNTHETIC].sum())
        self.pending.append(pa.Table.from_arrays(list(spans.values()), names=list(spans)))
        self.rows += len(spans["tokens"])
        if self.rows >= GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            table = pa.concat_tables(self.pending)
            self.writer = self.writer or pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self.writer.write_table(table)
            self.pending, self.rows = [], 0

    def close(self) -> dict:
        self._flush()
        if self.writer is not None:
            self.writer.close()
        return self.entry


class PlanWriter:
    """Receives the stream's items in order and writes the plan of every output file."""

    def __init__(self, folder: Path, settings: MixSettings, stages: list[Stage]):
        self.folder, self.settings, self.stages = folder, settings, stages
        folder.mkdir(parents=True, exist_ok=True)
        self.size = settings.shard_size
        self.offset = 0
        self.files: list[dict] = []
        self.current: _PlanFile | None = None
        self.current_key: tuple[int, int] | None = None
        self.per_stage = [0] * len(stages)
        self.tokens = np.zeros(3, np.int64)
        self.documents = np.zeros(3, np.int64)
        self.stage_synthetic = [0] * len(stages)

    def add(self, items: Items) -> None:
        if not len(items):
            return
        starts = self.offset + np.cumsum(items.tokens) - items.tokens
        self.offset = int(starts[-1] + items.tokens[-1])
        np.add.at(self.tokens, items.source, items.tokens)
        np.add.at(self.documents, items.source, 1)
        if self.settings.format == "tokens":
            self._cut_tokens(items, starts)
        else:
            self._cut_documents(items, starts)

    def _cut_tokens(self, items: Items, starts: np.ndarray) -> None:
        """Files of whole samples: every file boundary the items cross splits the item there."""
        ends = starts + items.tokens
        while True:
            if self.current is None or self.current.entry["end"] >= self._file_end():
                self._next_file()
            low, high = self.current.entry["end"], self._file_end()
            first, last = int(np.searchsorted(ends, low, side="right")), int(np.searchsorted(starts, high, side="left"))
            self.current.add(_spans(items.take(slice(first, last)), starts[first:last], low, high))
            if ends[-1] <= high:
                return

    def _file_end(self) -> int:
        stage = self.stages[self.current.entry["stage"]]
        return min(stage.start + (self.current.entry["index"] + 1) * self.size, stage.end)

    def _next_file(self) -> None:
        """Open the file that starts where the current one ends (the next stage's first file at a stage end)."""
        if self.current is None:
            stage, index, start = 0, 0, 0
        else:
            stage, index = self.current.entry["stage"], self.current.entry["index"] + 1
            start = self._file_end()
            self.files.append(self.current.close())
            if start >= self.stages[stage].end:
                stage, index = stage + 1, 0
        self.current = _PlanFile(self.folder, len(self.files), stage, index, start, "tokens")

    def _cut_documents(self, items: Items, starts: np.ndarray) -> None:
        """Files of whole documents: a file holds the documents starting in its token range."""
        stage_starts = np.array([stage.start for stage in self.stages])
        stage = np.searchsorted(stage_starts, starts, side="right") - 1
        slot = (starts - stage_starts[stage]) // self.size
        breaks = np.flatnonzero((stage[1:] != stage[:-1]) | (slot[1:] != slot[:-1])) + 1
        for first, last in zip(np.r_[0, breaks], np.r_[breaks, len(starts)]):
            key = (int(stage[first]), int(slot[first]))
            if key != self.current_key:
                if self.current is not None:
                    self.files.append(self.current.close())
                index = self.per_stage[key[0]]
                self.per_stage[key[0]] += 1
                self.current = _PlanFile(self.folder, len(self.files), key[0], index, int(starts[first]),
                                         self.settings.format)
                self.current_key = key
            chosen = slice(first, last)
            self.current.add(_spans(items.take(chosen), starts[chosen], int(starts[first]), int(starts[last - 1] + items.tokens[last - 1])))

    def close(self, header: dict) -> dict:
        """Close the last file; write and return ``plan.json`` (``header`` plus the files)."""
        if self.current is not None:
            self.files.append(self.current.close())
        for entry in self.files:
            self.stage_synthetic[entry["stage"]] += entry["synthetic_tokens"]
        header = {**header, "files": self.files}
        (self.folder / "plan.json").write_text(json.dumps(header, indent=2) + "\n")
        return header


def _spans(items: Items, starts: np.ndarray, low: int, high: int) -> dict[str, np.ndarray]:
    """The pieces of ``items`` (starting at stream tokens ``starts``) inside tokens [low, high)."""
    ends = starts + items.tokens
    cut_start = np.maximum(starts, low) - starts
    cut_end = np.minimum(ends, high) - starts
    return {"source": items.source, "part": items.part, "row": items.row, "copy": items.copy,
            "token_start": items.token_start + cut_start, "tokens": cut_end - cut_start, "end_of_document": ends <= high,
            "first_piece": cut_start == 0, "document_tokens": items.tokens, "offset": starts + cut_start,
            "text_start": items.text_start, "text_bytes": items.text_bytes}


def read_header(output: Path) -> dict:
    return json.loads((output / "plan" / "plan.json").read_text("utf-8"))
