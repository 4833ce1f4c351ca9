"""A datatrove reader that turns every bad record into a counted rejection instead of a log line.

datatrove's own readers skip malformed lines and empty texts with a warning; here each one
becomes an empty document carrying ``metadata["rejection"]`` (file, line, field, reason),
which :class:`~alignment_data.pipeline.steps.SplitFlagged` routes to the rejected output.
"""

from __future__ import annotations

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.readers.base import BaseDiskReader

from alignment_data.errors import InputError
from alignment_data.readers import (
    MAX_DOCUMENT_BYTES,
    InputFiles,
    decompressed,
    input_format,
    is_supported,
    iter_jsonl_records,
    iter_parquet_records,
    list_input_files,
)
from alignment_data.schema import REJECTION_KEY, Rejection


def rejected_document(rejection: Rejection) -> Document:
    """An empty document that carries a rejection (and the record's own id when it had one)."""
    return Document(text="", id=rejection.id or f"{rejection.file}:{rejection.line}",
                    metadata={REJECTION_KEY: rejection.to_dict()})


class CorpusReader(BaseDiskReader):
    """Reads JSONL (plain, gzip, zstd) and Parquet files; bad records become rejections.

    Rejections: malformed JSON, invalid UTF-8, a line that is not an object, missing,
    non-string or empty ``text``, documents over ``max_bytes``, and a truncated or corrupt
    compressed file (one rejection at the line where reading stopped). Files that are not
    JSONL or Parquet are not read (see :func:`corpus_reader` for how they are reported).
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
            path for path in self.data_folder.list_files(recursive=True, glob_pattern=self.glob_pattern) if is_supported(path)
        )
        if not files:
            raise InputError("no corpus files found", self.data_folder.path)
        for document in self.read_files_shard(files[rank::world_size]):
            self.update_doc_stats(document)
            yield document

    def read_file(self, filepath: str) -> DocumentsPipeline:
        shown = self.data_folder.resolve_paths(filepath)
        with self.data_folder.open(filepath, "rb") as raw:
            stream = decompressed(raw, filepath)
            if input_format(filepath) == "parquet":
                records = iter_parquet_records(stream, shown, self.text_key, self.id_key, self.max_bytes)
            else:
                records = iter_jsonl_records(stream, shown, self.text_key, self.id_key, self.max_bytes)
            for record in records:
                yield self._to_document(record)

    def _to_document(self, record) -> Document:
        if isinstance(record, Rejection):
            self.stat_update("rejected")
            return rejected_document(record)
        return Document(text=record.text, id=record.id, metadata=record.metadata)


def corpus_reader(input_path: str, text_key: str = "text", id_key: str = "id",
                  reader_class: type[CorpusReader] = CorpusReader) -> tuple[CorpusReader, InputFiles]:
    """A reader of ``input_path`` (a file or folder, local or URL) and the files it will read."""
    files = list_input_files(input_path)
    folder = (files.folder, files.fs)
    glob = files.names[0] if files.single_file else None
    return reader_class(folder, text_key=text_key, id_key=id_key, glob_pattern=glob), files
