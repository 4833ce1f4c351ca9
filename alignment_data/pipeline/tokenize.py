"""``alignment-data tokenize``: tokenize a corpus, a tag run or synthetic documents once, through
datatrove's ``DocumentTokenizer``, with the side table the mixer builds conditions from.

The layout of the output folder is described in :mod:`alignment_data.mixing.store`.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import orjson
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.tokens.tokenizer import DocumentTokenizer, TokenizedFile
from datatrove.utils.batching import batched

from alignment_data import __version__
from alignment_data.errors import ConfigError, InputError
from alignment_data.mixing.keyed import key_hash
from alignment_data.mixing.store import MANIFEST, TABLE, TEXTS, TOKENS, TableWriter, table_name, texts_name
from alignment_data.mixing.tokenizer import TrainingTokenizer
from alignment_data.options import option
from alignment_data.pipeline.corpus_reader import CorpusReader, corpus_reader
from alignment_data.pipeline.counts import RunCounts, merged_counts, read_json, read_task_files, write_json
from alignment_data.pipeline.recipes import ExecutorConfig, _console, _skipped, _start, _writer
from alignment_data.pipeline.steps import FinishRun, TagDocuments
from alignment_data.readers import list_input_files
from alignment_data.schema import REJECTION_KEY, TAG_KEY, SyntheticDocumentMeta
from alignment_data.tagging.spec import TaggerSpec

LOCATION_KEY = "_alignment_data_location"  # (relative file, line, file as shown), removed before anything is written


@dataclass(frozen=True)
class TokenizeOptions:
    """How ``tokenize`` reads its input and what it writes besides the token files."""

    text: bool = option(True, "keep every document's JSON line (texts/), so jsonl and parquet mixes can be written")
    shuffle: bool = option(False, "shuffle documents inside each token file (datatrove's shuffle); the side table follows")
    seed: int = option(0, "seed of the shuffle")
    eos_token: str | None = option(None, "end-of-document token (default: the tokenizer folder's, else <|endoftext|>)")
    text_key: str = option("text", "field of a record that holds its text")
    id_key: str = option("id", "field of a record that holds its id (records without one get file:line)")
    batch_size: int = option(1000, "documents encoded at once")


class LocatedCorpusReader(CorpusReader):
    """:class:`CorpusReader` that records where each document was read, for the side table."""

    name = "📖 Corpus (JSONL/Parquet, strict, located)"

    def read_file(self, filepath: str) -> DocumentsPipeline:
        self._current = (filepath, self.data_folder.resolve_paths(filepath))
        yield from super().read_file(filepath)

    def _to_document(self, record) -> Document:
        document = super()._to_document(record)
        if REJECTION_KEY not in document.metadata:
            document.metadata[LOCATION_KEY] = (self._current[0], record.line, self._current[1])
        return document


class _RememberedShuffle:
    """The permutation DocumentTokenizer shuffles a task's file with, kept so the side table can follow it."""

    def __init__(self, seed: int, rank: int):
        self.rng = np.random.default_rng([seed, rank])
        self.last: np.ndarray | None = None

    def permutation(self, count: int) -> np.ndarray:
        self.last = self.rng.permutation(count)
        return self.last


class TokenizeDocuments(DocumentTokenizer):
    """datatrove's ``DocumentTokenizer`` (an end-of-document token after every document, order
    kept unless ``shuffle``) that also writes, per document, a side-table row and its JSON
    line. Special-token strings in a text are encoded as plain text, and every document is
    checked to hold exactly one end-of-document token, at its end. Bad records (and, for a
    corpus, documents that tokenize to nothing) become located, counted rejections;
    synthetic documents must be right, so there they are errors.
    """

    name = "🔢 Tokenize once (+ side table)"

    def __init__(self, output: str, tokenizer: TrainingTokenizer, rejected_writer, kind: str = "corpus",
                 options: TokenizeOptions = TokenizeOptions()):
        super().__init__(f"{output}/{TOKENS}", tokenizer.file, eos_token=tokenizer.eos_token, shuffle_documents=options.shuffle,
                         seed=options.seed, batch_size=options.batch_size, save_final_metadata=True)
        self.output = output
        self.training_tokenizer = tokenizer
        self.rejected_writer = rejected_writer
        self.kind = kind
        self.options = options

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self.rank = rank
        self.rand = _RememberedShuffle(self.options.seed, rank)
        self.counts = RunCounts()
        self.written: dict[str, int] = {"documents": 0, "tokens": 0, "text_bytes": 0, "flagged": 0, "tagged": 0}
        super().run(data, rank, world_size)
        self._finish(rank)

    def write_unshuffled(self, data: DocumentsPipeline, filename: str) -> TokenizedFile:
        tokenizer = self.tokenizer
        tokenizer.encode_special_tokens = True
        eos = self.training_tokenizer.eos_id
        self.token_file = filename
        tokens = TokenizedFile(self.output_folder, filename, tokenizer_name_or_path=self.training_tokenizer.path,
                               save_final_metadata=True, token_size=self.token_size)
        table = TableWriter(Path(self.output) / TABLE / table_name(self.rank))
        (Path(self.output) / TEXTS).mkdir(parents=True, exist_ok=True)
        texts = open(Path(self.output) / TEXTS / texts_name(self.rank), "wb") if self.options.text else None
        with self.rejected_writer as rejected:
            for batch in batched(self._accepted(data, rejected), self.batch_size):
                with self.track_time(unit="batch"):
                    encoded = tokenizer.encode_batch([document.text for document in batch])
                for document, encoding in zip(batch, encoded):
                    location = document.metadata.pop(LOCATION_KEY)
                    ids = encoding.ids
                    if len(ids) < 2:
                        self._reject(document, location, "no_tokens", "the text tokenizes to nothing", rejected)
                        continue
                    if ids[-1] != eos or ids.count(eos) != 1:
                        raise InputError(f"tokenized to {ids.count(eos)} end-of-document tokens ({self.training_tokenizer.eos_token!r}, "
                                         f"id {eos}); expected exactly one, at the end", location[2], location[1], "text")
                    start = tokens.write_idx
                    tokens.write(ids, None)
                    line = orjson.dumps({"id": document.id, "text": document.text, "metadata": document.metadata},
                                        option=orjson.OPT_APPEND_NEWLINE) if texts else b""
                    text_start = texts.tell() if texts else None
                    if texts:
                        texts.write(line)
                    table.add(**self._row(document, location, start, len(ids), text_start, len(line) if texts else None))
                    self.stat_update("tokens", value=len(ids))
                    self.written["documents"] += 1
                    self.written["tokens"] += len(ids)
                    self.written["text_bytes"] += len(line)
        tokens.close()
        table.close()
        if texts:
            texts.close()
        return tokens

    def _accepted(self, data: DocumentsPipeline, rejected) -> DocumentsPipeline:
        for document in data:
            rejection = document.metadata.get(REJECTION_KEY)
            if rejection is None:
                yield document
                continue
            if self.kind == "synthetic":
                detail = f" ({rejection['detail']})" if rejection.get("detail") else ""
                raise InputError(rejection["reason"] + detail, rejection["file"], rejection["line"], rejection["field"])
            self.counts.add_rejection(rejection)
            rejected.write(document, self.rank)

    def _reject(self, document: Document, location: tuple, reason: str, detail: str, rejected) -> None:
        if self.kind == "synthetic":
            raise InputError(detail, location[2], location[1], "text")
        rejection = {"file": location[2], "line": location[1], "field": "text", "reason": reason, "detail": detail,
                     "id": document.id}
        self.counts.add_rejection(rejection)
        rejected.write(Document(text="", id=document.id, metadata={REJECTION_KEY: rejection}), self.rank)

    def _row(self, document: Document, location: tuple, start: int, count: int, text_start, text_bytes) -> dict:
        metadata = document.metadata
        row = {"id": document.id, "key_hash": key_hash(document.id), "file": location[0], "line": location[1],
               "source": metadata.get("source") if isinstance(metadata.get("source"), str) else None,
               "token_start": start, "tokens": count, "text_start": text_start, "text_bytes": text_bytes}
        tag = metadata.get(TAG_KEY)
        if isinstance(tag, dict):
            row.update(flagged=bool(tag.get("flagged")), label=tag.get("label"), tag=orjson.dumps(tag).decode())
            self.written["tagged"] += 1
            self.written["flagged"] += bool(tag.get("flagged"))
        if self.kind == "synthetic":
            meta = SyntheticDocumentMeta.from_dict(metadata, location[2], location[1])
            row.update(stance=meta.stance, scenario_id=meta.scenario_id, surface_form=meta.surface_form, split=meta.split,
                       topics=list(meta.topics))
        return row

    def _finish(self, rank: int) -> None:
        """Point the side table at the shuffled file when shuffled; write the task's counts and checksums."""
        folder = Path(self.output)
        token_file = f"{TOKENS}/{self.token_file}"
        if self.shuffle_documents and self.rand.last is not None:
            token_file = f"{TOKENS}/{rank:05d}_00000_doc_shuffled.ds"
            _follow_shuffle(folder / TABLE / table_name(rank), self.rand.last)
        files = {"token_file": token_file, "table_file": f"{TABLE}/{table_name(rank)}",
                 "texts_file": f"{TEXTS}/{texts_name(rank)}" if self.options.text else None}
        checksums = {name: _sha256(folder / name) for name in files.values() if name and (folder / name).exists()}
        if (folder / f"{token_file}.index").exists():
            checksums[f"{token_file}.index"] = _sha256(folder / f"{token_file}.index")
        write_json(str(folder / "counts"), f"{rank:05d}.tokenize.json",
                   {**self.counts.to_dict(), **self.written, "rank": rank, **files, "sha256": checksums})


def _follow_shuffle(table_path: Path, permutation: np.ndarray) -> None:
    """Rewrite ``token_start`` of a side table after its token file was shuffled by ``permutation``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(table_path)
    lengths = table.column("tokens").to_numpy()[permutation]
    starts = np.empty(len(permutation), dtype=np.int64)
    starts[permutation] = np.cumsum(lengths) - lengths
    table = table.set_column(table.schema.get_field_index("token_start"), "token_start", pa.array(starts))
    pq.write_table(table, table_path, compression="zstd")


def _sha256(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def input_checksums(input_path: str) -> list[dict]:
    """Name, size and SHA-256 of every file of an input (local or URL)."""
    files = list_input_files(input_path)
    out = []
    for name in files.names:
        digest = hashlib.sha256()
        size = 0
        with files.fs.open(f"{files.folder}/{name}", "rb") as stream:
            while block := stream.read(1 << 22):
                digest.update(block)
                size += len(block)
        out.append({"name": name, "bytes": size, "sha256": digest.hexdigest()})
    return out


def tag_run_summary(path: str) -> dict | None:
    """The ``summary.json`` of a finished ``tag`` run at ``path``, or ``None`` when ``path`` is not one."""
    if not Path(path).is_dir():
        return None
    summary = read_json(path, "summary.json")
    return summary if summary and summary.get("command") == "tag" and "decision" in summary else None


def run_tokenize(
    input_path: str,
    output: str,
    tokenizer: TrainingTokenizer,
    synthetic: bool = False,
    spec: TaggerSpec | None = None,
    executor: ExecutorConfig | None = None,
    options: TokenizeOptions = TokenizeOptions(),
) -> dict | None:
    """Tokenize ``input_path`` once into ``output``; return the manifest (local and Ray runs).

    ``input_path`` is a corpus (tagged on the fly with ``spec`` when given), a ``tag`` run
    folder (its stored tags go into the side table, with the decision it was made with) or,
    with ``synthetic``, synthetic documents (stance, scenario, surface form, split).
    """
    executor = executor or ExecutorConfig()
    summary = tag_run_summary(input_path)
    if summary is not None and (synthetic or spec is not None):
        raise ConfigError("a tag run brings its own tags: tokenize it without --tagger or --synthetic", input_path)
    kind = "tag_run" if summary else "synthetic" if synthetic else "corpus"
    read_from = f"{input_path}/tagged" if summary else input_path
    reader, files = corpus_reader(read_from, options.text_key, options.id_key, LocatedCorpusReader)
    info = {"command": "tokenize", "kind": kind, "input": input_path, "tokenizer": tokenizer.to_dict(),
            "tagger": summary["tagger"] if summary else spec.to_dict() if spec else None, **asdict(options),
            "executor": executor.kind, "tasks": executor.tasks, "skipped_files": _skipped(files)}
    _start(output, info, resume=False)
    pipeline = [reader]
    if spec is not None:
        pipeline.append(TagDocuments(spec, stats_folder=f"{output}/counts"))
    pipeline.append(TokenizeDocuments(output, tokenizer, _writer(f"{output}/rejected", "jsonl"), kind, options))
    extra = {"input_files": input_checksums(read_from), "input_root": files.shown("").rstrip("/"), "decision": summary["decision"] if summary else None,
             "tag_run": {key: summary[key] for key in ("read", "rejected")} if summary else None}
    start = time.time()
    job = executor.build(pipeline, f"{output}/logs/tokenize")
    if executor.kind == "slurm":
        executor.build([FinishRun(write_tokenize_manifest, output, extra)], f"{output}/logs/manifest", tasks=1, depends=job).run()
        return None
    with _console(executor.quiet and executor.kind == "local"):
        job.run()
    manifest = write_tokenize_manifest(output, extra)
    write_json(output, "run.json", {**info, "seconds": round(time.time() - start, 3)})
    return manifest


def _check_unique_ids(output: str, parts: list[dict]) -> None:
    """Synthetic documents are drawn by id: two with one id (in different files) are an error."""
    import pyarrow.parquet as pq

    seen: dict[str, tuple[str, int]] = {}
    for part in parts:
        table = pq.read_table(Path(output) / part["table_file"], columns=["id", "file", "line"]).to_pydict()
        for key, file, line in zip(table["id"], table["file"], table["line"]):
            if key in seen:
                raise InputError(f"duplicate id {key!r} (first in {seen[key][0]}:{seen[key][1]})", file, line, "id")
            seen[key] = (file, line)


def write_tokenize_manifest(output: str, extra: dict) -> dict:
    """Merge the tasks' counts into ``manifest.json``: read = documents + rejected, parts in rank order."""
    info = read_json(output, "run.json") or {}
    parts, counts = merged_counts(output, ".tokenize.json")
    documents = sum(part["documents"] for part in parts)
    decision = extra.get("decision")
    if decision is None:
        taggers = read_task_files(f"{output}/counts", ".tagger.json")
        decision = taggers[0] if taggers else None
    manifest = {
        "command": "tokenize", "kind": info.get("kind"), "input": info.get("input"), "input_root": extra["input_root"],
        "input_files": extra["input_files"],
        "tokenizer": info.get("tokenizer"), "tagger": info.get("tagger"), "decision": decision, "tag_run": extra.get("tag_run"),
        "read": documents + counts.rejected, "documents": documents, "rejected": counts.rejected,
        "rejected_by_reason": dict(sorted(counts.rejected_by_reason.items())), "rejection_examples": counts.rejection_examples,
        "tokens": sum(part["tokens"] for part in parts), "text_bytes": sum(part["text_bytes"] for part in parts),
        "tagged": sum(part["tagged"] for part in parts), "flagged": sum(part["flagged"] for part in parts),
        "one_eos_per_document": True, "shuffled": info.get("shuffle", False), "library_version": __version__,
        "parts": [{"rank": part["rank"], "documents": part["documents"], "tokens": part["tokens"], "token_file": part["token_file"],
                   "table_file": part["table_file"], "texts_file": part["texts_file"]} for part in parts],
        "sha256": {name: digest for part in parts for name, digest in part["sha256"].items()},
    }
    write_json(output, MANIFEST, manifest)
    if manifest["kind"] == "synthetic":
        _check_unique_ids(output, manifest["parts"])
    if not documents:
        reasons = ", ".join(f"{reason} {count}" for reason, count in manifest["rejected_by_reason"].items())
        raise InputError(f"no document could be tokenized ({reasons or 'the input is empty'}); see {output}/rejected/",
                         os.fspath(output))
    return manifest
