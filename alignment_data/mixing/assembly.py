"""Writing one output file of a mix from its spans, at copy speed: nothing is tokenized again.

Token files: the spans' tokens are copied out of the source token files with positioned
reads (neighbouring spans of one source in one read; the page cache serves repeats) into
an 8 MB buffer, with the ``.ds.index`` of document ends and the ``.ds.metadata`` datatrove
writes, so memory stays flat however large the sources. (Memory-mapping
the sources was measured to map far more than it copied: neighbouring pages come along.) Text files: each document's stored JSON line
is copied as it is, or, for a replacement copy or a later epoch of a synthetic document,
with its id changed to ``<id>#copy<k>`` or ``<id>#epoch<e>``; Parquet files hold ``id``,
``text`` and ``metadata`` (a JSON string), as ``alignment-data filter`` writes them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from alignment_data.errors import InputError
from alignment_data.mixing.plan import REPLACEMENT, SYNTHETIC
from alignment_data.mixing.store import TokenizedFolder

BATCH = 4096  # spans read from a plan file at a time
BUFFER_BYTES = 8 << 20  # tokens are read into this buffer and written out when it fills


class _Sources:
    """The source files, opened once each and read with positioned reads: nothing is mapped
    into (or kept in) this process's memory beyond the buffer being filled."""

    def __init__(self, folders: dict[int, TokenizedFolder], kind: str):
        self.folders, self.kind = folders, kind
        self.files: dict[tuple[int, int], int] = {}

    def descriptor(self, pool: int, part: int) -> int:
        key = (pool, part)
        if key not in self.files:
            folder = self.folders[pool]
            self.files[key] = os.open(folder.token_path(part) if self.kind == "tokens" else folder.texts_path(part), os.O_RDONLY)
        return self.files[key]

    def read(self, pool: int, part: int, start: int, length: int) -> bytes:
        data = os.pread(self.descriptor(pool, part), length, start)
        if len(data) != length:
            self.short(pool, part, start, length)
        return data

    def short(self, pool: int, part: int, start: int, length: int):
        raise InputError(f"a span of {length} bytes at byte {start} runs past the end of the file: it changed since "
                         "it was tokenized", str(self.folders[pool].path), field=f"part {part}")

    def close(self) -> None:
        for descriptor in self.files.values():
            os.close(descriptor)


def _batches(plan_file: Path):
    for batch in pq.ParquetFile(plan_file).iter_batches(batch_size=BATCH):
        yield {name: batch.column(name).to_numpy(zero_copy_only=False) for name in batch.schema.names}


def _pools(spans: dict) -> np.ndarray:
    return (spans["source"] == SYNTHETIC).astype(np.int64)


class _Digest:
    """A file being written, with its size and (with ``checksum``) its SHA-256."""

    def __init__(self, path: Path, checksum: bool):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.stream, self.hash, self.size = open(path, "wb"), hashlib.sha256() if checksum else None, 0

    def write(self, data) -> None:
        self.stream.write(data)
        if self.hash is not None:
            self.hash.update(data)
        self.size += len(data)

    def close(self) -> dict:
        self.stream.close()
        return {"bytes": self.size, **({"sha256": self.hash.hexdigest()} if self.hash is not None else {})}


def write_token_file(plan_file: Path, folders: dict[int, TokenizedFolder], path: Path, token_size: int, label: str,
                     checksum: bool = True) -> dict:
    """Copy a token file's spans into ``path`` (``.ds``), with its ``.ds.index`` and ``.ds.metadata``.

    Neighbouring spans of one source file are read at once, straight into a buffer that is
    written out whenever it fills.
    """
    sources = _Sources(folders, "tokens")
    out = _Digest(path, checksum)
    buffer = memoryview(bytearray(BUFFER_BYTES))
    filled = written = 0
    ends: list[np.ndarray] = []
    for spans in _batches(plan_file):
        pools, starts, lengths = _pools(spans), spans["token_start"] * token_size, spans["tokens"] * token_size
        breaks = np.flatnonzero((pools[1:] != pools[:-1]) | (spans["part"][1:] != spans["part"][:-1])
                                | (starts[1:] != starts[:-1] + lengths[:-1])) + 1
        firsts, lasts = np.r_[0, breaks], np.r_[breaks, len(starts)] - 1
        preadv, descriptors = os.preadv, sources.files
        for pool, part, begin, end in zip(pools[firsts].tolist(), spans["part"][firsts].tolist(), starts[firsts].tolist(),
                                          (starts[lasts] + lengths[lasts]).tolist()):
            descriptor = descriptors.get((pool, part)) or sources.descriptor(pool, part)
            length = end - begin
            if filled + length <= BUFFER_BYTES:  # the common case: the run fits in the buffer
                if preadv(descriptor, [buffer[filled : filled + length]], begin) != length:
                    sources.short(pool, part, begin, length)
                filled += length
                continue
            while begin < end:
                length = min(end - begin, BUFFER_BYTES - filled)
                if preadv(descriptor, [buffer[filled : filled + length]], begin) != length:
                    sources.short(pool, part, begin, length)
                filled, begin = filled + length, begin + length
                if filled == BUFFER_BYTES:
                    out.write(buffer)
                    filled = 0
        piece_ends = written + np.cumsum(spans["tokens"])
        ends.append(piece_ends[spans["end_of_document"]])
        written = int(piece_ends[-1]) if len(piece_ends) else written
    out.write(buffer[:filled])
    sources.close()
    facts = {"file": path.name, **out.close(), "tokens": written}
    document_ends = np.concatenate(ends) if ends else np.zeros(0, np.int64)
    if not len(document_ends) or document_ends[-1] != written:  # a document continues in the next file
        document_ends = np.append(document_ends, written)
    index = document_ends.astype("<u8").tobytes()
    Path(f"{path}.index").write_bytes(index)
    Path(f"{path}.metadata").write_text(f"{label}|{token_size}\n{written}\n{_humanized(written)}")
    facts.update(documents=int(len(document_ends)), index_sha256=hashlib.sha256(index).hexdigest())
    return facts


def _humanized(count: int) -> str:
    """The token count as datatrove's metadata files show it (``171.9KT``)."""
    import humanize

    return humanize.metric(count, unit="T")


def write_text_file(plan_file: Path, folders: dict[int, TokenizedFolder], path: Path, output_format: str,
                    checksum: bool = True) -> dict:
    """Copy a text file's documents into ``path`` (JSONL lines, or a Parquet file of id, text, metadata)."""
    sources = _Sources(folders, "texts")
    path.parent.mkdir(parents=True, exist_ok=True)
    out = _Digest(path, checksum) if output_format == "jsonl" else None
    writer = None
    documents = 0
    for spans in _batches(plan_file):
        rows = {"id": [], "text": [], "metadata": []}
        for pool, part, start, length, source, copy in zip(_pools(spans).tolist(), spans["part"].tolist(),
                                                           spans["text_start"].tolist(), spans["text_bytes"].tolist(),
                                                           spans["source"].tolist(), spans["copy"].tolist()):
            line = sources.read(pool, part, start, length)
            renamed = _renamed(source, copy)
            if out is not None and renamed is None:
                out.write(line)
                continue
            record = orjson.loads(line)
            if renamed is not None:
                record["id"] = f"{record['id']}{renamed}"
            if out is not None:
                out.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
            else:
                rows["id"].append(record["id"])
                rows["text"].append(record["text"])
                rows["metadata"].append(orjson.dumps(record["metadata"]).decode())
        documents += len(spans["source"])
        if out is None and rows["id"]:
            table = pa.table(rows)
            writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
    sources.close()
    if out is not None:
        return {"file": path.name, **out.close(), "documents": documents}
    if writer is not None:
        writer.close()
    facts = {"file": path.name, "bytes": path.stat().st_size, "documents": documents}
    if checksum:
        with open(path, "rb") as stream:
            facts["sha256"] = hashlib.file_digest(stream, "sha256").hexdigest()
    return facts


def _renamed(source: int, copy: int) -> str | None:
    """The id suffix of a repeated document: ``#copy<k>`` (replacement) or ``#epoch<e>`` (synthetic, e >= 1)."""
    if source == REPLACEMENT:
        return f"#copy{copy}"
    if source == SYNTHETIC and copy:
        return f"#epoch{copy}"
    return None
