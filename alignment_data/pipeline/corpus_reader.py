"""A datatrove reader that turns every bad record into a counted rejection instead of a log line.

datatrove's own readers skip malformed lines and empty texts with a warning; here each one
becomes an empty document carrying ``metadata["rejection"]`` (file, line, field, reason),
which :class:`~alignment_data.pipeline.steps.SplitFlagged` routes to the rejected output.
"""

from __future__ import annotations

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.readers.base import BaseDiskReader

from alignment_data.io import (
    JSONL_SUFFIXES,
    MAX_DOCUMENT_BYTES,
    PARQUET_SUFFIXES,
    Rejection,
    input_format,
    iter_jsonl_records,
    iter_parquet_records,
)
from alignment_data.schema import REJECTION_KEY, InputError


def iter_folder_records(
    folder, name: str, shown: str | None = None, text_key: str = "text", id_key: str = "id",
    max_bytes: int = MAX_DOCUMENT_BYTES,
):
    """Records and rejections of one JSONL or Parquet file of a datatrove folder (local or remote).

    ``shown`` is the file name used in rejections (default: ``name``).
    """
    shown = shown or name
    if input_format(name) == "parquet":
        with folder.open(name, "rb") as stream:
            yield from iter_parquet_records(stream, shown, text_key, id_key, max_bytes)
    else:
        with folder.open(name, "rb", compression="infer") as stream:
            yield from iter_jsonl_records(stream, shown, text_key, id_key, max_bytes)


def rejected_document(rejection: Rejection) -> Document:
    return Document(text="", id=f"{rejection.file}:{rejection.line}", metadata={REJECTION_KEY: rejection.to_dict()})


class CorpusReader(BaseDiskReader):
    """Reads JSONL (plain, gzip, zstd) and Parquet files; bad records become rejections.

    Rejections: malformed JSON, invalid UTF-8, a line that is not an object, missing,
    non-string or empty ``text``, documents over ``max_bytes``, and a truncated or corrupt
    compressed file (one rejection at the line where reading stopped).
    """

    name = "📖 Corpus (JSONL/Parquet, strict)"

    def __init__(
        self,
        data_folder,
        text_key: str = "text",
        id_key: str = "id",
        max_bytes: int = MAX_DOCUMENT_BYTES,
        glob_pattern: str | None = None,
    ):
        super().__init__(data_folder, text_key=text_key, id_key=id_key, glob_pattern=glob_pattern)
        self.max_bytes = max_bytes

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        files = sorted(
            path
            for path in self.data_folder.list_files(recursive=True, glob_pattern=self.glob_pattern)
            if path.lower().endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES)
        )
        if not files:
            raise InputError("no corpus files found", self.data_folder.path)
        for document in self.read_files_shard(files[rank::world_size]):
            self.update_doc_stats(document)
            yield document

    def read_file(self, filepath: str) -> DocumentsPipeline:
        shown = self.data_folder.resolve_paths(filepath)
        for record in iter_folder_records(self.data_folder, filepath, shown, self.text_key, self.id_key, self.max_bytes):
            yield self._to_document(record)

    def _to_document(self, record) -> Document:
        if isinstance(record, Rejection):
            self.stat_update("rejected")
            return rejected_document(record)
        return Document(text=record.text, id=record.id, metadata=record.metadata)
