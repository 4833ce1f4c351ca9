"""Reading corpora and labelled files with located errors.

Corpus readers never drop a record silently: each bad record becomes a :class:`Rejection`
naming the file, line and field, which the caller counts and reports. Labelled files and
other inputs that must be right are read strictly: the first problem raises
:class:`~alignment_data.schema.InputError`.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

import orjson

from alignment_data.schema import InputError, check_label

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".json.gz", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not become a document, and why."""

    file: str
    line: int
    field: str | None
    reason: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.field + ': ' if self.field else ''}{self.reason}{' (' + self.detail + ')' if self.detail else ''}"


@dataclass(frozen=True, slots=True)
class Record:
    """A well-formed corpus record: id, text and the remaining fields as metadata."""

    id: str
    text: str
    metadata: dict[str, Any]
    file: str
    line: int


def input_format(path: str | os.PathLike) -> str:
    """``"jsonl"`` or ``"parquet"`` from the file name; raise for anything else."""
    name = str(path).lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    raise InputError(
        f"unsupported file type; expected one of {', '.join(JSONL_SUFFIXES + PARQUET_SUFFIXES)}", file=str(path)
    )


def list_input_files(path: str | os.PathLike) -> list[Path]:
    """The corpus files at ``path``: the file itself, or every supported file below a folder, sorted."""
    path = Path(path)
    if path.is_file():
        input_format(path)
        return [path]
    if not path.is_dir():
        raise InputError("no such file or folder", file=str(path))
    files = sorted(p for p in path.rglob("*") if p.is_file() and _is_supported(p))
    if not files:
        raise InputError(
            f"no corpus files found (looked for {', '.join(JSONL_SUFFIXES + PARQUET_SUFFIXES)})", file=str(path)
        )
    return files


def _is_supported(path: Path) -> bool:
    return str(path).lower().endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES)


def open_binary(path: str | os.PathLike) -> IO[bytes]:
    """Open a local file for reading bytes, decompressing ``.gz`` and ``.zst`` by suffix."""
    name = str(path)
    if name.endswith(".gz"):
        return gzip.open(name, "rb")
    if name.endswith(".zst"):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(name, "rb"), closefd=True))
    return open(name, "rb")


def iter_json_lines(
    stream: Iterable[bytes], file: str, max_bytes: int = MAX_DOCUMENT_BYTES
) -> Iterator[tuple[int, dict[str, Any] | Rejection]]:
    """Yield ``(line number, object)`` per non-blank line, or a :class:`Rejection` for a bad one.

    A stream that ends in a broken compressed block yields one ``truncated_file`` rejection
    at the line where reading stopped; nothing after it can be read.
    """
    line_no = 0
    lines = iter(stream)
    while True:
        try:
            raw = next(lines)
        except StopIteration:
            return
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as error:
            yield line_no + 1, Rejection(file, line_no + 1, None, "truncated_file", f"{type(error).__name__}: {error}")
            return
        except Exception as error:  # zstandard raises its own error type
            if type(error).__name__ == "ZstdError":
                yield line_no + 1, Rejection(file, line_no + 1, None, "truncated_file", str(error))
                return
            raise
        line_no += 1
        if len(raw) > max_bytes:
            yield line_no, Rejection(file, line_no, None, "too_large", f"line of {len(raw)} bytes, limit {max_bytes}")
        elif raw.strip():
            yield line_no, _parse_line(raw, file, line_no)


def _parse_line(raw: bytes, file: str, line_no: int) -> dict[str, Any] | Rejection:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as utf_error:
            return Rejection(file, line_no, None, "invalid_utf8", f"byte {utf_error.start}")
        return Rejection(file, line_no, None, "malformed_json", str(error))
    if not isinstance(value, dict):
        return Rejection(file, line_no, None, "not_an_object", f"got {type(value).__name__}")
    return value


def to_record(
    value: dict[str, Any],
    file: str,
    line: int,
    text_key: str = "text",
    id_key: str = "id",
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Record | Rejection:
    """Validate one parsed object as a corpus document."""
    if text_key not in value:
        return Rejection(file, line, text_key, "missing_text")
    text = value.pop(text_key)
    if not isinstance(text, str):
        return Rejection(file, line, text_key, "text_not_a_string", f"got {type(text).__name__}")
    if not text.strip():
        return Rejection(file, line, text_key, "empty_text")
    if len(text) > max_bytes // 4 and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return Rejection(file, line, text_key, "too_large", f"over {max_bytes} bytes")
    doc_id = value.pop(id_key, None)
    doc_id = f"{file}:{line}" if doc_id is None else str(doc_id)
    metadata = value.pop("metadata", None)
    if isinstance(metadata, str):
        try:
            metadata = orjson.loads(metadata)
        except orjson.JSONDecodeError:
            metadata = {"metadata": metadata}
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        metadata = {"metadata": metadata}
    return Record(doc_id, text, {**value, **metadata}, file, line)


def iter_jsonl_records(
    stream: Iterable[bytes],
    file: str,
    text_key: str = "text",
    id_key: str = "id",
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Iterator[Record | Rejection]:
    """Corpus records from a JSONL byte stream, with a rejection for each bad line."""
    for line_no, value in iter_json_lines(stream, file, max_bytes):
        if isinstance(value, Rejection):
            yield value
        else:
            yield to_record(value, file, line_no, text_key, id_key, max_bytes)


def iter_parquet_records(
    path: str | os.PathLike | IO[bytes],
    file: str,
    text_key: str = "text",
    id_key: str = "id",
    max_bytes: int = MAX_DOCUMENT_BYTES,
    batch_size: int = 1024,
) -> Iterator[Record | Rejection]:
    """Corpus records from a Parquet file, one rejection per bad row (row numbers from 1)."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    if text_key not in parquet.schema_arrow.names:
        raise InputError(f"no column {text_key!r}; columns are {parquet.schema_arrow.names}", file=file, field=text_key)
    row = 0
    for batch in parquet.iter_batches(batch_size=batch_size):
        for value in batch.to_pylist():
            row += 1
            yield to_record(value, file, row, text_key, id_key, max_bytes)


def iter_records(
    path: str | os.PathLike,
    text_key: str = "text",
    id_key: str = "id",
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Iterator[Record | Rejection]:
    """Records and rejections from every corpus file at ``path`` (a file or a folder)."""
    for file in list_input_files(path):
        if input_format(file) == "parquet":
            yield from iter_parquet_records(file, str(file), text_key, id_key, max_bytes)
        else:
            with open_binary(file) as stream:
                yield from iter_jsonl_records(stream, str(file), text_key, id_key, max_bytes)


@dataclass(frozen=True, slots=True)
class LabelledDocument:
    id: str
    text: str
    label: str
    fields: dict[str, Any]


def read_labelled(
    path: str | os.PathLike, text_key: str = "text", label_key: str = "label", split: str | None = None
) -> list[LabelledDocument]:
    """Read labelled JSONL (a file or folder) strictly: any bad line raises a located :class:`InputError`.

    With ``split``, keep only documents whose ``split`` field equals it.
    """
    documents: list[LabelledDocument] = []
    seen: dict[str, int] = {}
    for file in list_input_files(path):
        with open_binary(file) as stream:
            for record in iter_jsonl_records(stream, str(file), text_key=text_key):
                if isinstance(record, Rejection):
                    raise InputError(record.reason + (f" ({record.detail})" if record.detail else ""), record.file, record.line, record.field)
                label = check_label(record.metadata.pop(label_key, None), record.file, record.line, label_key)
                if record.id in seen:
                    raise InputError(f"duplicate id {record.id!r} (first on line {seen[record.id]})", record.file, record.line, "id")
                seen[record.id] = record.line
                if split is None or record.metadata.get("split") == split:
                    documents.append(LabelledDocument(record.id, record.text, label, record.metadata))
    if split is not None and not documents:
        raise InputError(f"no documents with split {split!r}", str(path), field="split")
    return documents
