"""``alignment-data dedup``: near-duplicate removal over a folder of documents, with the rate reported.

Documents are read in order (JSONL or Parquet, a file or a folder; a ``synthesize`` or
``dedup`` output folder means its ``documents/``), signed and checked against the ones kept
so far (see :mod:`alignment_data.synthesis.minhash`). Output folder::

    documents/documents.jsonl   the documents kept, as they were read ({"id", "text", "metadata"})
    duplicates.jsonl            each document removed, with ``duplicate_of`` (the kept id) and ``similarity``
    rejected.jsonl              records that could not be read as documents, with file, line and reason
    summary.json                read = kept + duplicates + rejected, the near-duplicate rate, settings, speed
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from alignment_data.outputs import claim_output_folder, folder_owner
from alignment_data.readers import iter_records
from alignment_data.schema import Record, Rejection
from alignment_data.synthesis.minhash import NearDuplicateIndex
from alignment_data.synthesis.options import DedupOptions, resolve_options
from alignment_data.synthesis.runs import write_json, write_jsonl

CHUNK = 2000
DOCUMENTS = Path("documents") / "documents.jsonl"


def documents_path(path: str | Path) -> str:
    """``path``, or its ``documents/`` when it is the output folder of ``synthesize`` or ``dedup``."""
    folder = Path(str(path))
    owner = folder_owner(folder) if folder.is_dir() else None
    if owner is not None and owner[0] in ("synthesize", "dedup") and (folder / "documents").is_dir():
        return str(folder / "documents")
    return str(path)


def dedup_documents(input: str | Path, output: str | Path, options: DedupOptions | None = None, **overrides) -> dict:
    """Keep the first of every group of near-duplicate documents at ``input``; write them to ``output``; the summary."""
    options = resolve_options(DedupOptions, options, overrides, "dedup")
    started = time.time()
    source = documents_path(input)
    folder = claim_output_folder(output, "dedup")
    index = NearDuplicateIndex(options.settings())
    counts = {"read": 0, "kept": 0, "duplicates": 0, "rejected": 0}
    duplicates: list[dict] = []
    rejected: list[dict] = []
    progress = tqdm(desc="dedup", unit="doc", disable=options.quiet, mininterval=0.5)

    def kept() -> Iterator[dict]:
        for batch in _batches(iter_records(source), rejected, counts):
            verdicts = index.add([record.id for record in batch], [record.text for record in batch])
            for record, verdict in zip(batch, verdicts):
                row = {"id": record.id, "text": record.text, "metadata": record.metadata}
                if verdict.duplicate_of is None:
                    counts["kept"] += 1
                    yield row
                else:
                    counts["duplicates"] += 1
                    duplicates.append({**row, "duplicate_of": verdict.duplicate_of, "similarity": verdict.similarity})
            progress.update(len(batch))

    write_jsonl(folder / DOCUMENTS, kept())
    progress.close()
    write_jsonl(folder / "duplicates.jsonl", duplicates)
    write_jsonl(folder / "rejected.jsonl", rejected)
    seconds = time.time() - started
    considered = counts["kept"] + counts["duplicates"]
    summary = {"command": "dedup", "input": str(input), "read_from": source, "output": str(folder), **counts,
               "balanced": counts["read"] == considered + counts["rejected"],
               "near_duplicate_rate": round(counts["duplicates"] / considered, 6) if considered else 0.0,
               "threshold": options.threshold, "num_perm": options.num_perm, "ngram": options.ngram,
               "seconds": round(seconds, 3), "documents_per_second": round(considered / seconds, 1) if seconds else None,
               "files": {"documents": str(folder / DOCUMENTS), "duplicates": str(folder / "duplicates.jsonl"),
                         "rejected": str(folder / "rejected.jsonl")}}
    write_json(folder / "summary.json", summary)
    return summary


def _batches(records: Iterator[Record | Rejection], rejected: list[dict], counts: dict) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        counts["read"] += 1
        if isinstance(record, Rejection):
            counts["rejected"] += 1
            rejected.append(record.to_dict())
            continue
        batch.append(record)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
