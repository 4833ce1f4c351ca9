"""A tokenized folder, as ``alignment-data tokenize`` writes it and the mixer reads it::

    DIR/tokens/NNNNN_unshuffled.ds   datatrove token files, one per task (uint16, uint32 past 65,536 tokens),
        .ds.index, .ds.metadata      one end-of-document token after every document
    DIR/table/NNNNN.parquet          the side table: one row per document of that task (columns below)
    DIR/texts/NNNNN.jsonl            every document's JSON line {"id", "text", "metadata"} (unless --no-text)
    DIR/rejected/  counts/  logs/    bad records, per-task counts, datatrove's logs
    DIR/manifest.json                what was tokenized, with which tokenizer, counts and checksums

Side-table columns: ``id``, ``key_hash`` (64-bit hash of the id, which seeds every draw),
``file`` and ``line`` (where the document was read: the input's relative path and line or
row), ``source`` (its ``source`` field), ``token_start`` and ``tokens`` (its span in the
task's token file, the end-of-document token included), ``text_start`` and ``text_bytes``
(its line in the texts file), ``flagged``, ``label`` and ``tag`` (the stored tag as JSON,
for re-deciding), and for synthetic documents ``stance``, ``scenario_id``,
``surface_form``, ``split`` and ``topics``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from alignment_data.errors import InputError

MANIFEST = "manifest.json"
TOKENS, TABLE, TEXTS = "tokens", "table", "texts"
TABLE_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("key_hash", pa.uint64()),
    ("file", pa.string()),
    ("line", pa.int64()),
    ("source", pa.string()),
    ("token_start", pa.int64()),
    ("tokens", pa.int64()),
    ("text_start", pa.int64()),
    ("text_bytes", pa.int64()),
    ("flagged", pa.bool_()),
    ("label", pa.string()),
    ("tag", pa.string()),
    ("stance", pa.string()),
    ("scenario_id", pa.string()),
    ("surface_form", pa.string()),
    ("split", pa.string()),
    ("topics", pa.list_(pa.string())),
])
ROW_GROUP = 16_384
BATCH_ROWS = 4096  # side-table rows the planner reads at a time


def table_name(rank: int) -> str:
    return f"{rank:05d}.parquet"


def texts_name(rank: int) -> str:
    return f"{rank:05d}.jsonl"


class TableWriter:
    """Writes one task's side-table rows as they come, in row groups (memory stays flat)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = pq.ParquetWriter(path, TABLE_SCHEMA, compression="zstd")
        self.rows: dict[str, list] = {name: [] for name in TABLE_SCHEMA.names}
        self.count = 0

    def add(self, **row) -> None:
        for name, values in self.rows.items():
            values.append(row.get(name))
        self.count += 1
        if len(self.rows["id"]) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        arrays = [pa.array(self.rows[item.name], type=item.type) for item in TABLE_SCHEMA]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=TABLE_SCHEMA))
        for values in self.rows.values():
            values.clear()

    def close(self) -> None:
        self._flush()
        self.writer.close()


@dataclass(frozen=True)
class Part:
    """One task's files in a tokenized folder."""

    rank: int
    documents: int
    tokens: int
    token_file: str
    table_file: str
    texts_file: str | None


class TokenizedFolder:
    """A finished ``alignment-data tokenize`` output, opened for reading."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        manifest = self.path / MANIFEST
        if not manifest.is_file():
            raise InputError("not a tokenized folder (no manifest.json): run `alignment-data tokenize` first", str(self.path))
        try:
            self.manifest = json.loads(manifest.read_text("utf-8"))
        except json.JSONDecodeError as error:
            raise InputError(f"not valid JSON: {error.msg}", str(manifest), error.lineno) from None
        if self.manifest.get("command") != "tokenize":
            raise InputError(f"written by `alignment-data {self.manifest.get('command')}`, not `tokenize`", str(manifest),
                             field="command")
        self.parts = [Part(**part) for part in self.manifest["parts"]]

    @staticmethod
    def is_tokenized(path: str | Path) -> bool:
        manifest = Path(path) / MANIFEST
        if not manifest.is_file():
            return False
        try:
            return json.loads(manifest.read_text("utf-8")).get("command") == "tokenize"
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            return False

    @property
    def kind(self) -> str:
        """``corpus``, ``tag_run`` or ``synthetic``."""
        return self.manifest["kind"]

    @property
    def has_texts(self) -> bool:
        return all(part.texts_file for part in self.parts)

    def part_columns(self, part: int, names: list[str]) -> dict[str, np.ndarray]:
        """Side-table columns of one part (numbers as numpy arrays, text as object arrays);
        ``text_start`` and ``text_bytes`` are -1 in a folder tokenized without texts."""
        table = pq.read_table(self.path / self.parts[part].table_file, columns=self._stored(names), use_threads=False)
        return self._arrays(table, names)

    def batches(self, part: int, names: list[str], size: int = BATCH_ROWS):
        """:meth:`part_columns` ``size`` rows at a time, in order (memory holds one batch)."""
        with pq.ParquetFile(self.path / self.parts[part].table_file) as table:
            for batch in table.iter_batches(batch_size=size, columns=self._stored(names), use_threads=False):
                yield self._arrays(batch, names)

    def _stored(self, names: list[str]) -> list[str]:
        return [name for name in names if self.has_texts or name not in ("text_start", "text_bytes")]

    def _arrays(self, table, names: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for name in names:
            if name not in table.schema.names:
                out[name] = np.full(len(table), -1, dtype=np.int64)
            elif pa.types.is_integer(TABLE_SCHEMA.field(name).type):
                out[name] = table.column(name).to_numpy().astype(np.uint64 if name == "key_hash" else np.int64)
            else:
                out[name] = np.fromiter(table.column(name).to_pylist(), dtype=object, count=len(table))
        return out

    def shown(self, file: str) -> str:
        """Where a side-table ``file`` was read from, as error messages name it."""
        return f"{self.manifest['input_root']}/{file}"

    def token_path(self, part: int) -> Path:
        return self.path / self.parts[part].token_file

    def texts_path(self, part: int) -> Path:
        return self.path / self.parts[part].texts_file
