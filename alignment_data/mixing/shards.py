"""Cutting a plan's stages into output files, and writing each file's list of spans to copy.

Token files hold whole samples (``shard_size`` tokens, a multiple of sequence length + 1):
a document that crosses a file or stage boundary is split there, its first piece ending
the earlier file (the index marks the cut) and the rest opening the next one, so a
trainer stepping through stage 0 stops exactly at the step where stage 1 starts. Text
files hold whole documents: a text stage starts at the first document that starts in it.

``OUTPUT/plan/plan.json`` lists the files; ``OUTPUT/plan/NNNNN.parquet`` holds, per file,
one row per span: ``source``, ``part``, ``row``, ``copy``, ``token_start`` (in the source
token file), ``tokens``, ``end_of_document``, ``offset`` (in the stream), ``text_start`` and
``text_bytes`` (the document's JSON line).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from alignment_data.mixing.plan import SYNTHETIC, MixPlan

PLAN = "plan"
SUFFIXES = {"tokens": ".ds", "jsonl": ".jsonl", "parquet": ".parquet"}


@dataclass(frozen=True)
class Shard:
    """One output file: its stage, number in the stage, stream tokens [start, end) and items [first, last)."""

    stage: int
    index: int
    start: int
    end: int
    first: int
    last: int

    def file(self, output_format: str) -> str:
        return f"stage-{self.stage}/{self.index:05d}{SUFFIXES[output_format]}"


def cut(plan: MixPlan) -> list[Shard]:
    """The output files of ``plan`` in stream order."""
    offsets, ends = plan.offsets, plan.offsets + plan.stream.tokens
    size = plan.settings.shard_size
    shards = []
    for number, stage in enumerate(plan.stages):
        if plan.settings.format == "tokens":
            bounds = list(range(stage.start, stage.end, size)) + [stage.end]
            items = [(int(np.searchsorted(ends, a, side="right")), int(np.searchsorted(offsets, z, side="left")))
                     for a, z in zip(bounds[:-1], bounds[1:])]
        else:  # whole documents: a file (and a stage) starts at the first document starting in it
            starts = [int(np.searchsorted(offsets, a, side="left")) for a in range(stage.start, stage.end, size)]
            last = int(np.searchsorted(offsets, stage.end, side="left"))
            items = [(first, following) for first, following in zip(starts, starts[1:] + [last]) if first < following]
            bounds = [int(offsets[first]) for first, _ in items] + [int(ends[items[-1][1] - 1]) if items else stage.end]
        shards.extend(Shard(number, index, int(bounds[index]), int(bounds[index + 1]), first, last)
                      for index, (first, last) in enumerate(items))
    return shards


def spans(plan: MixPlan, shard: Shard) -> pa.Table:
    """The spans ``shard`` copies, in order (pieces of documents at token-file boundaries)."""
    stream, offsets = plan.stream, plan.offsets
    items = np.arange(shard.first, shard.last)
    source = stream.source[items]
    columns = {"source": source, "copy": stream.copy[items]}
    for name in ("part", "row", "token_start", "tokens", "text_start", "text_bytes"):
        values = np.empty(len(items), np.int64)
        for code, pool in ((0, plan.base), (SYNTHETIC, plan.synthetic)):
            mask = (source == SYNTHETIC) if code == SYNTHETIC else (source != SYNTHETIC)
            if mask.any():
                values[mask] = getattr(pool, name)[stream.index[items][mask]]
        columns[name] = values
    start, end = offsets[items], offsets[items] + stream.tokens[items]
    cut_start = np.maximum(start, shard.start) - start
    cut_end = np.minimum(end, shard.end) - start
    columns["token_start"] = columns["token_start"] + cut_start
    columns["tokens"] = cut_end - cut_start
    columns["end_of_document"] = end <= shard.end
    columns["offset"] = start + cut_start
    return pa.table(columns)


def write_plan(plan: MixPlan, output: Path, tokenizer_label: str, token_size: int) -> dict:
    """Write ``plan/plan.json`` and one span list per output file; return the header."""
    folder = output / PLAN
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for number, shard in enumerate(cut(plan)):
        table = spans(plan, shard)
        pq.write_table(table, folder / f"{number:05d}.parquet", compression="zstd")
        files.append({**asdict(shard), "file": shard.file(plan.settings.format), "plan": f"{PLAN}/{number:05d}.parquet",
                      "tokens": int(table.column("tokens").to_numpy().sum()),
                      "documents": int(table.column("end_of_document").to_numpy().sum())})
    header = {"format": plan.settings.format, "token_size": token_size, "tokenizer_label": tokenizer_label,
              "base": str(plan.base.folder.path), "synthetic": str(plan.synthetic.folder.path) if plan.synthetic else None,
              "files": files}
    (folder / "plan.json").write_text(json.dumps(header, indent=2) + "\n")
    return header


def read_header(output: Path) -> dict:
    return json.loads((output / PLAN / "plan.json").read_text("utf-8"))
