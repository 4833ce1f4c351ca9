"""Strict readers of records: corpora, labelled documents, scenarios and synthetic documents.

Paths are local paths or any fsspec URL (``s3://``, ``gs://``, ``file://``...), a file or a
folder searched recursively. Corpus readers never drop a record silently: each bad record
becomes a :class:`~alignment_data.schema.Rejection` naming the file, line and field, which
the caller counts. Labelled files, scenarios and synthetic documents must be right: the first
problem raises a located :class:`~alignment_data.errors.InputError`.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import fsspec
import orjson

from alignment_data.errors import InputError
from alignment_data.schema import (
    LabelledDocument,
    Record,
    Rejection,
    Scenario,
    SyntheticDocument,
    SyntheticDocumentMeta,
    check_label,
)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".json.gz", ".json.zst", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
SUPPORTED_SUFFIXES = JSONL_SUFFIXES + PARQUET_SUFFIXES


def input_format(path: str | os.PathLike) -> str:
    """``"jsonl"`` or ``"parquet"`` from the file name; raise for anything else."""
    name = str(path).lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    raise InputError(f"unsupported file type; expected one of {', '.join(SUPPORTED_SUFFIXES)}", file=str(path))


def is_supported(name: str) -> bool:
    return name.lower().endswith(SUPPORTED_SUFFIXES)


@dataclass(frozen=True)
class InputFiles:
    """The files of an input path: the filesystem, the folder they are relative to, and the names.

    ``skipped`` are files of the folder that are not JSONL or Parquet (reported, not read).
    """

    fs: Any
    folder: str
    names: tuple[str, ...]
    skipped: tuple[str, ...]
    single_file: bool

    def shown(self, name: str) -> str:
        """The name used in messages: a local path as given, a remote one as a URL."""
        path = f"{self.folder}/{name}" if self.folder else name
        return path if _is_local(self.fs) else self.fs.unstrip_protocol(path)

    def open(self, name: str):
        return open_binary(f"{self.folder}/{name}", self.fs)


def _is_local(fs) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def list_input_files(path: str | os.PathLike) -> InputFiles:
    """The corpus files at ``path``: the file itself, or every supported file below a folder, sorted."""
    text = str(path)
    fs, root = fsspec.core.url_to_fs(text)
    root = root.rstrip("/") or "/"
    if fs.isfile(root):
        input_format(text)
        return InputFiles(fs, fs._parent(root), (root.rsplit("/", 1)[-1],), (), True)
    if not fs.isdir(root):
        raise InputError("no such file or folder", file=text)
    found = sorted(fs.find(root, withdirs=False))
    relative = [name[len(root) :].lstrip("/") for name in found]
    names = tuple(name for name in relative if is_supported(name))
    skipped = tuple(name for name in relative if not is_supported(name))
    if not names:
        seen = f"; found only {', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''}" if skipped else ""
        raise InputError(f"no corpus files found (looked for {', '.join(SUPPORTED_SUFFIXES)}){seen}", file=text)
    return InputFiles(fs, root, names, skipped, False)


def decompressed(raw: IO[bytes], name: str) -> IO[bytes]:
    """A stream of the decompressed bytes of ``raw``, by the suffix of ``name`` (``.gz``, ``.zst``)."""
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if name.endswith(".zst"):
        import zstandard

        # read_across_frames: files written by the zstd tool or by concatenation hold several frames;
        # BufferedReader: zstandard's reader cannot be iterated line by line on its own
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False))
    return raw


@contextlib.contextmanager
def open_binary(path: str | os.PathLike, fs=None) -> Iterator[IO[bytes]]:
    """Open a local path or URL for reading bytes, decompressing ``.gz`` and ``.zst`` by suffix."""
    if fs is None:
        fs, path = fsspec.core.url_to_fs(str(path))
    with fs.open(str(path), "rb") as raw:
        stream = decompressed(raw, str(path))
        try:
            yield stream
        finally:
            if stream is not raw:
                stream.close()


def _is_zstd_error(error: Exception) -> bool:
    return type(error).__name__ == "ZstdError"


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
            if not _is_zstd_error(error):
                raise
            yield line_no + 1, Rejection(file, line_no + 1, None, "truncated_file", str(error) or type(error).__name__)
            return
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
    """Validate one parsed object as a corpus document.

    Fields other than id and text, and the fields of a nested ``metadata`` object, become the
    record's metadata. A nested field whose name a top-level field already has is kept under
    ``metadata.<name>``: the top-level value keeps the name and nothing is lost.
    """
    raw_id = value.pop(id_key, None)
    doc_id = None if raw_id is None else str(raw_id)
    if text_key not in value:
        keys = ", ".join(sorted(map(str, value))) or "none"
        return Rejection(file, line, text_key, "missing_text", f"the record's keys: {keys}", doc_id)
    text = value.pop(text_key)
    if not isinstance(text, str):
        return Rejection(file, line, text_key, "text_not_a_string", f"got {type(text).__name__}", doc_id)
    if not text.strip():
        return Rejection(file, line, text_key, "empty_text", "", doc_id)
    if len(text) > max_bytes // 4 and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return Rejection(file, line, text_key, "too_large", f"over {max_bytes} bytes", doc_id)
    return Record(doc_id or f"{file}:{line}", text, _merge_metadata(value), file, line)


def _merge_metadata(value: dict[str, Any]) -> dict[str, Any]:
    nested = value.pop("metadata", None)
    if isinstance(nested, str):
        try:
            nested = orjson.loads(nested)
        except orjson.JSONDecodeError:
            nested = {"metadata": nested}
    if nested is None:
        return value
    if not isinstance(nested, dict):
        nested = {"metadata": nested}
    for key, item in nested.items():
        if key not in value:
            value[key] = item
        elif value[key] != item:
            value[f"metadata.{key}"] = item
    return value


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
    source: str | os.PathLike | IO[bytes],
    file: str,
    text_key: str = "text",
    id_key: str = "id",
    max_bytes: int = MAX_DOCUMENT_BYTES,
    batch_size: int = 1024,
) -> Iterator[Record | Rejection]:
    """Corpus records from a Parquet file, one rejection per bad row (row numbers from 1)."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source)
    except Exception as error:  # pyarrow raises ArrowInvalid and others for a damaged file
        raise InputError(f"not a readable Parquet file: {error}", file=file) from None
    if text_key not in parquet.schema_arrow.names:
        raise InputError(f"no column {text_key!r}; columns are {parquet.schema_arrow.names}", file=file, field=text_key)
    row = 0
    for batch in parquet.iter_batches(batch_size=batch_size):
        for value in batch.to_pylist():
            row += 1
            yield to_record(value, file, row, text_key, id_key, max_bytes)


def iter_file_records(
    files: InputFiles, name: str, text_key: str = "text", id_key: str = "id", max_bytes: int = MAX_DOCUMENT_BYTES
) -> Iterator[Record | Rejection]:
    """Records and rejections of one file of ``files``."""
    shown = files.shown(name)
    with files.open(name) as stream:
        if input_format(name) == "parquet":
            yield from iter_parquet_records(stream, shown, text_key, id_key, max_bytes)
        else:
            yield from iter_jsonl_records(stream, shown, text_key, id_key, max_bytes)


def iter_records(
    path: str | os.PathLike,
    text_key: str = "text",
    id_key: str = "id",
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Iterator[Record | Rejection]:
    """Records and rejections from every corpus file at ``path`` (a file or a folder, local or URL)."""
    files = list_input_files(path)
    for name in files.names:
        yield from iter_file_records(files, name, text_key, id_key, max_bytes)


def iter_strict_records(path: str | os.PathLike, text_key: str = "text") -> Iterator[Record]:
    """:func:`iter_records`, raising a located :class:`InputError` at the first bad record."""
    for record in iter_records(path, text_key=text_key):
        if isinstance(record, Rejection):
            raise InputError(record.reason + (f" ({record.detail})" if record.detail else ""), record.file, record.line, record.field)
        yield record


def read_labelled(
    path: str | os.PathLike, text_key: str = "text", label_key: str = "label", split: str | None = None
) -> list[LabelledDocument]:
    """Read labelled JSONL or Parquet (a file or folder) strictly: any bad record raises a located error.

    With ``split``, keep only documents whose ``split`` field equals it.
    """
    documents: list[LabelledDocument] = []
    seen: dict[str, tuple[str, int]] = {}
    for record in iter_strict_records(path, text_key):
        label = check_label(record.metadata.pop(label_key, None), record.file, record.line, label_key)
        _check_unique(record.id, seen, record.file, record.line)
        if split is None or record.metadata.get("split") == split:
            documents.append(LabelledDocument(record.id, record.text, label, record.metadata))
    if split is not None and not documents:
        raise InputError(f"no documents with split {split!r}", str(path), field="split")
    return documents


def _check_unique(key: str, seen: dict[str, tuple[str, int]], file: str, line: int) -> None:
    if key in seen:
        first_file, first_line = seen[key]
        where = f"line {first_line}" if first_file == file else f"{first_file}:{first_line}"
        raise InputError(f"duplicate id {key!r} (first on {where})", file, line, "id")
    seen[key] = (file, line)


def iter_objects(path: str | os.PathLike) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """``(file, line, object)`` for every record of JSONL or Parquet files at ``path``, strictly."""
    files = list_input_files(path)
    for name in files.names:
        shown = files.shown(name)
        with files.open(name) as stream:
            if input_format(name) == "parquet":
                import pyarrow.parquet as pq

                for row, value in enumerate(pq.read_table(stream).to_pylist(), 1):
                    yield shown, row, value
                continue
            for line, value in iter_json_lines(stream, shown):
                if isinstance(value, Rejection):
                    raise InputError(value.reason + (f" ({value.detail})" if value.detail else ""), value.file, value.line)
                yield shown, line, value


def read_scenarios(path: str | os.PathLike) -> list[Scenario]:
    """Scenarios (the shared record, also evaluation questions) from JSONL or Parquet, strictly."""
    scenarios: list[Scenario] = []
    seen: dict[str, tuple[str, int]] = {}
    for file, line, value in iter_objects(path):
        scenario = Scenario.from_dict(value, file, line)
        _check_unique(scenario.id, seen, file, line)
        scenarios.append(scenario)
    if not scenarios:
        raise InputError("no scenarios", str(path))
    return scenarios


def iter_synthetic_documents(path: str | os.PathLike, text_key: str = "text") -> Iterator[SyntheticDocument]:
    """Synthetic documents (id, text, :class:`SyntheticDocumentMeta`), strictly, streaming."""
    seen: dict[str, tuple[str, int]] = {}
    for record in iter_strict_records(path, text_key):
        _check_unique(record.id, seen, record.file, record.line)
        meta = SyntheticDocumentMeta.from_dict(record.metadata, record.file, record.line)
        yield SyntheticDocument(record.id, record.text, meta, record.file, record.line)


def read_synthetic_documents(path: str | os.PathLike, text_key: str = "text") -> list[SyntheticDocument]:
    """All synthetic documents at ``path``; an empty set is an error."""
    documents = list(iter_synthetic_documents(path, text_key))
    if not documents:
        raise InputError("no synthetic documents", str(path))
    return documents
